"""The caseload dashboard service on a real database: groups, reasons, this week's counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from alliance_desktop.domain.alerts import AlertKind
from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.services import clients, sessions
from alliance_desktop.services.dashboard import GROUP_TITLES, load_caseload, week_bounds
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientFields

# A fixed Wednesday morning: a session two or four hours after NOW - 6 days must stay on
# the same day (read from the wall clock, this failed every evening from 22:00).
NOW = datetime(2026, 11, 25, 10, 0)
SESSION_DAYS = (20, 13, 6)  # a week apart, so each falls in a week of its own


def _client(db: Database, code: str, srs: list[list[float]], **extra: Any) -> int:
    intake = (NOW - timedelta(days=60)).date()
    fields = ClientFields(code, "Zoë", code, Approach.CBT, intake)
    cid = clients.create_client(db, fields).client_id
    for days, values in zip(SESSION_DAYS, srs, strict=False):
        tree = repository.load_client_tree(db, cid)
        assert tree is not None
        document: dict[str, Any] = {
            "start": (NOW - timedelta(days=days)).isoformat(timespec="minutes"),
            "measurements": [
                {"instrument_id": "SRS", "item_values": values},
                {"instrument_id": "ORS", "item_values": [5, 5, 5, 5]},
            ],
            **extra,
        }
        sessions.record_session(db, cid, sessions.parse_session(document, tree))
    return cid


def test_alerts_grouped_by_kind_with_the_rule_sentence(new_db: Database) -> None:
    falling = _client(new_db, "C-1", [[9.5] * 4, [9.5] * 4, [7.5] * 4])  # 38, 38, 30
    steady = _client(new_db, "C-2", [[9.5] * 4, [9.5] * 4, [9.5] * 4])
    gone = _client(new_db, "C-3", [[9.5] * 4, [9.5] * 4, [7.0] * 4])
    clients.discharge_client(new_db, gone, NOW.date())

    rows, dashboard = load_caseload(new_db, today=(NOW - timedelta(days=6)).date())
    by_kind = {g.kind: g for g in dashboard.groups}
    row = next(r for r in rows if r.client_id == falling)
    assert row.summary is not None and row.summary.alerts
    stored = {a["kind"]: a for a in row.summary.alerts}
    # The SRS that fell under the cut-off raises one alert with both reasons, under the
    # most pressing heading (and nothing under "dropped" for the same rating).
    merged = stored[AlertKind.UNDER_CUTOFF]
    assert merged["kinds"][:2] == ["under_cutoff", "dropped"]
    assert AlertKind.DROPPED not in by_kind
    (entry,) = by_kind[AlertKind.UNDER_CUTOFF].entries
    assert entry.client_id == falling and entry.code == "C-1"
    assert entry.reasons == (merged["reason"],)  # the domain rule's own words
    assert "fell 8 points" in merged["reason"] and "under the cut-off of 36" in merged["reason"]
    assert by_kind[AlertKind.UNDER_CUTOFF].title == GROUP_TITLES[AlertKind.UNDER_CUTOFF]
    listed = {e.client_id for g in dashboard.groups for e in g.entries}
    assert gone not in listed  # a discharged client's alerts are history
    assert steady not in listed  # SRS 38 three times: nothing to flag
    assert dashboard.active_clients == 2 and dashboard.clients_with_alerts >= 1
    kinds = [g.kind for g in dashboard.groups]
    assert kinds == [k for k in GROUP_TITLES if k in kinds]  # reading order kept


def test_this_weeks_sessions_and_measures_done_against_due(new_db: Database) -> None:
    _client(new_db, "C-1", [[9.5] * 4, [9.5] * 4, [9.5] * 4])
    cid = _client(new_db, "C-2", [[9.5] * 4])  # only the first, 20 days ago
    tree = repository.load_client_tree(new_db, cid)
    assert tree is not None
    week_day = NOW - timedelta(days=6)
    # Attended without any rating, and a cancelled slot, in the same week.
    for hours, attendance in ((2, "attended"), (4, "cancelled")):
        tree = repository.load_client_tree(new_db, cid)
        assert tree is not None
        document = {
            "start": (week_day + timedelta(hours=hours)).isoformat(timespec="minutes"),
            "attendance": attendance,
        }
        sessions.record_session(new_db, cid, sessions.parse_session(document, tree))

    _, dashboard = load_caseload(new_db, today=week_day.date())
    start, end = week_bounds(week_day.date())
    assert start.weekday() == 0 and end - start == timedelta(days=7)
    assert dashboard.week_start == start.date()
    in_week = [
        s
        for c in repository.load_client_trees(new_db)
        for s in c.sessions
        if start <= s.start < end
    ]
    assert dashboard.week.sessions == len(in_week) == 3
    assert dashboard.week.attended == 2
    assert dashboard.week.alliance_rated == 1 and dashboard.week.outcome_rated == 1


def test_an_empty_practice_has_nothing_to_show(new_db: Database) -> None:
    rows, dashboard = load_caseload(new_db, today=date(2026, 11, 25))
    assert rows == [] and dashboard.groups == ()
    assert dashboard.week.sessions == 0 and dashboard.active_clients == 0


def test_every_reason_of_a_kind_is_kept_under_one_line(new_db: Database) -> None:
    """Goal, task and bond all falling: one alert, one line, with all three pieces of advice."""
    intake = (NOW - timedelta(days=60)).date()
    cid = clients.create_client(
        new_db, ClientFields("C-7", "Ёлка", "عائشة", Approach.CBT, intake)
    ).client_id
    for days, value in ((20, 5), (6, 3)):
        tree = repository.load_client_tree(new_db, cid)
        assert tree is not None
        document = {
            "start": (NOW - timedelta(days=days)).isoformat(timespec="minutes"),
            "measurements": [{"instrument_id": "WAI-SR", "item_values": [value] * 12}],
        }
        sessions.record_session(new_db, cid, sessions.parse_session(document, tree))
    rows, dashboard = load_caseload(new_db, today=NOW.date())
    (row,) = rows
    assert row.summary is not None and row.summary.alerts is not None
    falling = [a["reason"] for a in row.summary.alerts if a["kind"] == "falling_subscale"]
    assert len(falling) == 1
    for advice in ("what the therapy is for", "how you are working together", "relationship"):
        assert advice in falling[0]
    (group,) = [g for g in dashboard.groups if g.kind is AlertKind.FALLING_SUBSCALE]
    (entry,) = group.entries
    assert entry.reasons == tuple(falling)


def test_an_unreviewed_risk_answer_stays_first_even_after_discharge(new_db: Database) -> None:
    intake = (NOW - timedelta(days=60)).date()
    cid = clients.create_client(
        new_db, ClientFields("C-9", "Zoë", "Ł", Approach.CBT, intake)
    ).client_id
    for days, item6 in ((20, 2), (6, 0)):  # a risk answer, then a clean CORE-10
        tree = repository.load_client_tree(new_db, cid)
        assert tree is not None
        document = {
            "start": (NOW - timedelta(days=days)).isoformat(timespec="minutes"),
            "measurements": [
                {"instrument_id": "CORE-10", "item_values": [1, 3, 3, 1, 1, item6, 1, 1, 1, 1]}
            ],
        }
        sessions.record_session(new_db, cid, sessions.parse_session(document, tree), now=NOW)
    _client(new_db, "C-1", [[9.5] * 4, [9.5] * 4, [7.5] * 4])
    clients.discharge_client(new_db, cid, NOW.date())
    _, dashboard = load_caseload(new_db, today=NOW.date())
    assert dashboard.groups[0].kind is AlertKind.RISK
    (entry,) = dashboard.groups[0].entries
    assert entry.client_id == cid and entry.severity == "urgent"
    assert "only a risk review clears this alert" in entry.reasons[0]
    assert len(dashboard.groups) >= 2  # C-1's alliance alert comes after it
