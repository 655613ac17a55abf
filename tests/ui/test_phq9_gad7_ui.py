"""PHQ-9 and GAD-7 in the window: the editor shows their wording, scores them live, raises
the risk alert for PHQ-9 item 9, saves them, and the record charts them (issue 19)."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from alliance_desktop.domain.instruments import INSTRUMENTS
from alliance_desktop.storage import repository
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.main_window import MainWindow
from alliance_desktop.ui.session_editor import SessionEditor
from tests.conftest import ARTIFACTS
from tests.ui.helpers import shown_text
from tests.ui.test_session_editor import (  # noqa: F401 (window is a fixture)
    client_id_of,
    field,
    open_new,
    use_only,
    window,
)


def answer(qtbot: QtBot, editor: SessionEditor, name: str, value: str) -> None:
    """Choose an answer as with the keyboard: focus the item's list and type its number."""
    combo = field(editor, name)
    assert isinstance(combo, QComboBox)
    combo.setFocus()
    qtbot.keyClicks(combo, value)
    assert combo.currentData() == value, name


PHQ9 = ("1", "2", "3", "0", "1", "2", "0", "1", "1")  # 11: moderate, a case; item 9 at 1
GAD7 = ("3", "3", "2", "2", "1", "1", "0")  # 12: moderate, a case


def test_phq9_and_gad7_are_entered_scored_saved_and_charted(
    qtbot: QtBot,
    window: MainWindow,  # noqa: F811 (the fixture imported above)
) -> None:
    editor = open_new(window, qtbot)
    assert {"use_PHQ-9", "use_GAD-7"} <= {b.objectName() for b in editor.instrument_boxes.values()}
    use_only(editor, "PHQ-9", "GAD-7")
    group = field(editor, "group_PHQ-9")
    words = " ".join(label.text() for label in group.findChildren(QLabel))
    assert "PHQ-9: depression over the past two weeks" in words
    assert "Thoughts that you would be better off dead" in words  # the wording ships
    for number, value in enumerate(PHQ9, start=1):
        answer(qtbot, editor, f"measure_PHQ-9_{number}", value)
    assert "10. If you checked off any problems" in words and "(not scored)" in words
    answer(qtbot, editor, "measure_PHQ-9_10", "2")  # its own anchors; counted nowhere
    difficulty = field(editor, "measure_PHQ-9_10")
    assert isinstance(difficulty, QComboBox) and difficulty.currentText() == "2 · Very difficult"
    for number, value in enumerate(GAD7, start=1):
        answer(qtbot, editor, f"measure_GAD-7_{number}", value)

    phq = field(editor, "result_PHQ-9")
    gad = field(editor, "result_GAD-7")
    assert isinstance(phq, QLabel) and isinstance(gad, QLabel)
    qtbot.waitUntil(lambda: "Total 11 of 27" in phq.text())
    assert "Total 11 of 27 · moderate · at or over the cut-off of 10" in phq.text()
    assert "Total 12 of 21" in gad.text() and "at or over the cut-off of 8" in gad.text()
    alerts = field(editor, "sessionAlerts")
    assert isinstance(alerts, QLabel)
    qtbot.waitUntil(alerts.isVisible)
    assert re.search(r"‼ Urgent: PHQ-9 item 9 \(better off dead or self-harm\)", shown_text(alerts))
    editor.grab().save(str(ARTIFACTS / "session-editor-phq9-gad7.png"))

    save = editor.findChild(QPushButton, "saveSessionButton")
    assert save is not None
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert window.editors == []
    wait_for_background_work()
    qtbot.waitUntil(lambda: not window.clients.loading)

    tree = repository.load_client_tree(window.db, client_id_of(window))
    assert tree is not None
    stored = {m.instrument_id: m.item_values for m in tree.sessions[-1].measurements}
    assert stored == {
        "PHQ-9": [*(float(v) for v in PHQ9), 2.0],
        "GAD-7": [float(v) for v in GAD7],
    }
    row = repository.list_client_rows(window.db, client_id=client_id_of(window))[0]
    assert row.summary is not None and row.summary.top_severity == "urgent"

    window.detail.tabs.setCurrentWidget(window.detail.sessions_tab)
    table = window.detail.sessions_table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    shown = [h for c, h in enumerate(headers) if not table.isColumnHidden(c)]
    assert shown == ["#", "Date", "Attendance", "PHQ-9", "GAD-7", "SRS", "Ruptures"]
    assert table.item(0, headers.index("PHQ-9")).text() == "11"

    window.detail.tabs.setCurrentWidget(window.detail.charts_page)
    qtbot.waitUntil(lambda: window.detail.findChild(QWidget, "chart_PHQ-9") is not None)
    assert window.detail.findChild(QWidget, "chart_GAD-7") is not None
    assert window.detail.record is not None
    record_charts = window.detail.record.charts
    phq_chart = record_charts.chart("PHQ-9")
    assert phq_chart is not None and phq_chart.y_range == (0, 30)
    assert [p.value for p in phq_chart.total.points] == [11]
    assert phq_chart.total.style == INSTRUMENTS["PHQ-9"].line_style
    window.detail.grab().save(str(ARTIFACTS / "record-charts-phq9-gad7.png"))
