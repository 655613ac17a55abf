"""Reliable change, clinical cut-offs and change classification on hand-worked numbers."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from alliance_desktop.domain.change import (
    ChangeClass,
    change_criterion,
    classify_change,
    clinical_cutoffs,
    reliable_change,
)
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import CORE_10, GBO, ORS, SRS, WAI_SR, Instrument


def test_reliable_change_worked_example() -> None:
    # SD 7.5, r .90: SE = 7.5 x sqrt(.10) = 2.3717; S_diff = sqrt(2) x 2.3717 = 3.3541;
    # a 10-point rise gives RC = 10 / 3.3541 = 2.9814 > 1.96, so reliable.
    result = reliable_change(20, 30, 7.5, 0.9)
    assert result.se == pytest.approx(2.371708, abs=1e-6)
    assert result.s_diff == pytest.approx(3.354102, abs=1e-6)
    assert result.index == pytest.approx(2.981424, abs=1e-6)
    assert result.reliable
    # 6 points: RC = 6 / 3.3541 = 1.7889, not reliable; a fall is negative.
    smaller = reliable_change(30, 24, 7.5, 0.9)
    assert smaller.index == pytest.approx(-1.788854, abs=1e-6)
    assert not smaller.reliable


def test_reliable_change_threshold_is_strict() -> None:
    sd, r = 10.0, 0.5
    s_diff = math.sqrt(2) * sd * math.sqrt(1 - r)  # = 10
    assert s_diff == pytest.approx(10)
    assert not reliable_change(0, 19.6, sd, r).reliable  # RC = 1.96 exactly: not beyond
    assert reliable_change(0, 19.7, sd, r).reliable


@pytest.mark.parametrize(
    ("sd", "r"), [(0, 0.9), (-1, 0.9), (7.5, 1.0), (7.5, -0.1), (math.nan, 0.9), (7.5, math.inf)]
)
def test_reliable_change_validates(sd: float, r: float) -> None:
    with pytest.raises(DomainError):
        reliable_change(10, 20, sd, r)


def test_clinical_cutoffs_worked_example() -> None:
    # Dysfunctional M 20, SD 5; functional M 30, SD 4 (higher is better):
    # a = 20 + 2x5 = 30; b = 30 - 2x4 = 22; c = (5x30 + 4x20) / (5 + 4) = 230 / 9 = 25.556.
    cut = clinical_cutoffs(20, 5, 30, 4)
    assert cut.a == pytest.approx(30)
    assert cut.b == pytest.approx(22)
    assert cut.c == pytest.approx(230 / 9)


def test_clinical_cutoffs_lower_is_better_matches_core_10() -> None:
    norms = CORE_10.norms
    assert norms is not None
    assert norms.clinical_mean is not None and norms.clinical_sd is not None
    assert norms.functional_mean is not None and norms.functional_sd is not None
    cut = clinical_cutoffs(
        norms.clinical_mean,
        norms.clinical_sd,
        norms.functional_mean,
        norms.functional_sd,
        higher_is_better=False,
    )
    # a = 19.7 - 2x7.7 = 4.3; b = 4.7 + 2x4.8 = 14.3; c = (36.19 + 94.56) / 12.5 = 10.46.
    assert cut.a == pytest.approx(4.3)
    assert cut.b == pytest.approx(14.3)
    assert cut.c == pytest.approx(10.46)
    assert math.ceil(cut.c) == norms.cutoff  # the published cut-off is the next whole score


def test_clinical_cutoffs_validate() -> None:
    with pytest.raises(DomainError):
        clinical_cutoffs(20, 0, 30, 4)


@pytest.mark.parametrize(
    ("instrument", "first", "latest", "expected"),
    [
        (ORS, 20, 25, ChangeClass.RECOVERED),  # +5 reliable and crosses 25
        (ORS, 10, 15, ChangeClass.IMPROVED),  # +5 reliable, still under 25
        (ORS, 10, 14.9, ChangeClass.UNCHANGED),  # +4.9 is not reliable
        (ORS, 20, 24.9, ChangeClass.UNCHANGED),
        (ORS, 30, 25, ChangeClass.DETERIORATED),  # -5 reliable
        (ORS, 30, 25.1, ChangeClass.UNCHANGED),  # -4.9
        (CORE_10, 15, 9, ChangeClass.RECOVERED),  # -6 and from 11+ to under 11
        (CORE_10, 20, 14, ChangeClass.IMPROVED),  # -6, still clinical
        (CORE_10, 20, 14.1, ChangeClass.UNCHANGED),  # -5.9 is not reliable
        (CORE_10, 10, 16, ChangeClass.DETERIORATED),  # +6 is reliable worsening
        (CORE_10, 10, 15.9, ChangeClass.UNCHANGED),
    ],
)
def test_classification_flips_at_published_points(
    instrument: Instrument, first: float, latest: float, expected: ChangeClass
) -> None:
    result = classify_change(instrument, first, latest)
    assert result.change_class is expected
    assert result.change == pytest.approx(latest - first)
    norms = instrument.norms
    assert norms is not None
    # The published criterion, as published: no SD worked backwards, no index.
    assert result.criterion.published and result.criterion.sd is None
    assert result.criterion.points == norms.reliable_change_points
    assert result.index is None
    assert result.cutoff_used == norms.cutoff


def test_criteria_are_the_published_points_with_their_source() -> None:
    ors, core = change_criterion(ORS), change_criterion(CORE_10)
    assert ors is not None and core is not None
    assert (ors.points, ors.published) == (5, True)
    assert (core.points, core.published) == (6, True)
    assert core.source == "Barkham et al. 2013, a 90% interval"
    assert "Miller" in ors.source
    assert change_criterion(SRS) is None and change_criterion(WAI_SR) is None


def test_a_published_sd_gives_the_jacobson_truax_index() -> None:
    """A user's instrument with a published SD (and no criterion in points) uses the index."""
    norms = replace(
        ORS.norms, sd=7.5, reliability=0.9, reliable_change_points=None, source="Test source"
    )
    custom = replace(ORS, id="TEST", norms=norms)
    result = classify_change(custom, 20, 30)
    assert result.index == pytest.approx(2.981424, abs=1e-6)
    assert not result.criterion.published
    assert result.criterion.points == pytest.approx(1.96 * 3.354102, abs=1e-5)
    assert result.change_class is ChangeClass.RECOVERED


def test_the_ors_cut_off_for_crossing_follows_age() -> None:
    # 27 -> 33 is reliable (+6). For a 12-year-old (cut-off 32) it crosses: recovered; for an
    # adult (25) both are non-clinical: improved.
    assert classify_change(ORS, 27, 33, first_age=12, latest_age=12).change_class is (
        ChangeClass.RECOVERED
    )
    assert classify_change(ORS, 27, 33).change_class is ChangeClass.IMPROVED
    assert classify_change(ORS, 27, 33, latest_age=12).cutoff_used == 32


def test_crossed_cutoff_reported() -> None:
    assert classify_change(ORS, 20, 25).crossed_cutoff
    assert classify_change(ORS, 20, 24).crossed_cutoff is False
    # Crossing without reliable change is not recovery.
    slight = classify_change(ORS, 24, 26)
    assert slight.crossed_cutoff and slight.change_class is ChangeClass.UNCHANGED


@pytest.mark.parametrize("instrument", [SRS, WAI_SR, GBO], ids=["SRS", "WAI-SR", "GBO"])
def test_instruments_without_published_criterion_refuse(instrument: Instrument) -> None:
    with pytest.raises(DomainError, match="cannot be classified"):
        classify_change(instrument, 30, 35)
