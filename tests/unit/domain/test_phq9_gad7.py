"""PHQ-9 and GAD-7, built in through their definitions only (issue 19).

Figures checked against the published sources the definitions cite: bands from Kroenke,
Spitzer & Williams (2001) and Spitzer et al. (2006); caseness (PHQ-9 10 or more, GAD-7 8 or
more) and reliable change (6 and 4 points) from NHS Talking Therapies as used by Gyani et
al. (2013). The expected totals below are worked by hand, not by the code under test.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from alliance_desktop.domain.change import ChangeClass, classify_change
from alliance_desktop.domain.instruments import GAD_7, PHQ_9
from alliance_desktop.domain.risk import find_endorsements
from alliance_desktop.domain.scoring import ScoringError, check_form, in_clinical_range, score

WHEN = datetime(2026, 11, 20, 10, 0)


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
     (14, "Moderate"), (15, "Moderately severe"), (19, "Moderately severe"), (20, "Severe"),
     (27, "Severe")],
)  # fmt: skip
def test_phq9_bands_as_published(total: int, band: str) -> None:
    assert PHQ_9.band_for(total) == band


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
     (14, "Moderate"), (15, "Severe"), (21, "Severe")],
)  # fmt: skip
def test_gad7_bands_as_published(total: int, band: str) -> None:
    assert GAD_7.band_for(total) == band


def test_hand_worked_totals() -> None:
    # 1+2+3+0+1+2+0+1+0 = 10: moderate, and a case (10 or more).
    phq = score(PHQ_9, [1, 2, 3, 0, 1, 2, 0, 1, 0])
    assert (phq.total, phq.band, phq.risk_items) == (10, "Moderate", ())
    # 3+3+2+2+1+1+0 = 12: moderate.
    gad = score(GAD_7, [3, 3, 2, 2, 1, 1, 0])
    assert (gad.total, gad.band) == (12, "Moderate")
    assert score(PHQ_9, [3] * 9).total == 27
    assert score(GAD_7, [0] * 7).total == 0


def test_caseness_phq9_10_or_more_gad7_8_or_more() -> None:
    assert in_clinical_range(PHQ_9, 9, None) is False
    assert in_clinical_range(PHQ_9, 10, None) is True
    assert in_clinical_range(GAD_7, 7, None) is False
    assert in_clinical_range(GAD_7, 8, None) is True


def test_reliable_change_6_points_phq9_4_points_gad7() -> None:
    assert classify_change(PHQ_9, 18, 13).change_class is ChangeClass.UNCHANGED  # 5 points
    assert classify_change(PHQ_9, 18, 12).change_class is ChangeClass.IMPROVED  # 6, still a case
    assert classify_change(PHQ_9, 15, 9).change_class is ChangeClass.RECOVERED  # 6 and below 10
    assert classify_change(PHQ_9, 8, 14).change_class is ChangeClass.DETERIORATED
    assert classify_change(GAD_7, 12, 9).change_class is ChangeClass.UNCHANGED  # 3 points
    assert classify_change(GAD_7, 12, 8).change_class is ChangeClass.IMPROVED  # 4, still a case
    assert classify_change(GAD_7, 11, 7).change_class is ChangeClass.RECOVERED  # 4 and below 8
    assert classify_change(GAD_7, 5, 9).change_class is ChangeClass.DETERIORATED


def test_phq9_item_9_is_a_risk_item_like_core10_item_6() -> None:
    assert [i.number for i in PHQ_9.items if i.risk] == [9]
    assert not any(i.risk for i in GAD_7.items)
    answered = score(PHQ_9, [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert answered.risk_items == (9,)
    form = SimpleNamespace(
        instrument_id=PHQ_9.id, session_number=3, taken_at=WHEN, values=(0,) * 8 + (2,)
    )
    (found,) = find_endorsements([form])
    assert (found.instrument_id, found.item, found.value) == ("PHQ-9", 9, 2)


def test_an_incomplete_phq9_with_item_9_answered_is_kept_unscored() -> None:
    """The risk answer must never be lost because other answers are missing."""
    kept = check_form(PHQ_9, [None, 1, None, None, None, None, None, None, 3])
    assert kept.total is None and kept.risk_items == (9,)
    with pytest.raises(ScoringError, match="missing"):
        check_form(GAD_7, [1, None, 1, 1, 1, 1, 1])  # no risk item: refused, not kept


@pytest.mark.parametrize("bad", [4, -1, 1.5, float("nan"), "2"])
def test_answers_off_the_0_to_3_grid_are_refused(bad: object) -> None:
    with pytest.raises(ScoringError, match="PHQ-9 item 1"):
        score(PHQ_9, [bad, 0, 0, 0, 0, 0, 0, 0, 0])  # type: ignore[list-item]


def test_the_item_text_ships_unchanged_with_its_attribution() -> None:
    assert PHQ_9.items[8].text == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert GAD_7.items[0].text == "Feeling nervous, anxious, or on edge"
    assert PHQ_9.anchors == GAD_7.anchors == (
        "Not at all", "Several days", "More than half the days", "Nearly every day",
    )  # fmt: skip
    for instrument in (PHQ_9, GAD_7):
        assert instrument.has_item_text and "Pfizer" in (instrument.attribution or "")
        assert instrument.no_text_pack_because is not None  # its own wording is not replaced


def test_phq9_question_10_is_recorded_but_never_scored() -> None:
    """How difficult the problems made life: kept with the form, counted in no total."""
    ten = PHQ_9.items[9]
    assert (ten.number, ten.scored, ten.optional, ten.risk) == (10, False, True, False)
    assert ten.anchors == (
        "Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult",
    )  # fmt: skip
    nine = [1, 2, 3, 0, 1, 2, 0, 1, 1]
    assert score(PHQ_9, nine).total == 11
    for answer in (0, 3, None):  # whatever it says, the total is the nine's
        result = score(PHQ_9, [*nine, answer])
        assert (result.total, result.band) == (11, "Moderate")
    assert score(PHQ_9, [*nine, 3]).answered == 10
    with pytest.raises(ScoringError, match="PHQ-9 item 10"):
        score(PHQ_9, [*nine, 4])
    with pytest.raises(ScoringError, match="no answers"):
        score(PHQ_9, [None] * 9 + [2])  # an answer to it alone is no PHQ-9


def test_the_built_ins_read_back_as_definition_files() -> None:
    """Exported as a starting point (no CLI flag), PHQ-9 with its unscored question and its
    own anchors passes the strict reader a colleague's file goes through."""
    from dataclasses import replace

    from alliance_desktop.domain.definitions import (
        DefinitionError,
        definition_from_json,
        definition_to_json,
    )

    for instrument in (PHQ_9, GAD_7):
        plain = replace(instrument, cli_flag=None)
        assert definition_from_json(definition_to_json(plain)) == plain
    document = definition_to_json(replace(PHQ_9, cli_flag=None))
    items = document["instrument"]["items"]
    items[9]["optional"] = False
    with pytest.raises(DefinitionError, match=r"items\[9\]\.scored"):
        definition_from_json(document)
    items[9]["optional"] = True
    items[9]["anchors"] = items[9]["anchors"][:3]
    with pytest.raises(DefinitionError, match=r"items\[9\]\.anchors: 3 anchors"):
        definition_from_json(document)


def test_an_incomplete_phq9_counts_the_answers_given() -> None:
    from alliance_desktop.domain.wording import score_words

    kept = check_form(PHQ_9, [None, None, 0, 0, 0, 0, 0, 0, 1, None])
    assert score_words(kept, PHQ_9) == "incomplete: 7 of 10 items answered, no score"
