"""The session editor driven as a therapist would, then checked in the database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from PySide6.QtCore import QDateTime, QPoint, QPointF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialogButtonBox,
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
from alliance_desktop.storage.errors import StorageError
from alliance_desktop.storage.records import ClientFields
from alliance_desktop.ui import session_editor
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.main_window import MainWindow
from alliance_desktop.ui.session_editor import SessionEditor, SummaryOptionsDialog
from tests.conftest import ARTIFACTS, SCREENS
from tests.keyed import TEST_PASSPHRASE, open_database
from tests.ui.helpers import handle_modals, read_message, shown_text

# Fixed moments, in the past (and far in the future), so the tests pass at any hour and day;
# a new session in the editor starts "now", after EARLIER.
EARLIER = datetime(2026, 11, 18, 10, 0)
INTAKE = date(2026, 9, 1)
FUTURE = datetime(2099, 1, 4, 10, 0)
LATER = datetime(2026, 11, 25, 10, 0)  # after EARLIER, and long past when these tests run


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
    qtbot.waitUntil(lambda: not main.clients.loading)
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


def open_stored(window: MainWindow, qtbot: QtBot) -> SessionEditor:
    """Open the client's newest stored session with a double-click on the Sessions tab."""
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
    qtbot.waitExposed(editor)
    return editor


def click_button(name: str) -> Callable[[QWidget], None]:
    """A modal handler that clicks the button with this object name."""

    def handler(box: QWidget) -> None:
        button = box.findChild(QAbstractButton, name)
        assert button is not None, name
        button.click()

    return handler


def stored_sessions(window: MainWindow) -> list[Any]:
    tree = repository.load_client_tree(window.db, client_id_of(window))
    assert tree is not None
    return tree.sessions


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


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
    qtbot.waitUntil(lambda: not window.clients.loading)

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
    handle_modals([click_button("changeAttendanceButton")])  # the typed SRS: asked first
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
    qtbot.waitUntil(lambda: not window.clients.loading)
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


# -- the wheel --------------------------------------------------------------------------


def wheel_over(editor: SessionEditor, widget: QWidget, notches: int) -> None:
    """Turn the wheel with the pointer over ``widget`` as the window system delivers it: a
    spontaneous event, which Qt offers to the parents when the field ignores it (an event
    sent with QApplication.sendEvent never reaches the scroll area)."""
    centre = widget.mapTo(editor, widget.rect().center())
    QTest.wheelEvent(editor.windowHandle(), QPointF(centre), QPoint(0, 120 * notches))


def value_of(widget: QWidget) -> object:
    if isinstance(widget, QDateTimeEdit):
        return widget.dateTime()
    assert isinstance(widget, QComboBox)
    return widget.currentData()


def test_the_wheel_scrolls_the_form_past_unfocused_fields(qtbot: QtBot, window: MainWindow) -> None:
    editor = open_new(window, qtbot)
    use_only(editor, *editor.instrument_boxes)
    bar = editor.form_scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)  # the form is taller than its view
    item = field(editor, "measure_CORE-10_6")
    assert isinstance(item, QComboBox)
    # A date and time field is a spin box, so the guard on spin boxes covers it.
    assert isinstance(editor.start_edit, QAbstractSpinBox)
    fields: list[QWidget] = [editor.attendance_combo, item, editor.start_edit]
    for widget in fields:
        editor.form_scroll.ensureWidgetVisible(widget)
        editor.save_button.setFocus()
        qtbot.waitUntil(lambda w=widget: not w.hasFocus())
        before, scrolled = value_of(widget), bar.value()
        wheel_over(editor, widget, -1 if scrolled < bar.maximum() else 1)
        assert value_of(widget) == before, widget.objectName()
        assert bar.value() != scrolled, widget.objectName()  # the page moved instead
    # Once a field has focus (a click, Tab), the wheel is the field's; attendance last, as
    # Cancelled hides the questionnaires.
    for widget in (item, editor.start_edit, editor.attendance_combo):
        editor.form_scroll.ensureWidgetVisible(widget)
        widget.setFocus(Qt.FocusReason.TabFocusReason)  # reached with Tab
        qtbot.waitUntil(widget.hasFocus)
        before, scrolled = value_of(widget), bar.value()
        if widget is editor.attendance_combo:  # the wheel typed a CORE-10 answer: asked
            handle_modals([click_button("changeAttendanceButton")])
        wheel_over(editor, widget, -1)
        assert value_of(widget) != before, widget.objectName()
        assert bar.value() == scrolled, widget.objectName()
    assert editor.attendance_combo.currentData() == "cancelled"
    assert editor.current_form().items["CORE-10"][5] == "0"


# -- attendance -------------------------------------------------------------------------


def test_marking_a_rated_session_cancelled_asks_and_keeps_the_ratings(
    qtbot: QtBot, window: MainWindow, artifacts: Path
) -> None:
    editor = open_new(window, qtbot)
    use_only(editor, "SRS", "GBO")
    for number, value in enumerate(("9", "8", "8.5", "7"), start=1):
        type_into(qtbot, editor, f"measure_SRS_{number}", value)
    type_into(qtbot, editor, "goal_1", "4")
    typed = editor.current_form().to_dict()
    steps = editor.undo_stack.count()
    attendance = editor.attendance_combo

    def look_then_escape(box: QWidget) -> None:
        assert isinstance(box, QMessageBox) and box.objectName() == "attendanceChangeBox"
        keep = box.findChild(QAbstractButton, "keepAttendedButton")
        assert box.defaultButton() is keep and box.escapeButton() is keep
        assert box.text() == "Mark this session as cancelled?"
        assert "the SRS and the goal ratings typed here will not be saved" in (
            box.informativeText()
        )
        box.grab().save(str(artifacts / "session-editor-attendance-box.png"))
        qtbot.keyClick(box, Qt.Key.Key_Escape)  # Escape keeps the session attended

    handle_modals([look_then_escape])
    attendance.setFocus()
    qtbot.keyClick(attendance, Qt.Key.Key_Down)  # Attended → Cancelled, from the keyboard
    assert attendance.currentData() == "attended"
    assert editor.undo_stack.count() == steps  # kept: no step in the history
    assert editor.measure_groups["SRS"].isVisible()
    assert editor.current_form().to_dict() == typed

    handle_modals([click_button("changeAttendanceButton")])
    qtbot.keyClick(attendance, Qt.Key.Key_Down)
    assert attendance.currentData() == "cancelled"
    assert not editor.measure_groups["SRS"].isVisible()
    assert not editor.measure_groups["GBO"].isVisible()
    assert field(editor, "measuresOffNote").isVisible()
    hidden = editor.current_form()
    assert hidden.items["SRS"] == ["9", "8", "8.5", "7"] and hidden.goal_ratings == {"1": "4"}

    qtbot.keyClick(attendance, Qt.Key.Key_Up)  # back to Attended: nothing to ask
    assert editor.current_form().to_dict() == typed  # every rating back, exactly
    assert editor.measure_groups["SRS"].isVisible()
    srs_3 = field(editor, "measure_SRS_3")
    assert isinstance(srs_3, QLineEdit) and srs_3.text() == "8.5"

    handle_modals([click_button("changeAttendanceButton")])
    qtbot.keyClick(attendance, Qt.Key.Key_Down)
    assert attendance.currentData() == "cancelled"
    # Undo and redo replay the change without asking again.
    qtbot.keyClick(attendance, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.current_form().to_dict() == typed
    qtbot.keyClick(attendance, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert attendance.currentData() == "cancelled"
    assert editor.current_form().items["SRS"] == ["9", "8", "8.5", "7"]

    # Offscreen Qt gives no window the focus back when a message box closes (a window
    # manager gives it to the editor); a shortcut needs its window active.
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    qtbot.keyClick(attendance, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.editors == []
    latest = stored_sessions(window)[-1]
    assert (latest.attendance.value, latest.measurements, latest.goal_ratings) == (
        "cancelled",
        [],
        [],
    )


def test_an_unrated_session_changes_to_no_show_without_asking(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = open_new(window, qtbot)
    use_only(editor, "SRS")  # ticked, nothing typed: nothing to lose
    editor.attendance_combo.setCurrentIndex(editor.attendance_combo.findData("no_show"))
    assert editor.attendance_combo.currentData() == "no_show"
    assert editor.undo_stack.canUndo()


# -- Ctrl+S -----------------------------------------------------------------------------


def test_ctrl_s_saves_the_session(qtbot: QtBot, window: MainWindow) -> None:
    editor = open_new(window, qtbot)
    use_only(editor)
    assert QKeySequence("Ctrl+S") in editor.save_action.shortcuts()
    notes = field(editor, "notes")
    assert isinstance(notes, QPlainTextEdit)
    notes.setFocus()
    qtbot.keyClicks(notes, "Saved from the keyboard")
    editor.activateWindow()  # as a click on it does; a shortcut works in the active window
    qtbot.waitUntil(editor.isActiveWindow)
    qtbot.keyClick(notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert window.editors == []
    assert stored_sessions(window)[-1].notes == "Saved from the keyboard"
    assert drafts.unsaved_drafts(window.db) == []


# -- the draft goes with the save -------------------------------------------------------


def test_the_draft_goes_in_the_same_write_as_the_session(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_new(window, qtbot)
    use_only(editor)
    editor.start_edit.setDateTime(QDateTime(LATER))
    notes = field(editor, "notes")
    assert isinstance(notes, QPlainTextEdit)
    notes.setFocus()
    qtbot.keyClicks(notes, "Worth a draft")
    editor.save_draft()
    (draft,) = drafts.unsaved_drafts(window.db)

    def failing(_db: Database) -> Callable[[Any], Any]:
        def summarise(_client: Any) -> Any:  # the last step of the write transaction
            raise StorageError("The disk is full.")

        return summarise

    monkeypatch.setattr(sessions, "_summariser", failing)
    editor.save_button.click()
    assert editor.isVisible()
    assert "The disk is full. Nothing was saved" in editor.problem.text()
    assert [d.draft_id for d in drafts.unsaved_drafts(window.db)] == [draft.draft_id]
    assert len(stored_sessions(window)) == 1

    monkeypatch.undo()
    editor.save_button.click()
    assert window.editors == []
    assert drafts.unsaved_drafts(window.db) == []
    assert stored_sessions(window)[-1].notes == "Worth a draft"


# -- the problem line and the marks -----------------------------------------------------


def test_marks_go_as_soon_as_their_field_reads_right(qtbot: QtBot, window: MainWindow) -> None:
    editor = open_new(window, qtbot)
    use_only(editor, "SRS")
    for number, value in enumerate(("9", "11", "9", "9"), start=1):
        type_into(qtbot, editor, f"measure_SRS_{number}", value)
    problem = field(editor, "saveProblem")
    srs_2_error = field(editor, "measure_SRS_2Error")
    start_error = field(editor, "startError")
    assert isinstance(problem, QLabel) and not problem.isVisible()
    assert isinstance(srs_2_error, QLabel) and isinstance(start_error, QLabel)
    # Not marked yet, so the result does not point at a mark that is not there.
    unmarked = "4 of 4 entered; a value is not one this item takes."
    qtbot.waitUntil(lambda: editor.results["SRS"].text() == unmarked)

    editor.save_button.click()
    assert srs_2_error.isVisible() and problem.isVisible()
    assert problem.text() == "⚠ Check the marked value."
    qtbot.waitUntil(lambda: editor.results["SRS"].text() == "Check the marked value.")
    type_into(qtbot, editor, "measure_SRS_2", "9")  # valid at its first keystroke
    assert not srs_2_error.isVisible() and not problem.isVisible()  # no save needed

    editor.start_edit.setDateTime(QDateTime(FUTURE))
    editor.save_button.click()
    assert start_error.isVisible() and "in the future" in start_error.text()
    assert problem.text() == "⚠ Check the marked value."
    # A value broken meanwhile is not marked while typed, and the start stays marked.
    type_into(qtbot, editor, "measure_SRS_2", "11")
    assert start_error.isVisible() and not srs_2_error.isVisible()
    editor.start_edit.setDateTime(QDateTime(LATER))
    assert not start_error.isVisible() and not problem.isVisible()

    editor.save_button.click()
    assert srs_2_error.isVisible() and editor.focusWidget() is field(editor, "measure_SRS_2")
    type_into(qtbot, editor, "measure_SRS_2", "abc")  # still wrong: its message follows
    assert "'abc' is not a number" in srs_2_error.text()
    assert problem.text() == "⚠ Check the marked value."
    assert len(stored_sessions(window)) == 1  # nothing was saved


# -- the summary as a PDF ---------------------------------------------------------------


def answer_options(*, notes: bool, pseudonymise: bool) -> Callable[[QWidget], None]:
    def handler(dialog: QWidget) -> None:
        assert isinstance(dialog, SummaryOptionsDialog)
        if notes:
            dialog.include_notes.click()
        if pseudonymise:
            dialog.pseudonymise.click()
        buttons = dialog.findChild(QDialogButtonBox)
        assert buttons is not None
        buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    return handler


def test_the_summary_is_saved_as_a_pseudonymised_pdf(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_stored(window, qtbot)
    target = tmp_path / "out" / "summary.pdf"
    target.parent.mkdir()
    asked: list[Path] = []

    def ask(_parent: QWidget, _title: str, suggested: Path) -> Path:
        asked.append(suggested)
        return target

    monkeypatch.setattr(session_editor, "ask_pdf_path", ask)  # the file dialog's seam
    handle_modals([answer_options(notes=False, pseudonymise=True)])
    qtbot.mouseClick(editor.pdf_button, Qt.MouseButton.LeftButton)
    assert asked and asked[0].name == "C-0042-session-2026-11-18.pdf"
    text = pdf_text(target)
    assert "C-0042" in text and "SRS" in text
    assert "ukasiewicz" not in text and "Zo" not in text
    assert editor.isVisible() and str(target) in editor.draft_status.text()
    assert editor.pdf_folder == target.parent  # suggested next time


def test_an_unsaved_session_is_saved_first_then_its_summary_with_notes(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_new(window, qtbot)
    use_only(editor)
    editor.start_edit.setDateTime(QDateTime(LATER))
    notes = field(editor, "notes")
    assert isinstance(notes, QPlainTextEdit)
    notes.setPlainText("Talked about the new job")
    target = tmp_path / "summary.pdf"
    monkeypatch.setattr(session_editor, "ask_pdf_path", lambda *_: target)
    said: list[str] = []

    def save_first(box: QWidget) -> None:
        assert isinstance(box, QMessageBox) and "Save the session now" in box.text()
        box.button(QMessageBox.StandardButton.Save).click()

    handle_modals([answer_options(notes=True, pseudonymise=False), save_first, read_message(said)])
    editor.pdf_button.click()
    assert window.editors == []  # saved, so closed
    assert said and f"Saved the session summary to {target}." in said[0]
    latest = stored_sessions(window)[-1]
    assert (latest.number, latest.notes) == (2, "Talked about the new job")
    text = pdf_text(target)
    assert "C-0042" in text and "ukasiewicz" in text
    assert "Talked about the new job" in text


def test_cancelling_the_options_writes_nothing(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_new(window, qtbot)
    monkeypatch.setattr(session_editor, "ask_pdf_path", lambda *_: pytest.fail("asked"))

    def cancel(dialog: QWidget) -> None:
        assert isinstance(dialog, SummaryOptionsDialog)
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    handle_modals([cancel])
    assert editor.save_summary_pdf() is None
    assert editor.isVisible() and len(stored_sessions(window)) == 1


# -- fitting the screen -----------------------------------------------------------------

FIT_CHILD = r"""
import json, sys
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication
qt = QApplication([])
from alliance_desktop import app
from alliance_desktop.storage import repository
from alliance_desktop.ui.background import wait_for_background_work
from tests.keyed import TEST_PASSPHRASE

main = app.build_main_window(sys.argv[1], passphrase=TEST_PASSPHRASE)
main.show()
wait_for_background_work()
while main.clients.loading:
    qt.processEvents()
rows = repository.list_client_rows(main.db)
main.client_list.select_client(max(rows, key=lambda r: r.client_id).client_id)
main.new_session_action.trigger()
(editor,) = main.editors
for _ in range(20):
    qt.processEvents()
def rect(r):
    return [r.x(), r.y(), r.width(), r.height()]
def global_rect(w):
    return rect(QRect(w.mapToGlobal(QPoint(0, 0)), w.size()))
out = {
    "area": rect(editor.screen().availableGeometry()),
    "frame": rect(editor.frameGeometry()),
    "minimum": [editor.minimumSizeHint().width(), editor.minimumSizeHint().height()],
    "buttons": {
        b.objectName(): global_rect(b)
        for b in (editor.save_button, editor.cancel_button, editor.undo_button,
                  editor.print_button, editor.pdf_button)
    },
    "scrolls": editor.form_scroll.verticalScrollBar().maximum() > 0,
}
editor.grab().save(sys.argv[2])
editor.discard_and_close()
main.close()
wait_for_background_work()
main.db.close()
print(json.dumps(out))
"""


def inside(rect: list[int], area: list[int]) -> bool:
    x, y, w, h = rect
    ax, ay, aw, ah = area
    return ax <= x and ay <= y and x + w <= ax + aw and y + h <= ay + ah


@pytest.mark.parametrize(
    ("screen", "scale"), [("laptop.json", None), ("hidpi.json", "2")], ids=["720p", "200%"]
)
def test_the_editor_fits_a_1280x720_screen(
    demo_db_path: Path, artifacts: Path, screen: str, scale: str | None
) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={SCREENS / screen}")
    env.pop("QT_SCALE_FACTOR", None)
    if scale:
        env["QT_SCALE_FACTOR"] = scale
    shot = artifacts / f"session-editor-{screen.removesuffix('.json')}.png"
    done = subprocess.run(
        [sys.executable, "-c", FIT_CHILD, str(demo_db_path), str(shot)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["area"] == [0, 0, 1280, 720]  # logical pixels, at 100 % and at 200 %
    assert inside(out["frame"], out["area"]), out
    for name, rect in out["buttons"].items():
        assert inside(rect, out["area"]), (name, out)
    width, height = out["minimum"]
    assert width <= 1264 and height <= 672  # room for a task bar and the window's frame
    assert out["scrolls"]  # the long form scrolls inside instead


def test_a_lock_while_asking_about_attendance_keeps_the_session_attended(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The idle lock may fire while "Change the attendance?" is open: the draft it keeps
    must be the attended session with its ratings, not an undecided Cancelled (review)."""
    editor = open_new(window, qtbot)
    use_only(editor, "SRS")
    for number, value in enumerate(("9", "8", "8.5", "7"), start=1):
        type_into(qtbot, editor, f"measure_SRS_{number}", value)
    typed = editor.current_form().items["SRS"]

    def lock_meanwhile(box: QWidget) -> None:
        assert box.objectName() == "attendanceChangeBox"
        assert window.security.lock()

    handle_modals([lock_meanwhile])
    attendance = editor.attendance_combo
    attendance.setFocus()
    qtbot.keyClick(attendance, Qt.Key.Key_Down)  # Attended → Cancelled: asks
    qtbot.waitUntil(lambda: window.security.is_locked)
    assert window.editors == []
    assert window.security.unlock(TEST_PASSPHRASE) == ""
    qtbot.waitUntil(lambda: len(window.editors) == 1)
    (again,) = window.editors
    assert again.attendance_combo.currentData() == "attended"
    assert again.current_form().items["SRS"] == typed
    again.discard_and_close()
