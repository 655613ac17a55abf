"""What every controller of the window shares: the open database, the change signal, where
dialogs and messages go, the GUI settings, and the one way to run slow work.

The window makes one ``Workspace`` and hands it to its controllers; none of them reaches
for the window itself (no application-wide object reached from everywhere). A restore, an
unlock or another database replaces ``db`` here and announces ``Change.database()``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEventLoop,
    QObject,
    QSettings,
    QThread,
    QUrl,
    Signal,
)
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMainWindow, QMessageBox, QProgressDialog, QWidget

from alliance_desktop import APP_NAME
from alliance_desktop.services.changes import Change
from alliance_desktop.services.database import Database, StorageError
from alliance_desktop.services.errors import ServiceError
from alliance_desktop.ui.background import report_error, run_in_background

#: How long a confirmation stays in the status bar: long enough to read a path.
MESSAGE_SECONDS = 20


class Workspace(QObject):
    """The open database and the services around it, for the window's controllers."""

    #: Every write's ``Change`` (services.changes); each view refreshes itself from it.
    dataChanged = Signal(object)

    def __init__(self, window: QMainWindow, db: Database, settings: QSettings | None) -> None:
        super().__init__(window)
        self.window = window
        self._db = db
        db.on_busy = self._waiting_for_another_writer
        self.settings = settings
        #: The database the app was started on (the demo opens beside it).
        self.practice_path = db.path

    @property
    def db(self) -> Database:
        return self._db

    @db.setter
    def db(self, db: Database) -> None:
        self._db = db
        db.on_busy = self._waiting_for_another_writer

    def _waiting_for_another_writer(self, waited: float) -> None:
        """While a save on this thread waits for another program's write: say so and keep
        painting (no user input, so nothing starts a second save meanwhile). A save on the
        database thread just waits; the window is free anyway."""
        if QThread.currentThread() is not self.thread():
            return
        self.window.statusBar().showMessage(
            f"Waiting for another program that is using the database ({waited:.0f} s)…", 2000
        )
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)

    # -- changes and messages ------------------------------------------------------------

    def announce(self, change: Change, message: str = "") -> None:
        """Say what was done (status bar) and tell every view what changed."""
        if message:
            self.say(message)
        self.dataChanged.emit(change)

    def say(self, text: str, seconds: int = MESSAGE_SECONDS) -> None:
        self.window.statusBar().showMessage(text, seconds * 1000)

    def complain(self, message: str, parent: QWidget | None = None) -> None:
        QMessageBox.warning(parent or self.window, APP_NAME, message)

    def report(self, exc: BaseException, parent: QWidget | None = None) -> None:
        report_error(parent or self.window, exc)

    @contextlib.contextmanager
    def guarded(self, parent: QWidget | None = None) -> Iterator[None]:
        """Show a service's or the database's message instead of letting it escape a slot."""
        try:
            yield
        except (ServiceError, StorageError) as exc:
            self.complain(str(exc), parent)

    def run(
        self,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None] | None = None,
        *,
        progress: str | None = None,
        name: str = "operationProgress",
    ) -> QProgressDialog | None:
        """Run ``work`` on the database thread (``ui.background``), with optional progress."""
        return run_in_background(
            work, done, failed, progress=progress, parent=self.window, progress_name=name
        )

    # -- GUI settings --------------------------------------------------------------------

    def setting(self, key: str, default: Any = None) -> Any:
        return self.settings.value(key, default) if self.settings is not None else default

    def remember(self, key: str, value: Any) -> None:
        if self.settings is not None:
            self.settings.setValue(key, value)

    def folder(self, key: str) -> Path:
        """A remembered folder that still exists, else the home folder."""
        stored = self.setting(key, "")
        folder = Path(str(stored)) if stored else Path.home()
        return folder if folder.is_dir() else Path.home()

    # -- files ---------------------------------------------------------------------------

    def open_file(self, path: Path, what: str) -> None:
        """Open a saved file in the system's viewer; with none, say so and show the folder."""
        if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            return
        box = QMessageBox(self.window)
        box.setObjectName("noViewerBox")
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(APP_NAME)
        box.setText(f"{what} is saved, but no program to open it was found.")
        box.setInformativeText(f"It is in {path.parent}, named {path.name}.")
        show_folder = box.addButton("Show the folder", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Ok)
        box.exec()
        if box.clickedButton() is show_folder:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
