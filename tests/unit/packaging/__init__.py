"""Tests of the desktop integration files: icons, desktop entry, metainfo, installer settings."""
