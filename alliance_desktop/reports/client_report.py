"""The client progress summary: the document a therapist files, takes to supervision or
sends to a referrer.

Built from ``services.reports.ClientReportData`` only. Sections in order: header (practice,
clinician, client, period), attendance, presenting concern and approach, **risk** (whenever a
risk item was answered above 0 in the period: every such answer and every review; it cannot
be left out), goals with their first and latest rating, the alliance and outcome charts, the
table of scores per session, ruptures and repairs, outcome first to latest with the
criterion and cut-off used, optional client feedback, the clinician's narrative, a signature
line, and notes on the instruments for the reader (what each is, who holds its rights).
A pseudonymised report carries neither the name nor the date of birth, in text or metadata.
"""

from __future__ import annotations

from html import escape

from reportlab.lib import colors
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from alliance_desktop.domain._format import fmt_number
from alliance_desktop.domain.instruments import INSTRUMENTS, QUESTIONNAIRE_IDS
from alliance_desktop.domain.wording import URGENT_COLOUR, scale_note
from alliance_desktop.reports.chart import chart_drawing
from alliance_desktop.reports.document import (
    TEXT_WIDTH,
    render,
    severity_markup,
    shortened,
    styles,
    text_block,
)
from alliance_desktop.services.reports import ClientReportData

_TABLE_STYLE = TableStyle(
    [
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F2F2F2")]),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
)
SCORE_COLUMNS = QUESTIONNAIRE_IDS  # those with a score in the period are shown
MAX_GOAL_IN_TABLE = 600  # a table row cannot break across pages


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(text, styles()[style])


def client_report_pdf(data: ClientReportData) -> bytes:
    """The progress summary as PDF bytes."""
    h = data.header
    clinician = ", ".join(escape(x) for x in (h.clinician_name, h.credentials) if x)
    story: list[Flowable] = _heading(data, clinician)
    story += _risk(data)  # never optional: a risk answer is never out of sight
    for key, section in (
        ("goals", _goals),
        ("charts", _charts),
        ("scores", _scores),
        ("ruptures", _ruptures),
        ("outcome", _outcomes),
    ):
        if key in data.sections:
            story += section(data)
    if data.feedback:
        story.append(_p("In the client's words", "h2"))
        for number, day, text in data.feedback:
            story.append(_p(f"Session {number} ({day.isoformat()}): “{escape(text)}”"))
    if data.narrative:
        story += [_p("Clinician's summary", "h2"), *text_block(data.narrative)]
    story.append(Spacer(1, 18))
    story.append(
        KeepTogether(
            [
                _p("Signature: ______________________________    Date: ________________"),
                _p(clinician or "Clinician", "small"),
            ]
        )
    )
    if data.licence_notes:
        story.append(_p("About the measures", "h2"))
        story += [_p(escape(note), "small") for note in data.licence_notes]
    author = h.clinician_name or h.practice_name or "Alliance Desktop"
    # The title names the code only: it is printed in every footer and stored in the file.
    return render(
        story, title=f"Progress summary {data.code}", author=author, generated_on=h.generated_on
    )


def _lines(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


def _heading(data: ClientReportData, clinician: str) -> list[Flowable]:
    practice = escape(data.header.practice_name) or "Practice name not set (Preferences)"
    story: list[Flowable] = [_p(practice, "small")]
    if clinician:
        story.append(_p(clinician, "small"))
    story += [Spacer(1, 6), _p("Progress summary", "title")]
    who = f"<b>{escape(data.code)}</b>"
    if data.name is not None:
        who += f" · {escape(data.name)}"
        if data.date_of_birth is not None:
            who += f" · born {data.date_of_birth.isoformat()}"
    else:
        who += " · pseudonymised (no name or date of birth)"
    story += [
        _p(who),
        _p(
            f"Period {data.period_from.isoformat()} to {data.period_to.isoformat()} · "
            f"{escape(data.approach)}"
        ),
        _p(
            f"Sessions: {data.attended} attended, {data.cancelled} cancelled, "
            f"{data.no_show} no-show."
        ),
    ]
    if data.presenting_concern and "concern" in data.sections:
        story += [_p("Presenting concern", "h2"), *text_block(data.presenting_concern)]
    return story


def _goals(data: ClientReportData) -> list[Flowable]:
    story: list[Flowable] = [_p("Goals", "h2")]
    if not data.goals:
        return [*story, _p("No goals recorded.")]
    rows: list[list[object]] = [[_p("Goal", "cell_bold"), "Status", "First", "Latest"]]
    for g in data.goals:
        first = f"{fmt_number(g.first[1])} (s{g.first[0]})" if g.first else "—"
        latest = f"{fmt_number(g.latest[1])} (s{g.latest[0]})" if g.latest else "—"
        goal = escape(shortened(g.description, MAX_GOAL_IN_TABLE))
        rows.append([_p(f"{g.number}. {goal}", "cell"), g.status, first, latest])
    return [
        *story,
        _table(rows, [TEXT_WIDTH - 170, 60, 55, 55]),
        _p("Goal ratings 0–10 (Goal-Based Outcomes); sN = session number.", "small"),
    ]


def _charts(data: ClientReportData) -> list[Flowable]:
    charts = [*data.charts.alliance, *data.charts.outcome]
    start, end = data.charts.first_session, data.charts.last_session
    if not charts or start is None or end is None:
        return []
    story: list[Flowable] = [_p("Alliance and outcome", "h2")]
    for chart in charts:
        drawing = chart_drawing(chart, data.charts.ruptures, start.number, end.number, TEXT_WIDTH)
        story += [drawing, Spacer(1, 4)]
    return story


def _scores(data: ClientReportData) -> list[Flowable]:
    story: list[Flowable] = [_p("Scores per session", "h2")]
    if not data.scores:
        return [*story, _p("No ratings in this period.")]
    shown = [c for c in SCORE_COLUMNS if any(c in r.cells for r in data.scores)]
    with_subscales = any(r.subscales for r in data.scores)
    header = ["#", "Date", *shown] + (["Goal", "Task", "Bond"] if with_subscales else [])
    rows: list[list[object]] = [list(header)]
    for r in data.scores:
        row = [str(r.number), r.day.isoformat()]
        row += [r.cells.get(c, "") for c in shown]
        if with_subscales:
            row += [
                fmt_number(r.subscales[k]) if k in r.subscales else ""
                for k in ("goal", "task", "bond")
            ]
        rows.append(list(row))
    note = scale_note([INSTRUMENTS[c] for c in shown]) + "."
    if any(cell.endswith("*") for r in data.scores for cell in r.cells.values()):
        note += " " + data.prorated_note
    if any(cell == "incomplete" for r in data.scores for cell in r.cells.values()):
        note += " “incomplete”: too many items missing to score; the answers are kept."
    return [*story, _table(rows), _p(note, "small")]


def _ruptures(data: ClientReportData) -> list[Flowable]:
    story: list[Flowable] = [_p("Ruptures and repair", "h2")]
    if not data.ruptures:
        return [*story, _p("No ruptures recorded in this period.")]
    for number, day, words in data.ruptures:
        story.append(_p(f"Session {number} ({day.isoformat()}): {_lines(words)}"))
    return story


def _outcomes(data: ClientReportData) -> list[Flowable]:
    story: list[Flowable] = [_p("Outcome", "h2")]
    if not data.outcomes:
        return [*story, _p("Fewer than two outcome ratings in this period: no change to class.")]
    story += [_p(escape(o.words)) for o in data.outcomes]
    return story


def _risk(data: ClientReportData) -> list[Flowable]:
    """Every risk answer in the period and every review since: printed whenever there is one."""
    risk = data.risk
    if risk is None:
        return []
    story: list[Flowable] = [_p(f'<font color="{URGENT_COLOUR}">‼</font> Risk', "h2")]
    questions = sorted({a.question for a in risk.answers})
    earlier = any(a.before_period for a in risk.answers)
    story.append(
        _p(
            f"{escape(' and '.join(questions))} was answered above 0"
            + (" in this period, or earlier and not yet reviewed" if earlier else " in this period")
            + ". Each answer, then each risk review recorded since the first of them:"
        )
    )
    rows: list[list[object]] = [["#", "Date", "Question", "Rating", "Reviewed"]]
    for a in risk.answers:
        reviewed = "yes" if a.reviewed else _p(severity_markup("urgent", "not yet"), "cell")
        note = " (before this period)" if a.before_period else ""
        note += " (since removed from the record)" if a.removed else ""
        question = _p(escape(a.question + note), "cell")
        rows.append([str(a.session_number), a.day.isoformat(), question, a.rating, reviewed])
    story.append(_table(rows, [24, 58, TEXT_WIDTH - 24 - 58 - 72 - 92, 72, 92]))
    if any(not a.reviewed for a in risk.answers):
        story.append(
            _p(
                severity_markup(
                    "urgent",
                    "A risk answer has not been reviewed yet: check risk and record a review.",
                )
            )
        )
    if risk.reviews:
        story += [
            _p(f"{day.isoformat()}: Risk review: {escape(words)}") for day, words in risk.reviews
        ]
    else:
        story.append(_p("No risk review has been recorded since the first of these answers."))
    return story


def _table(rows: list[list[object]], widths: list[float] | None = None) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(_TABLE_STYLE)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), styles()["cell"].fontName)]))
    return table
