"""Instrument definitions as data: items, keys, ranges, bands and published norms with sources."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal, get_args, overload

from alliance_desktop.domain._format import fmt_number, join_words
from alliance_desktop.domain.errors import DomainError, InstrumentNotFound

__all__ = [
    "ALLIANCE_INSTRUMENT_IDS",
    "BUILT_IN",
    "CLI_FLAGS",
    "CORE_10",
    "DEFAULT_PLAN",
    "GAD_7",
    "GBO",
    "GOALS_ID",
    "INSTRUMENTS",
    "OFFERED_IDS",
    "ORS",
    "OUTCOME_INSTRUMENT_IDS",
    "PHQ_9",
    "QUESTIONNAIRE_IDS",
    "RELIABLE_CHANGE_Z",
    "SRS",
    "WAI_SR",
    "AgeCutoff",
    "AlertRule",
    "Band",
    "CustomInstrument",
    "CutoffComparison",
    "Dash",
    "Instrument",
    "InstrumentKind",
    "Item",
    "LineStyle",
    "Marker",
    "Norms",
    "Respondent",
    "ScoreMethod",
    "SessionMoment",
    "Subscale",
    "SubscaleTag",
    "TextPack",
    "anchor_words",
    "custom_instruments",
    "get_instrument",
    "instrument_for",
    "instrument_from_dict",
    "instrument_to_dict",
    "is_built_in",
    "is_retired",
    "item_name_for",
    "scale_difference",
    "shipped_wording_credits",
    "use_custom_instruments",
    "with_text_pack",
]

InstrumentKind = Literal["alliance", "outcome", "goals"]
Respondent = Literal["client", "therapist"]
SessionMoment = Literal["start", "end"]
SubscaleTag = Literal["goal", "task", "bond"]

#: z for a two-tailed 95% criterion in the reliable change index (Jacobson & Truax 1991).
RELIABLE_CHANGE_Z = 1.96


Dash = Literal["solid", "dash", "dot", "dashdot"]
Marker = Literal["none", "circle", "square", "triangle", "diamond", "star", "pentagon"]


@dataclass(frozen=True)
class LineStyle:
    """How one kind of line is drawn everywhere: colour, dash, marker and legend words."""

    colour: str  # "#rrggbb"; "foreground" means the text colour of the current theme
    dash: Dash
    marker: Marker
    label: str


class ScoreMethod(StrEnum):
    """How item scores are combined into a total or subscale."""

    SUM = "sum"
    MEAN = "mean"
    MEAN_X10 = "mean_x10"


class AlertRule(StrEnum):
    """A family of alert rules (``domain.alerts``) an instrument's ratings are watched by.

    A risk item alerts whatever the rules (it is a property of the item).
    """

    #: An alliance measure taken every session (the SRS): under its cut-off, a drop since
    #: the last rating, a low dimension, and a run of perfect totals.
    SESSION_RATING = "session_rating"
    #: An alliance measure with goal, task and bond subscales (the WAI-SR): a falling
    #: subscale and a low item.
    ALLIANCE_SUBSCALES = "alliance_subscales"
    #: An outcome measure with a reliable-change criterion (the ORS): not on track.
    NOT_ON_TRACK = "not_on_track"
    #: Overdue when not recorded for a number of attended sessions.
    OVERDUE = "overdue"


class CutoffComparison(StrEnum):
    """What "below the cut-off" means at the cut-off itself.

    ``LT``: a score strictly less than the cut-off is below it. ``LE``: a score equal to
    the cut-off also counts as below. Which side of the cut-off is concerning depends on
    the instrument's direction (``Norms.higher_is_better``).
    """

    LT = "lt"
    LE = "le"


@dataclass(frozen=True)
class Item:
    """One questionnaire item: its number, label, response range and flags.

    Attributes:
        number: 1-based position in the questionnaire.
        label: Short label shown when no licensed wording is available, e.g. "Item 1 (Task)".
        minimum: Lowest allowed response.
        maximum: Highest allowed response.
        step: Response grid spacing (1 for Likert items, 0.1 for a 10 cm line read to 1 mm).
        reverse: True when the item is scored ``minimum + maximum - value``.
        optional: True when the item may be left blank without pro-rating.
        risk: True when any keyed score above the item's minimum must be shown at once.
        text: Item wording when the app may ship it (licence permitting), else None.
        scored: False for a question recorded but not counted in any score (the PHQ-9's
            tenth, on how difficult the problems made life); such an item is optional.
        anchors: The item's own response anchors, lowest first, when they differ from the
            instrument's (empty: the instrument's).
    """

    number: int
    label: str
    minimum: float
    maximum: float
    step: float
    reverse: bool = False
    optional: bool = False
    risk: bool = False
    text: str | None = None
    scored: bool = True
    anchors: tuple[str, ...] = ()
    #: Number of grid steps from minimum to maximum (derived).
    grid_steps: int = field(init=False, repr=False, compare=False, default=0)
    #: Decimal places of the grid, used to snap values exactly onto it (derived).
    grid_decimals: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        """Reject definitions that could never be scored, and derive the grid."""
        if isinstance(self.number, bool) or not isinstance(self.number, int) or self.number < 1:
            raise DomainError(f"Item number {self.number!r} is invalid; it must be 1 or more.")
        if not isinstance(self.label, str) or not self.label.strip():
            raise DomainError(f"Item {self.number} has no label; every item needs one.")
        bounds = (self.minimum, self.maximum, self.step)
        if not all(_is_finite_real(v) for v in bounds):
            raise DomainError(
                f"Item {self.number} has a non-numeric range or step; "
                "minimum, maximum and step must be finite numbers."
            )
        if self.minimum >= self.maximum or self.step <= 0:
            raise DomainError(
                f"Item {self.number} has minimum {fmt_number(self.minimum)}, maximum "
                f"{fmt_number(self.maximum)} and step {fmt_number(self.step)}; the minimum must "
                "be below the maximum and the step above 0."
            )
        steps = (self.maximum - self.minimum) / self.step
        if abs(steps - round(steps)) > 1e-6:
            raise DomainError(
                f"Item {self.number}'s range {fmt_number(self.minimum)} to "
                f"{fmt_number(self.maximum)} is not a whole number of steps of "
                f"{fmt_number(self.step)}; choose a step that divides the range."
            )
        object.__setattr__(self, "grid_steps", round(steps))
        if not self.scored and (not self.optional or self.risk or self.reverse):
            raise DomainError(
                f"Item {self.number} is not scored, so it must be optional, and neither a risk "
                "item nor reversed."
            )
        if self.anchors and (self.step != 1 or len(self.anchors) != round(steps) + 1):
            raise DomainError(
                f"Item {self.number} has {len(self.anchors)} anchors of its own; it needs one "
                "per answer, in steps of 1."
            )
        object.__setattr__(
            self, "grid_decimals", _decimal_places(self.step) + _decimal_places(self.minimum)
        )

    def keyed(self, value: float) -> float:
        """Return the score this response contributes, applying reverse keying.

        Args:
            value: A validated response on this item's grid.

        Returns:
            ``value``, or ``minimum + maximum - value`` for a reverse-keyed item.
        """
        return self.minimum + self.maximum - value if self.reverse else value


@dataclass(frozen=True)
class Subscale:
    """A named group of items scored together.

    Attributes:
        key: Stable key used in ``Score.subscales`` (e.g. "goal", "task", "bond").
        name: Display name.
        items: Item numbers in the subscale.
        method: How the item scores are combined.
        tag: Alliance component (Bordin) this subscale reflects, or None.
    """

    key: str
    name: str
    items: tuple[int, ...]
    method: ScoreMethod
    tag: SubscaleTag | None = None


@dataclass(frozen=True)
class Band:
    """A labelled score range, e.g. CORE-10 "Mild" 11-14.

    A score belongs to the band with the greatest ``lower`` not above it, so a pro-rated
    score between whole-number bands (10.6) falls in the lower band ("Low level"), which
    agrees with a cut-off of "11 or more".

    Attributes:
        lower: Lowest score in the band.
        upper: Highest whole score in the band as published.
        label: Band name.
    """

    lower: float
    upper: float
    label: str


@dataclass(frozen=True)
class AgeCutoff:
    """A clinical cut-off published for one age group (e.g. adolescents 13-17), as data.

    Attributes:
        min_age: Youngest age (whole years at the rating) the cut-off applies to.
        max_age: Oldest age it applies to, or None for no upper limit.
        cutoff: The cut-off score.
        population: Who it applies to, in words ("adolescents 13-17").
        source: Where it was published.
    """

    min_age: int
    max_age: int | None
    cutoff: float
    population: str
    source: str

    def covers(self, age: int) -> bool:
        """Whether a client of ``age`` whole years belongs to this group."""
        return self.min_age <= age and (self.max_age is None or age <= self.max_age)


@dataclass(frozen=True, kw_only=True)
class Norms:
    """Published reference values used for cut-offs and reliable change, with their source.

    Attributes:
        sd: Published standard deviation for the reliable change index (Jacobson & Truax),
            or None. Never an SD worked backwards from a published criterion.
        reliability: Reliability (usually Cronbach's alpha).
        cutoff: Clinical cut-off (for adults, when ``age_cutoffs`` differ by age), or None
            when none is published.
        cutoff_comparison: Whether a score equal to the cut-off counts as below it.
        higher_is_better: Direction of the scale.
        reliable_change_points: A published reliable-change criterion in score points (a
            change of at least this many points is reliable), if any. When given it is the
            criterion used, in preference to an index computed from ``sd``.
        reliable_change_source: Where that criterion was published, and its interval, in
            the few words a report prints beside it ("Barkham et al. 2013, 90% interval").
        clinical_mean: Mean of a clinical (dysfunctional) sample.
        clinical_sd: SD of that sample.
        functional_mean: Mean of a non-clinical (functional) sample.
        functional_sd: SD of that sample.
        age_cutoffs: Cut-offs published for age groups; the group a client belongs to at a
            rating decides. A client without a date of birth is taken as an adult (``cutoff``).
        source: Citation for every number above.
    """

    sd: float | None
    reliability: float
    cutoff: float | None
    cutoff_comparison: CutoffComparison = CutoffComparison.LT
    higher_is_better: bool
    reliable_change_points: float | None = None
    reliable_change_source: str = ""
    clinical_mean: float | None = None
    clinical_sd: float | None = None
    functional_mean: float | None = None
    functional_sd: float | None = None
    age_cutoffs: tuple[AgeCutoff, ...] = ()
    source: str

    def __post_init__(self) -> None:
        """Reject norms that would make the reliable change formula meaningless."""
        if not _is_finite_real(self.reliability) or not 0 <= self.reliability < 1:
            raise DomainError(
                f"Reliability {self.reliability!r} is invalid; it must be at least 0 and below 1."
            )
        for name in ("sd", "clinical_sd", "functional_sd"):
            value = getattr(self, name)
            if value is not None and (not _is_finite_real(value) or value <= 0):
                raise DomainError(f"The {name} {value!r} is invalid; it must be above 0.")
        points = self.reliable_change_points
        if points is not None and (not _is_finite_real(points) or points <= 0):
            raise DomainError(
                f"The reliable change criterion {points!r} is invalid; it must be above 0 points."
            )

    @property
    def classifies_change(self) -> bool:
        """Whether change can be classified: a published criterion, or an SD to compute one."""
        return self.reliable_change_points is not None or self.sd is not None


@dataclass(frozen=True)
class Instrument:
    """A complete questionnaire definition: the data every score is computed from.

    Attributes:
        id: Stable identifier, e.g. "CORE-10".
        version: Definition version.
        name: Full name.
        kind: "alliance", "outcome" or "goals".
        respondent: Who fills it in.
        timeframe: What the answers refer to, e.g. "the past week".
        when: Start or end of the session.
        licence: What the app may ship, and why.
        items: The items in order.
        anchors: Response anchors from lowest to highest (empty for visual analogue scales).
        subscales: Subscales, possibly none.
        total_method: How items combine into the total.
        total_min: Lowest possible total.
        total_max: Highest possible total.
        max_prorated_items: How many required items may be missing (the total is then
            pro-rated from the answered items).
        bands: Labelled score ranges, lowest first.
        norms: Published reference values, or None.
        attribution: Attribution that must accompany shipped item text.
        total_decimals: Decimal places totals are rounded to.
        source: Citation for the definition itself.
        description: What the measure is and how it is scored, in words for a referrer or
            supervisor reading a report.
        rights: Who holds its rights and on what terms it is used, for the same reader.
    """

    id: str
    version: str
    name: str
    kind: InstrumentKind
    respondent: Respondent
    timeframe: str
    when: SessionMoment
    licence: str
    items: tuple[Item, ...]
    anchors: tuple[str, ...]
    subscales: tuple[Subscale, ...]
    total_method: ScoreMethod
    total_min: float
    total_max: float
    max_prorated_items: int
    bands: tuple[Band, ...]
    norms: Norms | None
    attribution: str | None = None
    total_decimals: int = 1
    source: str = ""
    description: str = ""
    rights: str = ""
    #: Position in every list, form, table and report (lowest first; start-of-session
    #: measures before end-of-session ones).
    order: int = 1000
    #: The editor's heading for the measure ("ORS: how the client has been …").
    editor_title: str = ""
    #: What its total is called in tables and legends ("clinical score" for CORE-10).
    total_name: str = "total"
    #: How its total is drawn on charts (colour, dash, marker, legend words).
    chart: LineStyle | None = None
    #: The chart's value axis: (lowest, highest, number of grid intervals); None draws the
    #: total's range in four intervals (0-40 by 10).
    axis: tuple[float, float, int] | None = None
    #: ``session add --FLAG V,V,…`` takes its items, or None when only ``--json`` does.
    cli_flag: str | None = None
    #: Whether a new practice's measure plan includes it.
    planned_by_default: bool = False
    #: A new session offers it every this many sessions (1: every session).
    offer_every: int = 1
    #: Why no text pack may be imported for it, or None when one may (a pack is refused
    #: anyway when the definition ships its own wording).
    text_pack_refusal: str | None = None
    #: The alert rules its ratings are watched by (its risk items alert in any case).
    alert_rules: tuple[AlertRule, ...] = ()
    #: Fewest values ``score`` accepts: trailing optional items may be left out (derived).
    min_values: int = field(init=False, repr=False, compare=False, default=0)
    #: Items a complete total covers, i.e. the non-optional ones (derived).
    required_items: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        """Check the definition is internally consistent (matters for user-supplied ones)."""
        if not isinstance(self.id, str) or not self.id.strip():
            raise DomainError("An instrument needs a non-empty id.")
        if not self.items:
            raise DomainError(f"Instrument {self.id} has no items; it needs at least one.")
        numbers = [item.number for item in self.items]
        if numbers != list(range(1, len(self.items) + 1)):
            raise DomainError(
                f"Instrument {self.id}'s items are numbered {numbers}; they must run 1, 2, 3 "
                "... in order."
            )
        for scale in self.subscales:
            bad = [n for n in scale.items if not 1 <= n <= len(self.items)]
            bad += [n for n in scale.items if n not in bad and not self.items[n - 1].scored]
            if not scale.items or bad:
                raise DomainError(
                    f"Subscale {scale.key} of {self.id} lists items {list(scale.items)}; it must "
                    f"list at least one item between 1 and {len(self.items)}."
                )
        if not self.total_min < self.total_max:
            raise DomainError(f"Instrument {self.id}'s total minimum must be below its maximum.")
        if not 0 <= self.max_prorated_items < len(self.items):
            raise DomainError(
                f"Instrument {self.id} allows {self.max_prorated_items} pro-rated items; it "
                f"must be between 0 and {len(self.items) - 1}."
            )
        lowers = [band.lower for band in self.bands]
        if lowers != sorted(lowers):
            raise DomainError(f"Instrument {self.id}'s bands must be listed lowest first.")
        if self.total_decimals < 0:
            raise DomainError(f"Instrument {self.id}'s total decimals must be 0 or more.")
        if (
            isinstance(self.offer_every, bool)
            or not isinstance(self.offer_every, int)
            or (self.offer_every < 1)
        ):
            raise DomainError(f"Instrument {self.id} must be offered every 1 or more sessions.")
        for rule in self.alert_rules:
            needs = _RULE_NEEDS.get(rule)
            if needs is not None and not needs[0](self):
                raise DomainError(
                    f"Instrument {self.id} cannot have the {rule} alert rule: {needs[1]}."
                )
        required = [item.number for item in self.items if not item.optional]
        object.__setattr__(self, "min_values", max(required, default=1))
        object.__setattr__(self, "required_items", len(required) or len(self.items))

    def item(self, number: int) -> Item:
        """Return the item with this 1-based number.

        Args:
            number: Item number.

        Returns:
            The item.

        Raises:
            DomainError: When the instrument has no such item.
        """
        if isinstance(number, bool) or not isinstance(number, int):
            number_ok = False
        else:
            number_ok = 1 <= number <= len(self.items)
        if not number_ok:
            raise DomainError(
                f"{self.id} has no item {number!r}; its items are numbered 1 to {len(self.items)}."
            )
        return self.items[number - 1]  # items are validated to be numbered 1..n in order

    def item_name(self, number: int) -> str:
        """Name an item for a sentence, e.g. "SRS item 2 (Goals and Topics)".

        Args:
            number: Item number.

        Returns:
            The instrument id, item number and label.
        """
        label = self.item(number).label
        generic = f"Item {number}"
        if label == generic:
            return f"{self.id} item {number}"
        if label.startswith(generic + " "):
            return f"{self.id} item {number}{label[len(generic) :]}"
        return f"{self.id} item {number} ({label})"

    def band_for(self, total: float) -> str | None:
        """Return the label of the band a total falls in, or None when there are no bands.

        Args:
            total: A total score.

        Returns:
            The band label (see ``Band`` for how in-between scores are placed).
        """
        label: str | None = None
        for band in self.bands:
            if total >= band.lower:
                label = band.label
            else:
                break
        return label

    @property
    def keeps_incomplete_forms(self) -> bool:
        """Whether a form too incomplete to score is still stored (as "incomplete").

        True for an instrument with a risk item: a risk answer must never be thrown away
        because other answers are missing, so the answered items are kept, no total is
        computed or charted, and the risk rule still reads them.
        """
        return any(item.risk for item in self.items)

    @property
    def title(self) -> str:
        """The editor's heading: its own, or the id and name."""
        return self.editor_title or f"{self.id}: {self.name}"

    @property
    def line_style(self) -> LineStyle:
        """How its total is drawn: its own style, or a plain line in the text colour."""
        own = f"{self.id} {self.total_name}"
        return self.chart or LineStyle("foreground", "solid", "circle", own)

    def subscale_range(self, scale: Subscale) -> tuple[float, float]:
        """The lowest and highest score a subscale can take, by its method."""
        items = [self.item(n) for n in scale.items]
        if scale.method is ScoreMethod.SUM:
            return sum(i.minimum for i in items), sum(i.maximum for i in items)
        factor = 10 if scale.method is ScoreMethod.MEAN_X10 else 1
        return min(i.minimum for i in items) * factor, max(i.maximum for i in items) * factor

    @property
    def chart_axis(self) -> tuple[float, float, int]:
        """The value axis of its chart: (lowest, highest, grid intervals)."""
        return self.axis or (self.total_min, self.total_max, 4)

    @property
    def range_words(self) -> str:
        """Its total and range for a table's note, e.g. "CORE-10 clinical score 0-40"."""
        low, high = fmt_number(self.total_min), fmt_number(self.total_max)
        return f"{self.id} {self.total_name} {low}–{high}"  # noqa: RUF001 (a range dash)

    @property
    def no_text_pack_because(self) -> str | None:
        """Why no text pack may be imported for it, or None when one may."""
        if self.text_pack_refusal:
            return self.text_pack_refusal
        if self.has_item_text:
            return "its licensed wording is already shipped and must not be altered"
        return None

    @property
    def has_item_text(self) -> bool:
        """Whether the definition ships item wording (only where the licence allows)."""
        return any(item.text is not None for item in self.items)


@dataclass(frozen=True)
class TextPack:
    """Licensed item wording a user imports for an instrument whose text the app cannot ship.

    Attributes:
        instrument_id: Instrument the wording belongs to.
        language: Language tag, e.g. "en".
        item_texts: One text per item, in item order.
        anchors: Response anchors in that language, or empty to keep the defaults.
    """

    instrument_id: str
    language: str
    item_texts: tuple[str, ...]
    anchors: tuple[str, ...] = ()


def with_text_pack(instrument: Instrument, pack: TextPack) -> Instrument:
    """Return a copy of the instrument showing the imported item wording.

    Args:
        instrument: The definition without wording.
        pack: The user's licensed text pack.

    Returns:
        A new instrument whose items carry the pack's text.

    Raises:
        DomainError: When the pack is for another instrument, has the wrong number of
            texts, or the instrument already ships wording that must not be altered.
    """
    if pack.instrument_id != instrument.id:
        raise DomainError(
            f"This text pack is for {pack.instrument_id}, not {instrument.id}; "
            "import it for the matching instrument."
        )
    if instrument.has_item_text:
        raise DomainError(
            f"{instrument.id} already ships its licensed wording, which must not be altered; "
            "a text pack cannot replace it."
        )
    if len(pack.item_texts) != len(instrument.items) or not all(
        isinstance(t, str) and t.strip() for t in pack.item_texts
    ):
        raise DomainError(
            f"The text pack has {len(pack.item_texts)} item texts; {instrument.id} needs "
            f"{len(instrument.items)}, none of them empty."
        )
    if pack.anchors and len(pack.anchors) != len(instrument.anchors):
        raise DomainError(
            f"The text pack has {len(pack.anchors)} anchors; {instrument.id} needs "
            f"{len(instrument.anchors)}."
        )
    pairs = zip(instrument.items, pack.item_texts, strict=True)
    items = tuple(replace(item, text=text) for item, text in pairs)
    return replace(instrument, items=items, anchors=pack.anchors or instrument.anchors)


def _decimal_places(value: float) -> int:
    text = f"{value:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def _is_finite_real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


#: What an alert rule needs of an instrument, and the words when it is missing.
_RULE_NEEDS: Mapping[AlertRule, tuple[Callable[[Instrument], bool], str]] = MappingProxyType(
    {
        AlertRule.SESSION_RATING: (
            lambda i: i.kind == "alliance",
            "it is for alliance measures",
        ),
        AlertRule.ALLIANCE_SUBSCALES: (
            lambda i: i.kind == "alliance" and any(s.tag for s in i.subscales),
            "it needs an alliance measure with goal, task or bond subscales",
        ),
        AlertRule.NOT_ON_TRACK: (
            lambda i: i.kind == "outcome" and i.norms is not None and i.norms.classifies_change,
            "it needs an outcome measure with a reliable-change criterion",
        ),
    }
)


# --------------------------------------------------------------------------------------------
# Built-in definitions. Every published number lives here, next to its source.
# --------------------------------------------------------------------------------------------

_SCALE_0_10_STEP = 0.1  # a 10 cm line read to the millimetre (PCOMS scoring)

# WAI-SR: Hatcher & Gillaspy (2006), Psychotherapy Research 16(1):12-25.
_WAI_SR_SOURCE = (
    "Hatcher, R. L. & Gillaspy, J. A. (2006). Development and validation of a revised short "
    "version of the Working Alliance Inventory. Psychotherapy Research, 16(1), 12-25."
)
_WAI_SR_KEY: Mapping[str, tuple[int, ...]] = MappingProxyType(
    {"goal": (4, 6, 8, 11), "task": (1, 2, 10, 12), "bond": (3, 5, 7, 9)}
)
_WAI_SR_ANCHORS = ("Seldom", "Sometimes", "Fairly often", "Very often", "Always")
_WAI_SR_ITEM_TAG = {n: tag for tag, numbers in _WAI_SR_KEY.items() for n in numbers}

WAI_SR = Instrument(
    id="WAI-SR",
    order=60,
    editor_title="WAI-SR: the working alliance so far (end of session)",
    chart=LineStyle("foreground", "solid", "square", "WAI-SR total"),
    cli_flag="wai-sr",
    planned_by_default=True,
    # Hatcher & Gillaspy's short form is meant for repeated use; every fourth session keeps
    # it ahead of the "overdue" alert.
    offer_every=4,
    alert_rules=(AlertRule.ALLIANCE_SUBSCALES, AlertRule.OVERDUE),
    version="2006",
    name="Working Alliance Inventory - Short Revised (client)",
    kind="alliance",
    respondent="client",
    timeframe="the relationship with the therapist so far",
    when="end",
    licence=(
        "Scoring key and subscale structure only. Item wording is not shipped: rights with the "
        "Society for Psychotherapy Research are unclear (McGill MAPPRO / RMD), so wording comes "
        "only from a text pack the user imports."
    ),
    items=tuple(
        Item(n, f"Item {n} ({_WAI_SR_ITEM_TAG[n].capitalize()})", 1, 5, 1) for n in range(1, 13)
    ),
    anchors=_WAI_SR_ANCHORS,
    subscales=tuple(
        Subscale(tag, tag.capitalize(), numbers, ScoreMethod.SUM, tag)  # type: ignore[arg-type]
        for tag, numbers in _WAI_SR_KEY.items()
    ),
    total_method=ScoreMethod.SUM,
    total_min=12,
    total_max=60,
    max_prorated_items=0,
    bands=(),  # 12-35 / 36-47 / 48-60 is one vendor's convention, not a published cut-off
    norms=None,  # no published clinical cut-off or reliable-change threshold
    source=_WAI_SR_SOURCE,
    description=(
        "Working Alliance Inventory, short revised form (Hatcher & Gillaspy 2006): twelve "
        "questions the client answers about the working alliance, namely agreement on the "
        "goals of therapy, collaboration on its tasks and the emotional bond, each rated 1-5; "
        "goal, task and bond scores 4-20, total 12-60. No clinical cut-off is published."
    ),
    rights=(
        "A short form of the Working Alliance Inventory (Horvath & Greenberg 1989); "
        "permissions are given by the Society for Psychotherapy Research. Its item wording "
        "is not printed here."
    ),
)

# SRS v3: Duncan, Miller, Sparks, Claud, Reynolds, Brown & Johnson (2003).
_SRS_SOURCE = (
    "Duncan, B. L., Miller, S. D., Sparks, J. A., Claud, D. A., Reynolds, L. R., Brown, J. & "
    "Johnson, L. D. (2003). The Session Rating Scale: Preliminary psychometric properties of a "
    "'working' alliance measure. Journal of Brief Therapy, 3(1), 3-12."
)
_PCOMS_LICENCE = (
    "PCOMS licence: data entry of scores only. No item wording, no electronic reproduction or "
    "look-alike form, no on-screen analogue line; dimension names are used as labels "
    "(as CamCOPS does)."
)
# (dimension name, Bordin component it reflects per Duncan et al. 2003)
_SRS_DIMENSIONS: tuple[tuple[str, SubscaleTag | None], ...] = (
    ("Relationship", "bond"),
    ("Goals and Topics", "goal"),
    ("Approach or Method", "task"),
    ("Overall", None),
)

SRS = Instrument(
    id="SRS",
    order=50,
    editor_title="SRS: how today's session went (end of session)",
    # Okabe-Ito blue (UI.md): the one alliance line in colour, the one watched most.
    chart=LineStyle("#0072B2", "solid", "circle", "SRS total"),
    cli_flag="srs",
    planned_by_default=True,
    alert_rules=(AlertRule.SESSION_RATING, AlertRule.OVERDUE),
    text_pack_refusal="the PCOMS licence allows score entry only, no item wording on screen",
    version="3",
    name="Session Rating Scale (SRS v3)",
    kind="alliance",
    respondent="client",
    timeframe="today's session",
    when="end",
    licence=_PCOMS_LICENCE,
    items=tuple(
        Item(n, name, 0, 10, _SCALE_0_10_STEP) for n, (name, _) in enumerate(_SRS_DIMENSIONS, 1)
    ),
    anchors=(),
    subscales=tuple(
        Subscale(tag, name, (n,), ScoreMethod.SUM, tag)
        for n, (name, tag) in enumerate(_SRS_DIMENSIONS, 1)
        if tag is not None
    ),
    total_method=ScoreMethod.SUM,
    total_min=0,
    total_max=40,
    max_prorated_items=0,
    bands=(),
    norms=Norms(
        sd=None,
        reliability=0.88,
        cutoff=36,
        cutoff_comparison=CutoffComparison.LT,
        higher_is_better=True,
        source=(
            "Cut-off 36 and alpha .88: " + _SRS_SOURCE + " Sources differ between '< 36' and "
            "'<= 36', so the comparison is a user setting (default '<'). No SD or "
            "reliable-change threshold is published for the SRS, so change is not classified."
        ),
    ),
    source=_SRS_SOURCE,
    description=(
        "Session Rating Scale, version 3 (Duncan et al. 2003): four ratings the client gives "
        "at the end of a session, 0-10 each (the relationship, goals and topics, approach or "
        "method, and the session overall), total 0-40. A total under 36 suggests the session "
        "did not fit the client well."
    ),
    rights=(
        "© 2002 Scott D. Miller, Barry L. Duncan and Lynn Johnson (Partners for Change "
        "Outcome Management System). Only the scores are recorded; the form is not reproduced."
    ),
)

# ORS: Miller & Duncan (2000); psychometrics Miller, Duncan, Brown, Sparks & Claud (2003).
_ORS_SOURCE = (
    "Miller, S. D. & Duncan, B. L. (2000). The Outcome Rating Scale. Psychometrics: Miller, "
    "S. D., Duncan, B. L., Brown, J., Sparks, J. A. & Claud, D. A. (2003). The Outcome Rating "
    "Scale: A preliminary study of the reliability, validity, and feasibility of a brief visual "
    "analog measure. Journal of Brief Therapy, 2(2), 91-100."
)
_ORS_RC_POINTS = 5.0
_ORS_ALPHA = 0.93
_YOUTH_SOURCE = (
    "Duncan, B. L., Sparks, J. A., Miller, S. D., Bohanske, R. T. & Claud, D. A. (2006). "
    "Giving youth a voice: A preliminary study of the reliability and validity of a brief "
    "outcome measure for children, adolescents, and caretakers. Journal of Brief Therapy, "
    "5(2), 71-87."
)

ORS = Instrument(
    id="ORS",
    order=10,
    editor_title="ORS: how the client has been (start of session)",
    chart=LineStyle("foreground", "solid", "circle", "ORS total"),
    cli_flag="ors",
    planned_by_default=True,
    alert_rules=(AlertRule.NOT_ON_TRACK,),
    text_pack_refusal="the PCOMS licence allows score entry only, no item wording on screen",
    version="2000",
    name="Outcome Rating Scale (ORS)",
    kind="outcome",
    respondent="client",
    timeframe="the past week",
    when="start",
    licence=_PCOMS_LICENCE,
    items=tuple(
        Item(n, name, 0, 10, _SCALE_0_10_STEP)
        for n, name in enumerate(("Individually", "Interpersonally", "Socially", "Overall"), 1)
    ),
    anchors=(),
    subscales=(),
    total_method=ScoreMethod.SUM,
    total_min=0,
    total_max=40,
    max_prorated_items=0,
    bands=(),
    norms=Norms(
        sd=None,  # none published; the published 5-point criterion is used as it stands
        reliability=_ORS_ALPHA,
        cutoff=25,
        cutoff_comparison=CutoffComparison.LT,
        higher_is_better=True,
        reliable_change_points=_ORS_RC_POINTS,
        reliable_change_source="Miller et al. 2003",
        age_cutoffs=(
            AgeCutoff(6, 12, 32, "children 6-12", _YOUTH_SOURCE),
            AgeCutoff(13, 17, 28, "adolescents 13-17", _YOUTH_SOURCE),
            AgeCutoff(18, None, 25, "adults", _ORS_SOURCE),
        ),
        source=(
            "Adult clinical cut-off 25 (< 25 clinical; whether exactly 25 counts is a practice "
            "setting, as sources differ), reliable change 5 points, typical adult intake 16-19, "
            "alpha .93: " + _ORS_SOURCE + " Cut-offs 28 for adolescents 13-17 and 32 for "
            "children 6-12: " + _YOUTH_SOURCE
        ),
    ),
    source=_ORS_SOURCE,
    description=(
        "Outcome Rating Scale (Miller & Duncan 2000): four ratings the client gives at the "
        "start of a session about the past week, 0-10 each (individually, interpersonally, "
        "socially and overall), total 0-40. Clinical cut-off 25 for adults, 28 for "
        "adolescents 13-17 and 32 for children 6-12; a change of 5 points or more is reliable."
    ),
    rights=(
        "© 2000 Scott D. Miller and Barry L. Duncan (Partners for Change Outcome Management "
        "System). Only the scores are recorded; the form is not reproduced."
    ),
)

# CORE-10: Barkham et al. (2013); norms from the CORE-10 User Manual (Connell & Barkham 2007).
_CORE_10_SOURCE = (
    "Barkham, M., Bewick, B., Mullin, T., Gilbody, S., Connell, J., Cahill, J., Mellor-Clark, "
    "J., Richards, D., Unsworth, G. & Evans, C. (2013). The CORE-10: A short measure of "
    "psychological distress for routine use in the psychological therapies. Counselling and "
    "Psychotherapy Research, 13(1), 3-13."
)
_CORE_10_RC_POINTS = 6.0
_CORE_10_ALPHA = 0.90
#: The ten item texts exactly as published; CC BY-ND 4.0 forbids any change to them.
_CORE_10_TEXTS = (
    "I have felt tense, anxious or nervous",
    "I have felt I have someone to turn to for support when needed",
    "I have felt able to cope when things go wrong",
    "Talking to people has felt too much for me",
    "I have felt panic or terror",
    "I made plans to end my life",
    "I have had difficulty getting to sleep or staying asleep",
    "I have felt despairing or hopeless",
    "I have felt unhappy",
    "Unwanted images or memories have been distressing me",
)
#: Short topic labels for lists and alerts; the full wording above is shown unaltered.
_CORE_10_LABELS = (
    "tense, anxious or nervous",
    "someone to turn to",
    "able to cope",
    "talking to people too much",
    "panic or terror",
    "plans to end my life",
    "sleep",
    "despairing or hopeless",
    "unhappy",
    "unwanted images or memories",
)
_CORE_10_REVERSED = frozenset({2, 3})  # positively worded items, scored 4 - value
_CORE_10_RISK = frozenset({6})

CORE_10 = Instrument(
    id="CORE-10",
    order=20,
    editor_title="CORE-10: distress over the past week (start of session)",
    total_name="clinical score",
    chart=LineStyle("foreground", "solid", "square", "CORE-10 clinical score"),
    cli_flag="core-10",
    version="2013",
    name="Clinical Outcomes in Routine Evaluation - 10 (CORE-10)",
    kind="outcome",
    respondent="client",
    timeframe="the past week",
    when="start",
    licence=(
        "Item wording and scoring licensed by the CORE System Trust under Creative Commons "
        "(CC BY-ND 4.0 from 2015; the Trust's page now names CC BY-NC-ND 4.0): shipped only "
        "unchanged, with the Trust's copyright line visible."
    ),
    items=tuple(
        Item(
            n,
            label,
            0,
            4,
            1,
            reverse=n in _CORE_10_REVERSED,
            risk=n in _CORE_10_RISK,
            text=text,
        )
        for n, (label, text) in enumerate(zip(_CORE_10_LABELS, _CORE_10_TEXTS, strict=True), 1)
    ),
    anchors=("Not at all", "Only occasionally", "Sometimes", "Often", "Most or all of the time"),
    subscales=(),
    # Clinical score = item mean x 10: the sum of all ten items when complete, and the
    # pro-rated score when exactly one item is missing.
    total_method=ScoreMethod.MEAN_X10,
    total_min=0,
    total_max=40,
    max_prorated_items=1,
    # The CORE-10's own bands (Barkham et al. 2013), not the CORE-OM's bands times ten that
    # some pages copy (which put 15, 20 and 25 one band too low).
    bands=(
        Band(0, 5, "Healthy"),
        Band(6, 10, "Low level"),
        Band(11, 14, "Mild"),
        Band(15, 19, "Moderate"),
        Band(20, 24, "Moderate to severe"),
        Band(25, 40, "Severe"),
    ),
    norms=Norms(
        sd=None,  # the published 6-point criterion is used as it stands (see source)
        reliability=_CORE_10_ALPHA,
        cutoff=11,
        cutoff_comparison=CutoffComparison.LT,  # below 11 is non-clinical: 11 or more is clinical
        higher_is_better=False,
        reliable_change_points=_CORE_10_RC_POINTS,
        reliable_change_source="Barkham et al. 2013, a 90% interval",
        clinical_mean=19.7,
        clinical_sd=7.7,
        functional_mean=4.7,
        functional_sd=4.8,
        source=(
            "Cut-off 11 (11 or more clinical), reliable change 6 points (a 90% interval), "
            "alpha .90, bands: " + _CORE_10_SOURCE + " Reference samples from the CORE-10 User "
            "Manual v1.0 (Connell & Barkham 2007): primary care counselling n = 1835, M 19.7, "
            "SD 7.7; general population n = 535, M 4.7, SD 4.8."
        ),
    ),
    attribution=(
        "© CORE System Trust: https://www.coresystemtrust.org.uk/copyright.pdf. Reproduced "
        "without change under the Trust's Creative Commons licence. Barkham et al. (2013), "
        "Counselling and Psychotherapy Research 13(1):3-13."
    ),
    source=_CORE_10_SOURCE,
    description=(
        "Clinical Outcomes in Routine Evaluation, 10 items (Barkham et al. 2013): ten "
        "questions on psychological distress over the past week, 0-4 each, clinical score "
        "0-40. 11 or more is in the clinical range; a change of 6 points or more is reliable "
        "(a 90% interval). Item 6 asks about plans to end one's life."
    ),
    rights=(
        "© CORE System Trust: https://www.coresystemtrust.org.uk/copyright.pdf. The "
        "questions are reproduced without change."
    ),
)


# GBO: Law (2019). Whole-number ratings match the published 0-10 scale (eleven points).
_GBO_SOURCE = "Law, D. (2019). The Goal-Based Outcome (GBO) tool: guidance notes. CC BY-NC-SA 4.0."
_GBO_MAX_GOALS = 3

GBO = Instrument(
    id="GBO",
    order=90,
    editor_title="Goals: progress towards each goal, 0-10",
    planned_by_default=True,
    text_pack_refusal="its items are the client's own goals",
    version="2019",
    name="Goal-Based Outcomes (GBO)",
    kind="goals",
    respondent="client",
    timeframe="progress towards each agreed goal now",
    when="start",
    licence=(
        "Method and 0-10 rating, CC BY-NC-SA 4.0 (Law 2019); the goals are the client's own "
        "words, entered by the therapist."
    ),
    items=tuple(
        Item(n, f"Goal {n}", 0, 10, 1, optional=True) for n in range(1, _GBO_MAX_GOALS + 1)
    ),
    anchors=(),
    subscales=(),
    total_method=ScoreMethod.MEAN,
    total_min=0,
    total_max=10,
    max_prorated_items=0,
    bands=(),
    norms=None,
    source=_GBO_SOURCE,
    description=(
        "Goal-Based Outcomes (Law 2019): up to three goals agreed with the client in their "
        "own words, each rated 0-10 for how far the client has moved towards it."
    ),
    rights="© Duncan Law, shared under Creative Commons BY-NC-SA 4.0.",
)


# PHQ-9 and GAD-7: free to reproduce, translate, display and distribute without permission
# (Pfizer's statement printed on the PHQ screeners), so their item text ships.
_PHQ_SOURCE_NOTE = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc. No permission required to reproduce, "
    "translate, display or distribute."
)
_PHQ_ANCHORS = ("Not at all", "Several days", "More than half the days", "Nearly every day")
# NHS Talking Therapies (formerly IAPT) conventions for both measures, as used by Gyani et
# al. (2013): caseness PHQ-9 10 or more and GAD-7 8 or more; reliable change a change of
# at least 6 (PHQ-9) or 4 (GAD-7) points.
_IAPT_SOURCE = (
    "Gyani, A., Shafran, R., Layard, R. & Clark, D. M. (2013). Enhancing recovery rates: "
    "Lessons from year one of IAPT. Behaviour Research and Therapy, 51(9), 597-606."
)
_PHQ_9_SOURCE = (
    "Kroenke, K., Spitzer, R. L. & Williams, J. B. W. (2001). The PHQ-9: Validity of a brief "
    "depression severity measure. Journal of General Internal Medicine, 16(9), 606-613."
)
#: The nine items as printed on the PHQ-9 (Pfizer); reproduced without change.
_PHQ_9_TEXTS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
    "being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
_PHQ_9_LABELS = (
    "little interest or pleasure",
    "down, depressed or hopeless",
    "sleep",
    "tired or little energy",
    "appetite",
    "feeling bad about yourself",
    "concentrating",
    "slowed down or restless",
    "better off dead or self-harm",
)
_PHQ_9_RISK = frozenset({9})
#: The tenth question, asked of anyone who marked a problem: recorded, never scored
#: (Kroenke, Spitzer & Williams 2001: it rates functional impairment, not a symptom).
_PHQ_9_DIFFICULTY = Item(
    10,
    "how difficult, not scored",
    0,
    3,
    1,
    optional=True,
    scored=False,
    text=(
        "If you checked off any problems, how difficult have these problems made it for you "
        "to do your work, take care of things at home, or get along with other people?"
    ),
    anchors=("Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"),
)

PHQ_9 = Instrument(
    id="PHQ-9",
    order=30,
    editor_title="PHQ-9: depression over the past two weeks (start of session)",
    chart=LineStyle("foreground", "solid", "diamond", "PHQ-9 total"),
    axis=(0, 30, 6),  # by 5, on the band limits (5, 10, 15, 20)
    cli_flag="phq9",
    version="2001",
    name="Patient Health Questionnaire - 9 (PHQ-9)",
    kind="outcome",
    respondent="client",
    timeframe="the past two weeks",
    when="start",
    licence=(
        "Item wording and scoring free to reproduce, translate, display and distribute, no "
        "permission needed (Pfizer's statement on the PHQ screeners)."
    ),
    items=(
        *(
            Item(n, label, 0, 3, 1, risk=n in _PHQ_9_RISK, text=text)
            for n, (label, text) in enumerate(zip(_PHQ_9_LABELS, _PHQ_9_TEXTS, strict=True), 1)
        ),
        _PHQ_9_DIFFICULTY,
    ),
    anchors=_PHQ_ANCHORS,
    subscales=(),
    total_method=ScoreMethod.SUM,
    total_min=0,
    total_max=27,
    # The published score is the sum of all nine; no pro-rating rule is part of it. A form
    # with item 9 answered is still kept (risk item), unscored, when others are missing.
    max_prorated_items=0,
    bands=(
        Band(0, 4, "Minimal"),
        Band(5, 9, "Mild"),
        Band(10, 14, "Moderate"),
        Band(15, 19, "Moderately severe"),
        Band(20, 27, "Severe"),
    ),
    norms=Norms(
        sd=None,  # the published 6-point criterion is used as it stands
        reliability=0.89,
        cutoff=10,
        cutoff_comparison=CutoffComparison.LT,  # below 10 is not a case: 10 or more is
        higher_is_better=False,
        reliable_change_points=6.0,
        reliable_change_source="NHS Talking Therapies; Gyani et al. 2013",
        source=(
            "Bands 0-4, 5-9, 10-14, 15-19, 20-27 and alpha .89: " + _PHQ_9_SOURCE + " Caseness "
            "10 or more and reliable change 6 points: " + _IAPT_SOURCE
        ),
    ),
    attribution=_PHQ_SOURCE_NOTE,
    total_decimals=0,
    source=_PHQ_9_SOURCE,
    description=(
        "Patient Health Questionnaire, 9 items (Kroenke, Spitzer & Williams 2001): the nine "
        "symptoms of depression over the past two weeks, 0-3 each, total 0-27. 10 or more is "
        "a clinical case in NHS Talking Therapies; a change of 6 points or more is reliable. "
        "Item 9 asks about thoughts of being better off dead or of self-harm; a tenth "
        "question, how difficult the problems made life, is recorded but not scored."
    ),
    rights=_PHQ_SOURCE_NOTE,
)

_GAD_7_SOURCE = (
    "Spitzer, R. L., Kroenke, K., Williams, J. B. W. & Löwe, B. (2006). A brief measure for "
    "assessing generalized anxiety disorder: The GAD-7. Archives of Internal Medicine, "
    "166(10), 1092-1097."
)
#: The seven items as printed on the GAD-7 (Pfizer); reproduced without change.
_GAD_7_TEXTS = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
)
_GAD_7_LABELS = (
    "nervous, anxious or on edge",
    "cannot stop worrying",
    "worrying too much",
    "trouble relaxing",
    "restless",
    "annoyed or irritable",
    "afraid something awful might happen",
)

GAD_7 = Instrument(
    id="GAD-7",
    order=40,
    editor_title="GAD-7: anxiety over the past two weeks (start of session)",
    chart=LineStyle("foreground", "solid", "triangle", "GAD-7 total"),
    axis=(0, 25, 5),  # by 5, on the band limits (5, 10, 15)
    cli_flag="gad7",
    version="2006",
    name="Generalized Anxiety Disorder - 7 (GAD-7)",
    kind="outcome",
    respondent="client",
    timeframe="the past two weeks",
    when="start",
    licence=PHQ_9.licence,
    items=tuple(
        Item(n, label, 0, 3, 1, text=text)
        for n, (label, text) in enumerate(zip(_GAD_7_LABELS, _GAD_7_TEXTS, strict=True), 1)
    ),
    anchors=_PHQ_ANCHORS,
    subscales=(),
    total_method=ScoreMethod.SUM,
    total_min=0,
    total_max=21,
    max_prorated_items=0,  # the published score is the sum of all seven
    bands=(
        Band(0, 4, "Minimal"),
        Band(5, 9, "Mild"),
        Band(10, 14, "Moderate"),
        Band(15, 21, "Severe"),
    ),
    norms=Norms(
        sd=None,  # the published 4-point criterion is used as it stands
        reliability=0.92,
        cutoff=8,
        cutoff_comparison=CutoffComparison.LT,  # below 8 is not a case: 8 or more is
        higher_is_better=False,
        reliable_change_points=4.0,
        reliable_change_source="NHS Talking Therapies; Gyani et al. 2013",
        source=(
            "Bands 0-4, 5-9, 10-14, 15-21 and alpha .92: " + _GAD_7_SOURCE + " Caseness 8 or "
            "more and reliable change 4 points: " + _IAPT_SOURCE
        ),
    ),
    attribution=_PHQ_SOURCE_NOTE,
    total_decimals=0,
    source=_GAD_7_SOURCE,
    description=(
        "Generalized Anxiety Disorder scale, 7 items (Spitzer et al. 2006): symptoms of "
        "anxiety over the past two weeks, 0-3 each, total 0-21. 8 or more is a clinical case "
        "in NHS Talking Therapies; a change of 4 points or more is reliable."
    ),
    rights=_PHQ_SOURCE_NOTE,
)

BUILT_IN: Mapping[str, Instrument] = MappingProxyType(
    {
        inst.id: inst
        for inst in sorted((WAI_SR, SRS, ORS, CORE_10, PHQ_9, GAD_7, GBO), key=lambda i: i.order)
    }
)


@dataclass(frozen=True)
class CustomInstrument:
    """A therapist's own instrument: every version of its definition, oldest first.

    Attributes:
        versions: The definitions, oldest first; the last is the one new sessions use.
        retired: Whether it is no longer offered for new sessions (its data stay).
    """

    versions: tuple[Instrument, ...]
    retired: bool = False

    @property
    def current(self) -> Instrument:
        return self.versions[-1]


@dataclass(frozen=True)
class _State:
    """One published state of the registry: readers take it whole (a list being worked out
    on a background thread never mixes two databases' instruments)."""

    generation: int
    custom: Mapping[str, CustomInstrument]
    current: Mapping[str, Instrument]


class _Registry:
    """Built-in instruments and the open database's own ones (``use_custom_instruments``).

    One practice database is open at a time (the window, a command), so its instruments
    are the process's; opening another replaces them, in one assignment of a new state.
    """

    def __init__(self) -> None:
        self.state = _State(0, MappingProxyType({}), BUILT_IN)

    @property
    def current(self) -> Mapping[str, Instrument]:
        return self.state.current

    @property
    def custom(self) -> Mapping[str, CustomInstrument]:
        return self.state.custom

    def replace(self, custom: Mapping[str, CustomInstrument]) -> None:
        clashes = sorted(set(custom) & set(BUILT_IN))
        if clashes:
            raise DomainError(
                f"{clashes[0]} is a built-in instrument; a custom one needs its own id."
            )
        own = dict(custom)
        merged = [*BUILT_IN.values(), *(c.current for c in own.values())]
        # Built-ins keep their places; custom ones follow theirs, then their ids.
        merged.sort(key=lambda i: (i.order, i.id not in BUILT_IN, i.id))
        self.state = _State(
            self.state.generation + 1,
            MappingProxyType(own),
            MappingProxyType({i.id: i for i in merged}),
        )


_REGISTRY = _Registry()


class _LiveInstruments(Mapping[str, Instrument]):
    """``INSTRUMENTS``: the current version of every instrument, in the registry's order."""

    def __getitem__(self, instrument_id: str) -> Instrument:
        return _REGISTRY.current[instrument_id]

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(_REGISTRY.current))

    def __len__(self) -> int:
        return len(_REGISTRY.current)

    def __contains__(self, instrument_id: object) -> bool:
        return instrument_id in _REGISTRY.current

    def __repr__(self) -> str:
        return f"INSTRUMENTS({list(_REGISTRY.current)})"


class _LiveIds(Sequence[str]):
    """A list of instrument ids worked out from the registry each time it changes."""

    def __init__(self, wanted: Callable[[Instrument], bool], *, offered_only: bool = False) -> None:
        self._wanted = wanted
        self._offered_only = offered_only
        self._cache: tuple[int, tuple[str, ...]] = (-1, ())

    def _now(self) -> tuple[str, ...]:
        cached = self._cache
        state = _REGISTRY.state  # one snapshot: its generation and its instruments agree
        if cached[0] == state.generation:
            return cached[1]
        ids = tuple(
            i.id
            for i in state.current.values()
            if self._wanted(i)
            and not (self._offered_only and i.id in state.custom and state.custom[i.id].retired)
        )
        self._cache = (state.generation, ids)  # (one assignment: never half updated)
        return ids

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return self._now()[index]

    def __len__(self) -> int:
        return len(self._now())

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __contains__(self, value: object) -> bool:
        return value in self._now()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _LiveIds):
            return self._now() == other._now()
        return self._now() == other if isinstance(other, tuple) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._now())

    def __repr__(self) -> str:
        return repr(self._now())


#: The registry: every instrument the app knows (built in, and the open database's own),
#: in the order lists, forms and reports show them, each at its current version.
#: Everything outside ``domain`` reads instruments from here (and the lists below), never
#: by naming one; a stored measurement is scored by ``instrument_for`` with its version.
INSTRUMENTS: Mapping[str, Instrument] = _LiveInstruments()
#: Alliance measures, in order (the first wins a tie between two taken at the same time).
ALLIANCE_INSTRUMENT_IDS: Sequence[str] = _LiveIds(lambda i: i.kind == "alliance")
OUTCOME_INSTRUMENT_IDS: Sequence[str] = _LiveIds(lambda i: i.kind == "outcome")
#: Questionnaires a session records item by item (everything but the goals' ratings).
QUESTIONNAIRE_IDS: Sequence[str] = _LiveIds(lambda i: i.kind != "goals")
#: What a new session may record: the questionnaires not retired, and the goals.
OFFERED_IDS: Sequence[str] = _LiveIds(lambda i: True, offered_only=True)
#: The instrument whose items are the client's own goals (rated per goal, not as a form).
GOALS_ID: str = next(i.id for i in BUILT_IN.values() if i.kind == "goals")
#: ``session add --FLAG`` → instrument id (built-ins; the therapist's own go by --json).
CLI_FLAGS: Mapping[str, str] = MappingProxyType(
    {i.cli_flag: i.id for i in BUILT_IN.values() if i.cli_flag}
)


def use_custom_instruments(custom: Mapping[str, CustomInstrument]) -> None:
    """Make these the therapist's own instruments (those of the database just opened)."""
    _REGISTRY.replace(custom)


def custom_instruments() -> Mapping[str, CustomInstrument]:
    """The therapist's own instruments now in the registry, by id."""
    return _REGISTRY.custom


def is_built_in(instrument_id: str) -> bool:
    return instrument_id in BUILT_IN


def is_retired(instrument_id: str) -> bool:
    entry = _REGISTRY.custom.get(instrument_id)
    return entry is not None and entry.retired


def scale_difference(earlier: Instrument, later: Instrument) -> str | None:
    """How ``later`` (a new version) scores on another scale than ``earlier``, in words
    ("version 2 scores from 6 to 42 and version 1 from 1 to 7"), or None when their scores
    can share one chart and be compared: the same kind and total range, the same direction
    where both have norms, and the same range for every subscale both have (a total of
    another method on the same range reads the same way).

    A chart, a reliable change or an alert compares an instrument's scores across its
    versions, so a version that changes the scale must be a new instrument instead.
    """
    new, old = f"version {later.version}", f"version {earlier.version}"
    kinds = {"alliance": "an alliance measure", "outcome": "an outcome measure"}
    if later.kind != earlier.kind:
        return (
            f"{new} is {kinds.get(later.kind, 'a goal rating')} and {old} "
            f"{kinds.get(earlier.kind, 'a goal rating')}"
        )

    def span(low: float, high: float) -> str:
        return f"from {fmt_number(low)} to {fmt_number(high)}"

    def same(a: tuple[float, float], b: tuple[float, float]) -> bool:
        return all(abs(x - y) < 1e-9 for x, y in zip(a, b, strict=True))

    later_total = (later.total_min, later.total_max)
    earlier_total = (earlier.total_min, earlier.total_max)
    if not same(later_total, earlier_total):
        return f"{new} scores {span(*later_total)} and {old} {span(*earlier_total)}"
    if (
        later.norms is not None
        and earlier.norms is not None
        and later.norms.higher_is_better != earlier.norms.higher_is_better
    ):
        better = "higher" if later.norms.higher_is_better else "lower"
        return f"a {better} score means better in {new} and worse in {old}"
    earlier_scales = {scale.key: scale for scale in earlier.subscales}
    for scale in later.subscales:
        before = earlier_scales.get(scale.key)
        if before is None:
            continue
        now_range, then_range = later.subscale_range(scale), earlier.subscale_range(before)
        if not same(now_range, then_range):
            return (
                f"its {scale.name} subscale runs {span(*now_range)} in {new} and "
                f"{span(*then_range)} in {old}"
            )
    return None


def instrument_for(instrument_id: str, version: str | None = None) -> Instrument | None:
    """The definition a stored measurement was taken with: for the practice's own
    instrument its own version (None when the registry lacks that version: scoring it with
    another would be wrong); for a built-in one, and without a version, the current one;
    None for an instrument the registry does not know."""
    state = _REGISTRY.state
    entry = state.custom.get(instrument_id)
    if entry is not None and version is not None:
        return next((i for i in entry.versions if i.version == version), None)
    return state.current.get(instrument_id)


#: A new practice's measure plan.
DEFAULT_PLAN: tuple[str, ...] = tuple(i.id for i in BUILT_IN.values() if i.planned_by_default)


def item_name_for(instrument_id: str, number: int) -> str:
    """An item named for a sentence ("CORE-10 item 6 (plans to end my life)"), or plainly
    ("X item 3") for an instrument or item the registry no longer has (a risk answer kept
    after its instrument went must still be named, never crash a list)."""
    instrument = _REGISTRY.state.current.get(instrument_id)
    if instrument is None or not 1 <= number <= len(instrument.items):
        return f"{instrument_id} item {number}"
    return instrument.item_name(number)


def anchor_words(instrument_id: str, number: int, value: float) -> str:
    """ " (Sometimes)" for an answer on an item with anchors, else ""."""
    instrument = _REGISTRY.state.current.get(instrument_id)
    if instrument is None or not 1 <= number <= len(instrument.items):
        return ""
    item = instrument.item(number)
    anchors = item.anchors or instrument.anchors
    index = round((value - item.minimum) / item.step)
    if anchors and item.step == 1 and 0 <= index < len(anchors):
        return f" ({anchors[index]})"
    return ""


def shipped_wording_credits() -> list[str]:
    """One line per instrument whose wording the app shows, with whose it is (About box)."""
    return [
        f"{i.id} item wording: {i.rights or i.attribution}"
        for i in INSTRUMENTS.values()
        if i.has_item_text
    ]


def get_instrument(instrument_id: str) -> Instrument:
    """Return the instrument with this id (built in, or the open database's own).

    Args:
        instrument_id: One of ``INSTRUMENTS``' keys, e.g. "CORE-10".

    Returns:
        The instrument definition.

    Raises:
        InstrumentNotFound: When no instrument has that id.
    """
    try:
        return INSTRUMENTS[instrument_id]
    except (KeyError, TypeError):
        raise InstrumentNotFound(
            f"There is no instrument called {instrument_id!r}; the known instruments are "
            f"{join_words(list(INSTRUMENTS))}."
        ) from None


# --------------------------------------------------------------------------------------------
# Plain-dict form for user-supplied definitions (JSON files in resources/instruments/).
# --------------------------------------------------------------------------------------------


def instrument_to_dict(instrument: Instrument) -> dict[str, Any]:
    """Convert an instrument to plain JSON-compatible data.

    Args:
        instrument: The definition.

    Returns:
        A dict that ``instrument_from_dict`` turns back into an equal instrument.
    """
    norms = instrument.norms
    return {
        "id": instrument.id,
        "version": instrument.version,
        "name": instrument.name,
        "kind": instrument.kind,
        "respondent": instrument.respondent,
        "timeframe": instrument.timeframe,
        "when": instrument.when,
        "licence": instrument.licence,
        "items": [
            {
                "number": i.number,
                "label": i.label,
                "minimum": i.minimum,
                "maximum": i.maximum,
                "step": i.step,
                "reverse": i.reverse,
                "optional": i.optional,
                "risk": i.risk,
                "text": i.text,
                "scored": i.scored,
                "anchors": list(i.anchors),
            }
            for i in instrument.items
        ],
        "anchors": list(instrument.anchors),
        "subscales": [
            {
                "key": s.key,
                "name": s.name,
                "items": list(s.items),
                "method": s.method.value,
                "tag": s.tag,
            }
            for s in instrument.subscales
        ],
        "total_method": instrument.total_method.value,
        "total_min": instrument.total_min,
        "total_max": instrument.total_max,
        "max_prorated_items": instrument.max_prorated_items,
        "bands": [{"lower": b.lower, "upper": b.upper, "label": b.label} for b in instrument.bands],
        "norms": None
        if norms is None
        else {
            "sd": norms.sd,
            "reliability": norms.reliability,
            "cutoff": norms.cutoff,
            "cutoff_comparison": norms.cutoff_comparison.value,
            "higher_is_better": norms.higher_is_better,
            "reliable_change_points": norms.reliable_change_points,
            "reliable_change_source": norms.reliable_change_source,
            "clinical_mean": norms.clinical_mean,
            "clinical_sd": norms.clinical_sd,
            "functional_mean": norms.functional_mean,
            "functional_sd": norms.functional_sd,
            "age_cutoffs": [
                {
                    "min_age": a.min_age,
                    "max_age": a.max_age,
                    "cutoff": a.cutoff,
                    "population": a.population,
                    "source": a.source,
                }
                for a in norms.age_cutoffs
            ],
            "source": norms.source,
        },
        "attribution": instrument.attribution,
        "total_decimals": instrument.total_decimals,
        "source": instrument.source,
        "description": instrument.description,
        "rights": instrument.rights,
        "order": instrument.order,
        "editor_title": instrument.editor_title,
        "total_name": instrument.total_name,
        "chart": None
        if instrument.chart is None
        else {
            "colour": instrument.chart.colour,
            "dash": instrument.chart.dash,
            "marker": instrument.chart.marker,
            "label": instrument.chart.label,
        },
        "axis": None if instrument.axis is None else list(instrument.axis),
        "cli_flag": instrument.cli_flag,
        "planned_by_default": instrument.planned_by_default,
        "offer_every": instrument.offer_every,
        "text_pack_refusal": instrument.text_pack_refusal,
        "alert_rules": [rule.value for rule in instrument.alert_rules],
    }


def instrument_from_dict(data: Mapping[str, Any]) -> Instrument:
    """Build and validate an instrument from plain data (e.g. a user's JSON definition).

    Args:
        data: The form produced by ``instrument_to_dict``.

    Returns:
        The instrument.

    Raises:
        DomainError: When a field is missing or has a value of the wrong kind.
    """
    try:
        return _instrument_from_dict(data)
    except DomainError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DomainError(
            f"The instrument definition is incomplete or malformed ({exc!s}); check it against "
            "a definition exported by the app."
        ) from None


def _choice(value: object, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise DomainError(f"The {what} {value!r} is not allowed; use one of {join_words(allowed)}.")
    return str(value)


def _opt_float(value: object) -> float | None:
    return None if value is None else _num(value)


def _num(value: object) -> float:
    if not _is_finite_real(value):
        raise DomainError(f"The value {value!r} is not a finite number; a number is required.")
    return float(value)  # type: ignore[arg-type]


def _instrument_from_dict(data: Mapping[str, Any]) -> Instrument:
    items = tuple(
        Item(
            number=int(i["number"]),
            label=str(i["label"]),
            minimum=_num(i["minimum"]),
            maximum=_num(i["maximum"]),
            step=_num(i["step"]),
            reverse=bool(i.get("reverse", False)),
            optional=bool(i.get("optional", False)),
            risk=bool(i.get("risk", False)),
            text=None if i.get("text") is None else str(i["text"]),
            scored=bool(i.get("scored", True)),
            anchors=tuple(str(a) for a in i.get("anchors", ())),
        )
        for i in data["items"]
    )
    methods = [m.value for m in ScoreMethod]
    tags: tuple[str, ...] = get_args(SubscaleTag)
    subscales = tuple(
        Subscale(
            key=str(s["key"]),
            name=str(s["name"]),
            items=tuple(int(n) for n in s["items"]),
            method=ScoreMethod(_choice(s["method"], methods, "subscale method")),
            tag=None if s.get("tag") is None else _choice(s["tag"], tags, "subscale tag"),  # type: ignore[arg-type]
        )
        for s in data.get("subscales", ())
    )
    raw_norms = data.get("norms")
    norms = None
    if raw_norms is not None:
        norms = Norms(
            sd=_opt_float(raw_norms.get("sd")),
            reliability=_num(raw_norms["reliability"]),
            cutoff=_opt_float(raw_norms.get("cutoff")),
            cutoff_comparison=CutoffComparison(
                _choice(
                    raw_norms.get("cutoff_comparison", "lt"),
                    [c.value for c in CutoffComparison],
                    "cut-off comparison",
                )
            ),
            higher_is_better=bool(raw_norms["higher_is_better"]),
            reliable_change_points=_opt_float(raw_norms.get("reliable_change_points")),
            reliable_change_source=str(raw_norms.get("reliable_change_source", "")),
            clinical_mean=_opt_float(raw_norms.get("clinical_mean")),
            clinical_sd=_opt_float(raw_norms.get("clinical_sd")),
            functional_mean=_opt_float(raw_norms.get("functional_mean")),
            functional_sd=_opt_float(raw_norms.get("functional_sd")),
            age_cutoffs=tuple(
                AgeCutoff(
                    int(a["min_age"]),
                    None if a.get("max_age") is None else int(a["max_age"]),
                    _num(a["cutoff"]),
                    str(a["population"]),
                    str(a["source"]),
                )
                for a in raw_norms.get("age_cutoffs", ())
            ),
            source=str(raw_norms["source"]),
        )
    return Instrument(
        id=str(data["id"]),
        version=str(data["version"]),
        name=str(data["name"]),
        kind=_choice(data["kind"], get_args(InstrumentKind), "kind"),  # type: ignore[arg-type]
        respondent=_choice(data["respondent"], get_args(Respondent), "respondent"),  # type: ignore[arg-type]
        timeframe=str(data["timeframe"]),
        when=_choice(data["when"], get_args(SessionMoment), "session moment"),  # type: ignore[arg-type]
        licence=str(data["licence"]),
        items=items,
        anchors=tuple(str(a) for a in data.get("anchors", ())),
        subscales=subscales,
        total_method=ScoreMethod(_choice(data["total_method"], methods, "total method")),
        total_min=_num(data["total_min"]),
        total_max=_num(data["total_max"]),
        max_prorated_items=int(data.get("max_prorated_items", 0)),
        bands=tuple(
            Band(_num(b["lower"]), _num(b["upper"]), str(b["label"])) for b in data.get("bands", ())
        ),
        norms=norms,
        attribution=None if data.get("attribution") is None else str(data["attribution"]),
        total_decimals=int(data.get("total_decimals", 1)),
        source=str(data.get("source", "")),
        description=str(data.get("description", "")),
        rights=str(data.get("rights", "")),
        order=int(data.get("order", 1000)),
        editor_title=str(data.get("editor_title", "")),
        total_name=str(data.get("total_name", "total")),
        chart=_line_style(data.get("chart")),
        axis=_axis(data.get("axis")),
        cli_flag=None if data.get("cli_flag") is None else str(data["cli_flag"]),
        planned_by_default=bool(data.get("planned_by_default", False)),
        offer_every=int(data.get("offer_every", 1)),
        text_pack_refusal=None
        if data.get("text_pack_refusal") is None
        else str(data["text_pack_refusal"]),
        alert_rules=tuple(
            AlertRule(_choice(r, [a.value for a in AlertRule], "alert rule"))
            for r in data.get("alert_rules", ())
        ),
    )


def _axis(data: Sequence[Any] | None) -> tuple[float, float, int] | None:
    if data is None:
        return None
    low, high, intervals = data
    return (_num(low), _num(high), int(intervals))


def _line_style(data: Mapping[str, Any] | None) -> LineStyle | None:
    if data is None:
        return None
    return LineStyle(
        str(data["colour"]),
        _choice(data["dash"], get_args(Dash), "chart dash"),  # type: ignore[arg-type]
        _choice(data["marker"], get_args(Marker), "chart marker"),  # type: ignore[arg-type]
        str(data["label"]),
    )
