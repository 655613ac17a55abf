"""Process-wide set-up shared by the CLI and the GUI: the log file and private file modes."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from alliance_desktop import paths

_LOG_HANDLER_NAME = "alliance-desktop-file"
LOG_FILE_NAME = "alliance-desktop.log"


def keep_files_private() -> None:
    """Create every file owner-only (0600) and folder 0700: these are health records."""
    if os.name == "posix":
        os.umask(0o077)


def setup_logging() -> Path | None:
    """Log warnings and internal errors to a file; return it (None if it cannot be made).

    Calling it again (tests, scripts that call ``main`` twice) replaces the handler.
    """
    try:
        folder = paths.log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        log_file = folder / LOG_FILE_NAME
        handler = logging.FileHandler(log_file, encoding="utf-8", delay=True)
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.set_name(_LOG_HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _LOG_HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return log_file
