"""One reading of typed dates, session starts and item values, whichever way they come in.

The command line's argument types, the JSON session reader and the editor's form all go
through ``services.input_rules``; these tables pin what is accepted, what is refused and
the exact sentence, then check the three entry points agree. No test reads the clock.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance_desktop import cli
from alliance_desktop.domain.instruments import INSTRUMENTS
from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.services import sessions
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.input_rules import (
    checked_session_json,
    parse_day,
    parse_item_number,
    parse_item_text,
    parse_item_values,
    parse_moment,
)
from alliance_desktop.services.session_form import SessionForm, item_key, read_form
from alliance_desktop.storage.records import ClientData

NOW = datetime(2026, 11, 25, 18, 0)  # passed wherever "now" matters; never the clock
SRS = INSTRUMENTS["SRS"]
WAI = INSTRUMENTS["WAI-SR"]
SRS_1 = "SRS Relationship: enter a number with at most 1 decimal from 0 to 10"
WAI_1 = "WAI-SR Item 1 (Task): enter a whole number from 1 to 5"
EXAMPLE = "e.g. 2026-11-20T10:00."
RANGE = "use a date from 1950-01-01 to 2100-12-31."
#: 2026-11-20 in Arabic-Indic digits (escaped: they look like 1, l and . to a reader).
ARABIC_DAY = "\u0662\u0660\u0662\u0666-\u0661\u0661-\u0662\u0660"


def not_a_moment(text: str) -> str:
    """The sentence for text that is no date and time at all."""
    return f"{text!r} is not a date and time; use YYYY-MM-DDTHH:MM, {EXAMPLE}"


def client() -> ClientData:
    return ClientData("C-1", "Zoë", "", Approach.CBT, date(2026, 10, 1))


# --- session starts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T10:50", datetime(2026, 11, 20, 10, 50)),
        ("2026-11-20 10:50", datetime(2026, 11, 20, 10, 50)),  # the editor's own form
        ("  2026-11-20T10:50\n", datetime(2026, 11, 20, 10, 50)),  # surrounding whitespace
        ("2026-11-20T10:50:00", datetime(2026, 11, 20, 10, 50)),  # datetime.isoformat()
        ("2026-11-20T00:00", datetime(2026, 11, 20, 0, 0)),  # midnight, when said
        ("2026-11-20T23:59", datetime(2026, 11, 20, 23, 59)),
        ("2028-02-29T10:00", datetime(2028, 2, 29, 10, 0)),  # a leap day
        ("1950-01-01T00:00", datetime(1950, 1, 1, 0, 0)),  # the first day in range
        ("2100-12-31T23:59", datetime(2100, 12, 31, 23, 59)),  # the last
    ],
)
def test_starts_that_are_read(text: str, expected: datetime) -> None:
    assert parse_moment(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Python's fromisoformat reads 10.50 as 10:00 and half a second.
        (
            "2026-11-20T10.50",
            "'2026-11-20T10.50' is not a date and time; write the time with a colon, "
            "e.g. 2026-11-20T10:50.",
        ),
        (
            "2026-11-20 10,50",
            "'2026-11-20 10,50' is not a date and time; write the time with a colon, "
            "e.g. 2026-11-20T10:50.",
        ),
        ("", f"The date and time is empty; give it as YYYY-MM-DDTHH:MM, {EXAMPLE}"),
        ("   ", f"The date and time is empty; give it as YYYY-MM-DDTHH:MM, {EXAMPLE}"),
        # fromisoformat makes this midnight; a session at midnight is a forgotten time.
        ("2026-11-20", "'2026-11-20' has no time of day; add it, e.g. 2026-11-20T10:00."),
        (
            "2026-11-20T10:00Z",
            "'2026-11-20T10:00Z' has a time zone; give the local time without one, "
            "e.g. 2026-11-20T10:00.",
        ),
        (
            "2026-11-20T10:00+01:00",
            "'2026-11-20T10:00+01:00' has a time zone; give the local time without one, "
            "e.g. 2026-11-20T10:00.",
        ),
        (
            "2026-11-20T10:60",
            "'2026-11-20T10:60' is not a date and time: 10:60 is not a time of day; "
            "use 00:00 to 23:59.",
        ),
        (
            "2026-11-20T24:00",
            "'2026-11-20T24:00' is not a date and time: 24:00 is not a time of day; "
            "use 00:00 to 23:59.",
        ),
        (
            "2026-02-29T10:00",
            "'2026-02-29T10:00' is not a date and time: 2026-02-29 is not a day of the "
            "calendar; check the date.",
        ),
        (
            "2026-11-31 10:00",
            "'2026-11-31 10:00' is not a date and time: 2026-11-31 is not a day of the "
            "calendar; check the date.",
        ),
        (
            "2026-11-20T10:00:30",
            "'2026-11-20T10:00:30' has seconds; times are recorded to the minute, so give "
            "2026-11-20T10:00.",
        ),
        ("2026-11-20T10:00:00.5", not_a_moment("2026-11-20T10:00:00.5")),
        (
            f"{ARABIC_DAY}T10:00",
            f"'{ARABIC_DAY}T10:00' is not a date and time; use YYYY-MM-DDTHH:MM with the "
            f"digits 0 to 9, {EXAMPLE}",
        ),
        ("1949-12-31T10:00", f"1949-12-31 is out of range; {RANGE}"),
        ("2101-01-01T10:00", f"2101-01-01 is out of range; {RANGE}"),
        # Forms fromisoformat takes and a person would not mean: all refused alike.
        ("20261120T1000", not_a_moment("20261120T1000")),
        ("2026-11-20T10", not_a_moment("2026-11-20T10")),
        ("2026-W47-5T10:00", not_a_moment("2026-W47-5T10:00")),
        ("2026-11-20T9:00", not_a_moment("2026-11-20T9:00")),
        ("2026-11-20t10:00", not_a_moment("2026-11-20t10:00")),
        ("2026-11-20  10:00", not_a_moment("2026-11-20  10:00")),
        ("20/11/2026 10:00", not_a_moment("20/11/2026 10:00")),
    ],
)
def test_starts_that_are_refused_say_why(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_moment(text)
    assert str(refused.value) == message


@given(st.datetimes(datetime(1950, 1, 1), datetime(2100, 12, 31, 23, 59)), st.sampled_from("T "))
def test_every_minute_in_range_reads_back_exactly(moment: datetime, separator: str) -> None:
    moment = moment.replace(second=0, microsecond=0)
    assert parse_moment(moment.strftime(f"%Y-%m-%d{separator}%H:%M")) == moment


@given(st.text(max_size=24))
def test_any_text_is_the_minute_it_spells_or_refused(text: str) -> None:
    """Never a guess: whatever is accepted is exactly the date and minute written."""
    try:
        moment = parse_moment(text)
    except InvalidInput:
        return
    written = text.strip().replace(" ", "T")
    assert written in (moment.strftime("%Y-%m-%dT%H:%M"), moment.strftime("%Y-%m-%dT%H:%M:00"))


# --- days --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        (" 2028-02-29 ", date(2028, 2, 29)),
        ("2026-02-29", "'2026-02-29' is not a date; use YYYY-MM-DD, e.g. 2026-11-20."),
        ("2026-13-01", "'2026-13-01' is not a date; use YYYY-MM-DD, e.g. 2026-11-20."),
        ("2026-11-20T10:00", "'2026-11-20T10:00' is not a date; use YYYY-MM-DD, e.g. 2026-11-20."),
        ("20261120", "'20261120' is not a date; use YYYY-MM-DD, e.g. 2026-11-20."),
        (
            ARABIC_DAY,
            f"'{ARABIC_DAY}' is not a date; use YYYY-MM-DD with the digits 0 to 9, "
            "e.g. 2026-11-20.",
        ),
        ("", "The date is empty; give it as YYYY-MM-DD, e.g. 2026-11-20."),
        ("0001-01-01", f"0001-01-01 is out of range; {RANGE}"),
        ("9999-12-31", f"9999-12-31 is out of range; {RANGE}"),
    ],
)
def test_days(text: str, outcome: date | str) -> None:
    if isinstance(outcome, date):
        assert parse_day(text) == outcome
        return
    with pytest.raises(InvalidInput) as refused:
        parse_day(text)
    assert str(refused.value) == outcome


# --- item values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9", 9.0),
        ("8.5", 8.5),
        ("8,5", 8.5),  # a decimal comma, as many keyboards type it
        ("8.50", 8.5),  # exactly 8.5: stored as the grid value
        (" 9 ", 9.0),
        ("\u00a09\t", 9.0),  # a no-break space and a tab around it
        ("-0", 0.0),  # zero, stored without its sign
        ("+9", 9.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("010", 10.0),
        ("0", 0.0),
        ("10", 10.0),
        ("", None),  # not answered
        ("   ", None),
    ],
)
def test_values_that_are_read(text: str, expected: float | None) -> None:
    value = parse_item_text(text, SRS, SRS.items[0])
    assert value == expected
    if value is not None:
        assert repr(value) == repr(expected)  # 0.0, not -0.0; 8.5, not 8.500000000000002


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("9.0000000001", "9.0000000001 has more than 1 decimal"),  # refused, not snapped to 9
        ("8.55", "8.55 has more than 1 decimal"),
        ("11", "11 is not between 0 and 10"),
        ("10.1", "10.1 is not between 0 and 10"),
        ("-1", "-1 is not between 0 and 10"),
        ("-0.1", "-0.1 is not between 0 and 10"),
        ("1e1", "'1e1' is not a number"),
        ("0x9", "'0x9' is not a number"),
        ("1_0", "'1_0' is not a number"),
        ("nan", "'nan' is not a number"),
        ("inf", "'inf' is not a number"),
        ("-inf", "'-inf' is not a number"),
        ("True", "'True' is not a number"),
        ("9 .5", "'9 .5' is not a number"),
        ("8.5.0", "'8.5.0' is not a number"),
        ("½", "'½' is not a number"),
        ("٣", "'٣' is not a number (type the digits 0 to 9)"),
        ("９", "'９' is not a number (type the digits 0 to 9)"),  # noqa: RUF001 (full width)
        ("1" * 41, "11111111111111111111111111111… has too many digits"),
    ],
)
def test_values_that_are_refused_say_why(text: str, what: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_item_text(text, SRS, SRS.items[0])
    assert str(refused.value) == f"{SRS_1}; {what}."


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("4", 4.0),
        ("4.0", 4.0),
        ("3.5", "3.5 is not a whole number"),
        ("4.0000000001", "4.0000000001 is not a whole number"),
        ("0", "0 is not between 1 and 5"),
        ("6", "6 is not between 1 and 5"),
    ],
)
def test_whole_number_items(text: str, outcome: float | str) -> None:
    if isinstance(outcome, float):
        assert parse_item_text(text, WAI, WAI.items[0]) == outcome
        return
    with pytest.raises(InvalidInput) as refused:
        parse_item_text(text, WAI, WAI.items[0])
    assert str(refused.value) == f"{WAI_1}; {outcome}."


@given(st.text(alphabet="0123456789.,+- e", max_size=14))
def test_an_accepted_value_is_exactly_the_number_written(text: str) -> None:
    try:
        value = parse_item_text(text, SRS, SRS.items[0])
    except InvalidInput:
        return
    if value is not None:
        assert Fraction(text.strip().replace(",", ".")) == Fraction(repr(value))


@pytest.mark.parametrize(
    ("value", "outcome"),
    [
        (9, 9.0),
        (8.5, 8.5),
        (0, 0.0),
        (-0.0, 0.0),
        (None, None),
        (9.0000000001, "9.0000000001 has more than 1 decimal"),
        (7.300000000000001, "7.300000000000001 has more than 1 decimal"),  # float noise
        (11, "11 is not between 0 and 10"),
        (10**30, "10000000000000000000000000000… is not between 0 and 10"),
        (True, "true is not a number"),
        (float("nan"), "NaN is not a number"),
        (float("inf"), "Infinity is not a number"),
        (float("-inf"), "-Infinity is not a number"),
        ("9", "'9' is text, not a number: write it without quotes"),
        ([9], "[9] is not a number"),
    ],
)
def test_json_values(value: object, outcome: float | str | None) -> None:
    if not isinstance(outcome, str):
        read = parse_item_number(value, SRS, SRS.items[0])
        assert read == outcome and repr(read) == repr(outcome)
        return
    with pytest.raises(InvalidInput) as refused:
        parse_item_number(value, SRS, SRS.items[0])
    assert str(refused.value) == f"{SRS_1}; {outcome}."


def test_a_list_of_values_is_counted_then_read_in_order() -> None:
    assert parse_item_values(["9", "8.50", None, "-0"], "SRS") == [9.0, 8.5, None, 0.0]
    with pytest.raises(InvalidInput) as refused:
        parse_item_values(["9"] * 5, "SRS")
    assert str(refused.value) == "SRS takes 4 values, one per item in order; 5 were given."
    with pytest.raises(InvalidInput, match=r"^SRS Goals and Topics: .*; 'x' is not a number\.$"):
        parse_item_values(["9", "x", "y", "9"], "SRS")  # the first wrong one is named


# --- a session as JSON -------------------------------------------------------------------


def test_a_json_session_comes_back_with_one_spelling_of_each_value() -> None:
    document: dict[str, Any] = {
        "start": "2026-11-20 10:00:00",
        "notes": "kept as it is",
        "measurements": [
            {"instrument_id": "SRS", "item_values": [9, 8.50, None, -0.0]},
            {"instrument_id": "ORS", "taken_at": "2026-11-20T09:55", "item_values": [5] * 4},
        ],
        "goal_ratings": [{"goal": 1, "rating": 4.0}],
    }
    checked = checked_session_json(document, "s.json")
    assert checked["start"] == "2026-11-20T10:00"
    assert checked["notes"] == "kept as it is"
    assert checked["measurements"][0]["item_values"] == [9.0, 8.5, None, 0.0]
    assert checked["measurements"][1]["taken_at"] == "2026-11-20T09:55"
    assert checked["goal_ratings"] == [{"goal": 1, "rating": 4.0}]
    assert document["start"] == "2026-11-20 10:00:00"  # the caller's object is not changed
    assert "start" not in checked_session_json({}, "s.json")  # the caller decides


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"start": "2026-11-20T10.50"},
            "s.json.start: '2026-11-20T10.50' is not a date and time; write the time with a "
            "colon, e.g. 2026-11-20T10:50.",
        ),
        (
            {"start": ""},
            f"s.json.start: The date and time is empty; give it as YYYY-MM-DDTHH:MM, {EXAMPLE}",
        ),
        (
            {"start": "2026-11-20"},
            "s.json.start: '2026-11-20' has no time of day; add it, e.g. 2026-11-20T10:00.",
        ),
        (
            {"start": 20261120},
            "s.json.start: 20261120 is not a date and time; write it as text, e.g. "
            '"2026-11-20T10:00".',
        ),
        (
            {
                "start": "2026-11-20T10:00",
                "measurements": [{"instrument_id": "SRS", "item_values": [9.0000000001, 9, 9, 9]}],
            },
            f"s.json.measurements[0]: {SRS_1}; 9.0000000001 has more than 1 decimal.",
        ),
        (
            {
                "start": "2026-11-20T10:00",
                "measurements": [
                    {"instrument_id": "SRS", "taken_at": "2026-11-20", "item_values": [9] * 4}
                ],
            },
            "s.json.measurements[0].taken_at: '2026-11-20' has no time of day; add it, "
            "e.g. 2026-11-20T10:00.",
        ),
        (
            {"start": "2026-11-20T10:00", "goal_ratings": [{"goal": 1, "rating": 6.5}]},
            "s.json.goal_ratings[0]: GBO goal 1: enter a whole number from 0 to 10; 6.5 is not "
            "a whole number.",
        ),
    ],
)
def test_json_refusals_name_the_place(document: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_session_json(document, "s.json")
    assert str(refused.value) == message


def test_what_the_json_check_leaves_alone_is_still_refused_by_the_session_reader() -> None:
    document = {"start": "2026-11-20T10:00", "measurements": [{"instrument_id": "XYZ"}]}
    checked = checked_session_json(document, "s.json")
    with pytest.raises(InvalidInput, match="no instrument called 'XYZ'"):
        sessions.parse_session(checked, client(), where="s.json")


# --- the three entry points agree --------------------------------------------------------


def _cli_start(text: str) -> str:
    try:
        cli._iso_moment(text)
    except argparse.ArgumentTypeError as exc:
        return str(exc)
    return "accepted"


def _json_start(text: str) -> str:
    try:
        checked_session_json({"start": text}, "s.json")
    except InvalidInput as exc:
        return str(exc).removeprefix("s.json.start: ").rstrip(".")
    return "accepted"


def _editor_start(text: str) -> str:
    form = SessionForm(start=text, approach="cbt")
    error = read_form(form, client(), now=NOW).errors.get("start")
    return "accepted" if error is None else error.rstrip(".")


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-20T10:00",
        "2026-11-20 10:00",
        "2026-11-20T10.50",
        "2026-11-20",
        "",
        "2026-11-20T10:00Z",
        "2026-11-20T24:00",
        "2026-02-29T10:00",
        "1949-12-31T10:00",
        "2026-11-20T10:00:30",
        f"{ARABIC_DAY}T10:00",
    ],
)
def test_the_command_line_json_and_the_editor_read_a_start_alike(text: str) -> None:
    assert _cli_start(text) == _json_start(text) == _editor_start(text)


def _cli_values(texts: list[str]) -> str:
    parts = cli._numbers(",".join(texts))
    try:
        parse_item_values(parts, "SRS")
    except InvalidInput as exc:
        return str(exc)
    return "accepted"


def _json_values(values: list[object]) -> str:
    document = {
        "start": "2026-11-20T10:00",
        "measurements": [{"instrument_id": "SRS", "item_values": values}],
    }
    try:
        checked_session_json(document, "s.json")
    except InvalidInput as exc:
        return str(exc).removeprefix("s.json.measurements[0]: ")
    return "accepted"


def _editor_values(texts: list[str]) -> str:
    form = SessionForm(
        start="2026-11-20 10:00", approach="cbt", instruments=["SRS"], items={"SRS": texts}
    )
    errors = read_form(form, client(), now=NOW).errors
    keys = [item_key("SRS", n) for n in range(1, 5)]
    return next((errors[key] for key in keys if key in errors), "accepted")


@pytest.mark.parametrize(
    ("typed", "in_json"),
    [
        (["9", "8.5", "9", "9"], [9, 8.5, 9, 9]),
        (["9.0000000001", "9", "9", "9"], [9.0000000001, 9, 9, 9]),
        (["9", "11", "9", "9"], [9, 11, 9, 9]),
        (["9", "9", "-0.5", "9"], [9, 9, -0.5, 9]),
        (["-0", "9", "9", "9"], [-0.0, 9, 9, 9]),
    ],
)
def test_the_command_line_json_and_the_editor_read_values_alike(
    typed: list[str], in_json: list[object]
) -> None:
    assert _cli_values(typed) == _json_values(in_json) == _editor_values(typed)


def test_a_start_in_the_future_is_judged_by_the_session_check_everywhere() -> None:
    """The parser has no clock; the session check does, with the caller's "now"."""
    start = "2026-11-27T10:00"  # two days after NOW: beyond the day's grace
    assert parse_moment(start) == datetime(2026, 11, 27, 10, 0)
    session = sessions.parse_session(checked_session_json({"start": start}, "s.json"), client())
    with pytest.raises(InvalidInput) as refused:
        sessions.check_session(session, client(), now=NOW)
    editor = read_form(SessionForm(start=start, approach="cbt"), client(), now=NOW)
    assert editor.errors["start"] == str(refused.value)
    assert "is in the future; sessions are recorded after they take place" in str(refused.value)
