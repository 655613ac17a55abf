"""The operations runner: slow work off the UI thread, its result or error back on it.

``run_in_background(work, on_done, on_error)`` runs ``work()`` on the one worker thread that
does the window's database work (a list load, a report, a backup, a restore, the demo), in
the order asked, so two jobs never race each other on the database (Anki's ``operations``).
``on_done``/``on_error`` run on the UI thread. With ``progress`` a modal, uncancellable
progress dialog says what is happening while it takes longer than ``progress_after_ms``.
Without ``on_error`` a failure is shown by ``report_error`` (one plain sentence for the
environment's faults, a logged "please report" for our bugs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from alliance_desktop import APP_NAME
from alliance_desktop.services.database import StorageError
from alliance_desktop.services.errors import ServiceError

log = logging.getLogger(__name__)


class _Bridge(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], bridge: _Bridge) -> None:
        super().__init__()
        self._work = work
        self._bridge = bridge

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as exc:  # handed to on_error on the UI thread
            log.debug("background job failed", exc_info=True)
            self._bridge.failed.emit(exc)
        else:
            self._bridge.done.emit(result)


_live: set[_Bridge] = set()  # keep bridges alive until their job reports
_pool: QThreadPool | None = None


def database_pool() -> QThreadPool:
    """The single worker thread for database work (made on first use, owned by the app)."""
    global _pool  # noqa: PLW0603 - one executor per application, like the global pool
    if _pool is None:
        _pool = QThreadPool(QCoreApplication.instance())
        _pool.setMaxThreadCount(1)
        _pool.destroyed.connect(_forget_pool)
    return _pool


def _forget_pool(*_args: object) -> None:
    global _pool  # noqa: PLW0603
    _pool = None


def report_error(parent: QWidget | None, exc: BaseException) -> None:
    """Show a failure: the message of the environment's faults and refusals; ours logged."""
    if isinstance(exc, (ServiceError, StorageError)):
        QMessageBox.warning(parent, APP_NAME, str(exc))
        return
    log.error("unexpected error", exc_info=exc)
    QMessageBox.warning(
        parent,
        APP_NAME,
        f"Something went wrong ({type(exc).__name__}). What was saved before is safe. "
        "Details are in the log; please report this problem.",
    )


def run_in_background(
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None] | None = None,
    *,
    progress: str | None = None,
    parent: QWidget | None = None,
    progress_name: str = "operationProgress",
    progress_after_ms: int = 300,
) -> QProgressDialog | None:
    """Run ``work`` on the database thread; call back on the UI thread.

    Returns the progress dialog when ``progress`` is given (it closes itself before the
    callbacks run).
    """
    bridge = _Bridge()
    _live.add(bridge)
    dialog: QProgressDialog | None = None
    if progress is not None:
        dialog = QProgressDialog(progress, "", 0, 0, parent)
        dialog.setObjectName(progress_name)
        dialog.setWindowTitle(APP_NAME)
        # Nothing to stop half-way: every file the app writes appears whole or not at all.
        dialog.setCancelButton(None)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(progress_after_ms)
        dialog.setValue(0)  # starts the minimum-duration clock (else it shows after ~4 s)

    def close_progress() -> None:
        _live.discard(bridge)
        if dialog is not None:
            dialog.close()
            dialog.deleteLater()

    def finished(result: Any) -> None:
        close_progress()
        on_done(result)

    def failed(exc: Any) -> None:
        close_progress()
        if on_error is not None:
            on_error(exc)
        else:
            report_error(parent, exc)

    bridge.done.connect(finished)
    bridge.failed.connect(failed)
    database_pool().start(_Job(work, bridge))
    return dialog


def wait_for_background_work(timeout_ms: int = 30_000) -> bool:
    """Block until queued jobs finish (used on close, before a restore, and in tests)."""
    pool_done = database_pool().waitForDone(timeout_ms)
    return QThreadPool.globalInstance().waitForDone(timeout_ms) and pool_done
