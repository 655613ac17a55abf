"""Words about a passphrase being chosen: whether it is allowed, and how strong it looks.

The estimate is deliberately simple (length and the kinds of character used, with a
penalty for a single repeated character or an obvious sequence); it guides, it does not
refuse beyond the minimum length. Long phrases of ordinary words score well, as they should.
"""

from __future__ import annotations

import math
import string

from alliance_desktop.storage.keys import MIN_PASSPHRASE_LENGTH

_COMMON = {"password", "passwort", "12345678", "123456789", "qwertyui", "iloveyou", "11111111"}


def passphrase_problem(text: str) -> str:
    """Why ``text`` cannot be the passphrase, in one sentence; empty when it can."""
    if len(text) < MIN_PASSPHRASE_LENGTH:
        return (
            f"Use at least {MIN_PASSPHRASE_LENGTH} characters; a few ordinary words in a row "
            "are easy to remember and hard to guess."
        )
    if text.strip().lower() in _COMMON:
        return "That passphrase is among the first any attacker tries; choose another."
    return ""


def _estimated_bits(text: str) -> float:
    pool = 0
    if any(c in string.ascii_lowercase for c in text):
        pool += 26
    if any(c in string.ascii_uppercase for c in text):
        pool += 26
    if any(c in string.digits for c in text):
        pool += 10
    if any(not c.isalnum() for c in text):
        pool += 33
    if any(ord(c) > 127 and c.isalpha() for c in text):
        pool += 50
    distinct = len(set(text))
    if distinct <= 2 or text.lower() in _COMMON:
        return float(distinct * 2)
    return len(text) * math.log2(max(pool, 2)) * min(1.0, distinct / 6)


def passphrase_strength(text: str) -> tuple[str, str]:
    """A word (weak, fair, strong) and a hint on how to do better."""
    if not text:
        return "", f"At least {MIN_PASSPHRASE_LENGTH} characters; four or more words are best."
    bits = _estimated_bits(text)
    if len(text) < MIN_PASSPHRASE_LENGTH or bits < 45:
        return "weak", "add more words; length matters more than symbols."
    if bits < 70:
        return "fair", "another word or two would make it strong."
    return "strong", "good. Write it down somewhere safe, away from the laptop."
