"""Reliable and clinically significant change and its classification.

Where an instrument's reliable-change criterion is published in score points (ORS 5,
CORE-10 6), that criterion is used as it stands: a change of at least that many points is
reliable. Otherwise the reliable change index of Jacobson & Truax (1991) is computed from a
published SD and reliability. No SD is ever worked backwards from a published criterion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from alliance_desktop.domain._format import fmt_number
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import RELIABLE_CHANGE_Z, CutoffComparison, Instrument
from alliance_desktop.domain.scoring import clinical_cutoff, in_clinical_range

__all__ = [
    "ChangeAssessment",
    "ChangeClass",
    "ChangeCriterion",
    "Cutoffs",
    "ReliableChange",
    "change_criterion",
    "classify_change",
    "clinical_cutoffs",
    "reliable_change",
]

_EPS = 1e-9  # a change of exactly the published points is reliable, float noise or not


@dataclass(frozen=True)
class ReliableChange:
    """The reliable change index and the quantities it was computed from.

    Attributes:
        index: RC = (latest - first) / S_diff.
        s_diff: Standard error of the difference, sqrt(2) * SE.
        se: Standard error of measurement, SD * sqrt(1 - r).
        reliable: True when |RC| > 1.96.
    """

    index: float
    s_diff: float
    se: float
    reliable: bool


@dataclass(frozen=True)
class Cutoffs:
    """Jacobson & Truax's three clinical-significance cut-offs.

    Attributes:
        a: Two SDs beyond the dysfunctional mean, towards health.
        b: Two SDs beyond the functional mean, towards dysfunction.
        c: The point equally likely to belong to either population.
    """

    a: float
    b: float
    c: float


class ChangeClass(StrEnum):
    """How a client's score moved between two ratings."""

    RECOVERED = "recovered"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    DETERIORATED = "deteriorated"


@dataclass(frozen=True)
class ChangeCriterion:
    """How far a score must move to count as reliable change on an instrument.

    Attributes:
        points: A change of at least this many points is reliable (published), or the
            1.96 x S_diff a published SD and reliability give (computed).
        published: True when ``points`` is the published criterion, used as it stands.
        source: Where the criterion (or the SD) was published, in a few words.
        sd: The published SD the index is computed from; None with a published criterion.
        reliability: The reliability used with ``sd``; None with a published criterion.
    """

    points: float
    published: bool
    source: str
    sd: float | None = None
    reliability: float | None = None


@dataclass(frozen=True)
class ChangeAssessment:
    """A classified change, with the values used so a report can print them.

    Attributes:
        change: latest - first in score points (positive means the score went up).
        reliable: True when the change meets the criterion.
        crossed_cutoff: True when the client moved from the clinical to the non-clinical range.
        change_class: Recovered, improved, unchanged or deteriorated.
        criterion: The reliable-change criterion used, with its source.
        index: The reliable change index (Jacobson & Truax), only when it was computed from
            a published SD; None when a published criterion in points was used.
        cutoff_used: The cut-off at the latest rating, or None when the instrument has none.
    """

    change: float
    reliable: bool
    crossed_cutoff: bool
    change_class: ChangeClass
    criterion: ChangeCriterion
    index: float | None
    cutoff_used: float | None


def _finite(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DomainError(f"The {name} {value!r} is not a finite number; a number is required.")
    return float(value)


def reliable_change(first: float, latest: float, sd: float, reliability: float) -> ReliableChange:
    """Compute the reliable change index (Jacobson & Truax 1991; Christensen & Mendoza 1986).

    SE = SD * sqrt(1 - r); S_diff = sqrt(2) * SE; RC = (latest - first) / S_diff; the change
    is reliable when |RC| > 1.96.

    Args:
        first: First (baseline) score.
        latest: Latest score.
        sd: Standard deviation of the reference sample, above 0.
        reliability: Reliability of the measure, at least 0 and below 1.

    Returns:
        The index and its parts.

    Raises:
        DomainError: When a value is not finite, sd is not above 0 or r is outside [0, 1).
    """
    first = _finite("first score", first)
    latest = _finite("latest score", latest)
    sd = _finite("standard deviation", sd)
    reliability = _finite("reliability", reliability)
    if sd <= 0:
        raise DomainError(f"The standard deviation is {fmt_number(sd)}; it must be above 0.")
    if not 0 <= reliability < 1:
        raise DomainError(
            f"The reliability is {fmt_number(reliability)}; it must be at least 0 and below 1."
        )
    se = sd * math.sqrt(1 - reliability)
    s_diff = math.sqrt(2) * se
    index = (latest - first) / s_diff
    reliable = abs(index) > RELIABLE_CHANGE_Z
    return ReliableChange(index=index, s_diff=s_diff, se=se, reliable=reliable)


def clinical_cutoffs(
    m_dys: float,
    sd_dys: float,
    m_func: float,
    sd_func: float,
    *,
    higher_is_better: bool = True,
) -> Cutoffs:
    """Compute Jacobson & Truax's clinical-significance cut-offs a, b and c.

    With higher scores better (the published convention): a = M_dys + 2 * SD_dys,
    b = M_func - 2 * SD_func. For a measure where lower is better (CORE-10), "towards
    health" points down, so a = M_dys - 2 * SD_dys and b = M_func + 2 * SD_func. In both
    cases c = (SD_dys * M_func + SD_func * M_dys) / (SD_dys + SD_func): the SD-weighted
    point between the two means, which does not depend on direction.

    Args:
        m_dys: Mean of the dysfunctional (clinical) sample.
        sd_dys: SD of the dysfunctional sample, above 0.
        m_func: Mean of the functional (non-clinical) sample.
        sd_func: SD of the functional sample, above 0.
        higher_is_better: Direction of the scale.

    Returns:
        The cut-offs.

    Raises:
        DomainError: When a value is not finite or an SD is not above 0.
    """
    m_dys = _finite("clinical mean", m_dys)
    sd_dys = _finite("clinical standard deviation", sd_dys)
    m_func = _finite("functional mean", m_func)
    sd_func = _finite("functional standard deviation", sd_func)
    if sd_dys <= 0 or sd_func <= 0:
        raise DomainError(
            f"The standard deviations are {fmt_number(sd_dys)} and {fmt_number(sd_func)}; "
            "both must be above 0."
        )
    sign = 1.0 if higher_is_better else -1.0
    return Cutoffs(
        a=m_dys + sign * 2 * sd_dys,
        b=m_func - sign * 2 * sd_func,
        c=(sd_dys * m_func + sd_func * m_dys) / (sd_dys + sd_func),
    )


def change_criterion(instrument: Instrument) -> ChangeCriterion | None:
    """The reliable-change criterion of an instrument, or None when nothing is published."""
    norms = instrument.norms
    if norms is None:
        return None
    if norms.reliable_change_points is not None:
        return ChangeCriterion(
            norms.reliable_change_points, True, norms.reliable_change_source or norms.source
        )
    if norms.sd is not None:
        s_diff = reliable_change(0, 0, norms.sd, norms.reliability).s_diff
        return ChangeCriterion(
            RELIABLE_CHANGE_Z * s_diff, False, norms.source, norms.sd, norms.reliability
        )
    return None


def classify_change(
    instrument: Instrument,
    first: float,
    latest: float,
    *,
    comparison: CutoffComparison | None = None,
    first_age: int | None = None,
    latest_age: int | None = None,
) -> ChangeAssessment:
    """Classify the change between a first and a latest total on an instrument.

    Recovered: reliable improvement and a move from the clinical to the non-clinical range.
    Improved: reliable improvement without that crossing. Deteriorated: reliable worsening.
    Unchanged: anything else. "Improvement" follows ``norms.higher_is_better``. With a
    published criterion in points (ORS 5, CORE-10 6) a change of at least that many points
    is reliable; otherwise |RC| > 1.96 with the published SD and reliability.

    Args:
        instrument: The instrument, whose norms supply the criterion, cut-off and direction.
        first: First total.
        latest: Latest total.
        comparison: Whether a score equal to the cut-off counts as below it (the practice's
            setting for SRS and ORS); the instrument's own when None.
        first_age: The client's age at the first rating, for cut-offs that differ by age.
        latest_age: The client's age at the latest rating.

    Returns:
        The assessment, including the values used.

    Raises:
        DomainError: When the instrument has no published criterion or SD, or a score is
            not a finite number.
    """
    norms = instrument.norms
    criterion = change_criterion(instrument)
    if norms is None or criterion is None:
        raise DomainError(
            f"{instrument.id} has no published reliable-change criterion, so change on it "
            "cannot be classified; use an outcome measure such as ORS or CORE-10."
        )
    first = _finite("first score", first)
    latest = _finite("latest score", latest)
    change = round(latest - first, 9)  # drop float noise such as 4.8999999999
    index: float | None = None
    if criterion.published:
        reliable = abs(change) >= criterion.points - _EPS
    else:
        assert criterion.sd is not None and criterion.reliability is not None
        rc = reliable_change(first, latest, criterion.sd, criterion.reliability)
        index, reliable = rc.index, rc.reliable
    better = change > 0 if norms.higher_is_better else change < 0
    crossed = in_clinical_range(instrument, first, comparison, age=first_age) is True and (
        in_clinical_range(instrument, latest, comparison, age=latest_age) is False
    )
    if reliable and better:
        change_class = ChangeClass.RECOVERED if crossed else ChangeClass.IMPROVED
    elif reliable:
        change_class = ChangeClass.DETERIORATED
    else:
        change_class = ChangeClass.UNCHANGED
    cutoff = clinical_cutoff(instrument, latest_age)
    return ChangeAssessment(
        change=change,
        reliable=reliable,
        crossed_cutoff=crossed,
        change_class=change_class,
        criterion=criterion,
        index=index,
        cutoff_used=cutoff.value if cutoff else None,
    )
