"""A client's chart series, read from the database or from a client tree in memory.

The series themselves are computed by ``domain.series.client_charts``; this module only
adapts stored rows to its input, so the screen charts (issue 5) and the PDF report (issue 6)
draw the same numbers with the practice's own alert settings.
"""

from __future__ import annotations

from collections.abc import Iterable

from alliance_desktop.domain.alerts import AlertSettings
from alliance_desktop.domain.series import ChartSession, ClientCharts, RuptureNote, client_charts
from alliance_desktop.domain.vocabulary import Attendance
from alliance_desktop.services.summaries import load_alert_settings
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientData, SessionRow


def chart_sessions_from_rows(rows: Iterable[SessionRow]) -> list[ChartSession]:
    """Chart input from the session list's rows."""
    return [
        ChartSession(
            session_id=row.session_id,
            number=row.number,
            start=row.start,
            attended=row.attendance is Attendance.ATTENDED,
            measurements=row.measurements,
            versions=row.measurement_versions,
            ruptures=tuple(
                RuptureNote(r.kind, r.description, r.repair, r.resolved) for r in row.ruptures
            ),
        )
        for row in rows
    ]


def chart_sessions_from_tree(client: ClientData) -> list[ChartSession]:
    """Chart input from a whole client tree (what the report and the export load)."""
    return [
        ChartSession(
            session_id=s.session_id,
            number=s.number,
            start=s.start,
            attended=s.attendance is Attendance.ATTENDED,
            measurements=tuple((m.instrument_id, tuple(m.item_values)) for m in s.measurements),
            versions=tuple(m.instrument_version for m in s.measurements),
            ruptures=tuple(
                RuptureNote(r.kind, r.description, r.repair, r.resolved) for r in s.ruptures
            ),
        )
        for s in client.sessions
    ]


def charts_for_client(
    db: Database, client_id: int, settings: AlertSettings | None = None
) -> ClientCharts:
    """One client's charts straight from the database."""
    rows = repository.list_sessions(db, client_id)
    fields = repository.get_client_fields(db, client_id)
    return client_charts(
        chart_sessions_from_rows(rows),
        settings or load_alert_settings(db),
        date_of_birth=fields.date_of_birth if fields else None,
    )
