"""Reliable and clinically significant change (Jacobson & Truax 1991) and its classification."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from alliance_desktop.domain._format import fmt_number
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import RELIABLE_CHANGE_Z, Instrument
from alliance_desktop.domain.scoring import in_clinical_range

__all__ = [
    "ChangeAssessment",
    "ChangeClass",
    "Cutoffs",
    "ReliableChange",
    "classify_change",
    "clinical_cutoffs",
    "reliable_change",
]


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
class ChangeAssessment:
    """A classified change, with the values used so a report can print them.

    Attributes:
        change: latest - first in score points (positive means the score went up).
        reliable: The reliable change index.
        crossed_cutoff: True when the client moved from the clinical to the non-clinical range.
        change_class: Recovered, improved, unchanged or deteriorated.
        sd_used: SD used in the index.
        reliability_used: Reliability used in the index.
        cutoff_used: Cut-off used, or None when the instrument has none.
    """

    change: float
    reliable: ReliableChange
    crossed_cutoff: bool
    change_class: ChangeClass
    sd_used: float
    reliability_used: float
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


def classify_change(instrument: Instrument, first: float, latest: float) -> ChangeAssessment:
    """Classify the change between a first and a latest total on an instrument.

    Recovered: reliable improvement and a move from the clinical to the non-clinical range.
    Improved: reliable improvement without that crossing. Deteriorated: reliable worsening.
    Unchanged: anything else. "Improvement" follows ``norms.higher_is_better``; the built-in
    SDs are chosen so that the 1.96 rule flips exactly at each instrument's published
    reliable-change points (ORS 5, CORE-10 6).

    Args:
        instrument: The instrument, whose norms supply SD, reliability, cut-off and direction.
        first: First total.
        latest: Latest total.

    Returns:
        The assessment, including the values used.

    Raises:
        DomainError: When the instrument has no published SD for reliable change, or a
            score is not a finite number.
    """
    norms = instrument.norms
    if norms is None or norms.sd is None:
        raise DomainError(
            f"{instrument.id} has no published standard deviation and reliability, so change "
            "on it cannot be classified; use an outcome measure such as ORS or CORE-10."
        )
    rc = reliable_change(first, latest, norms.sd, norms.reliability)
    change = round(float(latest) - float(first), 9)  # drop float noise such as 4.8999999999
    better = change > 0 if norms.higher_is_better else change < 0
    crossed = in_clinical_range(instrument, first) is True and (
        in_clinical_range(instrument, latest) is False
    )
    if rc.reliable and better:
        change_class = ChangeClass.RECOVERED if crossed else ChangeClass.IMPROVED
    elif rc.reliable:
        change_class = ChangeClass.DETERIORATED
    else:
        change_class = ChangeClass.UNCHANGED
    return ChangeAssessment(
        change=change,
        reliable=rc,
        crossed_cutoff=crossed,
        change_class=change_class,
        sd_used=norms.sd,
        reliability_used=norms.reliability,
        cutoff_used=norms.cutoff,
    )
