"""Scoring a questionnaire: validation, reverse keying, pro-rating, totals, bands, cut-offs.

A form with more answers missing than the instrument may pro-rate cannot be scored. Such a
form of an instrument with a risk item is still kept, as *incomplete* (``check_form``): its
answers are stored and the risk rule reads them, but it has no total and is never charted.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from alliance_desktop.domain._format import fmt_number, join_words, plural
from alliance_desktop.domain.errors import ScoringError
from alliance_desktop.domain.instruments import (
    CutoffComparison,
    Instrument,
    Item,
    ScoreMethod,
)

__all__ = [
    "GRID_TOLERANCE",
    "CutoffChoice",
    "Score",
    "age_on",
    "check_form",
    "clinical_cutoff",
    "in_clinical_range",
    "is_below_cutoff",
    "score",
    "validate_item_value",
]

#: How far (in steps) a value may sit from the response grid and still count as on it;
#: absorbs float noise such as 7.300000000000001 without accepting genuine in-between values.
GRID_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Score:
    """The result of scoring one completed questionnaire.

    Attributes:
        instrument_id: Which instrument was scored.
        total: The total (clinical score for CORE-10, goal mean for GBO), rounded to the
            instrument's ``total_decimals``; None for an incomplete form.
        item_mean: Mean keyed item score over the answered items, to two decimals.
        subscales: Subscale scores keyed by ``Subscale.key`` (e.g. "goal", "task", "bond").
        prorated: True when missing required items were pro-rated.
        band: Label of the band the total falls in, or None.
        risk_items: Numbers of risk items scored above their minimum.
        answered: How many items were answered.
        missing: Numbers of the required items left blank.
    """

    instrument_id: str
    total: float | None
    item_mean: float | None
    subscales: Mapping[str, float]
    prorated: bool
    band: str | None
    risk_items: tuple[int, ...]
    answered: int
    missing: tuple[int, ...] = ()

    @property
    def incomplete(self) -> bool:
        """True for a form kept with too many answers missing to score it."""
        return self.total is None


def validate_item_value(instrument: Instrument, item: Item, value: object) -> float:
    """Check one response and return it snapped exactly onto the item's grid.

    Args:
        instrument: The instrument (for the message).
        item: The item answered.
        value: The response as given.

    Returns:
        The response as a float on the grid (7.300000000000001 becomes 7.3).

    Raises:
        ScoringError: When the response is not a finite real number within the item's range
            and on its grid.
    """
    if (value.__class__ is not float and value.__class__ is not int) and (
        isinstance(value, bool) or not isinstance(value, numbers.Real)
    ):
        raise _value_error(instrument, item, f"{value!r}, which is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise _value_error(instrument, item, f"{value!r}, which is not a number") from None
    if not math.isfinite(number):
        raise _value_error(instrument, item, f"{value!r}, which is not a finite number")
    # Range first: a huge finite value divided by the step overflows to infinity.
    slack = GRID_TOLERANCE * item.step
    if not item.minimum - slack <= number <= item.maximum + slack:
        raise _value_error(instrument, item, fmt_number(number, 6))
    steps = (number - item.minimum) / item.step
    index = round(steps)
    if not 0 <= index <= item.grid_steps or abs(steps - index) > GRID_TOLERANCE:
        raise _value_error(instrument, item, fmt_number(number, 6))
    return round(item.minimum + index * item.step, item.grid_decimals)


def _value_error(instrument: Instrument, item: Item, shown: str) -> ScoringError:
    return ScoringError(
        f"{instrument.item_name(item.number)} is {shown}; it must be between "
        f"{fmt_number(item.minimum)} and {fmt_number(item.maximum)} in steps of "
        f"{fmt_number(item.step)}."
    )


def score(
    instrument: Instrument, values: Sequence[float | None], *, allow_incomplete: bool = False
) -> Score:
    """Score one completed questionnaire.

    Args:
        instrument: The definition to score against.
        values: Responses in item order; None marks a missing answer. Trailing optional
            items may be left out (GBO takes one to three goals).
        allow_incomplete: Return an incomplete score (no total, no subscales, the risk items
            read) instead of refusing a form with more answers missing than may be pro-rated.

    Returns:
        The score.

    Raises:
        ScoringError: With one sentence for the user when the values cannot be scored: wrong
            count, a value that is not a finite number, out of range or off the response grid,
            no answer at all, or (unless ``allow_incomplete``) more missing answers than the
            instrument allows.
    """
    if (
        values.__class__ is not tuple
        and values.__class__ is not list
        and (isinstance(values, str | bytes) or not isinstance(values, Sequence))
    ):
        raise ScoringError(
            f"{instrument.id} answers must be a list of numbers, one per item; got "
            f"{type(values).__name__}."
        )
    items = instrument.items
    count = len(values)
    if not instrument.min_values <= count <= len(items):
        expected = (
            f"{len(items)}"
            if instrument.min_values == len(items)
            else f"between {instrument.min_values} and {len(items)}"
        )
        raise ScoringError(
            f"{instrument.id} needs {expected} answers, one per item; "
            f"{count} {'was' if count == 1 else 'were'} given."
        )

    keyed: dict[int, float] = {}
    unscored_answers = 0
    missing_required: list[int] = []
    for item, value in zip(items, values, strict=False):
        if value is None:
            if not item.optional:
                missing_required.append(item.number)
            continue
        # Fast path for plain finite numbers on the grid; anything else goes through the
        # full check, which raises with the right message.
        if (
            value.__class__ is float or value.__class__ is int
        ) and item.minimum <= value <= item.maximum:
            steps = (value - item.minimum) / item.step
            index = round(steps)
            if 0 <= index <= item.grid_steps and abs(steps - index) <= GRID_TOLERANCE:
                clean = round(item.minimum + index * item.step, item.grid_decimals)
            else:
                clean = validate_item_value(instrument, item, value)
        else:
            clean = validate_item_value(instrument, item, value)
        if not item.scored:  # checked like any answer, counted in no score
            unscored_answers += 1
            continue
        keyed[item.number] = item.minimum + item.maximum - clean if item.reverse else clean

    if not keyed:
        raise ScoringError(
            f"{instrument.id} has no answers; at least one item must be answered to score it."
        )
    risk_items = tuple(
        i.number for i in items if i.risk and i.number in keyed and keyed[i.number] > i.minimum
    )
    if len(missing_required) > instrument.max_prorated_items and allow_incomplete:
        return Score(
            instrument_id=instrument.id,
            total=None,
            item_mean=None,
            subscales=MappingProxyType({}),
            prorated=False,
            band=None,
            risk_items=risk_items,
            answered=len(keyed) + unscored_answers,
            missing=tuple(missing_required),
        )
    if len(missing_required) > instrument.max_prorated_items:
        names = join_words([str(n) for n in missing_required])
        if instrument.max_prorated_items == 0:
            what = (
                f"{instrument.item_name(missing_required[0])} is"
                if len(missing_required) == 1
                else f"{instrument.id} items {names} are"
            )
            raise ScoringError(f"{what} missing; every item must be answered to score it.")
        raise ScoringError(
            f"{instrument.id} has {plural(len(missing_required), 'item')} missing (items "
            f"{names}); a score can be pro-rated only when at most "
            f"{plural(instrument.max_prorated_items, 'item')} is missing."
        )

    total = _round(
        _combine(instrument.total_method, list(keyed.values()), instrument.required_items),
        instrument.total_decimals,
    )
    subscales: dict[str, float] = {}
    for scale in instrument.subscales:
        answered = [keyed[n] for n in scale.items if n in keyed]
        if not answered:
            raise ScoringError(
                f"{instrument.id} subscale {scale.name} has no answered items; at least one of "
                f"items {join_words([str(n) for n in scale.items])} must be answered."
            )
        subscales[scale.key] = _round(_combine(scale.method, answered, len(scale.items)), 2)

    item_mean = _round(math.fsum(keyed.values()) / len(keyed), 2)
    return Score(
        instrument_id=instrument.id,
        total=total,
        item_mean=item_mean,
        subscales=MappingProxyType(subscales),
        prorated=bool(missing_required),
        band=instrument.band_for(total),
        risk_items=risk_items,
        answered=len(keyed) + unscored_answers,
        missing=tuple(missing_required),
    )


def check_form(instrument: Instrument, values: Sequence[float | None]) -> Score:
    """Check a form for storing: scored, or incomplete where the instrument keeps such forms.

    Every answer must still be valid; only the number of missing answers is relaxed, and
    only for instruments with a risk item (``Instrument.keeps_incomplete_forms``).

    Raises:
        ScoringError: As ``score`` does.
    """
    return score(instrument, values, allow_incomplete=instrument.keeps_incomplete_forms)


def _combine(method: ScoreMethod, answered: list[float], full_count: int) -> float:
    """Combine answered item scores; a sum with missing items is pro-rated from their mean."""
    mean = math.fsum(answered) / len(answered)
    if method is ScoreMethod.MEAN:
        return mean
    if method is ScoreMethod.MEAN_X10:
        return mean * 10
    if len(answered) >= full_count:
        return math.fsum(answered)
    return mean * full_count


def _round(value: float, decimals: int) -> float:
    """Round half away from zero, after clearing float noise (35.900000001 -> 35.9)."""
    factor = _FACTORS[decimals] if decimals < len(_FACTORS) else 10.0**decimals
    scaled = value * factor
    if scaled >= 0:
        return math.floor(scaled + 0.5 + 1e-7) / factor
    return -math.floor(-scaled + 0.5 + 1e-7) / factor


_FACTORS = (1.0, 10.0, 100.0, 1000.0, 10000.0)


def is_below_cutoff(value: float, cutoff: float, comparison: CutoffComparison) -> bool:
    """Whether a score is below a cut-off under the chosen comparison.

    Args:
        value: The score.
        cutoff: The cut-off.
        comparison: ``LT`` for strictly below, ``LE`` to count a score equal to the cut-off.

    Returns:
        True when the score is below the cut-off.
    """
    if comparison is CutoffComparison.LE:
        return value <= cutoff + 1e-9
    return value < cutoff - 1e-9


def age_on(birth: date, day: date) -> int:
    """Age in whole years on ``day`` (a birthday counts from its first moment)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class CutoffChoice:
    """The clinical cut-off that applies to one rating, and why.

    Attributes:
        value: The cut-off.
        population: The age group it was published for ("adolescents 13-17"), or None when
            the instrument has one cut-off for everyone.
        assumed_adult: True when the client's date of birth is unknown, so the adult cut-off
            was used; a report says so.
    """

    value: float
    population: str | None = None
    assumed_adult: bool = False


def clinical_cutoff(instrument: Instrument, age: int | None = None) -> CutoffChoice | None:
    """The cut-off for a client of ``age`` whole years (None: age unknown).

    Returns:
        The choice, or None when nothing is published (WAI-SR, GBO, or an age below every
        group an age-specific cut-off was published for).
    """
    norms = instrument.norms
    if norms is None or norms.cutoff is None:
        return None
    if not norms.age_cutoffs:
        return CutoffChoice(norms.cutoff)
    if age is None:
        adult = next((g for g in norms.age_cutoffs if g.max_age is None), None)
        return CutoffChoice(norms.cutoff, adult.population if adult else None, True)
    group = next((g for g in norms.age_cutoffs if g.covers(age)), None)
    return None if group is None else CutoffChoice(group.cutoff, group.population)


def in_clinical_range(
    instrument: Instrument,
    total: float,
    comparison: CutoffComparison | None = None,
    *,
    age: int | None = None,
) -> bool | None:
    """Whether a total is in the clinical (concerning) range for this instrument.

    When higher is better (ORS, SRS), a total below the cut-off is concerning. When lower is
    better (CORE-10), a total that is *not* below the cut-off is concerning, so with the
    default ``LT`` comparison the CORE-10 is clinical at 11 or more.

    Args:
        instrument: The instrument the total belongs to.
        total: The total score.
        comparison: Overrides the instrument's comparison (the SRS and ORS settings).
        age: The client's age in whole years at the rating, for cut-offs that differ by age
            (ORS); None means unknown, and the adult cut-off is used.

    Returns:
        True or False, or None when no cut-off applies (WAI-SR, GBO, a child under 6).
    """
    norms = instrument.norms
    choice = clinical_cutoff(instrument, age)
    if norms is None or choice is None:
        return None
    below = is_below_cutoff(total, choice.value, comparison or norms.cutoff_comparison)
    return below if norms.higher_is_better else not below
