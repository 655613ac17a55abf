"""The window's launch (issue 18): the first screen of clients before the rest, the log line
that times a launch, and SQLite's check of the database run after the list, never letting
anything be written before it has passed.

Real widgets on a real (encrypted) demo database in tmp_path. The steps that run on the
database thread are held at chosen points with events, never with the clock.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QPushButton, QWidget
from pytestqt.qtbot import QtBot

from alliance_desktop.domain.vocabulary import ClientStatus
from alliance_desktop.services import audit
from alliance_desktop.services.database import Database, StorageError
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.controllers import clients as clients_controller
from alliance_desktop.ui.main_window import MainWindow
from alliance_desktop.ui.recovery import RecoveryDialog
from tests.keyed import open_database
from tests.ui.helpers import handle_modals

PAGE = 5  # rows of the first screen here (the demo has 40 clients)


class _Paints(QObject):
    """Counts paint events of one widget."""

    def __init__(self, watched: QWidget) -> None:
        super().__init__(watched)
        self.count = 0
        watched.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt names it
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


class _Lines(logging.Handler):
    """The window's log lines, each with what ``state`` said when it was logged."""

    def __init__(self, state: Callable[[], Any]) -> None:
        super().__init__(logging.INFO)
        self.state = state
        self.lines: list[tuple[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.getMessage(), self.state()))


@pytest.fixture
def log_lines() -> Iterator[Callable[[Callable[[], Any]], _Lines]]:
    root = logging.getLogger()
    handlers: list[_Lines] = []
    level = root.level

    def attach(state: Callable[[], Any]) -> _Lines:
        handler = _Lines(state)
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        handlers.append(handler)
        return handler

    yield attach
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(level)


def _held(function: Callable[..., Any], gate: threading.Event) -> Callable[..., Any]:
    """``function``, waiting on the database thread until ``gate`` is set."""

    def held(*args: Any) -> Any:
        gate.wait()
        return function(*args)

    return held


def _digests(database: Path) -> dict[str, str]:
    """What is in the database's files (a write changes the file or its log)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(database.parent.glob(database.name + "*"))
        if p.is_file() and not p.name.endswith("-shm")
    }


def _close(window: MainWindow) -> None:
    wait_for_background_work()
    window.close()
    window.deleteLater()
    wait_for_background_work()
    window.workspace.unchecked_db.close()


def test_the_first_screen_comes_first_in_the_order_the_list_keeps(
    qtbot: QtBot,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    log_lines: Callable[[Callable[[], Any]], _Lines],
    artifacts: Path,
) -> None:
    monkeypatch.setattr(clients_controller, "FIRST_SCREEN_ROWS", PAGE)
    rest = threading.Event()  # holds the rest of the list on the database thread
    monkeypatch.setattr(
        clients_controller, "_whole_list", _held(clients_controller._whole_list, rest)
    )
    db = open_database(demo_db_path)
    window = MainWindow(db, None, check_first=True)
    qtbot.addWidget(window)
    panel = window.client_list
    paints = _Paints(panel.table.viewport())
    lines = log_lines(lambda: (panel.model.rowCount(), paints.count))
    window.resize(1280, 780)
    window.show()
    try:
        qtbot.waitUntil(lambda: any("client list shown" in m for m, _ in lines.lines))
        # The first screen: 5 rows, said to be the first of 40, the overview on its way.
        shown = [panel.model.row_at(r).client_id for r in range(panel.model.rowCount())]
        assert len(shown) == PAGE
        assert panel.count_label.text() == "The first 5 of 40 clients; loading the rest…"
        assert "Loading the caseload overview" in window.dashboard.counts.text()
        assert window.stack.currentWidget() is window.dashboard  # not the first-run page
        window.grab().save(str(artifacts / "launch_first_screen.png"))
        # Logged once those rows had been painted (the moment the list is on screen).
        (line, (rows, painted)) = next(x for x in lines.lines if "client list shown" in x[0])
        assert line == "client list shown: 40 clients"
        assert rows == PAGE and painted >= 1
        assert window.workspace.checking  # the check waits for the whole first load

        rest.set()
        qtbot.waitUntil(lambda: not window.clients.loading)
        everyone = [panel.model.row_at(r).client_id for r in range(panel.model.rowCount())]
        assert everyone[:PAGE] == shown  # the same clients first, in the same order
        assert panel.model.total_count() == 40
        assert "of 40 clients shown" in panel.count_label.text()
        assert any(m == "client list complete: 40 clients" for m, _ in lines.lines)
        assert window.dashboard.dashboard is not None  # the overview is in
        qtbot.waitUntil(lambda: not window.workspace.checking)  # then the check has run
        assert [e.action for e in audit.history(window.db)][-1] == "unlock"
    finally:
        rest.set()
        _close(window)


def test_finding_before_the_rest_has_come_finds_among_everyone_once_it_has(
    qtbot: QtBot, demo_db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clients_controller, "FIRST_SCREEN_ROWS", PAGE)
    rest = threading.Event()
    monkeypatch.setattr(
        clients_controller, "_whole_list", _held(clients_controller._whole_list, rest)
    )
    window = MainWindow(open_database(demo_db_path), None, check_first=True)
    qtbot.addWidget(window)
    panel = window.client_list
    window.show()
    try:
        qtbot.waitUntil(lambda: panel.loading_total == 40)
        panel.set_status(None)
        qtbot.keyClicks(panel.filter_edit, "a")  # typed while only 5 clients are in
        assert panel.model.rowCount() <= PAGE
        rest.set()
        qtbot.waitUntil(lambda: not window.clients.loading)
        names = [panel.model.row_at(r).display_name for r in range(panel.model.rowCount())]
        everyone = [panel.model.row_at(r) for r in range(panel.model.rowCount())]
        assert len(names) > PAGE and all(
            "a" in n.lower() or "a" in r.code.lower() for n, r in zip(names, everyone, strict=True)
        )
    finally:
        rest.set()
        _close(window)


def test_nothing_is_written_before_the_check_and_a_record_waits_for_it(
    qtbot: QtBot, demo_db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_database(demo_db_path)
    checked = threading.Event()  # holds SQLite's quick check on its thread
    quick_check = db.quick_check

    def held_check() -> list[str]:
        checked.wait()
        return quick_check()

    monkeypatch.setattr(db, "quick_check", held_check)
    before = _digests(demo_db_path)
    window = MainWindow(db, None, check_first=True, failures_before=2)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: not window.clients.loading)
        assert window.client_list.model.total_count() == 40  # list and overview are in
        assert window.workspace.checking  # while the check is still held
        assert _digests(demo_db_path) == before  # nothing written meanwhile, not a byte
        client = window.client_list.model.row_at(0)

        # Opening a record writes to the audit log, so it waits for the check: the window
        # keeps going meanwhile (this timer fires inside the wait and lets the check end).
        QTimer.singleShot(0, checked.set)
        assert window.clients.show_client(client.client_id)
        assert window.detail.record is not None
        assert window.detail.record.client_id == client.client_id
        actions = [(e.action, e.detail) for e in audit.history(window.db)][-2:]
        assert actions == [("unlock", "window, after 2 wrong passphrases"), ("client_opened", "")]
    finally:
        checked.set()
        _close(window)


def _damage(path: Path) -> None:
    page = 4096
    middle = path.stat().st_size // 2 // page * page
    with path.open("r+b") as handle:
        handle.seek(middle)
        handle.write(b"\xa5" * page * 2)


def test_damage_found_after_the_list_offers_recovery_and_changes_nothing(
    qtbot: QtBot, demo_db_path: Path
) -> None:
    _damage(demo_db_path)
    before = _digests(demo_db_path)
    offered: list[str] = []

    def quit_changing_nothing(dialog: QWidget) -> None:
        assert isinstance(dialog, RecoveryDialog)
        offered.append(dialog.windowTitle())
        dialog.findChild(QPushButton, "recoveryQuitButton").click()  # type: ignore[union-attr]

    handle_modals([quit_changing_nothing])
    window = MainWindow(open_database(demo_db_path), None, check_first=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: bool(offered), timeout=20_000)
    qtbot.waitUntil(lambda: not window.isVisible())  # quitting closed the window
    wait_for_background_work()
    assert offered == ["Alliance Desktop: the database is damaged"]
    assert window.workspace.damage
    with pytest.raises(StorageError, match="damaged"):
        _ = window.workspace.db  # nothing may write to it
    after = _digests(demo_db_path)
    assert after == before  # not the unlock entry, not a summary, not a byte


def test_a_database_that_needs_no_check_loads_as_before(qtbot: QtBot, demo_db_path: Path) -> None:
    """Tests and other databases opened by a path that checked them: no background check."""
    db: Database = open_database(demo_db_path)
    window = MainWindow(db, None)
    qtbot.addWidget(window)
    window.show()
    try:
        qtbot.waitUntil(lambda: not window.clients.loading)
        assert not window.workspace.checking
        assert window.db is db
        active = [
            window.client_list.model.row_at(r).status
            for r in range(window.client_list.model.rowCount())
        ]
        assert set(active) <= {ClientStatus.ACTIVE, ClientStatus.PAUSED, ClientStatus.DISCHARGED}
    finally:
        _close(window)


def test_the_garbage_collector_is_back_on_when_the_window_cannot_open(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The launch pauses collecting until its first load is over; a launch that ends early
    must not leave it paused for the rest of the process."""
    from alliance_desktop import app
    from tests.ui.helpers import read_message

    not_a_db = tmp_path / "letter.db"
    not_a_db.write_text("Dear diary", encoding="utf-8")
    seen: list[str] = []
    handle_modals([read_message(seen)])
    assert app.run_gui(not_a_db) == 2
    assert gc.isenabled()
    assert seen  # (the plain message, as before)


def test_the_quicker_pyside_import_check_answers_as_pysides_own() -> None:
    """``app`` swaps PySide6's look at each imported module for one that reads the file's
    bytes (60 ms less start-up); the answers must be the same."""
    import sys

    import alliance_desktop.domain.scoring
    import alliance_desktop.ui.client_list
    from alliance_desktop import app

    feature = sys.modules["shibokensupport.feature"]
    assert feature._mod_uses_pyside is app._uses_pyside  # installed when ``app`` loads
    original = app._pyside_checks[0]
    for module in (alliance_desktop.ui.client_list, alliance_desktop.domain.scoring, sys, gc):
        assert app._uses_pyside(module) == original(module), module.__name__
    assert app._uses_pyside(alliance_desktop.ui.client_list)
    assert not app._uses_pyside(alliance_desktop.domain.scoring)


def test_a_window_closed_before_its_check_writes_nothing_afterwards(
    qtbot: QtBot, demo_db_path: Path
) -> None:
    """A load queued before the close must not reach the unchecked database through
    ``Workspace.db`` (it would recompute summaries in a file nobody checked)."""
    before = _digests(demo_db_path)
    window = MainWindow(open_database(demo_db_path), None, check_first=True)
    qtbot.addWidget(window)
    try:
        assert window.workspace.checking

        window.workspace.forget_check()  # what closing the window does

        with pytest.raises(StorageError, match="closed before its check"):
            _ = window.workspace.db
        assert not window.workspace.wait_for_check()
    finally:
        wait_for_background_work()
        window.workspace.unchecked_db.close()
    assert _digests(demo_db_path) == before


def test_locking_while_damage_is_known_locks_without_writing(
    qtbot: QtBot, demo_db_path: Path
) -> None:
    _damage(demo_db_path)
    before = _digests(demo_db_path)
    window = MainWindow(open_database(demo_db_path), None, check_first=True)
    qtbot.addWidget(window)
    try:
        assert not window.workspace.wait_for_check()  # damage found, recovery not yet shown

        assert window.security.lock()

        assert window.security.is_locked
    finally:
        wait_for_background_work()
        window.workspace.unchecked_db.close()
    assert _digests(demo_db_path) == before


@pytest.mark.parametrize("damaged", [False, True])
def test_damage_met_by_a_read_before_the_check_still_offers_recovery(
    qtbot: QtBot, demo_db_path: Path, damaged: bool
) -> None:
    """When a read while building the window fails (damage where the first reads go), the
    launch checks at once and offers the recovery dialog instead of only an error box."""
    from alliance_desktop.app import _window_after_damage
    from alliance_desktop.ui.unlock import Unlocked

    if damaged:
        _damage(demo_db_path)
    before = _digests(demo_db_path)
    offered: list[str] = []

    def quit_changing_nothing(dialog: QWidget) -> None:
        offered.append(dialog.windowTitle())
        dialog.findChild(QPushButton, "recoveryQuitButton").click()  # type: ignore[union-attr]

    handle_modals([quit_changing_nothing])
    window = _window_after_damage(Unlocked(open_database(demo_db_path), checked=False))

    if damaged:
        assert window is None
        assert offered == ["Alliance Desktop: the database is damaged"]
        assert _digests(demo_db_path) == before
    else:
        assert window is not None and not offered
        qtbot.addWidget(window)
        assert not window.workspace.checking  # checked already: no second check
        qtbot.waitUntil(lambda: not window.clients.loading)
        _close(window)
