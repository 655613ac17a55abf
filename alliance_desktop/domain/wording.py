"""Words about scores, in one place: severities, change classes, scores, cut-offs, criteria.

The client list, the record, the dashboard, the session editor, the charts and the PDFs all
take their words from here, so a score, an alert's severity or a change reads the same on
screen and on paper. Plain Python (the domain layer imports nothing of ours above it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from alliance_desktop.domain._format import fmt_number, plural
from alliance_desktop.domain.change import ChangeAssessment, ChangeClass, ChangeCriterion
from alliance_desktop.domain.instruments import CutoffComparison, Instrument, ScoreMethod
from alliance_desktop.domain.scoring import CutoffChoice, Score

__all__ = [
    "CHANGE_WORDS",
    "SEVERITY_RANK",
    "SEVERITY_SYMBOLS",
    "SEVERITY_WORDS",
    "URGENT_COLOUR",
    "change_sentence",
    "criterion_words",
    "cutoff_words",
    "scale_note",
    "score_cell",
    "score_words",
    "severity_rank",
]

#: The word for each alert severity, everywhere. Urgent (risk) is not a warning.
SEVERITY_WORDS: Mapping[str, str] = MappingProxyType(
    {"urgent": "Urgent", "warning": "Warning", "info": "Note"}
)
#: A sign for each severity where only text can be shown (the editor, the PDFs), so that
#: severity never rests on colour alone. DejaVu Sans (the PDFs' font) has all three:
#: a double exclamation mark, a warning sign and an information sign.
SEVERITY_SYMBOLS: Mapping[str, str] = MappingProxyType(
    {"urgent": "\u203c", "warning": "\u26a0", "info": "\u2139"}
)
#: Okabe-Ito vermillion: the colour of urgent on screen and paper, always beside its sign
#: and word, never alone.
URGENT_COLOUR = "#D55E00"
#: Sort order: urgent before warning before note; anything unknown last.
SEVERITY_RANK: Mapping[str, int] = MappingProxyType({"urgent": 0, "warning": 1, "info": 2})

CHANGE_WORDS: Mapping[ChangeClass, str] = MappingProxyType(
    {
        ChangeClass.RECOVERED: "recovered (reliable improvement into the non-clinical range)",
        ChangeClass.IMPROVED: "reliably improved",
        ChangeClass.UNCHANGED: "no reliable change",
        ChangeClass.DETERIORATED: "reliably deteriorated",
    }
)


def severity_rank(severity: object) -> int:
    """Position of a severity in reading order (unknown ones after the known)."""
    return SEVERITY_RANK.get(str(severity), len(SEVERITY_RANK))


def score_words(result: Score, instrument: Instrument) -> str:
    """A form's score in words, saying when it was pro-rated or could not be scored.

    ``"8.9, pro-rated from 9 items"``, ``"14"``, or ``"incomplete: 7 of 10 items answered,
    no score"``.
    """
    if result.total is None:
        return f"incomplete: {result.answered} of {len(instrument.items)} items answered, no score"
    text = fmt_number(result.total, instrument.total_decimals)
    if result.prorated:
        text += f", pro-rated from {plural(result.answered, 'item')}"
    return text


def score_cell(result: Score, instrument: Instrument) -> str:
    """A form's score for a narrow table cell: ``"8.9 (pro-rated)"``, ``"incomplete"``."""
    if result.total is None:
        return "incomplete"
    text = fmt_number(result.total, instrument.total_decimals)
    return f"{text} (pro-rated)" if result.prorated else text


def criterion_words(criterion: ChangeCriterion) -> str:
    """The reliable-change criterion and its source, as a report prints it.

    A published criterion is given as published; an index computed from a published SD
    names the SD and reliability it used.
    """
    if criterion.published:
        return (
            f"reliable change is a change of {fmt_number(criterion.points)} points or more "
            f"({criterion.source})"
        )
    sd = fmt_number(criterion.sd) if criterion.sd is not None else "?"
    reliability = fmt_number(criterion.reliability) if criterion.reliability is not None else "?"
    return (
        f"reliable change is an index beyond ±1.96, i.e. {fmt_number(criterion.points)} points "
        f"or more (Jacobson & Truax; SD {sd}, reliability {reliability})"
    )


def cutoff_words(
    choice: CutoffChoice | None,
    instrument: Instrument,
    comparison: CutoffComparison | None = None,
) -> str:
    """The clinical cut-off that applies, for whom, and which side of it is clinical.

    ``"clinical cut-off 28 for adolescents 13-17 (clinical: under 28)"``; with no date of
    birth, ``"clinical cut-off 25 for adults (no date of birth is recorded, so the adult
    cut-off is used; clinical: under 25)"``.
    """
    norms = instrument.norms
    if choice is None or norms is None:
        return "no clinical cut-off applies"
    value = fmt_number(choice.value)
    text = f"clinical cut-off {value}"
    if choice.population:
        text += f" for {choice.population}"
    at_or = (comparison or norms.cutoff_comparison) is CutoffComparison.LE
    if norms.higher_is_better:
        side = f"{'at or under' if at_or else 'under'} {value}"
    else:
        side = f"over {value}" if at_or else f"{value} or more"
    if choice.assumed_adult:
        return (
            f"{text} (no date of birth is recorded, so the adult cut-off is used; clinical: {side})"
        )
    return f"{text} (clinical: {side})"


def change_sentence(
    instrument_id: str,
    first: tuple[float, int],
    latest: tuple[float, int],
    assessment: ChangeAssessment,
    cutoff: str = "",
) -> str:
    """First to latest in words, with the criterion (and cut-off) the class was worked from.

    Args:
        instrument_id: E.g. "ORS".
        first: (total, session number) of the first rating.
        latest: (total, session number) of the latest rating.
        assessment: The classification.
        cutoff: ``cutoff_words`` for the latest rating, or empty to leave it out.

    Returns:
        One or two sentences.
    """
    text = (
        f"{instrument_id} from {fmt_number(first[0])} (session {first[1]}) to "
        f"{fmt_number(latest[0])} (session {latest[1]}): change {assessment.change:+g}, "
        f"{CHANGE_WORDS[assessment.change_class]}. "
    )
    parts = [criterion_words(assessment.criterion)]
    if assessment.index is not None:
        parts.append(f"reliable change index {assessment.index:.2f}")
    if cutoff:
        parts.append(cutoff)
    sentence = "; ".join(parts)
    return text + sentence[0].upper() + sentence[1:] + "."


def scale_note(instruments: Sequence[Instrument]) -> str:
    """What the numbers in a score table are, e.g. "SRS total 0-40; WAI-SR total 12-60,
    goal, task and bond subscale sums 4-20" (en dashes; no full stop)."""
    parts = []
    for instrument in instruments:
        text = instrument.range_words
        tagged = [sub for sub in instrument.subscales if sub.tag is not None]
        methods = {sub.method for sub in tagged}
        sizes = {len(sub.items) for sub in tagged}
        # Only a table's goal / task / bond columns need saying, and only when they read
        # alike (one method, one size): the WAI-SR's sums of four, a form's means.
        if instrument.kind == "alliance" and len(methods) == len(sizes) == 1 and sizes != {1}:
            low, high = instrument.subscale_range(tagged[0])
            what = "sums" if methods.pop() is ScoreMethod.SUM else "means"
            names = ", ".join(sub.name.lower() for sub in tagged[:-1])
            text += (
                f", {names} and {tagged[-1].name.lower()} subscale {what} "
                f"{fmt_number(low)}–{fmt_number(high)}"  # noqa: RUF001 (a range dash)
            )
        parts.append(text)
    return "; ".join(parts)
