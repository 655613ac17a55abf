"""The caseload dashboard: who needs attention and why, and how this week's measuring went.

Built from the stored client summaries, whose alerts ``domain.alerts.evaluate_alerts``
computed (the same function the client record and the PDF use), so the dashboard reads
10,000 clients in one query instead of re-scoring every form. Only clients whose therapy is
still running (not discharged) are listed; discharged clients' alerts are history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from alliance_desktop.domain.alerts import KIND_NOTES, AlertKind
from alliance_desktop.domain.instruments import ALLIANCE_INSTRUMENT_IDS, OUTCOME_INSTRUMENT_IDS
from alliance_desktop.domain.vocabulary import ClientStatus
from alliance_desktop.domain.wording import severity_rank
from alliance_desktop.services.summaries import active_alerts, list_clients, stored_clients
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ActivityCounts, ClientListRow

#: Group headings in the order a therapist should read them: risk first, then the alliance
#: (the early warning of a rupture), then what is missing, then outcome. The words are the
#: domain's (``KIND_NOTES``), so a heading reads the same wherever it appears.
GROUP_TITLES: Mapping[AlertKind, str] = {kind: KIND_NOTES[kind].title for kind in AlertKind}


@dataclass(frozen=True)
class DashboardEntry:
    """One client under one alert heading, with each of that kind's alert sentences.

    A client can have several alerts of one kind (an overdue SRS and an overdue WAI-SR);
    all are kept, most urgent first. An alert that one rating raised for several rules
    (under the cut-off and dropped) is one alert, under its most pressing kind.
    """

    client_id: int
    code: str
    name: str
    severity: str  # of the most urgent of them
    reasons: tuple[str, ...]
    #: The stored alerts themselves, so a view can act on one (review or acknowledge).
    alerts: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class AlertGroup:
    """The clients with one kind of alert."""

    kind: AlertKind
    title: str
    entries: tuple[DashboardEntry, ...]


@dataclass(frozen=True)
class Dashboard:
    """Everything the caseload page shows.

    Attributes:
        active_clients: Clients with status Active.
        paused_clients: Clients with status Paused (their alerts still show).
        clients_with_alerts: Clients (not discharged) with at least one alert.
        groups: Alert groups in reading order; kinds with no client are left out.
        week_start: Monday of the week counted.
        week: Sessions held this week and how many attended ones were rated.
    """

    active_clients: int
    paused_clients: int
    clients_with_alerts: int
    groups: tuple[AlertGroup, ...]
    week_start: date
    week: ActivityCounts


def week_bounds(today: date) -> tuple[datetime, datetime]:
    """Monday 00:00 of ``today``'s week and the Monday after."""
    monday = today - timedelta(days=today.weekday())
    start = datetime.combine(monday, time.min)
    return start, start + timedelta(days=7)


def build_dashboard(
    rows: Sequence[ClientListRow], week: ActivityCounts, week_start: date
) -> Dashboard:
    """Group the clients' active alerts by kind (rows must carry their alerts)."""
    by_kind: dict[AlertKind, list[DashboardEntry]] = {kind: [] for kind in GROUP_TITLES}
    with_alerts = 0
    for row in rows:
        alerts = active_alerts(row)
        if alerts:
            with_alerts += 1
        mine: dict[AlertKind, list[Mapping[str, Any]]] = {}
        for alert in sorted(alerts, key=lambda a: severity_rank(a.get("severity"))):
            try:
                kind = AlertKind(str(alert["kind"]))
            except ValueError:
                continue  # a kind from a newer rules version; the summary is recomputed soon
            mine.setdefault(kind, []).append(alert)
        for kind, found in mine.items():
            by_kind.setdefault(kind, []).append(
                DashboardEntry(
                    row.client_id,
                    row.code,
                    row.display_name,
                    str(found[0].get("severity", "warning")),
                    tuple(str(a.get("reason", "")) for a in found),
                    tuple(found),
                )
            )
    groups = tuple(
        AlertGroup(kind, GROUP_TITLES.get(kind, str(kind)), tuple(entries))
        for kind, entries in by_kind.items()
        if entries
    )
    return Dashboard(
        active_clients=sum(1 for r in rows if r.status is ClientStatus.ACTIVE),
        paused_clients=sum(1 for r in rows if r.status is ClientStatus.PAUSED),
        clients_with_alerts=with_alerts,
        groups=groups,
        week_start=week_start,
        week=week,
    )


def load_caseload(db: Database, today: date | None = None) -> tuple[list[ClientListRow], Dashboard]:
    """The client list (with alerts) and the dashboard built from it, in one pass."""
    return _caseload(db, list_clients(db, include_alerts=True), today or date.today())


def load_stored_caseload(
    db: Database, today: date | None = None
) -> tuple[list[ClientListRow], Dashboard] | None:
    """``load_caseload`` writing nothing: None when a client's summary is missing or stale
    (``summaries.stored_clients``), which only ``load_caseload`` may recompute."""
    rows = stored_clients(db, include_alerts=True)
    return None if rows is None else _caseload(db, rows, today or date.today())


def _caseload(
    db: Database, rows: list[ClientListRow], today: date
) -> tuple[list[ClientListRow], Dashboard]:
    start, end = week_bounds(today)
    week = repository.activity_between(
        db, start, end, ALLIANCE_INSTRUMENT_IDS, OUTCOME_INSTRUMENT_IDS
    )
    return rows, build_dashboard(rows, week, start.date())
