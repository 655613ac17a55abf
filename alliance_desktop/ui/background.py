"""Run slow work off the UI thread and get the result back on it (Anki's ``operations``).

``run_in_background(work, on_done, on_error)`` calls ``work()`` on a pool thread; the
callbacks run on the UI thread. The database engine hands each thread its own connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

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


def run_in_background(
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
) -> None:
    """Run ``work`` on the global thread pool; call back on the UI thread."""
    bridge = _Bridge()
    _live.add(bridge)

    def finished(result: Any) -> None:
        _live.discard(bridge)
        on_done(result)

    def failed(exc: Any) -> None:
        _live.discard(bridge)
        on_error(exc)

    bridge.done.connect(finished)
    bridge.failed.connect(failed)
    QThreadPool.globalInstance().start(_Job(work, bridge))


def wait_for_background_work(timeout_ms: int = 30_000) -> bool:
    """Block until queued jobs finish (used on close and in tests)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
