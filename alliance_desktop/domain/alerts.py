"""Alliance early-warning rules: which alerts are active for a client now, and why, in words."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from alliance_desktop.domain._format import fmt_number, join_words, plural
from alliance_desktop.domain.change import ChangeClass, classify_change
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    INSTRUMENTS,
    ORS,
    SRS,
    WAI_SR,
    CutoffComparison,
    Instrument,
)
from alliance_desktop.domain.scoring import (
    Score,
    in_clinical_range,
    is_below_cutoff,
    score,
    validate_item_value,
)

__all__ = [
    "ALERT_RULES_VERSION",
    "Alert",
    "AlertKind",
    "AlertSettings",
    "MeasurementFact",
    "SessionFact",
    "Severity",
    "evaluate_alerts",
]

#: Bump whenever a rule or its wording changes: callers cache alerts keyed on it.
ALERT_RULES_VERSION = "3"

Severity = Literal["urgent", "warning", "info"]
_SEVERITY_ORDER: Mapping[str, int] = {"urgent": 0, "warning": 1, "info": 2}
_EPS = 1e-9  # absorbs float noise when a difference sits exactly on a threshold


class AlertKind(StrEnum):
    """What an alert is about."""

    UNDER_CUTOFF = "under_cutoff"
    DROPPED = "dropped"
    FALLING_SUBSCALE = "falling_subscale"
    LOW_ITEM = "low_item"
    OVERDUE = "overdue"
    RISK = "risk"
    NOT_ON_TRACK = "not_on_track"
    PERFECT_RUN = "perfect_run"


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
        kind: Which rule fired.
        instrument_id: The instrument the rule looked at.
        session_number: The session the alert refers to, if any.
        severity: "urgent" (act today), "warning" (raise it next session) or "info".
        reason: One plain-English sentence with the numbers, saying why it fired.
    """

    kind: AlertKind
    instrument_id: str
    session_number: int | None
    severity: Severity
    reason: str


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
    """One completed questionnaire, as raw item values.

    Attributes:
        instrument_id: Instrument id, e.g. "SRS".
        session_number: Session it belongs to.
        taken_at: When it was completed.
        values: Item values in item order; None for missing.
    """

    instrument_id: str
    session_number: int
    taken_at: datetime
    values: tuple[float | None, ...]


def _srs_published_cutoff() -> float:
    norms = SRS.norms
    if norms is None or norms.cutoff is None:  # pragma: no cover - guards the data table
        raise DomainError("The SRS definition has lost its published cut-off of 36.")
    return float(norms.cutoff)


# Defaults, with where each comes from (INSTRUMENTS.md "Alliance alerts"; OpenFIT; PCOMS).
_DEFAULT_SRS_CUTOFF = _srs_published_cutoff()  # Duncan et al. 2003
_DEFAULT_SRS_LOW_ITEM = 9.0  # any SRS dimension below 9 (PCOMS practice)
_DEFAULT_SRS_DROP = 1.0  # OpenFIT's red rule: a drop of 1 point or more from last session
_DEFAULT_PERFECT_RUN = 3  # a run of perfect 40s: a client who cannot criticise
_DEFAULT_WAI_SUBSCALE_DROP = 2.0  # a goal, task or bond subscale falling by 2 or more
_DEFAULT_WAI_LOW_ITEM = 2.0  # any WAI-SR item rated "Sometimes" or lower
_DEFAULT_SRS_EVERY = 1  # the SRS is given at every session
_DEFAULT_WAI_EVERY = 6  # WAI-SR every 4-6 sessions; overdue after 6 without one
_DEFAULT_ORS_AFTER = 4  # ORS ratings without reliable improvement before "not on track"

_MAX_SESSIONS_SETTING = 100


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
        disabled: Alert kinds the therapist has switched off.
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
    disabled: tuple[AlertKind, ...] = ()

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
        if self.srs_cutoff_comparison not in comparisons:
            raise DomainError(
                f"The SRS cut-off comparison {self.srs_cutoff_comparison!r} is not allowed; use "
                f"{join_words([repr(c) for c in comparisons])}."
            )
        object.__setattr__(
            self, "srs_cutoff_comparison", CutoffComparison(self.srs_cutoff_comparison)
        )
        for name in ("srs_cutoff", "srs_low_item", "srs_drop", "wai_subscale_drop", "wai_low_item"):
            object.__setattr__(self, name, float(getattr(self, name)))
        kinds = [k.value for k in AlertKind]
        if not isinstance(self.disabled, tuple | list | set | frozenset) or not all(
            k in kinds for k in self.disabled
        ):
            raise DomainError(
                f"The disabled alerts {self.disabled!r} are not all known; each must be one of "
                f"{join_words(kinds)}."
            )
        object.__setattr__(self, "disabled", tuple(AlertKind(k) for k in self.disabled))

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-compatible data.

        Returns:
            A dict ``from_dict`` accepts.
        """
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["srs_cutoff_comparison"] = self.srs_cutoff_comparison.value
        data["disabled"] = [k.value for k in self.disabled]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertSettings:
        """Build settings from stored data; missing keys take their defaults.

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
            values["disabled"] = tuple(disabled)
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


def evaluate_alerts(
    sessions: Sequence[SessionFact],
    measurements: Sequence[MeasurementFact],
    settings: AlertSettings = AlertSettings(),  # frozen and validated: safe to share
) -> list[Alert]:
    """Return the alerts active for one client now, most urgent first.

    Score rules look at the latest scoreable rating of each instrument (and the one before it
    for drops); risk looks at the latest CORE-10 (or other instrument with a risk item), even
    when that form is otherwise unscoreable; "overdue" counts attended sessions since the last
    scoreable rating. Unscoreable ratings and unknown instruments are skipped, never raised.
    Work is linear in the number of facts (grouping and sorting), and only the few ratings
    the rules need are scored.

    Args:
        sessions: The client's sessions, in any order.
        measurements: The client's completed questionnaires, in any order.
        settings: Thresholds.

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
    attended = sorted(s.number for s in sessions if s.attended)

    srs_needed = max(2, settings.perfect_run_length)
    srs_scored = _latest_scored(SRS, by_instrument.get(SRS.id, ()), srs_needed)
    alerts += _srs_rules(srs_scored, settings, off)
    wai_scored = _latest_scored(WAI_SR, by_instrument.get(WAI_SR.id, ()), 2)
    alerts += _wai_rules(wai_scored, settings, off)
    if AlertKind.NOT_ON_TRACK not in off:
        alerts += _ors_rules(by_instrument.get(ORS.id, ()), settings)
    if AlertKind.RISK not in off:
        for instrument_id, group in by_instrument.items():
            alerts += _risk_rules(INSTRUMENTS[instrument_id], group[-1])
    if AlertKind.OVERDUE not in off:
        for instrument, every, scored in (
            (SRS, settings.srs_every_sessions, srs_scored),
            (WAI_SR, settings.wai_every_sessions, wai_scored),
        ):
            last = scored[-1][0].session_number if scored else None
            alerts += _overdue_rule(instrument, every, last, attended)

    alerts.sort(key=lambda a: (_SEVERITY_ORDER[a.severity], _KIND_ORDER[a.kind], a.instrument_id))
    return alerts


def _srs_rules(
    scored: Sequence[_Scored], settings: AlertSettings, off: frozenset[AlertKind]
) -> list[Alert]:
    if not scored:
        return []
    out: list[Alert] = []
    latest_m, latest = scored[-1]
    total = _total(latest)
    session = latest_m.session_number
    previous = scored[-2] if len(scored) >= 2 else None
    fall = _total(previous[1]) - total if previous else 0.0
    fall = round(fall, 6)
    cut = settings.srs_cutoff
    le = settings.srs_cutoff_comparison is CutoffComparison.LE

    if AlertKind.UNDER_CUTOFF not in off and is_below_cutoff(
        total, cut, settings.srs_cutoff_comparison
    ):
        where = "at or under" if le else "under"
        if fall > _EPS:
            what = f"SRS fell {_points(fall)} to {fmt_number(total)}"
        else:
            what = f"SRS was {fmt_number(total)} at {_session_phrase(session)}"
        out.append(
            Alert(
                AlertKind.UNDER_CUTOFF,
                SRS.id,
                session,
                "warning",
                f"{what}, {where} the cut-off of {fmt_number(cut)} — ask about the session.",
            )
        )
    if AlertKind.DROPPED not in off and previous and fall >= settings.srs_drop - _EPS:
        prev_m, prev = previous
        out.append(
            Alert(
                AlertKind.DROPPED,
                SRS.id,
                session,
                "warning",
                f"SRS dropped {_points(fall)} from {fmt_number(_total(prev))} at "
                f"{_session_phrase(prev_m.session_number)} to {fmt_number(total)} at "
                f"{_session_phrase(session)} (the alert is set at a drop of "
                f"{_points(settings.srs_drop)}) — ask what was different this time.",
            )
        )
    if AlertKind.LOW_ITEM not in off:
        low = [
            (item.label, v)
            for item, v in zip(SRS.items, latest_m.values, strict=False)
            if v is not None and float(v) < settings.srs_low_item - _EPS
        ]
        if low:
            parts = join_words([f"{label} {fmt_number(float(v))}" for label, v in low])
            verb = "was" if len(low) == 1 else "were"
            out.append(
                Alert(
                    AlertKind.LOW_ITEM,
                    SRS.id,
                    session,
                    "warning",
                    f"SRS {parts} {verb} under {fmt_number(settings.srs_low_item)} at "
                    f"{_session_phrase(session)} — ask what would have made "
                    f"{'it' if len(low) == 1 else 'them'} fit better.",
                )
            )
    run = settings.perfect_run_length
    if (
        AlertKind.PERFECT_RUN not in off
        and len(scored) >= run
        and all(_total(s) >= SRS.total_max - _EPS for _, s in scored[-run:])
    ):
        out.append(
            Alert(
                AlertKind.PERFECT_RUN,
                SRS.id,
                session,
                "info",
                f"The last {run} SRS ratings were all {fmt_number(SRS.total_max)} out of "
                f"{fmt_number(SRS.total_max)} — a client who cannot criticise may be hiding a "
                "rupture; invite honest feedback.",
            )
        )
    return out


def _points(value: float) -> str:
    """Say "1 point" or "2.5 points"."""
    return f"{fmt_number(value)} {'point' if abs(value - 1) < _EPS else 'points'}"


def _total(result: Score) -> float:
    return result.total if result.total is not None else math.nan


def _wai_rules(
    scored: Sequence[_Scored], settings: AlertSettings, off: frozenset[AlertKind]
) -> list[Alert]:
    if not scored:
        return []
    out: list[Alert] = []
    latest_m, latest = scored[-1]
    session = latest_m.session_number
    if AlertKind.FALLING_SUBSCALE not in off and len(scored) >= 2:
        prev_m, prev = scored[-2]
        for scale in WAI_SR.subscales:
            if scale.tag is None:
                continue
            before, now = prev.subscales[scale.key], latest.subscales[scale.key]
            fall = round(before - now, 6)
            if fall >= settings.wai_subscale_drop - _EPS:
                out.append(
                    Alert(
                        AlertKind.FALLING_SUBSCALE,
                        WAI_SR.id,
                        session,
                        "warning",
                        f"WAI-SR {scale.name} fell {_points(fall)} from "
                        f"{fmt_number(before)} at {_session_phrase(prev_m.session_number)} to "
                        f"{fmt_number(now)} at {_session_phrase(session)} — "
                        f"{_SUBSCALE_ADVICE.get(scale.tag, 'talk it through with the client')}.",
                    )
                )
    if AlertKind.LOW_ITEM not in off:
        low: list[str] = []
        for item, v in zip(WAI_SR.items, latest_m.values, strict=False):
            if v is None or float(v) > settings.wai_low_item + _EPS:
                continue
            value = validate_item_value(WAI_SR, item, v)  # already scored, so valid
            anchor = WAI_SR.anchors[round(value - item.minimum)] if WAI_SR.anchors else None
            rated = fmt_number(value) + (f" ({anchor})" if anchor else "")
            low.append(f"{WAI_SR.item_name(item.number)[len(WAI_SR.id) + 1 :]} rated {rated}")
        if low:
            out.append(
                Alert(
                    AlertKind.LOW_ITEM,
                    WAI_SR.id,
                    session,
                    "warning",
                    f"WAI-SR {join_words(low)} at {_session_phrase(session)}: at or under "
                    f"{fmt_number(settings.wai_low_item)} — explore that part of the alliance.",
                )
            )
    return out


def _ors_rules(ordered: Sequence[MeasurementFact], settings: AlertSettings) -> list[Alert]:
    """Not on track: a reliable deterioration from the first ORS at any time, or no reliable
    improvement once ``ors_not_on_track_after`` ratings exist for a client who started in the
    clinical range (under 25).

    Scores only the first few ratings (enough to know the threshold count is reached) and
    the latest, so the cost does not grow with the length of therapy.
    """
    need = settings.ors_not_on_track_after
    head: list[_Scored] = []
    for m in ordered:
        result = _try_score(ORS, m)
        if result is not None:
            head.append((m, result))
            if len(head) == need:
                break
    tail = _latest_scored(ORS, ordered, 1)
    if not head or not tail or tail[0][0] is head[0][0]:
        return []
    (first_m, first), (last_m, last) = head[0], tail[0]
    assessment = classify_change(ORS, _total(first), _total(last))
    rc_points = ORS.norms.reliable_change_points if ORS.norms else None
    rc_phrase = f"{_points(rc_points)} or more" if rc_points is not None else "reliable"
    movement = (
        f"ORS has gone from {fmt_number(_total(first))} at "
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
        and in_clinical_range(ORS, _total(first)) is not False
    ):
        reason = (
            f"{movement}: after {need} or more ratings that is short of a reliable improvement "
            f"({rc_phrase}) — discuss whether therapy is on track."
        )
    else:
        return []
    return [Alert(AlertKind.NOT_ON_TRACK, ORS.id, last_m.session_number, "warning", reason)]


def _risk_rules(instrument: Instrument, latest: MeasurementFact) -> list[Alert]:
    out: list[Alert] = []
    values = latest.values
    if not isinstance(values, tuple | list):
        return out
    for item in instrument.items:
        if not item.risk or item.number > len(values) or values[item.number - 1] is None:
            continue
        try:
            value = validate_item_value(instrument, item, values[item.number - 1])
        except DomainError:
            continue
        if item.keyed(value) > item.minimum + _EPS:
            anchor = ""
            if instrument.anchors and item.step == 1:
                anchor = f" ({instrument.anchors[round(value - item.minimum)]})"
            out.append(
                Alert(
                    AlertKind.RISK,
                    instrument.id,
                    latest.session_number,
                    "urgent",
                    f"{instrument.item_name(item.number)} was rated {fmt_number(value)}{anchor} "
                    f"at {_session_phrase(latest.session_number)} — check risk today.",
                )
            )
    return out


def _overdue_rule(
    instrument: Instrument, every: int, last_rated: int | None, attended: Sequence[int]
) -> list[Alert]:
    since = [n for n in attended if last_rated is None or n > last_rated]
    if len(since) < every:
        return []
    cadence = "at every session" if every == 1 else f"every {every} sessions"
    if last_rated is None:
        where = f"in the {plural(len(since), 'attended session')} so far"
    else:
        where = f"in the {plural(len(since), 'attended session')} since session {last_rated}"
    return [
        Alert(
            AlertKind.OVERDUE,
            instrument.id,
            since[-1],
            "info",
            f"No {instrument.id} has been recorded {where}; it is due {cadence}.",
        )
    ]
