"""The page every report shares: A4, DejaVu Sans, and a footer on each page.

The footer says "Confidential", "page X of Y" and the date the report was generated. Y is
known only when the last page is laid out, so the canvas keeps each page's state and
writes the footers at the end (the usual reportlab two-pass canvas).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from functools import cache
from html import escape
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate
from reportlab.platypus.doctemplate import LayoutError

from alliance_desktop.domain.wording import SEVERITY_SYMBOLS, SEVERITY_WORDS, URGENT_COLOUR
from alliance_desktop.reports.fonts import BOLD, REGULAR, register_fonts
from alliance_desktop.services.errors import InvalidInput

PAGE = A4
MARGIN = 18 * mm
TEXT_WIDTH = PAGE[0] - 2 * MARGIN


def severity_markup(severity: str, reason: str) -> str:
    """One alert as report markup: sign, word and sentence; urgent in bold vermillion.

    Severity never rests on colour alone: the sign and the word say it too.
    """
    sign = SEVERITY_SYMBOLS.get(severity, SEVERITY_SYMBOLS["warning"])
    word = SEVERITY_WORDS.get(severity, SEVERITY_WORDS["warning"])
    if severity == "urgent":
        return (
            f'<font color="{URGENT_COLOUR}"><b>{sign} {word}:</b></font> '
            f'<font color="{URGENT_COLOUR}">{escape(reason)}</font>'
        )
    return f"<b>{sign} {word}:</b> {escape(reason)}"


@cache
def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles of every report (made once)."""
    register_fonts()
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=12.5, alignment=TA_LEFT)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=15, leading=19),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=BOLD, fontSize=11, leading=14, spaceBefore=9, spaceAfter=3
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10),
        "cell_bold": ParagraphStyle(
            "cell_bold", parent=body, fontName=BOLD, fontSize=8, leading=10
        ),
    }


#: The most of one free-text field a report prints. Notes can be a megabyte (an import allows
#: it); laying that out would take minutes, and nobody files a hundred-page note.
MAX_PRINTED_TEXT = 20_000


def paragraph(text: str, style: str = "body") -> Paragraph:
    """One paragraph of report markup in a named style."""
    return Paragraph(text, styles()[style])


def text_block(text: str, style: str = "body", limit: int = MAX_PRINTED_TEXT) -> list[Flowable]:
    """Text the therapist typed, escaped, one paragraph per line, cut at ``limit``.

    Short paragraphs let a long text flow across pages; one huge paragraph is split by
    reportlab ever more slowly as it grows.
    """
    shown = text if len(text) <= limit else text[:limit]
    blocks: list[Flowable] = [
        paragraph(escape(line), style) for line in shown.splitlines() if line.strip()
    ]
    if len(text) > limit:
        blocks.append(
            paragraph(
                f"… {len(text) - limit:,} more characters are in the record (not printed).",
                "small",
            )
        )
    return blocks


def shortened(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (for table cells)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _numbered_canvas(generated_on: date, title: str) -> type[Canvas]:
    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab is untyped
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            self.saveState()
            self.setFont(REGULAR, 7.5)
            self.setFillColor(colors.HexColor("#444444"))
            y = 10 * mm
            self.drawString(MARGIN, y, f"Confidential · {title}")
            self.drawCentredString(PAGE[0] / 2, y, f"page {self._pageNumber} of {total}")
            self.drawRightString(PAGE[0] - MARGIN, y, f"generated {generated_on.isoformat()}")
            self.restoreState()

    return NumberedCanvas


def render(story: Sequence[Flowable], *, title: str, author: str, generated_on: date) -> bytes:
    """Lay out ``story`` on A4 pages with the shared footer; return the PDF's bytes."""
    register_fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
        title=title,
        author=author,
        creator="Alliance Desktop",
    )
    try:
        document.build(list(story), canvasmaker=_numbered_canvas(generated_on, title))
    except LayoutError as exc:  # something taller than a page that cannot be split
        raise InvalidInput(
            "Part of the report is too long to fit on a page (a very long goal or line of "
            "text); shorten it in the record and try again."
        ) from exc
    return buffer.getvalue()
