"""Client and goal use cases: validate, create, edit, discharge, delete; goals (GBO).

The GUI and (later) the CLI call these; each write returns a ``Change`` saying what changed,
which the UI broadcasts so every view refreshes only what it shows. Validation returns one
message per field, worded for the person typing, so a dialog can show it beside the field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from alliance_desktop.domain.scoring import Score
from alliance_desktop.domain.series import ClientCharts, client_charts
from alliance_desktop.domain.vocabulary import Attendance, ClientStatus, GoalStatus
from alliance_desktop.services import audit
from alliance_desktop.services.changes import Change, ChangeKind
from alliance_desktop.services.charts import chart_sessions_from_rows
from alliance_desktop.services.errors import Conflict, InvalidInput
from alliance_desktop.services.summaries import client_row, load_alert_settings, refresh_summaries
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.errors import RecordGone
from alliance_desktop.storage.records import (
    ClientFields,
    ClientListRow,
    GoalRow,
)

MAX_ACTIVE_GOALS = 3  # Goal-Based Outcomes: up to three goals agreed with the client
MAX_CODE_LENGTH = 20
MAX_NAME_LENGTH = 200
MAX_GOAL_LENGTH = 2000
MAX_ADDRESS_LENGTH = 1000
MAX_CONCERN_LENGTH = 10_000  # a summary of why they came; session notes hold the detail
EARLIEST_BIRTH = date(1900, 1, 1)
# An intake may be booked ahead, but not absurdly far (a mistyped year is the usual cause).
INTAKE_DAYS_AHEAD = 366
_CODE_PATTERN = re.compile(r"^[\w.\-/# ]+$")
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_PATTERN = re.compile(r"^[0-9+()\-./ ]{3,50}$")


class ClientInvalid(InvalidInput):
    """A client form with problems; ``errors`` maps each field name to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


@dataclass(frozen=True)
class SessionOverview:
    """One line of the session list: the session and its measures.

    ``scores`` holds the totals the charts plot; ``results`` every form's score, including
    a pro-rated one (``Score.prorated``) and one kept incomplete (no total), so the list
    can say so.
    """

    session_id: int
    number: int
    start: datetime
    attendance: Attendance
    scores: dict[str, float] = field(default_factory=dict)
    ruptures: int = 0
    results: dict[str, Score] = field(default_factory=dict)


@dataclass(frozen=True)
class ClientRecord:
    """Everything the detail area shows about one client.

    ``history`` lists the risk reviews and acknowledged alerts (newest first) in words, and
    ``latest_review`` the most recent risk review, if any.
    """

    client_id: int
    fields: ClientFields
    goals: list[GoalRow]
    sessions: list[SessionOverview]
    row: ClientListRow | None
    charts: ClientCharts = field(default_factory=lambda: client_charts(()))
    history: tuple[tuple[date, str, str], ...] = ()  # (day, "review"/"acknowledgement", words)


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def validate_client(
    db: Database,
    fields: ClientFields,
    *,
    client_id: int | None = None,
    today: date | None = None,
) -> dict[str, str]:
    """Problems with a client form, one message per field (empty when it is valid)."""
    today = today or date.today()
    errors: dict[str, str] = {}
    code = fields.code.strip()
    if not code:
        errors["code"] = "Enter a client code, e.g. C-0042; it is printed on reports."
    elif len(code) > MAX_CODE_LENGTH:
        errors["code"] = f"Keep the code to {MAX_CODE_LENGTH} characters or fewer."
    elif not _CODE_PATTERN.match(code):
        errors["code"] = "Use letters, digits, spaces and - . / # in the code."
    elif repository.code_taken(db, code, except_client=client_id):
        errors["code"] = f"Another client already has the code {code}; choose another."
    if not fields.given_name.strip():
        errors["given_name"] = "Enter the client's first name."
    for key, value in (("given_name", fields.given_name), ("family_name", fields.family_name)):
        if len(value) > MAX_NAME_LENGTH:
            errors[key] = f"Keep the name to {MAX_NAME_LENGTH} characters or fewer."
        elif _has_control_characters(value):
            errors[key] = "The name contains a line break or control character; remove it."
    if fields.date_of_birth is not None:
        if fields.date_of_birth > today:
            errors["date_of_birth"] = "The date of birth is in the future; check the year."
        elif fields.date_of_birth < EARLIEST_BIRTH:
            errors["date_of_birth"] = "The date of birth is before 1900; check the year."
    if fields.intake_date > today + timedelta(days=INTAKE_DAYS_AHEAD):
        errors["intake_date"] = "The intake date is more than a year ahead; check the year."
    elif (
        fields.date_of_birth
        and "date_of_birth" not in errors  # one mistake, one message
        and fields.intake_date < fields.date_of_birth
    ):
        errors["intake_date"] = "The intake date is before the date of birth."
    if fields.discharge_date is not None:
        if fields.discharge_date < fields.intake_date:
            errors["discharge_date"] = (
                f"Discharge ({fields.discharge_date}) cannot be before intake "
                f"({fields.intake_date})."
            )
        elif fields.status is not ClientStatus.DISCHARGED:
            errors["discharge_date"] = (
                "A discharge date is set but the status is not Discharged; change one of them."
            )
    elif fields.status is ClientStatus.DISCHARGED:
        errors["discharge_date"] = "Enter the date of discharge."
    if fields.email and not _EMAIL_PATTERN.match(fields.email.strip()):
        errors["email"] = "This does not look like an e-mail address (name@example.org)."
    if fields.phone and not _PHONE_PATTERN.match(fields.phone.strip()):
        errors["phone"] = "Use digits, spaces and + ( ) - . / in the phone number."
    if fields.address and len(fields.address) > MAX_ADDRESS_LENGTH:
        errors["address"] = f"Keep the address to {MAX_ADDRESS_LENGTH:,} characters or fewer."
    if fields.presenting_concern and len(fields.presenting_concern) > MAX_CONCERN_LENGTH:
        errors["presenting_concern"] = (
            f"Keep the presenting concern to {MAX_CONCERN_LENGTH:,} characters or fewer; "
            "put longer notes in the session notes."
        )
    return errors


def _clean(fields: ClientFields) -> ClientFields:
    def blank_to_none(value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    return ClientFields(
        code=fields.code.strip(),
        given_name=fields.given_name.strip(),
        family_name=fields.family_name.strip(),
        approach=fields.approach,
        intake_date=fields.intake_date,
        status=fields.status,
        date_of_birth=fields.date_of_birth,
        email=blank_to_none(fields.email),
        phone=blank_to_none(fields.phone),
        address=blank_to_none(fields.address),
        presenting_concern=blank_to_none(fields.presenting_concern),
        discharge_date=fields.discharge_date,
    )


def next_client_code(db: Database) -> str:
    """A suggestion for a new client's code: C- and one more than the highest number used."""
    highest = 0
    for row in repository.list_client_rows(db):
        match = re.fullmatch(r"C-(\d+)", row.code)
        if match:
            highest = max(highest, int(match.group(1)))
    return f"C-{highest + 1:04d}"


def create_client(db: Database, fields: ClientFields, *, today: date | None = None) -> Change:
    """Validate and store a new client. Raises ClientInvalid with every problem."""
    errors = validate_client(db, fields, today=today)
    if errors:
        raise ClientInvalid(errors)
    cleaned = _clean(fields)
    client_id = repository.insert_client(db, cleaned)
    refresh_summaries(db, [client_id])
    audit.record(db, "client_created", client_code=cleaned.code)
    return Change(ChangeKind.CLIENT_ADDED, client_id)


def _require_client(db: Database, client_id: int) -> ClientFields:
    fields = repository.get_client_fields(db, client_id)
    if fields is None:
        raise InvalidInput("That client no longer exists; it may have been deleted.")
    return fields


def update_client(
    db: Database,
    client_id: int,
    fields: ClientFields,
    *,
    today: date | None = None,
    expected_version: int | None = None,
) -> Change:
    """Validate and save a client's edited fields.

    ``expected_version`` is the version the edited fields were read at (``ClientFields.
    version`` of what the form was filled from): when another window or the command line
    has changed the client since, ``EditConflict`` (a ``StorageError``) is raised and
    nothing is saved.
    """
    _require_client(db, client_id)
    errors = validate_client(db, fields, client_id=client_id, today=today)
    if errors:
        raise ClientInvalid(errors)
    cleaned = _clean(fields)
    try:
        repository.update_client(db, client_id, cleaned, expected_version=expected_version)
    except RecordGone as exc:
        raise InvalidInput(str(exc)) from None
    refresh_summaries(db, [client_id])
    audit.record(db, "client_edited", client_code=cleaned.code)
    return Change(ChangeKind.CLIENT_CHANGED, client_id)


def discharge_client(db: Database, client_id: int, on: date) -> Change:
    """Mark a client discharged on a date; their record is kept."""
    current = _require_client(db, client_id)
    changed = replace(current, status=ClientStatus.DISCHARGED, discharge_date=on)
    # On the fields just read: a change made in between is refused, never undone.
    return update_client(db, client_id, changed, expected_version=current.version)


def delete_client(db: Database, client_id: int) -> Change:
    """Erase a client and everything recorded about them. Cannot be undone.

    The database overwrites what it frees (``secure_delete``), and the write-ahead log is
    folded into the file and emptied afterwards, so the record is in no database file.
    Backups made before still hold it (``backups_hold_until`` says how long).
    """
    fields = _require_client(db, client_id)
    repository.delete_client(db, client_id)
    audit.record(db, "client_erased", client_code=fields.code)
    db.checkpoint()
    return Change(ChangeKind.CLIENT_DELETED, client_id)


def backups_hold_until(db: Database, today: date) -> date:
    """The last day a backup made today may still exist, by the rotation settings (the
    newest backup of each of the last N days, weeks and months is kept)."""
    from alliance_desktop.services.settings import load_backup_settings

    keep = load_backup_settings(db)
    by_days = today + timedelta(days=keep.keep_daily)
    by_weeks = today + timedelta(weeks=keep.keep_weekly)
    month = today.month - 1 + keep.keep_monthly
    by_months = date(today.year + month // 12, month % 12 + 1, min(today.day, 28))
    return max(by_days, by_weeks, by_months)


def client_record(db: Database, client_id: int) -> ClientRecord:
    """Fields, goals, sessions with their scores, charts, and the list summary of one client."""
    from alliance_desktop.services.alerts import alert_history

    fields = _require_client(db, client_id)
    rows = repository.list_sessions(db, client_id)
    charts = client_charts(
        chart_sessions_from_rows(rows),
        load_alert_settings(db),
        date_of_birth=fields.date_of_birth,
    )
    # Each form is scored once, by the charts; an unscoreable one is shown without a total,
    # and only attended sessions carry ratings.
    totals = charts.totals_by_session()
    results = charts.results_by_session()
    sessions = [
        SessionOverview(
            s.session_id,
            s.number,
            s.start,
            s.attendance,
            totals.get(s.number, {}),
            len(s.ruptures),
            results.get(s.number, {}),
        )
        for s in rows
    ]
    reviews, acknowledged, _removed = repository.client_alert_records(db, client_id)
    history = tuple((h.when, h.kind, h.text) for h in alert_history(reviews, acknowledged))
    return ClientRecord(
        client_id=client_id,
        fields=fields,
        goals=repository.list_goals(db, client_id),
        sessions=sessions,
        row=client_row(db, client_id),
        charts=charts,
        history=history,
    )


# ---------------------------------------------------------------------------- goals


def _check_goal_text(description: str) -> str:
    text = description.strip()
    if not text:
        raise InvalidInput(
            "Describe the goal in the client's words, e.g. 'Sleep through the night'."
        )
    if len(text) > MAX_GOAL_LENGTH:
        raise InvalidInput(f"Keep the goal to {MAX_GOAL_LENGTH} characters or fewer.")
    return text


def _check_agreed_on(fields: ClientFields, agreed_on: date, today: date) -> None:
    if agreed_on < fields.intake_date:
        raise InvalidInput(f"The goal cannot be agreed before the intake ({fields.intake_date}).")
    if agreed_on > today:
        raise InvalidInput("The goal cannot be agreed in the future; use today or an earlier date.")


def add_goal(
    db: Database, client_id: int, description: str, agreed_on: date, *, today: date | None = None
) -> Change:
    """Agree a new goal with the client (at most three active at a time)."""
    fields = _require_client(db, client_id)
    text = _check_goal_text(description)
    _check_agreed_on(fields, agreed_on, today or date.today())
    active = [g for g in repository.list_goals(db, client_id) if g.status is GoalStatus.ACTIVE]
    if len(active) >= MAX_ACTIVE_GOALS:
        raise Conflict(
            f"{fields.given_name} already has {MAX_ACTIVE_GOALS} active goals. Mark one "
            "achieved, revised or dropped before adding another."
        )
    repository.insert_goal(db, client_id, text, agreed_on)
    return Change(ChangeKind.GOALS_CHANGED, client_id)


def _require_goal(db: Database, goal_id: int) -> tuple[int, GoalRow]:
    owner = repository.goal_owner(db, goal_id)
    if owner is None:
        raise InvalidInput("That goal no longer exists.")
    goal = next(g for g in repository.list_goals(db, owner) if g.goal_id == goal_id)
    return owner, goal


def edit_goal(
    db: Database, goal_id: int, description: str, agreed_on: date, *, today: date | None = None
) -> Change:
    """Change a goal's wording or agreement date (checked as when it was added)."""
    owner, goal = _require_goal(db, goal_id)
    _check_agreed_on(_require_client(db, owner), agreed_on, today or date.today())
    if goal.closed_on is not None and agreed_on > goal.closed_on:
        raise InvalidInput(f"The goal was closed on {goal.closed_on}; it cannot be agreed later.")
    repository.update_goal(
        db,
        goal_id,
        description=_check_goal_text(description),
        agreed_on=agreed_on,
        status=goal.status,
        closed_on=goal.closed_on,
    )
    return Change(ChangeKind.GOALS_CHANGED, owner)


def set_goal_status(db: Database, goal_id: int, status: GoalStatus, on: date) -> Change:
    """Mark a goal achieved, revised or dropped (closed on ``on``), or active again."""
    owner, goal = _require_goal(db, goal_id)
    if status is GoalStatus.ACTIVE and goal.status is not GoalStatus.ACTIVE:
        active = [g for g in repository.list_goals(db, owner) if g.status is GoalStatus.ACTIVE]
        if len(active) >= MAX_ACTIVE_GOALS:
            raise Conflict(f"There are already {MAX_ACTIVE_GOALS} active goals; close one first.")
    if status is not GoalStatus.ACTIVE and on < goal.agreed_on:
        raise InvalidInput(f"The goal cannot close before it was agreed ({goal.agreed_on}).")
    repository.update_goal(
        db,
        goal_id,
        description=goal.description,
        agreed_on=goal.agreed_on,
        status=status,
        closed_on=None if status is GoalStatus.ACTIVE else on,
    )
    return Change(ChangeKind.GOALS_CHANGED, owner)
