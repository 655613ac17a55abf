"""Published facts about each instrument, checked against the definitions in domain.instruments."""

from __future__ import annotations

import re
from datetime import date

import pytest

from alliance_desktop.domain.errors import DomainError, InstrumentNotFound
from alliance_desktop.domain.instruments import (
    ALLIANCE_INSTRUMENT_IDS,
    CORE_10,
    GBO,
    INSTRUMENTS,
    ORS,
    OUTCOME_INSTRUMENT_IDS,
    SRS,
    WAI_SR,
    CutoffComparison,
    Instrument,
    Item,
    ScoreMethod,
    TextPack,
    get_instrument,
    instrument_from_dict,
    instrument_to_dict,
    with_text_pack,
)
from alliance_desktop.domain.scoring import CutoffChoice, age_on, clinical_cutoff

# Copied from INSTRUMENTS.md; CC BY-ND 4.0 requires the shipped text to match exactly.
CORE_10_TEXT = (
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


def test_registry_ids_and_groups() -> None:
    assert set(INSTRUMENTS) == {"WAI-SR", "SRS", "ORS", "CORE-10", "PHQ-9", "GAD-7", "GBO"}
    assert ALLIANCE_INSTRUMENT_IDS == ("SRS", "WAI-SR")
    assert OUTCOME_INSTRUMENT_IDS == ("ORS", "CORE-10", "PHQ-9", "GAD-7")
    for instrument_id, instrument in INSTRUMENTS.items():
        assert instrument.id == instrument_id
        assert get_instrument(instrument_id) is instrument
        assert instrument.licence.strip()
        assert instrument.source.strip()


def test_unknown_instrument_names_the_known_ones() -> None:
    with pytest.raises(InstrumentNotFound) as info:
        get_instrument("BDI-II")
    message = str(info.value)
    assert isinstance(info.value, DomainError)
    assert isinstance(info.value, ValueError)
    assert "BDI-II" in message
    for known in INSTRUMENTS:
        assert known in message


def test_wai_sr_key_ranges_and_anchors() -> None:
    assert len(WAI_SR.items) == 12
    assert all((i.minimum, i.maximum, i.step) == (1, 5, 1) for i in WAI_SR.items)
    assert not any(i.reverse for i in WAI_SR.items)
    key = {s.key: (s.items, s.method, s.tag) for s in WAI_SR.subscales}
    assert key == {
        "goal": ((4, 6, 8, 11), ScoreMethod.SUM, "goal"),
        "task": ((1, 2, 10, 12), ScoreMethod.SUM, "task"),
        "bond": ((3, 5, 7, 9), ScoreMethod.SUM, "bond"),
    }
    assert (WAI_SR.total_min, WAI_SR.total_max) == (12, 60)
    assert WAI_SR.anchors == ("Seldom", "Sometimes", "Fairly often", "Very often", "Always")
    assert WAI_SR.norms is None  # no published clinical cut-off
    assert WAI_SR.bands == ()  # vendor bands are not built in


def test_wai_sr_ships_labels_not_wording() -> None:
    assert WAI_SR.items[0].label == "Item 1 (Task)"
    assert WAI_SR.items[3].label == "Item 4 (Goal)"
    assert WAI_SR.items[2].label == "Item 3 (Bond)"
    assert not WAI_SR.has_item_text
    assert WAI_SR.attribution is None


@pytest.mark.parametrize(
    ("instrument", "names"),
    [
        (SRS, ("Relationship", "Goals and Topics", "Approach or Method", "Overall")),
        (ORS, ("Individually", "Interpersonally", "Socially", "Overall")),
    ],
)
def test_pcoms_dimension_names_only(instrument: Instrument, names: tuple[str, ...]) -> None:
    assert tuple(i.label for i in instrument.items) == names
    assert all((i.minimum, i.maximum, i.step) == (0, 10, 0.1) for i in instrument.items)
    assert (instrument.total_min, instrument.total_max) == (0, 40)
    assert not instrument.has_item_text
    assert instrument.anchors == ()
    assert "look-alike" in instrument.licence


def test_srs_and_ors_norms() -> None:
    assert SRS.norms is not None and ORS.norms is not None
    assert SRS.norms.cutoff == 36
    assert SRS.norms.cutoff_comparison is CutoffComparison.LT
    assert SRS.norms.higher_is_better
    assert ORS.norms.cutoff == 25
    assert ORS.norms.higher_is_better
    assert ORS.norms.reliable_change_points == 5
    # Duncan, Sparks, Miller, Bohanske & Claud (2006): 32 for children 6-12, 28 for
    # adolescents 13-17; adults 25 (INSTRUMENTS.md).
    assert [(a.min_age, a.max_age, a.cutoff) for a in ORS.norms.age_cutoffs] == [
        (6, 12, 32),
        (13, 17, 28),
        (18, None, 25),
    ]
    assert "Duncan" in ORS.norms.age_cutoffs[0].source
    assert (SRS.when, ORS.when) == ("end", "start")


def test_no_sd_is_worked_backwards_from_a_published_criterion() -> None:
    for instrument in (ORS, CORE_10):
        norms = instrument.norms
        assert norms is not None
        assert norms.sd is None  # none published; the points criterion is used as it stands
        assert norms.reliable_change_points is not None and norms.reliable_change_source
        assert "derived" not in norms.source


@pytest.mark.parametrize(
    ("age", "cutoff", "population"),
    [
        (5, None, None),  # nothing is published under 6
        (6, 32, "children 6-12"),
        (12, 32, "children 6-12"),
        (13, 28, "adolescents 13-17"),
        (17, 28, "adolescents 13-17"),
        (18, 25, "adults"),
        (70, 25, "adults"),
    ],
)
def test_ors_cut_off_by_age(age: int, cutoff: float | None, population: str | None) -> None:
    choice = clinical_cutoff(ORS, age)
    assert (choice.value if choice else None) == cutoff
    assert (choice.population if choice else None) == population


def test_ors_without_a_date_of_birth_uses_the_adult_cut_off_and_says_so() -> None:
    choice = clinical_cutoff(ORS, None)
    assert choice is not None and (choice.value, choice.assumed_adult) == (25, True)
    assert clinical_cutoff(CORE_10, None) == CutoffChoice(11)


def test_age_on_counts_whole_years_from_the_birthday() -> None:
    born = date(2012, 3, 10)
    assert age_on(born, date(2025, 3, 9)) == 12
    assert age_on(born, date(2025, 3, 10)) == 13
    leap = date(2008, 2, 29)
    assert age_on(leap, date(2026, 2, 28)) == 17 and age_on(leap, date(2026, 3, 1)) == 18


def test_core_10_definition() -> None:
    assert len(CORE_10.items) == 10
    assert all((i.minimum, i.maximum, i.step) == (0, 4, 1) for i in CORE_10.items)
    assert [i.number for i in CORE_10.items if i.reverse] == [2, 3]
    assert [i.number for i in CORE_10.items if i.risk] == [6]
    assert CORE_10.anchors == (
        "Not at all",
        "Only occasionally",
        "Sometimes",
        "Often",
        "Most or all of the time",
    )
    assert CORE_10.max_prorated_items == 1
    assert CORE_10.total_method is ScoreMethod.MEAN_X10
    assert (CORE_10.total_min, CORE_10.total_max) == (0, 40)
    norms = CORE_10.norms
    assert norms is not None
    assert norms.cutoff == 11
    assert not norms.higher_is_better
    assert norms.reliable_change_points == 6
    assert norms.reliability == 0.90
    assert "Barkham" in norms.source
    assert [(b.lower, b.upper, b.label) for b in CORE_10.bands] == [
        (0, 5, "Healthy"),
        (6, 10, "Low level"),
        (11, 14, "Mild"),
        (15, 19, "Moderate"),
        (20, 24, "Moderate to severe"),
        (25, 40, "Severe"),
    ]


def test_core_10_text_is_verbatim_with_attribution() -> None:
    assert tuple(i.text for i in CORE_10.items) == CORE_10_TEXT
    assert CORE_10.attribution is not None
    # The copyright line the Trust asks to be visible wherever the items are shown.
    assert "© CORE System Trust: https://www.coresystemtrust.org.uk/copyright.pdf" in (
        CORE_10.attribution
    )
    assert CORE_10.items[5].label == "plans to end my life"


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Healthy"),
        (5, "Healthy"),
        (6, "Low level"),
        (10, "Low level"),
        (10.6, "Low level"),
        (11, "Mild"),
        (14, "Mild"),
        (14.4, "Mild"),  # a pro-rated score between two bands stays in the lower one
        (15, "Moderate"),
        (19, "Moderate"),
        (19.9, "Moderate"),
        (20, "Moderate to severe"),
        (24, "Moderate to severe"),
        (25, "Severe"),
        (40, "Severe"),
    ],
)
def test_core_10_band_boundaries(total: float, band: str) -> None:
    assert CORE_10.band_for(total) == band


def test_gbo_definition() -> None:
    assert GBO.kind == "goals"
    assert len(GBO.items) == 3
    assert all(i.optional and (i.minimum, i.maximum, i.step) == (0, 10, 1) for i in GBO.items)
    assert GBO.total_method is ScoreMethod.MEAN
    assert (GBO.total_min, GBO.total_max) == (0, 10)
    assert GBO.anchors == ()


def test_kinds_and_respondents() -> None:
    assert {i.id: i.kind for i in INSTRUMENTS.values()} == {
        "WAI-SR": "alliance",
        "SRS": "alliance",
        "ORS": "outcome",
        "CORE-10": "outcome",
        "PHQ-9": "outcome",
        "GAD-7": "outcome",
        "GBO": "goals",
    }
    assert all(i.respondent == "client" for i in INSTRUMENTS.values())


def test_item_names_for_messages() -> None:
    assert SRS.item_name(2) == "SRS item 2 (Goals and Topics)"
    assert WAI_SR.item_name(1) == "WAI-SR item 1 (Task)"
    assert CORE_10.item_name(6) == "CORE-10 item 6 (plans to end my life)"
    with pytest.raises(DomainError, match="numbered 1 to 4"):
        SRS.item(5)


def test_text_pack_for_wai_sr_but_never_for_core_10() -> None:
    texts = tuple(f"licensed wording {n}" for n in range(1, 13))
    with_text = with_text_pack(WAI_SR, TextPack("WAI-SR", "en", texts))
    assert [i.text for i in with_text.items] == list(texts)
    assert WAI_SR.items[0].text is None  # the built-in stays wording-free
    with pytest.raises(DomainError, match="must not be altered"):
        with_text_pack(CORE_10, TextPack("CORE-10", "en", tuple("x" * 10)))
    with pytest.raises(DomainError, match="needs 12"):
        with_text_pack(WAI_SR, TextPack("WAI-SR", "en", texts[:3]))
    with pytest.raises(DomainError, match="for SRS"):
        with_text_pack(WAI_SR, TextPack("SRS", "en", texts))


@pytest.mark.parametrize("instrument", list(INSTRUMENTS.values()), ids=list(INSTRUMENTS))
def test_dict_round_trip(instrument: Instrument) -> None:
    assert instrument_from_dict(instrument_to_dict(instrument)) == instrument


def test_bad_definitions_are_refused() -> None:
    data = instrument_to_dict(SRS)
    with pytest.raises(DomainError, match="kind"):
        instrument_from_dict({**data, "kind": "mood"})
    with pytest.raises(DomainError):
        instrument_from_dict({k: v for k, v in data.items() if k != "items"})
    with pytest.raises(DomainError, match="steps"):
        Item(1, "x", 0, 10, 3)
    with pytest.raises(DomainError, match="minimum must be below"):
        Item(1, "x", 5, 5, 1)
    items = list(data["items"])
    items[1] = {**items[1], "number": 7}
    with pytest.raises(DomainError, match="numbered"):
        instrument_from_dict({**data, "items": items})


@pytest.mark.parametrize("instrument", list(INSTRUMENTS.values()), ids=list(INSTRUMENTS))
def test_every_instrument_has_words_for_a_referrer(instrument: Instrument) -> None:
    """Report notes say what the measure is and who holds its rights, for people."""
    assert instrument.description.endswith(".") and instrument.rights.endswith(".")
    for text in (instrument.description, instrument.rights):
        for developer_word in ("unclear", "CamCOPS", "OpenFIT", "ship", "app", "text pack"):
            assert not re.search(rf"\b{developer_word}\b", text, re.IGNORECASE)
