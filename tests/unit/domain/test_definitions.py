"""Instrument definition files: strict reading, the JSON Schema, and scoring what is read."""

from __future__ import annotations

import copy
import itertools
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from alliance_desktop.domain.definitions import (
    FORMAT,
    FORMAT_VERSION,
    DefinitionError,
    definition_from_json,
    definition_to_json,
)
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    GBO,
    INSTRUMENTS,
    SRS,
    Instrument,
    Item,
    instrument_to_dict,
)
from alliance_desktop.domain.scoring import check_form, score

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_PATH = ROOT / "resources" / "instrument-definition.schema.json"
EXAMPLE_PATH = ROOT / "resources" / "instruments" / "example-therapist-alliance.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Every built-in but the goal ratings, as a custom definition of it would be (the flag and
#: default plan are the app's wiring of its own measures, not part of a definition).
CUSTOM_BUILTINS = [
    replace(i, cli_flag=None, planned_by_default=False)
    for i in INSTRUMENTS.values()
    if i.kind != "goals"
]


def refused(document: object) -> str:
    """The message a refused document gets (fails the test when it is accepted)."""
    with pytest.raises(DefinitionError) as caught:
        definition_from_json(document)
    message = str(caught.value)
    assert len(message) <= 300, message
    assert message.endswith("."), message
    return message


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def base() -> dict[str, Any]:
    """The example, plus bands and norms with age groups so every part can be broken."""
    doc = example()
    doc["instrument"]["bands"] = [
        {"lower": 1, "upper": 3.9, "label": "Strained"},
        {"lower": 4, "upper": 7, "label": "Sound"},
    ]
    doc["instrument"]["norms"] = {
        "reliability": 0.8,
        "cutoff": 4,
        "higher_is_better": True,
        "reliable_change_points": 1.5,
        "age_cutoffs": [
            {"min_age": 13, "max_age": 17, "cutoff": 4.5, "population": "teens", "source": "x"},
            {"min_age": 18, "cutoff": 4, "population": "adults", "source": "x"},
        ],
        "source": "Made up for a test.",
    }
    return doc


# --------------------------------------------------------------------------------------------
# Built-ins, the example file and the schema
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("instrument", CUSTOM_BUILTINS, ids=[i.id for i in CUSTOM_BUILTINS])
def test_builtins_round_trip_and_match_the_schema(instrument: Instrument) -> None:
    document = definition_to_json(instrument)
    assert document["format"] == FORMAT
    assert document["format_version"] == FORMAT_VERSION
    assert document["instrument"] == instrument_to_dict(instrument)
    through_text = json.loads(json.dumps(document))
    assert definition_from_json(through_text) == instrument
    VALIDATOR.validate(through_text)


def test_builtin_wiring_and_the_goals_kind_are_not_written_as_definitions() -> None:
    with pytest.raises(DefinitionError, match=r"instrument\.cli_flag"):
        definition_to_json(SRS)
    with pytest.raises(DefinitionError, match=r"instrument\.planned_by_default"):
        definition_to_json(replace(SRS, cli_flag=None))
    with pytest.raises(DefinitionError, match=r"instrument\.kind"):
        definition_to_json(GBO)


def test_the_schema_is_valid_draft_2020_12_and_describes_every_property() -> None:
    Draft202012Validator.check_schema(SCHEMA)

    def walk(node: object, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                yield f"{where}.{name}", sub
            for key, sub in node.items():
                yield from walk(sub, f"{where}/{key}")
        elif isinstance(node, list):
            for index, sub in enumerate(node):
                yield from walk(sub, f"{where}[{index}]")

    properties = list(walk(SCHEMA, "#"))
    assert len(properties) > 60
    for where, prop in properties:
        assert len(prop.get("description", "")) > 10, where

    def objects(node: object) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if node.get("type") == "object":
                yield node
            for sub in node.values():
                yield from objects(sub)
        elif isinstance(node, list):
            for sub in node:
                yield from objects(sub)

    for obj in objects(SCHEMA):
        assert obj["additionalProperties"] is False
    assert "the app checks" in SCHEMA["description"]


def test_the_schema_names_exactly_the_keys_instrument_to_dict_writes() -> None:
    defs = SCHEMA["$defs"]
    written = instrument_to_dict(INSTRUMENTS["ORS"])  # norms with age groups, and a chart
    core_10 = instrument_to_dict(INSTRUMENTS["CORE-10"])
    wai = instrument_to_dict(INSTRUMENTS["WAI-SR"])
    assert set(defs["instrument"]["properties"]) == set(written)
    assert set(defs["item"]["properties"]) == set(written["items"][0])
    assert set(defs["subscale"]["properties"]) == set(wai["subscales"][0])
    assert set(defs["band"]["properties"]) == set(core_10["bands"][0])
    assert set(defs["norms"]["properties"]) == set(written["norms"])
    assert set(defs["ageCutoff"]["properties"]) == set(written["norms"]["age_cutoffs"][0])
    assert set(defs["chart"]["properties"]) == set(written["chart"])


def test_the_example_definition_is_valid_and_scores() -> None:
    doc = example()
    VALIDATOR.validate(doc)
    instrument = definition_from_json(doc)
    assert instrument.id == "therapist-alliance-6"
    assert instrument.version == "1"
    assert instrument.name == "Session alliance check (therapist)"
    assert (instrument.kind, instrument.respondent, instrument.when) == (
        "alliance",
        "therapist",
        "end",
    )
    assert instrument.licence == "Written by the practice; free to share."
    assert len(instrument.items) == 6
    assert all((i.minimum, i.maximum, i.step) == (1, 7, 1) for i in instrument.items)
    assert len(instrument.anchors) == 7
    assert instrument.anchors[0] == "Not at all"
    assert instrument.anchors[-1] == "Completely"
    assert [(s.key, s.items, s.method.value, s.tag) for s in instrument.subscales] == [
        ("goal", (1, 2), "mean", "goal"),
        ("task", (3, 4), "mean", "task"),
        ("bond", (5, 6), "mean", "bond"),
    ]
    assert (instrument.total_method.value, instrument.total_min, instrument.total_max) == (
        "mean",
        1,
        7,
    )
    assert instrument.norms is None
    result = score(instrument, [7, 6, 5, 4, 3, 2])
    assert result.total == 4.5
    assert dict(result.subscales) == {"goal": 6.5, "task": 4.5, "bond": 2.5}
    written = definition_to_json(instrument)
    VALIDATOR.validate(written)
    assert definition_from_json(written) == instrument


def test_optional_keys_take_the_dataclass_defaults() -> None:
    doc = example()
    inst = doc["instrument"]
    for key in list(inst):
        if key not in {
            "id",
            "version",
            "name",
            "kind",
            "respondent",
            "timeframe",
            "when",
            "licence",
            "items",
            "total_method",
            "total_min",
            "total_max",
        }:
            del inst[key]
    for item in inst["items"]:
        del item["text"]
    VALIDATOR.validate(doc)
    instrument = definition_from_json(doc)
    assert instrument.anchors == ()
    assert instrument.subscales == ()
    assert instrument.bands == ()
    assert instrument.norms is None
    assert instrument.max_prorated_items == 0
    assert instrument.total_decimals == 1
    assert (instrument.order, instrument.offer_every, instrument.total_name) == (1000, 1, "total")
    assert (instrument.cli_flag, instrument.planned_by_default) == (None, False)
    assert (instrument.chart, instrument.axis, instrument.text_pack_refusal) == (None, None, None)
    assert not any(item.reverse or item.optional or item.risk for item in instrument.items)


def test_the_base_used_below_is_valid() -> None:
    doc = base()
    VALIDATOR.validate(doc)
    instrument = definition_from_json(doc)
    assert instrument.norms is not None
    assert len(instrument.norms.age_cutoffs) == 2


def test_definition_error_is_a_domain_error_with_a_path() -> None:
    doc = base()
    doc["instrument"]["items"][3]["maximum"] = "7"
    with pytest.raises(DomainError) as caught:
        definition_from_json(doc)
    assert isinstance(caught.value, DefinitionError)
    assert caught.value.path == "instrument.items[3].maximum"


# --------------------------------------------------------------------------------------------
# A table of bad definitions
# --------------------------------------------------------------------------------------------

DELETE = object()
HUGE = "x" * 10_000_000
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Bad:
    """One broken definition: the changes made to ``base()`` and what the message says."""

    name: str
    changes: tuple[tuple[Path_, object], ...]
    expect: tuple[str, ...]
    schema_refuses: bool = True
    special: Callable[[dict[str, Any]], None] | None = None


def bad(name: str, path: Path_, value: object, *expect: str, schema: bool = True) -> Bad:
    return Bad(name, ((path, value),), expect, schema)


def ins(*rest: str | int) -> Path_:
    """A path inside the instrument: ins("items", 0) is instrument.items[0]."""
    return ("instrument", *rest)


def _all_optional(doc: dict[str, Any]) -> None:
    for item in doc["instrument"]["items"]:
        item["optional"] = True


def _half_steps(doc: dict[str, Any]) -> None:
    for item in doc["instrument"]["items"]:
        item["step"] = 0.5
    doc["instrument"]["anchors"] = [f"point {n}" for n in range(13)]


BAD = [
    # Wrong JSON types.
    bad("number_as_text", ins("total_min"), "5", "instrument.total_min: '5' is text", "number"),
    bad("item_number_as_text", ins("items", 0, "minimum"), "1", "instrument.items[0].minimum:"),
    bad("bool_as_number", ins("items", 1, "maximum"), True, "instrument.items[1].maximum: true"),
    bad("bool_as_reliability", ins("norms", "reliability"), False, "instrument.norms.reliability"),
    bad("text_as_list", ins("anchors"), "Not at all", "instrument.anchors:", "not a list"),
    bad("text_as_items", ins("items"), "six", "instrument.items:", "not a list"),
    bad("object_as_list", ins("subscales"), {}, "instrument.subscales:", "not a list"),
    bad("number_as_name", ins("name"), 5, "instrument.name: 5 is a number, not text"),
    bad("number_as_bool", ins("items", 0, "reverse"), 1, "instrument.items[0].reverse:", "true"),
    bad("text_as_bool", ins("norms", "higher_is_better"), "true", "instrument.norms.higher_is_"),
    bad(
        "float_item_number",
        ins("items", 0, "number"),
        1.0,
        "instrument.items[0].number: 1.0 is written as a decimal number",
        schema=False,
    ),
    bad("fraction_decimals", ins("total_decimals"), 1.5, "instrument.total_decimals:"),
    bad("text_subscale_item", ins("subscales", 0, "items", 0), "1", "subscales[0].items[0]:"),
    bad("null_required", ins("licence"), None, "instrument.licence: null is given, not text"),
    bad("list_as_object", ins("norms"), [], "instrument.norms:", "not an object"),
    bad("text_as_item", ins("items", 2), "item", "instrument.items[2]:", "not an object"),
    # Values that are not finite, or absurdly large.
    bad(
        "nan", ins("total_max"), math.nan, "instrument.total_max: NaN is not a finite", schema=False
    ),
    bad(
        "infinity", ins("items", 0, "maximum"), math.inf, "items[0].maximum: Infinity", schema=False
    ),
    bad("minus_infinity", ins("total_min"), -math.inf, "total_min: -Infinity", schema=False),
    bad(
        "huge_int",
        ins("total_max"),
        10**400,
        "instrument.total_max: a number of about 400 digits is too large",
    ),
    bad("huge_float", ins("norms", "cutoff"), 1e300, "instrument.norms.cutoff:", "too large"),
    # Required keys and unknown keys.
    bad("missing_licence", ins("licence"), DELETE, "instrument: the required key 'licence'"),
    bad("missing_step", ins("items", 4, "step"), DELETE, "instrument.items[4]: the required key"),
    bad("missing_norms_source", ins("norms", "source"), DELETE, "instrument.norms: the required"),
    bad("missing_instrument", ("instrument",), DELETE, "definition: the required key 'instr"),
    bad(
        "unknown_item_key",
        ins("items", 2, "minumum"),
        1,
        "instrument.items[2]: unknown key 'minumum'",
        "did you mean 'minimum'",
    ),
    bad("unknown_instrument_key", ins("colour"), "red", "instrument: unknown key 'colour'"),
    bad("unknown_document_key", ("comment",), "hi", "definition: unknown key 'comment'"),
    bad("unknown_norms_key", ins("norms", "n"), 90, "instrument.norms: unknown key 'n'"),
    bad("unknown_age_key", ins("norms", "age_cutoffs", 1, "sex"), "f", "age_cutoffs[1]: unknown"),
    bad("huge_unknown_key", ins(HUGE), 1, "instrument: unknown key 'xxxx", "characters)"),
    # The document itself.
    bad("wrong_format", ("format",), "alliance-desktop-textpack", "format: 'alliance-desktop-t"),
    bad("format_as_number", ("format",), 1, "format: 1 is not"),
    bad("no_format", ("format",), DELETE, "definition: there is no 'format' key"),
    bad("newer_version", ("format_version",), 2, "format_version: 2 is newer"),
    bad("version_as_text", ("format_version",), "1", "format_version: '1' is not a known"),
    bad("version_as_bool", ("format_version",), True, "format_version: true"),
    bad("version_zero", ("format_version",), 0, "format_version: 0"),
    bad("no_version", ("format_version",), DELETE, "definition: the required key 'format_v"),
    bad("list_document", (), [], "definition: the document is a list"),
    bad("text_document", (), "CORE-10", "definition: the document is text"),
    bad("null_document", (), None, "definition: the document is null"),
    bad("number_document", (), 5, "definition: the document is a number"),
    bad("list_instrument", ("instrument",), [], "instrument: a list is given, not an object"),
    # Identifiers, kinds and the built-ins' wiring.
    bad("id_with_space", ins("id"), "my measure", "instrument.id: 'my measure' is not a valid id"),
    bad("id_with_slash", ins("id"), "a/b", "instrument.id: 'a/b' is not a valid id"),
    bad("id_with_dots", ins("id"), "../x", "instrument.id:"),
    bad("id_starting_with_digit", ins("id"), "6-items", "instrument.id:"),
    bad("id_too_long", ins("id"), "a" * 41, "instrument.id: the text is 41 characters long"),
    bad("empty_id", ins("id"), "", "instrument.id: the text is blank"),
    bad("version_too_long", ins("version"), "1" * 41, "instrument.version:"),
    bad(
        "version_unprintable",
        ins("version"),
        "1\u00a0",
        "instrument.version: '1\\u00a0' has unprintable",
        schema=False,
    ),
    bad("goals_kind", ins("kind"), "goals", "instrument.kind: 'goals'"),
    bad("unknown_kind", ins("kind"), "mood", "instrument.kind: 'mood' is not allowed"),
    bad("unknown_respondent", ins("respondent"), "parent", "instrument.respondent:"),
    bad("unknown_when", ins("when"), "middle", "instrument.when:"),
    bad("cli_flag", ins("cli_flag"), "mine", "instrument.cli_flag: 'mine' is set"),
    bad("planned_by_default", ins("planned_by_default"), True, "instrument.planned_by_default"),
    # Text.
    bad("huge_name", ins("name"), HUGE, "instrument.name: the text is 10,000,000 characters"),
    bad("blank_name", ins("name"), "   ", "instrument.name: the text is blank"),
    bad(
        "line_break",
        ins("items", 0, "label"),
        "Item\n1",
        "items[0].label: a line break (U+000A) at character 5",
    ),
    bad("tab", ins("timeframe"), "a\tb", "instrument.timeframe: a tab (U+0009) at character 2"),
    bad(
        "bidi_override",
        ins("name"),
        "abc\u202edcba",
        "instrument.name: a text-direction control U+202E",
    ),
    bad(
        "lone_surrogate",
        ins("licence"),
        "ok\ud800",
        "instrument.licence: an unpaired surrogate U+D800",
        schema=False,
    ),
    bad("long_item_text", ins("items", 0, "text"), "y" * 1001, "items[0].text: the text is 1,001"),
    bad(
        "empty_item_text",
        ins("items", 0, "text"),
        "",
        "instrument.items[0].text: the text is blank; write something, or null.",
    ),
    bad(
        "empty_anchor",
        ins("anchors", 3),
        " ",
        "instrument.anchors[3]: the text is blank; write something.",
    ),
    # Items.
    bad("no_items", ins("items"), [], "instrument.items: the list is empty"),
    bad(
        "too_many_items",
        ins("items"),
        [{"number": n, "label": "x", "minimum": 0, "maximum": 1, "step": 1} for n in range(1, 102)],
        "instrument.items: the list has 101 entries",
    ),
    bad(
        "duplicate_item_number",
        ins("items", 2, "number"),
        2,
        "instrument.items[2].number: 2 is also the number of items[1]",
        schema=False,
    ),
    bad(
        "item_out_of_order",
        ins("items", 2, "number"),
        5,
        "items[2].number: 5 is out of order",
        schema=False,
    ),
    bad("zero_step", ins("items", 0, "step"), 0, "instrument.items[0].step: 0 is below"),
    bad("negative_step", ins("items", 0, "step"), -1, "instrument.items[0].step: -1 is below"),
    bad(
        "step_not_dividing",
        ins("items", 0, "step"),
        4,
        "instrument.items[0].step: 4 does not divide the range 1 to 7",
        schema=False,
    ),
    Bad(
        "too_many_steps",
        (
            (ins("anchors"), DELETE),
            (ins("items", 0, "step"), 0.001),
            (ins("items", 0, "maximum"), 100),
        ),
        ("instrument.items[0].step: 0.001 makes 99,000 steps from 1 to 100",),
        schema_refuses=False,
    ),
    Bad(
        "all_optional",
        (),
        ("instrument.items: every item is optional",),
        schema_refuses=False,
        special=_all_optional,
    ),
    # Anchors.
    bad(
        "too_few_anchors",
        ins("anchors", 6),
        DELETE,
        "instrument.anchors: 6 anchors for items with",
        schema=False,
    ),
    Bad(
        "anchors_on_half_steps",
        (),
        ("instrument.anchors: the items go in steps of 0.5; anchors need steps of 1",),
        schema_refuses=False,
        special=_half_steps,
    ),
    bad(
        "anchors_with_unlike_items",
        ins("items", 5, "maximum"),
        5,
        "instrument.items[5]: runs 1 to 5 in steps of 1, unlike items[0]",
        schema=False,
    ),
    # Totals.
    bad(
        "total_min_above_max",
        ins("total_min"),
        8,
        "instrument.total_max: 7 is not above total_min",
        schema=False,
    ),
    bad(
        "total_max_too_low",
        ins("total_max"),
        6.5,
        "instrument.total_max: 6.5 is below the highest possible total 7",
        schema=False,
    ),
    bad(
        "total_min_too_high",
        ins("total_min"),
        1.5,
        "instrument.total_min: 1.5 is above the lowest possible total 1",
        schema=False,
    ),
    bad(
        "sum_range_of_a_mean",
        ins("total_method"),
        "sum",
        "instrument.total_max: 7 is below the highest possible total 42 (the sum",
        schema=False,
    ),
    bad(
        "mean_x10_range_of_a_mean",
        ins("total_method"),
        "mean_x10",
        "instrument.total_max: 7 is below the highest possible total 70 (ten times the mean",
        schema=False,
    ),
    bad("unknown_method", ins("total_method"), "median", "instrument.total_method: 'median'"),
    bad("too_many_decimals", ins("total_decimals"), 5, "instrument.total_decimals: 5 is out of"),
    bad(
        "prorating_every_item",
        ins("max_prorated_items"),
        6,
        "instrument.max_prorated_items: 6 would let every required item be missing",
        schema=False,
    ),
    bad(
        "prorating_empties_a_subscale",
        ins("max_prorated_items"),
        2,
        "instrument.subscales[0].items: subscale 'goal' has 2 required items and up to 2",
        schema=False,
    ),
    # Subscales.
    bad(
        "subscale_names_missing_item",
        ins("subscales", 2, "items", 1),
        14,
        "instrument.subscales[2].items[1]: subscale 'bond' names item 14; the instrument has 6",
        schema=False,
    ),
    bad("subscale_item_zero", ins("subscales", 0, "items", 0), 0, "subscales[0].items[0]: subsc"),
    bad(
        "subscale_item_twice",
        ins("subscales", 0, "items", 1),
        1,
        "instrument.subscales[0].items[1]: item 1 is listed twice",
    ),
    bad(
        "empty_subscale", ins("subscales", 0, "items"), [], "subscales[0].items: the list is empty"
    ),
    bad(
        "duplicate_subscale_key",
        ins("subscales", 1, "key"),
        "goal",
        "instrument.subscales[1].key: 'goal' is already the key of instrument.subscales[0]",
        schema=False,
    ),
    bad("subscale_key_case", ins("subscales", 1, "key"), "GOAL", "subscales[1].key:", schema=False),
    bad("subscale_key_space", ins("subscales", 1, "key"), "my task", "subscales[1].key: 'my task'"),
    bad("unknown_tag", ins("subscales", 1, "tag"), "trust", "instrument.subscales[1].tag: 'trust'"),
    bad(
        "duplicate_tag",
        ins("subscales", 1, "tag"),
        "goal",
        "instrument.subscales[1].tag: 'goal' already tags instrument.subscales[0]",
        schema=False,
    ),
    bad(
        "tag_on_outcome",
        ins("kind"),
        "outcome",
        "instrument.subscales[0].tag: 'goal' is set on an outcome measure",
        schema=False,
    ),
    # Bands.
    bad(
        "band_above_range",
        ins("bands", 1, "upper"),
        8,
        "instrument.bands[1].upper: 8 is outside the total range 1 to 7",
        schema=False,
    ),
    bad(
        "band_below_range",
        ins("bands", 0, "lower"),
        0,
        "instrument.bands[0].lower: 0 is outside",
        schema=False,
    ),
    bad(
        "band_upside_down",
        ins("bands", 0, "upper"),
        0.5,
        "bands[0].upper: 0.5 is below the band",
        schema=False,
    ),
    bad(
        "bands_overlap",
        ins("bands", 1, "lower"),
        3,
        "instrument.bands[1].lower: 3 is not above",
        schema=False,
    ),
    bad(
        "duplicate_band_label",
        ins("bands", 1, "label"),
        "strained ",
        "bands[1].label: 'strained",
        schema=False,
    ),
    # Norms.
    bad(
        "cutoff_out_of_range",
        ins("norms", "cutoff"),
        9,
        "instrument.norms.cutoff: 9 is outside the total range 1 to 7",
        schema=False,
    ),
    bad(
        "age_cutoff_out_of_range",
        ins("norms", "age_cutoffs", 0, "cutoff"),
        0,
        "instrument.norms.age_cutoffs[0].cutoff: 0 is outside the total range",
        schema=False,
    ),
    bad(
        "age_groups_overlap",
        ins("norms", "age_cutoffs", 1, "min_age"),
        17,
        "instrument.norms.age_cutoffs[1].min_age: 17 overlaps the previous group",
        schema=False,
    ),
    bad(
        "age_upside_down",
        ins("norms", "age_cutoffs", 0, "max_age"),
        12,
        "[0].max_age: 12 is be",
        schema=False,
    ),
    bad(
        "age_groups_without_cutoff",
        ins("norms", "cutoff"),
        None,
        "instrument.norms.cutoff: there",
        schema=False,
    ),
    bad(
        "reliability_one", ins("norms", "reliability"), 1, "instrument.norms.reliability: 1 is not"
    ),
    bad("negative_sd", ins("norms", "sd"), -2, "instrument.norms.sd: -2 is not above 0"),
    bad(
        "reliable_change_too_big",
        ins("norms", "reliable_change_points"),
        6,
        "instrument.norms.reliable_change_points: 6 is not above 0 and below",
        schema=False,
    ),
    bad("bad_comparison", ins("norms", "cutoff_comparison"), "<", "norms.cutoff_comparison: '<'"),
    bad(
        "sample_mean_out_of_range",
        ins("norms", "clinical_mean"),
        0.5,
        "instrument.norms.clinical_mean: 0.5 is outside",
        schema=False,
    ),
    # Display.
    bad("colour_name", ins("chart", "colour"), "blue", "instrument.chart.colour: 'blue' is not a"),
    bad("unknown_marker", ins("chart", "marker"), "heart", "instrument.chart.marker: 'heart'"),
    bad("axis_too_short", ins("axis"), [1, 7], "instrument.axis: the list has 2 entries"),
    bad(
        "axis_cuts_totals",
        ins("axis", 1),
        6,
        "instrument.axis[1]: 6 is below total_max 7",
        schema=False,
    ),
    bad("offer_every_zero", ins("offer_every"), 0, "instrument.offer_every: 0 is out of range"),
    bad("negative_order", ins("order"), -1, "instrument.order: -1 is out of range"),
]


# The exact wording the brief gives as an example.
BAD.append(
    Bad(
        "min_above_max",
        (
            (ins("anchors"), DELETE),
            (ins("items", 3, "minimum"), 5),
            (ins("items", 3, "maximum"), 3),
        ),
        (
            "instrument.items[3].maximum: 3 is below the minimum 5; the maximum must be above "
            "the minimum.",
        ),
        schema_refuses=False,
    )
)
BAD.append(
    Bad(
        "non_text_key",
        ((ins("items", 0, 7), "x"),),
        ("instrument.items[0]: a key is a number; every key must be text.",),
        schema_refuses=False,
    )
)


def apply(doc: Any, changes: tuple[tuple[Path_, object], ...]) -> Any:
    for path, value in changes:
        if not path:
            doc = value
            continue
        *parents, last = path
        node = doc
        for step in parents:
            node = node[step]
        if value is DELETE:
            del node[last]
        elif isinstance(node, list) and last == len(node):
            node.append(value)
        else:
            node[last] = value
    return doc


def broken(case: Bad) -> Any:
    doc = apply(base(), case.changes)
    if case.special is not None:
        case.special(doc)
    return doc


@pytest.mark.parametrize("case", BAD, ids=[c.name for c in BAD])
def test_bad_definitions_are_refused_saying_where_and_what(case: Bad) -> None:
    message = refused(broken(case))
    for words in case.expect:
        assert words in message, message
    assert message.count("x" * 61) == 0  # never more than a short excerpt of a bad value


@pytest.mark.parametrize(
    "case", [c for c in BAD if c.schema_refuses], ids=[c.name for c in BAD if c.schema_refuses]
)
def test_the_schema_refuses_what_it_can_express(case: Bad) -> None:
    assert not VALIDATOR.is_valid(broken(case))


def test_bad_case_names_are_unique() -> None:
    assert len({c.name for c in BAD}) == len(BAD)


def test_nan_and_infinity_from_pythons_json_are_refused() -> None:
    for word in ("NaN", "Infinity", "-Infinity"):
        text = json.dumps(base()).replace('"total_max": 7', f'"total_max": {word}')
        message = refused(json.loads(text))
        assert message.startswith(f"instrument.total_max: {word} is not a finite number"), message


def test_a_ten_megabyte_value_anywhere_gives_a_short_message() -> None:
    for path in (ins("name"), ins("items", 0, "label"), ins("norms", "source"), ins("total_min")):
        message = refused(apply(base(), ((path, HUGE),)))
        assert len(message) < 300
        assert "x" * 41 not in message


# --------------------------------------------------------------------------------------------
# Property tests
# --------------------------------------------------------------------------------------------

_BIDI = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
WORDS = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters=_BIDI),
    min_size=1,
    max_size=12,
).filter(lambda s: bool(s.strip()))
STEPS = (1, 2, 0.5, 0.25, 0.1)


def floor_to(value: float, decimals: int) -> float:
    return math.floor(value * 10.0**decimals + 1e-9) / 10.0**decimals


def ceil_to(value: float, decimals: int) -> float:
    return math.ceil(value * 10.0**decimals - 1e-9) / 10.0**decimals


def loose_total_range(
    items: list[dict[str, Any]], method: str, required: int
) -> tuple[float, float]:
    """A range sure to hold every total, worked out more crudely than the module does."""
    lows = [i["minimum"] for i in items]
    highs = [i["maximum"] for i in items]
    if method == "sum":
        low = min(sum(min(v, 0) for v in lows), required * min(lows))
        high = max(sum(max(v, 0) for v in highs), required * max(highs))
        return low, high
    scale = 10 if method == "mean_x10" else 1
    return scale * min(lows), scale * max(highs)


@st.composite
def valid_definitions(draw: st.DrawFn, max_items: int = 20) -> dict[str, Any]:
    """A definition that keeps every rule, with random items, subscales, bands and norms."""
    count = draw(st.integers(1, max_items))
    shared = draw(st.booleans())  # one shared 1-step scale with anchors, like a Likert form
    scale: tuple[float, float, float] | None = None
    if shared:
        bottom = draw(st.integers(-3, 3))
        scale = (bottom, bottom + draw(st.integers(1, 10)), 1)
    items: list[dict[str, Any]] = []
    for number in range(1, count + 1):
        if scale is None:
            step = draw(st.sampled_from(STEPS))
            minimum = draw(st.integers(-20, 20)) * step
            maximum = round(minimum + draw(st.integers(1, 40)) * step, 6)
            minimum = round(minimum, 6)
        else:
            minimum, maximum, step = scale
        item: dict[str, Any] = {
            "number": number,
            "label": draw(WORDS),
            "minimum": minimum,
            "maximum": maximum,
            "step": step,
        }
        for flag in ("reverse", "optional", "risk"):
            if draw(st.integers(0, 3)) == 0:
                item[flag] = True
        if draw(st.booleans()):
            item["text"] = draw(WORDS)
        items.append(item)
    keep = draw(st.integers(0, count - 1))
    items[keep].pop("optional", None)  # at least one required item
    required = [i["number"] for i in items if not i.get("optional")]

    kind = draw(st.sampled_from(["alliance", "outcome"]))
    tags = draw(st.permutations(["goal", "task", "bond"])) if kind == "alliance" else []
    subscales: list[dict[str, Any]] = []
    for index in range(draw(st.integers(0, 4))):
        numbers = draw(st.lists(st.integers(1, count), min_size=1, max_size=count, unique=True))
        if not any(n in required for n in numbers):
            numbers.append(draw(st.sampled_from(required)))
        subscale: dict[str, Any] = {
            "key": f"s{index}_{draw(st.sampled_from(['a', 'B', 'c-d']))}",
            "name": draw(WORDS),
            "items": numbers,
            "method": draw(st.sampled_from(["sum", "mean", "mean_x10"])),
        }
        if index < len(tags) and draw(st.booleans()):
            subscale["tag"] = tags[index]
        subscales.append(subscale)
    fewest = min(
        [len(required)] + [sum(n in required for n in s["items"]) for s in subscales],
    )
    prorated = draw(st.integers(0, fewest - 1))

    method = draw(st.sampled_from(["sum", "mean", "mean_x10"]))
    decimals = draw(st.integers(0, 3))
    low, high = loose_total_range(items, method, len(required))
    total_min = floor_to(low, decimals) - draw(st.integers(0, 2))
    total_max = ceil_to(high, decimals) + draw(st.integers(0, 2))

    instrument: dict[str, Any] = {
        "id": draw(st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,39}", fullmatch=True)),
        "version": draw(st.sampled_from(["1", "2024-03", "v2 draft"])),
        "name": draw(WORDS),
        "kind": kind,
        "respondent": draw(st.sampled_from(["client", "therapist"])),
        "timeframe": draw(WORDS),
        "when": draw(st.sampled_from(["start", "end"])),
        "licence": draw(WORDS),
        "items": items,
        "total_method": method,
        "total_min": total_min,
        "total_max": total_max,
        "max_prorated_items": prorated,
        "total_decimals": decimals,
    }
    if scale is not None and draw(st.booleans()):
        instrument["anchors"] = [draw(WORDS) for _ in range(round(scale[1] - scale[0]) + 1)]
    if subscales:
        instrument["subscales"] = subscales
    width = total_max - total_min
    if draw(st.booleans()):
        cuts = sorted(set(draw(st.lists(st.integers(0, 20), min_size=1, max_size=5))))
        lowers = [total_min + width * c / 21 for c in cuts]
        uppers = [*lowers[1:], total_max]
        instrument["bands"] = [
            {"lower": lo, "upper": up, "label": f"band {n}"}
            for n, (lo, up) in enumerate(zip(lowers, uppers, strict=True))
        ]
    if draw(st.booleans()):
        fraction = st.floats(0.01, 0.99)
        instrument["norms"] = {
            "reliability": draw(st.floats(0, 0.99)),
            "cutoff": total_min + width * draw(fraction),
            "higher_is_better": draw(st.booleans()),
            "reliable_change_points": width * draw(fraction),
            "sd": width * draw(fraction),
            "source": draw(WORDS),
        }
    if draw(st.booleans()):
        instrument["chart"] = {
            "colour": draw(st.sampled_from(["foreground", "#0072B2", "#e69f00"])),
            "dash": draw(st.sampled_from(["solid", "dash", "dot", "dashdot"])),
            "marker": draw(st.sampled_from(["none", "circle", "star"])),
            "label": draw(WORDS),
        }
        instrument["axis"] = [total_min, total_max, draw(st.integers(1, 20))]
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "instrument": instrument}


@st.composite
def responses(draw: st.DrawFn, instrument: Instrument) -> list[float | None]:
    """A valid form: values on each item's grid, optional items perhaps blank, and at most
    ``max_prorated_items`` required items blank."""

    def on_grid(item: Item) -> float:
        k = draw(st.integers(0, item.grid_steps))
        return item.minimum + k * item.step

    values: list[float | None] = [on_grid(item) for item in instrument.items]
    for item in instrument.items:
        if item.optional and draw(st.booleans()):
            values[item.number - 1] = None
    required = [i.number for i in instrument.items if not i.optional]
    blank = draw(
        st.lists(st.sampled_from(required), max_size=instrument.max_prorated_items, unique=True)
    )
    for number in blank:
        values[number - 1] = None
    return values


@FAST
@given(st.data())
def test_valid_definitions_are_accepted_and_every_valid_form_scores_within_range(
    data: st.DataObject,
) -> None:
    document = data.draw(valid_definitions())
    instrument = definition_from_json(document)
    VALIDATOR.validate(document)
    assert definition_from_json(definition_to_json(instrument)) == instrument
    values = data.draw(responses(instrument))
    result = score(instrument, values)
    assert result.total is not None
    assert instrument.total_min <= result.total <= instrument.total_max
    assert set(result.subscales) == {s.key for s in instrument.subscales}
    assert check_form(instrument, values) == result


# The mutations that must always be refused.
_REQUIRED_AT: dict[str, tuple[str, ...]] = {
    "": ("format", "format_version", "instrument"),
    "instrument": (
        "id",
        "version",
        "name",
        "kind",
        "respondent",
        "timeframe",
        "when",
        "licence",
        "items",
        "total_method",
        "total_min",
        "total_max",
    ),
    "item": ("number", "label", "minimum", "maximum", "step"),
    "subscale": ("key", "name", "items", "method"),
    "band": ("lower", "upper", "label"),
    "norms": ("reliability", "higher_is_better", "source"),
    "chart": ("colour", "dash", "marker", "label"),
}
_KNOWN_KEYS = frozenset(
    key for schema in SCHEMA["$defs"].values() for key in schema.get("properties", {})
) | frozenset(SCHEMA["properties"])


def _kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _nodes(value: object, path: Path_ = ()) -> Iterator[tuple[Path_, object]]:
    yield path, value
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _nodes(sub, (*path, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _nodes(sub, (*path, index))


def _required_keys(doc: dict[str, Any]) -> list[Path_]:
    inst = doc["instrument"]
    found: list[Path_] = [(k,) for k in _REQUIRED_AT[""]]
    found += [ins(k) for k in _REQUIRED_AT["instrument"]]
    for n in range(len(inst["items"])):
        found += [ins("items", n, k) for k in _REQUIRED_AT["item"]]
    for n in range(len(inst.get("subscales", []))):
        found += [ins("subscales", n, k) for k in _REQUIRED_AT["subscale"]]
    for n in range(len(inst.get("bands", []))):
        found += [ins("bands", n, k) for k in _REQUIRED_AT["band"]]
    if inst.get("norms"):
        found += [ins("norms", k) for k in _REQUIRED_AT["norms"]]
    if inst.get("chart"):
        found += [ins("chart", k) for k in _REQUIRED_AT["chart"]]
    return found


@st.composite
def broken_definitions(draw: st.DrawFn) -> tuple[str, Any]:
    """A valid definition broken in one random way that a rule forbids."""
    doc = draw(valid_definitions(max_items=8))
    inst = doc["instrument"]
    how = draw(
        st.sampled_from(
            ["change_type", "unknown_key", "drop_required", "subscale_item", "swap_min_max"]
        )
    )
    if how == "subscale_item" and not inst.get("subscales"):
        how = "swap_min_max"
    if how == "drop_required":
        path = draw(st.sampled_from(_required_keys(doc)))
        return how, apply(doc, ((path, DELETE),))
    if how == "change_type":
        path, value = draw(st.sampled_from([(p, v) for p, v in _nodes(doc) if p and v is not None]))
        others = {
            "str": st.just("5"),
            "number": st.sampled_from([5, 0.5]),
            "bool": st.booleans(),
            "list": st.just([]),
            "dict": st.just({}),
        }
        kind = draw(st.sampled_from(sorted(set(others) - {_kind_of(value)})))
        return how, apply(doc, ((path, draw(others[kind])),))
    if how == "subscale_item":
        which = draw(st.integers(0, len(inst["subscales"]) - 1))
        numbers = inst["subscales"][which]["items"]
        position = draw(st.integers(0, len(numbers) - 1))
        count = len(inst["items"])
        numbers[position] = draw(st.one_of(st.integers(count + 1, 10**6), st.integers(-5, 0)))
        return how, doc
    if how == "swap_min_max":
        which = draw(st.integers(0, len(inst["items"]) - 1))
        item = inst["items"][which]
        item["minimum"], item["maximum"] = item["maximum"], item["minimum"]
        return how, doc
    targets = [p for p, v in _nodes(doc) if isinstance(v, dict)]
    path = draw(st.sampled_from(targets))
    key = draw(st.text(max_size=12).filter(lambda k: k not in _KNOWN_KEYS))
    return how, apply(doc, (((*path, key), draw(st.sampled_from([1, "x", None, []]))),))


@FAST
@given(broken_definitions())
def test_a_definition_broken_in_one_way_is_always_refused(case: tuple[str, Any]) -> None:
    _how, document = case
    refused(document)


@FAST
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=20,
    )
)
def test_any_json_value_is_refused_with_definition_error_only(document: object) -> None:
    refused(document)


def _extreme_total(instrument: Instrument, highest: bool) -> float:
    """The highest (lowest) total ``score`` gives, found by trying every allowed blank set."""
    best: float | None = None
    numbers = [item.number for item in instrument.items]
    for size in range(1, len(numbers) + 1):
        for answered in itertools.combinations(numbers, size):
            missing = [n for n in numbers if n not in answered and not instrument.item(n).optional]
            if len(missing) > instrument.max_prorated_items:
                continue
            values: list[float | None] = [None] * len(numbers)
            for n in answered:
                item = instrument.item(n)
                top = item.minimum if item.reverse else item.maximum
                bottom = item.maximum if item.reverse else item.minimum
                values[n - 1] = top if highest else bottom
            total = score(instrument, values).total
            assert total is not None
            best = total if best is None else (max if highest else min)(best, total)
    assert best is not None
    return best


@FAST
@given(valid_definitions(max_items=6))
def test_the_total_range_check_is_exact(document: dict[str, Any]) -> None:
    instrument = definition_from_json(document)
    high = _extreme_total(instrument, highest=True)
    low = _extreme_total(instrument, highest=False)
    inst = document["instrument"]
    if low < high:
        for key in ("bands", "norms", "axis"):
            inst.pop(key, None)  # they were placed in the declared range; drop them
        inst["total_min"], inst["total_max"] = low, high
        tight = definition_from_json(document)
        assert (tight.total_min, tight.total_max) == (low, high)
        unit = 10.0**-instrument.total_decimals
        if high - unit / 2 > low:
            inst["total_max"] = high - unit / 2
            assert refused(document).startswith("instrument.total_max: ")
            inst["total_max"] = high
        if low + unit / 2 < high:
            inst["total_min"] = low + unit / 2
            assert refused(document).startswith("instrument.total_min: ")


def test_copying_a_document_does_not_change_what_is_read() -> None:
    doc = base()
    first = definition_from_json(doc)
    assert definition_from_json(copy.deepcopy(doc)) == first
    assert doc == base()  # reading never modifies the document
