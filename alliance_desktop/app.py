"""Composition root: builds the QApplication, opens the database and shows the main window."""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QSettings, QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from alliance_desktop import APP_ID, APP_NAME, ORG_NAME, __version__, diagnostics, paths

log = logging.getLogger(__name__)
PASSPHRASE_ENV = "ALLIANCE_PASSPHRASE"

if TYPE_CHECKING:
    from alliance_desktop.ui.main_window import MainWindow
    from alliance_desktop.ui.unlock import Unlocked


def _quicker_pyside_import_check() -> None:
    """Make PySide6's look at each newly imported module cheaper.

    After PySide6 is imported, it asks of every module imported later whether its source
    contains "PySide6" (PYSIDE-2029, for its ``__feature__`` switches, which this app does
    not use), through ``inspect.getsource``: 60 ms of the window's start-up for the ~340
    modules it imports. The same question asked of the file's bytes takes a quarter of
    that. Anything but a plain ``.py`` file goes to PySide's own check; if PySide no longer
    has the function (another version), nothing changes.
    """
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(original) or original is _uses_pyside:
        return
    _pyside_checks.append(original)
    feature._mod_uses_pyside = _uses_pyside  # type: ignore[attr-defined]


_pyside_checks: list[Callable[[object], bool]] = []


def _uses_pyside(module: object) -> bool:
    source = getattr(module, "__file__", None)
    if isinstance(source, str) and source.endswith(".py"):
        try:
            with open(source, "rb") as file:
                return b"PySide6" in file.read()
        except OSError:
            pass
    return _pyside_checks[0](module)


_quicker_pyside_import_check()


#: Pixel sizes of ``resources/icons/alliance-desktop-<size>.png`` (``packaging/desktop.py icons``).
APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """The application icon, built from the packaged PNG sizes.

    PNGs rather than the SVG, so a bundle needs no SVG image-format plugin; Qt picks the
    size nearest to what the title bar, task bar or Alt+Tab asks for. Null when the files
    are missing (the app still starts, with the platform's default icon).
    """
    folder = paths.resources_dir() / "icons"
    icon = QIcon()
    for size in APP_ICON_SIZES:
        png = folder / f"alliance-desktop-{size}.png"
        if png.is_file():
            icon.addFile(str(png), QSize(size, size))
    if icon.isNull():
        log.warning("no application icon PNGs in %s", folder)
    return icon


def application() -> QApplication:
    """The app's QApplication (made once, named, styled and given its icon), for the window,
    the self-test and scripts; the one a test runner made already is reused."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    app.setStyle("Fusion")
    return app


def acquire_window_lock(database_path: Path) -> QLockFile | None:
    """Hold ``<database>.lock`` while a window works on the database; None if one already does.

    Two windows on one database would each take the other's live session drafts for crash
    leftovers. A lock left by a crashed or killed app is taken over (Qt sees its process is
    gone), so a crash never locks the therapist out.
    """
    paths.prepare_database_folder(database_path)
    lock = QLockFile(str(database_path) + ".lock")
    lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
    if lock.tryLock(200):
        return lock
    if lock.error() == QLockFile.LockError.LockFailedError:
        return None
    # The folder refuses a lock file (read-only, say): opening the database will say why;
    # a missing lock must not keep the therapist from their records.
    return QLockFile(str(database_path) + ".lock")


def gui_settings() -> QSettings:
    """Remembered GUI state, in an INI file under ``paths.config_dir()``."""
    return QSettings(str(paths.settings_file()), QSettings.Format.IniFormat)


def build_main_window(
    database_path: Path, *, passphrase: str, today: Callable[[], date] | None = None
) -> MainWindow:
    """Unlock (or create) the database with ``passphrase`` and build the main window on it
    (returned unshown). Start-up without a passphrase asks for one (``ui.unlock``).
    ``today`` is where the window's "today" comes from (tests pass a fixed day)."""
    from alliance_desktop.services.database import open_database
    from alliance_desktop.ui.main_window import MainWindow

    paths.prepare_database_folder(database_path)
    db = open_database(database_path, passphrase=passphrase, create=True)
    if today is None:
        return MainWindow(db, gui_settings())
    return MainWindow(db, gui_settings(), today=today)


def install_error_reporting(log_file: Path | None) -> Callable[..., None]:
    """Route uncaught exceptions to the log and a plain message box; return the hook.

    Without it, a bug in a slot prints a traceback to a terminal the therapist never sees.
    """

    def report(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.critical("unexpected error", exc_info=(exc_type, exc, tb))
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        where = f" Details are in {log_file}." if log_file else ""
        QMessageBox.critical(
            None,
            APP_NAME,
            f"Alliance Desktop hit an internal error ({exc_type.__name__}). What was saved "
            f"before is safe in the database.{where} Please report this problem.",
        )

    sys.excepthook = report
    return report


def freeze_startup_objects() -> None:
    """Move everything loaded at start-up out of the garbage collector's sight (and let it
    collect again, if start-up had paused it).

    The modules, tables and widgets built at start-up live as long as the app; without this
    every full collection walks them all again, a 40-50 ms pause that lands on whatever the
    user is doing (measured by ``benchmarks.charts``: the slowest of nine record opens fell
    from about 135 ms to under 90 ms). ``run_gui`` pauses collecting from its start until
    the window's first load is over: the imports and the 10,000-50,000 rows loaded would
    otherwise set off full collections that walk them all, a third of the list's load
    time (``benchmarks.window``).
    """
    gc.collect()
    gc.freeze()
    gc.enable()


def _open_window(
    database_path: Path, passphrase: str | None
) -> tuple[MainWindow, QLockFile, QApplication] | int:
    """Unlock the database and build the window on it (unshown); or the exit code when
    that cannot be (another window has it, the therapist cancelled, it cannot be used)."""
    if passphrase:
        _begin_unlock(database_path, passphrase)
    from alliance_desktop.services.database import StorageError
    from alliance_desktop.services.errors import ServiceError

    install_error_reporting(diagnostics.setup_logging())
    app = application()
    lock = acquire_window_lock(database_path)
    if lock is None:
        QMessageBox.warning(
            None,
            APP_NAME,
            f"{APP_NAME} is already open on {database_path}. Switch to that window; "
            "two windows on one database could overwrite each other's unsaved sessions.",
        )
        return 2
    from alliance_desktop.ui.main_window import MainWindow
    from alliance_desktop.ui.unlock import unlock_for_window

    paths.prepare_database_folder(database_path)
    try:
        # An existing database comes back unchecked: the window shows its list first and
        # runs SQLite's check in the background, writing nothing before it has passed.
        unlocked = unlock_for_window(database_path, gui_settings(), passphrase=passphrase)
        if unlocked is not None and unlocked.checked and unlocked.db.damage:
            from alliance_desktop.ui.recovery import recover

            recovered = recover(unlocked.db)  # before anything is written to it
            unlocked = None if recovered is None else replace(unlocked, db=recovered)
        if unlocked is None:  # the therapist cancelled the unlock screen or the recovery
            lock.unlock()
            return 0
        try:
            window = MainWindow(
                unlocked.db,
                gui_settings(),
                check_first=not unlocked.checked,
                failures_before=unlocked.failures_before,
            )
        except StorageError:
            if unlocked.checked:
                raise
            # A read before the background check met damage: check now, and offer the
            # recovery dialog as an unlock that checks first does (nothing was written).
            recovered_window = _window_after_damage(unlocked)
            if recovered_window is None:
                lock.unlock()
                return 0
            window = recovered_window
    except (StorageError, ServiceError) as exc:
        QMessageBox.critical(None, APP_NAME, str(exc))
        return 2
    return window, lock, app


def _window_after_damage(unlocked: Unlocked) -> MainWindow | None:
    """The window on ``unlocked.db`` once SQLite's check has run: on the database itself
    when it is sound (the read failed for another reason: raised again by the window), or
    on what the recovery dialog made of it; None when the therapist quit it.

    Raises:
        StorageError: The database is sound but still cannot be read.
    """
    from alliance_desktop.ui.main_window import MainWindow
    from alliance_desktop.ui.recovery import recover
    from alliance_desktop.ui.unlock import opened_in_window

    db = opened_in_window(unlocked.db, unlocked.failures_before)
    if db.damage:
        recovered = recover(db)  # before anything is written to it
        if recovered is None:
            return None
        db = recovered
    return MainWindow(db, gui_settings())


def _begin_unlock(database_path: Path, passphrase: str) -> None:
    """Start the unlock's key derivation (Argon2id, about 0.4 s on purpose, in C without
    the GIL) on a thread, so the window's modules load and Qt starts meanwhile; the unlock
    takes its result (``storage.keys.begin_unlock``, as the command line does). Only an
    optimisation: with anything amiss it does nothing and the unlock says what is wrong."""
    from alliance_desktop.storage import keys

    try:
        if keys.has_key_file(database_path):
            keys.begin_unlock(database_path, passphrase)
    except OSError:
        pass


def run_gui(database_path: Path, *, passphrase: str | None = None) -> int:
    """Unlock ``database_path``, show the main window on it and run the event loop.

    ``passphrase`` (from ``--passphrase-file``) or ``$ALLIANCE_PASSPHRASE`` skips the unlock
    screen, for scripted starts and tests; otherwise the unlock screen (or, the first
    time, the choice of a passphrase) comes first. Returns the exit code.
    """
    gc.disable()  # until the window's first load is over (``freeze_startup_objects``)
    try:
        opened = _open_window(database_path, passphrase or os.environ.get(PASSPHRASE_ENV))
    except BaseException:
        gc.enable()
        raise
    if isinstance(opened, int):
        gc.enable()
        return opened
    window, lock, app = opened
    window.show()
    # Once every client is loaded, so that those objects are frozen too, and after the
    # first screen: a full collection takes tens of milliseconds.
    window.clients.firstLoadDone.connect(freeze_startup_objects)
    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, window.security.offer_recovery_sheet)
    try:
        return app.exec()
    finally:
        from alliance_desktop.ui.background import wait_for_background_work

        wait_for_background_work()
        # The window may have switched to another database, or found this one damaged.
        window.workspace.unchecked_db.close()
        lock.unlock()
        gc.enable()  # (if the window closed before its first load was over)
