"""Export the whole practice record (lossless JSON, or CSV tables) and import it back.

The JSON export is the portable, lossless form: a top-level object with format metadata,
the settings and a ``clients`` array; each client carries its fields, ``goals`` and
``sessions``, ``risk_reviews``, ``alert_acknowledgements`` and ``removed_risk_answers``;
each session its fields,
``measurements``, ``goal_ratings`` and ``ruptures``. Derived scores (``scores``) are written
for convenience and ignored on import, where they are recomputed. Import accepts such a
file into an empty database only, checks every field first, and writes everything in one
transaction, so a bad file changes nothing.

Both directions stream, so memory stays flat however large the caseload: the export is
written one client at a time (read from the database in small batches, encoded by the C
JSON encoder) in the *streamed layout*: still one JSON document, with the envelope on its
first line, then one client object per line::

    {"format":"alliance-desktop-export","format_version":2,…,"settings":{…},"clients":[
    {"code":"C-0001",…},
    {"code":"C-0002",…}
    ]}

Import reads a file in that layout line by line (checked once before any database is
touched, then read and checked again inside the import's one transaction); any other
file (an export of an earlier version, written with ``indent=1``, or one edited by hand)
is read whole as before, with the same checks and the same messages.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import math
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol, TypeVar

from alliance_desktop import __version__
from alliance_desktop.domain.alerts import AlertKind, AlertSettings
from alliance_desktop.domain.client_codes import code_key
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    CustomInstrument,
    Instrument,
    custom_instruments,
    get_instrument,
    instrument_for,
    use_custom_instruments,
)
from alliance_desktop.domain.risk import MAX_REVIEW_ACTION, EndorsementKey
from alliance_desktop.domain.scoring import check_form
from alliance_desktop.domain.vocabulary import (
    Approach,
    Attendance,
    ClientStatus,
    GoalStatus,
    Respondent,
    RuptureKind,
    SessionFormat,
)
from alliance_desktop.services import audit
from alliance_desktop.services.atomic import atomic_file, atomic_folder, refuse_to_clobber
from alliance_desktop.services.backups import DATABASE_ID_KEY
from alliance_desktop.services.errors import Conflict, InvalidInput, clients_phrase
from alliance_desktop.services.instruments import parse_definition, stored_definitions
from alliance_desktop.services.json_files import MAX_EXPORT_BYTES, read_json_file
from alliance_desktop.services.settings import check_imported_settings
from alliance_desktop.services.summaries import (
    ALERT_SETTINGS_KEY,
    load_alert_settings,
    rules_key,
    summarise_tree,
)
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import HEAD_REVISION, Database
from alliance_desktop.storage.files import check_regular_file
from alliance_desktop.storage.records import (
    AcknowledgementData,
    ClientData,
    ClientSummaryData,
    GoalData,
    GoalRatingData,
    InstrumentDefinitionRow,
    MeasurementData,
    RemovedRiskAnswerData,
    RiskReviewData,
    RuptureData,
    SessionData,
)

EXPORT_FORMAT = "alliance-desktop-export"
#: Version 2 adds each client's ``risk_reviews``, ``alert_acknowledgements`` and
#: ``removed_risk_answers``; version 1 files (without them) are still read.
EXPORT_FORMAT_VERSION = 2
_READABLE_VERSIONS = (1, 2)
MAX_TEXT = 1_000_000  # one megabyte of notes in a field is accepted; more is a mistake
_E = TypeVar("_E", bound=StrEnum)


# ---------------------------------------------------------------------------- export


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.microsecond:
            return value.isoformat()
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    return value.isoformat()


def _scores(measurement: MeasurementData) -> dict[str, Any] | None:
    try:
        instrument = instrument_for(measurement.instrument_id, measurement.instrument_version)
        if instrument is None:
            return None
        result = check_form(instrument, measurement.item_values)
    except DomainError:
        return None
    status = "incomplete" if result.incomplete else "pro-rated" if result.prorated else "complete"
    return {"total": result.total, **dict(result.subscales), "status": status}


def client_to_json(client: ClientData) -> dict[str, Any]:
    """One client's whole record as a JSON-ready dict (the export's element)."""
    return {
        "code": client.code,
        "given_name": client.given_name,
        "family_name": client.family_name,
        "date_of_birth": _iso(client.date_of_birth),
        "email": client.email,
        "phone": client.phone,
        "address": client.address,
        "presenting_concern": client.presenting_concern,
        "approach": str(client.approach),
        "status": str(client.status),
        "intake_date": _iso(client.intake_date),
        "discharge_date": _iso(client.discharge_date),
        "created_at": _iso(client.created_at),
        "updated_at": _iso(client.updated_at),
        "goals": [
            {
                "number": g.number,
                "description": g.description,
                "agreed_on": _iso(g.agreed_on),
                "status": str(g.status),
                "closed_on": _iso(g.closed_on),
            }
            for g in client.goals
        ],
        "sessions": [
            {
                "number": s.number,
                "start": _iso(s.start),
                "duration_minutes": s.duration_minutes,
                "format": str(s.format),
                "attendance": str(s.attendance),
                "approach": str(s.approach),
                "notes": s.notes,
                "tasks_agreed": s.tasks_agreed,
                "client_feedback": s.client_feedback,
                "measurements": [
                    {
                        "instrument_id": m.instrument_id,
                        "instrument_version": m.instrument_version,
                        "respondent": str(m.respondent),
                        "taken_at": _iso(m.taken_at),
                        "item_values": list(m.item_values),
                        "scores": _scores(m),
                    }
                    for m in s.measurements
                ],
                "goal_ratings": [
                    {"goal": r.goal_number, "rating": r.rating} for r in s.goal_ratings
                ],
                "ruptures": [
                    {
                        "kind": str(r.kind),
                        "description": r.description,
                        "repair": r.repair,
                        "resolved": r.resolved,
                    }
                    for r in s.ruptures
                ],
            }
            for s in client.sessions
        ],
        "risk_reviews": [
            {
                "reviewed_on": _iso(r.reviewed_on),
                "action": r.action,
                "risk_ongoing": r.risk_ongoing,
                "recorded_at": _iso(r.recorded_at),
                "covers": [dict(c) for c in r.covers],
            }
            for r in client.risk_reviews
        ],
        "alert_acknowledgements": [
            {
                "kinds": list(a.kinds),
                "instrument_id": a.instrument_id,
                "rating_at": _iso(a.rating_at),
                "acknowledged_at": _iso(a.acknowledged_at),
                "note": a.note,
                "reason": a.reason,
            }
            for a in client.acknowledgements
        ],
        "removed_risk_answers": [
            {
                "instrument_id": r.instrument_id,
                "item": r.item,
                "value": r.value,
                "taken_at": _iso(r.taken_at),
                "session_number": r.session_number,
                "removed_at": _iso(r.removed_at),
            }
            for r in client.removed_risk_answers
        ],
    }


def _portable_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings without the database's own identity: an imported copy is another database,
    whose backups must never rotate away the original's."""
    return {k: v for k, v in settings.items() if k != DATABASE_ID_KEY}


def _envelope(
    settings: dict[str, Any], instruments: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The export's top-level fields before ``clients``, in the order every version writes.

    ``instruments`` (the practice's own, every version) is there only when it has some, so
    an export without any reads as before in earlier versions."""
    envelope = {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "app_version": __version__,
        "schema_revision": HEAD_REVISION,
        "exported_at": _iso(datetime.now().replace(microsecond=0)),
        "settings": settings,
    }
    if instruments:
        envelope["instruments"] = instruments
    return envelope


def export_document(db: Database) -> dict[str, Any]:
    """The whole database as the export document, in memory (for tests and small tools;
    ``export_json`` streams the same document to a file)."""
    return {
        **_envelope(_portable_settings(repository.all_settings(db)), stored_definitions(db)),
        "clients": [client_to_json(c) for c in repository.load_client_trees(db)],
    }


#: The C encoder (``json`` uses it only without ``indent``), with compact separators:
#: measured, a tenth smaller than with spaces and as fast to write, and a third smaller
#: than the ``indent=1`` files of earlier versions, which leaves more room under the cap
#: on what an import reads (``MAX_EXPORT_BYTES``).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
#: How the first line of the streamed layout ends: the ``clients`` array opens there.
_CLIENTS_OPEN = '"clients":['


def write_export(
    handle: IO[str],
    settings: dict[str, Any],
    clients: Iterable[ClientData],
    instruments: list[dict[str, Any]] | None = None,
) -> int:
    """Write one export document in the streamed layout (see the module docstring), one
    client at a time; return the number of clients written.

    The document is the same as ``export_document``'s (same keys, order and values); only
    the white space differs: the envelope on the first line, one client per line.
    """
    envelope = _ENCODER.encode(_envelope(settings, instruments))
    handle.write(f"{envelope[:-1]},{_CLIENTS_OPEN}")
    count = 0
    for client in clients:
        handle.write("\n" if count == 0 else ",\n")
        handle.write(_ENCODER.encode(client_to_json(client)))
        count += 1
    handle.write("\n]}\n")
    return count


def export_json(db: Database, target: Path, *, overwrite: bool = False) -> int:
    """Write the lossless JSON export atomically; return the number of clients.

    The clients are read in small batches from one snapshot and written one at a time, so
    memory does not grow with the caseload. Never writes over the database; replaces an
    existing export only with ``overwrite``. On any error the target is left as it was.
    """
    refuse_to_clobber(target, [db.path], overwrite=overwrite)
    settings = _portable_settings(repository.all_settings(db))
    instruments = stored_definitions(db)
    with (
        contextlib.closing(repository.iter_client_trees(db)) as clients,
        atomic_file(target) as handle,
    ):
        count = write_export(handle, settings, clients, instruments)
    audit.record(db, "export", detail=f"JSON, {count} clients")
    return count


CSV_TABLES: dict[str, list[str]] = {
    "clients.csv": [
        "code", "given_name", "family_name", "date_of_birth", "email", "phone", "address",
        "presenting_concern", "approach", "status", "intake_date", "discharge_date",
        "created_at", "updated_at",
    ],
    "goals.csv": ["client_code", "goal", "description", "agreed_on", "status", "closed_on"],
    "sessions.csv": [
        "client_code", "session", "start", "duration_minutes", "format", "attendance",
        "approach", "notes", "tasks_agreed", "client_feedback",
    ],
    "measurements.csv": [
        "client_code", "session", "instrument_id", "instrument_version", "respondent",
        "taken_at", "status", "total", "goal", "task", "bond",
        *[f"item_{n}" for n in range(1, 13)],
    ],
    "goal_ratings.csv": ["client_code", "session", "goal", "rating"],
    "ruptures.csv": ["client_code", "session", "kind", "description", "repair", "resolved"],
    "risk_reviews.csv": [
        "client_code", "reviewed_on", "action", "risk_ongoing", "recorded_at", "covers",
    ],
    "alert_acknowledgements.csv": [
        "client_code", "acknowledged_at", "kinds", "instrument_id", "rating_at", "note",
        "reason",
    ],
    "removed_risk_answers.csv": [
        "client_code", "instrument_id", "item", "value", "taken_at", "session_number",
        "removed_at",
    ],
}  # fmt: skip


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _SafeCsvWriter(csv.DictWriter):  # type: ignore[type-arg]
    """A DictWriter that stops spreadsheets from running text cells as formulas.

    A note such as ``=HYPERLINK(...)`` would otherwise become a live formula when the CSV
    is opened (OWASP "CSV injection"); such text cells get a leading apostrophe. Numbers
    (a negative change, say) are written as they are.
    """

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow(
            {
                k: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_STARTS) else v
                for k, v in rowdict.items()
            }
        )


def export_csv(db: Database, target: Path) -> int:
    """Write one CSV file per table into the new folder ``target``; return clients written.

    Files are UTF-8 with a byte-order mark so spreadsheet programs read accented and
    non-Latin names correctly. Clients are read and written one at a time, like the JSON
    export.
    """
    count = 0
    with (
        contextlib.closing(repository.iter_client_trees(db)) as clients,
        atomic_folder(target) as folder,
        contextlib.ExitStack() as handles,
    ):
        writers = {}
        for name, columns in CSV_TABLES.items():
            handle = handles.enter_context(
                (folder / name).open("w", encoding="utf-8-sig", newline="")
            )
            writer = _SafeCsvWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writers[name] = writer
        for client in clients:
            _write_csv_rows(writers, client_to_json(client))
            count += 1
    audit.record(db, "export", detail=f"CSV, {count} clients")
    return count


def _write_csv_rows(writers: Mapping[str, _SafeCsvWriter], doc: dict[str, Any]) -> None:
    """One client's rows in every CSV table."""
    code = doc["code"]
    writers["clients.csv"].writerow(doc)
    for g in doc["goals"]:
        writers["goals.csv"].writerow({"client_code": code, "goal": g["number"], **g})
    for s in doc["sessions"]:
        key = {"client_code": code, "session": s["number"]}
        writers["sessions.csv"].writerow({**key, **s})
        for m in s["measurements"]:
            items = {f"item_{i}": v for i, v in enumerate(m["item_values"], start=1)}
            writers["measurements.csv"].writerow({**key, **m, **(m["scores"] or {}), **items})
        for r in s["goal_ratings"]:
            writers["goal_ratings.csv"].writerow({**key, **r})
        for r in s["ruptures"]:
            writers["ruptures.csv"].writerow({**key, **r})
    for r in doc["risk_reviews"]:
        covers = "; ".join(
            f"{c['instrument_id']} item {c['item']} = {c['value']:g} at {c['taken_at']}"
            for c in r["covers"]
        )
        writers["risk_reviews.csv"].writerow({"client_code": code, **r, "covers": covers})
    for a in doc["alert_acknowledgements"]:
        writers["alert_acknowledgements.csv"].writerow(
            {"client_code": code, **a, "kinds": " ".join(a["kinds"])}
        )
    for r in doc["removed_risk_answers"]:
        writers["removed_risk_answers.csv"].writerow({"client_code": code, **r})


# ---------------------------------------------------------------------------- import


class _Fields:
    """Typed field readers that name the exact place of a bad value in the file."""

    def __init__(self, obj: Any, where: str) -> None:
        if not isinstance(obj, dict):
            raise InvalidInput(f"{where} must be an object.")
        self.obj: Mapping[str, Any] = obj
        self.where = where

    def _get(self, key: str, required: bool) -> Any:
        if key not in self.obj or self.obj[key] is None:
            if required:
                raise InvalidInput(f"{self.where}.{key} is missing.")
            return None
        return self.obj[key]

    def text(
        self,
        key: str,
        *,
        required: bool = False,
        allow_empty: bool = True,
        max_length: int = MAX_TEXT,
    ) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise InvalidInput(f"{self.where}.{key} must be text, not {type(value).__name__}.")
        if len(value) > max_length:
            raise InvalidInput(f"{self.where}.{key} is longer than {max_length:,} characters.")
        try:  # JSON may spell half of a UTF-16 pair ("\ud800"), which no UTF-8 file can hold
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput(
                f"{self.where}.{key} holds a broken character (a lone \\u escape); retype it."
            ) from None
        if not allow_empty and not value.strip():
            raise InvalidInput(f"{self.where}.{key} must not be empty.")
        return value

    def req_text(self, key: str, *, allow_empty: bool = True, max_length: int = MAX_TEXT) -> str:
        value = self.text(key, required=True, allow_empty=allow_empty, max_length=max_length)
        assert value is not None  # required=True guarantees it
        return value

    def day(self, key: str, *, required: bool = False) -> date | None:
        value = self._get(key, required)
        if value is None:
            return None
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                f"{self.where}.{key} is {value!r}, not a date; use YYYY-MM-DD, e.g. 2026-11-20."
            ) from None

    def req_day(self, key: str) -> date:
        value = self.day(key, required=True)
        assert value is not None
        return value

    def moment(self, key: str, *, required: bool = False) -> datetime | None:
        value = self._get(key, required)
        if value is None:
            return None
        try:
            if not isinstance(value, str):
                raise ValueError
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                f"{self.where}.{key} is {value!r}, not a date and time; "
                "use YYYY-MM-DDTHH:MM, e.g. 2026-11-20T10:00."
            ) from None
        if parsed.tzinfo is not None:
            raise InvalidInput(f"{self.where}.{key} has a time zone; use local time without one.")
        return parsed

    def req_moment(self, key: str) -> datetime:
        value = self.moment(key, required=True)
        assert value is not None
        return value

    def choice(self, key: str, enum: type[_E], *, default: _E | None = None) -> _E:
        value = self._get(key, default is None)
        if value is None:
            assert default is not None
            return default
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(m.value for m in enum)
            raise InvalidInput(
                f"{self.where}.{key} is {value!r}; it must be one of {allowed}."
            ) from None

    def integer(self, key: str, low: int, high: int, *, default: int | None = None) -> int:
        value = self._get(key, default is None)
        if value is None:
            assert default is not None
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidInput(
                f"{self.where}.{key} is {value!r}; it must be a whole number from {low} to {high}."
            )
        return value

    def number(self, key: str, low: float, high: float) -> float:
        value = self._get(key, True)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise InvalidInput(f"{self.where}.{key} is {value!r}; it must be from {low} to {high}.")
        return float(value)

    def flag(self, key: str) -> bool:
        value = self._get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise InvalidInput(f"{self.where}.{key} must be true or false.")
        return value

    def array(self, key: str) -> list[Any]:
        value = self._get(key, False)
        if value is None:
            return []
        if not isinstance(value, list):
            raise InvalidInput(f"{self.where}.{key} must be an array.")
        return value


def _read_measurement(obj: Any, where: str) -> MeasurementData:
    f = _Fields(obj, where)
    instrument_id = f.req_text("instrument_id", allow_empty=False)
    try:
        instrument = get_instrument(instrument_id)
    except DomainError as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    version = f.text("instrument_version") or instrument.version
    taken_with = instrument_for(instrument_id, version)
    if taken_with is None:  # the practice's own instrument, at a version the file lacks
        raise InvalidInput(
            f"{where}: {instrument_id} version {version!r} has no definition in the file or "
            "the practice, so its answers cannot be checked or scored."
        )
    instrument = taken_with
    values = f.array("item_values")
    try:
        check_form(instrument, values)  # an incomplete CORE-10 is kept, as in the editor
    except DomainError as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    return MeasurementData(
        instrument_id=instrument.id,
        instrument_version=version,
        item_values=list(values),
        taken_at=f.req_moment("taken_at"),
        respondent=f.choice("respondent", Respondent, default=Respondent(instrument.respondent)),
    )


def _read_session(obj: Any, where: str, goal_numbers: set[int]) -> SessionData:
    f = _Fields(obj, where)
    session = SessionData(
        number=f.integer("number", 1, 100_000),
        start=f.req_moment("start"),
        approach=f.choice("approach", Approach),
        duration_minutes=f.integer("duration_minutes", 1, 600, default=50),
        format=f.choice("format", SessionFormat, default=SessionFormat.IN_PERSON),
        attendance=f.choice("attendance", Attendance, default=Attendance.ATTENDED),
        notes=f.text("notes") or "",
        tasks_agreed=f.text("tasks_agreed") or "",
        client_feedback=f.text("client_feedback") or "",
    )
    session.measurements = [
        _read_measurement(m, f"{where}.measurements[{i}]")
        for i, m in enumerate(f.array("measurements"))
    ]
    seen: set[int] = set()
    for i, r in enumerate(f.array("goal_ratings")):
        rf = _Fields(r, f"{where}.goal_ratings[{i}]")
        goal = rf.integer("goal", 1, 1000)
        if goal not in goal_numbers:
            raise InvalidInput(f"{rf.where}.goal is {goal}, but the client has no goal {goal}.")
        if goal in seen:
            raise InvalidInput(f"{rf.where}: goal {goal} is rated twice in one session.")
        seen.add(goal)
        session.goal_ratings.append(GoalRatingData(goal, rf.number("rating", 0, 10)))
    for i, r in enumerate(f.array("ruptures")):
        rf = _Fields(r, f"{where}.ruptures[{i}]")
        session.ruptures.append(
            RuptureData(
                kind=rf.choice("kind", RuptureKind),
                description=rf.text("description") or "",
                repair=rf.text("repair") or "",
                resolved=rf.flag("resolved"),
            )
        )
    return session


def read_session_object(obj: Any, where: str, goal_numbers: set[int]) -> SessionData:
    """Check and read one session object in the export's shape (shared with ``session add``)."""
    return _read_session(obj, where, goal_numbers)


def _read_client(obj: Any, where: str, today: date) -> ClientData:
    f = _Fields(obj, where)
    code = f.req_text("code", allow_empty=False).strip()
    if len(code) > 20:
        raise InvalidInput(f"{where}.code {code!r} is longer than 20 characters.")
    client = ClientData(
        code=code,
        given_name=f.req_text("given_name", allow_empty=False, max_length=200),
        family_name=f.text("family_name", max_length=200) or "",
        approach=f.choice("approach", Approach),
        intake_date=f.req_day("intake_date"),
        status=f.choice("status", ClientStatus, default=ClientStatus.ACTIVE),
        date_of_birth=f.day("date_of_birth"),
        email=f.text("email", max_length=320),
        phone=f.text("phone", max_length=50),
        address=f.text("address"),
        presenting_concern=f.text("presenting_concern"),
        discharge_date=f.day("discharge_date"),
        created_at=f.moment("created_at"),
        updated_at=f.moment("updated_at"),
    )
    if client.date_of_birth and client.date_of_birth > today:
        raise InvalidInput(f"{where}.date_of_birth {client.date_of_birth} is in the future.")
    if client.discharge_date and client.discharge_date < client.intake_date:
        raise InvalidInput(
            f"{where}.discharge_date {client.discharge_date} is before the intake date "
            f"{client.intake_date}."
        )
    for i, g in enumerate(f.array("goals")):
        gf = _Fields(g, f"{where}.goals[{i}]")
        client.goals.append(
            GoalData(
                number=gf.integer("number", 1, 1000, default=i + 1),
                description=gf.req_text("description", allow_empty=False),
                agreed_on=gf.req_day("agreed_on"),
                status=gf.choice("status", GoalStatus, default=GoalStatus.ACTIVE),
                closed_on=gf.day("closed_on"),
            )
        )
    goal_numbers = {g.number for g in client.goals}
    if len(goal_numbers) != len(client.goals):
        raise InvalidInput(f"{where}.goals: two goals share a number.")
    for i, r in enumerate(f.array("risk_reviews")):
        client.risk_reviews.append(_read_review(r, f"{where}.risk_reviews[{i}]", today))
    for i, a in enumerate(f.array("alert_acknowledgements")):
        client.acknowledgements.append(_read_ack(a, f"{where}.alert_acknowledgements[{i}]"))
    for i, r in enumerate(f.array("removed_risk_answers")):
        client.removed_risk_answers.append(_read_removed(r, f"{where}.removed_risk_answers[{i}]"))
    numbers: set[int] = set()
    moments: set[tuple[str, datetime]] = set()
    for i, s in enumerate(f.array("sessions")):
        session = _read_session(s, f"{where}.sessions[{i}]", goal_numbers)
        if session.start.date() < client.intake_date:
            raise InvalidInput(
                f"{where}.sessions[{i}].start {session.start:%Y-%m-%d} is before the intake "
                f"date {client.intake_date}."
            )
        if session.number in numbers:
            raise InvalidInput(f"{where}.sessions[{i}].number {session.number} is used twice.")
        numbers.add(session.number)
        for j, m in enumerate(session.measurements):
            if (m.instrument_id, m.taken_at) in moments:  # a risk answer is known by its moment
                raise InvalidInput(
                    f"{where}.sessions[{i}].measurements[{j}].taken_at repeats the moment of "
                    f"another {m.instrument_id} form; two forms of one measure cannot share a "
                    "moment."
                )
            moments.add((m.instrument_id, m.taken_at))
        client.sessions.append(session)
    return client


def _read_review(obj: Any, where: str, today: date) -> RiskReviewData:
    f = _Fields(obj, where)
    reviewed_on = f.req_day("reviewed_on")
    if reviewed_on > today:
        raise InvalidInput(f"{where}.reviewed_on {reviewed_on} is in the future.")
    covers = []
    for i, c in enumerate(f.array("covers")):
        try:
            if not isinstance(c, dict):
                raise DomainError("not an object")
            key = EndorsementKey.from_dict(c)
            if key.taken_at.tzinfo is not None:
                raise InvalidInput(
                    f"{where}.covers[{i}].taken_at has a time zone; use local time without one."
                )
            covers.append(key.to_dict())
        except DomainError:
            raise InvalidInput(
                f"{where}.covers[{i}] must be an object with instrument_id, taken_at (a date "
                "and time), item and value."
            ) from None
    return RiskReviewData(
        reviewed_on=reviewed_on,
        action=f.req_text("action", allow_empty=False, max_length=MAX_REVIEW_ACTION),
        risk_ongoing=f.flag("risk_ongoing"),
        recorded_at=f.req_moment("recorded_at"),
        covers=covers,
    )


def _read_removed(obj: Any, where: str) -> RemovedRiskAnswerData:
    f = _Fields(obj, where)
    instrument_id = f.req_text("instrument_id", allow_empty=False, max_length=40)
    try:
        instrument = get_instrument(instrument_id)
    except DomainError as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    item = f.integer("item", 1, len(instrument.items))
    if not instrument.item(item).risk:
        raise InvalidInput(f"{where}.item {item} is not a risk item of {instrument.id}.")
    bounds = instrument.item(item)
    return RemovedRiskAnswerData(
        instrument_id=instrument.id,
        item=item,
        value=f.number("value", bounds.minimum, bounds.maximum),
        taken_at=f.req_moment("taken_at"),
        session_number=f.integer("session_number", 1, 100_000),
        removed_at=f.req_moment("removed_at"),
    )


def _read_ack(obj: Any, where: str) -> AcknowledgementData:
    f = _Fields(obj, where)
    kinds = f.array("kinds")
    known = [k.value for k in AlertKind]
    if not kinds or not all(isinstance(k, str) and k in known for k in kinds):
        raise InvalidInput(f"{where}.kinds must list alert kinds, each one of {', '.join(known)}.")
    return AcknowledgementData(
        kinds=[str(k) for k in kinds],
        instrument_id=f.req_text("instrument_id", allow_empty=False, max_length=40),
        rating_at=f.req_moment("rating_at"),
        acknowledged_at=f.req_moment("acknowledged_at"),
        note=f.text("note") or "",
        reason=f.text("reason") or "",
    )


# ---------------------------------------------------------------------------- reading a file


class _NotStreamed(Exception):
    """The file departs from the streamed layout, from UTF-8 or from JSON as
    ``read_json_file`` reads it, or cannot be read: it is read whole instead, and that
    reading says what is wrong, exactly as for any other file."""


#: How the first line of the streamed layout ends: the ``clients`` array of the top-level
#: object opens (the key is whole: what precedes its quote cannot be inside a string).
#: Parsing the line with ``]}`` appended then proves the array is the top level's last
#: member, so what follows, line by line, is exactly its elements.
_HEADER_END = re.compile(r'[{, \t\r\n]"clients"[ \t\r\n]*:[ \t\r\n]*\[\Z')
_JSON_SPACE = " \t\r\n"  # JSON's white space (str.strip() would take more, e.g. U+00A0)
#: A first line longer than this is not the streamed layout's (settings take a few kB).
_HEADER_MAX = 16 * 1024**2
_READ_BUFFER = 1024**2


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _no_constant(text: str) -> Any:
    raise ValueError(text)


def _parse(text: str) -> Any:
    """One JSON value, with the number rules of ``read_json_file`` (no NaN, no infinity)."""
    try:
        return json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # ValueError: bad JSON, a number, 4,300+ digits
        raise _NotStreamed from None


def _decode(raw: bytes, encoding: str = "utf-8") -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise _NotStreamed from None


def _open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading as ``storage.files.read_regular_file`` opens it: only a
    regular file (checked before opening and on the open descriptor), without blocking, and
    no larger than the export cap."""
    try:
        check_regular_file(path)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
    except OSError:
        raise _NotStreamed from None
    try:
        status = os.fstat(fd)
        usable = stat.S_ISREG(status.st_mode) and status.st_size <= MAX_EXPORT_BYTES
    except OSError:
        usable = False
    if not usable:  # swapped for a pipe since the check, or too large: read whole says so
        os.close(fd)
        raise _NotStreamed
    try:
        return os.fdopen(fd, "rb", buffering=_READ_BUFFER)
    except BaseException:
        os.close(fd)
        raise


class _StreamedFile:
    """One pass over an export in the streamed layout: its envelope (the top-level fields
    before ``clients``), then each client's raw value, one line at a time, and a digest of
    every byte read.

    Raises ``_NotStreamed`` on opening or while iterating as soon as the file departs from
    the layout (or from JSON, or grows past the cap); ``OSError`` when reading fails.
    """

    def __init__(self, path: Path) -> None:
        self.digest = hashlib.sha256()
        self._size = 0
        self._handle = _open_regular(path)
        try:
            self.envelope = self._read_envelope()
        except BaseException:
            self._handle.close()
            raise

    def __enter__(self) -> _StreamedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def _line(self, limit: int = -1) -> bytes:
        raw = self._handle.readline(limit)
        self._size += len(raw)
        if self._size > MAX_EXPORT_BYTES:
            raise _NotStreamed
        self.digest.update(raw)
        return raw

    def _read_envelope(self) -> dict[str, Any]:
        raw = self._line(_HEADER_MAX)
        if not raw.endswith(b"\n"):
            raise _NotStreamed
        # utf-8-sig: a byte-order mark is taken at the start only, as read_json_file does.
        text = _decode(raw, "utf-8-sig").rstrip(_JSON_SPACE)
        if not _HEADER_END.search(text):
            raise _NotStreamed
        envelope = _parse(text + "]}")
        if not isinstance(envelope, dict) or envelope.get("clients") != []:
            raise _NotStreamed
        return envelope

    def clients(self) -> Iterator[Any]:
        """Each element of the ``clients`` array, parsed; then the rest of the file is read
        (white space only, as JSON allows after the document)."""
        after = "["  # how the previous line ended: "[" (the first line), "," or a value
        while True:
            raw = self._line()
            if not raw:
                raise _NotStreamed  # the file ends inside the array
            text = _decode(raw).strip(_JSON_SPACE)
            if text == "]}":
                if after == ",":
                    raise _NotStreamed  # a comma before the closing bracket
                break
            if after == "value":
                raise _NotStreamed  # two values without a comma between them
            after = "," if text.endswith(",") else "value"
            yield _parse(text[:-1] if after == "," else text)
        while raw := self._line():
            if raw.strip(_JSON_SPACE.encode()):
                raise _NotStreamed


class ClientSource(Protocol):
    """The clients of a checked export: how many, and each in turn."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[ClientData]: ...


@dataclass(frozen=True)
class _ClientsFromFile:
    """The clients of a checked export in the streamed layout, read and checked again from
    the file one at a time on each iteration (never all in memory).

    Iterating raises InvalidInput when the file is no longer the one that was checked (its
    digest and its number of clients are compared once it has been read to its end).
    """

    path: Path
    today: date
    count: int
    digest: bytes

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[ClientData]:
        read = 0
        try:
            with _StreamedFile(self.path) as stream:
                for i, value in enumerate(stream.clients()):
                    yield _read_client(value, f"clients[{i}]", self.today)
                    read += 1
                same = read == self.count and stream.digest.digest() == self.digest
        except (_NotStreamed, InvalidInput):
            same = False
        except OSError as exc:
            raise InvalidInput(
                f"{self.path} could not be read again ({exc.strerror or exc}), so nothing "
                "was imported; check the drive, then import it again."
            ) from None
        if not same:
            raise InvalidInput(
                f"{self.path} changed while it was being imported, so nothing was imported; "
                "import it again."
            )


@dataclass(frozen=True)
class ExportContents:
    """A checked export file: its clients and practice settings.

    ``clients`` is a list for a file read whole (an export of an earlier version, say); for
    a file in the streamed layout it reads them again from the file, one at a time, each
    time it is iterated, and refuses a file changed since it was checked.
    """

    clients: ClientSource
    settings: dict[str, Any]
    #: The practice's own instruments in the file (every version), checked.
    instruments: tuple[InstrumentDefinitionRow, ...] = ()


def read_export(path: Path, *, today: date | None = None) -> ExportContents:
    """Read and check an export file completely; raise InvalidInput naming the first problem.

    A file in the streamed layout is checked one line at a time, keeping no client (memory
    stays flat); any other file is read whole. Both give the same answer, and for a bad
    file the same message: a file the line-by-line reading has any doubt about is read
    whole.
    """
    today = today or date.today()
    try:
        return _check_streamed(path, today)
    except (_NotStreamed, OSError):
        return _read_whole(path, today)


def _check_streamed(path: Path, today: date) -> ExportContents:
    """``read_export`` for a file in the streamed layout, keeping no client.

    Problems are reported in the order reading the file whole reports them: JSON first
    (the whole file is read before any problem with a client is raised), then the first
    client with a bad field, then a code used twice, then the settings.
    """
    with _StreamedFile(path) as stream:
        envelope = stream.envelope
        version = envelope.get("format_version")
        settings = envelope.get("settings") or {}
        if (
            envelope.get("format") != EXPORT_FORMAT
            or version not in _READABLE_VERSIONS
            or isinstance(version, bool)
            or not isinstance(settings, dict)
        ):
            raise _NotStreamed  # read whole, which says what is wrong
        # Before the clients: their measurements are checked against these definitions.
        instruments = _read_instruments(envelope.get("instruments"), path)
        problem: InvalidInput | None = None
        duplicate: InvalidInput | None = None
        codes: set[str] = set()
        count = 0
        with _file_instruments(instruments, path.name):
            for i, value in enumerate(stream.clients()):
                count += 1
                if problem is not None:
                    continue  # only the JSON of the rest is read: an error there comes first
                try:
                    client = _read_client(value, f"clients[{i}]", today)
                except InvalidInput as exc:
                    problem = exc
                    continue
                # By key: "Émile-1" and "émile-1" are one code (domain.client_codes).
                key = code_key(client.code)
                if key in codes and duplicate is None:
                    duplicate = InvalidInput(
                        f"clients[{i}].code {client.code!r} is used by another client."
                    )
                codes.add(key)
        digest = stream.digest.digest()
    if problem is not None:
        raise problem
    if duplicate is not None:
        raise duplicate
    _check_settings(path, settings)
    return ExportContents(_ClientsFromFile(path, today, count, digest), settings, instruments)


def _read_whole(path: Path, today: date) -> ExportContents:
    """``read_export`` for any file: parsed whole, then checked."""
    document = read_json_file(path, "an Alliance Desktop export")
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise InvalidInput(
            f'{path} is not an Alliance Desktop export (it has no "format": '
            f"\"{EXPORT_FORMAT}\" field). Export one with 'alliance-desktop export'."
        )
    version = document.get("format_version")
    if version not in _READABLE_VERSIONS or isinstance(version, bool):
        raise InvalidInput(
            f"{path} uses export format version {version!r}; this version of Alliance "
            f"Desktop reads versions {' and '.join(str(v) for v in _READABLE_VERSIONS)}."
        )
    raw_clients = document.get("clients")
    if not isinstance(raw_clients, list):
        raise InvalidInput(f'{path}: "clients" must be an array.')
    instruments = _read_instruments(document.get("instruments"), path)
    with _file_instruments(instruments, path.name):
        clients = [_read_client(c, f"clients[{i}]", today) for i, c in enumerate(raw_clients)]
    codes: set[str] = set()
    for i, c in enumerate(clients):
        # By key: "Émile-1" and "émile-1" are one code (domain.client_codes).
        if code_key(c.code) in codes:
            raise InvalidInput(f"clients[{i}].code {c.code!r} is used by another client.")
        codes.add(code_key(c.code))
    settings = document.get("settings") or {}
    if not isinstance(settings, dict):
        raise InvalidInput(f'{path}: "settings" must be an object.')
    _check_settings(path, settings)
    return ExportContents(clients, settings, instruments)


def _read_instruments(value: object, path: Path) -> tuple[InstrumentDefinitionRow, ...]:
    """The practice's own instruments in an export, checked, and put in the registry (with
    the database's own) so the clients' measurements are checked against them."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidInput(f'{path}: "instruments" must be an array.')
    rows: list[InstrumentDefinitionRow] = []
    for index, entry in enumerate(value):
        where = f"{path.name}: instruments[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("document"), dict):
            raise InvalidInput(f'{where} must be an object with a "document".')
        instrument = parse_definition(entry["document"], where)
        try:
            added = datetime.fromisoformat(str(entry.get("added_at")))
            retired_text = entry.get("retired_at")
            retired = None if retired_text is None else datetime.fromisoformat(str(retired_text))
        except ValueError:
            raise InvalidInput(
                f"{where}: added_at and retired_at must be ISO dates and times."
            ) from None
        rows.append(
            InstrumentDefinitionRow(
                instrument.id, instrument.version, entry["document"], added, retired
            )
        )
    return tuple(rows)


@contextlib.contextmanager
def _file_instruments(rows: Sequence[InstrumentDefinitionRow], where: str) -> Iterator[None]:
    """An export's own instruments in the registry, beside the open database's, while its
    clients are checked or written; the registry is as it was afterwards, whatever happens
    (a refused file must leave nothing of itself behind)."""
    before = custom_instruments()
    _register(rows, where)
    try:
        yield
    finally:
        use_custom_instruments(before)


def _register(rows: Sequence[InstrumentDefinitionRow], where: str) -> None:
    """Put an export's own instruments in the registry beside the open database's."""
    if not rows:
        return
    versions: dict[str, list[Instrument]] = {
        i: list(c.versions) for i, c in custom_instruments().items()
    }
    retired_ids = {i for i, c in custom_instruments().items() if c.retired}
    for row in rows:
        instrument = parse_definition(row.document, where)
        known = versions.setdefault(instrument.id, [])
        if all(v.version != instrument.version for v in known):
            known.append(instrument)
        if row.retired_at is not None:
            retired_ids.add(instrument.id)
    use_custom_instruments(
        {i: CustomInstrument(tuple(v), i in retired_ids) for i, v in versions.items()}
    )


def _check_settings(path: Path, settings: dict[str, Any]) -> None:
    # Wrong types here would be stored and then fail every report and every new session.
    try:
        check_imported_settings(settings)
    except InvalidInput as exc:
        raise InvalidInput(
            f"{exc} Correct it in {path.name} or remove that setting, then import again."
        ) from None


def can_import_into(db: Database) -> bool:
    """Whether ``db`` may take an import: it has no clients yet (nothing mixed or doubled)."""
    return repository.count_clients(db) == 0


def import_json(db: Database, path: Path, *, today: date | None = None) -> int:
    """Import an export file into an empty database; return the number of clients."""
    return import_contents(db, read_export(path, today=today))


#: How many clients an import summarises and inserts at a time (memory stays flat).
_IMPORT_BATCH = 200


def import_contents(db: Database, contents: ExportContents) -> int:
    """Write checked export contents into an empty database; return the number of clients.

    One transaction: the clients are read (for a streamed file, again from the file),
    summarised and inserted a batch at a time, and any failure, including a file changed
    since it was checked, rolls back everything.
    """
    existing = repository.count_clients(db)
    if existing:
        raise Conflict(
            f"{db.path} already holds {clients_phrase(existing)}; import reads into an empty "
            "database only (on the command line, name a new file with --db)."
        )
    stored_alert_settings = contents.settings.get(ALERT_SETTINGS_KEY)
    settings = (
        AlertSettings.from_dict(stored_alert_settings)
        if stored_alert_settings is not None
        else load_alert_settings(db)
    )
    key = rules_key(settings)

    def batches() -> Iterator[tuple[list[ClientData], list[ClientSummaryData]]]:
        batch: list[ClientData] = []
        for client in contents.clients:
            batch.append(client)
            if len(batch) == _IMPORT_BATCH:
                yield batch, [summarise_tree(c, settings, key) for c in batch]
                batch = []
        if batch:
            yield batch, [summarise_tree(c, settings, key) for c in batch]

    # The file's instruments join the database's while its clients are read back (as they
    # were checked); afterwards the registry holds what the database now stores, whether
    # the import was written or rolled back.
    try:
        with _file_instruments(contents.instruments, db.path.name):
            count = repository.import_in_batches(
                db, batches(), _portable_settings(contents.settings), contents.instruments
            )
    finally:
        repository.install_custom_instruments(db)
    audit.record(db, "import", detail=f"{count} clients")
    return count


def export_client(
    db: Database, code: str, target: Path, render_summary: Callable[[Any], bytes]
) -> list[str]:
    """One client's whole record for a subject-access request; return the files written.

    Into the new (or empty) folder ``target``: ``<CODE>.json``, the record in the export
    format (it imports like a whole export), and ``<CODE>-progress-summary.pdf`` from intake
    to today, drawn by ``render_summary`` (``reports.client_report.client_report_pdf``;
    services never import reports). The folder appears whole or not at all.
    """
    from alliance_desktop.services.reports import client_report_data
    from alliance_desktop.services.sessions import client_for_code

    client_id = client_for_code(db, code)
    tree = repository.load_client_tree(db, client_id)
    if tree is None:
        raise InvalidInput(f"{code.strip()} no longer exists; it may have been deleted.")
    pdf = render_summary(client_report_data(db, tree.code))
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in tree.code)
    names = [f"{safe}.json", f"{safe}-progress-summary.pdf"]
    with atomic_folder(target) as folder:
        with (folder / names[0]).open("w", encoding="utf-8") as handle:
            write_export(handle, {}, [tree])
        (folder / names[1]).write_bytes(pdf)
    audit.record(db, "client_exported", client_code=tree.code, detail=f"to {target.name}")
    return names
