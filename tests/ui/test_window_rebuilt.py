"""The window rebuilt (issue 15): typed changes refresh every view, a restore shows the
restored records, confirmations stay readable, no printer or viewer is said plainly, the
first report asks for the practice name, export and import from the File menu, forms that
the wheel cannot change by accident. Each checked on the real database afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QStatusTipEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from alliance_desktop import app
from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.services import backups as backup_service
from alliance_desktop.services import clients as client_service
from alliance_desktop.services import settings as settings_service
from alliance_desktop.services.changes import Change, Changed, ChangeKind
from alliance_desktop.services.database import ClientFields
from alliance_desktop.storage.backup import KdfParams
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.backup_dialogs import RestoreDialog
from alliance_desktop.ui.controllers.clients import PAGE_CLIENT, PAGE_OVERVIEW
from alliance_desktop.ui.dialogs import ClientDialog
from alliance_desktop.ui.main_window import MainWindow
from alliance_desktop.ui.preferences import PreferencesDialog
from alliance_desktop.ui.printing import printers_installed
from alliance_desktop.ui.report_dialog import ReportDialog
from tests.keyed import TEST_PASSPHRASE
from tests.records import record
from tests.ui.helpers import handle_modals, press, read_message

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)  # tests only
NOW = datetime(2026, 11, 20, 18, 0)
ONE = ClientFields(
    code="Z-1",
    given_name="Zoë",
    family_name="Łukasiewicz",
    approach=Approach.CBT,
    intake_date=date(2026, 3, 4),
    phone="07700 900123",
)


def _loaded(qtbot: QtBot, window: MainWindow) -> None:
    wait_for_background_work()
    qtbot.waitUntil(lambda: not window.clients.loading)
    wait_for_background_work()
    qtbot.waitUntil(lambda: not window.clients.loading)


def _back_up_to_stick(window: MainWindow, tmp_path: Path) -> None:
    """A backup of the window's database on a folder standing in for the USB stick."""
    stick = tmp_path / "THERAPY"
    stick.mkdir()
    backup_service.back_up(window.db, stick, TEST_PASSPHRASE, kdf=FAST)


def _restore_the_one_backup(qtbot: QtBot, window: MainWindow) -> None:
    """Restore the only backup in the folder through the Restore dialog, as a user would."""
    dialog = window.backups.open_restore_dialog()
    assert isinstance(dialog, RestoreDialog)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
    dialog.table.selectRow(0)
    handle_modals([press("Restore")])
    dialog.restore_button.click()
    qtbot.waitUntil(lambda: "Restored 1 client " in dialog.message.text(), timeout=60_000)
    _loaded(qtbot, window)
    dialog.close()


@pytest.fixture
def one_client_window(qtbot: QtBot, db_path: Path) -> Iterator[MainWindow]:
    """A window on a new database holding one client (no practice name yet)."""
    from tests.keyed import open_database

    db = open_database(db_path)
    client_service.create_client(db, ONE, today=NOW.date())
    db.close()
    window = app.build_main_window(db_path, passphrase=TEST_PASSPHRASE, today=NOW.date)
    window.show()
    qtbot.waitExposed(window)
    _loaded(qtbot, window)
    yield window
    for editor in list(window.editors):
        editor.discard_and_close()
    wait_for_background_work()
    window.backups.close_after_backup = None
    Path(f"{window.db.path}.last-backup.json").unlink(missing_ok=True)
    window.close()
    window.db.close()


def test_changes_say_what_they_touched() -> None:
    saved = Change("session_added", 3)
    assert saved.kind is ChangeKind.SESSION_ADDED
    assert saved.what & Changed.SESSIONS and saved.what & Changed.CLIENT_LIST
    assert not saved.what & Changed.DATABASE
    assert saved.touches(3) and not saved.touches(4) and not saved.touches(None)
    restored = Change.database(replaced=True)
    assert restored.kind is ChangeKind.DATABASE_REPLACED
    assert restored.touches(4) and restored.touches(None)
    assert Change.settings().touches(7)  # alert thresholds re-word every record
    with pytest.raises(ValueError):
        Change("client_renamed", 1)  # a typo in a service fails at once


def test_a_restore_shows_the_restored_record_and_offers_no_backup_on_exit(
    qtbot: QtBot, one_client_window: MainWindow, tmp_path: Path
) -> None:
    window = one_client_window
    db = window.db
    (client_id,) = [window.client_list.model.row_at(0).client_id]
    record(db, client_id, date(2026, 11, 2), NOW, SRS=[8, 8, 8, 8])
    _back_up_to_stick(window, tmp_path)
    window.clients.reveal_client(client_id)
    assert window.stack.currentIndex() == PAGE_CLIENT
    # After the backup: a new phone number and a second session, shown in the record.
    fields = replace(window.detail.record.fields, phone="01632 960999")  # type: ignore[union-attr]
    window.workspace.announce(client_service.update_client(db, client_id, fields))
    record(db, client_id, date(2026, 11, 9), NOW, SRS=[9, 9, 9, 9])
    window.workspace.announce(Change("session_added", client_id))
    _loaded(qtbot, window)
    assert window.detail.record.fields.phone == "01632 960999"  # type: ignore[union-attr]
    assert len(window.detail.record.sessions) == 2  # type: ignore[union-attr]

    _restore_the_one_backup(qtbot, window)
    # The record on screen is the restored one: the old phone, one session.
    shown = window.detail.record
    assert shown is not None and shown.client_id == client_id
    assert shown.fields.phone == "07700 900123" and len(shown.sessions) == 1
    texts = " ".join(label.text() for label in window.detail.findChildren(QLabel))
    assert "07700 900123" in texts and "01632 960999" not in texts
    window.detail.tabs.setCurrentWidget(window.detail.sessions_tab)
    assert window.detail.sessions_table.rowCount() == 1
    assert window.stack.currentIndex() == PAGE_CLIENT
    assert "Restored 1 client and 1 session from" in window.statusBar().currentMessage()
    # The database now equals a backup: no "records changed since the last backup".
    last = backup_service.last_backup(db.path)
    assert last is not None and not backup_service.changed_since(db.path, last)


def test_a_restore_without_the_open_client_leaves_their_record(
    qtbot: QtBot, one_client_window: MainWindow, tmp_path: Path
) -> None:
    window = one_client_window
    _back_up_to_stick(window, tmp_path)
    later = client_service.create_client(
        window.db, replace(ONE, code="Z-2", given_name="Ёлка"), today=NOW.date()
    )
    window.workspace.announce(later)
    _loaded(qtbot, window)
    window.clients.reveal_client(later.client_id)
    assert window.detail.record is not None and window.detail.record.fields.code == "Z-2"
    _restore_the_one_backup(qtbot, window)
    assert window.detail.record is None  # Z-2 is not in the backup: not shown as if it were
    assert window.stack.currentIndex() == PAGE_OVERVIEW
    assert window.client_list.model.total_count() == 1


def test_the_status_bar_gives_messages_room_and_speaks_in_plurals(
    one_client_window: MainWindow,
) -> None:
    window = one_client_window
    assert window.database_status.text() == "1 client (1 active)"
    assert str(window.db.path) not in window.database_status.text()
    assert str(window.db.path) in window.database_status.toolTip()
    window.workspace.say("Backed up 1 client and 3 sessions to THERAPY, verified.")
    assert "THERAPY" in window.statusBar().currentMessage()


def test_print_without_a_printer_says_so_and_offers_save_pdf(
    qtbot: QtBot, demo_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if printers_installed():
        pytest.skip("this machine has a printer; the test is about having none")
    client_id = demo_window.client_list.model.row_at(0).client_id
    target = tmp_path / "progress.pdf"
    monkeypatch.setattr(
        "alliance_desktop.ui.report_dialog.ask_pdf_path", lambda *_args, **_kw: target
    )
    seen: list[str] = []

    def no_printer(box: QWidget) -> None:
        assert isinstance(box, QMessageBox) and box.objectName() == "noPrinterBox"
        seen.append(box.text())
        (save,) = [b for b in box.buttons() if b.text() == "Save PDF…"]
        save.click()

    def report(dialog: QWidget) -> None:
        assert isinstance(dialog, ReportDialog)
        dialog.open_after.setChecked(False)
        handle_modals([no_printer])
        dialog.print_button.click()
        # Written on the database thread, the dialog waiting (disabled) until it is done.
        qtbot.waitUntil(lambda: dialog.saved_to == target, timeout=30_000)
        assert dialog.isEnabled()
        dialog.reject()

    handle_modals([report])
    demo_window.reports.progress_report(client_id)
    assert seen == ["No printer is installed on this computer."]
    assert target.read_bytes().startswith(b"%PDF")


def test_a_saved_pdf_with_no_viewer_says_where_it_is(
    qtbot: QtBot, one_client_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The seam: the desktop has no program for PDFs (openUrl reports failure).
    monkeypatch.setattr(
        "alliance_desktop.ui.controllers.workspace.QDesktopServices.openUrl", lambda _url: False
    )
    pdf = tmp_path / "Z-1-progress.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    said: list[str] = []
    handle_modals([read_message(said)])
    one_client_window.workspace.open_file(pdf, "The progress summary")
    assert said and "no program to open it was found" in said[0]
    assert str(tmp_path) in said[0] and "Z-1-progress.pdf" in said[0]


def test_the_first_report_asks_for_the_practice_name(
    qtbot: QtBot, one_client_window: MainWindow
) -> None:
    window = one_client_window
    (client_id,) = [window.client_list.model.row_at(0).client_id]
    window.client_list.select_client(client_id)
    order: list[str] = []

    def ask(box: QWidget) -> None:
        assert isinstance(box, QMessageBox) and box.objectName() == "practiceNameBox"
        order.append("asked")
        (details,) = [b for b in box.buttons() if b.text() == "Enter practice details…"]
        details.click()

    def preferences(dialog: QWidget) -> None:
        assert isinstance(dialog, PreferencesDialog)
        dialog.practice_name.setText("Łukasz & Zoë Counselling")
        dialog.accept()

    def report(dialog: QWidget) -> None:
        assert isinstance(dialog, ReportDialog)
        order.append("report")
        dialog.reject()

    handle_modals([ask, preferences, report])
    window.progress_report_action.trigger()
    assert order == ["asked", "report"]
    assert settings_service.load_practice(window.db).practice_name == "Łukasz & Zoë Counselling"
    # Named now: the next report goes straight to its dialog.
    handle_modals([report])
    window.progress_report_action.trigger()
    assert order == ["asked", "report", "report"]


def test_export_and_import_from_the_file_menu(
    qtbot: QtBot,
    demo_window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "everyone.json"
    monkeypatch.setattr(
        "alliance_desktop.ui.controllers.backups.QFileDialog.getSaveFileName",
        lambda *_a, **_k: (str(target), "JSON, can be imported again (*.json)"),
    )
    file_menu = next(a.menu() for a in demo_window.menuBar().actions() if a.text() == "&File")
    entries = [a.text() for a in file_menu.actions()]  # type: ignore[union-attr]
    assert "E&xport all clients (JSON or CSV)…" in entries
    assert "&Import clients from an export…" in entries
    said: list[str] = []
    handle_modals([read_message(said)])
    demo_window.export_data_action.trigger()
    qtbot.waitUntil(lambda: bool(said), timeout=60_000)
    assert "Exported 40 clients" in said[0] and "not encrypted" in said[0]
    assert len(json.loads(target.read_text(encoding="utf-8"))["clients"]) == 40

    # Import it into a new, empty practice database.
    fresh = app.build_main_window(tmp_path / "new.db", passphrase=TEST_PASSPHRASE)
    try:
        fresh.show()
        qtbot.waitExposed(fresh)
        _loaded(qtbot, fresh)
        assert fresh.client_list.model.total_count() == 0
        monkeypatch.setattr(
            "alliance_desktop.ui.controllers.backups.QFileDialog.getOpenFileName",
            lambda *_a, **_k: (str(target), ""),
        )
        fresh.import_data_action.trigger()
        qtbot.waitUntil(lambda: fresh.client_list.model.total_count() == 40, timeout=60_000)
        assert "Imported 40 clients" in fresh.statusBar().currentMessage()
    finally:
        wait_for_background_work()
        fresh.close()
        fresh.db.close()


def _wheel(widget: QWidget, notches: int = -2) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(widget.rect().center())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_client_form_is_not_changed_by_the_wheel_and_clears_fixed_messages(
    qtbot: QtBot, one_client_window: MainWindow
) -> None:
    dialog = ClientDialog(one_client_window, suggested_code="Z-2", today=NOW.date())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.code.setFocus()
    status, approach = dialog.status.currentIndex(), dialog.approach.currentIndex()
    _wheel(dialog.status)
    _wheel(dialog.approach)
    assert (dialog.status.currentIndex(), dialog.approach.currentIndex()) == (status, approach)
    dialog.errors.show({"code": "Give the client a code.", "email": "Not an e-mail address."})
    assert dialog.errors.message("code") and dialog.errors.message("email")
    dialog.code.setText("Z-3")
    assert not dialog.errors.message("code")  # typed into: its message goes
    assert dialog.errors.message("email")  # the other stays until its field changes


def test_views_follow_a_change_to_another_client_and_re_word_on_settings(
    qtbot: QtBot, demo_window: MainWindow
) -> None:
    rows = [demo_window.client_list.model.row_at(i) for i in range(2)]
    demo_window.clients.reveal_client(rows[0].client_id)
    _loaded(qtbot, demo_window)
    shown = demo_window.detail.record
    assert shown is not None and shown.client_id == rows[0].client_id
    # A goal saved for another client (from their record, or an editor): the window
    # follows it to that client, selected in the list.
    demo_window.clients.on_change(Change("goals_changed", rows[1].client_id))
    _loaded(qtbot, demo_window)
    assert demo_window.detail.record is not None
    assert demo_window.detail.record.client_id == rows[1].client_id
    assert demo_window.client_list.selected_client_id() == rows[1].client_id
    # A settings change re-shows the same client (a new record object, re-worded alerts).
    before = demo_window.detail.record
    demo_window.clients.on_change(Change.settings())
    _loaded(qtbot, demo_window)
    after = demo_window.detail.record
    assert after is not None and after is not before and after.client_id == rows[1].client_id


def test_a_client_added_from_the_overview_is_selected_and_shown(
    qtbot: QtBot, demo_window: MainWindow
) -> None:
    demo_window.client_list.table.clearSelection()
    _loaded(qtbot, demo_window)
    assert demo_window.stack.currentIndex() == PAGE_OVERVIEW
    demo_window.client_list.filter_edit.setText("Zzz")  # a filter that would hide them
    added = client_service.create_client(demo_window.db, replace(ONE, code="Z-9"))
    demo_window.workspace.announce(added)
    _loaded(qtbot, demo_window)
    assert demo_window.client_list.selected_client_id() == added.client_id
    assert demo_window.detail.record is not None and demo_window.detail.record.fields.code == "Z-9"
    assert demo_window.stack.currentIndex() == PAGE_CLIENT


def test_another_database_never_shows_a_record_by_the_old_id(
    qtbot: QtBot, one_client_window: MainWindow, tmp_path: Path
) -> None:
    """Ids mean nothing across databases: the record shown is left, not looked up again."""
    from tests.keyed import open_database

    window = one_client_window
    other_path = tmp_path / "other.db"
    other = open_database(other_path)
    client_service.create_client(other, replace(ONE, code="O-1", given_name="Ёлка"))
    other.close()
    (client_id,) = [window.client_list.model.row_at(0).client_id]
    window.clients.reveal_client(client_id)
    assert window.detail.record is not None
    window.practice.switch_database(other_path)
    _loaded(qtbot, window)
    assert window.db.path == other_path
    assert window.detail.record is None  # not the other database's client number 1
    assert window.stack.currentIndex() == PAGE_OVERVIEW


def test_a_closed_database_refuses_instead_of_reopening(db_path: Path) -> None:
    from alliance_desktop.services.database import DatabaseClosed
    from tests.keyed import open_database

    db = open_database(db_path)
    client_id = client_service.create_client(db, ONE, today=NOW.date()).client_id
    db.close()
    with pytest.raises(DatabaseClosed, match="closed"):
        client_service.client_record(db, client_id)


def test_restore_waits_for_a_running_backup(
    qtbot: QtBot, one_client_window: MainWindow, tmp_path: Path
) -> None:
    window = one_client_window
    _back_up_to_stick(window, tmp_path)
    dialog = window.backups.open_restore_dialog()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1)
    dialog.table.selectRow(0)
    window.backups.backup_running = True  # as while "Back up now" is writing
    try:
        dialog.restore_button.click()
        assert "backup is still being written" in dialog.message.text()
        assert window.db.path.exists() and window.isEnabled()
        assert window.detail.record is None or window.detail.record.client_id
    finally:
        window.backups.backup_running = False
    dialog.close()


def test_new_session_with_no_clients_says_to_add_one_first(
    qtbot: QtBot, open_empty_window: MainWindow
) -> None:
    said: list[str] = []
    handle_modals([read_message(said)])
    open_empty_window.new_session_action.trigger()
    assert said and said[0].startswith("There are no clients yet. Add one first")
    assert open_empty_window.editors == []


@pytest.fixture
def open_empty_window(qtbot: QtBot, db_path: Path) -> Iterator[MainWindow]:
    window = app.build_main_window(db_path, passphrase=TEST_PASSPHRASE)
    window.show()
    qtbot.waitExposed(window)
    _loaded(qtbot, window)
    yield window
    wait_for_background_work()
    window.close()
    window.db.close()


def test_the_field_a_form_opens_in_is_not_changed_by_the_wheel(
    qtbot: QtBot, one_client_window: MainWindow
) -> None:
    """The new-session editor opens with the cursor in its date: the pointer resting over
    that field must not move the session by years when the wheel turns (found on Xvfb)."""
    window = one_client_window
    client_id = window.client_list.model.row_at(0).client_id
    editor = window.sessions.new_session(client_id)
    assert editor is not None
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    qtbot.waitUntil(lambda: editor.focusWidget() is not None)
    focused = editor.focusWidget()
    field = focused.parentWidget() if focused is editor.start_edit.lineEdit() else focused
    assert field is editor.start_edit  # where a new session's form puts the cursor
    before = editor.start_edit.dateTime()
    _wheel(editor.start_edit, 2)
    assert editor.start_edit.dateTime() == before
    # Clicked into, it is the therapist's field and the wheel may change it.
    qtbot.mouseClick(editor.start_edit.lineEdit(), Qt.MouseButton.LeftButton)
    _wheel(editor.start_edit, 1)
    assert editor.start_edit.dateTime() != before


def test_passing_over_the_menus_leaves_the_confirmation_readable(
    qtbot: QtBot, one_client_window: MainWindow
) -> None:
    window = one_client_window
    window.workspace.say("Backed up 1 client and 3 sessions to THERAPY, verified.")
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    QApplication.sendEvent(window, QStatusTipEvent(""))  # what hovering a menu entry sends
    file_menu.setActiveAction(file_menu.actions()[0])  # type: ignore[union-attr]
    assert "THERAPY" in window.statusBar().currentMessage()


def test_import_into_a_database_with_clients_says_why_before_asking_for_a_file(
    qtbot: QtBot, one_client_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(
        "alliance_desktop.ui.controllers.backups.QFileDialog.getOpenFileName",
        lambda *_a, **_k: asked.append("file") or ("", ""),
    )
    said: list[str] = []
    handle_modals([read_message(said)])
    one_client_window.import_data_action.trigger()
    assert said and "database with no clients yet" in said[0]
    assert asked == []  # refused before the file dialog, not after
    assert one_client_window.client_list.model.total_count() == 1


def test_a_form_hidden_by_the_lock_comes_back_and_saves_after_unlock(
    qtbot: QtBot, one_client_window: MainWindow
) -> None:
    """Locking hides a half-typed client form; after the unlock it is back as typed and its
    Save works, on the database the unlock opened (review)."""
    window = one_client_window
    seen: list[str] = []

    def type_then_lock(dialog: QWidget) -> None:
        assert isinstance(dialog, ClientDialog)
        dialog.code.setText("Z-7")
        dialog.given_name.setText("Ёлка")
        assert window.security.lock()
        seen.append("locked")
        QTimer.singleShot(200, lambda: seen.append(window.security.unlock(TEST_PASSPHRASE)))

    def save_after_unlock(dialog: QWidget) -> None:
        assert isinstance(dialog, ClientDialog)
        assert dialog.code.text() == "Z-7" and dialog.given_name.text() == "Ёлка"
        dialog.accept()

    handle_modals([type_then_lock, save_after_unlock])
    window.new_client_action.trigger()
    assert seen == ["locked", ""]
    _loaded(qtbot, window)
    codes = {window.client_list.model.row_at(i).code for i in range(2)}
    assert codes == {"Z-1", "Z-7"}


def test_windows_leave_room_for_a_task_bar(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1280x720 screen with a 40-pixel task bar: a dialog asking for more is shrunk to the
    free area, with room left for the window manager's title bar and borders."""
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QDialog

    from alliance_desktop.ui import widgets

    monkeypatch.setattr(widgets, "available_area", lambda _w: QRect(0, 0, 1280, 680))
    dialog = QDialog()
    qtbot.addWidget(dialog)
    widgets.fit_to_screen(dialog, 1040, 760)
    frame_w, frame_h = widgets.FRAME_ALLOWANCE
    assert (dialog.width(), dialog.height()) == (1040, 680 - frame_h)
    widgets.fit_to_screen(dialog, 1400, 500)
    assert (dialog.width(), dialog.height()) == (1280 - frame_w, 500)


def test_a_backup_of_another_database_is_marked_and_the_restore_says_so(
    qtbot: QtBot, one_client_window: MainWindow, tmp_path: Path
) -> None:
    from tests.keyed import open_database

    window = one_client_window
    stick = tmp_path / "THERAPY"
    stick.mkdir()
    backup_service.back_up(window.db, stick, TEST_PASSPHRASE, kdf=FAST)  # ours: an identity
    other = open_database(tmp_path / "demo-like.db")
    client_service.create_client(other, replace(ONE, code="D-1"), today=NOW.date())
    backup_service.back_up(other, stick, TEST_PASSPHRASE, kdf=FAST)
    other.close()
    dialog = window.backups.open_restore_dialog()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2)
    marked = [
        dialog.table.item(row, 0).text()
        for row in range(2)
        if "(another database)" in dialog.table.item(row, 0).text()
    ]
    assert len(marked) == 1
    said: list[str] = []

    def read_then_cancel(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        said.append(box.informativeText())
        box.reject()

    for row in range(2):
        dialog.table.selectRow(row)
        handle_modals([read_then_cancel])
        dialog.restore_button.click()
    assert sum("different database" in text for text in said) == 1
    assert window.client_list.model.row_at(0).code == "Z-1"  # cancelled: nothing replaced
    dialog.close()
