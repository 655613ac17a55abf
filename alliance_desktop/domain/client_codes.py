"""Client codes compared as a person reads them: "Émile-1" and "émile-1" are one code.

SQLite's ``lower()`` folds ASCII letters only, while the same letter can also be typed
composed or decomposed (é, or e + ◌́). The key a code is stored and looked up by is its
Unicode-normalised (NFC) case fold, so two people can never share a code that differs only
in case or in how an accent was typed, and any spelling of a code reaches its client.
"""

from __future__ import annotations

import unicodedata

#: Longest key a 20-character code can fold to ("ß" folds to "ss", "ﬃ" to "ffi").
MAX_KEY_LENGTH = 80


def code_key(code: str) -> str:
    """The key ``code`` is unique by and looked up by (NFC, case-folded, trimmed)."""
    composed = unicodedata.normalize("NFC", code.strip())
    return unicodedata.normalize("NFC", composed.casefold())
