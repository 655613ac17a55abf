"""The session summary: one session on one page, printed straight after the session.

Measures with their totals, subscales, change since last time and cut-off read exactly as
the session editor showed them (``services.session_form.preview_form``), then the alerts the
session raised with their reasons (an unreviewed risk answer from any earlier session among
them) and the client's latest risk review, goals rated, tasks agreed, the client's feedback,
rupture and repair, the notes only when asked for, and a signature line.
"""

from __future__ import annotations

from html import escape

from reportlab.platypus import Flowable, Paragraph, Spacer

from alliance_desktop.domain._format import fmt_number
from alliance_desktop.reports.document import render, severity_markup, styles, text_block
from alliance_desktop.services.reports import SessionReportData


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(text, styles()[style])


def session_report_pdf(data: SessionReportData) -> bytes:
    """The session summary as PDF bytes."""
    h = data.header
    clinician = ", ".join(escape(x) for x in (h.clinician_name, h.credentials) if x)
    who = f"<b>{escape(data.code)}</b>" + (
        f" · {escape(data.name)}" if data.name is not None else " · pseudonymised"
    )
    story: list[Flowable] = [
        _p(escape(h.practice_name) or "Practice name not set (Preferences)", "small"),
        Spacer(1, 4),
        _p(f"Session {data.number}", "title"),
        _p(who),
        _p(
            f"{data.start:%Y-%m-%d %H:%M} · {data.duration_minutes} minutes · "
            f"{escape(data.attendance)}"
        ),
        _p("Measures", "h2"),
    ]
    if data.measures:
        story += [_p(f"<b>{escape(i)}</b>: {escape(text)}") for i, text in data.measures]
    else:
        story.append(_p("No measures recorded in this session."))
    if data.risk or data.latest_review is not None:
        story.append(_p("Risk (as it stands today)", "h2"))
        story += [_p(severity_markup(severity, words)) for severity, words in data.risk]
        if data.latest_review is not None:
            day, words = data.latest_review
            story.append(_p(f"<b>Latest risk review</b> ({day.isoformat()}): {escape(words)}"))
    story.append(_p("Alerts", "h2"))
    if data.alerts:
        story += [_p(severity_markup(severity, reason)) for severity, reason in data.alerts]
    else:
        story.append(_p("This session raised no other alert."))
    if data.goals:
        story.append(_p("Goals rated (0–10)", "h2"))
        story += [
            _p(f"{number}. {escape(text)}: <b>{fmt_number(rating)}</b>")
            for number, text, rating in data.goals
        ]
    for title, text in (
        ("Tasks agreed", data.tasks_agreed),
        ("In the client's words", data.client_feedback),
        ("Rupture and repair", data.ruptures),
        ("Notes", data.notes or ""),
    ):
        if text:
            story += [_p(title, "h2"), *text_block(text)]
    story += [
        Spacer(1, 20),
        _p("Signature: ______________________________    Date: ________________"),
        _p(clinician or "Clinician", "small"),
    ]
    author = h.clinician_name or h.practice_name or "Alliance Desktop"
    return render(
        story,
        title=f"Session {data.number} {data.code}",
        author=author,
        generated_on=h.generated_on,
    )
