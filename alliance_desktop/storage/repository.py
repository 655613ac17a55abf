"""Repository functions: bulk reads and writes of practice records as plain dataclasses.

Bulk paths (demo, import, export, the client list) use SQLAlchemy Core so that 200,000
sessions move in seconds; everything here is dialect-neutral SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from alliance_desktop.domain.alerts import MeasurementFact
from alliance_desktop.domain.client_codes import code_key
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.risk import EndorsementKey, find_endorsements
from alliance_desktop.domain.vocabulary import (
    Approach,
    Attendance,
    ClientStatus,
    GoalStatus,
    Respondent,
    RuptureKind,
    SessionFormat,
)
from alliance_desktop.storage import instrument_store
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.errors import EditConflict, RecordGone, SessionClash, StorageError
from alliance_desktop.storage.models import (
    AlertAcknowledgement,
    Base,
    Client,
    ClientSummary,
    Goal,
    GoalRating,
    InstrumentDefinition,
    Measurement,
    RemovedRiskAnswer,
    RiskReview,
    Rupture,
    SessionDraft,
    Setting,
    TherapySession,
)
from alliance_desktop.storage.records import (
    AcknowledgementData,
    ActivityCounts,
    ClientData,
    ClientExtras,
    ClientFields,
    ClientListRow,
    ClientSummaryData,
    DraftRow,
    GoalData,
    GoalRatingData,
    GoalRow,
    InstrumentDefinitionRow,
    MeasurementData,
    MeasurementFactRow,
    RemovedRiskAnswerData,
    RiskReviewData,
    RuptureData,
    RuptureRow,
    SessionData,
    SessionFactRow,
    SessionRow,
)

_tables = Base.metadata.tables
_clients = _tables[Client.__tablename__]
_goals = _tables[Goal.__tablename__]
_sessions = _tables[TherapySession.__tablename__]
_measurements = _tables[Measurement.__tablename__]
_ratings = _tables[GoalRating.__tablename__]
_ruptures = _tables[Rupture.__tablename__]
_summaries = _tables[ClientSummary.__tablename__]
_settings = _tables[Setting.__tablename__]
_drafts = _tables[SessionDraft.__tablename__]
_reviews = _tables[RiskReview.__tablename__]
_acks = _tables[AlertAcknowledgement.__tablename__]
_removed = _tables[RemovedRiskAnswer.__tablename__]
_definitions = _tables[InstrumentDefinition.__tablename__]

# Keep IN (...) lists well under every dialect's bound-parameter limit.
_CHUNK = 500


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def count_clients(db: Database) -> int:
    """Number of clients in the database."""
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(_clients)).scalar_one())


def existing_codes(db: Database) -> set[str]:
    """Every client code in use."""
    with db.read() as conn:
        return {str(code) for code in conn.execute(select(_clients.c.code)).scalars()}


def insert_client_trees(
    db: Database,
    clients: Sequence[ClientData],
    summaries: Sequence[ClientSummaryData] | None = None,
) -> list[int]:
    """Insert whole client trees in one transaction; return the new client ids in order.

    ``summaries`` (same order as ``clients``) are stored alongside when given.
    """
    with db.write() as conn:
        return _insert_trees(conn, clients, summaries)


def import_everything(
    db: Database,
    clients: Sequence[ClientData],
    summaries: Sequence[ClientSummaryData],
    settings: dict[str, Any],
) -> None:
    """Insert client trees and settings in a single transaction (all or nothing)."""
    with db.write() as conn:
        for key, value in settings.items():
            conn.execute(delete(_settings).where(_settings.c.key == key))
            conn.execute(insert(_settings).values(key=key, value=value))
        _insert_trees(conn, clients, summaries)


def import_in_batches(
    db: Database,
    batches: Iterable[tuple[Sequence[ClientData], Sequence[ClientSummaryData]]],
    settings: dict[str, Any],
    definitions: Sequence[InstrumentDefinitionRow] = (),
) -> int:
    """Settings, then client trees batch by batch (each with its summaries, same order), in a
    single transaction (all or nothing); return the number of clients inserted.

    ``batches`` is consumed inside the transaction: an error it raises (a file that changed
    while it was read, say) rolls back everything, like an error in the insert itself.
    """
    inserted = 0
    with db.write() as conn:
        for key, value in settings.items():
            conn.execute(delete(_settings).where(_settings.c.key == key))
            conn.execute(insert(_settings).values(key=key, value=value))
        for d in definitions:  # the practice's own instruments, before the data they score
            conn.execute(
                delete(_definitions).where(
                    (_definitions.c.instrument_id == d.instrument_id)
                    & (_definitions.c.version == d.version)
                )
            )
            conn.execute(
                insert(_definitions).values(
                    instrument_id=d.instrument_id,
                    version=d.version,
                    document=d.document,
                    added_at=d.added_at,
                    retired_at=d.retired_at,
                )
            )
        for clients, summaries in batches:
            inserted += len(_insert_trees(conn, clients, summaries))
    return inserted


def _returning_ids(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [int(row[0]) for row in conn.execute(statement, rows)]


def _insert_trees(
    conn: Connection,
    clients: Sequence[ClientData],
    summaries: Sequence[ClientSummaryData] | None,
) -> list[int]:
    _refuse_same_starts(clients)
    now = datetime.now().replace(microsecond=0)
    client_ids = _returning_ids(
        conn,
        _clients,
        [
            {
                "code": c.code,
                "code_key": code_key(c.code),
                "given_name": c.given_name,
                "family_name": c.family_name,
                "date_of_birth": c.date_of_birth,
                "email": c.email,
                "phone": c.phone,
                "address": c.address,
                "presenting_concern": c.presenting_concern,
                "approach": c.approach,
                "status": c.status,
                "intake_date": c.intake_date,
                "discharge_date": c.discharge_date,
                "created_at": c.created_at or now,
                "updated_at": c.updated_at or now,
            }
            for c in clients
        ],
    )
    goal_rows: list[dict[str, Any]] = []
    goal_keys: list[tuple[int, int]] = []
    session_rows: list[dict[str, Any]] = []
    session_objs: list[SessionData] = []
    for client_id, client in zip(client_ids, clients, strict=True):
        for goal in client.goals:
            goal_keys.append((client_id, goal.number))
            goal_rows.append(
                {
                    "client_id": client_id,
                    "description": goal.description,
                    "agreed_on": goal.agreed_on,
                    "status": goal.status,
                    "closed_on": goal.closed_on,
                }
            )
        for s in client.sessions:
            session_objs.append(s)
            session_rows.append(
                {
                    "client_id": client_id,
                    "number": s.number,
                    "start": s.start,
                    "duration_minutes": s.duration_minutes,
                    "format": s.format,
                    "attendance": s.attendance,
                    "approach": s.approach,
                    "notes": s.notes,
                    "tasks_agreed": s.tasks_agreed,
                    "client_feedback": s.client_feedback,
                }
            )
    goal_id_by_key = dict(zip(goal_keys, _returning_ids(conn, _goals, goal_rows), strict=True))
    session_ids = _returning_ids(conn, _sessions, session_rows)

    measurement_rows: list[dict[str, Any]] = []
    rating_rows: list[dict[str, Any]] = []
    rupture_rows: list[dict[str, Any]] = []
    for session_id, row, s in zip(session_ids, session_rows, session_objs, strict=True):
        measurement_rows.extend(
            {
                "session_id": session_id,
                "instrument_id": m.instrument_id,
                "instrument_version": m.instrument_version,
                "respondent": m.respondent,
                "item_values": list(m.item_values),
                "taken_at": m.taken_at,
            }
            for m in s.measurements
        )
        rating_rows.extend(
            {
                "session_id": session_id,
                "goal_id": goal_id_by_key[(row["client_id"], r.goal_number)],
                "rating": r.rating,
            }
            for r in s.goal_ratings
        )
        rupture_rows.extend(
            {
                "session_id": session_id,
                "kind": r.kind,
                "description": r.description,
                "repair": r.repair,
                "resolved": r.resolved,
            }
            for r in s.ruptures
        )
    review_rows = [
        _review_row(client_id, r)
        for client_id, client in zip(client_ids, clients, strict=True)
        for r in client.risk_reviews
    ]
    ack_rows = [
        _ack_row(client_id, a)
        for client_id, client in zip(client_ids, clients, strict=True)
        for a in client.acknowledgements
    ]
    removed_rows = [
        _removed_row(client_id, r)
        for client_id, client in zip(client_ids, clients, strict=True)
        for r in client.removed_risk_answers
    ]
    for table, rows in (
        (_measurements, measurement_rows),
        (_ratings, rating_rows),
        (_ruptures, rupture_rows),
        (_reviews, review_rows),
        (_acks, ack_rows),
        (_removed, removed_rows),
    ):
        if rows:
            conn.execute(insert(table), rows)
    if summaries is not None:
        _write_summaries(conn, dict(zip(client_ids, summaries, strict=True)))
    return client_ids


def _refuse_same_starts(clients: Sequence[ClientData]) -> None:
    """``SessionClash`` naming the first client with two sessions at one moment (which the
    unique index would refuse with a message naming nobody)."""
    for client in clients:
        numbers: dict[datetime, int] = {}
        for s in client.sessions:
            if s.start in numbers:
                raise SessionClash(
                    f"{client.code} has two sessions starting at {s.start:%Y-%m-%d %H:%M} "
                    f"(numbered {numbers[s.start]} and {s.number}); two sessions of one "
                    "client cannot start at the same time. Nothing was saved."
                )
            numbers[s.start] = s.number


def _review_row(client_id: int, r: RiskReviewData) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "reviewed_on": r.reviewed_on,
        "action": r.action,
        "risk_ongoing": r.risk_ongoing,
        "recorded_at": r.recorded_at,
        "covers": [dict(c) for c in r.covers],
    }


def _ack_row(client_id: int, a: AcknowledgementData) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "kinds": list(a.kinds),
        "instrument_id": a.instrument_id,
        "rating_at": a.rating_at,
        "acknowledged_at": a.acknowledged_at,
        "note": a.note,
        "reason": a.reason,
    }


def _removed_row(client_id: int, r: RemovedRiskAnswerData) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "instrument_id": r.instrument_id,
        "item": r.item,
        "value": r.value,
        "taken_at": r.taken_at,
        "session_number": r.session_number,
        "removed_at": r.removed_at,
    }


def _removed_data(r: Any) -> RemovedRiskAnswerData:
    return RemovedRiskAnswerData(
        r.instrument_id,
        int(r.item),
        float(r.value),
        r.taken_at,
        int(r.session_number),
        r.removed_at,
    )


def _review_data(r: Any) -> RiskReviewData:
    covers = r.covers if isinstance(r.covers, list) else []
    return RiskReviewData(
        r.reviewed_on,
        r.action,
        bool(r.risk_ongoing),
        r.recorded_at,
        [dict(c) for c in covers if isinstance(c, dict)],
    )


def _ack_data(r: Any) -> AcknowledgementData:
    kinds = r.kinds if isinstance(r.kinds, list) else []
    return AcknowledgementData(
        [str(k) for k in kinds],
        r.instrument_id,
        r.rating_at,
        r.acknowledged_at,
        r.note,
        r.reason,
    )


def _summary_row(client_id: int, s: ClientSummaryData) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "sessions_total": s.sessions_total,
        "attended": s.attended,
        "cancelled": s.cancelled,
        "no_show": s.no_show,
        "last_session": s.last_session,
        "alliance_instrument": s.alliance_instrument,
        "alliance_latest": s.alliance_latest,
        "alliance_taken_at": s.alliance_taken_at,
        "alert_count": s.alert_count,
        "top_alert": s.top_alert,
        "alerts": s.alerts if s.alerts is not None else [],
        "rules_key": s.rules_key,
        "top_severity": s.top_severity,
    }


def _write_summaries(conn: Connection, summaries: dict[int, ClientSummaryData]) -> None:
    ids = list(summaries)
    for chunk in _chunks(ids):
        conn.execute(delete(_summaries).where(_summaries.c.client_id.in_(chunk)))
    if ids:
        conn.execute(insert(_summaries), [_summary_row(cid, s) for cid, s in summaries.items()])


def replace_summaries(db: Database, summaries: dict[int, ClientSummaryData]) -> None:
    """Store freshly computed summaries for the given client ids."""
    with db.write() as conn:
        _write_summaries(conn, summaries)


def _client_list_columns(include_alerts: bool) -> list[Any]:
    """The columns of a client-list row, in the order ``_client_list_rows`` reads them."""
    s = _summaries.c
    columns = [
        _clients.c.id,
        _clients.c.code,
        _clients.c.given_name,
        _clients.c.family_name,
        _clients.c.status,
        _clients.c.approach,
        _clients.c.intake_date,
        s.sessions_total,
        s.attended,
        s.cancelled,
        s.no_show,
        s.last_session,
        s.alliance_instrument,
        s.alliance_latest,
        s.alliance_taken_at,
        s.alert_count,
        s.top_alert,
        s.rules_key,
        s.top_severity,
    ]
    if include_alerts:
        columns.append(s.alerts)
    return columns


def _client_list_rows(found: Iterable[Any], include_alerts: bool) -> list[ClientListRow]:
    statuses = {m.value: m for m in ClientStatus}
    approaches = {m.value: m for m in Approach}
    rows: list[ClientListRow] = []
    for r in found:
        # Positional unpacking: attribute access on 10,000 rows costs tens of ms.
        (cid, code, given, family, status_value, approach_value, intake) = r[:7]
        summary = None
        if r[17] is not None:
            summary = ClientSummaryData(
                sessions_total=r[7],
                attended=r[8],
                cancelled=r[9],
                no_show=r[10],
                last_session=r[11],
                alliance_instrument=r[12],
                alliance_latest=r[13],
                alliance_taken_at=r[14],
                alert_count=r[15],
                top_alert=r[16],
                rules_key=r[17],
                top_severity=r[18],
                alerts=list(r[19] or []) if include_alerts else None,
            )
        rows.append(
            ClientListRow(
                client_id=cid,
                code=code,
                given_name=given,
                family_name=family,
                status=statuses[status_value],
                approach=approaches[approach_value],
                intake_date=intake,
                summary=summary,
            )
        )
    return rows


def list_client_rows(
    db: Database,
    status: ClientStatus | None = None,
    *,
    include_alerts: bool = False,
    client_id: int | None = None,
) -> list[ClientListRow]:
    """Every client (or those with ``status``) with their stored summary, in one query.

    The full alert list is decoded only with ``include_alerts``; the count and the most
    pressing reason are always there. (Decoding 10,000 JSON lists costs more than the query.)
    """
    query = (
        select(*_client_list_columns(include_alerts))
        .select_from(_clients.outerjoin(_summaries, _summaries.c.client_id == _clients.c.id))
        .order_by(_clients.c.code)
    )
    if status is not None:
        query = query.where(_clients.c.status == status)
    if client_id is not None:
        query = query.where(_clients.c.id == client_id)
    with db.read() as conn:
        return _client_list_rows(conn.execute(query).all(), include_alerts)


#: Client-list columns whose order SQL reproduces (``first_client_rows``): the others sort
#: by folded text or by what the alert list says.
FIRST_ROWS_ORDERS = frozenset({"code", "sessions", "last", "alliance"})


def first_client_rows(
    db: Database, *, status: ClientStatus | None, order: str, descending: bool, limit: int
) -> tuple[list[ClientListRow], int]:
    """The first ``limit`` rows of the client list in the window's order, and how many
    clients there are: clients of ``status`` (all when None) and every client with an
    urgent alert, urgent first, then by the column ``order`` (one of ``FIRST_ROWS_ORDERS``),
    ties in code order, as sorting the whole list gives. Alerts are not decoded."""
    s = _summaries.c
    urgent = and_(s.top_severity == "urgent", s.alert_count > 0)
    query = select(*_client_list_columns(False)).select_from(
        _clients.outerjoin(_summaries, s.client_id == _clients.c.id)
    )
    if status is not None:
        query = query.where(or_(_clients.c.status == status, urgent))
    ordering: list[Any] = [case((urgent, 0), else_=1)]
    if order == "code":
        ordering.append(_clients.c.code_key.desc() if descending else _clients.c.code_key)
    else:
        # As the list sorts them: values first (nulls last), reversed as a whole when
        # descending; equal values keep the code order the rows were loaded in.
        value = {"sessions": s.attended, "last": s.last_session, "alliance": s.alliance_latest}[
            order
        ]
        missing = case((value.is_(None), 1), else_=0)
        ordering += [missing.desc(), value.desc()] if descending else [missing, value]
    query = query.order_by(*ordering, _clients.c.code).limit(limit)
    with db.read() as conn:
        found = conn.execute(query).all()
        total = int(conn.execute(select(func.count()).select_from(_clients)).scalar_one())
    return _client_list_rows(found, False), total


def recompute_summaries(
    db: Database,
    client_ids: Sequence[int] | None,
    compute: Callable[
        [list[int], list[SessionFactRow], list[MeasurementFactRow], dict[int, ClientExtras]],
        dict[int, ClientSummaryData],
    ],
) -> int:
    """Read the facts, compute summaries and store them in one write transaction.

    Holding the write lock from the read to the write means no session saved meanwhile can
    be overwritten by a summary computed from older facts. Returns how many were stored.
    """
    with db.write() as conn:
        ids = (
            list(client_ids)
            if client_ids is not None
            else [int(i) for i in conn.execute(select(_clients.c.id)).scalars()]
        )
        chosen = None if client_ids is None else ids
        sessions, measurements = _load_facts(conn, chosen)
        extras = _load_extras(conn, chosen)
        summaries = compute(ids, sessions, measurements, extras)
        _write_summaries(conn, summaries)
    return len(summaries)


def load_facts(
    db: Database, client_ids: Sequence[int] | None = None
) -> tuple[list[SessionFactRow], list[MeasurementFactRow]]:
    """Sessions and measurements (minimal columns) for some or all clients."""
    with db.read() as conn:
        return _load_facts(conn, client_ids)


def _load_extras(conn: Connection, client_ids: Sequence[int] | None) -> dict[int, ClientExtras]:
    """Date of birth, risk reviews and acknowledgements of some or all clients."""
    births: dict[int, Any] = {}
    reviews: dict[int, list[RiskReviewData]] = {}
    acks: dict[int, list[AcknowledgementData]] = {}
    removed: dict[int, list[RemovedRiskAnswerData]] = {}
    chunks: Iterable[Sequence[int] | None] = [None] if client_ids is None else _chunks(client_ids)
    for chunk in chunks:
        bq = select(_clients.c.id, _clients.c.date_of_birth).where(
            _clients.c.date_of_birth.is_not(None)
        )
        rq = select(_reviews).order_by(_reviews.c.id)
        aq = select(_acks).order_by(_acks.c.id)
        xq = select(_removed).order_by(_removed.c.id)
        if chunk is not None:
            bq = bq.where(_clients.c.id.in_(chunk))
            rq = rq.where(_reviews.c.client_id.in_(chunk))
            aq = aq.where(_acks.c.client_id.in_(chunk))
            xq = xq.where(_removed.c.client_id.in_(chunk))
        births.update({int(r[0]): r[1] for r in conn.execute(bq)})
        for r in conn.execute(rq):
            reviews.setdefault(r.client_id, []).append(_review_data(r))
        for r in conn.execute(aq):
            acks.setdefault(r.client_id, []).append(_ack_data(r))
        for r in conn.execute(xq):
            removed.setdefault(r.client_id, []).append(_removed_data(r))
    return {
        cid: ClientExtras(
            births.get(cid),
            tuple(reviews.get(cid, ())),
            tuple(acks.get(cid, ())),
            tuple(removed.get(cid, ())),
        )
        for cid in {*births, *reviews, *acks, *removed}
    }


def _load_facts(
    conn: Connection, client_ids: Sequence[int] | None
) -> tuple[list[SessionFactRow], list[MeasurementFactRow]]:
    session_query = select(
        _sessions.c.client_id, _sessions.c.number, _sessions.c.start, _sessions.c.attendance
    )
    measurement_query = select(
        _sessions.c.client_id,
        _sessions.c.number,
        _measurements.c.instrument_id,
        _measurements.c.taken_at,
        _measurements.c.item_values,
        _measurements.c.instrument_version,
    ).select_from(_measurements.join(_sessions, _sessions.c.id == _measurements.c.session_id))
    sessions: list[SessionFactRow] = []
    measurements: list[MeasurementFactRow] = []
    chunks: Iterable[Sequence[int] | None] = [None] if client_ids is None else _chunks(client_ids)
    for chunk in chunks:
        sq, mq = session_query, measurement_query
        if chunk is not None:
            sq = sq.where(_sessions.c.client_id.in_(chunk))
            mq = mq.where(_sessions.c.client_id.in_(chunk))
        sessions.extend(
            SessionFactRow(r[0], r[1], r[2], Attendance(r[3])) for r in conn.execute(sq)
        )
        measurements.extend(
            MeasurementFactRow(r[0], r[1], r[2], r[3], tuple(r[4]), r[5]) for r in conn.execute(mq)
        )
    return sessions, measurements


def _client_field_values(r: Any) -> dict[str, Any]:
    """The editable fields of a ``clients`` row, typed (shared by ClientFields and ClientData)."""
    return {
        "code": r.code,
        "given_name": r.given_name,
        "family_name": r.family_name,
        "approach": Approach(r.approach),
        "intake_date": r.intake_date,
        "status": ClientStatus(r.status),
        "date_of_birth": r.date_of_birth,
        "email": r.email,
        "phone": r.phone,
        "address": r.address,
        "presenting_concern": r.presenting_concern,
        "discharge_date": r.discharge_date,
    }


def load_client_trees(db: Database, *, client_id: int | None = None) -> list[ClientData]:
    """Every client (or one) with their whole record, ordered by code (for export)."""
    with db.read() as conn:
        return _load_trees(conn, client_id)


def _load_trees(conn: Connection, client_id: int | None) -> list[ClientData]:
    one = client_id is not None
    clients: dict[int, ClientData] = {}
    client_query = select(_clients).order_by(_clients.c.code)
    if one:
        client_query = client_query.where(_clients.c.id == client_id)
    for r in conn.execute(client_query):
        clients[r.id] = ClientData(
            **_client_field_values(r), created_at=r.created_at, updated_at=r.updated_at
        )
    goal_query = select(_goals).order_by(_goals.c.client_id, _goals.c.id)
    session_query = select(_sessions).order_by(_sessions.c.client_id, _sessions.c.number)
    measurement_query = select(_measurements).order_by(_measurements.c.id)
    rating_query = select(_ratings).order_by(_ratings.c.session_id, _ratings.c.goal_id)
    rupture_query = select(_ruptures).order_by(_ruptures.c.id)
    if one:
        own_sessions = select(_sessions.c.id).where(_sessions.c.client_id == client_id)
        goal_query = goal_query.where(_goals.c.client_id == client_id)
        session_query = session_query.where(_sessions.c.client_id == client_id)
        measurement_query = measurement_query.where(_measurements.c.session_id.in_(own_sessions))
        rating_query = rating_query.where(_ratings.c.session_id.in_(own_sessions))
        rupture_query = rupture_query.where(_ruptures.c.session_id.in_(own_sessions))
    goal_number: dict[int, int] = {}
    for r in conn.execute(goal_query):
        owner = clients[r.client_id]
        number = len(owner.goals) + 1
        goal_number[r.id] = number
        owner.goals.append(
            GoalData(number, r.description, r.agreed_on, GoalStatus(r.status), r.closed_on)
        )
    sessions: dict[int, SessionData] = {}
    for r in conn.execute(session_query):
        session = SessionData(
            number=r.number,
            start=r.start,
            approach=Approach(r.approach),
            duration_minutes=r.duration_minutes,
            format=SessionFormat(r.format),
            attendance=Attendance(r.attendance),
            notes=r.notes,
            tasks_agreed=r.tasks_agreed,
            client_feedback=r.client_feedback,
            session_id=r.id,
            version=r.version,
        )
        sessions[r.id] = session
        clients[r.client_id].sessions.append(session)
    for r in conn.execute(measurement_query):
        sessions[r.session_id].measurements.append(
            MeasurementData(
                instrument_id=r.instrument_id,
                instrument_version=r.instrument_version,
                item_values=list(r.item_values),
                taken_at=r.taken_at,
                respondent=Respondent(r.respondent),
            )
        )
    for r in conn.execute(rating_query):
        sessions[r.session_id].goal_ratings.append(GoalRatingData(goal_number[r.goal_id], r.rating))
    for r in conn.execute(rupture_query):
        sessions[r.session_id].ruptures.append(
            RuptureData(RuptureKind(r.kind), r.description, r.repair, bool(r.resolved))
        )
    review_query = select(_reviews).order_by(_reviews.c.id)
    ack_query = select(_acks).order_by(_acks.c.id)
    removed_query = select(_removed).order_by(_removed.c.id)
    if one:
        review_query = review_query.where(_reviews.c.client_id == client_id)
        ack_query = ack_query.where(_acks.c.client_id == client_id)
        removed_query = removed_query.where(_removed.c.client_id == client_id)
    for r in conn.execute(review_query):
        clients[r.client_id].risk_reviews.append(_review_data(r))
    for r in conn.execute(ack_query):
        clients[r.client_id].acknowledgements.append(_ack_data(r))
    for r in conn.execute(removed_query):
        clients[r.client_id].removed_risk_answers.append(_removed_data(r))
    return list(clients.values())


#: How many clients ``iter_client_trees`` reads (and holds) at once; well under ``_CHUNK``.
TREE_BATCH = 200


def iter_client_trees(
    db: Database, *, batch: int = TREE_BATCH
) -> Generator[ClientData, None, None]:
    """Every client with their whole record, ordered by code, read ``batch`` clients at a time.

    The same trees as ``load_client_trees``, from one read transaction (one snapshot, so an
    export stays consistent while another program writes), but never more than ``batch`` of
    them in memory: a streamed export's memory does not grow with the caseload. The
    transaction ends when the iterator is exhausted or closed (``contextlib.closing``).
    """
    size = max(1, min(batch, _CHUNK))
    with db.read() as conn:
        ids = [
            int(i) for i in conn.execute(select(_clients.c.id).order_by(_clients.c.code)).scalars()
        ]
        for start in range(0, len(ids), size):
            yield from _load_tree_batch(conn, ids[start : start + size])


def _load_tree_batch(conn: Connection, client_ids: Sequence[int]) -> list[ClientData]:
    """The whole records of ``client_ids`` (at most ``_CHUNK``), ordered by code; each list
    in each tree in the order ``_load_trees`` gives it."""
    clients: dict[int, ClientData] = {}
    client_query = select(_clients).where(_clients.c.id.in_(client_ids)).order_by(_clients.c.code)
    for r in conn.execute(client_query):
        clients[r.id] = ClientData(
            **_client_field_values(r), created_at=r.created_at, updated_at=r.updated_at
        )
    own_sessions = select(_sessions.c.id).where(_sessions.c.client_id.in_(client_ids))
    goal_query = (
        select(_goals)
        .where(_goals.c.client_id.in_(client_ids))
        .order_by(_goals.c.client_id, _goals.c.id)
    )
    goal_number: dict[int, int] = {}
    for r in conn.execute(goal_query):
        owner = clients[r.client_id]
        number = len(owner.goals) + 1
        goal_number[r.id] = number
        owner.goals.append(
            GoalData(number, r.description, r.agreed_on, GoalStatus(r.status), r.closed_on)
        )
    # The two large tables by named columns, unpacked (faster than attribute access).
    session_query = (
        select(
            _sessions.c.id,
            _sessions.c.client_id,
            _sessions.c.number,
            _sessions.c.start,
            _sessions.c.approach,
            _sessions.c.duration_minutes,
            _sessions.c.format,
            _sessions.c.attendance,
            _sessions.c.notes,
            _sessions.c.tasks_agreed,
            _sessions.c.client_feedback,
            _sessions.c.version,
        )
        .where(_sessions.c.client_id.in_(client_ids))
        .order_by(_sessions.c.client_id, _sessions.c.number)
    )
    sessions: dict[int, SessionData] = {}
    for (
        session_id,
        client_id,
        number,
        start,
        approach,
        duration,
        session_format,
        attendance,
        notes,
        tasks_agreed,
        client_feedback,
        version,
    ) in conn.execute(session_query):
        session = SessionData(
            number,
            start,
            Approach(approach),
            duration,
            SessionFormat(session_format),
            Attendance(attendance),
            notes,
            tasks_agreed,
            client_feedback,
            session_id=session_id,
            version=version,
        )
        sessions[session_id] = session
        clients[client_id].sessions.append(session)
    # Ordered by session first (each session's own rows keep their order by id), so the
    # session_id index answers the query without a scan of the whole table.
    measurement_query = (
        select(
            _measurements.c.session_id,
            _measurements.c.instrument_id,
            _measurements.c.instrument_version,
            _measurements.c.item_values,
            _measurements.c.taken_at,
            _measurements.c.respondent,
        )
        .where(_measurements.c.session_id.in_(own_sessions))
        .order_by(_measurements.c.session_id, _measurements.c.id)
    )
    for (
        session_id,
        instrument_id,
        instrument_version,
        item_values,
        taken_at,
        respondent,
    ) in conn.execute(measurement_query):
        sessions[session_id].measurements.append(
            MeasurementData(
                instrument_id,
                instrument_version,
                list(item_values),
                taken_at,
                Respondent(respondent),
            )
        )
    rating_query = (
        select(_ratings)
        .where(_ratings.c.session_id.in_(own_sessions))
        .order_by(_ratings.c.session_id, _ratings.c.goal_id)
    )
    for r in conn.execute(rating_query):
        sessions[r.session_id].goal_ratings.append(GoalRatingData(goal_number[r.goal_id], r.rating))
    rupture_query = (
        select(_ruptures)
        .where(_ruptures.c.session_id.in_(own_sessions))
        .order_by(_ruptures.c.session_id, _ruptures.c.id)
    )
    for r in conn.execute(rupture_query):
        sessions[r.session_id].ruptures.append(
            RuptureData(RuptureKind(r.kind), r.description, r.repair, bool(r.resolved))
        )
    review_query = select(_reviews).where(_reviews.c.client_id.in_(client_ids))
    for r in conn.execute(review_query.order_by(_reviews.c.id)):
        clients[r.client_id].risk_reviews.append(_review_data(r))
    ack_query = select(_acks).where(_acks.c.client_id.in_(client_ids))
    for r in conn.execute(ack_query.order_by(_acks.c.id)):
        clients[r.client_id].acknowledgements.append(_ack_data(r))
    removed_query = select(_removed).where(_removed.c.client_id.in_(client_ids))
    for r in conn.execute(removed_query.order_by(_removed.c.id)):
        clients[r.client_id].removed_risk_answers.append(_removed_data(r))
    return list(clients.values())


def get_setting(db: Database, key: str) -> Any:
    """A stored setting's JSON value, or None when unset."""
    with db.read() as conn:
        return conn.execute(select(_settings.c.value).where(_settings.c.key == key)).scalar()


def set_setting(db: Database, key: str, value: Any) -> None:
    """Store a setting (replacing any previous value)."""
    with db.write() as conn:
        conn.execute(delete(_settings).where(_settings.c.key == key))
        conn.execute(insert(_settings).values(key=key, value=value))


def set_settings(db: Database, values: dict[str, Any]) -> None:
    """Store several settings in one transaction."""
    with db.write() as conn:
        for key, value in values.items():
            conn.execute(delete(_settings).where(_settings.c.key == key))
            conn.execute(insert(_settings).values(key=key, value=value))


def all_settings(db: Database) -> dict[str, Any]:
    """Every stored setting."""
    with db.read() as conn:
        return {str(k): v for k, v in conn.execute(select(_settings.c.key, _settings.c.value))}


# --------------------------------------------------------------- therapists' instruments


def list_instrument_definitions(db: Database) -> list[InstrumentDefinitionRow]:
    """Every stored version of every custom instrument, oldest first within each."""
    with db.read() as conn:
        rows = conn.execute(
            select(_definitions).order_by(
                _definitions.c.instrument_id, _definitions.c.added_at, _definitions.c.version
            )
        ).all()
    return [
        InstrumentDefinitionRow(r.instrument_id, r.version, r.document, r.added_at, r.retired_at)
        for r in rows
    ]


def install_custom_instruments(db: Database) -> list[str]:
    """Put this database's own instruments in the registry again (after a change to them);
    the problems with versions left out (``storage.instrument_store``)."""
    try:
        rows = list_instrument_definitions(db)
    except (DBAPIError, StorageError) as exc:  # an old schema opened unmigrated, damage
        instrument_store.install(())
        return [f"the instrument definitions could not be read ({exc})"]
    return instrument_store.install(rows)


def add_instrument_definition(
    db: Database,
    instrument_id: str,
    version: str,
    document: dict[str, Any],
    added_at: datetime,
    *,
    replace: bool = False,
) -> None:
    """Store a version of a custom instrument (``replace``: over the same version)."""
    with db.write() as conn:
        if replace:
            conn.execute(
                delete(_definitions).where(
                    (_definitions.c.instrument_id == instrument_id)
                    & (_definitions.c.version == version)
                )
            )
        retired = conn.execute(
            select(_definitions.c.retired_at)
            .where(_definitions.c.instrument_id == instrument_id)
            .limit(1)
        ).scalar()
        # The last version added is the current one, in the order of ``added_at``: never
        # earlier than the latest there (a clock set back, a trip across time zones, two
        # imports within one tick would otherwise put an older version back in front).
        latest = conn.execute(
            select(func.max(_definitions.c.added_at)).where(
                _definitions.c.instrument_id == instrument_id
            )
        ).scalar()
        if latest is not None and added_at <= latest:
            added_at = latest + timedelta(microseconds=1)
        conn.execute(
            insert(_definitions).values(
                instrument_id=instrument_id,
                version=version,
                document=document,
                added_at=added_at,
                retired_at=retired,
            )
        )


def set_instrument_retired(db: Database, instrument_id: str, when: datetime | None) -> int:
    """Retire (``when``) or bring back (None) every version of a custom instrument."""
    with db.write() as conn:
        result = conn.execute(
            update(_definitions)
            .where(_definitions.c.instrument_id == instrument_id)
            .values(retired_at=when)
        )
    return int(result.rowcount or 0)


def delete_instrument_definitions(db: Database, instrument_id: str) -> None:
    """Remove every version of a custom instrument (only one without data: see services)."""
    with db.write() as conn:
        conn.execute(delete(_definitions).where(_definitions.c.instrument_id == instrument_id))


def instrument_mentions(db: Database, instrument_id: str) -> int:
    """Kept records that name an instrument besides its measurements: risk answers taken
    out of the record (they alert until reviewed) and acknowledged alerts."""
    with db.read() as conn:
        return sum(
            int(
                conn.execute(
                    select(func.count())
                    .select_from(table)
                    .where(table.c.instrument_id == instrument_id)
                ).scalar()
                or 0
            )
            for table in (_removed, _acks)
        )


def measurements_taken(db: Database, instrument_id: str, version: str | None = None) -> int:
    """How many stored measurements an instrument (or one version of it) has."""
    query = (
        select(func.count())
        .select_from(_measurements)
        .where(_measurements.c.instrument_id == instrument_id)
    )
    if version is not None:
        query = query.where(_measurements.c.instrument_version == version)
    with db.read() as conn:
        return int(conn.execute(query).scalar() or 0)


# ---------------------------------------------------------------------------- one client


def _fields_row(f: ClientFields) -> dict[str, Any]:
    return {
        "code": f.code,
        "code_key": code_key(f.code),
        "given_name": f.given_name,
        "family_name": f.family_name,
        "date_of_birth": f.date_of_birth,
        "email": f.email,
        "phone": f.phone,
        "address": f.address,
        "presenting_concern": f.presenting_concern,
        "approach": f.approach,
        "status": f.status,
        "intake_date": f.intake_date,
        "discharge_date": f.discharge_date,
    }


def client_id_for_code(db: Database, code: str) -> int | None:
    """The id of the client with this code, or None.

    Any spelling reaches the client: codes are unique, and looked up, by their key
    (``domain.client_codes.code_key``: NFC, case-folded), not SQLite's ASCII-only
    ``lower()``, so "émile-1" finds "Émile-1" and a lone "ÉLISE-1" is found at all.
    """
    with db.read() as conn:
        value = conn.execute(
            select(_clients.c.id).where(_clients.c.code_key == code_key(code))
        ).scalar()
    return int(value) if value is not None else None


def code_taken(db: Database, code: str, *, except_client: int | None = None) -> bool:
    """Whether another client already uses ``code`` (compared by key: case and accents as
    typed do not make a second code)."""
    query = select(func.count()).where(_clients.c.code_key == code_key(code))
    if except_client is not None:
        query = query.where(_clients.c.id != except_client)
    with db.read() as conn:
        return bool(conn.execute(query.select_from(_clients)).scalar_one())


def get_client_fields(db: Database, client_id: int) -> ClientFields | None:
    """A client's editable fields, or None when there is no such client."""
    with db.read() as conn:
        r = conn.execute(select(_clients).where(_clients.c.id == client_id)).first()
    return None if r is None else ClientFields(**_client_field_values(r), version=r.version)


def insert_client(db: Database, fields: ClientFields) -> int:
    """Store a new client; return its id."""
    now = datetime.now().replace(microsecond=0)
    with db.write() as conn:
        row = {**_fields_row(fields), "created_at": now, "updated_at": now}
        return _returning_ids(conn, _clients, [row])[0]


def update_client(
    db: Database, client_id: int, fields: ClientFields, *, expected_version: int | None = None
) -> int:
    """Replace a client's editable fields; return the row's new version.

    With ``expected_version`` (the version the fields were read at) the row is written only
    if it is still at that version: a change another window or the command line made
    meanwhile raises ``EditConflict`` and nothing is written. Raises ``RecordGone`` when the
    client was deleted.
    """
    now = datetime.now().replace(microsecond=0)
    statement = update(_clients).where(_clients.c.id == client_id)
    if expected_version is not None:
        statement = statement.where(_clients.c.version == expected_version)
    with db.write() as conn:
        done = conn.execute(
            statement.values(**_fields_row(fields), updated_at=now, version=_clients.c.version + 1)
        ).rowcount
        stored = conn.execute(
            select(_clients.c.version, _clients.c.code).where(_clients.c.id == client_id)
        ).first()
        if stored is None:
            raise RecordGone("That client no longer exists; it may have been deleted.")
        if not done:  # named by its code as stored (the edit may have retyped it)
            raise EditConflict(
                f"Client {stored.code} was changed elsewhere (in another window or on the "
                "command line) after it was read; nothing was saved."
            )
    return int(stored.version)


def delete_client(db: Database, client_id: int) -> None:
    """Delete a client and, through ON DELETE CASCADE, everything recorded about them."""
    with db.write() as conn:
        conn.execute(delete(_clients).where(_clients.c.id == client_id))


def list_goals(db: Database, client_id: int) -> list[GoalRow]:
    """A client's goals in the order agreed, each with its first and latest rating."""
    ratings = (
        select(_ratings.c.goal_id, _ratings.c.rating)
        .select_from(_ratings.join(_sessions, _sessions.c.id == _ratings.c.session_id))
        .where(_sessions.c.client_id == client_id)
        .order_by(_sessions.c.number)
    )
    with db.read() as conn:
        goals = conn.execute(
            select(_goals).where(_goals.c.client_id == client_id).order_by(_goals.c.id)
        ).all()
        by_goal: dict[int, list[float]] = {}
        for goal_id, rating in conn.execute(ratings):
            by_goal.setdefault(goal_id, []).append(rating)
    return [
        GoalRow(
            goal_id=g.id,
            description=g.description,
            agreed_on=g.agreed_on,
            status=GoalStatus(g.status),
            closed_on=g.closed_on,
            first_rating=by_goal[g.id][0] if by_goal.get(g.id) else None,
            latest_rating=by_goal[g.id][-1] if by_goal.get(g.id) else None,
        )
        for g in goals
    ]


def insert_goal(db: Database, client_id: int, description: str, agreed_on: date) -> int:
    """Add an active goal; return its id."""
    with db.write() as conn:
        row = {
            "client_id": client_id,
            "description": description,
            "agreed_on": agreed_on,
            "status": GoalStatus.ACTIVE,
            "closed_on": None,
        }
        return _returning_ids(conn, _goals, [row])[0]


def update_goal(
    db: Database,
    goal_id: int,
    *,
    description: str,
    agreed_on: date,
    status: GoalStatus,
    closed_on: date | None,
) -> None:
    """Replace a goal's fields."""
    with db.write() as conn:
        conn.execute(
            update(_goals)
            .where(_goals.c.id == goal_id)
            .values(
                description=description, agreed_on=agreed_on, status=status, closed_on=closed_on
            )
        )


def goal_owner(db: Database, goal_id: int) -> int | None:
    """The client id a goal belongs to, or None when there is no such goal."""
    with db.read() as conn:
        value = conn.execute(select(_goals.c.client_id).where(_goals.c.id == goal_id)).scalar()
    return int(value) if value is not None else None


def list_sessions(db: Database, client_id: int) -> list[SessionRow]:
    """A client's sessions in order, each with its raw measurements and ruptures."""
    with db.read() as conn:
        sessions = conn.execute(
            select(_sessions).where(_sessions.c.client_id == client_id).order_by(_sessions.c.number)
        ).all()
        ids = [s.id for s in sessions]
        measures: dict[int, list[tuple[str, tuple[float | None, ...]]]] = {}
        versions: dict[int, list[str]] = {}
        ruptures: dict[int, list[RuptureRow]] = {}
        for chunk in _chunks(ids):
            for sid, instrument, values, version in conn.execute(
                select(
                    _measurements.c.session_id,
                    _measurements.c.instrument_id,
                    _measurements.c.item_values,
                    _measurements.c.instrument_version,
                )
                .where(_measurements.c.session_id.in_(chunk))
                .order_by(_measurements.c.id)
            ):
                measures.setdefault(sid, []).append((instrument, tuple(values)))
                versions.setdefault(sid, []).append(version)
            for r in conn.execute(
                select(
                    _ruptures.c.session_id,
                    _ruptures.c.kind,
                    _ruptures.c.description,
                    _ruptures.c.repair,
                    _ruptures.c.resolved,
                )
                .where(_ruptures.c.session_id.in_(chunk))
                .order_by(_ruptures.c.id)
            ):
                ruptures.setdefault(r.session_id, []).append(
                    RuptureRow(RuptureKind(r.kind), r.description, r.repair, bool(r.resolved))
                )
    return [
        SessionRow(
            session_id=s.id,
            number=s.number,
            start=s.start,
            duration_minutes=s.duration_minutes,
            attendance=Attendance(s.attendance),
            format=SessionFormat(s.format),
            measurements=tuple(measures.get(s.id, [])),
            measurement_versions=tuple(versions.get(s.id, ())),
            ruptures=tuple(ruptures.get(s.id, ())),
        )
        for s in sessions
    ]


def activity_between(
    db: Database,
    start: datetime,
    end: datetime,
    alliance_ids: Sequence[str],
    outcome_ids: Sequence[str],
) -> ActivityCounts:
    """Sessions held in [start, end) by attendance, and how many attended ones were rated.

    Args:
        db: The database.
        start: First moment counted.
        end: First moment not counted.
        alliance_ids: Instruments that count as an alliance rating.
        outcome_ids: Instruments that count as an outcome rating.
    """

    def rated(ids: Sequence[str]) -> Any:
        return (
            select(_measurements.c.id)
            .where(
                _measurements.c.session_id == _sessions.c.id,
                _measurements.c.instrument_id.in_(list(ids)),
            )
            .exists()
        )

    attended = _sessions.c.attendance == Attendance.ATTENDED.value
    with db.read() as conn:
        row = conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(attended.cast(Integer)), 0),
                func.count().filter(attended, rated(alliance_ids)),
                func.count().filter(attended, rated(outcome_ids)),
            ).where(_sessions.c.start >= start, _sessions.c.start < end)
        ).one()
    return ActivityCounts(
        sessions=int(row[0]),
        attended=int(row[1]),
        alliance_rated=int(row[2]),
        outcome_rated=int(row[3]),
    )


def latest_measurements(
    db: Database, client_ids: Sequence[int]
) -> dict[int, dict[str, tuple[float | None, ...]]]:
    """Each client's latest form of each instrument (by when it was taken), raw values."""
    found: dict[int, dict[str, tuple[datetime, tuple[float | None, ...]]]] = {}
    with db.read() as conn:
        for chunk in _chunks(list(client_ids)):
            query = (
                select(
                    _sessions.c.client_id,
                    _measurements.c.instrument_id,
                    _measurements.c.taken_at,
                    _measurements.c.item_values,
                )
                .join(_sessions, _sessions.c.id == _measurements.c.session_id)
                .where(_sessions.c.client_id.in_(chunk))
            )
            for client_id, instrument_id, taken_at, values in conn.execute(query):
                mine = found.setdefault(client_id, {})
                if instrument_id not in mine or mine[instrument_id][0] <= taken_at:
                    mine[instrument_id] = (taken_at, tuple(values))
    return {cid: {i: values for i, (_, values) in forms.items()} for cid, forms in found.items()}


def session_starts(db: Database, client_id: int) -> list[datetime]:
    """When each of a client's sessions started (for clash checks)."""
    with db.read() as conn:
        return list(
            conn.execute(
                select(_sessions.c.start).where(_sessions.c.client_id == client_id)
            ).scalars()
        )


def save_session(
    db: Database,
    client_id: int,
    session: SessionData,
    *,
    replacing: int | None = None,
    expected_version: int | None = None,
    check: Callable[[ClientData], None] | None = None,
    summarise: Callable[[ClientData], ClientSummaryData] | None = None,
    discard_draft: int | None = None,
) -> tuple[int, int]:
    """Store a new session, or replace session ``replacing``, whole; return (id, number).

    ``expected_version`` is the version of ``replacing`` the edit was made on (the editor's
    ``SessionData.version``): if another window or the command line saved that session
    since, ``EditConflict`` is raised and nothing is written, the draft included. Without
    it the session is replaced whatever its version. Every replacement raises it by one.

    ``check`` is called inside the write transaction with the client's record as it is now
    (without the session being replaced), so two programs saving at once cannot both pass a
    check that only one of them may pass; it raises to refuse, and nothing is written.

    ``discard_draft`` names the editor draft this session was typed in: it is deleted in the
    same transaction, so a crash can neither lose the draft of an unsaved session nor leave
    the draft of a saved one behind (offered again, it would make a second copy).

    Sessions are numbered 1, 2, 3 … in the order they took place: a session entered late,
    between two others, takes its place and the later ones move up by one. Goal ratings name
    goals by their number within the client (1 = the first goal agreed).

    Two sessions of one client never start at the same moment (``SessionClash``): checked
    here, to name the other session, and held by a unique index whoever writes.
    """
    try:
        with db.write() as conn:
            return _save_session(
                conn,
                client_id,
                session,
                replacing=replacing,
                expected_version=expected_version,
                check=check,
                summarise=summarise,
                discard_draft=discard_draft,
            )
    except IntegrityError:
        # A writer the check could not see (a server database lets two in at once) stored
        # a session at this moment first: the unique index refused this one.
        if _start_taken(db, client_id, session.start, apart_from=replacing):
            raise SessionClash(_same_start(session.start)) from None
        raise


def _same_start(start: datetime, number: int | None = None) -> str:
    which = f"Session {number}" if number is not None else "Another session of this client"
    return (
        f"{which} already starts at {start:%Y-%m-%d %H:%M}; two sessions cannot start at "
        "the same time. Nothing was saved."
    )


def _start_taken(db: Database, client_id: int, start: datetime, *, apart_from: int | None) -> bool:
    """Whether a session of the client (other than ``apart_from``) starts at ``start``."""
    query = select(func.count()).where(
        _sessions.c.client_id == client_id, _sessions.c.start == start
    )
    if apart_from is not None:
        query = query.where(_sessions.c.id != apart_from)
    with db.read() as conn:
        return bool(conn.execute(query.select_from(_sessions)).scalar_one())


def _changed_elsewhere(client: ClientData, session: SessionData) -> EditConflict:
    return EditConflict(
        f"Session {session.number} of {client.code} was changed elsewhere (in another window "
        "or on the command line) after it was read; nothing was saved."
    )


def _save_session(
    conn: Connection,
    client_id: int,
    session: SessionData,
    *,
    replacing: int | None,
    expected_version: int | None,
    check: Callable[[ClientData], None] | None,
    summarise: Callable[[ClientData], ClientSummaryData] | None,
    discard_draft: int | None,
) -> tuple[int, int]:
    """``save_session`` inside its write transaction."""
    trees = _load_trees(conn, client_id)
    if not trees:
        raise RecordGone("That client no longer exists; it may have been deleted.")
    client = trees[0]
    old: SessionData | None = None
    if replacing is not None:
        kept = [s for s in client.sessions if s.session_id != replacing]
        if len(kept) == len(client.sessions):
            raise RecordGone("That session no longer exists; it may have been deleted.")
        (old,) = [s for s in client.sessions if s.session_id == replacing]
        # Before any check: a refusal about data someone else changed would mislead.
        if expected_version is not None and old.version != expected_version:
            raise _changed_elsewhere(client, old)
        _keep_removed_risk_answers(conn, client_id, client, old, session)
        client.sessions = kept
    if check is not None:
        check(client)
    for other in client.sessions:
        if other.start == session.start:
            raise SessionClash(_same_start(session.start, other.number))
    goal_ids = dict(
        enumerate(
            conn.execute(
                select(_goals.c.id).where(_goals.c.client_id == client_id).order_by(_goals.c.id)
            ).scalars(),
            start=1,
        )
    )
    values = {
        "start": session.start,
        "duration_minutes": session.duration_minutes,
        "format": session.format,
        "attendance": session.attendance,
        "approach": session.approach,
        "notes": session.notes,
        "tasks_agreed": session.tasks_agreed,
        "client_feedback": session.client_feedback,
    }
    if old is None:
        # Stored first under a number no session can have, then every session of the
        # client is renumbered by start time (mending gaps or an odd order from an import).
        (session_id,) = _returning_ids(
            conn, _sessions, [{"client_id": client_id, "number": _UNNUMBERED, **values}]
        )
    else:
        assert old.session_id is not None
        session_id = old.session_id
        statement = update(_sessions).where(_sessions.c.id == session_id)
        if expected_version is not None:
            statement = statement.where(_sessions.c.version == expected_version)
        done = conn.execute(statement.values(**values, version=_sessions.c.version + 1)).rowcount
        if not done:  # (the version read above holds in this transaction: a safeguard)
            raise _changed_elsewhere(client, old)
        for table in (_measurements, _ratings, _ruptures):
            conn.execute(delete(table).where(table.c.session_id == session_id))
    _insert_session_parts(conn, session_id, session, goal_ids)
    if discard_draft is not None:
        _delete_draft(conn, discard_draft)
    number = _renumber_by_start(conn, client_id, session_id)
    _store_summary(conn, client_id, summarise)
    return session_id, number


def _store_summary(
    conn: Connection,
    client_id: int,
    summarise: Callable[[ClientData], ClientSummaryData] | None,
) -> None:
    """Recompute a client's list summary in the same transaction as the change to it."""
    if summarise is not None:
        trees = _load_trees(conn, client_id)
        if trees:
            _write_summaries(conn, {client_id: summarise(trees[0])})


def _insert_session_parts(
    conn: Connection, session_id: int, session: SessionData, goal_ids: dict[int, int]
) -> None:
    """Insert a session's measurements, goal ratings and ruptures."""
    if session.measurements:
        conn.execute(
            insert(_measurements),
            [
                {
                    "session_id": session_id,
                    "instrument_id": m.instrument_id,
                    "instrument_version": m.instrument_version,
                    "respondent": m.respondent,
                    "item_values": list(m.item_values),
                    "taken_at": m.taken_at,
                }
                for m in session.measurements
            ],
        )
    if session.goal_ratings:
        missing = [r.goal_number for r in session.goal_ratings if r.goal_number not in goal_ids]
        if missing:
            raise RecordGone(f"Goal {missing[0]} no longer exists; it may have been deleted.")
        conn.execute(
            insert(_ratings),
            [
                {"session_id": session_id, "goal_id": goal_ids[r.goal_number], "rating": r.rating}
                for r in session.goal_ratings
            ],
        )
    if session.ruptures:
        conn.execute(
            insert(_ruptures),
            [
                {
                    "session_id": session_id,
                    "kind": r.kind,
                    "description": r.description,
                    "repair": r.repair,
                    "resolved": r.resolved,
                }
                for r in session.ruptures
            ],
        )


def delete_session(
    db: Database,
    client_id: int,
    session_id: int,
    summarise: Callable[[ClientData], ClientSummaryData] | None = None,
) -> None:
    """Delete one session (its measures, ratings and ruptures go with it); renumber the rest.

    An unreviewed risk answer in it is kept aside, so its alert stays until a review.
    """
    with db.write() as conn:
        trees = _load_trees(conn, client_id)
        old = next((s for t in trees for s in t.sessions if s.session_id == session_id), None)
        if trees and old is not None:
            _keep_removed_risk_answers(conn, client_id, trees[0], old, None)
        gone = conn.execute(
            delete(_sessions).where(
                _sessions.c.id == session_id, _sessions.c.client_id == client_id
            )
        ).rowcount
        if not gone:
            raise RecordGone("That session no longer exists; it may have been deleted.")
        _renumber_by_start(conn, client_id, None)
        _store_summary(conn, client_id, summarise)


def _keep_removed_risk_answers(
    conn: Connection,
    client_id: int,
    client: ClientData,
    old: SessionData,
    new: SessionData | None,
) -> None:
    """Keep every unreviewed risk answer that replacing ``old`` by ``new`` takes away.

    Deleting a session, unticking its CORE-10 or retyping item 6 must not make a risk
    answer nobody has reviewed disappear; kept here, it alerts until a review covers it.
    """

    def answers(session: SessionData) -> list[Any]:
        forms = [
            MeasurementFact(
                m.instrument_id,
                session.number,
                m.taken_at,
                tuple(m.item_values),
                m.instrument_version,
            )
            for m in session.measurements
        ]
        return find_endorsements(forms)

    staying = {e.key for e in answers(new)} if new is not None else set()
    covered: set[EndorsementKey] = set()
    for review in client.risk_reviews:
        for cover in review.covers:
            try:
                covered.add(EndorsementKey.from_dict(cover))
            except DomainError:
                continue  # unreadable: that answer is not covered, so it is kept
    kept = {
        EndorsementKey(r.instrument_id, r.taken_at, r.item, r.value)
        for r in client.removed_risk_answers
    }
    now = datetime.now().replace(microsecond=0)
    rows = [
        _removed_row(
            client_id,
            RemovedRiskAnswerData(
                e.instrument_id, e.item, e.value, e.taken_at, e.session_number, now
            ),
        )
        for e in answers(old)
        if e.key not in staying and e.key not in covered and e.key not in kept
    ]
    if rows:
        conn.execute(insert(_removed), rows)


def client_alert_records(
    db: Database, client_id: int
) -> tuple[list[RiskReviewData], list[AcknowledgementData], list[RemovedRiskAnswerData]]:
    """A client's risk reviews, acknowledged alerts and removed risk answers, oldest first."""
    with db.read() as conn:
        reviews = [
            _review_data(r)
            for r in conn.execute(
                select(_reviews).where(_reviews.c.client_id == client_id).order_by(_reviews.c.id)
            )
        ]
        acks = [
            _ack_data(r)
            for r in conn.execute(
                select(_acks).where(_acks.c.client_id == client_id).order_by(_acks.c.id)
            )
        ]
        removed = [
            _removed_data(r)
            for r in conn.execute(
                select(_removed).where(_removed.c.client_id == client_id).order_by(_removed.c.id)
            )
        ]
    return reviews, acks, removed


def add_client_record(
    db: Database,
    client_id: int,
    *,
    make: Callable[[ClientData], RiskReviewData | AcknowledgementData],
    summarise: Callable[[ClientData], ClientSummaryData] | None = None,
) -> None:
    """Store a risk review or an acknowledgement that ``make`` builds from the record now.

    ``make`` runs inside the write transaction on the client's record as it stands, so what
    a review covers (or which alert is acknowledged) is decided on data no other program
    can change meanwhile; it raises to refuse, and nothing is written. The client's list
    summary is recomputed in the same transaction.
    """
    with db.write() as conn:
        trees = _load_trees(conn, client_id)
        if not trees:
            raise RecordGone("That client no longer exists; it may have been deleted.")
        made = make(trees[0])
        if isinstance(made, RiskReviewData):
            conn.execute(insert(_reviews), [_review_row(client_id, made)])
        else:
            conn.execute(insert(_acks), [_ack_row(client_id, made)])
        _store_summary(conn, client_id, summarise)


_UNNUMBERED = -1_000_000_000  # below any -rank the renumbering passes through


def _renumber_by_start(conn: Connection, client_id: int, session_id: int | None) -> int:
    """Number a client's sessions 1..n by start time; return ``session_id``'s number (or 0).

    Two steps through negative numbers: the unique (client, number) index is checked row
    by row, so numbering in place could collide on the way.
    """
    ids = list(
        conn.execute(
            select(_sessions.c.id)
            .where(_sessions.c.client_id == client_id)
            .order_by(_sessions.c.start, _sessions.c.id)
        ).scalars()
    )
    if not ids:  # the client's last session was deleted
        return 0
    conn.execute(
        update(_sessions).where(_sessions.c.id == bindparam("sid")).values(number=bindparam("n")),
        [{"sid": sid, "n": -(rank + 1)} for rank, sid in enumerate(ids)],
    )
    conn.execute(
        update(_sessions)
        .where(_sessions.c.client_id == client_id, _sessions.c.number < 0)
        .values(number=-_sessions.c.number)
    )
    return ids.index(session_id) + 1 if session_id is not None else 0


def load_client_tree(db: Database, client_id: int) -> ClientData | None:
    """One client with their whole record (the session list in full), or None."""
    trees = load_client_trees(db, client_id=client_id)
    return trees[0] if trees else None


def save_draft(
    db: Database,
    draft_id: int | None,
    client_id: int,
    session_id: int | None,
    content: dict[str, Any],
) -> int:
    """Store (or overwrite) an editor draft; return its id."""
    now = datetime.now().replace(microsecond=0)
    with db.write() as conn:
        if draft_id is not None:
            done = conn.execute(
                update(_drafts)
                .where(_drafts.c.id == draft_id)
                .values(saved_at=now, content=content)
            ).rowcount
            if done:
                return draft_id
        row = {"client_id": client_id, "session_id": session_id, "saved_at": now}
        try:
            return _returning_ids(conn, _drafts, [{**row, "content": content}])[0]
        except IntegrityError:  # the client (or the session) was deleted meanwhile
            raise RecordGone(
                "The client or session of this draft no longer exists; it may have been deleted."
            ) from None


def list_drafts(db: Database) -> list[DraftRow]:
    """Every unsaved draft, oldest first, with its client's code."""
    query = (
        select(_drafts, _clients.c.code)
        .join(_clients, _clients.c.id == _drafts.c.client_id)
        .order_by(_drafts.c.saved_at, _drafts.c.id)
    )
    with db.read() as conn:
        rows = conn.execute(query).all()
    # A draft whose content is not an object cannot be restored; skipping it keeps the others.
    return [
        DraftRow(r.id, r.client_id, r.code, r.session_id, r.saved_at, dict(r.content))
        for r in rows
        if isinstance(r.content, dict)
    ]


def delete_draft(db: Database, draft_id: int) -> None:
    """Forget a draft (saved or discarded)."""
    with db.write() as conn:
        _delete_draft(conn, draft_id)


def _delete_draft(conn: Connection, draft_id: int) -> None:
    """Delete a draft inside the caller's transaction (gone already is fine)."""
    conn.execute(delete(_drafts).where(_drafts.c.id == draft_id))
