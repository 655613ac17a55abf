"""The session editor driven as a therapist would, then checked in the database."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from alliance_desktop import app
from alliance_desktop.domain.instruments import INSTRUMENTS
from alliance_desktop.domain.scoring import score
from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.services import clients, drafts, sessions
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientFields
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.main_window import MainWindow
from alliance_desktop.ui.session_editor import SessionEditor
from tests.conftest import ARTIFACTS
from tests.keyed import TEST_PASSPHRASE, open_database
from tests.ui.helpers import handle_modals, shown_text

# Fixed moments, in the past (and far in the future), so the tests pass at any hour and day;
# a new session in the editor starts "now", after EARLIER.
EARLIER = datetime(2026, 11, 18, 10, 0)
INTAKE = date(2026, 9, 1)
FUTURE = datetime(2099, 1, 4, 10, 0)


def make_client(path: Path) -> int:
    """A client with one goal and one earlier session (SRS 38), stored through the services."""
    db = open_database(path)
    try:
        fields = ClientFields("C-0042", "Zoë", "Łukasiewicz", Approach.CBT, INTAKE)
        client_id = clients.create_client(db, fields).client_id
        clients.add_goal(db, client_id, "Sleep through the night", INTAKE)
        client = repository.load_client_tree(db, client_id)
        assert client is not None
        document = {
            "start": EARLIER.isoformat(timespec="minutes"),
            "measurements": [{"instrument_id": "SRS", "item_values": [9.5, 9.5, 9.5, 9.5]}],
        }
        sessions.record_session(db, client_id, sessions.parse_session(document, client))
        return client_id
    finally:
        db.close()


@pytest.fixture
def window(qtbot: QtBot, db_path: Path) -> Iterator[MainWindow]:
    make_client(db_path)
    main = app.build_main_window(db_path, passphrase=TEST_PASSPHRASE)
    main.show()
    qtbot.waitExposed(main)
    wait_for_background_work()
    qtbot.waitUntil(lambda: not main._loading)
    yield main
    for editor in list(main.editors):
        editor.discard_and_close()
    main.close()  # by hand: pytest-qt would close it before the editors are discarded
    main.deleteLater()
    wait_for_background_work()
    main.db.close()


def client_id_of(window: MainWindow) -> int:
    return repository.list_client_rows(window.db)[0].client_id


def open_new(window: MainWindow, qtbot: QtBot) -> SessionEditor:
    window.client_list.select_client(client_id_of(window))
    window.new_session_action.trigger()
    (editor,) = window.editors
    qtbot.waitExposed(editor)
    return editor


def field(editor: SessionEditor, name: str) -> QWidget:
    widget = editor.findChild(QWidget, name)
    assert widget is not None, name
    return widget


def type_into(qtbot: QtBot, editor: SessionEditor, name: str, text: str) -> None:
    widget = field(editor, name)
    assert isinstance(widget, QLineEdit)
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def use_only(editor: SessionEditor, *instrument_ids: str) -> None:
    for instrument_id, box in editor.instrument_boxes.items():
        box.setChecked(instrument_id in instrument_ids)


def test_record_a_session_whose_srs_is_under_the_cut_off(qtbot: QtBot, window: MainWindow) -> None:
    editor = open_new(window, qtbot)
    assert editor.objectName() == "sessionEditor"
    use_only(editor, "SRS", "GBO")
    for number, value in enumerate(("9", "8", "8.5", "7"), start=1):
        type_into(qtbot, editor, f"measure_SRS_{number}", value)
    type_into(qtbot, editor, "goal_1", "4")
    notes = field(editor, "notes")
    assert isinstance(notes, QPlainTextEdit)
    notes.setFocus()
    qtbot.keyClicks(notes, "Quiet at first")
    notes.insertPlainText(" · Ёлка, عائشة 🌱")  # keyClicks cannot type beyond Latin-1

    result = field(editor, "result_SRS")
    assert isinstance(result, QLabel)
    qtbot.waitUntil(lambda: "Total 32.5 of 40" in result.text())
    assert "goal 8 · task 8.5 · bond 9" in result.text()
    assert "down 5.5 since session 1" in result.text()
    assert "under the cut-off of 36" in result.text()
    alerts = field(editor, "sessionAlerts")
    assert isinstance(alerts, QLabel) and alerts.isVisible()
    assert re.search(r"⚠ Warning: SRS .*under the cut-off of 36", shown_text(alerts))
    editor.grab().save(str(ARTIFACTS / "session-editor.png"))

    save = editor.findChild(QPushButton, "saveSessionButton")
    assert save is not None
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert window.editors == []
    wait_for_background_work()
    qtbot.waitUntil(lambda: not window._loading)

    window.detail.tabs.setCurrentWidget(window.detail.sessions_tab)  # filled when shown
    table = window.detail.sessions_table
    assert table.rowCount() == 2
    assert table.item(0, 0).text() == "2"  # newest first
    stored = repository.load_client_tree(window.db, client_id_of(window))
    assert stored is not None
    latest = stored.sessions[-1]
    (srs,) = latest.measurements
    assert srs.item_values == [9, 8, 8.5, 7]
    assert latest.goal_ratings[0].rating == 4
    assert latest.notes == "Quiet at first · Ёлка, عائشة 🌱"
    assert drafts.unsaved_drafts(window.db) == []
    row = repository.list_client_rows(window.db, client_id=client_id_of(window))[0]
    assert row.summary is not None and row.summary.alliance_latest == 32.5


def test_problems_show_beside_their_fields_and_nothing_is_saved(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = open_new(window, qtbot)
    use_only(editor, "SRS")
    for number, value in enumerate(("9", "11", "9", ""), start=1):
        type_into(qtbot, editor, f"measure_SRS_{number}", value)
    editor._fields["start"].put(FUTURE.strftime("%Y-%m-%d %H:%M"))
    editor.save_button.click()
    message = field(editor, "measure_SRS_2Error")
    assert isinstance(message, QLabel) and message.isVisible()
    assert "SRS Goals and Topics: enter a number with at most 1 decimal from 0 to 10" in (
        message.text()
    )
    assert editor.focusWidget() is field(editor, "measure_SRS_2")
    type_into(qtbot, editor, "measure_SRS_2", "9")
    editor.save_button.click()
    assert "Enter all 4 SRS items" in field(editor, "measure_SRS_4Error").text()  # type: ignore[attr-defined]
    type_into(qtbot, editor, "measure_SRS_4", "9")
    editor.save_button.click()
    start_error = field(editor, "startError")
    assert isinstance(start_error, QLabel) and "in the future" in start_error.text()
    stored = repository.load_client_tree(window.db, client_id_of(window))
    assert stored is not None and len(stored.sessions) == 1


def test_cancelled_sessions_take_no_measures(qtbot: QtBot, window: MainWindow) -> None:
    editor = open_new(window, qtbot)
    use_only(editor, "SRS")
    type_into(qtbot, editor, "measure_SRS_1", "9")
    attendance = field(editor, "attendance")
    assert isinstance(attendance, QComboBox)
    attendance.setCurrentIndex(attendance.findData("cancelled"))
    assert not editor.measure_groups["SRS"].isVisible()
    assert not editor.instrument_boxes["SRS"].isEnabled()
    assert field(editor, "measuresOffNote").isVisible()
    assert not editor.rupture_box.isEnabled()
    editor.save_button.click()
    stored = repository.load_client_tree(window.db, client_id_of(window))
    assert stored is not None
    assert [(s.attendance.value, s.measurements) for s in stored.sessions[-1:]] == [
        ("cancelled", [])
    ]


def test_undo_and_redo_cover_every_field(qtbot: QtBot, window: MainWindow) -> None:
    editor = open_new(window, qtbot)
    use_only(editor, "SRS")
    type_into(qtbot, editor, "measure_SRS_1", "9")
    notes = field(editor, "notes")
    assert isinstance(notes, QPlainTextEdit)
    notes.setFocus()
    qtbot.keyClicks(notes, "first words")
    editor.rupture_box.setChecked(True)
    assert editor.undo_button.isEnabled()

    qtbot.keyClick(notes, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not editor.rupture_box.isChecked()
    qtbot.keyClick(editor.focusWidget(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert notes.toPlainText() == ""  # typing in one field is one step
    srs_1 = field(editor, "measure_SRS_1")
    assert isinstance(srs_1, QLineEdit) and srs_1.text() == "9"
    qtbot.keyClick(srs_1, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert srs_1.text() == ""
    assert not editor.is_dirty() or editor.current_form().instruments == ["SRS"]
    qtbot.keyClick(srs_1, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(srs_1, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert (srs_1.text(), notes.toPlainText()) == ("9", "first words")
    editor.redo_button.click()
    assert editor.rupture_box.isChecked()


def test_closing_with_changes_asks_save_discard_or_cancel(qtbot: QtBot, window: MainWindow) -> None:
    editor = open_new(window, qtbot)
    use_only(editor, "SRS")
    notes = field(editor, "notes")
    assert isinstance(notes, QPlainTextEdit)
    notes.setPlainText("something worth keeping")
    seen: list[str] = []

    def answer(button: QMessageBox.StandardButton) -> object:
        def handler(box: QWidget) -> None:
            assert isinstance(box, QMessageBox) and box.objectName() == "unsavedSessionBox"
            seen.append(box.text())
            assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
            box.button(button).click()

        return handler

    handle_modals([answer(QMessageBox.StandardButton.Cancel)])
    editor.cancel_button.click()
    assert editor.isVisible() and window.editors == [editor]
    assert "Save the session for C-0042 before closing?" in seen[0]

    editor.save_draft()
    assert len(drafts.unsaved_drafts(window.db)) == 1
    handle_modals([answer(QMessageBox.StandardButton.Discard)])
    editor.cancel_button.click()
    qtbot.waitUntil(lambda: window.editors == [])
    assert drafts.unsaved_drafts(window.db) == []
    stored = repository.load_client_tree(window.db, client_id_of(window))
    assert stored is not None and len(stored.sessions) == 1


def test_an_unchanged_editor_closes_without_asking(qtbot: QtBot, window: MainWindow) -> None:
    editor = open_new(window, qtbot)
    editor.cancel_button.click()
    assert window.editors == []


def test_a_draft_is_kept_within_two_seconds_of_the_last_keystroke(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = open_new(window, qtbot)
    tasks = field(editor, "tasks_agreed")
    assert isinstance(tasks, QPlainTextEdit)
    tasks.setFocus()
    qtbot.keyClicks(tasks, "Sleep diary every morning")
    typed = time.monotonic()
    qtbot.waitUntil(lambda: bool(drafts.unsaved_drafts(window.db)), timeout=3000)
    assert time.monotonic() - typed <= 2.0
    (draft,) = drafts.unsaved_drafts(window.db)
    assert draft.form.tasks_agreed == "Sleep diary every morning"
    assert "Draft saved at" in editor.draft_status.text()


def test_a_stored_session_opens_from_the_list_and_is_changed_in_place(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.client_list.select_client(client_id_of(window))
    window.detail.tabs.setCurrentWidget(window.detail.sessions_tab)
    table = window.detail.sessions_table
    table.selectRow(0)
    rect = table.visualRect(table.model().index(0, 1))
    # A real double-click is press, release, then double-click: the view checks the press.
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    (editor,) = window.editors
    assert editor.context.session_id is not None
    srs_1 = field(editor, "measure_SRS_1")
    assert isinstance(srs_1, QLineEdit) and srs_1.text() == "9.5"
    assert not editor.windowTitle().endswith("*")  # opened, not yet changed
    type_into(qtbot, editor, "measure_SRS_1", "8")
    assert editor.windowTitle().endswith(" *")
    field(editor, "client_feedback").setPlainText("The homework felt like a test.")  # type: ignore[attr-defined]
    editor.save_button.click()
    stored = repository.load_client_tree(window.db, client_id_of(window))
    assert stored is not None and len(stored.sessions) == 1
    (session,) = stored.sessions
    assert session.measurements[0].item_values == [8, 9.5, 9.5, 9.5]
    assert session.client_feedback == "The homework felt like a test."


def test_the_editors_keyboard_letters_are_unique(qtbot: QtBot, window: MainWindow) -> None:
    editor = open_new(window, qtbot)
    texts = [b.text() for b in editor.findChildren(QAbstractButton) if b.isVisibleTo(editor)]
    texts += [lb.text() for lb in editor.findChildren(QLabel) if lb.buddy() is not None]
    letters = [m.group(1).lower() for t in texts if (m := re.search(r"&([^&])", t))]
    assert len(letters) >= 10
    assert len(letters) == len(set(letters)), sorted(letters)
    for box in editor.findChildren(QCheckBox):
        assert box.accessibleName() or box.text()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    tenths=st.lists(st.integers(0, 100), min_size=4, max_size=4),
    comma=st.booleans(),
)
def test_any_typed_srs_shows_the_domain_score(
    qtbot: QtBot, window: MainWindow, tenths: list[int], comma: bool
) -> None:
    """Property: whatever valid values are typed, the live total is the domain's score."""
    editor = window.editors[0] if window.editors else open_new(window, qtbot)
    use_only(editor, "SRS")
    values = [t / 10 for t in tenths]
    for number, value in enumerate(values, start=1):
        text = f"{value:g}"
        type_into(qtbot, editor, f"measure_SRS_{number}", text.replace(".", ",") if comma else text)
    editor.refresh_preview()
    expected = score(INSTRUMENTS["SRS"], values).total
    assert expected is not None
    assert editor.results["SRS"].text().startswith(f"Total {expected:g} of 40")


def test_deleting_a_session_asks_first_and_renumbers(qtbot: QtBot, window: MainWindow) -> None:
    window.client_list.select_client(client_id_of(window))
    window.detail.tabs.setCurrentWidget(window.detail.sessions_tab)
    window.detail.sessions_table.selectRow(0)

    def cancel(box: QWidget) -> None:
        assert isinstance(box, QMessageBox) and box.objectName() == "confirmDeleteSessionBox"
        assert "session 1 of C-0042" in box.text()
        box.button(QMessageBox.StandardButton.Cancel).click()

    handle_modals([cancel])
    window.delete_session_action.trigger()
    db: Database = window.db
    stored = repository.load_client_tree(db, client_id_of(window))
    assert stored is not None and len(stored.sessions) == 1

    def confirm(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        (delete,) = [b for b in box.buttons() if b.text() == "Delete permanently"]
        delete.click()

    handle_modals([confirm])
    window.delete_session_action.trigger()
    wait_for_background_work()
    qtbot.waitUntil(lambda: not window._loading)
    stored = repository.load_client_tree(db, client_id_of(window))
    assert stored is not None and stored.sessions == []
    assert window.detail.sessions_table.rowCount() == 0


def test_typing_undone_leaves_no_draft_behind(qtbot: QtBot, window: MainWindow) -> None:
    editor = open_new(window, qtbot)
    assert not editor.is_dirty()  # opened and untouched is unchanged
    notes = field(editor, "notes")
    assert isinstance(notes, QPlainTextEdit)
    notes.setFocus()
    qtbot.keyClicks(notes, "a thought")
    editor.save_draft()
    assert len(drafts.unsaved_drafts(window.db)) == 1
    editor.undo_button.click()
    assert not editor.is_dirty()
    editor.cancel_button.click()  # closes without asking: nothing is unsaved
    assert window.editors == []
    assert drafts.unsaved_drafts(window.db) == []
