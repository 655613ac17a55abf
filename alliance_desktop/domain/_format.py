"""Small number and list formatting helpers shared by domain error messages and alert reasons."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["fmt_number", "join_words", "plural"]


def fmt_number(value: float, decimals: int = 2) -> str:
    """Format a number for a sentence without float noise or needless zeros.

    Args:
        value: The number to show.
        decimals: The most decimal places to keep.

    Returns:
        ``"11"`` for 11.0, ``"33.9"`` for 33.900000001, ``"-5.5"`` for -5.5.
    """
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 1e9:
        return f"{value:.4g}"
    text = f"{round(value, decimals):.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """Return ``"1 item"`` or ``"2 items"``.

    Args:
        count: How many.
        singular: The word for one.
        plural_form: The word for several; ``singular + "s"`` when omitted.

    Returns:
        The count followed by the right form of the word.
    """
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def join_words(words: Sequence[str], last: str = "and") -> str:
    """Join words as an English list: ``"a"``, ``"a and b"``, ``"a, b and c"``.

    Args:
        words: The words to join.
        last: The word before the last one ("and", or "or").

    Returns:
        The joined phrase (empty for no words).
    """
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")  # fmt: skip


def ordinal(number: int) -> str:
    """ "fourth" for 4 (words up to ten, then "11th", "22nd" …)."""
    if 1 <= number <= len(_ORDINALS):
        return _ORDINALS[number - 1]
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"
