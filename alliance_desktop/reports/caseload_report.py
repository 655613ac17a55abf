"""The caseload summary: one line per client in therapy with latest scores and alerts."""

from __future__ import annotations

from html import escape

from reportlab.lib import colors
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from alliance_desktop.reports.document import TEXT_WIDTH, render, severity_markup, styles
from alliance_desktop.services.reports import PRORATED_NOTE, CaseloadReportData

MEASURES = ("SRS", "WAI-SR", "ORS", "CORE-10")


def caseload_report_pdf(data: CaseloadReportData) -> bytes:
    """The caseload summary as PDF bytes."""
    s = styles()
    h = data.header
    urgent_count = sum(1 for line in data.lines if any(sev == "urgent" for sev, _ in line.alerts))
    story: list[Flowable] = [
        Paragraph(escape(h.practice_name) or "Practice name not set (Preferences)", s["small"]),
        Paragraph("Caseload summary", s["title"]),
        Paragraph(
            f"{len(data.lines):,} clients in therapy (active or paused) on "
            f"{h.generated_on.isoformat()}; latest score of each measure and the alerts now "
            f"active. {urgent_count:,} with a risk answer waiting for review come first; a "
            "discharged client is listed only while one waits.",
            s["body"],
        ),
    ]
    header: list[object] = ["Code", "Name", "Last session", *MEASURES, "Alerts"]
    rows: list[list[object]] = [header]
    for line in data.lines:
        alerts = "<br/>".join(severity_markup(sev, reason) for sev, reason in line.alerts) or "—"
        rows.append(
            [
                Paragraph(escape(line.code), s["cell"]),  # codes of up to 20 characters wrap
                Paragraph(escape(line.name), s["cell"]),
                line.last_session.isoformat() if line.last_session else "—",
                *[line.latest.get(m, "") for m in MEASURES],
                Paragraph(alerts, s["cell"]),
            ]
        )
    fixed = [52, 74, 52, 28, 36, 28, 52]  # CORE-10 wide enough for "incomplete"
    table = Table(rows, colWidths=[*fixed, TEXT_WIDTH - sum(fixed)], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), s["cell"].fontName),
                ("FONTSIZE", (0, 0), (-1, -1), 7.5),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F2F2F2")]),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (3, 1), (6, -1), "RIGHT"),
            ]
        )
    )
    story.append(table)
    cells = [cell for line in data.lines for cell in line.latest.values()]
    if any(cell.endswith("*") for cell in cells):
        story.append(Paragraph(escape(PRORATED_NOTE), s["small"]))
    author = h.clinician_name or h.practice_name or "Alliance Desktop"
    return render(story, title="Caseload summary", author=author, generated_on=h.generated_on)
