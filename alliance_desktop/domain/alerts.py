"""Alliance early-warning rules: which alerts are active for a client now, and why, in words.

Every rule reads the instruments' definitions and the practice's ``AlertSettings``; each
alert carries one sentence saying why it fired, with the numbers. Rules that one rating
raises together (an SRS that fell *and* is under the cut-off) read as one alert with every
reason. A risk answer (CORE-10 item 6 above 0) stays an urgent alert until a risk review
covers it (``domain.risk``); any other alert can be acknowledged, which hides it until the
rule fires again on a newer rating.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

from alliance_desktop.domain._format import fmt_number, join_words, plural
from alliance_desktop.domain.change import ChangeClass, change_criterion, classify_change
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    INSTRUMENTS,
    ORS,
    SRS,
    WAI_SR,
    AlertRule,
    CutoffComparison,
    Instrument,
    anchor_words,
    instrument_for,
    is_retired,
    item_name_for,
)
from alliance_desktop.domain.risk import (
    Endorsement,
    RiskReview,
    find_endorsements,
    latest_review,
    unreviewed,
    with_removed,
)
from alliance_desktop.domain.scoring import (
    Score,
    age_on,
    in_clinical_range,
    is_below_cutoff,
    score,
    validate_item_value,
)
from alliance_desktop.domain.wording import severity_rank

__all__ = [
    "ALERT_RULES_VERSION",
    "COMPARISON_SETTINGS",
    "KIND_NOTES",
    "REVIEW_ONLY_KINDS",
    "SETTING_NOTES",
    "SETTING_RANGES",
    "Acknowledgement",
    "Alert",
    "AlertKind",
    "AlertSettings",
    "KindNote",
    "MeasurementFact",
    "SessionFact",
    "SettingNote",
    "Severity",
    "evaluate_alerts",
]

#: Bump whenever a rule or its wording changes: callers cache alerts keyed on it.
ALERT_RULES_VERSION = "4"

Severity = Literal["urgent", "warning", "info"]
_EPS = 1e-9  # absorbs float noise when a difference sits exactly on a threshold


class AlertKind(StrEnum):
    """What an alert is about, in the order a therapist should read them."""

    RISK = "risk"
    RISK_ONGOING = "risk_ongoing"
    UNDER_CUTOFF = "under_cutoff"
    DROPPED = "dropped"
    FALLING_SUBSCALE = "falling_subscale"
    LOW_ITEM = "low_item"
    OVERDUE = "overdue"
    NOT_ON_TRACK = "not_on_track"
    PERFECT_RUN = "perfect_run"


#: Alerts only a risk review clears: acknowledging them is not enough, and they cannot be
#: switched off.
REVIEW_ONLY_KINDS: frozenset[AlertKind] = frozenset({AlertKind.RISK, AlertKind.RISK_ONGOING})


@dataclass(frozen=True)
class KindNote:
    """How one kind of alert is named (headings, switches) and why it exists."""

    title: str
    reason: str


#: Every kind's heading and its one-line reason, for the dashboard and Preferences.
KIND_NOTES: Mapping[AlertKind, KindNote] = MappingProxyType(
    {
        AlertKind.RISK: KindNote(
            "Risk item answered — act today",
            "A risk answer stays urgent until you record a risk review; it cannot be switched off.",
        ),
        AlertKind.RISK_ONGOING: KindNote(
            "Risk reviewed, still ongoing",
            "The latest risk review recorded risk as ongoing; it stays until a review says "
            "otherwise.",
        ),
        AlertKind.UNDER_CUTOFF: KindNote(
            "Alliance under the cut-off",
            "An SRS under its cut-off: the client was not satisfied with the session.",
        ),
        AlertKind.DROPPED: KindNote(
            "Alliance dropped since the last rating",
            "A fall from the last SRS, even above the cut-off, can be the first sign of a "
            "rupture (OpenFIT's red alert).",
        ),
        AlertKind.FALLING_SUBSCALE: KindNote(
            "Goal, task or bond falling",
            "Disagreement on goals and tasks, more than the bond, is the most common problem "
            "when clients deteriorate.",
        ),
        AlertKind.LOW_ITEM: KindNote(
            "A single alliance rating low",
            "One low dimension or item can hide inside a good total.",
        ),
        AlertKind.OVERDUE: KindNote(
            "Measure overdue",
            "Without regular ratings therapists miss most clients who are getting worse.",
        ),
        AlertKind.NOT_ON_TRACK: KindNote(
            "Outcome not on track",
            "No reliable improvement after several ORS ratings, or a reliable deterioration.",
        ),
        AlertKind.PERFECT_RUN: KindNote(
            "Perfect alliance scores in a row",
            "A client who always gives the top score may not feel free to criticise.",
        ),
    }
)

#: What to do when a WAI-SR subscale falls. Disagreement on tasks and goals, more than the
#: bond, is the most common problem in deterioration (INSTRUMENTS.md, "Alliance alerts").
_SUBSCALE_ADVICE: Mapping[str | None, str] = {
    "goal": "check you still agree on what the therapy is for",
    "task": "check you still agree on how you are working together",
    "bond": "ask how the client is feeling about the relationship",
}

_KIND_ORDER: Mapping[AlertKind, int] = {kind: i for i, kind in enumerate(AlertKind)}


@dataclass(frozen=True)
class Alert:
    """One active alert for a client.

    Attributes:
        kind: The most pressing rule that fired.
        instrument_id: The instrument the rule looked at.
        session_number: The session the alert refers to, if any.
        severity: "urgent" (act today), "warning" (raise it next session) or "info".
        reason: Plain-English sentences with the numbers, saying why it fired (every
            rule the same rating raised).
        also: Further rules the same rating raised, merged into this alert.
        rating_at: When the rating (or, for an overdue measure, the session) the alert is
            about was taken; an acknowledgement holds until a newer one fires.
    """

    kind: AlertKind
    instrument_id: str
    session_number: int | None
    severity: Severity
    reason: str
    also: tuple[AlertKind, ...] = ()
    rating_at: datetime | None = None

    @property
    def kinds(self) -> tuple[AlertKind, ...]:
        """Every rule this alert stands for, the most pressing first."""
        return (self.kind, *self.also)

    @property
    def needs_review(self) -> bool:
        """True when only a risk review clears it (it cannot be acknowledged)."""
        return self.kind in REVIEW_ONLY_KINDS


@dataclass(frozen=True)
class Acknowledgement:
    """The therapist has seen an alert and dealt with it ("discussed in session 9").

    It hides alerts of these kinds on this instrument about ratings up to ``rating_at``;
    the same rule firing on a newer rating shows again.

    Attributes:
        kinds: The rules acknowledged (all of a merged alert's).
        instrument_id: The instrument the alert was about.
        rating_at: When the rating the alert was about was taken.
        acknowledged_at: When the therapist acknowledged it.
        note: Optional words ("discussed in session 9").
        reason: The alert's sentence at the time, kept for the record's history.
    """

    kinds: tuple[AlertKind, ...]
    instrument_id: str
    rating_at: datetime
    acknowledged_at: datetime
    note: str = ""
    reason: str = ""


@dataclass(frozen=True)
class SessionFact:
    """What the rules need of one session.

    Attributes:
        number: Session number, 1-based.
        start: When it started.
        attended: Whether the client attended.
    """

    number: int
    start: datetime
    attended: bool


@dataclass(frozen=True)
class MeasurementFact:
    """One questionnaire form, as raw item values.

    Attributes:
        instrument_id: Instrument id, e.g. "SRS".
        session_number: Session it belongs to.
        taken_at: When it was completed.
        values: Item values in item order; None for missing.
        instrument_version: The definition version it was taken with (None: the current).
    """

    instrument_id: str
    session_number: int
    taken_at: datetime
    values: tuple[float | None, ...]
    instrument_version: str | None = None


def _srs_published_cutoff() -> float:
    norms = SRS.norms
    if norms is None or norms.cutoff is None:  # pragma: no cover - guards the data table
        raise DomainError("The SRS definition has lost its published cut-off of 36.")
    return float(norms.cutoff)


# Defaults, with where each comes from (SETTING_NOTES says it to the therapist).
_DEFAULT_SRS_CUTOFF = _srs_published_cutoff()  # Duncan et al. 2003
_DEFAULT_SRS_LOW_ITEM = 9.0  # any SRS dimension below 9 (INSTRUMENTS.md, PCOMS practice)
_DEFAULT_SRS_DROP = 1.0  # OpenFIT's red alert: 1 point or more below the last session
_DEFAULT_PERFECT_RUN = 3  # a run of perfect 40s: a client who cannot criticise
_DEFAULT_WAI_SUBSCALE_DROP = 2.0  # none published; half a point per item of a 4-item subscale
_DEFAULT_WAI_LOW_ITEM = 2.0  # none published; "Sometimes" or lower
_DEFAULT_SRS_EVERY = 1  # the SRS is given at every session (PCOMS)
_DEFAULT_WAI_EVERY = 6  # WAI-SR every 4-6 sessions; overdue after 6 without one
_DEFAULT_ORS_AFTER = 4  # PCOMS "checkpoint" conversations between sessions 3 and 6

_MAX_SESSIONS_SETTING = 100


@dataclass(frozen=True)
class SettingNote:
    """How one alert setting is named in Preferences, its default and why."""

    label: str
    reason: str


#: Every alert setting's label and one-line reason (with its source), for Preferences.
SETTING_NOTES: Mapping[str, SettingNote] = MappingProxyType(
    {
        "srs_cutoff": SettingNote(
            "SRS cut-off",
            "Default 36, the published SRS cut-off (Duncan et al. 2003): under it the client "
            "was less than satisfied with the session.",
        ),
        "srs_cutoff_comparison": SettingNote(
            "SRS alert when the total is",
            "Default under 36, as OpenFIT flags it; some sources also flag 36 itself.",
        ),
        "srs_drop": SettingNote(
            "SRS drop since the last rating (points)",
            "Default 1: OpenFIT's red alert for an SRS 1 point or more below the last session.",
        ),
        "srs_low_item": SettingNote(
            "SRS dimension under",
            "Default 9: one low mark is worth asking about even when the total is fine "
            "(PCOMS practice).",
        ),
        "perfect_run_length": SettingNote(
            "Perfect SRS totals in a row",
            "Default 3: a client who always gives 40 may not feel free to criticise.",
        ),
        "wai_subscale_drop": SettingNote(
            "WAI-SR goal, task or bond fall (points)",
            "Default 2 on a 4-20 subscale: no threshold is published, so this is the app's own.",
        ),
        "wai_low_item": SettingNote(
            "WAI-SR item at or under",
            "Default 2 (Sometimes): no threshold is published, so this is the app's own.",
        ),
        "srs_every_sessions": SettingNote(
            "SRS due every … attended sessions",
            "Default 1: the SRS is given at the end of every session (PCOMS).",
        ),
        "wai_every_sessions": SettingNote(
            "WAI-SR due every … attended sessions",
            "Default 6: the WAI-SR is usually repeated every 4 to 6 sessions.",
        ),
        "ors_not_on_track_after": SettingNote(
            "ORS not on track after … ratings",
            "Default 4: PCOMS suggests a 'checkpoint' conversation when there is no change "
            "by the 3rd to 6th session (Duncan 2012).",
        ),
        "ors_cutoff_comparison": SettingNote(
            "ORS clinical when the total is",
            "Default under the cut-off (25 for adults), as OpenFIT counts it; some sources "
            "count a score of exactly 25 as clinical.",
        ),
    }
)


#: Numeric alert settings as Preferences edits them: (decimals, minimum, maximum, step);
#: counts have 0 decimals. The ranges are the instruments' own.
SETTING_RANGES: Mapping[str, tuple[int, float, float, float]] = MappingProxyType(
    {
        "srs_cutoff": (1, 0.1, SRS.total_max, 0.1),
        "srs_drop": (1, 0.1, SRS.total_max, 0.1),
        "srs_low_item": (1, 0.1, SRS.items[0].maximum, 0.1),
        "perfect_run_length": (0, 2, 100, 1),
        "wai_subscale_drop": (1, 0.5, 16, 0.5),
        "wai_low_item": (0, WAI_SR.items[0].minimum, WAI_SR.items[0].maximum, 1),
        "srs_every_sessions": (0, 1, 100, 1),
        "wai_every_sessions": (0, 1, 100, 1),
        "ors_not_on_track_after": (0, 2, 100, 1),
    }
)
#: The cut-off comparison settings, and the instrument whose cut-off each one reads.
COMPARISON_SETTINGS: Mapping[str, str] = MappingProxyType(
    {"srs_cutoff_comparison": SRS.id, "ors_cutoff_comparison": ORS.id}
)


@dataclass(frozen=True)
class AlertSettings:
    """The practice's alert thresholds (validated on construction).

    Attributes:
        srs_cutoff: SRS total cut-off.
        srs_cutoff_comparison: "lt" (under 36) or "le" (36 or under) flags the SRS.
        srs_low_item: Any SRS dimension below this is flagged.
        srs_drop: A fall of at least this many points from the previous SRS is flagged.
        perfect_run_length: This many perfect SRS totals in a row are flagged.
        wai_subscale_drop: A goal/task/bond subscale falling at least this much is flagged.
        wai_low_item: Any WAI-SR item at or below this is flagged.
        srs_every_sessions: Attended sessions without an SRS before it is overdue.
        wai_every_sessions: Attended sessions without a WAI-SR before it is overdue.
        ors_not_on_track_after: ORS ratings without reliable improvement before the client
            is "not on track" (a reliable deterioration is flagged at any time).
        ors_cutoff_comparison: "lt" (under the cut-off) or "le" (at or under it) is clinical
            on the ORS; the cut-off itself follows the client's age.
        disabled: Alert kinds the therapist has switched off (never a risk alert).
    """

    srs_cutoff: float = _DEFAULT_SRS_CUTOFF
    srs_cutoff_comparison: CutoffComparison = CutoffComparison.LT
    srs_low_item: float = _DEFAULT_SRS_LOW_ITEM
    srs_drop: float = _DEFAULT_SRS_DROP
    perfect_run_length: int = _DEFAULT_PERFECT_RUN
    wai_subscale_drop: float = _DEFAULT_WAI_SUBSCALE_DROP
    wai_low_item: float = _DEFAULT_WAI_LOW_ITEM
    srs_every_sessions: int = _DEFAULT_SRS_EVERY
    wai_every_sessions: int = _DEFAULT_WAI_EVERY
    ors_not_on_track_after: int = _DEFAULT_ORS_AFTER
    ors_cutoff_comparison: CutoffComparison = CutoffComparison.LT
    disabled: tuple[AlertKind, ...] = field(default=())

    def __post_init__(self) -> None:
        """Validate every threshold against the instruments' own ranges."""
        srs_item = SRS.items[0]
        wai_item = WAI_SR.items[0]
        wai_subscale_span = (wai_item.maximum - wai_item.minimum) * len(WAI_SR.subscales[0].items)
        _check_number("srs_cutoff", self.srs_cutoff, SRS.total_min, SRS.total_max, low_open=True)
        _check_number(
            "srs_low_item", self.srs_low_item, srs_item.minimum, srs_item.maximum, low_open=True
        )
        _check_number("srs_drop", self.srs_drop, 0, SRS.total_max - SRS.total_min, low_open=True)
        _check_number(
            "wai_subscale_drop", self.wai_subscale_drop, 0, wai_subscale_span, low_open=True
        )
        _check_number("wai_low_item", self.wai_low_item, wai_item.minimum, wai_item.maximum)
        _check_count("perfect_run_length", self.perfect_run_length, 2)
        _check_count("srs_every_sessions", self.srs_every_sessions, 1)
        _check_count("wai_every_sessions", self.wai_every_sessions, 1)
        _check_count("ors_not_on_track_after", self.ors_not_on_track_after, 2)
        comparisons = [c.value for c in CutoffComparison]
        for name in ("srs_cutoff_comparison", "ors_cutoff_comparison"):
            value = getattr(self, name)
            if value not in comparisons:
                label = "SRS" if name.startswith("srs") else "ORS"
                raise DomainError(
                    f"The {label} cut-off comparison {value!r} is not allowed; use "
                    f"{join_words([repr(c) for c in comparisons])}."
                )
            object.__setattr__(self, name, CutoffComparison(value))
        for name in ("srs_cutoff", "srs_low_item", "srs_drop", "wai_subscale_drop", "wai_low_item"):
            object.__setattr__(self, name, float(getattr(self, name)))
        kinds = [k.value for k in AlertKind if k not in REVIEW_ONLY_KINDS]
        if not isinstance(self.disabled, tuple | list | set | frozenset) or not all(
            isinstance(k, str) and k in kinds for k in self.disabled
        ):
            if isinstance(self.disabled, tuple | list | set | frozenset) and any(
                k in REVIEW_ONLY_KINDS for k in self.disabled
            ):
                raise DomainError(
                    "Risk alerts cannot be switched off: a risk answer stays on screen until "
                    "you record a risk review."
                )
            raise DomainError(
                f"The disabled alerts {self.disabled!r} are not all known; each must be one of "
                f"{join_words(kinds)}."
            )
        object.__setattr__(
            self, "disabled", tuple(dict.fromkeys(AlertKind(k) for k in self.disabled))
        )

    def due_every(self, instrument_id: str) -> int | None:
        """Attended sessions without this instrument before it is overdue, or None when
        the practice has no such rule for it."""
        if instrument_id == SRS.id:
            return self.srs_every_sessions
        if instrument_id == WAI_SR.id:
            return self.wai_every_sessions
        return None

    def practice_cutoff(self, instrument_id: str) -> float | None:
        """The practice's own cut-off for an instrument (it replaces the published one for
        alerts and charts), or None when the published one is used."""
        return self.srs_cutoff if instrument_id == SRS.id else None

    def comparison_for(self, instrument_id: str) -> CutoffComparison | None:
        """The practice's comparison for an instrument's cut-off, or None for its own."""
        if instrument_id == SRS.id:
            return self.srs_cutoff_comparison
        if instrument_id == ORS.id:
            return self.ors_cutoff_comparison
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-compatible data.

        Returns:
            A dict ``from_dict`` accepts.
        """
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["srs_cutoff_comparison"] = self.srs_cutoff_comparison.value
        data["ors_cutoff_comparison"] = self.ors_cutoff_comparison.value
        data["disabled"] = [k.value for k in self.disabled]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertSettings:
        """Build settings from stored data; missing keys take their defaults.

        A risk kind in ``disabled`` (possible in data written before risk alerts could not
        be switched off) is dropped: a risk answer is always shown.

        Args:
            data: A mapping as produced by ``to_dict``.

        Returns:
            The validated settings.

        Raises:
            DomainError: On unknown keys or values of the wrong kind or out of range.
        """
        if not isinstance(data, Mapping):
            raise DomainError(
                f"Alert settings must be a mapping of names to values; got {type(data).__name__}."
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise DomainError(
                f"Unknown alert {'setting' if len(unknown) == 1 else 'settings'} "
                f"{join_words(unknown)}; the known settings are {join_words(sorted(known))}."
            )
        values = dict(data)
        if "disabled" in values:
            disabled = values["disabled"]
            if isinstance(disabled, str) or not isinstance(disabled, Sequence):
                raise DomainError(
                    f"The disabled alerts must be a list of alert kinds; got {disabled!r}."
                )
            values["disabled"] = tuple(k for k in disabled if k not in REVIEW_ONLY_KINDS)
        return cls(**values)


def _check_number(
    name: str, value: object, low: float, high: float, *, low_open: bool = False
) -> None:
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (low < value if low_open else low <= value)
        and value <= high
    )
    if not ok:
        lower = f"above {fmt_number(low)}" if low_open else f"at least {fmt_number(low)}"
        raise DomainError(
            f"The alert setting {name} is {value!r}; it must be a number {lower} and at most "
            f"{fmt_number(high)}."
        )


def _check_count(name: str, value: object, low: int) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= _MAX_SESSIONS_SETTING
    ):
        raise DomainError(
            f"The alert setting {name} is {value!r}; it must be a whole number from {low} to "
            f"{_MAX_SESSIONS_SETTING}."
        )


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------

_Scored = tuple[MeasurementFact, Score]


def _order_key(m: MeasurementFact) -> tuple[int, float]:
    """Session order first (a rating back-filled later still belongs to its session)."""
    try:
        stamp = m.taken_at.timestamp()
    except (AttributeError, OverflowError, ValueError, OSError):
        stamp = 0.0
    number = m.session_number if isinstance(m.session_number, int) else 0
    return (number, stamp)


def _try_score(instrument: Instrument, m: MeasurementFact) -> Score | None:
    # Scored with the version it was taken with (a therapist's instrument edited since);
    # one whose version the registry lacks is not scored with another.
    found = instrument_for(m.instrument_id, m.instrument_version)
    if found is None:
        return None
    instrument = found
    try:
        result = score(instrument, m.values)
    except DomainError:
        return None
    return result if result.total is not None else None


def _latest_scored(
    instrument: Instrument, ordered: Sequence[MeasurementFact], n: int
) -> list[_Scored]:
    """The last ``n`` scoreable measurements, oldest first, skipping unscoreable ones."""
    found: list[_Scored] = []
    for m in reversed(ordered):
        result = _try_score(instrument, m)
        if result is not None:
            found.append((m, result))
            if len(found) == n:
                break
    found.reverse()
    return found


def _session_phrase(number: int | None) -> str:
    return f"session {number}" if number is not None else "an earlier session"


def _age(
    date_of_birth: date | None, m: MeasurementFact, starts: Mapping[int, datetime]
) -> int | None:
    """Age at the rating's session (its start, as the chart and the editor take it)."""
    if date_of_birth is None:
        return None
    try:
        day = starts[m.session_number].date() if m.session_number in starts else m.taken_at.date()
        return age_on(date_of_birth, day)
    except (AttributeError, TypeError):
        return None


def evaluate_alerts(
    sessions: Sequence[SessionFact],
    measurements: Sequence[MeasurementFact],
    settings: AlertSettings = AlertSettings(),  # frozen and validated: safe to share
    *,
    date_of_birth: date | None = None,
    reviews: Sequence[RiskReview] = (),
    acknowledgements: Sequence[Acknowledgement] = (),
    removed_answers: Sequence[Endorsement] = (),
) -> list[Alert]:
    """Return the alerts active for one client now, most urgent first.

    Score rules look at the latest scoreable rating of each instrument (and the one before it
    for drops); risk looks at every form with a risk item, complete or not, against the
    reviews; "overdue" counts attended sessions since the last scoreable rating.
    Unscoreable ratings and unknown instruments are skipped, never raised. Alerts the
    acknowledgements cover are left out. Work is linear in the number of facts.

    Args:
        sessions: The client's sessions, in any order.
        measurements: The client's questionnaire forms, in any order.
        settings: Thresholds.
        date_of_birth: The client's, for cut-offs that follow age (ORS); None uses the
            adult cut-off.
        reviews: The client's risk reviews.
        acknowledgements: The client's acknowledged alerts.
        removed_answers: Unreviewed risk answers an edit took out of the record; they
            alert until reviewed, like any other.

    Returns:
        The active alerts, sorted by severity, then kind.
    """
    by_instrument: dict[str, list[MeasurementFact]] = {}
    for m in measurements:
        if m.instrument_id in INSTRUMENTS:
            by_instrument.setdefault(m.instrument_id, []).append(m)
    for group in by_instrument.values():
        group.sort(key=_order_key)

    off = frozenset(settings.disabled)
    alerts: list[Alert] = []
    attended = sorted((s.number, s.start) for s in sessions if s.attended)

    starts = {s.number: s.start for s in sessions if isinstance(s.number, int)}
    # Each instrument's definition names the rules its ratings are watched by.
    for instrument in INSTRUMENTS.values():
        rules = instrument.alert_rules
        if not rules:
            continue
        forms = by_instrument.get(instrument.id, ())
        needed = max(2, settings.perfect_run_length) if AlertRule.SESSION_RATING in rules else 2
        scored = _latest_scored(instrument, forms, needed)
        if AlertRule.SESSION_RATING in rules:
            alerts += _srs_rules(scored, settings, off, instrument)
        if AlertRule.ALLIANCE_SUBSCALES in rules:
            alerts += _wai_rules(scored, settings, off, instrument)
        if AlertRule.NOT_ON_TRACK in rules and AlertKind.NOT_ON_TRACK not in off:
            alerts += _ors_rules(forms, settings, date_of_birth, starts, instrument)
        if (
            AlertRule.OVERDUE in rules
            and AlertKind.OVERDUE not in off
            and not is_retired(instrument.id)
        ):
            every = settings.due_every(instrument.id) or instrument.offer_every
            last = scored[-1][0].session_number if scored else None
            alerts += _overdue_rule(instrument, every, last, attended)
    alerts += _risk_rules(by_instrument, reviews, removed_answers)

    if acknowledgements:
        alerts = [a for a in alerts if not _acknowledged(a, acknowledgements)]
    alerts.sort(key=lambda a: (severity_rank(a.severity), _KIND_ORDER[a.kind], a.instrument_id))
    return alerts


def _acknowledged(alert: Alert, acknowledgements: Sequence[Acknowledgement]) -> bool:
    """True when acknowledgements of its instrument, at or after its rating, cover every kind."""
    if alert.needs_review or alert.rating_at is None:
        return False
    covered: set[AlertKind] = set()
    for ack in acknowledgements:
        if ack.instrument_id == alert.instrument_id and ack.rating_at >= alert.rating_at:
            covered.update(ack.kinds)
    return set(alert.kinds) <= covered


def _srs_rules(
    scored: Sequence[_Scored],
    settings: AlertSettings,
    off: frozenset[AlertKind],
    instrument: Instrument = SRS,
) -> list[Alert]:
    """Under the cut-off, a drop and a low dimension of the latest SRS (or of another
    alliance measure with this rule, the SRS's thresholds carried over in proportion to its
    ranges, and its own cut-off): one merged alert; and a run of perfect totals."""
    if not scored:
        return []
    out: list[Alert] = []
    latest_m, latest = scored[-1]
    total = _total(latest)
    session = latest_m.session_number
    previous = scored[-2] if len(scored) >= 2 else None
    fall = round(_total(previous[1]) - total, 6) if previous else 0.0
    norms = instrument.norms
    cut = settings.practice_cutoff(instrument.id)
    if cut is None and norms is not None:
        cut = norms.cutoff
    comparison = settings.comparison_for(instrument.id) or (
        norms.cutoff_comparison if norms is not None else CutoffComparison.LT
    )
    le = comparison is CutoffComparison.LE
    srs_total = (SRS.total_min, SRS.total_max)
    srs_item = (SRS.items[0].minimum, SRS.items[0].maximum)
    drop = _scaled(
        settings.srs_drop, srs_total, (instrument.total_min, instrument.total_max), offset=False
    )

    under = (
        AlertKind.UNDER_CUTOFF not in off
        and cut is not None
        and is_below_cutoff(total, cut, comparison)
    )
    dropped = AlertKind.DROPPED not in off and previous is not None and fall >= drop - _EPS
    low_limits = [
        _scaled(settings.srs_low_item, srs_item, (item.minimum, item.maximum), offset=True)
        for item in instrument.items
    ]
    low = (
        [
            (item.label, float(v))
            for item, v, limit in zip(instrument.items, latest_m.values, low_limits, strict=False)
            # (an optional or unscored question is no dimension of the rating; a reversed
            # item is compared as scored)
            if v is not None
            and item.scored
            and not item.optional
            and item.keyed(float(v)) < limit - _EPS
        ]
        if AlertKind.LOW_ITEM not in off
        else []
    )
    kinds = [
        kind
        for kind, fired in (
            (AlertKind.UNDER_CUTOFF, under),
            (AlertKind.DROPPED, dropped),
            (AlertKind.LOW_ITEM, bool(low)),
        )
        if fired
    ]
    if kinds:
        if dropped and previous is not None:
            prev_m, prev = previous
            head = (
                f"{instrument.id} fell {_points(fall)} from {fmt_number(_total(prev))} at "
                f"{_session_phrase(prev_m.session_number)} to {fmt_number(total)} at "
                f"{_session_phrase(session)} (the alert is set at a drop of "
                f"{_points(round(drop, 2))})"
            )
        else:
            head = f"{instrument.id} was {fmt_number(total)} at {_session_phrase(session)}"
        clauses = []
        if under and cut is not None:
            clauses.append(f"{'at or under' if le else 'under'} the cut-off of {fmt_number(cut)}")
        if low:
            parts = join_words([f"{label} {fmt_number(v)}" for label, v in low])
            clauses.append(f"with {parts} under {fmt_number(round(max(low_limits), 2))}")
        advice = {
            AlertKind.UNDER_CUTOFF: "ask about the session",
            AlertKind.DROPPED: "ask what was different this time",
            AlertKind.LOW_ITEM: (
                f"ask what would have made {'it' if len(low) == 1 else 'them'} fit better"
            ),
        }[kinds[0]]
        reason = head + "".join(", " + c for c in clauses) + f" — {advice}."
        out.append(
            Alert(
                kinds[0],
                instrument.id,
                session,
                "warning",
                reason,
                tuple(kinds[1:]),
                latest_m.taken_at,
            )
        )
    run = settings.perfect_run_length
    top = instrument.total_max
    if (
        AlertKind.PERFECT_RUN not in off
        and len(scored) >= run
        and all(_total(s) >= top - _EPS for _, s in scored[-run:])
    ):
        out.append(
            Alert(
                AlertKind.PERFECT_RUN,
                instrument.id,
                session,
                "info",
                f"The last {run} {instrument.id} ratings were all {fmt_number(top)} out of "
                f"{fmt_number(top)} — a client who cannot criticise may be hiding a "
                "rupture; invite honest feedback.",
                rating_at=latest_m.taken_at,
            )
        )
    return out


def _points(value: float) -> str:
    """Say "1 point" or "2.5 points"."""
    return f"{fmt_number(value)} {'point' if abs(value - 1) < _EPS else 'points'}"


def _total(result: Score) -> float:
    return result.total if result.total is not None else math.nan


def _scaled(
    value: float, reference: tuple[float, float], target: tuple[float, float], *, offset: bool
) -> float:
    """A WAI-SR threshold carried to another range in proportion (a drop: ``offset`` False;
    a point on the scale: True)."""
    ratio = (target[1] - target[0]) / (reference[1] - reference[0])
    if offset:
        return target[0] + (value - reference[0]) * ratio
    return value * ratio


def _wai_rules(
    scored: Sequence[_Scored],
    settings: AlertSettings,
    off: frozenset[AlertKind],
    instrument: Instrument = WAI_SR,
) -> list[Alert]:
    """Falling goal, task or bond and low items of the latest WAI-SR (or of a therapist's
    own alliance measure, thresholds in proportion to its ranges): one merged alert."""
    if not scored:
        return []
    wai_subscale = WAI_SR.subscale_range(WAI_SR.subscales[0])
    wai_item = (WAI_SR.items[0].minimum, WAI_SR.items[0].maximum)
    latest_m, latest = scored[-1]
    session = latest_m.session_number
    parts: list[str] = []
    kinds: list[AlertKind] = []
    if AlertKind.FALLING_SUBSCALE not in off and len(scored) >= 2:
        prev_m, prev = scored[-2]
        for scale in instrument.subscales:
            if scale.tag is None or scale.key not in prev.subscales:
                continue
            before, now = prev.subscales[scale.key], latest.subscales[scale.key]
            fall = round(before - now, 6)
            drop = _scaled(
                settings.wai_subscale_drop,
                wai_subscale,
                instrument.subscale_range(scale),
                offset=False,
            )
            if fall >= drop - _EPS:
                parts.append(
                    f"{scale.name} fell {_points(fall)} from {fmt_number(before)} at "
                    f"{_session_phrase(prev_m.session_number)} to {fmt_number(now)} — "
                    f"{_SUBSCALE_ADVICE.get(scale.tag, 'talk it through with the client')}"
                )
        if parts:
            kinds.append(AlertKind.FALLING_SUBSCALE)
    if AlertKind.LOW_ITEM not in off:
        low: list[str] = []
        limits: set[float] = set()
        for item, v in zip(instrument.items, latest_m.values, strict=False):
            limit = _scaled(
                settings.wai_low_item, wai_item, (item.minimum, item.maximum), offset=True
            )
            if item.optional or not item.scored or v is None or item.keyed(float(v)) > limit + _EPS:
                continue
            value = validate_item_value(instrument, item, v)  # already scored, so valid
            anchors = item.anchors or instrument.anchors
            anchor = anchors[round((value - item.minimum) / item.step)] if anchors else None
            rated = fmt_number(value) + (f" ({anchor})" if anchor else "")
            low.append(
                f"{instrument.item_name(item.number)[len(instrument.id) + 1 :]} rated {rated}"
            )
            limits.add(round(limit, 2))
        if low:
            kinds.append(AlertKind.LOW_ITEM)
            parts.append(
                f"{join_words(low)}, at or under {fmt_number(max(limits))} — explore that part "
                "of the alliance"
            )
    if not kinds:
        return []
    reason = f"{instrument.id} at {_session_phrase(session)}: " + "; ".join(parts) + "."
    return [
        Alert(
            kinds[0], instrument.id, session, "warning", reason, tuple(kinds[1:]), latest_m.taken_at
        )
    ]


def _ors_rules(
    ordered: Sequence[MeasurementFact],
    settings: AlertSettings,
    date_of_birth: date | None,
    starts: Mapping[int, datetime],
    instrument: Instrument = ORS,
) -> list[Alert]:
    """Not on track: a reliable deterioration from the first ORS at any time, or no reliable
    improvement once ``ors_not_on_track_after`` ratings exist for a client who started in the
    clinical range (under the cut-off for their age at that rating).

    Scores only the first few ratings (enough to know the threshold count is reached) and
    the latest, so the cost does not grow with the length of therapy.
    """
    need = settings.ors_not_on_track_after
    head: list[_Scored] = []
    for m in ordered:
        result = _try_score(instrument, m)
        if result is not None:
            head.append((m, result))
            if len(head) == need:
                break
    tail = _latest_scored(instrument, ordered, 1)
    if not head or not tail or tail[0][0] is head[0][0]:
        return []
    (first_m, first), (last_m, last) = head[0], tail[0]
    comparison = settings.comparison_for(instrument.id)
    first_age = _age(date_of_birth, first_m, starts)
    last_age = _age(date_of_birth, last_m, starts)
    assessment = classify_change(
        instrument,
        _total(first),
        _total(last),
        comparison=comparison,
        first_age=first_age,
        latest_age=last_age,
    )
    criterion = change_criterion(instrument)
    rc_phrase = f"{_points(criterion.points)} or more" if criterion else "reliable"
    movement = (
        f"{instrument.id} has gone from {fmt_number(_total(first))} at "
        f"{_session_phrase(first_m.session_number)} to {fmt_number(_total(last))} at "
        f"{_session_phrase(last_m.session_number)} ({assessment.change:+.1f} points)"
    )
    if assessment.change_class is ChangeClass.DETERIORATED:
        reason = (
            f"{movement}, a reliable deterioration (reliable change is {rc_phrase}) — review the "
            "work and the alliance with the client."
        )
    elif (
        len(head) >= need
        and assessment.change_class not in (ChangeClass.IMPROVED, ChangeClass.RECOVERED)
        # A client who started in the non-clinical range has little room for a reliable
        # gain; flagging them every session would only train the therapist to ignore alerts.
        # Nor is one flagged when no cut-off applies to their age (a child under 6).
        and in_clinical_range(instrument, _total(first), comparison, age=first_age) is True
    ):
        reason = (
            f"{movement}: after {need} or more ratings that is short of a reliable improvement "
            f"({rc_phrase}) — discuss whether therapy is on track."
        )
    else:
        return []
    return [
        Alert(
            AlertKind.NOT_ON_TRACK,
            instrument.id,
            last_m.session_number,
            "warning",
            reason,
            rating_at=last_m.taken_at,
        )
    ]


def _risk_rules(
    by_instrument: Mapping[str, Sequence[MeasurementFact]],
    reviews: Sequence[RiskReview],
    removed: Sequence[Endorsement] = (),
) -> list[Alert]:
    """Every risk answer not yet covered by a review (urgent); else an ongoing risk."""
    forms = [m for group in by_instrument.values() for m in group]
    pending = unreviewed(with_removed(find_endorsements(forms), removed), reviews)
    if pending:
        latest = pending[-1]
        anchor = anchor_words(latest.instrument_id, latest.item, latest.value)
        when = _on_day(latest.taken_at)
        reason = (
            f"{item_name_for(latest.instrument_id, latest.item)} was rated "
            f"{fmt_number(latest.value)}{anchor} at {_session_phrase(latest.session_number)}"
            f"{when}"
        )
        if latest.removed:
            reason += ", since removed from the record (its session was changed or deleted)"
        if len(pending) > 1:
            reason += f", and {plural(len(pending) - 1, 'earlier risk answer')} not yet reviewed"
        cleared = _later_form_at_minimum(by_instrument.get(latest.instrument_id, ()), latest)
        instrument = INSTRUMENTS.get(latest.instrument_id)
        if cleared is not None and not latest.removed and instrument is not None:
            reason += (
                f"; a later {instrument.id} (session {cleared}) had it at "
                f"{fmt_number(instrument.item(latest.item).minimum)}, but only a risk review "
                "clears this alert"
            )
        reason += " — check risk today and record a risk review."
        return [
            Alert(
                AlertKind.RISK,
                latest.instrument_id,
                latest.session_number,
                "urgent",
                reason,
                rating_at=latest.taken_at,
            )
        ]
    review = latest_review(reviews)
    if review is None or not review.risk_ongoing:
        return []
    action = " ".join(review.action.split())
    if len(action) > 120:
        action = action[:119].rstrip() + "…"
    what = f" (“{action}”)" if action else ""
    return [
        Alert(
            AlertKind.RISK_ONGOING,
            review.covers[-1].instrument_id if review.covers else "",
            None,
            "warning",
            f"At the risk review on {review.reviewed_on.isoformat()} risk was recorded as "
            f"ongoing{what} — keep reviewing it, and record a review when that changes.",
        )
    ]


def _on_day(moment: datetime) -> str:
    try:
        return f" ({moment.date().isoformat()})"
    except (AttributeError, ValueError):
        return ""


def _later_form_at_minimum(forms: Sequence[MeasurementFact], endorsement: Any) -> int | None:
    """The session of a later form of the same instrument with the risk item at its lowest."""
    instrument = INSTRUMENTS.get(endorsement.instrument_id)
    if instrument is None or not 1 <= endorsement.item <= len(instrument.items):
        return None
    item = instrument.item(endorsement.item)
    for m in reversed(forms):
        if not isinstance(m.session_number, int) or m.session_number <= endorsement.session_number:
            continue
        values = m.values
        if isinstance(values, tuple | list) and item.number <= len(values):
            value = values[item.number - 1]
            try:
                if (
                    value is not None
                    and item.keyed(validate_item_value(instrument, item, value))
                    <= item.minimum + _EPS
                ):
                    return m.session_number
            except DomainError:
                continue
    return None


def _overdue_rule(
    instrument: Instrument,
    every: int,
    last_rated: int | None,
    attended: Sequence[tuple[int, datetime]],
) -> list[Alert]:
    since = [(n, start) for n, start in attended if last_rated is None or n > last_rated]
    if len(since) < every:
        return []
    cadence = "at every session" if every == 1 else f"every {every} sessions"
    if last_rated is None:
        where = f"in the {plural(len(since), 'attended session')} so far"
    else:
        where = f"in the {plural(len(since), 'attended session')} since session {last_rated}"
    number, start = since[-1]
    return [
        Alert(
            AlertKind.OVERDUE,
            instrument.id,
            number,
            "info",
            f"No {instrument.id} has been recorded {where}; it is due {cadence}.",
            rating_at=start,
        )
    ]
