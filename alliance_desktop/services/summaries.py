"""Per-client summaries (counts, latest alliance score, active alerts) for the client list.

Summaries are derived data stored in ``client_summaries`` by the write path, so the list of
10,000 clients loads in one query. Every figure comes from the ``domain`` functions that the
charts and the PDF use. ``rules_key`` ties a stored summary to the alert rules and settings it
was computed with; when either changes, the rows are recomputed on the next load.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alliance_desktop.domain.alerts import (
    ALERT_RULES_VERSION,
    Acknowledgement,
    Alert,
    AlertKind,
    AlertSettings,
    MeasurementFact,
    SessionFact,
    evaluate_alerts,
)
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    ALLIANCE_INSTRUMENT_IDS,
    custom_instruments,
    instrument_for,
)
from alliance_desktop.domain.risk import Endorsement, EndorsementKey, RiskReview
from alliance_desktop.domain.scoring import score
from alliance_desktop.domain.vocabulary import Attendance, ClientStatus
from alliance_desktop.domain.wording import severity_rank
from alliance_desktop.services.text import fold
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import (
    AcknowledgementData,
    ClientData,
    ClientExtras,
    ClientListRow,
    ClientSummaryData,
    MeasurementFactRow,
    RemovedRiskAnswerData,
    RiskReviewData,
    SessionFactRow,
)

ALERT_SETTINGS_KEY = "alert_settings"
_NO_EXTRAS = ClientExtras()  # frozen: safe to share

log = logging.getLogger(__name__)


def load_alert_settings(db: Database) -> AlertSettings:
    """The practice's alert settings (defaults when none are stored)."""
    stored = repository.get_setting(db, ALERT_SETTINGS_KEY)
    if not stored:
        return AlertSettings()
    try:
        return AlertSettings.from_dict(stored)
    except (DomainError, TypeError, ValueError, AttributeError):
        # A bad stored value (an old import, a hand-edited file) must not stop every list,
        # report and New session: the defaults apply until Preferences saves good ones.
        log.warning("stored alert settings unusable; using the defaults")
        return AlertSettings()


def rules_key(settings: AlertSettings) -> str:
    """A short fingerprint of the rules version and settings a summary was computed with,
    and of the practice's own instruments (a new version, or retiring one, changes what
    the summaries say, so they are worked out again)."""
    own = sorted(
        (i, [v.version for v in c.versions], c.retired) for i, c in custom_instruments().items()
    )
    fingerprint: dict[str, Any] = {"rules": ALERT_RULES_VERSION, "settings": settings.to_dict()}
    if own:  # (absent otherwise, so the summaries of practices without any stay as they are)
        fingerprint["instruments"] = own
    payload = json.dumps(fingerprint, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SessionLine:
    """What a summary needs of one session."""

    number: int
    start: datetime
    attendance: Attendance


def risk_reviews(data: Iterable[RiskReviewData]) -> list[RiskReview]:
    """Stored reviews as the domain reads them (an unreadable covered answer is skipped)."""
    reviews = []
    for r in data:
        keys = []
        for cover in r.covers:
            try:
                keys.append(EndorsementKey.from_dict(cover))
            except DomainError:
                continue  # such an answer stays unreviewed: it alerts, it is never hidden
        reviews.append(
            RiskReview(r.reviewed_on, r.action, r.risk_ongoing, r.recorded_at, tuple(keys))
        )
    return reviews


def removed_answers(data: Iterable[RemovedRiskAnswerData]) -> list[Endorsement]:
    """Risk answers an edit took out of the record, as the domain reads them."""
    return [
        Endorsement(r.instrument_id, r.item, r.value, r.session_number, r.taken_at, removed=True)
        for r in data
    ]


def acknowledgements(data: Iterable[AcknowledgementData]) -> list[Acknowledgement]:
    """Stored acknowledgements as the domain reads them (unknown kinds are left out)."""
    known = {k.value for k in AlertKind}
    return [
        Acknowledgement(
            tuple(AlertKind(k) for k in a.kinds if k in known),
            a.instrument_id,
            a.rating_at,
            a.acknowledged_at,
            a.note,
            a.reason,
        )
        for a in data
    ]


def alert_to_dict(alert: Alert) -> dict[str, Any]:
    """An alert as the summary stores it (JSON-ready)."""
    return {
        "kind": str(alert.kind),
        "kinds": [str(k) for k in alert.kinds],
        "instrument_id": alert.instrument_id,
        "session_number": alert.session_number,
        "severity": str(alert.severity),
        "reason": alert.reason,
        "rating_at": alert.rating_at.isoformat() if alert.rating_at else None,
    }


def summarise(
    sessions: Sequence[SessionLine],
    measurements: Sequence[MeasurementFact],
    settings: AlertSettings,
    key: str,
    extras: ClientExtras = _NO_EXTRAS,
) -> ClientSummaryData:
    """Compute one client's summary from plain facts."""
    counts = Counter(s.attendance for s in sessions)
    facts = [SessionFact(s.number, s.start, s.attendance is Attendance.ATTENDED) for s in sessions]
    last_session = max((s.start for s in facts if s.attended), default=None)
    alliance_id, alliance_total, alliance_at = _latest_alliance(measurements)
    found = sorted(
        evaluate_alerts(
            facts,
            measurements,
            settings,
            date_of_birth=extras.date_of_birth,
            reviews=risk_reviews(extras.risk_reviews),
            acknowledgements=acknowledgements(extras.acknowledgements),
            removed_answers=removed_answers(extras.removed_risk_answers),
        ),
        key=lambda a: severity_rank(a.severity),
    )
    alerts = [alert_to_dict(a) for a in found]
    return ClientSummaryData(
        sessions_total=len(sessions),
        attended=counts[Attendance.ATTENDED],
        cancelled=counts[Attendance.CANCELLED],
        no_show=counts[Attendance.NO_SHOW],
        last_session=last_session,
        alliance_instrument=alliance_id,
        alliance_latest=alliance_total,
        alliance_taken_at=alliance_at,
        alert_count=len(alerts),
        top_alert=found[0].reason if found else None,
        alerts=alerts,
        rules_key=key,
        top_severity=str(found[0].severity) if found else None,
    )


def summarise_tree(client: ClientData, settings: AlertSettings, key: str) -> ClientSummaryData:
    """Summary of a client tree held in memory (demo generation, import)."""
    lines = [SessionLine(s.number, s.start, s.attendance) for s in client.sessions]
    facts = [
        MeasurementFact(
            m.instrument_id, s.number, m.taken_at, tuple(m.item_values), m.instrument_version
        )
        for s in client.sessions
        for m in s.measurements
    ]
    extras = ClientExtras(
        client.date_of_birth,
        tuple(client.risk_reviews),
        tuple(client.acknowledgements),
        tuple(client.removed_risk_answers),
    )
    return summarise(lines, facts, settings, key, extras)


def refresh_summaries(db: Database, client_ids: Sequence[int] | None = None) -> int:
    """Recompute and store summaries for some clients (all when None); return how many."""
    settings = load_alert_settings(db)
    key = rules_key(settings)

    def compute(
        ids: list[int],
        session_rows: list[SessionFactRow],
        measurement_rows: list[MeasurementFactRow],
        extras: dict[int, ClientExtras],
    ) -> dict[int, ClientSummaryData]:
        sessions_by_client: dict[int, list[SessionLine]] = defaultdict(list)
        for s in session_rows:
            sessions_by_client[s.client_id].append(SessionLine(s.number, s.start, s.attendance))
        measurements_by_client: dict[int, list[MeasurementFact]] = defaultdict(list)
        for m in measurement_rows:
            measurements_by_client[m.client_id].append(
                MeasurementFact(
                    m.instrument_id,
                    m.session_number,
                    m.taken_at,
                    m.item_values,
                    m.instrument_version,
                )
            )
        return {
            cid: summarise(
                sessions_by_client[cid],
                measurements_by_client[cid],
                settings,
                key,
                extras.get(cid, _NO_EXTRAS),
            )
            for cid in ids
        }

    return repository.recompute_summaries(db, client_ids, compute)


def client_row(db: Database, client_id: int) -> ClientListRow | None:
    """One client's list row with current alerts (recomputing just that client if stale)."""
    key = rules_key(load_alert_settings(db))
    rows = repository.list_client_rows(db, include_alerts=True, client_id=client_id)
    if rows and (rows[0].summary is None or rows[0].summary.rules_key != key):
        refresh_summaries(db, [client_id])
        rows = repository.list_client_rows(db, include_alerts=True, client_id=client_id)
    return rows[0] if rows else None


def _stale(rows: Iterable[ClientListRow], key: str) -> list[int]:
    """Clients whose summary is missing or was computed with other rules or settings."""
    return [r.client_id for r in rows if r.summary is None or r.summary.rules_key != key]


def list_clients(
    db: Database, status: ClientStatus | None = None, *, include_alerts: bool = False
) -> list[ClientListRow]:
    """The client list with current summaries, recomputing any that are missing or stale."""
    key = rules_key(load_alert_settings(db))
    rows = repository.list_client_rows(db, status, include_alerts=include_alerts)
    stale = _stale(rows, key)
    if stale:
        refresh_summaries(db, stale)
        rows = repository.list_client_rows(db, status, include_alerts=include_alerts)
    return rows


def stored_clients(
    db: Database, status: ClientStatus | None = None, *, include_alerts: bool = False
) -> list[ClientListRow] | None:
    """The client list as stored, writing nothing; None when a summary is missing or stale.

    ``list_clients`` recomputes such summaries, which writes. The window's first list comes
    from here, while SQLite's check of the database just opened is still running: nothing
    may be written before that check has passed.
    """
    key = rules_key(load_alert_settings(db))
    rows = repository.list_client_rows(db, status, include_alerts=include_alerts)
    return None if _stale(rows, key) else rows


#: Client-list columns whose order the first screen can be read in (``first_screen``): the
#: others sort by folded text or by what the alert list says, which SQL cannot reproduce.
FIRST_SCREEN_ORDERS = repository.FIRST_ROWS_ORDERS


@dataclass(frozen=True)
class FirstScreen:
    """The first rows of the client list as it will be shown, and how many clients exist."""

    rows: list[ClientListRow]
    total: int


def first_screen(
    db: Database,
    *,
    status: ClientStatus | None,
    order: str,
    descending: bool,
    limit: int,
) -> FirstScreen | None:
    """The first ``limit`` rows the client list shows, in its order, writing nothing.

    The list shows clients of ``status`` (all when None) and every client with an urgent
    alert, urgent first, then by the column ``order`` (one of ``FIRST_SCREEN_ORDERS``),
    ties in code order: the same rows, in the same order, as sorting the whole list gives.
    None when the order is not one of those, or a summary among the rows is missing or
    stale (``list_clients`` recomputes those). The window shows these while the whole list
    loads: at 50,000 clients the whole list takes half a second, these a few milliseconds.
    """
    if order not in FIRST_SCREEN_ORDERS:
        return None
    key = rules_key(load_alert_settings(db))
    rows, total = repository.first_client_rows(
        db, status=status, order=order, descending=descending, limit=limit
    )
    if _stale(rows, key):
        return None
    return FirstScreen(rows, total)


def search_keys(rows: Iterable[ClientListRow]) -> list[str]:
    """Each row's folded "code name" (``services.text.fold``): what the find box matches.

    Made where the rows are loaded, off the UI thread (folding 50,000 names takes about
    a tenth of a second). Plain ASCII folds to its lower case, the same result, 20x faster.
    """
    keys = []
    for row in rows:
        text = f"{row.code} {row.display_name}"
        keys.append(text.lower() if text.isascii() else fold(text))
    return keys


def active_alerts(row: ClientListRow) -> list[dict[str, Any]]:
    """Alerts that call for action.

    A discharged client's alerts are history, except an urgent one: a risk answer nobody
    has reviewed stays in view even after discharge.
    """
    if row.summary is None:
        return []
    if row.summary.alerts is None:
        raise ValueError("list the clients with include_alerts=True to read their alerts")
    if row.status is ClientStatus.DISCHARGED:
        return [a for a in row.summary.alerts if a.get("severity") == "urgent"]
    return list(row.summary.alerts)


def shown_alert_count(row: ClientListRow) -> tuple[int, str | None, str | None]:
    """(count, most pressing reason, its severity) as the client list shows them.

    Works without the decoded alert list: a discharged client shows only an urgent alert.
    """
    s = row.summary
    if s is None or not s.alert_count:
        return 0, None, None
    if row.status is ClientStatus.DISCHARGED:
        if s.top_severity != "urgent":
            return 0, None, None
        if s.alerts is not None:
            urgent = [a for a in s.alerts if a.get("severity") == "urgent"]
            return len(urgent), s.top_alert, "urgent"
        return 1, s.top_alert, "urgent"
    return s.alert_count, s.top_alert, s.top_severity


def _latest_alliance(
    measurements: Iterable[MeasurementFact],
) -> tuple[str | None, float | None, datetime | None]:
    """The most recent scoreable alliance measure; at the same time, the one first in the
    registry's order wins (the session's SRS over its WAI-SR)."""
    rank = {instrument_id: n for n, instrument_id in enumerate(ALLIANCE_INSTRUMENT_IDS)}
    candidates = sorted(
        (m for m in measurements if m.instrument_id in rank),
        key=lambda m: (m.taken_at, -rank[m.instrument_id]),
        reverse=True,
    )
    for m in candidates:  # usually the first one scores; only unscoreable rows are skipped
        try:
            instrument = instrument_for(m.instrument_id, m.instrument_version)
            if instrument is None:
                continue
            total = score(instrument, m.values).total
        except DomainError:
            continue
        if total is not None:
            return m.instrument_id, total, m.taken_at
    return None, None, None
