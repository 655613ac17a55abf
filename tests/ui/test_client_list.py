"""The client list: model contract, filtering, sorting, and its speed-critical paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from alliance_desktop.domain.vocabulary import ClientStatus
from alliance_desktop.services.summaries import list_clients
from alliance_desktop.storage.records import ClientListRow
from alliance_desktop.ui.client_list import (
    CLIENT_ID_ROLE,
    COLUMNS,
    ClientFilterProxy,
    ClientListPanel,
    ClientTableModel,
)
from tests.keyed import open_database


@pytest.fixture
def demo_rows(demo_db_path: Path) -> list[ClientListRow]:
    db = open_database(demo_db_path)
    try:
        return list_clients(db)
    finally:
        db.close()


def test_models_follow_the_qt_contract(
    qtmodeltester: object, demo_rows: list[ClientListRow]
) -> None:
    model = ClientTableModel()
    model.set_rows(demo_rows)
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    model.set_filter("", None)
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    proxy = ClientFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_filter(text="a", status=None)
    qtmodeltester.check(proxy)  # type: ignore[attr-defined]


def test_panel_filters_by_folded_text_and_status(
    qtbot: QtBot, demo_rows: list[ClientListRow]
) -> None:
    panel = ClientListPanel()
    qtbot.addWidget(panel)
    panel.set_rows(demo_rows)
    active = [r for r in demo_rows if r.status is ClientStatus.ACTIVE]
    assert panel.proxy.rowCount() == len(active)  # active by default
    panel.set_status(None)
    assert panel.proxy.rowCount() == len(demo_rows)
    target = next(r for r in demo_rows if any(ch in r.display_name for ch in "ëŁłé"))
    folded = (
        target.given_name.replace("ë", "e").replace("Ł", "l").replace("ł", "l").replace("é", "e")
    )
    qtbot.keyClicks(panel.filter_edit, folded.lower())
    shown = {panel.proxy.index(r, 1).data() for r in range(panel.proxy.rowCount())}
    assert target.display_name in shown
    assert all(
        folded.lower() in n.lower().replace("ë", "e").replace("ł", "l").replace("é", "e")
        for n in shown
    )
    panel.filter_edit.clear()
    qtbot.keyClicks(panel.filter_edit, target.code)
    assert panel.proxy.rowCount() == 1
    assert "1 of" in panel.count_label.text()


def test_sorting_every_column_keeps_the_selection(
    qtbot: QtBot, demo_rows: list[ClientListRow]
) -> None:
    panel = ClientListPanel()
    qtbot.addWidget(panel)
    panel.set_rows(demo_rows)
    panel.set_status(None)
    chosen = demo_rows[5].client_id
    assert panel.select_client(chosen)
    for column in range(len(COLUMNS)):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            panel.table.sortByColumn(column, order)
            assert panel.selected_client_id() == chosen
    panel.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)  # sessions, most first
    counts = [int(panel.proxy.index(r, 4).data()) for r in range(panel.proxy.rowCount())]
    assert counts == sorted(counts, reverse=True)
    panel.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    ids = [panel.proxy.index(r, 0).data(CLIENT_ID_ROLE) for r in range(panel.proxy.rowCount())]
    assert len(set(ids)) == len(demo_rows)


def test_alerts_have_icon_words_and_tooltip(demo_rows: list[ClientListRow]) -> None:
    model = ClientTableModel()
    model.set_rows(demo_rows)
    model.set_filter("", None)  # every status, in load order
    column = [key for key, _ in COLUMNS].index("alerts")
    with_alerts = [
        n
        for n, r in enumerate(demo_rows)
        if r.summary and r.summary.alert_count and r.status is not ClientStatus.DISCHARGED
    ]
    assert with_alerts
    index = model.index(with_alerts[0], column)
    assert "alert" in index.data() and ":" in index.data()
    assert index.data(Qt.ItemDataRole.DecorationRole) is not None
    assert index.data(Qt.ItemDataRole.ToolTipRole)
    discharged = [n for n, r in enumerate(demo_rows) if r.status is ClientStatus.DISCHARGED]
    assert model.index(discharged[0], column).data() == ""


def test_numbers_are_right_aligned(demo_rows: list[ClientListRow]) -> None:
    model = ClientTableModel()
    model.set_rows(demo_rows)
    sessions = [key for key, _ in COLUMNS].index("sessions")
    alignment = model.index(0, sessions).data(Qt.ItemDataRole.TextAlignmentRole)
    assert alignment & int(Qt.AlignmentFlag.AlignRight)


def test_ten_thousand_empty_answers_from_the_model(demo_rows: list[ClientListRow]) -> None:
    """The PySide6 6.12.0/Python 3.11 crash came from Qt handing back empty values."""
    model = ClientTableModel()
    model.set_rows(demo_rows)
    index = model.index(0, 0)
    empty = 0
    for _ in range(10_000):
        empty += model.headerData(3, Qt.Orientation.Vertical, Qt.ItemDataRole.DisplayRole) is None
        empty += index.data(Qt.ItemDataRole.DecorationRole) is None
    assert empty == 20_000
