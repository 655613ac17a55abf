"""Scoring rules: keys, reverse items, risk, pro-rating, rounding, cut-offs and error messages."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from alliance_desktop.domain.errors import DomainError, ScoringError
from alliance_desktop.domain.instruments import (
    CORE_10,
    GBO,
    ORS,
    SRS,
    WAI_SR,
    CutoffComparison,
    Instrument,
)
from alliance_desktop.domain.scoring import check_form, in_clinical_range, is_below_cutoff, score


def core10_values_for(total: int) -> list[float | None]:
    """Raw CORE-10 answers whose clinical score is ``total`` (reverse items stored raw)."""
    remaining = total
    answers: list[float | None] = []
    for item in CORE_10.items:
        keyed = min(4, remaining)
        remaining -= keyed
        answers.append(float(item.maximum - keyed) if item.reverse else float(keyed))
    assert remaining == 0
    return answers


def test_wai_sr_subscales_follow_the_published_key() -> None:
    values: list[float | None] = [0.0] * 12
    for n in (4, 6, 8, 11):
        values[n - 1] = 5
    for n in (1, 2, 10, 12):
        values[n - 1] = 1
    for n in (3, 5, 7, 9):
        values[n - 1] = 3
    result = score(WAI_SR, values)
    assert dict(result.subscales) == {"goal": 20, "task": 4, "bond": 12}
    assert result.total == 36
    assert result.item_mean == 3.0
    assert result.answered == 12
    assert not result.prorated


@pytest.mark.parametrize(("value", "subscale", "total"), [(1, 4, 12), (5, 20, 60)])
def test_wai_sr_ranges(value: int, subscale: int, total: int) -> None:
    result = score(WAI_SR, [value] * 12)
    assert set(result.subscales.values()) == {subscale}
    assert result.total == total
    assert result.item_mean == value


def test_wai_sr_needs_every_item() -> None:
    with pytest.raises(ScoringError, match=r"WAI-SR item 7 \(Bond\) is missing"):
        score(WAI_SR, [3, 3, 3, 3, 3, 3, None, 3, 3, 3, 3, 3])


def test_srs_total_has_no_float_noise() -> None:
    result = score(SRS, [8.7, 9.1, 9.0, 9.1])
    assert result.total == 35.9
    assert repr(result.total) == "35.9"
    assert score(SRS, [0.1 + 0.2, 0.7, 9.9, 10]).total == 20.9
    assert dict(score(SRS, [8.7, 9.1, 9.0, 9.1]).subscales) == {
        "bond": 8.7,
        "goal": 9.1,
        "task": 9.0,
    }


@pytest.mark.parametrize("instrument", [SRS, ORS], ids=["SRS", "ORS"])
def test_srs_ors_range(instrument: Instrument) -> None:
    assert score(instrument, [0, 0, 0, 0]).total == 0
    assert score(instrument, [10, 10, 10, 10]).total == 40


def test_error_message_is_one_clear_sentence() -> None:
    with pytest.raises(ScoringError) as info:
        score(SRS, [9, 11, 9, 9])
    assert str(info.value) == (
        "SRS item 2 (Goals and Topics) is 11; it must be between 0 and 10 in steps of 0.1."
    )


def test_srs_cutoff_comparisons_at_exactly_36() -> None:
    assert not is_below_cutoff(36, 36, CutoffComparison.LT)
    assert is_below_cutoff(36, 36, CutoffComparison.LE)
    assert is_below_cutoff(35.9, 36, CutoffComparison.LT)
    assert not is_below_cutoff(36.1, 36, CutoffComparison.LE)
    assert in_clinical_range(SRS, 36) is False
    assert in_clinical_range(SRS, 36, CutoffComparison.LE) is True
    assert in_clinical_range(SRS, 35.9) is True


def test_ors_cutoff_25() -> None:
    assert in_clinical_range(ORS, 24.9) is True
    assert in_clinical_range(ORS, 25) is False


def test_core_10_cutoff_11_lower_is_better() -> None:
    assert in_clinical_range(CORE_10, 10) is False
    assert in_clinical_range(CORE_10, 10.6) is False
    assert in_clinical_range(CORE_10, 11) is True
    assert in_clinical_range(CORE_10, 40) is True


def test_no_cutoff_means_no_answer() -> None:
    assert in_clinical_range(WAI_SR, 20) is None
    assert in_clinical_range(GBO, 2) is None


def test_core_10_reverse_items_2_and_3() -> None:
    all_zero = score(CORE_10, [0] * 10)
    assert all_zero.total == 8  # items 2 and 3 score 4 - 0 each
    positives_high = [0, 4, 4, 0, 0, 0, 0, 0, 0, 0]
    assert score(CORE_10, positives_high).total == 0
    only_item_2 = [0, 3, 4, 0, 0, 0, 0, 0, 0, 0]
    assert score(CORE_10, only_item_2).total == 1


@pytest.mark.parametrize("rating", [1, 2, 3, 4])
def test_core_10_risk_item_flagged_whatever_the_total(rating: int) -> None:
    values = [0, 4, 4, 0, 0, rating, 0, 0, 0, 0]
    result = score(CORE_10, values)
    assert result.risk_items == (6,)
    assert result.total == rating
    assert result.band == "Healthy"
    assert in_clinical_range(CORE_10, rating) is False


def test_core_10_risk_item_at_zero_not_flagged() -> None:
    assert score(CORE_10, [4, 0, 0, 4, 4, 0, 4, 4, 4, 4]).risk_items == ()


def test_core_10_prorates_one_missing_item_worked_example() -> None:
    # Answered: 2, 4->0, 4->0, 1, 0, 1, 2, 3, 2 = 11 over 9 items; 11 / 9 * 10 = 12.22...
    result = score(CORE_10, [2, 4, 4, 1, 0, 1, 2, 3, 2, None])
    assert result.prorated
    assert result.answered == 9
    assert result.total == 12.2
    assert result.item_mean == 1.22
    assert result.band == "Mild"


def test_core_10_complete_is_the_plain_sum() -> None:
    result = score(CORE_10, [2, 4, 4, 1, 0, 1, 2, 3, 2, 3])
    assert result.total == 14
    assert not result.prorated


def test_core_10_refuses_two_missing() -> None:
    with pytest.raises(ScoringError) as info:
        score(CORE_10, [None, 4, 4, 1, 0, 1, 2, 3, 2, None])
    message = str(info.value)
    assert "2 items missing" in message
    assert "items 1 and 10" in message
    assert "at most 1 item" in message


@pytest.mark.parametrize(
    ("total", "band"),
    # Barkham et al. (2013): 0-5 healthy, 6-10 low level, 11-14 mild, 15-19 moderate,
    # 20-24 moderate to severe, 25-40 severe (../shared/INSTRUMENTS.md).
    [(5, "Healthy"), (6, "Low level"), (10, "Low level"), (11, "Mild"), (14, "Mild"),
     (15, "Moderate"), (19, "Moderate"), (20, "Moderate to severe"),
     (24, "Moderate to severe"), (25, "Severe"), (40, "Severe")],
)  # fmt: skip
def test_core_10_scored_band_boundaries(total: int, band: str) -> None:
    result = score(CORE_10, core10_values_for(total))
    assert result.total == total
    assert result.band == band


def test_gbo_one_to_three_goals() -> None:
    assert score(GBO, [3]).total == 3
    assert score(GBO, [3, 4]).total == 3.5
    assert score(GBO, [3, None, 4]).total == 3.5
    assert score(GBO, [2, 3, 3]).total == 2.7
    assert not score(GBO, [3, None]).prorated
    for bad in ([], [None], [None, None, None], [1, 2, 3, 4], [5.5]):
        with pytest.raises(ScoringError):
            score(GBO, bad)


def test_other_real_numbers_are_accepted() -> None:
    values: list[Any] = [Fraction(87, 10), 9, 9, 9]
    assert score(SRS, values).total == 35.7


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ([9, 9, 9], "needs 4 answers"),
        ([9, 9, 9, 9, 9], "5 were given"),
        ([True, 9, 9, 9], "not a number"),
        (["9", 9, 9, 9], "not a number"),
        ([float("nan"), 9, 9, 9], "not a finite number"),
        ([float("inf"), 9, 9, 9], "not a finite number"),
        ([9.05, 9, 9, 9], "in steps of 0.1"),
        ([-0.1, 9, 9, 9], "between 0 and 10"),
        ([None, 9, 9, 9], "is missing"),
        ([None, None, None, None], "no answers"),
        ("9999", "list of numbers"),
        (None, "list of numbers"),
    ],
)
def test_invalid_srs_answers(values: object, fragment: str) -> None:
    with pytest.raises(ScoringError, match=fragment) as info:
        score(SRS, values)  # type: ignore[arg-type]
    assert isinstance(info.value, DomainError)
    assert str(info.value).endswith(".")


def test_huge_finite_value_is_refused_not_overflowed() -> None:
    """1.8e307 / 0.1 overflows to infinity; the range check must come first."""
    import pytest

    from alliance_desktop.domain.errors import ScoringError
    from alliance_desktop.domain.instruments import SRS
    from alliance_desktop.domain.scoring import score

    with pytest.raises(ScoringError, match="between 0 and 10"):
        score(SRS, [9.0, 9.0, 9.0, 1.797693134862316e307])


def test_core_10_with_two_missing_is_kept_as_incomplete_with_its_risk_answer() -> None:
    values = [None, 4, 4, 1, 0, 3, 2, 3, 2, None]
    result = check_form(CORE_10, values)  # CORE-10 has a risk item: incomplete forms are kept
    assert result.incomplete and result.total is None and result.band is None
    assert result.risk_items == (6,)
    assert (result.answered, result.missing) == (8, (1, 10))
    assert result.subscales == {}
    with pytest.raises(ScoringError):  # without the allowance it is still refused
        score(CORE_10, values)


def test_incomplete_forms_only_for_instruments_with_a_risk_item() -> None:
    assert CORE_10.keeps_incomplete_forms and not SRS.keeps_incomplete_forms
    with pytest.raises(ScoringError, match="missing"):
        check_form(SRS, [9, None, 9, 9])
    with pytest.raises(ScoringError, match="no answers"):
        check_form(CORE_10, [None] * 10)
    with pytest.raises(ScoringError, match="between 0 and 4"):
        check_form(CORE_10, [None, None, 5, 0, 0, 0, 0, 0, 0, 0])  # answers still checked
