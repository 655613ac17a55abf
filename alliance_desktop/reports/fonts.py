"""The fonts every PDF embeds: DejaVu Sans, shipped in ``resources/fonts`` with its licence.

reportlab's built-in fonts cover Latin-1 only; DejaVu Sans prints Zoë Łukasiewicz, Ёлка
and Ἀθηνᾶ, and right-to-left names are at least extractable. Registered once, on first use.
"""

from __future__ import annotations

from functools import cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from alliance_desktop import paths

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"


@cache
def register_fonts() -> None:
    """Register the embedded fonts with reportlab (idempotent)."""
    folder = paths.resources_dir() / "fonts"
    pdfmetrics.registerFont(TTFont(REGULAR, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(
        REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD
    )
