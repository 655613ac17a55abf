"""Words about scores: one module says a score, a cut-off, a criterion and a severity."""

from __future__ import annotations

from alliance_desktop.domain.instruments import CORE_10, ORS, SRS, CutoffComparison
from alliance_desktop.domain.scoring import CutoffChoice, clinical_cutoff, score
from alliance_desktop.domain.wording import (
    SEVERITY_SYMBOLS,
    SEVERITY_WORDS,
    cutoff_words,
    score_cell,
    score_words,
    severity_rank,
)


def test_a_pro_rated_core10_says_so() -> None:
    result = score(CORE_10, [2, 4, 4, 1, 0, 1, 2, 3, 2, None])
    assert score_words(result, CORE_10) == "12.2, pro-rated from 9 items"
    assert score_cell(result, CORE_10) == "12.2 (pro-rated)"
    complete = score(CORE_10, [2, 4, 4, 1, 0, 1, 2, 3, 2, 3])
    assert score_words(complete, CORE_10) == "14" == score_cell(complete, CORE_10)


def test_an_incomplete_form_says_what_it_has() -> None:
    result = score(CORE_10, [None, None, None, 0, 0, 3, 0, 0, 0, 0], allow_incomplete=True)
    assert score_words(result, CORE_10) == "incomplete: 7 of 10 items answered, no score"
    assert score_cell(result, CORE_10) == "incomplete"


def test_cut_off_words_name_the_group_and_the_side() -> None:
    assert cutoff_words(clinical_cutoff(ORS, 15), ORS) == (
        "clinical cut-off 28 for adolescents 13-17 (clinical: under 28)"
    )
    assert cutoff_words(clinical_cutoff(ORS, 40), ORS, CutoffComparison.LE) == (
        "clinical cut-off 25 for adults (clinical: at or under 25)"
    )
    assert cutoff_words(clinical_cutoff(ORS, None), ORS) == (
        "clinical cut-off 25 for adults (no date of birth is recorded, so the adult cut-off "
        "is used; clinical: under 25)"
    )
    assert cutoff_words(CutoffChoice(11), CORE_10) == "clinical cut-off 11 (clinical: 11 or more)"
    assert cutoff_words(clinical_cutoff(ORS, 4), ORS) == "no clinical cut-off applies"
    assert cutoff_words(None, SRS) == "no clinical cut-off applies"


def test_severities_have_a_word_a_symbol_and_an_order() -> None:
    assert dict(SEVERITY_WORDS) == {"urgent": "Urgent", "warning": "Warning", "info": "Note"}
    assert len(set(SEVERITY_SYMBOLS.values())) == 3
    ranked = sorted(["info", "bogus", "urgent", "warning"], key=severity_rank)
    assert ranked == ["urgent", "warning", "info", "bogus"]
