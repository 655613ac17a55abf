"""The application-wide change signal: services return a ``Change``; views listen here."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class AppEvents(QObject):
    """One instance per main window; every write's ``Change`` is emitted on it."""

    dataChanged = Signal(object)  # alliance_desktop.services.clients.Change
