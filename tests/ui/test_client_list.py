"""The client list: model contract, filtering, sorting, and its speed-critical paths."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from alliance_desktop.domain.vocabulary import ClientStatus
from alliance_desktop.services.summaries import (
    FIRST_SCREEN_ORDERS,
    first_screen,
    list_clients,
    search_keys,
    shown_alert_count,
)
from alliance_desktop.services.text import fold
from alliance_desktop.storage.records import ClientListRow
from alliance_desktop.ui.client_list import (
    CLIENT_ID_ROLE,
    COLUMN_KEYS,
    COLUMNS,
    ClientListPanel,
    ClientTableModel,
)
from tests.keyed import open_database, raw_connect


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
    model.set_filter("a", None)  # (the view talks to the model itself: no proxy between)
    assert 0 < model.rowCount() < len(demo_rows)
    qtmodeltester.check(model)  # type: ignore[attr-defined]


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


# -- issue 18: finding among 50,000 clients within a frame, and the first screen ----------

TRICKY = (
    "Zoë Łukasiewicz", "ZOË", "Łukasz Żółć", "Ёлка Петрова", "عائشة الحسيني", "Ærøskøbing",
    "Straße", "İlkay Ilgaz", "ﬁona Œuvre", "😀 Emoji Smile", "Nguyễn Thị", "ǅemal", "",
)  # fmt: skip


def _row(template: ClientListRow, client_id: int, code: str, given: str) -> ClientListRow:
    return replace(template, client_id=client_id, code=code, given_name=given, family_name="")


def test_search_keys_fold_exactly_as_the_find_box_does(demo_rows: list[ClientListRow]) -> None:
    rows = [_row(demo_rows[0], n, f"C-{n}", name) for n, name in enumerate(TRICKY)]
    assert search_keys(rows) == [fold(f"{r.code} {r.display_name}") for r in rows]
    assert search_keys(demo_rows) == [fold(f"{r.code} {r.display_name}") for r in demo_rows]


def test_filtering_finds_what_a_plain_search_finds_as_one_types_and_erases(
    demo_rows: list[ClientListRow],
) -> None:
    rows = demo_rows + [
        _row(demo_rows[0], 10_000 + n, f"X-{n}", name) for n, name in enumerate(TRICKY)
    ]
    # A discharged client with an urgent alert: shown whatever status is chosen.
    summary = rows[-2].summary
    assert summary is not None
    rows[-2] = replace(
        rows[-2],
        status=ClientStatus.DISCHARGED,
        summary=replace(summary, top_severity="urgent", alert_count=1, top_alert="risk"),
    )
    model = ClientTableModel()
    model.set_rows(rows)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))

    def shown() -> list[int]:
        return [model.row_at(r).client_id for r in range(model.rowCount())]

    def urgent(row: ClientListRow) -> bool:
        return shown_alert_count(row)[2] == "urgent"

    def expected(needle: str, status: ClientStatus | None) -> list[int]:
        """A plain search, row by row, in the order the list keeps."""
        return [
            row.client_id
            for row in model._all
            if needle in fold(f"{row.code} {row.display_name}")
            and (status is None or row.status is status or urgent(row))
        ]

    for status in (None, ClientStatus.ACTIVE, ClientStatus.DISCHARGED):
        for word in ("zoe", "lukasz", "ёлка", "عائشة", "😀", "ss", "ilkay", "fi", "c-0", "x-1"):
            typed = [word[:n] for n in range(1, len(word) + 1)]
            for needle in [*typed, *reversed(typed[:-1]), ""]:  # type, then Backspace
                model.set_filter(needle, status)
                assert shown() == expected(needle, status), (status, needle)
    # A new load forgets what was found in the old one.
    model.set_filter("zoe", None)
    model.set_rows([r for r in rows if "zoe" not in fold(r.display_name)])
    assert shown() == []
    # A keystroke that changes nothing shown leaves the model (and the view) alone.
    model.set_rows(rows)
    model.set_filter("lukasiewic", None)
    before = len(resets)
    model.set_filter("lukasiewicz", None)
    assert len(resets) == before and shown() == expected("lukasiewicz", None)


def test_the_first_screen_is_the_first_rows_of_the_list_in_every_order_it_gives(
    demo_db_path: Path,
) -> None:
    # Two clients with an urgent alert (one discharged: shown under "Active" too), so the
    # first screen must put them first, whatever the status shown.
    conn = raw_connect(demo_db_path)
    try:
        ids = [
            conn.execute(
                "SELECT id FROM clients WHERE status = ? ORDER BY code DESC", (s,)
            ).fetchone()[0]
            for s in ("discharged", "active")
        ]
        conn.executemany(
            "UPDATE client_summaries SET top_severity = 'urgent', alert_count = 1, "
            "top_alert = 'CORE-10 item 6' WHERE client_id = ?",
            [(i,) for i in ids],
        )
        conn.commit()
    finally:
        conn.close()
    db = open_database(demo_db_path)
    try:
        rows = list_clients(db)
        assert len([r for r in rows if r.summary and r.summary.top_severity == "urgent"]) == 2
        model = ClientTableModel()
        for order in sorted(FIRST_SCREEN_ORDERS):
            column = COLUMN_KEYS.index(order)
            for descending in (False, True):
                for status in (ClientStatus.ACTIVE, None, ClientStatus.DISCHARGED):
                    page = first_screen(
                        db, status=status, order=order, descending=descending, limit=7
                    )
                    assert page is not None and page.total == len(rows)
                    model.set_filter("", status)
                    model.set_rows(
                        rows,
                        sort_by=(
                            column,
                            Qt.SortOrder.DescendingOrder
                            if descending
                            else Qt.SortOrder.AscendingOrder,
                        ),
                    )
                    whole = [model.row_at(r).client_id for r in range(min(7, model.rowCount()))]
                    assert [r.client_id for r in page.rows] == whole, (order, descending, status)
                    assert all(r.summary is not None for r in page.rows)
        # Orders SQL cannot give (folded names, alert wording) are left to the whole list.
        for order in set(COLUMN_KEYS) - FIRST_SCREEN_ORDERS:
            assert first_screen(db, status=None, order=order, descending=False, limit=7) is None
    finally:
        db.close()


def test_a_broad_filter_repaints_the_table_once(
    qtbot: QtBot, demo_rows: list[ClientListRow]
) -> None:
    """After a reset the view used to lay its rows out on a timer that fired after its first
    repaint, so each keystroke painted the table twice."""
    panel = ClientListPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 600)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_rows(demo_rows)
    panel.set_status(None)
    qtbot.wait(0)  # (the first layout and paint)
    paints: list[int] = []

    class Counter(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                paints.append(1)
            return False

    counter = Counter(panel)
    panel.table.viewport().installEventFilter(counter)
    panel.filter_edit.setFocus()
    qtbot.keyClicks(panel.filter_edit, "a")
    for _ in range(5):
        QApplication.processEvents()
    assert 0 < panel.model.rowCount() < len(demo_rows)
    assert len(paints) == 1
