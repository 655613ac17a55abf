"""Composition root: builds the QApplication, opens the database and shows the main window."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from alliance_desktop import APP_ID, APP_NAME, ORG_NAME, __version__, paths

if TYPE_CHECKING:
    from alliance_desktop.storage.database import Database
    from alliance_desktop.ui.main_window import MainWindow


def _application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setStyle("Fusion")
    return app


def gui_settings() -> QSettings:
    """Remembered GUI state, in an INI file under ``paths.config_dir()``."""
    return QSettings(str(paths.settings_file()), QSettings.Format.IniFormat)


def build_main_window(database_path: Path) -> tuple[MainWindow, Database]:
    """Open the database and build the main window (returned unshown, with the database)."""
    from alliance_desktop.services.demo import is_demo_database
    from alliance_desktop.storage import repository
    from alliance_desktop.storage.database import open_database
    from alliance_desktop.ui.main_window import MainWindow

    if not database_path.exists() and database_path == paths.default_database_path():
        database_path.parent.mkdir(parents=True, exist_ok=True)
    db = open_database(database_path, create=True)
    window = MainWindow(
        str(db.path), repository.count_clients(db), gui_settings(), demo=is_demo_database(db)
    )
    return window, db


def run_gui(database_path: Path) -> int:
    """Show the main window on ``database_path`` and run the event loop; return the exit code."""
    from alliance_desktop.services.errors import ServiceError
    from alliance_desktop.storage.errors import StorageError

    app = _application()
    try:
        window, db = build_main_window(database_path)
    except (StorageError, ServiceError) as exc:
        QMessageBox.critical(None, APP_NAME, str(exc))
        return 2
    window.show()
    try:
        return app.exec()
    finally:
        db.close()
