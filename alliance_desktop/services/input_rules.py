"""What a typed date, session start or item value means: one set of rules for every entry point.

The command line (``--date``, ``--srs 9,9,8.5,9``, ``--as-of``), a session given as JSON
(``session add --json``) and the session editor all read through these functions, so they
accept and refuse exactly the same things with the same sentence. Pure functions: no Qt, no
database and no clock (whether a start lies in the future is the session check's business,
``services.sessions.session_problems``, which all three entry points call with their "now").

The rules, and why:

* A session start is ``YYYY-MM-DDTHH:MM`` (a space may stand for the ``T``; ``:00`` seconds
  are allowed because ``datetime.isoformat()`` writes them). Only ASCII digits, two of each
  field. Python's ``datetime.fromisoformat`` is *not* used: it reads ``10.50`` as a fraction
  of an hour, ``2026-11-20`` as midnight, ``20261120T1000`` and week dates, and time zones.
* A start without a time of day, with a time zone, with seconds other than ``:00``, or empty,
  is refused: each would be stored as something the user did not say.
* Dates run from ``EARLIEST_DATE`` to ``LATEST_DATE``.
* An item value is a plain decimal (``8.5``; ``8,5`` in the editor, whose keyboard may type
  a decimal comma) or, in JSON, a number. It must lie in the item's range *exactly* on its
  step: the check is done in exact fractions of the value as written, with no tolerance, so
  ``9.0000000001`` is refused rather than stored as typed or quietly turned into 9. The
  stored value is then the grid value itself (``8.50`` is stored as 8.5). Exponents,
  ``0x``, ``_``, ``nan``, ``inf``, booleans and non-ASCII digits are refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from alliance_desktop.domain._format import fmt_number
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    GOALS_ID,
    INSTRUMENTS,
    Instrument,
    Item,
    get_instrument,
)
from alliance_desktop.services.errors import InvalidInput

__all__ = [
    "EARLIEST_DATE",
    "LATEST_DATE",
    "checked_session_json",
    "item_wanted",
    "parse_day",
    "parse_item_number",
    "parse_item_text",
    "parse_item_values",
    "parse_moment",
]

#: Dates a practice record can sensibly carry (a demo reaches back three years from --as-of).
EARLIEST_DATE = date(1950, 1, 1)
LATEST_DATE = date(2100, 12, 31)
_EXAMPLE = "2026-11-20T10:00"
_DAY = r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
_DAY_ONLY = re.compile(_DAY)
_MOMENT = re.compile(_DAY + r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?")
# A local time followed by Z or an offset (+01:00, -0500, +01).
_ZONED = re.compile(
    _DAY + r"[T ]([0-9]{2}:[0-9]{2})(?::[0-9]{2}(?:\.[0-9]+)?)?(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)"
)
# Hours and minutes split by something other than a colon: 10.50, 10,50, 10h50.
_NO_COLON = re.compile(_DAY + r"[T ]([0-9]{1,2})[.,hH]([0-9]{2})")
# A plain decimal with an optional sign; a decimal comma has become a point already.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_MAX_NUMBER_LENGTH = 40  # far beyond any answer; keeps exact arithmetic and messages small
_SHOWN_LENGTH = 30


def _shown(text: str) -> str:
    """The text as a message quotes it: long input is cut, so the sentence stays readable."""
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


def _foreign_digits(text: str) -> bool:
    """True when ``text`` has digits other than 0-9 (Arabic-Indic ٣, full-width ones): they
    are refused, and the message then says which digits to type."""
    return any(ch.isdigit() and not ch.isascii() for ch in text)


# --- dates and times ---------------------------------------------------------------------


def _in_range(day: date) -> None:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise InvalidInput(
            f"{day} is out of range; use a date from {EARLIEST_DATE} to {LATEST_DATE}."
        )


def parse_day(text: str) -> date:
    """A calendar day typed as ``YYYY-MM-DD``, within the app's range.

    Raises:
        InvalidInput: With one sentence saying what is wrong and what to type.
    """
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("The date is empty; give it as YYYY-MM-DD, e.g. 2026-11-20.")
    match = _DAY_ONLY.fullmatch(cleaned)
    try:
        if match is None:
            raise ValueError
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        digits = " with the digits 0 to 9" if _foreign_digits(cleaned) else ""
        raise InvalidInput(
            f"{_shown(cleaned)!r} is not a date; use YYYY-MM-DD{digits}, e.g. 2026-11-20."
        ) from None
    _in_range(day)
    return day


def parse_moment(text: str) -> datetime:
    """A session start (or the moment a measure was taken) typed as ``YYYY-MM-DDTHH:MM``.

    A space may stand for the ``T``, and ``:00`` seconds may follow. Returns a naive local
    datetime to the minute.

    Raises:
        InvalidInput: With one sentence saying what is wrong and what to type.
    """
    cleaned = text.strip()
    shown = repr(_shown(cleaned))
    if not cleaned:
        raise InvalidInput(
            f"The date and time is empty; give it as YYYY-MM-DDTHH:MM, e.g. {_EXAMPLE}."
        )
    match = _MOMENT.fullmatch(cleaned)
    if match is None:
        if zoned := _ZONED.fullmatch(cleaned):
            local = f"{zoned[1]}-{zoned[2]}-{zoned[3]}T{zoned[4]}"
            raise InvalidInput(
                f"{shown} has a time zone; give the local time without one, e.g. {local}."
            )
        if split := _NO_COLON.fullmatch(cleaned):
            fixed = f"{split[1]}-{split[2]}-{split[3]}T{int(split[4]):02d}:{split[5]}"
            raise InvalidInput(
                f"{shown} is not a date and time; write the time with a colon, e.g. {fixed}."
            )
        digits = " with the digits 0 to 9" if _foreign_digits(cleaned) else ""
        raise InvalidInput(
            f"{shown} is not a date and time; use YYYY-MM-DDTHH:MM{digits}, e.g. {_EXAMPLE}."
        )
    year, month, day_number = int(match[1]), int(match[2]), int(match[3])
    day_text = f"{match[1]}-{match[2]}-{match[3]}"
    try:
        day = date(year, month, day_number)
    except ValueError:
        raise InvalidInput(
            f"{shown} is not a date and time: {day_text} is not a day of the calendar; "
            "check the date."
        ) from None
    _in_range(day)
    if match[4] is None:  # a session at midnight is nearly always a forgotten time
        raise InvalidInput(f"{shown} has no time of day; add it, e.g. {day_text}T10:00.")
    hour, minute = int(match[4]), int(match[5])
    if hour > 23 or minute > 59 or (match[6] is not None and int(match[6]) > 59):
        raise InvalidInput(
            f"{shown} is not a date and time: {match[4]}:{match[5]} is not a time of day; "
            "use 00:00 to 23:59."
        )
    if match[6] is not None and int(match[6]) != 0:
        # The editor and every list show minutes; seconds would be kept unseen, then lost.
        raise InvalidInput(
            f"{shown} has seconds; times are recorded to the minute, so give "
            f"{day_text}T{match[4]}:{match[5]}."
        )
    return datetime(year, month, day_number, hour, minute)


# --- item values -------------------------------------------------------------------------


def _exact(value: float) -> Fraction:
    """A bound, step or JSON number exactly as written (0.1 is one tenth, not its binary)."""
    return Fraction(value) if isinstance(value, int) else Fraction(repr(float(value)))


def _decimals(item: Item) -> int | None:
    """How many decimals the item's grid has, or None when its step is not 1, 0.1, 0.01 …"""
    step, low = _exact(item.step), _exact(item.minimum)
    if step.numerator != 1 or (low / step).denominator != 1:
        return None
    places = 0
    while 10**places < step.denominator:
        places += 1
    return places if 10**places == step.denominator else None


def item_wanted(instrument: Instrument, item: Item) -> str:
    """What an item takes, e.g. "SRS Relationship: enter a number with at most 1 decimal
    from 0 to 10"; every message about a value starts with it."""
    places = _decimals(item)
    if places == 0:
        precision = "a whole number"
    elif places is not None:
        precision = f"a number with at most {places} decimal{'s' if places > 1 else ''}"
    else:
        precision = f"a number in steps of {fmt_number(item.step, 6)}"
    return (
        f"{instrument.id} {item.label}: enter {precision} from {fmt_number(item.minimum)} "
        f"to {fmt_number(item.maximum)}"
    )


def _on_grid(value: Fraction, shown: str, instrument: Instrument, item: Item) -> float:
    """The value as stored, once it is known to be within range and on the item's step."""
    wanted = item_wanted(instrument, item)
    low, high = _exact(item.minimum), _exact(item.maximum)
    if not low <= value <= high:
        raise InvalidInput(
            f"{wanted}; {shown} is not between {fmt_number(item.minimum)} and "
            f"{fmt_number(item.maximum)}."
        )
    steps = (value - low) / _exact(item.step)
    if steps.denominator != 1:
        places = _decimals(item)
        if places == 0:
            wrong = "is not a whole number"
        elif places is not None:
            wrong = f"has more than {places} decimal{'s' if places > 1 else ''}"
        else:
            wrong = f"is not on a step of {fmt_number(item.step, 6)}"
        raise InvalidInput(f"{wanted}; {shown} {wrong}.")
    # The same snapping as domain.scoring.validate_item_value, so both give the same float.
    return round(item.minimum + int(steps) * item.step, item.grid_decimals) + 0.0  # no -0.0


def parse_item_text(text: str, instrument: Instrument, item: Item) -> float | None:
    """The value typed for one item: None when blank, else the number on the item's grid.

    A comma is read as a decimal point (8,5), as many keyboards type it.

    Raises:
        InvalidInput: One sentence naming the item, its range and precision, and what is
            wrong with the text.
    """
    cleaned = text.strip()
    if not cleaned:
        return None
    shown = _shown(cleaned)
    decimal = cleaned.replace(",", ".")
    if _DECIMAL.fullmatch(decimal) is None:  # float() would also take 1_0, 1e1, inf and nan
        digits = " (type the digits 0 to 9)" if _foreign_digits(cleaned) else ""
        raise InvalidInput(f"{item_wanted(instrument, item)}; {shown!r} is not a number{digits}.")
    if len(decimal) > _MAX_NUMBER_LENGTH:
        raise InvalidInput(f"{item_wanted(instrument, item)}; {shown} has too many digits.")
    return _on_grid(Fraction(decimal), shown, instrument, item)


def parse_item_number(value: object, instrument: Instrument, item: Item) -> float | None:
    """One item value from JSON: None (not answered) or a number on the item's grid.

    Text is refused even when it spells a number: the file's shape has numbers there (as
    the export writes them), and a quoted value is often a spreadsheet's formatting.

    Raises:
        InvalidInput: As ``parse_item_text``.
    """
    if value is None:
        return None
    wanted = item_wanted(instrument, item)
    if isinstance(value, bool):  # True is an int to Python, and 1 to float()
        raise InvalidInput(f"{wanted}; {str(value).lower()} is not a number.")
    if isinstance(value, str):
        raise InvalidInput(
            f"{wanted}; {_shown(value)!r} is text, not a number: write it without quotes."
        )
    if not isinstance(value, int | float):
        raise InvalidInput(f"{wanted}; {_shown(repr(value))} is not a number.")
    if isinstance(value, float) and not math.isfinite(value):
        word = "NaN" if math.isnan(value) else ("-" if value < 0 else "") + "Infinity"
        raise InvalidInput(f"{wanted}; {word} is not a number.")
    shown = _shown(str(value) if isinstance(value, int) else repr(value))
    return _on_grid(_exact(value), shown, instrument, item)


def parse_item_values(texts: Sequence[str | None], instrument_id: str) -> list[float | None]:
    """Typed values of one instrument's items, in order (None or blank: not answered).

    Raises:
        InvalidInput: For an unknown instrument, a wrong count, or the first wrong value.
    """
    try:
        instrument = get_instrument(instrument_id)
    except DomainError as exc:
        raise InvalidInput(str(exc)) from None
    items = instrument.items
    if not instrument.min_values <= len(texts) <= len(items):
        expected = (
            f"{len(items)}"
            if instrument.min_values == len(items)
            else f"from {instrument.min_values} to {len(items)}"
        )
        raise InvalidInput(
            f"{instrument.id} takes {expected} values, one per item in order; "
            f"{len(texts)} {'was' if len(texts) == 1 else 'were'} given."
        )
    return [
        None if text is None else parse_item_text(text, instrument, item)
        for item, text in zip(items, texts, strict=False)
    ]


# --- a session given as JSON -------------------------------------------------------------


def _moment_field(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    """``obj[key]`` read as a moment and written back the one way (None when absent)."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(
            f"{where}.{key}: {_shown(repr(value))} is not a date and time; write it as text, "
            f'e.g. "{_EXAMPLE}".'
        )
    try:
        return parse_moment(value).isoformat(timespec="minutes")
    except InvalidInput as exc:
        raise InvalidInput(f"{where}.{key}: {exc}") from None


def checked_session_json(obj: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A session object (the export's shape) with its start, measure times and values read.

    ``start`` and every ``taken_at`` go through ``parse_moment`` and come back as
    ``YYYY-MM-DDTHH:MM``; every item value and goal rating goes through
    ``parse_item_number`` and comes back as its grid value. A missing ``start`` is left
    missing (the caller decides what that means: the command line refuses it). Everything
    else (unknown fields, instruments, counts, types) is left for the session reader,
    ``services.sessions.parse_session``, to check and word. The input is not changed.

    Raises:
        InvalidInput: Naming the place in the object (``where.start``,
            ``where.measurements[0]``) and the problem, in the words used everywhere else.
    """
    checked = dict(obj)
    if "start" in obj and obj["start"] is not None:
        checked["start"] = _moment_field(obj, "start", where)
    measurements = obj.get("measurements")
    if isinstance(measurements, list):
        checked["measurements"] = [
            _checked_measurement(m, f"{where}.measurements[{i}]")
            for i, m in enumerate(measurements)
        ]
    ratings = obj.get("goal_ratings")
    if isinstance(ratings, list):
        checked["goal_ratings"] = [
            _checked_rating(r, f"{where}.goal_ratings[{i}]") for i, r in enumerate(ratings)
        ]
    return checked


def _checked_measurement(m: Any, where: str) -> Any:
    if not isinstance(m, dict):
        return m
    checked = dict(m)
    if m.get("taken_at") is not None:
        checked["taken_at"] = _moment_field(m, "taken_at", where)
    values = m.get("item_values")
    try:
        instrument = get_instrument(m.get("instrument_id"))  # type: ignore[arg-type]
    except DomainError:
        return checked  # the session reader names the unknown instrument
    if not isinstance(values, list):
        return checked
    try:
        # Values past the last item are kept for the count check to name.
        read = [
            parse_item_number(v, instrument, item)
            for v, item in zip(values, instrument.items, strict=False)
        ]
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    checked["item_values"] = read + values[len(read) :]
    return checked


def _checked_rating(r: Any, where: str) -> Any:
    if not isinstance(r, dict) or r.get("rating") is None:
        return r
    goal = r.get("goal")
    gbo = INSTRUMENTS[GOALS_ID]
    if isinstance(goal, bool) or not isinstance(goal, int):
        return r  # the session reader names a bad goal number
    # As the editor reads a goal's rating: the GBO item's range, labelled by the goal.
    item = replace(gbo.items[min(max(goal, 1), len(gbo.items)) - 1], label=f"goal {goal}")
    try:
        return {**r, "rating": parse_item_number(r["rating"], gbo, item)}
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc}") from None
