"""Chart series for one client: the numbers the screen charts and the PDF report both draw.

Qt-free on purpose. ``client_charts`` turns a client's sessions into one ``InstrumentChart``
per alliance and outcome measure (points, cut-off, reliable-change band, change
classification) plus the rupture markers, scoring every form with ``scoring.score`` and
classifying change with ``change.classify_change``, so a chart can never disagree with the
alerts, the session list or the report. ``STYLES`` fixes each line's colour (Okabe-Ito),
dash and marker, so goal, task and bond look the same on screen and on paper.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from alliance_desktop.domain._format import fmt_number
from alliance_desktop.domain.alerts import AlertSettings
from alliance_desktop.domain.change import ChangeAssessment, change_criterion, classify_change
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    ALLIANCE_INSTRUMENT_IDS,
    INSTRUMENTS,
    OUTCOME_INSTRUMENT_IDS,
    CutoffComparison,
    Instrument,
    LineStyle,
    instrument_for,
)
from alliance_desktop.domain.scoring import (
    CutoffChoice,
    Score,
    age_on,
    check_form,
    clinical_cutoff,
    in_clinical_range,
    is_below_cutoff,
)
from alliance_desktop.domain.vocabulary import RuptureKind
from alliance_desktop.domain.wording import change_sentence, cutoff_words, score_words

__all__ = [
    "RUPTURE_KIND_WORDS",
    "STYLES",
    "ChartLine",
    "ChartPoint",
    "ChartSession",
    "ClientCharts",
    "InstrumentChart",
    "LineStyle",
    "RuptureMarker",
    "RuptureNote",
    "client_charts",
    "describe_change",
    "describe_point",
    "when",
]

# Okabe-Ito colour-blind-safe palette (UI.md). Black lines follow the theme's text colour so
# they stay visible in dark mode; every line also differs by dash and marker, for greyscale.
# An instrument's own line is part of its definition (``Instrument.line_style``); these are
# the lines every chart shares.
STYLES: Mapping[str, LineStyle] = {
    "goal": LineStyle("#E69F00", "dash", "triangle", "Goal"),
    "task": LineStyle("#56B4E9", "dashdot", "diamond", "Task"),
    "bond": LineStyle("#009E73", "dot", "pentagon", "Bond"),
    # Its words come from InstrumentChart.flag_words ("under" or "at or under" the cut-off).
    "flagged": LineStyle("#D55E00", "solid", "triangle", "Flagged rating"),
    "rupture": LineStyle("#CC79A7", "solid", "star", "Rupture"),
    "cutoff": LineStyle("#808080", "dash", "none", "Cut-off"),
    "band": LineStyle("#56B4E9", "solid", "none", "No reliable change"),
}

RUPTURE_KIND_WORDS: Mapping[RuptureKind, str] = {
    RuptureKind.WITHDRAWAL: "Withdrawal",
    RuptureKind.CONFRONTATION: "Confrontation",
}


@dataclass(frozen=True)
class RuptureNote:
    """A rupture the therapist recorded in a session, and its repair."""

    kind: RuptureKind
    description: str = ""
    repair: str = ""
    resolved: bool = False


@dataclass(frozen=True)
class ChartSession:
    """What the charts need of one session (input to ``client_charts``).

    Attributes:
        session_id: Database id, so a click on a point can open the session.
        number: Session number, 1-based.
        start: When the session started (the x value in date mode).
        attended: Only attended sessions carry ratings.
        measurements: (instrument id, raw item values) for each completed form.
        ruptures: Ruptures recorded in the session.
        versions: The definition version of each of ``measurements`` (a therapist's own
            instrument may have been edited since); empty or shorter means the current.
    """

    session_id: int | None
    number: int
    start: datetime
    attended: bool
    measurements: tuple[tuple[str, tuple[float | None, ...]], ...] = ()
    ruptures: tuple[RuptureNote, ...] = ()
    versions: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class ChartPoint:
    """One rated session on one line.

    Attributes:
        session_id: The session's database id (None in unsaved data).
        number: Session number (the x value in number mode).
        start: Session start (the x value in date mode).
        value: The plotted value (total or subscale score).
        flagged: Under the alliance cut-off (alliance totals only).
        score: The full score of the form, for the hover text.
        items: The raw item values, for the hover text.
    """

    session_id: int | None
    number: int
    start: datetime
    value: float
    flagged: bool
    score: Score
    items: tuple[float | None, ...]


@dataclass(frozen=True)
class ChartLine:
    """One line: an instrument's total or one of its subscales."""

    key: str  # the instrument id for a total, else "goal", "task" or "bond"
    style: LineStyle
    axis: Literal["total", "subscale"]
    points: tuple[ChartPoint, ...]


@dataclass(frozen=True)
class InstrumentChart:
    """Everything one chart of one instrument draws.

    Attributes:
        instrument_id: E.g. "SRS".
        title: Heading of the chart.
        kind: "alliance" or "outcome".
        y_range: The value axis: the instrument's whole range, never scaled to the data
            (``Instrument.chart_axis``).
        y_intervals: Grid intervals on that axis (and on the subscale axis, which lines up).
        subscale_range: Range of the subscale axis, when subscales are drawn.
        cutoff: The cut-off line's value, or None when the instrument has none. For a
            cut-off that follows age (ORS), the one at the latest rating; each point is
            flagged against the cut-off of its own rating.
        cutoff_label: Words for the cut-off line.
        cutoff_choice: Which cut-off that is and for whom (outcome charts).
        comparison: Whether a score at the cut-off counts as under it (the practice's).
        flag_words: What a flagged rating is, e.g. "under the cut-off" or, with the "at or
            under" setting, "at or under the cut-off" (the alerts' own wording).
        higher_is_better: Direction of the scale, for the axis title.
        lines: Total first, then subscales.
        band: (low, high) of the no-reliable-change band around the first score, clipped to
            the instrument's range.
        band_half_width: How far a score must move from the first to be reliable change
            (the published criterion in points), before clipping.
        band_label: Words for the band.
        change: First-to-latest change classification (outcome, two ratings or more).
    """

    instrument_id: str
    title: str
    kind: Literal["alliance", "outcome"]
    y_range: tuple[float, float]
    subscale_range: tuple[float, float] | None
    cutoff: float | None
    cutoff_label: str | None
    higher_is_better: bool
    lines: tuple[ChartLine, ...]
    band: tuple[float, float] | None = None
    band_half_width: float | None = None
    band_label: str | None = None
    change: ChangeAssessment | None = None
    flag_words: str = "under the cut-off"
    cutoff_choice: CutoffChoice | None = None
    comparison: CutoffComparison | None = None
    cutoff_history: str = ""
    y_intervals: int = 4

    @property
    def total(self) -> ChartLine:
        return self.lines[0]


@dataclass(frozen=True)
class RuptureMarker:
    """A session with one or more recorded ruptures."""

    session_id: int | None
    number: int
    start: datetime
    notes: tuple[RuptureNote, ...]

    def describe(self, limit: int = 300) -> str:
        """Each rupture and its repair in words (long text shortened to ``limit``)."""
        lines = []
        for note in self.notes:
            what = _sentence(_shorten(note.description, limit) or "No description")
            repair = _sentence(_shorten(note.repair, limit) or "None recorded")
            state = "Resolved." if note.resolved else "Not resolved."
            kind = RUPTURE_KIND_WORDS.get(note.kind, str(note.kind))
            lines.append(f"{kind}: {what} Repair: {repair} {state}")
        return "\n".join(lines)


@dataclass(frozen=True)
class ClientCharts:
    """All of one client's charts, sharing one x range so they line up."""

    alliance: tuple[InstrumentChart, ...]
    outcome: tuple[InstrumentChart, ...]
    ruptures: tuple[RuptureMarker, ...]
    first_session: ChartSession | None
    last_session: ChartSession | None
    #: Forms kept incomplete (no total, never plotted): (session number, instrument, score).
    incomplete: tuple[tuple[int, str, Score], ...] = ()

    def totals_by_session(self) -> dict[int, dict[str, float]]:
        """Session number -> {instrument id: total} of every plotted rating.

        The session list shows these, so each form is scored once for list and chart alike.
        """
        totals: dict[int, dict[str, float]] = {}
        for chart in (*self.alliance, *self.outcome):
            for point in chart.total.points:
                totals.setdefault(point.number, {})[chart.instrument_id] = point.value
        return totals

    def results_by_session(self) -> dict[int, dict[str, Score]]:
        """Session number -> {instrument id: score} of every form, incomplete ones included."""
        results: dict[int, dict[str, Score]] = {}
        for chart in (*self.alliance, *self.outcome):
            for point in chart.total.points:
                results.setdefault(point.number, {})[chart.instrument_id] = point.score
        for number, instrument_id, result in self.incomplete:
            results.setdefault(number, {}).setdefault(instrument_id, result)
        return results

    def chart(self, instrument_id: str) -> InstrumentChart | None:
        """The chart of one instrument, if the client has ratings on it."""
        for chart in (*self.alliance, *self.outcome):
            if chart.instrument_id == instrument_id:
                return chart
        return None


def _sentence(text: str) -> str:
    """``text`` closed with a full stop unless the therapist already closed it."""
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def when(moment: datetime) -> str:
    """A session's date and time as the hover texts give them (two can share a day)."""
    return moment.isoformat(" ", timespec="minutes")  # strftime drops a year's zeros


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def client_charts(
    sessions: Sequence[ChartSession],
    settings: AlertSettings | None = None,
    *,
    date_of_birth: date | None = None,
) -> ClientCharts:
    """Build every chart of one client from their sessions.

    Only attended sessions are plotted (cancelled and no-show sessions cannot carry ratings);
    a form that cannot be scored (an incomplete one) is left out, as it is from the alerts.
    When one session holds two forms of the same instrument, the later one counts, as in
    the session list.

    Args:
        sessions: The client's sessions, in any order.
        settings: The practice's alert settings (defaults when None); the SRS cut-off
            line and the "under the cut-off" marks follow them, so the chart agrees with
            the alerts, as does whether an ORS of exactly its cut-off is clinical.
        date_of_birth: The client's, for the ORS cut-off that follows age; None uses the
            adult cut-off (and the label says so).

    Returns:
        The charts, alliance measures first (SRS, WAI-SR), then outcome (ORS, CORE-10).
    """
    settings = settings or AlertSettings()
    ordered = sorted(sessions, key=lambda s: (s.number, s.start))
    scored: dict[str, list[tuple[ChartSession, Score, tuple[float | None, ...]]]] = {}
    incomplete: list[tuple[int, str, Score]] = []
    for session in ordered:
        if not session.attended:
            continue
        latest: dict[str, tuple[Score, tuple[float | None, ...]]] = {}
        for index, (instrument_id, values) in enumerate(session.measurements):
            version = session.versions[index] if index < len(session.versions) else None
            instrument = instrument_for(instrument_id, version)
            if instrument is None:
                continue
            try:
                result = check_form(instrument, values)
            except DomainError:
                continue
            if result.total is not None:
                latest[instrument_id] = (result, values)
            else:
                incomplete.append((session.number, instrument_id, result))
        for instrument_id, (result, values) in latest.items():
            scored.setdefault(instrument_id, []).append((session, result, values))

    alliance = tuple(
        _alliance_chart(INSTRUMENTS[i], scored[i], settings)
        for i in ALLIANCE_INSTRUMENT_IDS
        if i in scored
    )
    outcome = tuple(
        _outcome_chart(INSTRUMENTS[i], scored[i], settings, date_of_birth)
        for i in OUTCOME_INSTRUMENT_IDS
        if i in scored
    )
    ruptures = tuple(
        RuptureMarker(s.session_id, s.number, s.start, s.ruptures) for s in ordered if s.ruptures
    )
    return ClientCharts(
        alliance=alliance,
        outcome=outcome,
        ruptures=ruptures,
        first_session=ordered[0] if ordered else None,
        last_session=ordered[-1] if ordered else None,
        incomplete=tuple(incomplete),
    )


def _point(
    session: ChartSession,
    result: Score,
    values: tuple[float | None, ...],
    value: float,
    flagged: bool = False,
) -> ChartPoint:
    return ChartPoint(
        session.session_id, session.number, session.start, value, flagged, result, values
    )


def _alliance_chart(
    instrument: Instrument,
    rows: list[tuple[ChartSession, Score, tuple[float | None, ...]]],
    settings: AlertSettings,
) -> InstrumentChart:
    cutoff: float | None = None
    cutoff_label: str | None = None
    word = "under"
    if instrument.id == "SRS":
        cutoff = settings.srs_cutoff
        word = "under" if settings.srs_cutoff_comparison == "lt" else "at or under"
        cutoff_label = f"Cut-off {fmt_number(cutoff)} (alert when {word})"
    total = ChartLine(
        instrument.id,
        instrument.line_style,
        "total",
        tuple(
            _point(
                s,
                r,
                v,
                _total(r),
                cutoff is not None
                and is_below_cutoff(_total(r), cutoff, settings.srs_cutoff_comparison),
            )
            for s, r, v in rows
        ),
    )
    lines = [total]
    subscale_range: tuple[float, float] | None = None
    if instrument.id != "SRS":  # the SRS dimensions are its four items, shown on hover
        for sub in instrument.subscales:
            if sub.tag is None:
                continue
            lines.append(
                ChartLine(
                    sub.tag,
                    STYLES[sub.tag],
                    "subscale",
                    tuple(
                        _point(s, r, v, r.subscales[sub.key])
                        for s, r, v in rows
                        if sub.key in r.subscales
                    ),
                )
            )
            subscale_range = instrument.subscale_range(sub)
    return InstrumentChart(
        instrument_id=instrument.id,
        title=_title(instrument),
        kind="alliance",
        y_range=instrument.chart_axis[:2],
        y_intervals=instrument.chart_axis[2],
        subscale_range=subscale_range,
        cutoff=cutoff,
        cutoff_label=cutoff_label,
        higher_is_better=True,
        lines=tuple(lines),
        flag_words=f"{word} the cut-off",
    )


def _outcome_chart(
    instrument: Instrument,
    rows: list[tuple[ChartSession, Score, tuple[float | None, ...]]],
    settings: AlertSettings,
    date_of_birth: date | None,
) -> InstrumentChart:
    norms = instrument.norms
    higher_is_better = norms.higher_is_better if norms else True
    comparison = settings.comparison_for(instrument.id)

    def age(session: ChartSession) -> int | None:
        return age_on(date_of_birth, session.start.date()) if date_of_birth else None

    total = ChartLine(
        instrument.id,
        instrument.line_style,
        "total",
        tuple(
            _point(
                s,
                r,
                v,
                _total(r),
                bool(in_clinical_range(instrument, _total(r), comparison, age=age(s))),
            )
            for s, r, v in rows
        ),
    )
    first_age = age(rows[0][0]) if rows else None
    last_age = age(rows[-1][0]) if rows else None
    choice = clinical_cutoff(instrument, last_age)
    cutoff = choice.value if choice else None
    cutoff_label = None
    if choice is not None:
        words = cutoff_words(choice, instrument, comparison)
        cutoff_label = words[0].upper() + words[1:]
    history = _cutoff_history(instrument, rows, age)
    band: tuple[float, float] | None = None
    half: float | None = None
    band_label: str | None = None
    change: ChangeAssessment | None = None
    criterion = change_criterion(instrument)
    if criterion is not None and total.points:
        first = total.points[0].value
        half = criterion.points
        low = max(instrument.total_min, first - half)
        high = min(instrument.total_max, first + half)
        band = (low, high)
        band_label = (
            f"No reliable change: less than {fmt_number(half)} points from the first score "
            f"({fmt_number(first)})"
        )
        if len(total.points) >= 2:
            change = classify_change(
                instrument,
                first,
                total.points[-1].value,
                comparison=comparison,
                first_age=first_age,
                latest_age=last_age,
            )
    return InstrumentChart(
        instrument_id=instrument.id,
        title=_title(instrument),
        kind="outcome",
        y_range=instrument.chart_axis[:2],
        y_intervals=instrument.chart_axis[2],
        subscale_range=None,
        cutoff=cutoff,
        cutoff_label=cutoff_label,
        higher_is_better=higher_is_better,
        lines=(total,),
        band=band,
        band_half_width=half,
        band_label=band_label,
        change=change,
        cutoff_choice=choice,
        comparison=comparison,
        cutoff_history=history,
    )


def _cutoff_history(
    instrument: Instrument,
    rows: Sequence[tuple[ChartSession, Score, tuple[float | None, ...]]],
    age: Callable[[ChartSession], int | None],
) -> str:
    """Words for a cut-off that changed with the client's age during the charted sessions."""
    steps: list[tuple[int, float | None]] = []
    for session, _score, _values in rows:
        choice = clinical_cutoff(instrument, age(session))
        value = choice.value if choice else None
        if not steps or steps[-1][1] != value:
            steps.append((session.number, value))
    if len(steps) < 2:
        return ""
    parts = [
        f"{'none' if value is None else fmt_number(value)} from session {number}"
        for number, value in steps
    ]
    return "The clinical cut-off follows the client's age: " + ", ".join(parts) + "."


def _total(result: Score) -> float:
    if result.total is None:  # pragma: no cover - callers keep only scored forms
        raise DomainError(f"The {result.instrument_id} form has no total to plot.")
    return result.total


def describe_point(chart: InstrumentChart, point: ChartPoint) -> str:
    """The hover text of one rated session: date, scores, subscales and item values."""
    instrument = INSTRUMENTS[chart.instrument_id]
    result = point.score
    lines = [f"Session {point.number} · {when(point.start)}"]
    headline = f"{chart.instrument_id} total {score_words(result, instrument)}"
    if chart.kind == "alliance" and point.flagged and chart.cutoff is not None:
        headline += f" — {chart.flag_words} of {fmt_number(chart.cutoff)}"
    elif chart.kind == "outcome" and point.flagged:
        headline += " — in the clinical range"
    lines.append(headline)
    tagged = [sub for sub in instrument.subscales if sub.tag and sub.key in result.subscales]
    if tagged and chart.instrument_id != "SRS":
        lines.append(
            ", ".join(f"{sub.name} {fmt_number(result.subscales[sub.key])}" for sub in tagged)
        )
    shown = ["—" if value is None else fmt_number(value) for value in point.items]
    if len(shown) <= 4:  # SRS and ORS: their four dimension names fit on one line
        labelled = zip(instrument.items, shown, strict=False)
        lines.append("; ".join(f"{item.label} {value}" for item, value in labelled))
    else:
        lines.append(f"Items 1-{len(shown)}: " + ", ".join(shown))
    return "\n".join(lines)


def describe_change(chart: InstrumentChart) -> str:
    """First-to-latest change in words under an outcome chart, with the figures used."""
    points = chart.total.points
    if not points:
        return ""
    first = points[0]
    if chart.change is None:
        return (
            f"{chart.instrument_id}: one rating so far ({fmt_number(first.value)} in session "
            f"{first.number}); change is classified from the second rating on."
        )
    latest = points[-1]
    instrument = INSTRUMENTS[chart.instrument_id]
    cutoff = cutoff_words(chart.cutoff_choice, instrument, chart.comparison)
    text = change_sentence(
        chart.instrument_id,
        (first.value, first.number),
        (latest.value, latest.number),
        chart.change,
        cutoff if chart.cutoff_choice else "",
    )
    return f"{text} {chart.cutoff_history}".strip()


def _title(instrument: Instrument) -> str:
    """The instrument's name, led by its id unless the name already carries it."""
    if instrument.id in instrument.name:
        return instrument.name
    return f"{instrument.id} — {instrument.name}"
