"""What every controller of the window shares: the open database, the change signal, where
dialogs and messages go, the GUI settings, and the one way to run slow work.

The window makes one ``Workspace`` and hands it to its controllers; none of them reaches
for the window itself (no application-wide object reached from everywhere). A restore, an
unlock or another database replaces ``db`` here and announces ``Change.database()``.

Nothing is written to a database before SQLite's quick check of it has passed (a damaged
file is never made worse). At launch that check reads the whole file (about a second for
10,000 clients, five for 50,000), so the window does not wait for it: it loads the client
list and the dashboard first, reading only, then runs the check in the background
(``check_soundness``). Until the check has passed, ``db`` waits for it (starting it if need
be; the window keeps painting and takes no input meanwhile), and once it has found damage
``db`` refuses. Only what reads, and may do so before the check, uses ``unchecked_db``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEventLoop,
    QObject,
    QRunnable,
    QSettings,
    QThread,
    QThreadPool,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMainWindow, QMessageBox, QProgressDialog, QWidget

from alliance_desktop import APP_NAME
from alliance_desktop.services.changes import Change
from alliance_desktop.services.database import Database, StorageError
from alliance_desktop.services.errors import ServiceError
from alliance_desktop.ui.background import report_error, run_in_background

log = logging.getLogger(__name__)

#: How long a confirmation stays in the status bar: long enough to read a path.
MESSAGE_SECONDS = 20


class _CheckDone(QObject):
    finished = Signal()


class SoundnessCheck(QRunnable):
    """SQLite's quick check of a database just opened, on a thread of its own (it reads the
    whole file; the database thread meanwhile loads the list). ``done`` is set when over."""

    def __init__(self, db: Database, failures_before: int) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the workspace reads the result after the run
        self.db = db
        #: Wrong passphrases before this unlock, for the audit log's "unlock" entry.
        self.failures_before = failures_before
        self.done = threading.Event()
        self.problems: list[str] = []
        #: The environment's reason the check could not run (busy, unreadable drive…).
        self.error: StorageError | None = None
        self.started = False
        self._starting = threading.Lock()  # (the database thread may ask for it too)
        self.bridge = _CheckDone()

    def start(self) -> None:
        """Start the check on a pool thread (once, whoever asks first)."""
        with self._starting:
            if self.started:
                return
            self.started = True
        QThreadPool.globalInstance().start(self)

    def run(self) -> None:
        try:
            self.problems = self.db.quick_check()
        except StorageError as exc:
            self.error = exc
        except Exception as exc:  # a bug: reported like the environment's, never lost
            log.error("the database check failed", exc_info=exc)
            self.error = StorageError(f"{self.db.path.name} could not be checked ({exc}).")
        finally:
            self.done.set()
            self.bridge.finished.emit()


class Workspace(QObject):
    """The open database and the services around it, for the window's controllers."""

    #: Every write's ``Change`` (services.changes); each view refreshes itself from it.
    dataChanged = Signal(object)
    #: The background check of the database is over: what it found (``damage``, ``[]``
    #: when sound) and the environment's error that kept it from running (or None).
    checked = Signal(object, object)

    def __init__(
        self,
        window: QMainWindow,
        db: Database,
        settings: QSettings | None,
        *,
        check_first: bool = False,
        failures_before: int = 0,
    ) -> None:
        """``check_first``: ``db`` was unlocked but not yet checked (``check_soundness``);
        ``failures_before`` wrong passphrases came before its unlock (for the audit log)."""
        super().__init__(window)
        self.window = window
        self._db = db
        db.on_busy = self._waiting_for_another_writer
        self.settings = settings
        #: The database the app was started on (the demo opens beside it).
        self.practice_path = db.path
        self._check = SoundnessCheck(db, failures_before) if check_first else None
        self._last_check: SoundnessCheck | None = None
        if self._check is not None:
            self._check.bridge.finished.connect(self._settle_check)
        #: What the background check found wrong with the database ([] sound or unchecked).
        self.damage: list[str] = []
        self._check_error: StorageError | None = None  # why it could not run, if it could not
        #: The window closed before the check passed: nothing may be written any more.
        self._closed_unchecked = False

    @property
    def db(self) -> Database:
        """The open database, to read and write: once its check has passed (waiting for a
        check still running).

        Raises:
            StorageError: The check found the database damaged, or could not run.
        """
        if self._closed_unchecked:
            raise StorageError(
                f"{self._db.path.name} was closed before its check had finished; nothing "
                "was written to it."
            )
        if (self._check is not None and not self.wait_for_check()) or self.damage:
            if self._check_error is not None:
                raise self._check_error
            raise StorageError(
                f"{self._db.path.name} is damaged (SQLite's check found problems); nothing "
                "was written to it. Choose what to do in the window about the damage."
            )
        return self._db

    @db.setter
    def db(self, db: Database) -> None:
        # Whoever opened another database checked it (an unlock, a restore) or made it new.
        self._check = None
        self.damage, self._check_error = [], None
        self._closed_unchecked = False
        self._db = db
        db.on_busy = self._waiting_for_another_writer

    @property
    def unchecked_db(self) -> Database:
        """The open database without waiting for its check, to read only: the first list
        and the window's title, while the check runs; closing it after damage."""
        return self._db

    @property
    def closed_unchecked(self) -> bool:
        """Whether the window closed before the database's check had passed (from then on
        nothing is written, and a load still under way has nothing to report)."""
        return self._closed_unchecked

    @property
    def checking(self) -> bool:
        """Whether the database's check has yet to pass (running or not yet started, or
        forgotten unfinished when the window closed)."""
        return self._check is not None or self._closed_unchecked

    # -- the check before any write ------------------------------------------------------

    def check_soundness(self) -> None:
        """Start the database's check in the background (once; the window's first load is
        over by now); ``checked`` says what it found. A no-op with nothing to check."""
        if self._check is not None:
            self._check.start()

    def wait_for_check(self) -> bool:
        """Wait for the database's check (starting it if need be); True when it passed.

        On the UI thread the window keeps painting meanwhile and says why it waits, but
        takes no input (which could only start something else that has to wait).
        """
        check = self._check
        if check is None:
            return not self.damage and not self._closed_unchecked
        check.start()
        if not check.done.is_set():
            if QThread.currentThread() is not self.thread():
                check.done.wait()
                return not (check.problems or check.error)
            self.say("Checking the database before changing anything…", 5)
            # A relative sleep, not ``done.wait(0.02)``: a timed wait computes an absolute
            # deadline, which a shifted clock (the test suite under libfaketime) never reaches.
            while not check.done.is_set():
                QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
                time.sleep(0.02)
        passed = not (check.problems or check.error)
        self._settle_check()
        # (The check's own verdict: the window may have forgotten it meanwhile, closing.)
        return passed and not self.damage and not self._closed_unchecked

    def forget_check(self) -> None:
        """The window closes: a check still running no longer matters (nothing was written,
        nothing will be; it ends on its own thread)."""
        if self._check is not None:
            self._last_check = self._check
            self._check = None
            self._closed_unchecked = True  # ``db`` refuses from now on: nothing is written

    @Slot()  # (a slot of this object: a late signal never reaches it once it is gone)
    def _settle_check(self) -> None:
        """The check is over: log the unlock when the database is sound, then say so
        (``checked``). Runs once, from whichever comes first: the check's own signal, or
        ``wait_for_check``."""
        check = self._check
        if check is None or not check.done.is_set():
            return
        self._check = None
        self._last_check = check  # its thread may still be returning from ``run``
        error, problems = check.error, list(check.problems)
        if error is None and not problems:
            from alliance_desktop.ui.unlock import record_unlock

            try:
                record_unlock(self._db, check.failures_before)
            except (StorageError, ServiceError) as exc:  # as at an unlock: not opened then
                error = exc if isinstance(exc, StorageError) else StorageError(str(exc))
        if error is not None:
            problems = problems or [str(error)]
        self.damage, self._check_error = problems, error
        log.info("database check: %s", "sound" if not problems else f"{len(problems)} problems")
        self.checked.emit(list(check.problems), error)

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
