"""Folding for search."""

from __future__ import annotations

import pytest

from alliance_desktop.services.text import fold


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("zoe", "Zoë"),
        ("lukasz", "Łukasz"),
        ("LUKASIEWICZ", "Łukasiewicz"),
        ("amelie", "Amélie"),
        ("yilmaz", "Yılmaz"),  # noqa: RUF001 - Turkish dotless i on purpose
        ("strasse", "Straße"),
        ("ёлка", "Ёлка"),
        ("عائشة", "عائشة"),
        ("αθηνα", "Ἀθηνᾶ"),
    ],
)
def test_typed_text_finds_stored_name(typed: str, stored: str) -> None:
    assert fold(typed) in fold(stored)


def test_different_names_do_not_match() -> None:
    assert fold("zoe") not in fold("Noa")
