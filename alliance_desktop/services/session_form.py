"""The session editor's form, without Qt: what was typed, what it means, and what it shows.

The editor keeps a ``SessionForm``: every field as the user typed it (text, not numbers), so
a half-typed form can be autosaved as a draft and restored after a crash exactly as it was.
This module turns a form into a ``SessionData`` with one message per field that is wrong,
and computes the live preview (scores, goal/task/bond subscales, change since the last
time, the alerts the session would raise) with the same ``domain`` functions the client
list, the charts and the reports use.

Field keys double as the editor's object names: ``start``, ``duration``, ``attendance``,
``measure_SRS_1`` (item 1 of the SRS), ``goal_2`` (the rating of goal 2) and so on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from alliance_desktop.domain._format import fmt_number
from alliance_desktop.domain.alerts import REVIEW_ONLY_KINDS, AlertSettings
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    GOALS_ID,
    INSTRUMENTS,
    OFFERED_IDS,
    QUESTIONNAIRE_IDS,
    Instrument,
    Item,
    is_built_in,
)
from alliance_desktop.domain.scoring import (
    age_on,
    check_form,
    clinical_cutoff,
    in_clinical_range,
    is_below_cutoff,
    score,
)
from alliance_desktop.domain.vocabulary import (
    Approach,
    Attendance,
    GoalStatus,
    Respondent,
    RuptureKind,
    SessionFormat,
)
from alliance_desktop.services import input_rules
from alliance_desktop.services.errors import Conflict, InvalidInput
from alliance_desktop.services.sessions import session_problems, session_warnings
from alliance_desktop.services.settings import load_practice
from alliance_desktop.services.summaries import rules_key, summarise_tree
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import (
    ClientData,
    GoalRatingData,
    MeasurementData,
    RuptureData,
    SessionData,
)

#: Instruments the editor offers as questionnaires; goals (GBO) are rated per goal.
QUESTIONNAIRES: Sequence[str] = QUESTIONNAIRE_IDS
GOALS: str = GOALS_ID
START_FORMAT = "%Y-%m-%d %H:%M"
MAX_DURATION = 600
FORM_VERSION = 1
_WHOLE_MINUTES = re.compile(r"[0-9]{1,3}")
_RISK_KINDS = frozenset(str(k) for k in REVIEW_ONLY_KINDS)
_SUBSCALE_ORDER = {"goal": 0, "task": 1, "bond": 2}  # the order Bordin named them, everywhere


def item_key(instrument_id: str, number: int) -> str:
    """Field key (and object name) of one item of one instrument."""
    return f"measure_{instrument_id}_{number}"


def goal_key(number: int) -> str:
    """Field key (and object name) of the rating of one goal."""
    return f"goal_{number}"


@dataclass
class SessionForm:
    """The editor's fields exactly as typed. JSON-safe, so a draft is this as a dict."""

    start: str = ""
    duration: str = "50"
    format: str = SessionFormat.IN_PERSON.value
    attendance: str = Attendance.ATTENDED.value
    approach: str = Approach.OTHER.value
    notes: str = ""
    tasks_agreed: str = ""
    client_feedback: str = ""
    #: Instruments recorded in this session (``QUESTIONNAIRES`` ids, plus ``GOALS``).
    instruments: list[str] = field(default_factory=list)
    #: Typed item values per instrument; kept when an instrument is unticked, so ticking it
    #: again (or undo) brings them back.
    items: dict[str, list[str]] = field(default_factory=dict)
    #: Typed 0-10 ratings by goal number (as a string, JSON object keys being strings).
    goal_ratings: dict[str, str] = field(default_factory=dict)
    rupture: bool = False
    rupture_kind: str = RuptureKind.WITHDRAWAL.value
    rupture_description: str = ""
    rupture_repair: str = ""
    rupture_resolved: bool = False
    #: Further ruptures of an imported session; the editor shows the first and keeps these.
    more_ruptures: list[dict[str, Any]] = field(default_factory=list)
    #: When a stored measure was taken, in minutes after the start (so it moves with the
    #: session), and who rated it: kept as stored, the editor has no fields for them.
    measure_offsets: dict[str, int] = field(default_factory=dict)
    measure_respondents: dict[str, str] = field(default_factory=dict)
    #: Stored measures of instruments the editor does not offer, kept unchanged.
    kept_measurements: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "form_version": FORM_VERSION,
            "start": self.start,
            "duration": self.duration,
            "format": self.format,
            "attendance": self.attendance,
            "approach": self.approach,
            "notes": self.notes,
            "tasks_agreed": self.tasks_agreed,
            "client_feedback": self.client_feedback,
            "instruments": list(self.instruments),
            "items": {k: list(v) for k, v in self.items.items()},
            "goal_ratings": dict(self.goal_ratings),
            "rupture": self.rupture,
            "rupture_kind": self.rupture_kind,
            "rupture_description": self.rupture_description,
            "rupture_repair": self.rupture_repair,
            "rupture_resolved": self.rupture_resolved,
            "more_ruptures": [dict(r) for r in self.more_ruptures],
            "measure_offsets": dict(self.measure_offsets),
            "measure_respondents": dict(self.measure_respondents),
            "kept_measurements": [dict(m) for m in self.kept_measurements],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionForm:
        """Read a stored draft leniently: whatever is not understood takes its default.

        A draft holds half-typed input, and the next app version may add fields; refusing it
        would lose what the therapist typed, which is what drafts exist to prevent.
        """
        form = cls()
        for name in (
            "start",
            "format",
            "attendance",
            "approach",
            "notes",
            "tasks_agreed",
            "client_feedback",
            "rupture_kind",
            "rupture_description",
            "rupture_repair",
        ):
            value = data.get(name)
            if isinstance(value, str):
                setattr(form, name, value)
        duration = data.get("duration")
        if isinstance(duration, str) and _WHOLE_MINUTES.fullmatch(duration.strip()):
            form.duration = duration.strip()
        for name in ("rupture", "rupture_resolved"):
            if isinstance(data.get(name), bool):
                setattr(form, name, data[name])
        instruments = data.get("instruments")
        if isinstance(instruments, list):
            form.instruments = [i for i in instruments if i in INSTRUMENTS]
        items = data.get("items")
        if isinstance(items, dict):
            form.items = {
                k: [str(v) for v in values]
                for k, values in items.items()
                if k in INSTRUMENTS and isinstance(values, list)
            }
        ratings = data.get("goal_ratings")
        if isinstance(ratings, dict):
            form.goal_ratings = {str(k): str(v) for k, v in ratings.items()}
        more = data.get("more_ruptures")
        if isinstance(more, list):
            form.more_ruptures = [dict(r) for r in more if isinstance(r, dict)]
        offsets = data.get("measure_offsets")
        if isinstance(offsets, dict):
            form.measure_offsets = {
                str(k): v for k, v in offsets.items() if isinstance(v, int) and abs(v) < 100_000
            }
        respondents = data.get("measure_respondents")
        if isinstance(respondents, dict):
            form.measure_respondents = {
                str(k): v for k, v in respondents.items() if v in set(Respondent)
            }
        kept = data.get("kept_measurements")
        if isinstance(kept, list):
            form.kept_measurements = [dict(m) for m in kept if isinstance(m, dict)]
        return form


# --- typed values ------------------------------------------------------------------------


def parse_item_text(text: str, instrument: Instrument, item: Item) -> float | None:
    """The value typed for one item: None when blank, else the number on the item's grid.

    The one rule for typed values (``services/input_rules.py``), shared with the command
    line and JSON. Raises InvalidInput with one sentence naming the item, the range, the
    precision and what is wrong.
    """
    return input_rules.parse_item_text(text, instrument, item)


def format_item_value(value: float | None) -> str:
    """How a stored item value is shown in its field (8.5, 9, or blank)."""
    return "" if value is None else fmt_number(value, 1)


def parse_start(text: str) -> datetime:
    """The session start typed as ``YYYY-MM-DD HH:MM`` (a ``T`` also works).

    The one rule for session starts (``services/input_rules.py``), shared with the command
    line and JSON: no date without a time, no time zone, within the app's dates.
    """
    return input_rules.parse_moment(text)


# --- forms from records ------------------------------------------------------------------


def planned_instruments(
    plan: Sequence[str], number: int, client: ClientData, settings: AlertSettings
) -> list[str]:
    """What a new session records by default.

    Everything in the plan (the client's own or the practice's), except that a measure
    given every few sessions (``Instrument.offer_every``: the WAI-SR every fourth) comes
    only then (sooner if the practice's "overdue" alert for it is set lower), and goals are
    rated only while there are active goals.
    """
    chosen = []
    for instrument_id in plan:
        instrument = INSTRUMENTS.get(instrument_id)
        if instrument is None or instrument_id not in OFFERED_IDS:  # unknown, or retired
            continue
        every = min(instrument.offer_every, settings.due_every(instrument_id) or 1_000_000)
        if number % every:
            continue
        if instrument_id == GOALS and not any(g.status is GoalStatus.ACTIVE for g in client.goals):
            continue
        chosen.append(instrument_id)
    return chosen


def new_session_form(
    client: ClientData, plan: Sequence[str], settings: AlertSettings, now: datetime
) -> SessionForm:
    """A blank form for the client's next session: now, the client's approach, the plan."""
    start = now.replace(second=0, microsecond=0)
    number = number_at(client, start)
    return SessionForm(
        start=start.strftime(START_FORMAT),
        approach=str(client.approach),
        instruments=planned_instruments(plan, number, client, settings),
    )


def number_at(client: ClientData, start: datetime) -> int:
    """The number a session starting at ``start`` would take among the client's others."""
    return 1 + sum(1 for s in client.sessions if s.start < start)


def form_from_session(session: SessionData) -> SessionForm:
    """A form holding a stored session, for editing it."""
    form = SessionForm(
        start=session.start.strftime(START_FORMAT),
        duration=str(session.duration_minutes),
        format=str(session.format),
        attendance=str(session.attendance),
        approach=str(session.approach),
        notes=session.notes,
        tasks_agreed=session.tasks_agreed,
        client_feedback=session.client_feedback,
    )
    for m in session.measurements:
        current = INSTRUMENTS.get(m.instrument_id)
        # Kept as stored (no fields): one the editor does not show, a second form of one
        # it does, and one taken with an earlier version of a therapist's own instrument.
        if (
            m.instrument_id not in QUESTIONNAIRES
            or m.instrument_id in form.instruments
            or current is None
            or (not is_built_in(m.instrument_id) and m.instrument_version != current.version)
        ):
            form.kept_measurements.append(
                {
                    "instrument_id": m.instrument_id,
                    "instrument_version": m.instrument_version,
                    "item_values": list(m.item_values),
                    "offset_minutes": _minutes(m.taken_at - session.start),
                    "respondent": str(m.respondent),
                }
            )
            continue
        form.instruments.append(m.instrument_id)
        form.items[m.instrument_id] = [format_item_value(v) for v in m.item_values]
        form.measure_offsets[m.instrument_id] = _minutes(m.taken_at - session.start)
        form.measure_respondents[m.instrument_id] = str(m.respondent)
    if session.goal_ratings:
        form.instruments.append(GOALS)
        form.goal_ratings = {
            str(r.goal_number): format_item_value(r.rating) for r in session.goal_ratings
        }
    if session.ruptures:
        first, *more = session.ruptures
        form.rupture = True
        form.rupture_kind = str(first.kind)
        form.rupture_description = first.description
        form.rupture_repair = first.repair
        form.rupture_resolved = first.resolved
        form.more_ruptures = [
            {
                "kind": str(r.kind),
                "description": r.description,
                "repair": r.repair,
                "resolved": r.resolved,
            }
            for r in more
        ]
    return form


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


def ratable_goals(client: ClientData, day: date | None) -> list[int]:
    """Numbers of the goals a session on ``day`` can rate: agreed by then and not closed."""
    numbers = []
    for g in client.goals:
        if day is not None and g.agreed_on > day:
            continue
        closed_before = g.status is not GoalStatus.ACTIVE and (
            g.closed_on is None or day is None or g.closed_on < day
        )
        if not closed_before:
            numbers.append(g.number)
    return numbers


# --- reading a form ----------------------------------------------------------------------


@dataclass
class FormReading:
    """A form read against the client's record: the session, or what is wrong by field."""

    session: SessionData | None
    errors: dict[str, str]
    warnings: list[str]


def read_form(
    form: SessionForm,
    client: ClientData,
    *,
    now: datetime | None = None,
    instruments: Mapping[str, Instrument] = INSTRUMENTS,
) -> FormReading:
    """Check every field and the whole session; ``client.sessions`` excludes this one."""
    now = now or datetime.now()
    errors: dict[str, str] = {}
    start: datetime | None = None
    try:
        start = parse_start(form.start)
    except InvalidInput as exc:
        errors["start"] = str(exc)
    duration = 50
    try:
        duration = int(form.duration.strip())
        if not 1 <= duration <= MAX_DURATION:
            raise ValueError
    except ValueError:
        errors["duration"] = f"Enter the length in whole minutes, from 1 to {MAX_DURATION}."
    attendance = _choice(form.attendance, Attendance, "attendance", errors)
    session_format = _choice(form.format, SessionFormat, "format", errors)
    approach = _choice(form.approach, Approach, "approach", errors)
    attended = attendance is Attendance.ATTENDED
    measured_at = start or now
    measurements: list[MeasurementData] = []
    ratings: list[GoalRatingData] = []
    if attended:
        for instrument_id in form.instruments:
            if instrument_id == GOALS:
                ratings = _read_ratings(form, errors)
                continue
            m = _read_measure(form, instruments[instrument_id], measured_at, duration, errors)
            if m is not None:
                measurements.append(m)
    if attended:
        measurements += _kept_measurements(form, measured_at, errors)
    ruptures = _read_ruptures(form) if attended else []
    if errors or start is None or None in (attendance, session_format, approach):
        return FormReading(None, errors, [])
    session = SessionData(
        number=0,
        start=start,
        approach=Approach(approach),
        duration_minutes=duration,
        format=SessionFormat(session_format),
        attendance=Attendance(attendance),
        notes=form.notes,
        tasks_agreed=form.tasks_agreed,
        client_feedback=form.client_feedback,
        measurements=measurements,
        goal_ratings=ratings,
        ruptures=ruptures,
    )
    problems = session_problems(session, client, now=now)
    if problems:
        return FormReading(None, problems, [])
    return FormReading(session, {}, session_warnings(session, client))


def _choice(value: str, kind: Any, key: str, errors: dict[str, str]) -> Any:
    try:
        return kind(value)
    except ValueError:
        errors[key] = f"Choose the {key} from the list."
        return None


def _read_measure(
    form: SessionForm,
    instrument: Instrument,
    start: datetime,
    duration: int,
    errors: dict[str, str],
) -> MeasurementData | None:
    texts = form.items.get(instrument.id, [])
    values: list[float | None] = []
    broken = False
    for item in instrument.items:
        text = texts[item.number - 1] if item.number <= len(texts) else ""
        try:
            values.append(parse_item_text(text, instrument, item))
        except InvalidInput as exc:
            errors[item_key(instrument.id, item.number)] = str(exc)
            values.append(None)
            broken = True
    if broken:
        return None
    missing = [
        item.number
        for item, value in zip(instrument.items, values, strict=True)
        if value is None and not item.optional
    ]
    # A form with a risk item is kept incomplete rather than refused (the answers given,
    # item 6 above all, must not be lost); session_warnings asks before it is saved so.
    keep_incomplete = instrument.keeps_incomplete_forms and any(v is not None for v in values)
    if len(missing) > instrument.max_prorated_items and not keep_incomplete:
        errors[item_key(instrument.id, missing[0])] = (
            f"Enter all {len(instrument.items)} {instrument.id} items (or untick {instrument.id}"
            " if it was not done this session)."
        )
        return None
    offset = form.measure_offsets.get(instrument.id)
    if offset is not None:  # a stored measure keeps its time, moving with the session
        taken_at = start + timedelta(minutes=offset)
    elif instrument.when == "start":  # ORS, CORE-10 at the start; the others at the end
        taken_at = start
    else:
        taken_at = start + timedelta(minutes=duration)
    # Who answered: as stored, else who the instrument is for (a therapist-rated form).
    default = Respondent(instrument.respondent)
    respondent = Respondent(form.measure_respondents.get(instrument.id, default))
    return MeasurementData(instrument.id, instrument.version, values, taken_at, respondent)


def _kept_measurements(
    form: SessionForm, start: datetime, errors: dict[str, str]
) -> list[MeasurementData]:
    """Stored measures the editor shows no fields for, as they were (moved with the start)."""
    kept = []
    for m in form.kept_measurements:
        try:
            kept.append(
                MeasurementData(
                    str(m["instrument_id"]),
                    str(m["instrument_version"]),
                    [None if v is None else float(v) for v in m["item_values"]],
                    start + timedelta(minutes=int(m["offset_minutes"])),
                    Respondent(m.get("respondent", Respondent.CLIENT)),
                )
            )
        except (KeyError, TypeError, ValueError):
            errors["start"] = "A stored measure of this session could not be read back."
    return kept


def _read_ratings(form: SessionForm, errors: dict[str, str]) -> list[GoalRatingData]:
    """Every rating typed; whether each goal may be rated then is the session check's job."""
    gbo = INSTRUMENTS[GOALS]
    ratings = []
    for key in sorted(form.goal_ratings, key=lambda k: (len(k), k)):
        text = form.goal_ratings[key]
        if not key.isdigit():
            continue
        number = int(key)
        item = gbo.items[min(max(number, 1), len(gbo.items)) - 1]
        try:
            value = parse_item_text(text, gbo, replace(item, label=f"goal {number}"))
        except InvalidInput as exc:
            errors[goal_key(number)] = str(exc)
            continue
        if value is not None:
            ratings.append(GoalRatingData(number, value))
    return ratings


def _read_ruptures(form: SessionForm) -> list[RuptureData]:
    ruptures = []
    if form.rupture:
        kind = (
            RuptureKind(form.rupture_kind)
            if form.rupture_kind in set(RuptureKind)
            else RuptureKind.WITHDRAWAL
        )
        ruptures.append(
            RuptureData(kind, form.rupture_description, form.rupture_repair, form.rupture_resolved)
        )
    for r in form.more_ruptures:
        try:
            ruptures.append(
                RuptureData(
                    RuptureKind(str(r.get("kind"))),
                    str(r.get("description", "")),
                    str(r.get("repair", "")),
                    bool(r.get("resolved", False)),
                )
            )
        except ValueError:
            continue  # a damaged draft entry; the stored session still has it
    return ruptures


# --- the live preview --------------------------------------------------------------------


@dataclass(frozen=True)
class MeasurePreview:
    """One instrument's live result, in numbers and in words."""

    instrument_id: str
    total: float | None
    subscales: Mapping[str, float]
    change: float | None
    previous_number: int | None
    text: str


@dataclass(frozen=True)
class FormPreview:
    """Everything the editor shows beside the measures while values are typed."""

    measures: Mapping[str, MeasurePreview]
    #: (severity, reason) of each alert this session raises, most pressing first; a risk
    #: answer still waiting for review is among them whichever session it came from.
    alerts: tuple[tuple[str, str], ...]
    #: True when one of them is a risk alert, which only a risk review clears.
    needs_review: bool = False
    #: The kind of each alert in ``alerts`` (same order).
    alert_kinds: tuple[str, ...] = ()
    #: True when a risk alert comes from this form's own answers (not an earlier session).
    risk_in_form: bool = False


def preview_form(
    form: SessionForm,
    client: ClientData,
    settings: AlertSettings,
    *,
    now: datetime | None = None,
) -> FormPreview:
    """Scores, subscales, change since last time and alerts for what is typed so far.

    Measures that are not complete or not valid yet show how far along they are and take no
    part in the alerts. ``client.sessions`` excludes the session being edited.
    """
    now = now or datetime.now()
    try:
        start = parse_start(form.start)
    except InvalidInput:
        start = now
    try:
        duration = max(1, min(MAX_DURATION, int(form.duration.strip())))
    except ValueError:
        duration = 50
    attended = form.attendance == Attendance.ATTENDED.value
    previews: dict[str, MeasurePreview] = {}
    measurements: list[MeasurementData] = []
    for instrument_id in form.instruments if attended else []:
        if instrument_id == GOALS:
            continue
        instrument = INSTRUMENTS[instrument_id]
        scratch: dict[str, str] = {}
        m = _read_measure(form, instrument, start, duration, scratch)
        if m is None:
            previews[instrument_id] = _incomplete(form, instrument, scratch)
            continue
        measurements.append(m)
        previews[instrument_id] = _scored(instrument, m, client, start, settings)
    alerts: tuple[tuple[str, str, str, bool], ...] = ()
    if attended:
        alerts = _alerts_raised(client, start, duration, measurements, settings)
        if not measurements:  # nothing typed yet: only a risk answer waiting for review
            alerts = tuple(a for a in alerts if a[0] in _RISK_KINDS)
    return FormPreview(
        previews,
        tuple((severity, reason) for _kind, severity, reason, _own in alerts),
        any(kind in _RISK_KINDS for kind, _, _, _ in alerts),
        tuple(kind for kind, _, _, _ in alerts),
        any(kind in _RISK_KINDS and own for kind, _, _, own in alerts),
    )


def _incomplete(
    form: SessionForm, instrument: Instrument, errors: Mapping[str, str]
) -> MeasurePreview:
    texts = form.items.get(instrument.id, [])
    typed = sum(1 for t in texts[: len(instrument.items)] if t.strip())
    wrong_value = any(not message.startswith("Enter all") for message in errors.values())
    text = (
        "Check the marked value." if wrong_value else f"{typed} of {len(instrument.items)} entered"
    )
    return MeasurePreview(instrument.id, None, {}, None, None, text)


def _scored(
    instrument: Instrument,
    m: MeasurementData,
    client: ClientData,
    start: datetime,
    settings: AlertSettings,
) -> MeasurePreview:
    result = check_form(instrument, m.item_values)
    total = result.total
    if total is None:  # kept incomplete: no score, but its answers (a risk item) still count
        entered = len(instrument.items) - len(result.missing)
        words = [f"Incomplete: {entered} of {len(instrument.items)} entered, kept without a score"]
        risk = [i.number for i in instrument.items if i.risk]
        if risk and m.item_values[risk[0] - 1] is not None:
            words.append(f"item {risk[0]} is still read for risk")
        words += _unanswered_risk(instrument, m.item_values)
        return MeasurePreview(instrument.id, None, {}, None, None, " · ".join(words))
    headline = f"Total {fmt_number(total, 1)} of {fmt_number(instrument.total_max)}"
    if result.prorated:
        headline += f", pro-rated from {result.answered} items"
    words = [headline]
    subscales = sorted(result.subscales.items(), key=lambda kv: _SUBSCALE_ORDER.get(kv[0], 9))
    words += [f"{name} {fmt_number(value, 1)}" for name, value in subscales]
    if result.band:
        words.append(result.band.lower())
    previous, previous_number = _previous_total(instrument, client, start)
    change = None
    if previous is not None:
        change = round(total - previous, instrument.total_decimals)
        if change == 0:
            words.append(f"same as session {previous_number}")
        else:
            way = "up" if change > 0 else "down"
            words.append(f"{way} {fmt_number(abs(change), 1)} since session {previous_number}")
    if instrument.norms is not None:
        words += _cutoff_words(instrument, total, client, start, settings)
    words += _unanswered_risk(instrument, m.item_values)
    return MeasurePreview(
        instrument.id, total, dict(result.subscales), change, previous_number, " · ".join(words)
    )


def _unanswered_risk(instrument: Instrument, values: Sequence[float | None]) -> list[str]:
    """A risk item left blank is worth a question, even when the rest pro-rates."""
    return [
        f"item {item.number} ({item.label}) not answered: ask about it"
        for item, value in zip(instrument.items, values, strict=False)
        if item.risk and value is None
    ]


def _cutoff_words(
    instrument: Instrument,
    total: float,
    client: ClientData,
    start: datetime,
    settings: AlertSettings,
) -> list[str]:
    """Words such as "under the cut-off of 36" when the total is on the concerning side."""
    norms = instrument.norms
    assert norms is not None
    own = settings.practice_cutoff(instrument.id)
    if own is not None:  # the practice's own cut-off and comparison (the SRS's)
        own_comparison = settings.comparison_for(instrument.id) or norms.cutoff_comparison
        if is_below_cutoff(total, own, own_comparison):
            return [f"under the cut-off of {fmt_number(own)}"]
        return []
    age = age_on(client.date_of_birth, start.date()) if client.date_of_birth else None
    choice = clinical_cutoff(instrument, age)
    comparison = settings.comparison_for(instrument.id)
    if choice is None or not in_clinical_range(instrument, total, comparison, age=age):
        return []
    side = "under" if norms.higher_is_better else "at or over"
    group = f" for {choice.population}" if choice.population and not choice.assumed_adult else ""
    return [f"{side} the cut-off of {fmt_number(choice.value)}{group}"]


def _previous_total(
    instrument: Instrument, client: ClientData, start: datetime
) -> tuple[float | None, int | None]:
    """The latest scored total of this instrument in a session before ``start``."""
    for session in sorted(client.sessions, key=lambda s: s.start, reverse=True):
        if session.start >= start:
            continue
        for m in session.measurements:
            if m.instrument_id != instrument.id:
                continue
            try:
                total = score(instrument, m.item_values).total
            except DomainError:
                continue
            if total is not None:
                return total, session.number
    return None, None


def _alerts_raised(
    client: ClientData,
    start: datetime,
    duration: int,
    measurements: Iterable[MeasurementData],
    settings: AlertSettings,
) -> tuple[tuple[str, str, str, bool], ...]:
    """(kind, severity, reason, about this session) of the alerts this session shows, on the
    record as it would be after saving."""
    draft = SessionData(
        number=0,
        start=start,
        approach=client.approach,
        duration_minutes=duration,
        measurements=list(measurements),
    )
    ordered = sorted([*client.sessions, draft], key=lambda s: s.start)
    renumbered = [replace(s, number=n) for n, s in enumerate(ordered, start=1)]
    number = ordered.index(draft) + 1
    hypothetical = replace(client, sessions=renumbered)
    summary = summarise_tree(hypothetical, settings, rules_key(settings))
    # A risk answer not yet reviewed is shown whatever session it came from: recording any
    # session is a moment to see it (and the editor offers to record the review).
    return tuple(
        (a["kind"], a["severity"], a["reason"], a["session_number"] == number)
        for a in summary.alerts or []
        if a["session_number"] == number or a["kind"] in _RISK_KINDS
    )


# --- what each client measures -----------------------------------------------------------

CLIENT_PLAN_KEY = "measure_plan.client.{client_id}"


def measure_plan(db: Database, client_id: int) -> list[str]:
    """The instruments this client's sessions record: their own plan, else the practice's."""
    stored = repository.get_setting(db, CLIENT_PLAN_KEY.format(client_id=client_id))
    if isinstance(stored, list):
        return [i for i in stored if i in INSTRUMENTS]
    return [i for i in load_practice(db).default_instruments if i in INSTRUMENTS]


def save_measure_plan(db: Database, client_id: int, plan: Sequence[str]) -> None:
    """Make ``plan`` this client's default instruments for new sessions."""
    unknown = [i for i in plan if i not in INSTRUMENTS]
    if unknown:
        raise InvalidInput(f"Unknown instrument {unknown[0]}.")
    repository.set_setting(
        db, CLIENT_PLAN_KEY.format(client_id=client_id), list(dict.fromkeys(plan))
    )


# --- what the editor opens with ----------------------------------------------------------


@dataclass
class EditorContext:
    """Everything the session editor needs, read in one go when it opens."""

    client_id: int
    session_id: int | None
    #: The client's record without the session being edited (what the form is checked against).
    client: ClientData
    #: The stored session as a form, or a blank form for a new one: "unchanged" means equal.
    form: SessionForm
    #: The session's number now (an existing session) or if saved now (a new one).
    number: int
    settings: AlertSettings
    instruments: Mapping[str, Instrument]
    plan: list[str]
    #: The stored session's version when read (None for a new one): saving names it, so a
    #: change made meanwhile in another window or on the command line is refused.
    version: int | None = None


def editor_context(
    db: Database, client_id: int, session_id: int | None = None, *, now: datetime | None = None
) -> EditorContext:
    """Read the client (and the session) for the editor; Conflict when either is gone."""
    from alliance_desktop.services.sessions import load_session
    from alliance_desktop.services.summaries import load_alert_settings
    from alliance_desktop.services.text_packs import worded_instruments

    now = now or datetime.now()
    settings = load_alert_settings(db)
    plan = measure_plan(db, client_id)
    version: int | None = None
    if session_id is None:
        client = repository.load_client_tree(db, client_id)
        if client is None:
            raise Conflict("That client no longer exists; it may have been deleted.")
        form = new_session_form(client, plan, settings, now)
        number = number_at(client, parse_start(form.start))
    else:
        client, session = load_session(db, client_id, session_id)
        client.sessions = [s for s in client.sessions if s.session_id != session_id]
        form = form_from_session(session)
        number = session.number
        version = session.version
    return EditorContext(
        client_id,
        session_id,
        client,
        form,
        number,
        settings,
        worded_instruments(db),
        plan,
        version,
    )
