"""The caseload dashboard as a therapist meets it: grouped alerts, counts, a way in."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from alliance_desktop.domain.alerts import AlertKind
from alliance_desktop.domain.vocabulary import ClientStatus
from alliance_desktop.services.dashboard import GROUP_TITLES, AlertGroup, Dashboard, DashboardEntry
from alliance_desktop.storage import repository
from alliance_desktop.storage.records import ActivityCounts
from alliance_desktop.ui.dashboard import MAX_LINES_PER_GROUP, CaseloadDashboard
from alliance_desktop.ui.main_window import MainWindow


def test_dashboard_groups_alerts_and_opens_the_client(
    qtbot: QtBot, demo_window: MainWindow, artifacts: Path
) -> None:
    """With no client selected the right side is the dashboard; a double-click opens one."""
    demo_window.client_list.table.clearSelection()
    assert demo_window.stack.currentWidget() is demo_window.dashboard
    shown = demo_window.dashboard.entries_shown()
    rows = [r for r in repository.list_client_rows(demo_window.db, include_alerts=True)]
    expected = {
        (r.client_id, a["reason"])
        for r in rows
        if r.status is not ClientStatus.DISCHARGED and r.summary and r.summary.alerts
        for a in r.summary.alerts
    }
    listed = {
        (cid, line.split(": ", 1)[1])
        for entries in shown.values()
        for cid, text in entries
        for line in text.split("\n")
    }
    # Every reason of every client still in therapy is shown, and nothing else.
    assert listed and listed == expected
    counts = demo_window.dashboard.counts.text()
    active = sum(1 for r in rows if r.status is ClientStatus.ACTIVE)
    assert f"<b>{active:,}</b> active clients" in counts
    demo_window.grab().save(str(artifacts / "dashboard.png"))

    tree = demo_window.dashboard.tree
    group = tree.topLevelItem(0)
    assert group is not None
    child = group.child(0)
    assert child is not None
    wanted = int(child.data(0, Qt.ItemDataRole.UserRole))
    tree.setCurrentItem(child)
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: demo_window.detail.record is not None)
    assert demo_window.detail.record is not None and demo_window.detail.record.client_id == wanted
    assert demo_window.client_list.selected_client_id() == wanted


def test_a_huge_alert_group_is_capped_with_a_pointer_to_the_list(qtbot: QtBot) -> None:
    entries = tuple(
        DashboardEntry(i, f"C-{i:05d}", "Zoë Łukasiewicz", "warning", (f"SRS fell ({i}).",))
        for i in range(1, 251)
    )
    three = ("Goal fell 4.", "Task fell 3.", "Bond fell 2.")
    falling = (DashboardEntry(7, "C-00007", "عائشة", "warning", three),)
    dashboard = Dashboard(
        active_clients=250,
        paused_clients=0,
        clients_with_alerts=250,
        groups=(
            AlertGroup(AlertKind.DROPPED, GROUP_TITLES[AlertKind.DROPPED], entries),
            AlertGroup(
                AlertKind.FALLING_SUBSCALE, GROUP_TITLES[AlertKind.FALLING_SUBSCALE], falling
            ),
        ),
        week_start=date(2026, 11, 23),
        week=ActivityCounts(sessions=12, attended=10, alliance_rated=9, outcome_rated=10),
    )
    view = CaseloadDashboard()
    qtbot.addWidget(view)
    view.show_dashboard(dashboard)
    assert view.tree.topLevelItemCount() == 0  # not on screen: built when shown
    view.show()
    (title, shown), (_, subscales) = view.entries_shown().items()
    assert title == "Alliance dropped since the last rating (250)"
    # Three reasons of one kind: one line for the client, each reason on its own row.
    assert subscales == [(7, "Warning: Goal fell 4.\nWarning: Task fell 3.\nWarning: Bond fell 2.")]
    group = view.tree.topLevelItem(1)
    assert group is not None and group.childCount() == 1
    line = group.child(0)
    assert line is not None
    single = view.tree.fontMetrics().height()
    assert line.sizeHint(2).height() >= 3 * single  # tall enough for the three lines
    assert [cid for cid, _ in shown] == list(range(1, MAX_LINES_PER_GROUP + 1))
    group = view.tree.topLevelItem(0)
    assert group is not None and group.childCount() == MAX_LINES_PER_GROUP + 1
    last = group.child(MAX_LINES_PER_GROUP)
    assert last is not None and last.text(2).startswith("… and 150 more.")
    counts = view.counts.text()
    assert "<b>9</b> of 10 (90%)" in counts and "<b>10</b> of 10 (100%)" in counts
