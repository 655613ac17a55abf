"""Text folding for search: "zoe" finds "Zoë", "lukasz" finds "Łukasz", case ignored."""

from __future__ import annotations

import unicodedata

# Letters that Unicode does not decompose into a base letter plus an accent.
_EXTRA = str.maketrans(
    {
        "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d",
        "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "\u0131": "i", "þ": "th",
        "Þ": "th", "ħ": "h", "Ħ": "h",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents, for accent- and case-insensitive matching."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
