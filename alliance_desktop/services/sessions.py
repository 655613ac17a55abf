"""Recording a session: check it whole, then store it whole (the CLI now, the editor next).

A session is read from the same JSON shape as a session in the export (so a script can
write one), checked against the client's record (intake, other sessions, goals, instrument
ranges), numbered in the order sessions took place, and stored in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import get_instrument
from alliance_desktop.domain.scoring import score
from alliance_desktop.domain.vocabulary import Attendance, GoalStatus
from alliance_desktop.services.clients import Change
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.summaries import refresh_summaries
from alliance_desktop.services.transfer import read_session_object
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientData, MeasurementData, SessionData

SESSION_KEYS = frozenset(
    {
        "number",
        "start",
        "duration_minutes",
        "format",
        "attendance",
        "approach",
        "notes",
        "tasks_agreed",
        "client_feedback",
        "measurements",
        "goal_ratings",
        "ruptures",
    }
)
#: A session is recorded after it happens; a start further ahead than this is a typo.
FUTURE_LIMIT = timedelta(days=1)


@dataclass(frozen=True)
class SessionAdded(Change):
    """A stored session: its client, database id and number."""

    session_id: int = 0
    number: int = 0


def client_for_code(db: Database, code: str) -> int:
    """The id of the client with ``code``; InvalidInput naming the code when there is none."""
    client_id = repository.client_id_for_code(db, code.strip(), ignore_case=True)
    if client_id is None:
        raise InvalidInput(
            f"There is no client with the code {code!r}. List them with 'alliance-desktop clients'."
        )
    return client_id


def parse_session(obj: Any, client: ClientData, *, where: str = "session") -> SessionData:
    """Read a session object (the export's shape; ``number`` is ignored and assigned)."""
    if not isinstance(obj, dict):
        raise InvalidInput(f"{where} must be a JSON object.")
    unknown = sorted(set(obj) - SESSION_KEYS)
    if unknown:  # a misspelt key would otherwise drop what was typed without a word
        raise InvalidInput(
            f"{where} has unknown field{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(k) for k in unknown)}; the fields are "
            f"{', '.join(sorted(SESSION_KEYS))}."
        )
    with_defaults = {"number": 1, "approach": str(client.approach), **obj}
    return read_session_object(with_defaults, where, {g.number for g in client.goals})


def check_session(session: SessionData, client: ClientData, *, now: datetime | None = None) -> None:
    """Refuse a session that does not fit the client's record, naming the problem."""
    now = now or datetime.now()
    if session.start.date() < client.intake_date:
        raise InvalidInput(
            f"The session on {session.start:%Y-%m-%d} is before {client.code}'s intake "
            f"({client.intake_date}); check the date."
        )
    if session.start > now + FUTURE_LIMIT:
        raise InvalidInput(
            f"The session start {session.start:%Y-%m-%d %H:%M} is in the future; sessions are "
            "recorded after they take place."
        )
    for other in client.sessions:
        if other.start == session.start:
            raise InvalidInput(
                f"{client.code} already has session {other.number} at "
                f"{other.start:%Y-%m-%d %H:%M}; two sessions cannot start at the same time."
            )
    if session.attendance is not Attendance.ATTENDED and (
        session.measurements or session.goal_ratings or session.ruptures
    ):
        word = "cancelled" if session.attendance is Attendance.CANCELLED else "a no-show"
        raise InvalidInput(
            f"The session was {word}, so it cannot carry measures, goal ratings or ruptures."
        )
    seen: set[str] = set()
    for m in session.measurements:
        if m.instrument_id in seen:
            raise InvalidInput(f"{m.instrument_id} is recorded twice in one session.")
        seen.add(m.instrument_id)
    active = {g.number for g in client.goals if g.status is GoalStatus.ACTIVE}
    for r in session.goal_ratings:
        if r.goal_number not in active:
            raise InvalidInput(
                f"Goal {r.goal_number} is not an active goal of {client.code}; rate active "
                "goals only."
            )


def record_session(
    db: Database, client_id: int, session: SessionData, *, now: datetime | None = None
) -> SessionAdded:
    """Check and store a session; return what was added."""
    client = repository.load_client_tree(db, client_id)
    if client is None:
        raise InvalidInput("That client no longer exists; it may have been deleted.")
    check_session(session, client, now=now)
    goal_ids = {
        number: goal.goal_id
        for number, goal in enumerate(repository.list_goals(db, client_id), start=1)
    }
    session_id, number = repository.insert_session(db, client_id, session, goal_ids)
    refresh_summaries(db, [client_id])
    return SessionAdded("session_added", client_id, session_id, number)


def measurement_from_values(
    instrument_id: str, values: list[float | None], taken_at: datetime
) -> MeasurementData:
    """A measurement for the CLI's ``--srs 9,9,8.5,9`` style flags (checked when stored)."""
    try:
        instrument = get_instrument(instrument_id)
        score(instrument, values)
    except DomainError as exc:
        raise InvalidInput(str(exc)) from None
    return MeasurementData(instrument.id, instrument.version, values, taken_at)


def session_to_json(session: SessionData) -> dict[str, Any]:
    """A session for ``session list --json``: fields, measurements with scores, ratings."""
    measurements = []
    for m in session.measurements:
        entry: dict[str, Any] = {
            "instrument_id": m.instrument_id,
            "instrument_version": m.instrument_version,
            "respondent": str(m.respondent),
            "taken_at": m.taken_at.isoformat(timespec="minutes"),
            "item_values": list(m.item_values),
            "total": None,
            "subscales": {},
        }
        try:
            result = score(get_instrument(m.instrument_id), m.item_values)
        except DomainError:
            pass  # shown with its values and no score
        else:
            entry["total"] = result.total
            entry["subscales"] = dict(result.subscales)
        measurements.append(entry)
    return {
        "number": session.number,
        "start": session.start.isoformat(timespec="minutes"),
        "duration_minutes": session.duration_minutes,
        "format": str(session.format),
        "attendance": str(session.attendance),
        "approach": str(session.approach),
        "notes": session.notes,
        "tasks_agreed": session.tasks_agreed,
        "client_feedback": session.client_feedback,
        "measurements": measurements,
        "goal_ratings": [{"goal": r.goal_number, "rating": r.rating} for r in session.goal_ratings],
        "ruptures": [
            {
                "kind": str(r.kind),
                "description": r.description,
                "repair": r.repair,
                "resolved": r.resolved,
            }
            for r in session.ruptures
        ],
    }
