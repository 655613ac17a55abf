"""Risk answers and alerts in the window, as a therapist meets them, checked in the database.

A risk answer followed by a clean CORE-10 still alerts, urgent, in the record, the list
(first in every sort) and the dashboard (first group) until a review is recorded from any
of them; any other alert can be acknowledged; the editor keeps an incomplete CORE-10 and
shows its risk answer. Nothing here reads the wall clock: the controller's clock and every
``now`` are fixed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from alliance_desktop import app
from alliance_desktop.domain.alerts import AlertKind
from alliance_desktop.domain.vocabulary import Approach, ClientStatus
from alliance_desktop.services import clients
from alliance_desktop.services.summaries import client_row
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientFields
from alliance_desktop.ui.alert_dialogs import AcknowledgeDialog, RiskReviewDialog
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.client_list import CLIENT_ID_ROLE, COLUMNS, severity_icon
from alliance_desktop.ui.controllers.clients import PAGE_CLIENT
from alliance_desktop.ui.dashboard import CLIENT_ID_ROLE as BOARD_CLIENT_ROLE
from alliance_desktop.ui.main_window import MainWindow
from alliance_desktop.ui.preferences import PreferencesDialog
from tests.keyed import TEST_PASSPHRASE, open_database
from tests.records import CLEAN, ENDORSED, record
from tests.ui.helpers import handle_modals, shown_text

NOW = datetime(2026, 11, 25, 16, 0)
INTAKE = date(2026, 9, 1)


def _record(db: Database, cid: int, day: date, **measures: list[Any]) -> None:
    record(db, cid, day, NOW, **measures)


def _practice(path: Path) -> dict[str, int]:
    """Three clients: an unreviewed risk answer (Z-…), an SRS warning (A-…), a quiet one."""
    db = open_database(path)
    try:
        made = {}
        for code, given in (("A-0001", "Aoife"), ("M-0002", "Mateo"), ("Z-0003", "Zoë")):
            fields = ClientFields(code, given, "Łukasiewicz", Approach.CBT, INTAKE)
            made[code] = clients.create_client(db, fields, today=NOW.date()).client_id
        _record(db, made["Z-0003"], date(2026, 11, 4), CORE_10=ENDORSED, SRS=[9.5] * 4)
        _record(db, made["Z-0003"], date(2026, 11, 11), CORE_10=CLEAN, SRS=[9.5] * 4)
        _record(db, made["A-0001"], date(2026, 11, 4), SRS=[9.5] * 4)
        _record(db, made["A-0001"], date(2026, 11, 11), SRS=[9, 9, 9, 8.9])  # 35.9
        _record(db, made["M-0002"], date(2026, 11, 11), SRS=[9.5] * 4)
        return made
    finally:
        db.close()


@pytest.fixture
def practice(qtbot: QtBot, db_path: Path) -> Iterator[tuple[MainWindow, dict[str, int]]]:
    made = _practice(db_path)
    main = app.build_main_window(db_path, passphrase=TEST_PASSPHRASE)
    main.alerts.clock = lambda: NOW
    main.resize(1280, 800)
    main.show()
    qtbot.waitExposed(main)
    wait_for_background_work()
    qtbot.waitUntil(lambda: not main.clients.loading)
    yield main, made
    main.close()
    main.deleteLater()
    wait_for_background_work()
    main.db.close()


def _reload(qtbot: QtBot, window: MainWindow) -> None:
    wait_for_background_work()
    qtbot.waitUntil(lambda: not window.clients.loading)


def _listed_codes(window: MainWindow) -> list[str]:
    model = window.client_list.proxy
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def test_urgent_is_first_in_every_sort_with_its_own_icon_and_word(
    qtbot: QtBot, practice: tuple[MainWindow, dict[str, int]]
) -> None:
    window, made = practice
    table = window.client_list.table
    for column in ("code", "name", "alerts", "last"):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            table.sortByColumn([k for k, _ in COLUMNS].index(column), order)
            assert _listed_codes(window)[0] == "Z-0003", (column, order)
    table.sortByColumn([k for k, _ in COLUMNS].index("alerts"), Qt.SortOrder.AscendingOrder)
    assert _listed_codes(window) == ["Z-0003", "A-0001", "M-0002"]  # urgent, warning, none
    alerts_column = [k for k, _ in COLUMNS].index("alerts")
    model = window.client_list.proxy
    urgent = model.index(0, alerts_column)
    warning = model.index(1, alerts_column)
    assert urgent.data().startswith("‼ Urgent · 1 alert: CORE-10 item 6")
    assert warning.data().startswith("⚠ Warning · 1 alert: SRS fell")
    urgent_icon = urgent.data(Qt.ItemDataRole.DecorationRole)
    warning_icon = warning.data(Qt.ItemDataRole.DecorationRole)
    assert urgent_icon.toImage() != warning_icon.toImage()  # a different picture, not colour
    assert urgent_icon.toImage() == severity_icon("urgent").toImage()
    assert urgent.data(Qt.ItemDataRole.ForegroundRole) is not None
    assert warning.data(Qt.ItemDataRole.ForegroundRole) is None
    assert int(model.index(0, 0).data(CLIENT_ID_ROLE)) == made["Z-0003"]


def test_review_from_the_record_clears_the_urgent_alert_and_shows_in_history(
    qtbot: QtBot, practice: tuple[MainWindow, dict[str, int]], artifacts: Path
) -> None:
    window, made = practice
    cid = made["Z-0003"]
    window.clients.reveal_client(cid)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == PAGE_CLIENT)
    window.detail.tabs.setCurrentIndex(0)
    texts = [shown_text(label) for label in window.detail.findChildren(QLabel, "alertText")]
    assert len(texts) == 1 and texts[0].startswith("‼ Urgent: CORE-10 item 6")
    assert "a later CORE-10 (session 2) had it at 0" in texts[0]
    assert window.detail.findChild(QLabel, "alertIcon_urgent") is not None
    window.grab().save(str(artifacts / "risk_record.png"))
    button = window.detail.findChild(QPushButton, "reviewRiskButton")
    assert (
        button is not None
        and window.detail.findChild(QPushButton, "acknowledgeAlertButton") is None
    )

    seen: dict[str, str] = {}

    def save_without_answering(dialog: QWidget) -> None:
        assert isinstance(dialog, RiskReviewDialog)
        seen["waiting"] = shown_text(dialog.findChild(QLabel, "riskReviewWaiting"))
        dialog.grab().save(str(artifacts / "risk_review_dialog.png"))
        dialog.action.setPlainText("Asked about it; safety plan reviewed with the client.")
        dialog.findChild(QPushButton, "saveReviewButton").click()  # "ongoing?" not answered
        seen["error"] = dialog.error.text()
        dialog.ongoing_no.setChecked(True)
        dialog.findChild(QPushButton, "saveReviewButton").click()

    handle_modals([save_without_answering])
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert (
        "CORE-10 item 6 (plans to end my life) rated 2 at session 1 (2026-11-04)"
        in (seen["waiting"])
    )
    assert seen["error"] == "⚠ Say whether risk is ongoing (Yes or No)."
    _reload(qtbot, window)
    tree = repository.load_client_tree(window.db, cid)
    assert tree is not None
    (review,) = tree.risk_reviews
    assert (review.reviewed_on, review.risk_ongoing) == (NOW.date(), False)
    assert review.action == "Asked about it; safety plan reviewed with the client."
    qtbot.waitUntil(lambda: not window.detail.findChildren(QLabel, "alertText"))
    history = shown_text(window.detail.history)
    assert "2026-11-25 · Risk review: Asked about it" in history
    assert "Outcome: risk not ongoing" in history
    window.grab().save(str(artifacts / "risk_record_reviewed.png"))


def test_a_refused_review_keeps_the_dialog_and_what_was_typed(
    qtbot: QtBot, practice: tuple[MainWindow, dict[str, int]]
) -> None:
    window, made = practice
    seen: dict[str, str] = {}

    def date_it_too_early(dialog: QWidget) -> None:
        assert isinstance(dialog, RiskReviewDialog)
        dialog.reviewed_on.setDate(dialog.reviewed_on.date().addDays(-30))  # 2026-10-26
        dialog.action.setPlainText("Reviewed")
        dialog.ongoing_yes.setChecked(True)
        dialog.findChild(QPushButton, "saveReviewButton").click()

    def look_and_cancel(dialog: QWidget) -> None:
        assert isinstance(dialog, RiskReviewDialog)
        seen["error"] = dialog.error.text()
        seen["typed"] = dialog.action.toPlainText()
        # Escape asks before throwing typed words away: a nested modal box, so reject from
        # the event loop and let the next handler answer it.
        QTimer.singleShot(0, dialog.reject)

    def keep_then_discard(box: QWidget) -> None:
        assert isinstance(box, QMessageBox) and box.objectName() == "discardTypedBox"
        seen["asked"] = box.text()
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Discard).click()

    handle_modals([date_it_too_early, look_and_cancel, keep_then_discard])
    assert window.alerts.review_risk(made["Z-0003"]) is None
    assert "after 2026-10-26; date the review on or after that day" in seen["error"]
    assert seen["typed"] == "Reviewed"
    assert "What you typed will be lost" in seen["asked"]
    tree = repository.load_client_tree(window.db, made["Z-0003"])
    assert tree is not None and tree.risk_reviews == []


def test_dashboard_puts_risk_first_and_acknowledges_a_warning(
    qtbot: QtBot, practice: tuple[MainWindow, dict[str, int]], artifacts: Path
) -> None:
    window, made = practice
    window.client_list.table.clearSelection()
    board = window.dashboard
    assert window.stack.currentWidget() is board
    first = board.tree.topLevelItem(0)
    assert first is not None and first.text(0).startswith("Risk item answered")
    risk_line = first.child(0)
    assert risk_line is not None and int(risk_line.data(0, BOARD_CLIENT_ROLE)) == made["Z-0003"]
    assert risk_line.text(2).startswith("Urgent: CORE-10 item 6")
    board.tree.setCurrentItem(risk_line)
    assert board.review_button.isEnabled() and not board.acknowledge_button.isEnabled()
    window.grab().save(str(artifacts / "risk_dashboard.png"))

    second = board.tree.topLevelItem(1)
    assert second is not None and second.text(0).startswith("Alliance under the cut-off")
    srs_line = second.child(0)
    assert srs_line is not None
    board.tree.setCurrentItem(srs_line)
    assert board.acknowledge_button.isEnabled() and not board.review_button.isEnabled()

    def note_and_acknowledge(dialog: QWidget) -> None:
        assert isinstance(dialog, AcknowledgeDialog)
        assert "SRS fell 2.1 points" in shown_text(dialog.findChild(QLabel, "acknowledgedAlert"))
        dialog.note.setPlainText("Discussed in session 3")
        dialog.grab().save(str(artifacts / "acknowledge_dialog.png"))
        dialog.findChild(QPushButton, "acknowledgeButton").click()

    handle_modals([note_and_acknowledge])
    qtbot.mouseClick(board.acknowledge_button, Qt.MouseButton.LeftButton)
    _reload(qtbot, window)
    assert window.stack.currentWidget() is board  # acted on from the dashboard: still there
    titles = [board.tree.topLevelItem(i).text(0) for i in range(board.tree.topLevelItemCount())]
    assert not any(t.startswith("Alliance under the cut-off") for t in titles)
    tree = repository.load_client_tree(window.db, made["A-0001"])
    assert tree is not None
    (ack,) = tree.acknowledgements
    assert ack.note == "Discussed in session 3" and ack.kinds[:2] == ["under_cutoff", "dropped"]
    row = client_row(window.db, made["A-0001"])
    assert row is not None and row.summary is not None and row.summary.alert_count == 0

    def review(dialog: QWidget) -> None:
        assert isinstance(dialog, RiskReviewDialog)
        dialog.action.setPlainText("Phoned the client; safety plan in place")
        dialog.ongoing_yes.setChecked(True)
        dialog.findChild(QPushButton, "saveReviewButton").click()

    first = board.tree.topLevelItem(0)
    assert first is not None and first.child(0) is not None
    board.tree.setCurrentItem(first.child(0))
    handle_modals([review])
    qtbot.mouseClick(board.review_button, Qt.MouseButton.LeftButton)
    _reload(qtbot, window)
    # Reviewed with risk ongoing: no longer urgent, still in view as a warning.
    first = board.tree.topLevelItem(0)
    assert first is not None and first.text(0).startswith("Risk reviewed, still ongoing")


def test_editor_keeps_an_incomplete_core10_and_offers_the_review(
    qtbot: QtBot, practice: tuple[MainWindow, dict[str, int]], artifacts: Path
) -> None:
    window, made = practice
    cid = made["M-0002"]
    (stored,) = repository.list_sessions(window.db, cid)
    editor = window.sessions.open_session(cid, stored.session_id)
    assert editor is not None
    qtbot.waitExposed(editor)
    editor.instrument_boxes["CORE-10"].setChecked(True)
    # Items 1, 2 and 8 left blank; item 6 rated 3 (Often).
    answers = {3: 3, 4: 1, 5: 1, 6: 3, 7: 1, 9: 1, 10: 1}
    for number, value in answers.items():
        combo = editor.findChild(QComboBox, f"measure_CORE-10_{number}")
        assert combo is not None
        combo.setCurrentIndex(combo.findData(str(value)))
    editor.refresh_preview()
    result = editor.findChild(QLabel, "result_CORE-10")
    assert result is not None
    assert result.text().startswith("Incomplete: 7 of 10 entered, kept without a score")
    alerts = shown_text(editor.alerts_box)
    assert alerts.startswith("‼ Urgent: CORE-10 item 6 (plans to end my life) was rated 3")
    assert editor.review_button.isVisible()
    editor.grab().save(str(artifacts / "risk_editor.png"))

    questions: list[str] = []

    def save_anyway(box: QWidget) -> None:  # "CORE-10 has 3 items missing … kept as incomplete"
        assert isinstance(box, QMessageBox)
        questions.append(box.text())
        box.button(QMessageBox.StandardButton.Save).click()

    def review(dialog: QWidget) -> None:
        assert isinstance(dialog, RiskReviewDialog)
        dialog.action.setPlainText("Talked it through at the end of the session")
        dialog.ongoing_no.setChecked(True)
        dialog.findChild(QPushButton, "saveReviewButton").click()

    def save_first(box: QWidget) -> None:
        assert isinstance(box, QMessageBox) and "Save the session now" in box.text()
        box.button(QMessageBox.StandardButton.Save).click()

    handle_modals([save_first, save_anyway, review])
    # The review covers what is stored, so the editor asks to save first (Save is the
    # answer the test gives), then the incomplete CORE-10 asks to be confirmed.
    qtbot.mouseClick(editor.review_button, Qt.MouseButton.LeftButton)
    _reload(qtbot, window)
    assert any("3 items missing (items 1, 2 and 8)" in q for q in questions), questions
    tree = repository.load_client_tree(window.db, cid)
    assert tree is not None
    (form,) = [m for m in tree.sessions[0].measurements if m.instrument_id == "CORE-10"]
    assert form.item_values == [None, None, 3, 1, 1, 3, 1, None, 1, 1]
    (review_row,) = tree.risk_reviews
    assert review_row.covers and review_row.covers[0]["value"] == 3


def test_preferences_show_every_rule_with_its_reason_and_the_wheel_scrolls_past(
    qtbot: QtBot, practice: tuple[MainWindow, dict[str, int]], artifacts: Path
) -> None:
    window, _ = practice
    from alliance_desktop.services import settings as settings_service

    dialog = PreferencesDialog(
        window,
        settings_service.load_practice(window.db),
        settings_service.load_alert_settings(window.db),
    )
    qtbot.addWidget(dialog)
    dialog.tabs.setCurrentIndex(1)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.grab().save(str(artifacts / "preferences_alerts.png"))
    texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "OpenFIT's red alert" in texts and "Duncan et al. 2003" in texts
    assert "no threshold is published" in texts
    spin = dialog.alert_fields["srs_drop"]
    assert isinstance(spin, QDoubleSpinBox) and not spin.hasFocus()
    before = spin.value()
    centre = QPointF(spin.rect().center())
    wheel = QWheelEvent(
        centre,
        QPointF(spin.mapToGlobal(spin.rect().center())),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(spin, wheel)
    assert spin.value() == before  # an unfocused field keeps its value
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.mouseClick(spin.lineEdit(), Qt.MouseButton.LeftButton)  # clicked: the wheel is its
    qtbot.waitUntil(spin.hasFocus)
    QApplication.sendEvent(spin, wheel)
    assert spin.value() == pytest.approx(before + 0.1)  # focused: the wheel changes it
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel).click()
    assert AlertKind.RISK in dialog.alert_switches


def test_a_paused_clients_urgent_alert_shows_in_the_active_list(
    qtbot: QtBot, practice: tuple[MainWindow, dict[str, int]]
) -> None:
    window, made = practice
    fields = clients.client_record(window.db, made["Z-0003"]).fields
    from dataclasses import replace

    change = clients.update_client(
        window.db, made["Z-0003"], replace(fields, status=ClientStatus.PAUSED), today=NOW.date()
    )
    window.events.dataChanged.emit(change)
    _reload(qtbot, window)
    assert window.client_list.status() is ClientStatus.ACTIVE
    assert _listed_codes(window)[0] == "Z-0003"  # shown, first, though not active
    assert "M-0002" in _listed_codes(window)


def test_the_wheel_never_changes_an_unfocused_answer_in_the_editor(
    qtbot: QtBot, practice: tuple[MainWindow, dict[str, int]]
) -> None:
    window, made = practice
    (stored,) = repository.list_sessions(window.db, made["M-0002"])
    editor = window.sessions.open_session(made["M-0002"], stored.session_id)
    assert editor is not None
    qtbot.waitExposed(editor)
    editor.instrument_boxes["CORE-10"].setChecked(True)
    item6 = editor.findChild(QComboBox, "measure_CORE-10_6")
    assert item6 is not None
    item6.setCurrentIndex(item6.findData("3"))
    editor.save_button.setFocus()
    qtbot.waitUntil(lambda: not item6.hasFocus())
    for _ in range(3):
        QApplication.sendEvent(item6, _wheel(item6, 120))
    assert item6.currentData() == "3"  # "3 · Often" stays: two notches never erase it
    editor.discard_and_close()


def _wheel(widget: QWidget, delta: int) -> QWheelEvent:
    centre = QPointF(widget.rect().center())
    return QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(widget.rect().center())),
        QPoint(0, 0),
        QPoint(0, delta),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )


def test_a_review_from_an_untouched_editor_needs_no_save_and_the_editor_shows_it(
    qtbot: QtBot, practice: tuple[MainWindow, dict[str, int]]
) -> None:
    """The risk answer is from an earlier session: review it without saving this one."""
    window, made = practice
    cid = made["Z-0003"]
    second = repository.list_sessions(window.db, cid)[1]
    editor = window.sessions.open_session(cid, second.session_id)
    assert editor is not None
    qtbot.waitExposed(editor)
    assert editor.review_button.isVisible()
    assert shown_text(editor.alerts_box).startswith("‼ Urgent: CORE-10 item 6")

    def review(dialog: QWidget) -> None:  # straight to the review: no "save first?" box
        assert isinstance(dialog, RiskReviewDialog)
        dialog.action.setPlainText("Talked it through")
        dialog.ongoing_no.setChecked(True)
        dialog.findChild(QPushButton, "saveReviewButton").click()

    seen = handle_modals([review])
    qtbot.mouseClick(editor.review_button, Qt.MouseButton.LeftButton)
    assert seen == ["RiskReviewDialog"]
    assert editor.isVisible()  # the editor stays open, and now shows the review
    assert "Urgent" not in shown_text(editor.alerts_box)
    assert not editor.review_button.isVisible()
    editor.discard_and_close()


def test_a_review_can_be_recorded_without_an_alert_from_the_client_menu(
    qtbot: QtBot, practice: tuple[MainWindow, dict[str, int]]
) -> None:
    window, made = practice
    window.clients.reveal_client(made["M-0002"])
    qtbot.waitUntil(lambda: window.client_list.selected_client_id() == made["M-0002"])

    def review(dialog: QWidget) -> None:
        assert isinstance(dialog, RiskReviewDialog)
        waiting = shown_text(dialog.findChild(QLabel, "riskReviewWaiting"))
        assert waiting.startswith("No risk answer is waiting")
        dialog.action.setPlainText("Disclosed thoughts of self-harm in conversation; plan made")
        dialog.ongoing_yes.setChecked(True)
        dialog.findChild(QPushButton, "saveReviewButton").click()

    handle_modals([review])
    window.review_risk_action.trigger()
    _reload(qtbot, window)
    row = client_row(window.db, made["M-0002"])
    assert row is not None and row.summary is not None
    assert [a["kind"] for a in row.summary.alerts or []][:1] == ["risk_ongoing"]
