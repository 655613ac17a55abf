"""Instrument definition files: a strict reader and writer for a therapist's own measures.

A definition file is one JSON object::

    {"format": "alliance-desktop-instrument", "format_version": 1, "instrument": {...}}

whose ``instrument`` has the keys ``instrument_to_dict`` writes, with the same names and
meanings (``resources/instrument-definition.schema.json`` documents every one). Unlike the
lenient ``instrument_from_dict``, ``definition_from_json`` coerces nothing: a file written
by a therapist, or received from a colleague, is refused unless every value has the right
JSON type, lies in its allowed range, and the whole definition hangs together (item numbers,
subscales, anchors, bands, cut-offs and a total range that can hold every possible total).
It reports the first problem found in one sentence that says where it is and what to do,
e.g. "instrument.items[3].maximum: 3 is below the minimum 5; the maximum must be above the
minimum." Positions count from 0 as JSON tools do (``items[3]`` is the fourth item), a
problem with the document as a whole is placed at ``definition``, and no message echoes more
than a short excerpt of a bad value.

Callers read the file (at most 1 MB) and parse it with ``json.loads``; this module only
sees the parsed document, so it needs no file access.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final, NoReturn, get_args

from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    AgeCutoff,
    AlertRule,
    Band,
    CutoffComparison,
    Dash,
    Instrument,
    Item,
    LineStyle,
    Marker,
    Norms,
    ScoreMethod,
    Subscale,
    instrument_to_dict,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "DefinitionError",
    "definition_from_json",
    "definition_to_json",
    "possible_total_range",
]

#: The ``format`` every definition file names.
FORMAT: Final = "alliance-desktop-instrument"
#: The only ``format_version`` this version of the app reads and writes.
FORMAT_VERSION: Final = 1

# Limits. Generous for any questionnaire, small enough that a hostile file stays cheap.
MAX_TEXT: Final = 2000  # characters in any string
MAX_ITEM_TEXT: Final = 1000  # characters of an item's wording
MAX_ID: Final = 40  # characters of the id, of the version and of a subscale key
MAX_ITEMS: Final = 100
MAX_LIST: Final = 20  # subscales, bands, age groups
MAX_ANCHORS: Final = 101
MAX_GRID_STEPS: Final = 10_000  # grid steps from an item's minimum to its maximum
MIN_STEP: Final = 0.001
NUMBER_LIMIT: Final = 1e9  # every number lies between -NUMBER_LIMIT and NUMBER_LIMIT
MAX_TOTAL_DECIMALS: Final = 4
MAX_AGE: Final = 150
MAX_AXIS_INTERVALS: Final = 20
MAX_ORDER: Final = 1_000_000
MAX_OFFER_EVERY: Final = 100

_SHOWN: Final = 40  # characters of a bad string a message shows (plus quotes and a count)
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
# C0 and C1 controls (tab and line breaks included), Unicode line and paragraph separators,
# the bidirectional embedding, override and isolate controls (they can make text display in
# another order than it is stored) and lone surrogates (which cannot be saved as UTF-8).
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_BREAKS = frozenset("\n\r\u2028\u2029")

_DOCUMENT_KEYS: Final = ("format", "format_version", "instrument")
_REQUIRED: Final = (
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
)
_OPTIONAL: Final = (
    "anchors",
    "subscales",
    "max_prorated_items",
    "bands",
    "norms",
    "attribution",
    "total_decimals",
    "source",
    "description",
    "rights",
    "order",
    "editor_title",
    "total_name",
    "chart",
    "axis",
    "cli_flag",
    "planned_by_default",
    "offer_every",
    "text_pack_refusal",
    "alert_rules",
)
_ITEM_REQUIRED: Final = ("number", "label", "minimum", "maximum", "step")
_ITEM_OPTIONAL: Final = ("reverse", "optional", "risk", "text", "scored", "anchors")
_SUBSCALE_REQUIRED: Final = ("key", "name", "items", "method")
_BAND_KEYS: Final = ("lower", "upper", "label")
_NORMS_REQUIRED: Final = ("reliability", "higher_is_better", "source")
_NORMS_OPTIONAL: Final = (
    "sd",
    "cutoff",
    "cutoff_comparison",
    "reliable_change_points",
    "reliable_change_source",
    "clinical_mean",
    "clinical_sd",
    "functional_mean",
    "functional_sd",
    "age_cutoffs",
)
_AGE_REQUIRED: Final = ("min_age", "cutoff", "population", "source")
_CHART_KEYS: Final = ("colour", "dash", "marker", "label")
#: What a missing required key holds, for the message that asks for it.
_MEANING: Final[Mapping[str, str]] = {
    "format": f"'{FORMAT}'",
    "format_version": str(FORMAT_VERSION),
    "instrument": "the definition itself",
    "id": "a short identifier such as 'my-alliance-6'",
    "version": "the definition's version, e.g. '1'",
    "name": "the measure's full name",
    "kind": "'alliance' or 'outcome'",
    "respondent": "'client' or 'therapist'",
    "timeframe": "what the answers refer to, e.g. 'today's session'",
    "when": "'start' or 'end' of the session",
    "licence": "the terms the measure is used on",
    "items": "the list of items",
    "total_method": "'sum', 'mean' or 'mean_x10'",
    "total_min": "the lowest possible total",
    "total_max": "the highest possible total",
    "number": "the item's number, 1 for the first",
    "label": "a short label",
    "minimum": "the lowest answer",
    "maximum": "the highest answer",
    "step": "the spacing of answers, e.g. 1",
    "key": "a short key such as 'bond'",
    "method": "'sum', 'mean' or 'mean_x10'",
    "lower": "the band's lowest total",
    "upper": "the band's highest total",
    "reliability": "e.g. Cronbach's alpha, 0 to below 1",
    "higher_is_better": "true or false",
    "source": "where the numbers were published",
    "min_age": "the youngest age in whole years",
    "cutoff": "the cut-off score",
    "population": "who the cut-off is for, e.g. 'adolescents 13-17'",
    "colour": "'#rrggbb' or 'foreground'",
    "dash": "'solid', 'dash', 'dot' or 'dashdot'",
    "marker": "a marker name such as 'circle'",
}
_METHOD_WORDS: Final[Mapping[ScoreMethod, str]] = {
    ScoreMethod.SUM: "the sum of the items' keyed scores",
    ScoreMethod.MEAN: "the mean item score",
    ScoreMethod.MEAN_X10: "ten times the mean item score",
}


class DefinitionError(DomainError):
    """An instrument definition file is refused: one sentence saying where and what to do.

    Attributes:
        path: Where the problem is, e.g. ``instrument.items[2].maximum`` (empty when the
            problem was found by the instrument's own consistency checks).
    """

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.path = path


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def definition_from_json(document: object) -> Instrument:
    """Read a parsed definition file strictly and build the instrument it defines.

    Args:
        document: The file's content as ``json.loads`` returns it.

    Returns:
        The instrument, checked as thoroughly as a built-in one.

    Raises:
        DefinitionError: With one sentence naming the first problem, where it is and what to
            do about it.
    """
    root = "definition"
    if not isinstance(document, dict):
        _fail(
            root,
            f"the document is {_kind(document)}",
            f"a definition file holds one JSON object with 'format' ('{FORMAT}'), "
            "'format_version' and 'instrument'",
        )
    if "format" not in document:
        _fail(
            root,
            "there is no 'format' key, so this is not an instrument definition",
            f'an instrument definition starts with "format": "{FORMAT}"',
        )
    if document["format"] != FORMAT or not isinstance(document["format"], str):
        _fail(
            "format",
            f"{_show(document['format'])} is not an instrument definition's format",
            f'an instrument definition says "format": "{FORMAT}"',
        )
    if "format_version" not in document:
        _missing(root, "format_version")
    version = document["format_version"]
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        _fail(
            "format_version",
            f"{_show(version)} is newer than this version of Alliance Desktop reads "
            f"({FORMAT_VERSION})",
            "update the app, or ask for the definition in format version 1",
        )
    if version != FORMAT_VERSION or isinstance(version, bool) or not isinstance(version, int):
        _fail("format_version", f"{_show(version)} is not a known version", "write 1")
    _check_keys(document, root, _DOCUMENT_KEYS, ())
    instrument = _read_instrument(document["instrument"])
    raw = document["instrument"]
    if (
        isinstance(raw, dict)
        and "alert_rules" not in raw
        and instrument.kind == "alliance"
        and any(scale.tag for scale in instrument.subscales)
    ):
        # Tagging goal, task and bond is what makes an alliance measure feed the alliance
        # alerts; a file that says nothing about its rules gets the WAI-SR's.
        instrument = replace(instrument, alert_rules=(AlertRule.ALLIANCE_SUBSCALES,))
    return instrument


def definition_to_json(instrument: Instrument) -> dict[str, Any]:
    """Write an instrument as a definition file's document (for ``json.dumps``).

    Args:
        instrument: A custom instrument.

    Returns:
        ``{"format": FORMAT, "format_version": FORMAT_VERSION, "instrument": {...}}``, which
        ``definition_from_json`` reads back into an equal instrument.

    Raises:
        DefinitionError: When the document would be refused on reading (a built-in's
            command-line flag or default plan, the goals kind, a total range that cannot
            hold every total …), so no file is written that cannot be imported again.
    """
    document: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "instrument": instrument_to_dict(instrument),
    }
    definition_from_json(document)
    return document


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------


def _fail(path: str, problem: str, fix: str) -> NoReturn:
    raise DefinitionError(f"{path}: {problem}; {fix}.", path)


def _missing(path: str, key: str) -> NoReturn:
    meaning = _MEANING.get(key)
    what = f" ({meaning})" if meaning else ""
    _fail(path, f"the required key '{key}' is missing", f"add it{what}")


def _kind(value: object) -> str:
    """What JSON type a value is, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a Python {type(value).__name__}"


def _show(value: object) -> str:
    """A short, safe rendering of a value for a message (at most about 60 characters)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) < 10**15:
            return str(value)
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, str):
        return _quote(value)
    return _kind(value)


def _quote(text: str) -> str:
    """The start of a string in quotes, control characters escaped, with its length if cut."""
    shown: list[str] = []
    used = 0
    for char in text:
        piece = char if char.isprintable() else f"\\u{ord(char):04x}"
        if used + len(piece) > _SHOWN:
            return "'" + "".join(shown) + f"…' ({len(text):,} characters)"
        shown.append(piece)
        used += len(piece)
    return "'" + "".join(shown) + "'"


def _wrong_type(value: object, wanted: str) -> str:
    """ "'5' is text, not a number", or "a list is given, not an object"."""
    if value is None or isinstance(value, list | tuple | dict):
        return f"{_kind(value)} is given, not {wanted}"
    return f"{_show(value)} is {_kind(value)}, not {wanted}"


def _num(value: float) -> str:
    """A number as written in a file, without float noise (0.1, 5, 1e-05)."""
    if isinstance(value, int):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return format(value, ".10g")


# --------------------------------------------------------------------------------------------
# Typed values
# --------------------------------------------------------------------------------------------


def _check_keys(
    obj: Mapping[Any, object], path: str, required: Sequence[str], optional: Sequence[str]
) -> None:
    allowed = (*required, *optional)
    for key in obj:
        if not isinstance(key, str):
            _fail(path, f"a key is {_kind(key)}", "every key must be text")
        if key not in allowed:
            close = (
                difflib.get_close_matches(key, allowed, n=1, cutoff=0.75)
                if len(key) <= _SHOWN
                else []
            )
            if close:
                fix = f"did you mean '{close[0]}'? Rename or remove it"
            elif len(allowed) <= 8:
                fix = "remove it; the keys allowed here are " + ", ".join(allowed)
            else:
                fix = "remove it (instrument-definition.schema.json lists the allowed keys)"
            _fail(path, f"unknown key {_quote(key)}", fix)
    for key in required:
        if key not in obj:
            _missing(path, key)


def _object(
    value: object, path: str, required: Sequence[str], optional: Sequence[str] = ()
) -> dict[str, object]:
    if not isinstance(value, dict):
        _fail(path, _wrong_type(value, "an object"), "write an object { … }")
    _check_keys(value, path, required, optional)
    return value


def _list(value: object, path: str, low: int, high: int, what: str) -> list[object]:
    if not isinstance(value, list):
        _fail(path, _wrong_type(value, "a list"), f"write a list [ … ] of {what}")
    if not low <= len(value) <= high:
        size = "the list is empty" if not value else f"the list has {len(value):,} entries"
        if low == high:
            wanted = f"exactly {low}"
        elif len(value) < low:
            wanted = f"at least {low}"
        else:
            wanted = f"at most {high}"
        _fail(path, size, f"give {wanted} ({what})")
    return value


def _text(
    value: object,
    path: str,
    *,
    limit: int = MAX_TEXT,
    blank_ok: bool = False,
    nullable: bool = False,
) -> str:
    if not isinstance(value, str):
        _fail(path, _wrong_type(value, "text"), "write text in quotes")
    if len(value) > limit:
        _fail(path, f"the text is {len(value):,} characters long", f"shorten it to {limit:,}")
    bad = _FORBIDDEN.search(value)
    if bad:
        _fail(
            path,
            f"{_char_words(bad.group())} at character {bad.start() + 1}",
            "remove it: text must be on one line, without tabs or control characters",
        )
    if not blank_ok and not value.strip():
        _fail(path, "the text is blank", "write something" + (", or null" if nullable else ""))
    return value


def _char_words(char: str) -> str:
    code = f"U+{ord(char):04X}"
    if char in _LINE_BREAKS:
        return f"a line break ({code})"
    if char == "\t":
        return f"a tab ({code})"
    if "\ud800" <= char <= "\udfff":
        return f"an unpaired surrogate {code}, which is not valid text"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return f"a text-direction control {code}"
    return f"a control character {code}"


def _opt_text(value: object, path: str, *, limit: int = MAX_TEXT) -> str | None:
    return None if value is None else _text(value, path, limit=limit, nullable=True)


def _number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        hint = " without quotes" if isinstance(value, str) else ""
        _fail(path, _wrong_type(value, "a number"), f"write a number{hint}")
    if isinstance(value, float) and not math.isfinite(value):
        _fail(path, f"{_show(value)} is not a finite number", "write an ordinary number")
    if not -NUMBER_LIMIT <= value <= NUMBER_LIMIT:
        _fail(path, f"{_show(value)} is too large", "numbers must lie between -1e9 and 1e9")
    return value


def _opt_number(value: object, path: str) -> float | None:
    return None if value is None else _number(value, path)


def _integer(value: object, path: str, low: int, high: int) -> int:
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        _fail(
            path,
            f"{_show(value)} is written as a decimal number",
            "write a whole number, without a decimal point or exponent",
        )
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(path, _wrong_type(value, "a whole number"), "write a whole number")
    if not low <= value <= high:
        _fail(path, f"{_show(value)} is out of range", f"write a whole number from {low} to {high}")
    return value


def _boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        _fail(path, _wrong_type(value, "true or false"), "write true or false, without quotes")
    return value


def _choice(value: object, path: str, allowed: Sequence[str]) -> str:
    words = ", ".join(f"'{a}'" for a in allowed)
    if not isinstance(value, str):
        _fail(path, _wrong_type(value, "text"), f"write one of {words}")
    if value not in allowed:
        _fail(path, f"{_show(value)} is not allowed", f"write one of {words}")
    return value


def _method(value: object, path: str) -> ScoreMethod:
    return ScoreMethod(_choice(value, path, [m.value for m in ScoreMethod]))


def _identifier(value: object, path: str, what: str) -> str:
    text = _text(value, path, limit=MAX_ID)
    if not _IDENTIFIER.fullmatch(text):
        _fail(
            path,
            f"{_show(text)} is not a valid {what}",
            f"use 1 to {MAX_ID} characters: a letter first, then letters, digits, '-' or '_' "
            "(no spaces)",
        )
    return text


# --------------------------------------------------------------------------------------------
# The instrument
# --------------------------------------------------------------------------------------------


def _read_instrument(value: object) -> Instrument:
    path = "instrument"
    obj = _object(value, path, _REQUIRED, _OPTIONAL)

    def at(key: str) -> str:
        return f"{path}.{key}"

    ident = _identifier(obj["id"], at("id"), "id")
    version = _text(obj["version"], at("version"), limit=MAX_ID)
    if not version.isprintable():
        _fail(at("version"), f"{_show(version)} has unprintable characters", "use plain text")
    name = _text(obj["name"], at("name"))
    if obj["kind"] == "goals":
        _fail(
            at("kind"),
            "'goals' is the built-in goal ratings' kind",
            "a definition's kind must be 'alliance' or 'outcome'",
        )
    kind = _choice(obj["kind"], at("kind"), ("alliance", "outcome"))
    respondent = _choice(obj["respondent"], at("respondent"), ("client", "therapist"))
    timeframe = _text(obj["timeframe"], at("timeframe"))
    when = _choice(obj["when"], at("when"), ("start", "end"))
    licence = _text(obj["licence"], at("licence"))
    items = _read_items(obj["items"], at("items"))
    anchors = _read_anchors(obj.get("anchors", []), at("anchors"), items)

    total_method = _method(obj["total_method"], at("total_method"))
    total_min = _number(obj["total_min"], at("total_min"))
    total_max = _number(obj["total_max"], at("total_max"))
    if total_max <= total_min:
        _fail(
            at("total_max"),
            f"{_num(total_max)} is not above total_min {_num(total_min)}",
            "the highest total must be above the lowest",
        )
    required = sum(not item.optional for item in items)
    max_prorated = _integer(obj.get("max_prorated_items", 0), at("max_prorated_items"), 0, 99)
    if max_prorated >= required:
        _fail(
            at("max_prorated_items"),
            f"{max_prorated} would let every required item be missing (there "
            f"{'is' if required == 1 else 'are'} {required})",
            "it must be below the number of required (non-optional) items",
        )
    decimals = _integer(obj.get("total_decimals", 1), at("total_decimals"), 0, MAX_TOTAL_DECIMALS)
    _check_total_range(
        items,
        method=total_method,
        max_prorated=max_prorated,
        decimals=decimals,
        total_min=total_min,
        total_max=total_max,
    )

    subscales = _read_subscales(obj.get("subscales", []), at("subscales"), items, kind)
    _check_subscales_answerable(subscales, items, max_prorated, at("subscales"))
    bands = _read_bands(obj.get("bands", []), at("bands"), total_min, total_max)
    norms = _read_norms(obj.get("norms"), at("norms"), total_min, total_max)

    extras = _read_extras(obj, path, total_min, total_max)
    try:
        return Instrument(
            id=ident,
            version=version,
            name=name,
            kind=kind,  # type: ignore[arg-type]  # checked above
            respondent=respondent,  # type: ignore[arg-type]
            timeframe=timeframe,
            when=when,  # type: ignore[arg-type]
            licence=licence,
            items=items,
            anchors=anchors,
            subscales=subscales,
            total_method=total_method,
            total_min=total_min,
            total_max=total_max,
            max_prorated_items=max_prorated,
            bands=bands,
            norms=norms,
            total_decimals=decimals,
            **extras,
        )
    except DefinitionError:
        raise
    except DomainError as error:
        raise DefinitionError(str(error)) from None


def _read_extras(
    obj: Mapping[str, object], path: str, total_min: float, total_max: float
) -> dict[str, Any]:
    """The optional wording and display keys, as ``Instrument`` keyword arguments."""

    def at(key: str) -> str:
        return f"{path}.{key}"

    attribution = _opt_text(obj.get("attribution"), at("attribution"))
    source = _text(obj.get("source", ""), at("source"), blank_ok=True)
    description = _text(obj.get("description", ""), at("description"), blank_ok=True)
    rights = _text(obj.get("rights", ""), at("rights"), blank_ok=True)
    order = _integer(obj.get("order", 1000), at("order"), 0, MAX_ORDER)
    editor_title = _text(obj.get("editor_title", ""), at("editor_title"), blank_ok=True)
    total_name = _text(obj.get("total_name", "total"), at("total_name"))
    chart = _read_chart(obj.get("chart"), at("chart"))
    axis = _read_axis(obj.get("axis"), at("axis"), total_min, total_max)
    cli_flag = obj.get("cli_flag")
    if cli_flag is not None:
        _fail(
            at("cli_flag"),
            f"{_show(cli_flag)} is set, but command-line flags belong to the built-in measures",
            "leave cli_flag out (or null)",
        )
    planned = _boolean(obj.get("planned_by_default", False), at("planned_by_default"))
    if planned:
        _fail(
            at("planned_by_default"),
            "true is only for the built-in measures a new practice plans",
            "leave it out (or false) and add the measure to the plan in the app",
        )
    offer_every = _integer(obj.get("offer_every", 1), at("offer_every"), 1, MAX_OFFER_EVERY)
    refusal = _opt_text(obj.get("text_pack_refusal"), at("text_pack_refusal"))
    rules_path = at("alert_rules")
    raw_rules = _list(obj.get("alert_rules", []), rules_path, 0, len(AlertRule), "alert rules")
    rules = tuple(
        AlertRule(_choice(rule, f"{rules_path}[{n}]", [r.value for r in AlertRule]))
        for n, rule in enumerate(raw_rules)
    )
    if len(set(rules)) != len(rules):
        _fail(rules_path, "names one rule twice", "list each rule once")

    return {
        "attribution": attribution,
        "source": source,
        "description": description,
        "rights": rights,
        "order": order,
        "editor_title": editor_title,
        "total_name": total_name,
        "chart": chart,
        "axis": axis,
        "cli_flag": None,
        "planned_by_default": False,
        "offer_every": offer_every,
        "text_pack_refusal": refusal,
        "alert_rules": rules,
    }


def _read_items(value: object, path: str) -> tuple[Item, ...]:
    raw = _list(value, path, 1, MAX_ITEMS, "items")
    items: list[Item] = []
    for index, entry in enumerate(raw):
        items.append(_read_item(entry, f"{path}[{index}]", index, items))
    if all(item.optional for item in items):
        _fail(
            path,
            "every item is optional",
            "at least one item must be required (leave 'optional' out or false)",
        )
    return tuple(items)


def _read_item(value: object, path: str, index: int, earlier: Sequence[Item]) -> Item:
    obj = _object(value, path, _ITEM_REQUIRED, _ITEM_OPTIONAL)
    number = _integer(obj["number"], f"{path}.number", 1, MAX_ITEMS)
    if number != index + 1:
        twin = next((i for i, item in enumerate(earlier) if item.number == number), None)
        problem = (
            f"{number} is also the number of items[{twin}]"
            if twin is not None
            else f"{number} is out of order"
        )
        _fail(
            f"{path}.number",
            problem,
            f"number the items 1, 2, 3 … in the order listed (this one is {index + 1})",
        )
    label = _text(obj["label"], f"{path}.label")
    minimum = _number(obj["minimum"], f"{path}.minimum")
    maximum = _number(obj["maximum"], f"{path}.maximum")
    if maximum <= minimum:
        relation = "equals" if maximum == minimum else "is below"
        _fail(
            f"{path}.maximum",
            f"{_num(maximum)} {relation} the minimum {_num(minimum)}",
            "the maximum must be above the minimum",
        )
    step = _number(obj["step"], f"{path}.step")
    if step < MIN_STEP:
        _fail(
            f"{path}.step",
            f"{_num(step)} is below the smallest step {_num(MIN_STEP)}",
            "use a step such as 1, 0.5 or 0.1",
        )
    steps = (maximum - minimum) / step
    if abs(steps - round(steps)) > 1e-6:
        _fail(
            f"{path}.step",
            f"{_num(step)} does not divide the range {_num(minimum)} to {_num(maximum)} into "
            "whole steps",
            "choose a step that does, e.g. 1",
        )
    if round(steps) > MAX_GRID_STEPS:
        _fail(
            f"{path}.step",
            f"{_num(step)} makes {round(steps):,} steps from {_num(minimum)} to {_num(maximum)}",
            f"an item may have at most {MAX_GRID_STEPS:,} steps; use a larger step",
        )
    reverse = _boolean(obj.get("reverse", False), f"{path}.reverse")
    optional = _boolean(obj.get("optional", False), f"{path}.optional")
    risk = _boolean(obj.get("risk", False), f"{path}.risk")
    text = _opt_text(obj.get("text"), f"{path}.text", limit=MAX_ITEM_TEXT)
    scored = _boolean(obj.get("scored", True), f"{path}.scored")
    if not scored and (not optional or risk or reverse):
        _fail(
            f"{path}.scored",
            "false, but the item is not optional, or is a risk item or reversed",
            "an item recorded but not scored must be optional, and neither risk nor reversed",
        )
    own = _list(obj.get("anchors", []), f"{path}.anchors", 0, MAX_ANCHORS, "anchors")
    anchors = tuple(_text(a, f"{path}.anchors[{i}]") for i, a in enumerate(own))
    if anchors and (step != 1 or len(anchors) != round(steps) + 1):
        _fail(
            f"{path}.anchors",
            f"{len(anchors)} anchors for an item from {_num(minimum)} to {_num(maximum)} in "
            f"steps of {_num(step)}",
            "give one anchor per answer, in steps of 1, or none",
        )
    try:
        return Item(
            number,
            label,
            minimum,
            maximum,
            step,
            reverse,
            optional,
            risk,
            text,
            scored=scored,
            anchors=anchors,
        )
    except DomainError as error:
        raise DefinitionError(str(error), path) from None


def _read_anchors(value: object, path: str, items: Sequence[Item]) -> tuple[str, ...]:
    raw = _list(value, path, 0, MAX_ANCHORS, "anchors")
    anchors = tuple(_text(a, f"{path}[{i}]") for i, a in enumerate(raw))
    if not anchors:
        return anchors
    # The instrument's anchors are for every item without anchors of its own.
    shared = [(index, item) for index, item in enumerate(items) if not item.anchors]
    if not shared:
        return anchors
    first = shared[0][1]
    for index, item in shared[1:]:
        if (item.minimum, item.maximum, item.step) != (first.minimum, first.maximum, first.step):
            _fail(
                f"instrument.items[{index}]",
                f"runs {_num(item.minimum)} to {_num(item.maximum)} in steps of "
                f"{_num(item.step)}, unlike items[{shared[0][0]}] ({_num(first.minimum)} to "
                f"{_num(first.maximum)} in steps of {_num(first.step)})",
                "with anchors, every item must share one minimum, maximum and step",
            )
    if first.step != 1:
        _fail(
            path,
            f"the items go in steps of {_num(first.step)}",
            "anchors need steps of 1, as the form offers one choice per anchor (minimum, "
            "minimum + 1, …); use step 1 or leave the anchors out",
        )
    points = first.grid_steps + 1
    if len(anchors) != points:
        _fail(
            path,
            f"{len(anchors)} anchors for items with {points} points ({_num(first.minimum)} to "
            f"{_num(first.maximum)})",
            "give exactly one anchor per point, lowest first, or none",
        )
    return anchors


def _read_subscales(
    value: object, path: str, items: Sequence[Item], kind: str
) -> tuple[Subscale, ...]:
    raw = _list(value, path, 0, MAX_LIST, "subscales")
    scales: list[Subscale] = []
    for index, entry in enumerate(raw):
        where = f"{path}[{index}]"
        obj = _object(entry, where, _SUBSCALE_REQUIRED, ("tag",))
        key = _identifier(obj["key"], f"{where}.key", "subscale key")
        twin = next((i for i, s in enumerate(scales) if s.key.casefold() == key.casefold()), None)
        if twin is not None:
            _fail(
                f"{where}.key",
                f"{_show(key)} is already the key of {path}[{twin}]",
                "give each subscale its own key",
            )
        name = _text(obj["name"], f"{where}.name")
        numbers = _list(obj["items"], f"{where}.items", 1, MAX_ITEMS, "item numbers")
        listed: list[int] = []
        for position, raw_number in enumerate(numbers):
            spot = f"{where}.items[{position}]"
            number = _integer(raw_number, spot, -(10**9), 10**9)
            if not 1 <= number <= len(items):
                _fail(
                    spot,
                    f"subscale {_show(key)} names item {number}; the instrument has "
                    f"{len(items)} item{'s' if len(items) != 1 else ''}",
                    f"list item numbers from 1 to {len(items)}",
                )
            if number in listed:
                _fail(spot, f"item {number} is listed twice", "list each item once")
            listed.append(number)
        method = _method(obj["method"], f"{where}.method")
        tag = obj.get("tag")
        if tag is not None:
            tag = _choice(tag, f"{where}.tag", ("goal", "task", "bond"))
            if kind != "alliance":
                _fail(
                    f"{where}.tag",
                    f"{_show(tag)} is set on an {kind} measure",
                    "goal, task and bond tags are only for alliance measures; remove the tag",
                )
            tagged = next((i for i, s in enumerate(scales) if s.tag == tag), None)
            if tagged is not None:
                _fail(
                    f"{where}.tag",
                    f"{_show(tag)} already tags {path}[{tagged}]",
                    "each of goal, task and bond may tag one subscale",
                )
        scales.append(Subscale(key, name, tuple(listed), method, tag))  # type: ignore[arg-type]
    return tuple(scales)


def _check_subscales_answerable(
    scales: Sequence[Subscale], items: Sequence[Item], max_prorated: int, path: str
) -> None:
    """Every subscale keeps an answer on every form that may be scored (else scoring fails)."""
    for index, scale in enumerate(scales):
        required = sum(not items[n - 1].optional for n in scale.items)
        if required <= max_prorated:
            _fail(
                f"{path}[{index}].items",
                f"subscale {_show(scale.key)} has {required} required item"
                f"{'s' if required != 1 else ''} and up to {max_prorated} may be missing, so a "
                "scored form could have no answer for it",
                "give it more required items, or lower max_prorated_items",
            )


def _read_bands(value: object, path: str, total_min: float, total_max: float) -> tuple[Band, ...]:
    raw = _list(value, path, 0, MAX_LIST, "bands")
    bands: list[Band] = []
    for index, entry in enumerate(raw):
        where = f"{path}[{index}]"
        obj = _object(entry, where, _BAND_KEYS)
        lower = _number(obj["lower"], f"{where}.lower")
        upper = _number(obj["upper"], f"{where}.upper")
        label = _text(obj["label"], f"{where}.label")
        if upper < lower:
            _fail(
                f"{where}.upper",
                f"{_num(upper)} is below the band's lower {_num(lower)}",
                "a band's upper must be at or above its lower",
            )
        for key, number in (("lower", lower), ("upper", upper)):
            _check_in_total_range(f"{where}.{key}", number, total_min, total_max)
        if bands:
            previous = bands[-1]
            if lower <= previous.lower or lower < previous.upper:
                _fail(
                    f"{where}.lower",
                    f"{_num(lower)} is not above the previous band ({_num(previous.lower)} to "
                    f"{_num(previous.upper)})",
                    "list bands lowest first, without overlaps",
                )
        folded = label.strip().casefold()
        twin = next((i for i, b in enumerate(bands) if b.label.strip().casefold() == folded), None)
        if twin is not None:
            _fail(
                f"{where}.label",
                f"{_show(label)} is already the label of {path}[{twin}]",
                "give each band its own label",
            )
        bands.append(Band(lower, upper, label))
    return tuple(bands)


def _check_in_total_range(path: str, value: float, total_min: float, total_max: float) -> None:
    if not total_min <= value <= total_max:
        _fail(
            path,
            f"{_num(value)} is outside the total range {_num(total_min)} to {_num(total_max)}",
            "use a score inside that range",
        )


def _read_norms(value: object, path: str, total_min: float, total_max: float) -> Norms | None:
    if value is None:
        return None
    obj = _object(value, path, _NORMS_REQUIRED, _NORMS_OPTIONAL)
    width = total_max - total_min

    def spread(key: str) -> float | None:
        number = _opt_number(obj.get(key), f"{path}.{key}")
        if number is not None and not 0 < number <= width:
            _fail(
                f"{path}.{key}",
                f"{_num(number)} is not above 0 and within the total range's width {_num(width)}",
                "give a standard deviation of the total, in score points",
            )
        return number

    def score_in_range(key: str) -> float | None:
        number = _opt_number(obj.get(key), f"{path}.{key}")
        if number is not None:
            _check_in_total_range(f"{path}.{key}", number, total_min, total_max)
        return number

    sd = spread("sd")
    reliability = _number(obj["reliability"], f"{path}.reliability")
    if not 0 <= reliability < 1:
        _fail(
            f"{path}.reliability",
            f"{_num(reliability)} is not between 0 and 1",
            "give a reliability such as Cronbach's alpha, at least 0 and below 1 (e.g. 0.85)",
        )
    cutoff = score_in_range("cutoff")
    comparison = _choice(
        obj.get("cutoff_comparison", "lt"),
        f"{path}.cutoff_comparison",
        [c.value for c in CutoffComparison],
    )
    higher_is_better = _boolean(obj["higher_is_better"], f"{path}.higher_is_better")
    points = _opt_number(obj.get("reliable_change_points"), f"{path}.reliable_change_points")
    if points is not None and not 0 < points < width:
        _fail(
            f"{path}.reliable_change_points",
            f"{_num(points)} is not above 0 and below the total range's width {_num(width)}",
            "give the smallest reliable change in score points",
        )
    change_source = _text(
        obj.get("reliable_change_source", ""), f"{path}.reliable_change_source", blank_ok=True
    )
    clinical_mean = score_in_range("clinical_mean")
    clinical_sd = spread("clinical_sd")
    functional_mean = score_in_range("functional_mean")
    functional_sd = spread("functional_sd")
    age_cutoffs = _read_age_cutoffs(
        obj.get("age_cutoffs", []), f"{path}.age_cutoffs", total_min, total_max
    )
    if age_cutoffs and cutoff is None:
        _fail(
            f"{path}.cutoff",
            "there are age cut-offs but no cutoff",
            "give the cut-off used when a client's age is unknown (usually the adults' one)",
        )
    source = _text(obj["source"], f"{path}.source")
    try:
        return Norms(
            sd=sd,
            reliability=reliability,
            cutoff=cutoff,
            cutoff_comparison=CutoffComparison(comparison),
            higher_is_better=higher_is_better,
            reliable_change_points=points,
            reliable_change_source=change_source,
            clinical_mean=clinical_mean,
            clinical_sd=clinical_sd,
            functional_mean=functional_mean,
            functional_sd=functional_sd,
            age_cutoffs=age_cutoffs,
            source=source,
        )
    except DomainError as error:
        raise DefinitionError(str(error), path) from None


def _read_age_cutoffs(
    value: object, path: str, total_min: float, total_max: float
) -> tuple[AgeCutoff, ...]:
    raw = _list(value, path, 0, MAX_LIST, "age groups")
    groups: list[AgeCutoff] = []
    for index, entry in enumerate(raw):
        where = f"{path}[{index}]"
        obj = _object(entry, where, _AGE_REQUIRED, ("max_age",))
        min_age = _integer(obj["min_age"], f"{where}.min_age", 0, MAX_AGE)
        raw_max = obj.get("max_age")
        max_age = None if raw_max is None else _integer(raw_max, f"{where}.max_age", 0, MAX_AGE)
        if max_age is not None and max_age < min_age:
            _fail(
                f"{where}.max_age",
                f"{max_age} is below min_age {min_age}",
                "give the oldest age of the group, or null for no upper limit",
            )
        if groups:
            previous = groups[-1]
            if previous.max_age is None or min_age <= previous.max_age:
                upto = "no upper age" if previous.max_age is None else f"up to {previous.max_age}"
                _fail(
                    f"{where}.min_age",
                    f"{min_age} overlaps the previous group ({previous.min_age}, {upto})",
                    "list age groups youngest first, without overlaps",
                )
        cutoff = _number(obj["cutoff"], f"{where}.cutoff")
        _check_in_total_range(f"{where}.cutoff", cutoff, total_min, total_max)
        population = _text(obj["population"], f"{where}.population")
        source = _text(obj["source"], f"{where}.source")
        groups.append(AgeCutoff(min_age, max_age, cutoff, population, source))
    return tuple(groups)


def _read_chart(value: object, path: str) -> LineStyle | None:
    if value is None:
        return None
    obj = _object(value, path, _CHART_KEYS)
    colour = _text(obj["colour"], f"{path}.colour", limit=MAX_ID)
    if colour != "foreground" and not _COLOUR.fullmatch(colour):
        _fail(
            f"{path}.colour",
            f"{_show(colour)} is not a colour",
            "write '#rrggbb' (e.g. '#0072B2') or 'foreground' for the text colour",
        )
    dash = _choice(obj["dash"], f"{path}.dash", get_args(Dash))
    marker = _choice(obj["marker"], f"{path}.marker", get_args(Marker))
    label = _text(obj["label"], f"{path}.label")
    return LineStyle(colour, dash, marker, label)  # type: ignore[arg-type]  # checked above


def _read_axis(
    value: object, path: str, total_min: float, total_max: float
) -> tuple[float, float, int] | None:
    if value is None:
        return None
    raw = _list(value, path, 3, 3, "[lowest, highest, grid intervals]")
    low = _number(raw[0], f"{path}[0]")
    high = _number(raw[1], f"{path}[1]")
    intervals = _integer(raw[2], f"{path}[2]", 1, MAX_AXIS_INTERVALS)
    if low > total_min:
        _fail(
            f"{path}[0]",
            f"{_num(low)} is above total_min {_num(total_min)}",
            "the chart's axis must show the whole total range",
        )
    if high < total_max:
        _fail(
            f"{path}[1]",
            f"{_num(high)} is below total_max {_num(total_max)}",
            "the chart's axis must show the whole total range",
        )
    return (low, high, intervals)


# --------------------------------------------------------------------------------------------
# The total range
# --------------------------------------------------------------------------------------------


def _check_total_range(
    items: Sequence[Item],
    *,
    method: ScoreMethod,
    max_prorated: int,
    decimals: int,
    total_min: float,
    total_max: float,
) -> None:
    """Refuse a declared total range that cannot hold every total ``scoring.score`` gives."""
    low, high = possible_total_range(items, method, max_prorated, decimals)
    why = _METHOD_WORDS[method]
    if max_prorated or any(item.optional for item in items):
        why += ", counting pro-rated forms and optional items"
    if total_min > low + 1e-9 * max(1.0, abs(low)):
        _fail(
            "instrument.total_min",
            f"{_num(total_min)} is above the lowest possible total {_num(low)} ({why})",
            f"write {_num(low)} or less",
        )
    if total_max < high - 1e-9 * max(1.0, abs(high)):
        _fail(
            "instrument.total_max",
            f"{_num(total_max)} is below the highest possible total {_num(high)} ({why})",
            f"write {_num(high)} or more",
        )


def possible_total_range(
    items: Sequence[Item], method: ScoreMethod, max_prorated: int, decimals: int
) -> tuple[float, float]:
    """The lowest and highest total a definition with these items can score, rounded as
    scoring rounds: the range its ``total_min`` and ``total_max`` must hold (the dialog
    that writes definitions shows and writes exactly this)."""
    low, high = _possible_totals(items, method, max_prorated)
    return _round(low, decimals), _round(high, decimals)


def _possible_totals(
    items: Sequence[Item], method: ScoreMethod, max_prorated: int
) -> tuple[float, float]:
    """The lowest and highest total ``scoring.score`` can give, before rounding.

    A total depends on which items are answered only through how many are answered and the
    sum of their keyed scores, and rises with that sum. So for every count of answered
    required items (at least all but ``max_prorated``) and answered optional items, the
    extremes come from the items with the highest maxima (lowest minima) of each group.
    """
    items = [item for item in items if item.scored]  # an unscored answer counts nowhere
    required = [item for item in items if not item.optional]
    optional = [item for item in items if item.optional]
    full = len(required)  # at least one (checked before)

    def total(points: float, answered: int) -> float:
        if method is ScoreMethod.MEAN:
            return points / answered
        if method is ScoreMethod.MEAN_X10:
            return points / answered * 10
        return points if answered >= full else points / answered * full

    def extreme(
        values_req: list[float], values_opt: list[float], pick: Callable[[Iterable[float]], float]
    ) -> float:
        req_sums = [0.0]
        for v in values_req:
            req_sums.append(req_sums[-1] + v)
        opt_sums = [0.0]
        for v in values_opt:
            opt_sums.append(opt_sums[-1] + v)
        return pick(
            total(req_sums[r] + opt_sums[o], r + o)
            for r in range(full - max_prorated, full + 1)
            for o in range(len(optional) + 1)
        )

    high = extreme(
        sorted((i.maximum for i in required), reverse=True),
        sorted((i.maximum for i in optional), reverse=True),
        max,
    )
    low = extreme(sorted(i.minimum for i in required), sorted(i.minimum for i in optional), min)
    return low, high


def _round(value: float, decimals: int) -> float:
    """Round as ``scoring`` rounds totals: half away from zero, after clearing float noise."""
    factor = 10.0**decimals
    scaled = value * factor
    if scaled >= 0:
        return math.floor(scaled + 0.5 + 1e-7) / factor
    return -math.floor(-scaled + 0.5 + 1e-7) / factor
