"""Recording a session: check it whole, then store it whole (the CLI and the editor).

A session is read from the same JSON shape as a session in the export (so a script can
write one), checked against the client's record (intake, other sessions, goals, instrument
ranges), numbered in the order sessions took place, and stored in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from alliance_desktop.domain._format import join_words
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import get_instrument, instrument_for, scale_difference
from alliance_desktop.domain.scoring import check_form
from alliance_desktop.domain.vocabulary import Attendance, GoalStatus
from alliance_desktop.services import audit
from alliance_desktop.services.changes import Change, ChangeKind
from alliance_desktop.services.errors import Conflict, InvalidInput
from alliance_desktop.services.summaries import load_alert_settings, rules_key, summarise_tree
from alliance_desktop.services.transfer import read_session_object
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.errors import RecordGone
from alliance_desktop.storage.records import (
    ClientData,
    ClientSummaryData,
    MeasurementData,
    SessionData,
)

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
#: A questionnaire may be filled in a day before the session (ORS in the waiting room the
#: evening before) or up to a week after it (a WAI-SR completed at home).
MEASURE_WINDOW_BEFORE = timedelta(days=1)
MEASURE_WINDOW_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class SessionAdded(Change):
    """A stored session: its client, database id and number."""

    session_id: int = 0
    number: int = 0


def client_for_code(db: Database, code: str) -> int:
    """The id of the client with ``code``; InvalidInput naming the code when there is none."""
    client_id = repository.client_id_for_code(db, code)
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
    if isinstance(obj.get("measurements"), list) and "start" in obj:
        # A measure is taken in the session unless the file says otherwise.
        with_defaults["measurements"] = [
            {"taken_at": obj["start"], **m} if isinstance(m, dict) else m
            for m in obj["measurements"]
        ]
    return read_session_object(with_defaults, where, {g.number for g in client.goals})


def check_session(session: SessionData, client: ClientData, *, now: datetime | None = None) -> None:
    """Refuse a session that does not fit the client's record, naming the first problem."""
    problems = session_problems(session, client, now=now)
    if problems:
        raise InvalidInput(next(iter(problems.values())))


def session_problems(
    session: SessionData, client: ClientData, *, now: datetime | None = None
) -> dict[str, str]:
    """What is wrong with a session against the client's record, by field (empty when fine).

    ``client.sessions`` holds the *other* sessions (without the one being edited). Keys are
    ``start``, ``attendance``, ``measure_<instrument id>`` and ``goal_<number>``, so the
    editor can show each message beside its field; the CLI prints the first.
    """
    now = now or datetime.now()
    problems: dict[str, str] = {}
    day = session.start.date()
    if day < client.intake_date:
        problems["start"] = (
            f"The session on {day} is before {client.code}'s intake ({client.intake_date}); "
            "check the date."
        )
    elif session.start > now + FUTURE_LIMIT:
        problems["start"] = (
            f"The session start {session.start:%Y-%m-%d %H:%M} is in the future; sessions are "
            "recorded after they take place."
        )
    elif clash := _clash(session, client.sessions):
        problems["start"] = f"{client.code} already has {clash}; check the date and time."
    if session.attendance is not Attendance.ATTENDED and (
        session.measurements or session.goal_ratings or session.ruptures
    ):
        word = "cancelled" if session.attendance is Attendance.CANCELLED else "a no-show"
        problems["attendance"] = (
            f"The session was {word}, so it cannot carry measures, goal ratings or ruptures."
        )
    seen: set[str] = set()
    # One moment, one form of a measure: a risk answer is known by the moment it was given.
    taken = {
        (other.instrument_id, other.taken_at): s.number
        for s in client.sessions
        for other in s.measurements
    }
    for m in session.measurements:
        key = f"measure_{m.instrument_id}"
        if m.instrument_id in seen:
            problems[key] = f"{m.instrument_id} is recorded twice in one session."
            continue
        seen.add(m.instrument_id)
        if (m.instrument_id, m.taken_at) in taken:
            problems[key] = (
                f"{m.instrument_id} of session {taken[(m.instrument_id, m.taken_at)]} was "
                f"taken at the same moment ({m.taken_at:%Y-%m-%d %H:%M}); two forms of one "
                "measure cannot share a moment. Check when this one was taken."
            )
            continue
        if problem := _measurement_problem(m, session):
            problems.setdefault(key, problem)
    for r in session.goal_ratings:
        if problem := _goal_problem(r.goal_number, r.rating, client, day):
            problems.setdefault(f"goal_{r.goal_number}", problem)
    return problems


def _clash(session: SessionData, others: list[SessionData]) -> str | None:
    """The other session this one collides with, in words, or None.

    Two sessions may not start at the same moment. Two *attended* sessions may not overlap
    either; a cancelled or missed appointment may sit under the one that replaced it.
    """
    end = session.start + timedelta(minutes=session.duration_minutes)
    for other in others:
        other_end = other.start + timedelta(minutes=other.duration_minutes)
        span = f"session {other.number} ({other.start:%Y-%m-%d %H:%M} to {other_end:%H:%M})"
        if other.start == session.start:
            return f"{span} at the same time"
        attended = Attendance.ATTENDED
        if (
            session.attendance is attended
            and other.attendance is attended
            and session.start < other_end
            and other.start < end
        ):
            return f"{span}, which overlaps this one"
    return None


def _measurement_problem(m: MeasurementData, session: SessionData) -> str | None:
    try:
        # The version it was taken with (a therapist's own instrument may have been edited).
        instrument = instrument_for(m.instrument_id, m.instrument_version) or get_instrument(
            m.instrument_id
        )
        check_form(instrument, m.item_values)  # an incomplete CORE-10 is kept, not refused
    except DomainError as exc:
        return str(exc)
    if m.instrument_version != instrument.version:
        return (
            f"{instrument.id} version {m.instrument_version!r} is not one this app scores; it "
            f"scores version {instrument.version!r}."
        )
    current = get_instrument(m.instrument_id)
    if instrument.version != current.version:
        # An earlier version is kept for its stored forms; a new form on another scale than
        # the current version's would be charted and compared with it.
        difference = scale_difference(instrument, current)
        if difference is not None:
            return (
                f"{instrument.id} version {instrument.version} is on another scale than "
                f"version {current.version}, the one in use ({difference}); record the form "
                f"with version {current.version}."
            )
    earliest = session.start - MEASURE_WINDOW_BEFORE
    latest = session.start + timedelta(minutes=session.duration_minutes) + MEASURE_WINDOW_AFTER
    if not earliest <= m.taken_at <= latest:
        return (
            f"{instrument.id} was taken at {m.taken_at:%Y-%m-%d %H:%M}, too far from the session "
            f"({session.start:%Y-%m-%d %H:%M}); it must be within a day before and a week after."
        )
    return None


def _goal_problem(number: int, rating: float, client: ClientData, day: date) -> str | None:
    """A goal is rated 0-10 in whole points, between the day it was agreed and the day it closed."""
    if not (0 <= rating <= 10 and float(rating).is_integer()):
        return f"Rate goal {number} from 0 to 10 in whole points (it was {rating:g})."
    goal = next((g for g in client.goals if g.number == number), None)
    if goal is None:
        return f"{client.code} has no goal {number}."
    if day < goal.agreed_on:
        return f"Goal {number} was agreed on {goal.agreed_on}, after this session."
    if goal.status is not GoalStatus.ACTIVE and goal.closed_on and goal.closed_on < day:
        return f"Goal {number} was closed on {goal.closed_on}, before this session."
    return None


def session_warnings(session: SessionData, client: ClientData) -> list[str]:
    """Things worth a second look that do not stop a save."""
    warnings = []
    for m in session.measurements:
        try:
            instrument = instrument_for(m.instrument_id, m.instrument_version) or get_instrument(
                m.instrument_id
            )
            result = check_form(instrument, m.item_values)
        except DomainError:
            continue  # refused by session_problems
        if result.incomplete:
            missing = join_words([str(n) for n in result.missing])
            risk = [i.number for i in instrument.items if i.risk]
            read = f" Item {risk[0]} is still read for risk." if len(risk) == 1 else ""
            warnings.append(
                f"{instrument.id} has {len(result.missing)} items missing (items {missing}); "
                f"it will be kept as incomplete, with no score and no point on the chart.{read}"
            )
    if client.discharge_date is not None and session.start.date() > client.discharge_date:
        warnings.append(
            f"{client.code} was discharged on {client.discharge_date}, before this session; "
            "reopen the client if they have come back."
        )
    return warnings


def save_session(
    db: Database,
    client_id: int,
    session: SessionData,
    *,
    session_id: int | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
    draft_id: int | None = None,
) -> SessionAdded:
    """Check a new (or, with ``session_id``, an edited) session against the record and store it.

    The check runs inside the write transaction, against the record as it is at that moment.
    ``expected_version`` is the stored session's version the edit was made on (the editor's
    ``EditorContext.version``): when another window or the command line has saved the
    session since, ``EditConflict`` (a ``StorageError``) is raised and nothing is stored.
    ``draft_id`` is the editor draft the session was typed in: it is deleted in that same
    transaction, so the draft goes exactly when the session is stored (and stays when not).
    """

    def check(client: ClientData) -> None:
        check_session(session, client, now=now)

    try:
        saved_id, number = repository.save_session(
            db,
            client_id,
            session,
            replacing=session_id,
            expected_version=expected_version,
            check=check,
            summarise=_summariser(db),
            discard_draft=draft_id,
        )
    except RecordGone as exc:
        raise Conflict(str(exc)) from None
    kind = ChangeKind.SESSION_ADDED if session_id is None else ChangeKind.SESSION_CHANGED
    audit.record(
        db,
        "session_saved",
        client_code=audit.client_code_of(db, client_id),
        detail=f"session {number}",
    )
    return SessionAdded(kind, client_id, saved_id, number)


def _summariser(db: Database) -> Callable[[ClientData], ClientSummaryData]:
    """The client-list summary of a record, computed inside the write that changes it."""
    settings = load_alert_settings(db)
    key = rules_key(settings)
    return lambda client: summarise_tree(client, settings, key)


def record_session(
    db: Database, client_id: int, session: SessionData, *, now: datetime | None = None
) -> SessionAdded:
    """Check and store a new session; return what was added."""
    return save_session(db, client_id, session, now=now)


def delete_session(db: Database, client_id: int, session_id: int) -> Change:
    """Delete one session and everything recorded in it; the later ones are renumbered."""
    try:
        repository.delete_session(db, client_id, session_id, _summariser(db))
    except RecordGone as exc:
        raise Conflict(str(exc)) from None
    audit.record(db, "session_deleted", client_code=audit.client_code_of(db, client_id))
    return Change(ChangeKind.SESSION_DELETED, client_id)


def load_session(db: Database, client_id: int, session_id: int) -> tuple[ClientData, SessionData]:
    """A client's record and one of its sessions (for the editor)."""
    client = repository.load_client_tree(db, client_id)
    if client is None:
        raise Conflict("That client no longer exists; it may have been deleted.")
    for session in client.sessions:
        if session.session_id == session_id:
            return client, session
    raise Conflict("That session no longer exists; it may have been deleted.")


def measurement_from_values(
    instrument_id: str, values: list[float | None], taken_at: datetime
) -> MeasurementData:
    """A measurement for the CLI's ``--srs 9,9,8.5,9`` style flags (checked when stored)."""
    try:
        instrument = get_instrument(instrument_id)
        check_form(instrument, values)
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
            "prorated": False,
            "incomplete": False,
        }
        try:
            instrument = instrument_for(m.instrument_id, m.instrument_version)
            if instrument is None:
                raise DomainError(f"unknown instrument {m.instrument_id}")
            result = check_form(instrument, m.item_values)
        except DomainError:
            pass  # shown with its values and no score
        else:
            entry["total"] = result.total
            entry["subscales"] = dict(result.subscales)
            entry["prorated"] = result.prorated
            entry["incomplete"] = result.incomplete
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
