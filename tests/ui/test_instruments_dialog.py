"""Measures → Instruments… driven as a therapist would: define an own alliance form in the
editor (no JSON), record sessions with it, see it alerted on, charted and printed, edit it as
a new version that keeps the old scores, retire it; and every refusal in one sentence."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QDateTime, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from alliance_desktop.domain.definitions import definition_from_json
from alliance_desktop.services import clients as client_service
from alliance_desktop.services.instruments import list_instruments
from alliance_desktop.storage import repository
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.instruments_dialog import DefinitionEditor, InstrumentsDialog
from alliance_desktop.ui.main_window import MainWindow
from alliance_desktop.ui.report_dialog import ReportDialog
from alliance_desktop.ui.session_editor import SessionEditor
from tests.conftest import ARTIFACTS
from tests.ui.helpers import handle_modals, press, read_message
from tests.ui.test_session_editor import (  # noqa: F401 (window is a fixture)
    client_id_of,
    field,
    open_new,
    pdf_text,
    use_only,
    window,
)

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "resources/instruments/example-therapist-alliance.json"
)
ID = "pa-alliance-6"
NAME = "Practice alliance check (therapist)"
#: Made up for this test: not the wording of any published questionnaire.
WORDING = (
    "We agreed on what today's work was for.",
    "The client and I were after the same changes.",
    "We spent the hour in a way that suited the client.",
    "The client joined in with what we tried.",
    "I sensed trust between us today.",
    "The client could say difficult things to me.",
)
ANCHORS = ("Not at all", "Slightly", "Somewhat", "Moderately", "Clearly", "Strongly", "Fully")
#: Fixed moments (no test reads the clock): the definition, then two sessions after the
#: fixture's first one (2026-11-18).
DEFINED = datetime(2026, 11, 19, 9, 0)
SECOND = datetime(2026, 11, 20, 10, 0)
THIRD = datetime(2026, 11, 25, 10, 0)
ALL_MNEMONICS = re.compile(r"&(.)")


# -- driving the dialogs ---------------------------------------------------------------------


def open_instruments(main: MainWindow, qtbot: QtBot) -> InstrumentsDialog:
    """Measures → Instruments… (the moment stored with a change is fixed)."""
    main.measures.now = lambda: DEFINED
    (menu,) = [a.menu() for a in main.menuBar().actions() if a.text() == "&Measures"]
    assert menu is not None and main.instruments_action in menu.actions()
    main.instruments_action.trigger()
    dialog = main.measures.dialog
    assert dialog is not None and dialog.objectName() == "instrumentsDialog"
    qtbot.waitExposed(dialog)
    dialog.setProperty("handledByTest", True)  # driven here, not by handle_modals
    return dialog


def button(parent: QWidget, name: str) -> QPushButton:
    found = parent.findChild(QPushButton, name)
    assert found is not None, name
    return found


def click(qtbot: QtBot, parent: QWidget, name: str) -> None:
    target = button(parent, name)
    assert target.isEnabled(), name
    qtbot.mouseClick(target, Qt.MouseButton.LeftButton)


def open_editor(
    main: MainWindow, qtbot: QtBot, dialog: InstrumentsDialog, name: str
) -> DefinitionEditor:
    click(qtbot, dialog, name)
    editor = main.measures.editor
    assert editor is not None and editor.objectName() == "definitionEditor"
    qtbot.waitExposed(editor)
    editor.setProperty("handledByTest", True)
    return editor


def widget(editor: QWidget, name: str) -> QWidget:
    found = editor.findChild(QWidget, name)
    assert found is not None, name
    return found


def type_text(qtbot: QtBot, editor: QWidget, name: str, text: str) -> None:
    """Replace a field's text by typing, as with the keyboard."""
    edit = widget(editor, name)
    assert isinstance(edit, QLineEdit | QPlainTextEdit), name
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    lines = text.split("\n")
    for number, line in enumerate(lines):
        qtbot.keyClicks(edit, line)
        if number < len(lines) - 1:
            qtbot.keyClick(edit, Qt.Key.Key_Return)
    shown = edit.text() if isinstance(edit, QLineEdit) else edit.toPlainText()
    assert shown == text, name


def choose(qtbot: QtBot, editor: QWidget, name: str, words: str) -> None:
    """Pick a drop-down's entry by typing its first letters."""
    combo = widget(editor, name)
    assert isinstance(combo, QComboBox)
    combo.setFocus()
    qtbot.keyClicks(combo, words)
    assert combo.currentText().startswith(words), (name, combo.currentText())


def table(editor: QWidget, name: str) -> QTableWidget:
    found = widget(editor, name)
    assert isinstance(found, QTableWidget)
    return found


def edit_cell(qtbot: QtBot, grid: QTableWidget, row: int, column: int, text: str) -> None:
    """Edit a cell as a user does: go to it, open its editor, type, press Enter."""
    grid.setFocus()
    grid.setCurrentCell(row, column)
    cell = grid.item(row, column)
    assert cell is not None
    grid.editItem(cell)
    (line,) = grid.viewport().findChildren(QLineEdit)
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not grid.viewport().findChildren(QLineEdit))
    assert grid.item(row, column).text() == text  # type: ignore[union-attr]


def choose_cell(qtbot: QtBot, grid: QTableWidget, row: int, column: int, words: str) -> None:
    """A cell with a drop-down: open it, type the choice's first letters, press Enter."""
    grid.setFocus()
    grid.setCurrentCell(row, column)
    cell = grid.item(row, column)
    assert cell is not None
    grid.editItem(cell)
    (combo,) = grid.viewport().findChildren(QComboBox)
    qtbot.keyClicks(combo, words)
    qtbot.keyClick(combo, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not grid.viewport().findChildren(QComboBox))
    assert cell.text() == words


def tick_cell(qtbot: QtBot, grid: QTableWidget, row: int, column: int) -> None:
    """A check-box cell, ticked with the space bar."""
    grid.setFocus()
    grid.setCurrentCell(row, column)
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    cell = grid.item(row, column)
    assert cell is not None and cell.checkState() == Qt.CheckState.Checked


def error_text(editor: DefinitionEditor) -> str:
    label = widget(editor, "defError")
    assert isinstance(label, QLabel)
    return label.text() if label.isVisible() else ""


def define_alliance_form(qtbot: QtBot, editor: DefinitionEditor) -> None:
    """Fill the editor with a therapist-rated six-item alliance form, items 1-7."""
    type_text(qtbot, editor, "defId", ID)
    assert widget(editor, "defVersion").text() == "1"  # type: ignore[attr-defined]
    type_text(qtbot, editor, "defName", NAME)
    choose(qtbot, editor, "defKind", "Alliance")
    choose(qtbot, editor, "defRespondent", "Therapist")
    choose(qtbot, editor, "defWhen", "End")
    type_text(qtbot, editor, "defTimeframe", "the session just finished")
    type_text(qtbot, editor, "defLicence", "Written by our practice;\nfree to share.")
    items = table(editor, "defItems")
    assert items.rowCount() == 1  # a new definition starts with one item
    edit_cell(qtbot, items, 0, 2, "1")
    edit_cell(qtbot, items, 0, 3, "7")
    for _ in range(5):
        click(qtbot, editor, "defAddItem")  # each new item takes the last one's range
    assert items.rowCount() == 6
    tags = ("Goal", "Goal", "Task", "Task", "Bond", "Bond")
    for row, (tag, words) in enumerate(zip(tags, WORDING, strict=True)):
        edit_cell(qtbot, items, row, 0, f"Item {row + 1} ({tag})")
        edit_cell(qtbot, items, row, 1, words)
        assert [items.item(row, c).text() for c in (2, 3, 4)] == ["1", "7", "1"]  # type: ignore[union-attr]
    type_text(qtbot, editor, "defAnchors", "\n".join(ANCHORS))
    scales = table(editor, "defSubscales")
    for row, (key, numbers) in enumerate((("goal", "1, 2"), ("task", "3, 4"), ("bond", "5, 6"))):
        click(qtbot, editor, "defAddSubscale")
        edit_cell(qtbot, scales, row, 0, key)
        edit_cell(qtbot, scales, row, 1, key.capitalize())
        edit_cell(qtbot, scales, row, 2, numbers)
        choose_cell(qtbot, scales, row, 3, "mean")
        choose_cell(qtbot, scales, row, 4, key)
    choose(qtbot, editor, "defTotalMethod", "mean")
    total = widget(editor, "defTotalRange")
    assert isinstance(total, QLabel) and total.text().startswith("1 to 7 (the mean item score)")
    norms = widget(editor, "defNorms")
    assert isinstance(norms, QGroupBox) and norms.isCheckable() and not norms.isChecked()


def answer(qtbot: QtBot, editor: SessionEditor, name: str, value: str) -> None:
    """Choose an answer with the keyboard: focus the item's list and type its number."""
    combo = field(editor, name)
    assert isinstance(combo, QComboBox)
    combo.setFocus()
    qtbot.keyClicks(combo, value)
    assert combo.currentData() == value, name


def record_session(
    qtbot: QtBot, main: MainWindow, start: datetime, values: tuple[int, ...]
) -> None:
    editor = open_new(main, qtbot)
    assert ID in editor.instrument_boxes  # the registry's new instrument is offered
    use_only(editor, ID)
    group = field(editor, f"group_{ID}")
    words = " ".join(label.text() for label in group.findChildren(QLabel))
    assert WORDING[0] in words and "6." in words
    editor.start_edit.setDateTime(QDateTime(start))
    for number, value in enumerate(values, start=1):
        answer(qtbot, editor, f"measure_{ID}_{number}", str(value))
    save = editor.findChild(QPushButton, "saveSessionButton")
    assert save is not None
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert main.editors == []
    wait_for_background_work()
    qtbot.waitUntil(lambda: not main.clients.loading)


def stored_measurements(main: MainWindow) -> list[tuple[str, list[float | None]]]:
    tree = repository.load_client_tree(main.db, client_id_of(main))
    assert tree is not None
    return [
        (m.instrument_version, m.item_values)
        for s in tree.sessions
        for m in s.measurements
        if m.instrument_id == ID
    ]


def totals(main: MainWindow) -> list[float | None]:
    record = client_service.client_record(main.db, client_id_of(main))
    return [s.results[ID].total for s in record.sessions if ID in s.results]


def definitions(main: MainWindow) -> list[tuple[str, str]]:
    return [(r.instrument_id, r.version) for r in repository.list_instrument_definitions(main.db)]


def shown_ids(dialog: InstrumentsDialog) -> dict[str, str]:
    """Each instrument in the dialog's table with its status column."""
    grid = dialog.table
    return {
        grid.item(row, 0).text(): grid.item(row, 6).text()  # type: ignore[union-attr]
        for row in range(grid.rowCount())
    }


# -- the journey -----------------------------------------------------------------------------


def test_define_record_alert_chart_print_edit_and_retire_an_own_alliance_form(
    qtbot: QtBot,
    window: MainWindow,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    dialog = open_instruments(window, qtbot)
    assert shown_ids(dialog)["SRS"] == "built in" and ID not in shown_ids(dialog)

    # New…: the whole definition typed into the editor.
    editor = open_editor(window, qtbot, dialog, "newInstrumentButton")
    define_alliance_form(qtbot, editor)
    editor.grab().save(str(ARTIFACTS / "definition-editor.png"))
    widget(editor, "definitionPage").grab().save(str(ARTIFACTS / "definition-editor-page.png"))
    click(qtbot, editor, "defSave")
    qtbot.waitUntil(lambda: window.measures.editor is None)
    assert shown_ids(dialog)[ID] == "own" and dialog.selected_id() == ID
    assert f"Added {ID} version 1 ({NAME}, 6 items)." in dialog.message.text()
    dialog.grab().save(str(ARTIFACTS / "instruments-dialog.png"))
    (entry,) = [e for e in list_instruments() if e.id == ID]
    assert (entry.version, entry.items, entry.kind, entry.respondent) == (
        "1",
        6,
        "alliance",
        "therapist",
    )
    assert definitions(window) == [(ID, "1")]
    (row,) = repository.list_instrument_definitions(window.db)
    stored = definition_from_json(row.document)
    assert [s.tag for s in stored.subscales] == ["goal", "task", "bond"]
    assert [s.items for s in stored.subscales] == [(1, 2), (3, 4), (5, 6)]
    assert stored.anchors == ANCHORS and stored.items[5].text == WORDING[5]
    assert (stored.total_min, stored.total_max, stored.when) == (1, 7, "end")
    assert stored.licence == "Written by our practice; free to share."  # one line in the file
    click(qtbot, dialog, "closeInstrumentsButton")
    qtbot.waitUntil(lambda: window.measures.dialog is None)

    # Two sessions rated with it; the goal subscale falls sharply.
    record_session(qtbot, window, SECOND, (7, 7, 6, 6, 6, 6))
    record_session(qtbot, window, THIRD, (2, 2, 6, 6, 6, 6))
    assert stored_measurements(window) == [
        ("1", [7, 7, 6, 6, 6, 6]),
        ("1", [2, 2, 6, 6, 6, 6]),
    ]
    assert totals(window) == [6.3, 4.7]
    rows = repository.list_client_rows(
        window.db, include_alerts=True, client_id=client_id_of(window)
    )
    summary = rows[0].summary
    assert summary is not None and summary.alerts is not None
    (alert,) = [a for a in summary.alerts if a["instrument_id"] == ID]
    assert alert["kind"] == "falling_subscale"
    assert "Goal fell 5 points from 7 at session 2 to 2" in alert["reason"]

    # The client's Alliance & outcome tab charts it.
    window.detail.tabs.setCurrentWidget(window.detail.charts_page)
    qtbot.waitUntil(lambda: window.detail.findChild(QWidget, f"chart_{ID}") is not None)
    window.detail.grab().save(str(ARTIFACTS / "record-charts-own-instrument.png"))

    # The progress summary prints its chart and its scores.
    target = tmp_path / "summary.pdf"

    def save_summary(dialog: QWidget) -> None:
        assert isinstance(dialog, ReportDialog)
        dialog.to_date.setDate(QDate(2026, 11, 30))
        dialog.open_after.setChecked(False)
        assert dialog.save_to(target)
        dialog.reject()

    handle_modals([press("Continue without"), save_summary])  # (no practice name yet)
    window.progress_report_action.trigger()
    text = pdf_text(target)
    assert f"{ID} — {NAME}" in text  # its chart's title
    # Its scores per session: total, then goal, task and bond.
    assert re.search(r"2026-11-20\s+6\.3\s+7\s+6\s+6\s", text), text
    assert re.search(r"2026-11-25\s+4\.7\s+2\s+6\s+6\s", text), text

    # Edit… after data exist: a new version; item 6 made to run to 9 is refused twice.
    dialog = open_instruments(window, qtbot)
    dialog.select(ID)
    editor = open_editor(window, qtbot, dialog, "editInstrumentButton")
    assert editor.windowTitle() == f"Edit {ID}"
    id_edit = widget(editor, "defId")
    assert isinstance(id_edit, QLineEdit) and id_edit.isReadOnly() and id_edit.text() == ID
    assert widget(editor, "defVersion").text() == "2"  # type: ignore[attr-defined]
    edit_cell(qtbot, table(editor, "defItems"), 5, 3, "9")
    click(qtbot, editor, "defSave")
    # Anchors need one range for every item: refused in one sentence, nothing stored.
    refused = error_text(editor)
    assert refused.startswith("⚠ Item 6: runs 1 to 9 in steps of 1, unlike item 1")
    assert "with anchors, every item must share one minimum, maximum and step" in refused
    assert editor.isVisible() and definitions(window) == [(ID, "1")]
    assert table(editor, "defItems").item(5, 3).text() == "9"  # type: ignore[union-attr]
    type_text(qtbot, editor, "defAnchors", "")
    assert widget(editor, "defTotalRange").text().startswith("1 to 7.3")  # type: ignore[attr-defined]
    click(qtbot, editor, "defSave")
    # Another scale is refused: version 1's scores could not share a chart with version 2's.
    refused = error_text(editor)
    assert f"{ID} has 2 stored measurements taken with version 1" in refused
    assert "version 2 scores from 1 to 7.3 and version 1 from 1 to 7" in refused
    assert "a separate instrument with an id of its own (New… in Measures" in refused
    assert editor.isVisible() and definitions(window) == [(ID, "1")]
    # The same scale with item 6 reworded is version 2.
    edit_cell(qtbot, table(editor, "defItems"), 5, 3, "7")
    type_text(qtbot, editor, "defAnchors", "\n".join(ANCHORS))
    edit_cell(qtbot, table(editor, "defItems"), 5, 1, "The client could tell me what jarred.")
    click(qtbot, editor, "defSave")
    qtbot.waitUntil(lambda: window.measures.editor is None)
    assert "Added version 2 of " + ID in dialog.message.text()
    assert definitions(window) == [(ID, "1"), (ID, "2")]
    (entry,) = [e for e in list_instruments() if e.id == ID]
    assert entry.versions == ("1", "2")
    # The measurements keep version 1 and score as before.
    assert [v for v, _ in stored_measurements(window)] == ["1", "1"]
    assert totals(window) == [6.3, 4.7]

    # Retire: new sessions no longer offer it; the button offers it again.
    dialog.select(ID)
    click(qtbot, dialog, "retireInstrumentButton")
    assert dialog.message.text().startswith(f"Retired {ID}: new sessions no longer offer it.")
    assert shown_ids(dialog)[ID] == "retired"
    assert button(dialog, "retireInstrumentButton").text() == "&Offer again"

    # Delete… is refused for an instrument with data (after asking), nothing changes.
    said: list[str] = []
    handle_modals([press("Delete permanently"), read_message(said)])
    click(qtbot, dialog, "deleteInstrumentButton")
    assert len(said) == 1 and f"{ID} has 2 stored measurements, so it cannot be deleted" in said[0]
    assert definitions(window) == [(ID, "1"), (ID, "2")] and ID in shown_ids(dialog)
    click(qtbot, dialog, "closeInstrumentsButton")
    qtbot.waitUntil(lambda: window.measures.dialog is None)
    wait_for_background_work()
    qtbot.waitUntil(lambda: not window.clients.loading)

    session = open_new(window, qtbot)
    assert ID not in session.instrument_boxes and "SRS" in session.instrument_boxes
    session.discard_and_close()


# -- refusals --------------------------------------------------------------------------------


def test_a_bad_definition_shows_its_first_problem_in_one_sentence_and_saves_nothing(
    qtbot: QtBot,
    window: MainWindow,  # noqa: F811
) -> None:
    dialog = open_instruments(window, qtbot)
    editor = open_editor(window, qtbot, dialog, "newInstrumentButton")
    type_text(qtbot, editor, "defId", "bad-form")
    type_text(qtbot, editor, "defTimeframe", "today's session")
    type_text(qtbot, editor, "defLicence", "Our own.")
    items = table(editor, "defItems")
    click(qtbot, editor, "defAddItem")
    edit_cell(qtbot, items, 1, 2, "5")  # item 2: minimum 5, maximum 5 → 3 below
    edit_cell(qtbot, items, 1, 3, "3")
    click(qtbot, editor, "defAddSubscale")
    scales = table(editor, "defSubscales")
    edit_cell(qtbot, scales, 0, 0, "whole")
    edit_cell(qtbot, scales, 0, 1, "Whole")
    edit_cell(qtbot, scales, 0, 2, "1, 14")
    assert "—" in widget(editor, "defTotalRange").text()  # type: ignore[attr-defined]

    problems = [
        ("Name: the text is blank; write something.", "defName"),
        ("Item 2, maximum: 3 is below the minimum 5; the maximum must be above the minimum.", ""),
        (
            "Subscale 1, items: subscale 'whole' names item 14; the instrument has 2 items; "
            "list item numbers from 1 to 2.",
            "",
        ),
    ]
    fixes: list[Callable[[], None]] = [
        lambda: type_text(qtbot, editor, "defName", "A bad form"),
        lambda: edit_cell(qtbot, items, 1, 3, "7"),
        lambda: None,
    ]
    for (sentence, focused), fix in zip(problems, fixes, strict=True):
        click(qtbot, editor, "defSave")
        if not focused:
            editor.grab().save(str(ARTIFACTS / "definition-editor-error.png"))
        assert error_text(editor) == f"⚠ {sentence}"  # the first problem only, in one sentence
        assert editor.isVisible() and definitions(window) == []
        if focused:
            assert editor.focusWidget() is widget(editor, focused)
        fix()
    # Everything typed is still there.
    assert widget(editor, "defName").text() == "A bad form"  # type: ignore[attr-defined]
    assert scales.item(0, 2).text() == "1, 14"  # type: ignore[union-attr]
    assert scales.currentRow() == 0  # the cell it is about is the current one
    click(qtbot, editor, "defCancel")
    qtbot.waitUntil(lambda: window.measures.editor is None)
    assert definitions(window) == [] and "bad-form" not in shown_ids(dialog)


def test_import_refuses_a_bad_file_in_one_message_then_imports_and_exports_a_good_one(
    qtbot: QtBot,
    window: MainWindow,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = tmp_path / "bad.json"
    document = json.loads(EXAMPLE.read_text("utf-8"))
    document["instrument"]["subscales"][0]["items"] = [1, 14]
    bad.write_text(json.dumps(document), "utf-8")
    chosen = [bad]
    monkeypatch.setattr(
        "PySide6.QtWidgets.QFileDialog.getOpenFileName",
        lambda *a, **k: (str(chosen[0]), "Instrument definition (*.json)"),
    )
    dialog = open_instruments(window, qtbot)
    rows = dialog.table.rowCount()
    said: list[str] = []
    handle_modals([read_message(said)])
    click(qtbot, dialog, "importInstrumentButton")
    assert len(said) == 1
    assert said[0].startswith("bad.json: instrument.subscales[0].items[1]: subscale 'goal' names")
    assert definitions(window) == [] and dialog.table.rowCount() == rows

    chosen[0] = EXAMPLE
    handle_modals([read_message(said)])
    click(qtbot, dialog, "importInstrumentButton")
    assert said[1].startswith("Added therapist-alliance-6 version 1")
    assert shown_ids(dialog)["therapist-alliance-6"] == "own"
    assert definitions(window) == [("therapist-alliance-6", "1")]

    # Export… writes the same definition (".json" added to the name typed).
    shared = tmp_path / "for-a-colleague"
    monkeypatch.setattr(
        "PySide6.QtWidgets.QFileDialog.getSaveFileName",
        lambda *a, **k: (str(shared), "Instrument definition (*.json)"),
    )
    dialog.select("therapist-alliance-6")
    handle_modals([read_message(said)])
    click(qtbot, dialog, "exportInstrumentButton")
    written = tmp_path / "for-a-colleague.json"
    assert said[2].startswith(f"Exported therapist-alliance-6 version 1 to {written}.")
    assert definition_from_json(json.loads(written.read_text("utf-8"))) == definition_from_json(
        json.loads(EXAMPLE.read_text("utf-8"))
    )
    # Edit… saved as it was adds no version that only repeats the last one.
    editor = open_editor(window, qtbot, dialog, "editInstrumentButton")
    click(qtbot, editor, "defSave")
    qtbot.waitUntil(lambda: window.measures.editor is None)
    assert dialog.message.text() == (
        "Nothing was changed in therapist-alliance-6, so no new version was saved."
    )
    assert definitions(window) == [("therapist-alliance-6", "1")]
    # Edit… of an instrument without data, kept at version 1, replaces it.
    editor = open_editor(window, qtbot, dialog, "editInstrumentButton")
    assert widget(editor, "defVersion").text() == "2"  # type: ignore[attr-defined]
    type_text(qtbot, editor, "defVersion", "1")
    type_text(qtbot, editor, "defName", "Session alliance check (therapist view)")
    click(qtbot, editor, "defSave")
    qtbot.waitUntil(lambda: window.measures.editor is None)
    assert "Replaced therapist-alliance-6 version 1" in dialog.message.text()
    assert definitions(window) == [("therapist-alliance-6", "1")]
    (row,) = repository.list_instrument_definitions(window.db)
    kept = definition_from_json(row.document)
    assert kept.name == "Session alliance check (therapist view)"
    assert kept.chart is not None and kept.axis == (1, 7, 6)  # what the form does not show stays
    # Without data it can be deleted (after asking).
    handle_modals([press("Delete permanently")])
    click(qtbot, dialog, "deleteInstrumentButton")
    assert dialog.message.text() == "Deleted therapist-alliance-6; it had no measurements."
    assert definitions(window) == [] and "therapist-alliance-6" not in shown_ids(dialog)


def test_a_built_in_instrument_is_exported_as_a_starting_point(
    qtbot: QtBot,
    window: MainWindow,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "srs.json"
    monkeypatch.setattr(
        "PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), "")
    )
    dialog = open_instruments(window, qtbot)
    dialog.select("SRS")
    said: list[str] = []
    handle_modals([read_message(said)])
    click(qtbot, dialog, "exportInstrumentButton")
    assert len(said) == 1 and said[0].startswith(f"Exported SRS version 3 to {target}.")
    assert "change the id in the file first" in said[0]
    document = json.loads(target.read_text("utf-8"))
    assert document["instrument"]["id"] == "SRS"
    document["instrument"]["id"] = "pa-srs"  # the variant the box describes
    assert definition_from_json(document).name == "Session Rating Scale (SRS v3)"
    # The goal ratings have no definition file: nothing to export.
    dialog.select("GBO")
    assert not button(dialog, "exportInstrumentButton").isEnabled()


# -- manners ---------------------------------------------------------------------------------


def test_the_dialogs_read_in_order_with_tab_and_have_unique_keyboard_letters(
    qtbot: QtBot,
    window: MainWindow,  # noqa: F811
) -> None:
    dialog = open_instruments(window, qtbot)
    editor = open_editor(window, qtbot, dialog, "newInstrumentButton")
    for parent in (dialog, editor):

        def own(kind: type[QWidget], parent: QWidget = parent) -> list[QWidget]:
            return [w for w in parent.findChildren(kind) if w.window() is parent]

        texts = [b.text() for b in own(QAbstractButton)]  # type: ignore[attr-defined]
        texts += [lb.text() for lb in own(QLabel) if lb.buddy() is not None]  # type: ignore[attr-defined]
        texts += [g.title() for g in own(QGroupBox)]  # type: ignore[attr-defined]
        letters = [m.lower() for t in texts for m in ALL_MNEMONICS.findall(t.replace("&&", ""))]
        assert len(letters) == len(set(letters)), (parent.objectName(), sorted(letters))
        for label in own(QLabel):
            assert isinstance(label, QLabel)
            if "&" in label.text().replace("&&", ""):
                assert label.buddy() is not None, label.text()
    assert "Offer again" not in " ".join(b.text() for b in dialog.findChildren(QAbstractButton))

    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    widget(editor, "defId").setFocus(Qt.FocusReason.TabFocusReason)
    order: list[str] = []
    for _ in range(40):
        focused = QApplication.focusWidget()
        assert focused is not None
        name = focused.objectName() or focused.parent().objectName()  # (a spin box's text)
        if name in order:
            break
        order.append(name)
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
    assert order == [
        "defId",
        "defVersion",
        "defName",
        "defKind",
        "defRespondent",
        "defWhen",
        "defTimeframe",
        "defLicence",
        "defItems",
        "defAddItem",
        "defRemoveItem",
        "defAnchors",
        "defSubscales",
        "defAddSubscale",
        "defRemoveSubscale",
        "defTotalMethod",
        "defProrate",
        "defNorms",
        "defSave",
        "defCancel",
    ]
    # With the cut-off group on, its fields follow it, the source last.
    norms = widget(editor, "defNorms")
    assert isinstance(norms, QGroupBox)
    norms.setChecked(True)
    norms.setFocus(Qt.FocusReason.TabFocusReason)
    following: list[str] = []
    for _ in range(7):
        focused = QApplication.focusWidget()
        assert focused is not None
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
        following.append(QApplication.focusWidget().objectName())  # type: ignore[union-attr]
    assert following == [
        "defCutoff",
        "defComparison",
        "defDirection",
        "defReliability",
        "defReliableChange",
        "defSource",
        "defSave",
    ]
    # The wheel passing over a drop-down or spin box does not change it.
    assert all(
        widget(editor, name).property("wheelGuarded")
        for name in ("defKind", "defRespondent", "defWhen", "defTotalMethod", "defProrate")
    )
    click(qtbot, editor, "defCancel")
    qtbot.waitUntil(lambda: window.measures.editor is None)


def test_norms_are_written_with_their_source_and_refused_without_it(
    qtbot: QtBot,
    window: MainWindow,  # noqa: F811
) -> None:
    dialog = open_instruments(window, qtbot)
    editor = open_editor(window, qtbot, dialog, "newInstrumentButton")
    type_text(qtbot, editor, "defId", "pa-outcome-2")
    type_text(qtbot, editor, "defName", "Practice wellbeing check")
    choose(qtbot, editor, "defKind", "Outcome")
    choose(qtbot, editor, "defWhen", "Start")
    type_text(qtbot, editor, "defTimeframe", "the past week")
    type_text(qtbot, editor, "defLicence", "Our own.")
    items = table(editor, "defItems")
    edit_cell(qtbot, items, 0, 2, "0")
    edit_cell(qtbot, items, 0, 3, "10")
    click(qtbot, editor, "defAddItem")
    tick_cell(qtbot, items, 1, 5)  # item 2 reversed
    assert widget(editor, "defTotalRange").text().startswith("0 to 20")  # type: ignore[attr-defined]
    norms = widget(editor, "defNorms")
    assert isinstance(norms, QGroupBox)
    norms.setChecked(True)
    type_text(qtbot, editor, "defCutoff", "12")
    choose(qtbot, editor, "defComparison", "counts")
    type_text(qtbot, editor, "defReliability", "0,8")  # a decimal comma is read as a point
    type_text(qtbot, editor, "defReliableChange", "4")
    click(qtbot, editor, "defSave")
    assert error_text(editor) == "⚠ Figures quoted from: the text is blank; write something."
    assert editor.focusWidget() is widget(editor, "defSource")
    type_text(qtbot, editor, "defReliableChange", "four")
    type_text(qtbot, editor, "defSource", "Our practice's own audit, 2025")
    click(qtbot, editor, "defSave")
    assert error_text(editor) == (
        "⚠ Reliable change: 'four' is not a number; type a number such as 5."
    )
    assert definitions(window) == []
    type_text(qtbot, editor, "defReliableChange", "4")
    click(qtbot, editor, "defSave")
    qtbot.waitUntil(lambda: window.measures.editor is None)
    (row,) = repository.list_instrument_definitions(window.db)
    instrument = definition_from_json(row.document)
    assert instrument.norms is not None
    assert (instrument.norms.cutoff, instrument.norms.reliability) == (12, 0.8)
    assert instrument.norms.cutoff_comparison.value == "le"
    assert instrument.norms.higher_is_better and instrument.norms.reliable_change_points == 4
    assert instrument.norms.source == "Our practice's own audit, 2025"
    assert [i.reverse for i in instrument.items] == [False, True]
    assert (instrument.total_method.value, instrument.total_min, instrument.total_max) == (
        "sum",
        0,
        20,
    )
    assert QMessageBox not in {type(w) for w in QApplication.topLevelWidgets() if w.isVisible()}


def test_an_edit_keeps_an_unscored_question_and_its_own_answers_from_the_file(
    qtbot: QtBot,
    window: MainWindow,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a file sets for an item and the table has no column for (a question recorded but
    not scored, the item's own answers) survives an edit in the form; answers written for
    one range are dropped when the item's range is changed, not shown against another."""
    from alliance_desktop.domain.definitions import definition_to_json
    from alliance_desktop.domain.instruments import PHQ_9

    # As Export… makes a built-in a starting point: without its flag and default plan.
    start = replace(PHQ_9, id="pa-mood", version="1", name="Practice mood check", cli_flag=None)
    document = definition_to_json(replace(start, planned_by_default=False))
    source = tmp_path / "mood.json"
    source.write_text(json.dumps(document), "utf-8")
    monkeypatch.setattr(
        "PySide6.QtWidgets.QFileDialog.getOpenFileName", lambda *a, **k: (str(source), "")
    )
    dialog = open_instruments(window, qtbot)
    said: list[str] = []
    handle_modals([read_message(said)])
    click(qtbot, dialog, "importInstrumentButton")
    assert said[0].startswith("Added pa-mood version 1"), said
    tenth = PHQ_9.items[9]
    assert not tenth.scored and len(tenth.anchors) == 4

    def stored() -> Any:
        (row,) = repository.list_instrument_definitions(window.db)
        return definition_from_json(row.document)

    dialog.select("pa-mood")
    editor = open_editor(window, qtbot, dialog, "editInstrumentButton")
    total = widget(editor, "defTotalRange")
    assert isinstance(total, QLabel) and total.text().startswith("0 to 27"), total.text()
    tip = table(editor, "defItems").item(9, 0).toolTip()  # type: ignore[union-attr]
    assert tip.startswith("Recorded but not scored") and "Somewhat difficult, Very" in tip, tip
    assert not table(editor, "defItems").item(8, 0).toolTip()  # type: ignore[union-attr]
    type_text(qtbot, editor, "defVersion", "1")
    type_text(qtbot, editor, "defName", "Practice mood check (edited)")
    click(qtbot, editor, "defSave")
    assert not error_text(editor)
    qtbot.waitUntil(lambda: window.measures.editor is None)
    kept = stored()
    assert kept.name == "Practice mood check (edited)"
    assert not kept.items[9].scored and kept.items[9].anchors == tenth.anchors
    assert (kept.total_min, kept.total_max) == (0, 27)

    editor = open_editor(window, qtbot, dialog, "editInstrumentButton")
    type_text(qtbot, editor, "defVersion", "1")
    edit_cell(qtbot, table(editor, "defItems"), 9, 3, "4")  # five answers now, words for four
    click(qtbot, editor, "defSave")
    assert error_text(editor).startswith("⚠ Item 10: runs 0 to 4 in steps of 1, unlike item 1")
    type_text(qtbot, editor, "defAnchors", "")  # numbers for every item, then
    click(qtbot, editor, "defSave")
    assert not error_text(editor)
    qtbot.waitUntil(lambda: window.measures.editor is None)
    kept = stored()
    assert kept.items[9].maximum == 4 and kept.items[9].anchors == () and kept.anchors == ()
    assert not kept.items[9].scored and (kept.total_min, kept.total_max) == (0, 27)
