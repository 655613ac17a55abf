"""The recovery sheet: one printed page whose code unlocks the database without the passphrase.

The code is printed large, in groups of five, with the database it belongs to, the day it
was made and what to do with the sheet. Nothing about clients is on it.
"""

from __future__ import annotations

from html import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from alliance_desktop.reports.document import render, styles
from alliance_desktop.reports.fonts import BOLD
from alliance_desktop.services.security import RecoverySheet


def recovery_sheet_pdf(sheet: RecoverySheet) -> bytes:
    """The recovery sheet as PDF bytes (one A4 page)."""
    s = styles()
    groups = sheet.code.split("-")
    code_table = Table([groups], colWidths=[29 * mm] * len(groups), rowHeights=[16 * mm])
    code_table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), BOLD),
                ("FONTSIZE", (0, 0), (-1, -1), 17),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BOX", (0, 0), (-1, -1), 1.2, "#000000"),
                ("INNERGRID", (0, 0), (-1, -1), 0.4, "#777777"),
            ]
        )
    )
    steps = [
        "Start Alliance Desktop. On the unlock screen choose <b>Use recovery sheet…</b>.",
        "Type the code above (capitals, spaces and dashes do not matter).",
        "Choose a new passphrase. The records open, and this sheet keeps working.",
    ]
    story: list[Flowable] = [
        Paragraph(escape(sheet.practice_name) or "Alliance Desktop", s["small"]),
        Spacer(1, 4),
        Paragraph("Recovery sheet", s["title"]),
        Paragraph(
            "This code unlocks your Alliance Desktop records if the passphrase is forgotten. "
            "It is the only way back in without the passphrase.",
            s["body"],
        ),
        Spacer(1, 10),
        code_table,
        Spacer(1, 10),
        Paragraph(f"Database: {escape(sheet.database)}", s["body"]),
        Paragraph(f"Made on {sheet.made_on.isoformat()}", s["body"]),
        Paragraph("Keep it safe", s["h2"]),
        Paragraph(
            "Anyone holding this sheet and the laptop (or a copy of the database and its key "
            "file) can read every record. Keep it locked away from the laptop, as you would a "
            "paper case file; never on the laptop or the backup stick. A backup is not opened "
            "by this code: backups open with the passphrase they were made with.",
            s["body"],
        ),
        Paragraph(
            "Printing a new sheet makes a new code: this one then stops working. Destroy it.",
            s["body"],
        ),
        Paragraph("If the passphrase is forgotten", s["h2"]),
        *[Paragraph(f"{n}. {text}", s["body"]) for n, text in enumerate(steps, start=1)],
    ]
    return render(
        story, title="Recovery sheet", author=sheet.practice_name, generated_on=sheet.made_on
    )
