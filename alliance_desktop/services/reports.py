"""What goes into a PDF report, gathered from the database as plain data.

``reports/`` turns these data into pages and never opens the database (ARCHITECTURE.md).
Every figure comes from ``domain``: totals and subscales from ``scoring.score`` (through the
chart series, as on screen), change from ``change.classify_change`` and its words from
``domain.wording``, alerts from the stored summaries that ``alerts.evaluate_alerts`` wrote,
risk answers and reviews from ``domain.risk``. With ``pseudonymise`` the client's name and
date of birth are left out of the data altogether, so no page can print them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from alliance_desktop.domain._format import fmt_number
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import INSTRUMENTS, anchor_words, item_name_for
from alliance_desktop.domain.scoring import check_form
from alliance_desktop.domain.series import (
    ClientCharts,
    RuptureMarker,
    RuptureNote,
    client_charts,
    describe_change,
)
from alliance_desktop.domain.vocabulary import APPROACH_LABELS, Attendance, ClientStatus, GoalStatus
from alliance_desktop.domain.wording import score_cell, severity_rank
from alliance_desktop.services import audit
from alliance_desktop.services.alerts import endorsements, latest_review, review_words
from alliance_desktop.services.charts import chart_sessions_from_tree
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.sessions import client_for_code
from alliance_desktop.services.settings import load_practice
from alliance_desktop.services.summaries import (
    active_alerts,
    list_clients,
    load_alert_settings,
    risk_reviews,
)
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientData, ClientListRow, SessionData

GOAL_STATUS_WORDS = {
    GoalStatus.ACTIVE: "active",
    GoalStatus.ACHIEVED: "achieved",
    GoalStatus.REVISED: "revised",
    GoalStatus.DROPPED: "dropped",
}
MAX_FEEDBACK_EXCERPT = 400  # characters of each session's feedback in the report
#: The progress summary's optional sections, in page order, with their names for people.
SECTIONS: dict[str, str] = {
    "concern": "Presenting concern",
    "goals": "Goals",
    "charts": "Alliance and outcome charts",
    "scores": "Scores per session",
    "ruptures": "Ruptures and repair",
    "outcome": "Outcome, first to latest",
}


@dataclass(frozen=True)
class ReportHeader:
    """Who the report is from (Preferences) and when it was made."""

    practice_name: str
    clinician_name: str
    credentials: str
    generated_on: date


@dataclass(frozen=True)
class GoalProgress:
    """One goal with its first and latest 0-10 rating in the period."""

    number: int
    description: str
    status: str
    first: tuple[int, float] | None  # (session number, rating)
    latest: tuple[int, float] | None


@dataclass(frozen=True)
class ScoreRow:
    """One attended session's totals and WAI-SR subscales, as the table prints them.

    ``cells`` holds each measure's cell as printed: "12.2*" for a pro-rated score (the
    table's note says what * means) and "incomplete" for a form kept without a score.
    """

    number: int
    day: date
    totals: dict[str, float]
    subscales: dict[str, float]  # WAI-SR goal / task / bond
    cells: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutcomeSummary:
    """First to latest on one outcome measure, in words with the criterion and cut-off used."""

    instrument_id: str
    words: str


@dataclass(frozen=True)
class RiskEntry:
    """One risk answer: where, what and whether a review has covered it."""

    session_number: int
    day: date
    question: str  # "CORE-10 item 6 (plans to end my life)"
    rating: str  # "2 (Sometimes)"
    reviewed: bool
    before_period: bool = False  # given before the period and still waiting for review
    removed: bool = False  # since taken out of the record by an edit


@dataclass(frozen=True)
class RiskSection:
    """Every risk answer in the period and every review: printed whenever there is one."""

    answers: tuple[RiskEntry, ...]
    reviews: tuple[tuple[date, str], ...]  # (day, the review in words)


@dataclass(frozen=True)
class ClientReportData:
    """Everything a client progress summary prints."""

    header: ReportHeader
    code: str
    name: str | None  # None when pseudonymised
    date_of_birth: date | None  # None when pseudonymised
    approach: str
    presenting_concern: str
    period_from: date
    period_to: date
    attended: int
    cancelled: int
    no_show: int
    goals: tuple[GoalProgress, ...]
    charts: ClientCharts
    scores: tuple[ScoreRow, ...]
    ruptures: tuple[tuple[int, date, str], ...]  # (session number, day, words)
    outcomes: tuple[OutcomeSummary, ...]
    feedback: tuple[tuple[int, date, str], ...] = ()
    narrative: str = ""
    licence_notes: tuple[str, ...] = field(default_factory=tuple)
    sections: frozenset[str] = frozenset(SECTIONS)
    #: None when no risk answer was given in the period and none is waiting for review.
    risk: RiskSection | None = None
    prorated_note: str = ""

    @property
    def pseudonymised(self) -> bool:
        return self.name is None


def client_report_data(
    db: Database,
    code: str,
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    pseudonymise: bool = False,
    include_feedback: bool = False,
    narrative: str = "",
    sections: frozenset[str] | None = None,
    today: date | None = None,
) -> ClientReportData:
    """Gather one client's progress summary for a period (default: intake to today).

    Args:
        sections: Keys of ``SECTIONS`` to print (default all); attendance, the signature
            line and the instruments' licence notes are always printed.

    Raises:
        InvalidInput: No client has the code, the period ends before it starts, or a
            section is unknown.
    """
    today = today or date.today()
    chosen = frozenset(SECTIONS) if sections is None else sections
    unknown = sorted(chosen - set(SECTIONS))
    if unknown:
        raise InvalidInput(
            f"There is no section {', '.join(unknown)}; choose from {', '.join(SECTIONS)}."
        )
    client = _tree(db, client_for_code(db, code))
    start = period_from or client.intake_date
    end = period_to or today
    if end < start:
        raise InvalidInput(
            f"The period ends ({end}) before it starts ({start}); swap the dates or widen it."
        )
    low, high = datetime.combine(start, time.min), datetime.combine(end, time.max)
    in_period = [s for s in client.sessions if low <= s.start <= high]
    charts = client_charts(
        chart_sessions_from_tree(_with_sessions(client, in_period)),
        load_alert_settings(db),
        date_of_birth=client.date_of_birth,
    )
    practice = load_practice(db)
    counts = {a: sum(1 for s in in_period if s.attendance is a) for a in Attendance}
    audit.record(db, "report", client_code=client.code, detail="progress summary")
    return ClientReportData(
        header=ReportHeader(
            practice.practice_name, practice.clinician_name, practice.credentials, today
        ),
        code=client.code,
        name=None if pseudonymise else client.display_name,
        date_of_birth=None if pseudonymise else client.date_of_birth,
        approach=APPROACH_LABELS[client.approach],
        presenting_concern=client.presenting_concern or "",
        period_from=start,
        period_to=end,
        attended=counts[Attendance.ATTENDED],
        cancelled=counts[Attendance.CANCELLED],
        no_show=counts[Attendance.NO_SHOW],
        goals=_goals(client, in_period),
        charts=charts,
        scores=_scores(charts, in_period),
        ruptures=tuple((m.number, m.start.date(), m.describe(limit=600)) for m in charts.ruptures),
        outcomes=_outcomes(charts),
        feedback=tuple(
            (s.number, s.start.date(), _excerpt(s.client_feedback))
            for s in in_period
            if include_feedback and s.client_feedback.strip()
        ),
        narrative=narrative.strip(),
        licence_notes=_licence_notes(charts),
        sections=chosen,
        risk=_risk_section(client, low, high, pseudonymise=pseudonymise),
        prorated_note=PRORATED_NOTE,
    )


def _tree(db: Database, client_id: int) -> ClientData:
    client = repository.load_client_tree(db, client_id)
    if client is None:
        raise InvalidInput("That client no longer exists; it may have been deleted.")
    return client


def _with_sessions(client: ClientData, sessions: Sequence[SessionData]) -> ClientData:
    return replace(client, sessions=list(sessions))


def _goals(client: ClientData, sessions: Sequence[SessionData]) -> tuple[GoalProgress, ...]:
    ratings: dict[int, list[tuple[int, float]]] = {}
    for s in sorted(sessions, key=lambda s: s.number):
        for r in s.goal_ratings:
            ratings.setdefault(r.goal_number, []).append((s.number, r.rating))
    return tuple(
        GoalProgress(
            g.number,
            g.description,
            GOAL_STATUS_WORDS[g.status],
            ratings[g.number][0] if ratings.get(g.number) else None,
            ratings[g.number][-1] if ratings.get(g.number) else None,
        )
        for g in client.goals
    )


#: What a star beside a score in the table means.
PRORATED_NOTE = "* pro-rated: one item was missing, so the score is the item mean times ten."


def _scores(charts: ClientCharts, sessions: Sequence[SessionData]) -> tuple[ScoreRow, ...]:
    rows: dict[int, ScoreRow] = {}
    for chart in (*charts.alliance, *charts.outcome):
        for point in chart.total.points:
            row = rows.setdefault(point.number, ScoreRow(point.number, point.start.date(), {}, {}))
            row.totals[chart.instrument_id] = point.value
            cell = fmt_number(point.value)
            row.cells[chart.instrument_id] = cell + ("*" if point.score.prorated else "")
            for line in chart.lines[1:]:  # the goal, task and bond subscales (WAI-SR)
                if line.axis == "subscale":
                    for p in line.points:
                        if p.number == point.number:
                            row.subscales[line.key] = p.value
    # Forms kept incomplete have no point on a chart, but the table says they were taken.
    for session in sessions:
        for m in session.measurements:
            instrument = INSTRUMENTS.get(m.instrument_id)
            if instrument is None or session.attendance is not Attendance.ATTENDED:
                continue
            try:
                result = check_form(instrument, m.item_values)
            except DomainError:
                continue
            if result.incomplete:
                row = rows.setdefault(
                    session.number, ScoreRow(session.number, session.start.date(), {}, {})
                )
                row.cells.setdefault(m.instrument_id, score_cell(result, instrument))
    return tuple(rows[n] for n in sorted(rows))


def _outcomes(charts: ClientCharts) -> tuple[OutcomeSummary, ...]:
    return tuple(
        OutcomeSummary(chart.instrument_id, describe_change(chart))
        for chart in charts.outcome
        if chart.change is not None
    )


def _risk_section(
    client: ClientData, low: datetime, high: datetime, *, pseudonymise: bool = False
) -> RiskSection | None:
    """Risk answers given in the period, and any earlier one still waiting for review, with
    whether each is reviewed and every review since the first of them.

    An answer from before the period that nobody has reviewed is on every screen; a summary
    of the period must not be the one place it is missing.
    """
    covered = {key for review in risk_reviews(client.risk_reviews) for key in review.covers}
    found = [
        e
        for e in endorsements(client)
        if low <= e.taken_at <= high or (e.taken_at < low and e.key not in covered)
    ]
    if not found:
        return None
    answers = tuple(
        RiskEntry(
            e.session_number,
            e.taken_at.date(),
            item_name_for(e.instrument_id, e.item),
            answer_words(e.instrument_id, e.item, e.value),
            e.key in covered,
            before_period=e.taken_at < low,
            removed=e.removed,
        )
        for e in found
    )
    first_day = min(e.taken_at.date() for e in found)
    reviews = tuple(
        (r.reviewed_on, review_words(r, pseudonymise=pseudonymise))
        for r in sorted(client.risk_reviews, key=lambda r: (r.reviewed_on, r.recorded_at))
        if r.reviewed_on >= first_day  # every review since the first answer, even after the period
    )
    return RiskSection(answers, reviews)


def answer_words(instrument_id: str, number: int, value: float) -> str:
    """A risk item's answer with its anchor: ``"2 (Sometimes)"``."""
    return fmt_number(value) + anchor_words(instrument_id, number, value)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= MAX_FEEDBACK_EXCERPT:
        return text
    return text[: MAX_FEEDBACK_EXCERPT - 1].rstrip() + "…"


def _licence_notes(charts: ClientCharts) -> tuple[str, ...]:
    """For each measure shown: what it is and who holds its rights, for a referrer."""
    shown = [c.instrument_id for c in (*charts.alliance, *charts.outcome)]
    return tuple(
        f"{INSTRUMENTS[i].description} {INSTRUMENTS[i].rights}" for i in shown if i in INSTRUMENTS
    )


# --- one session on one page --------------------------------------------------------------


@dataclass(frozen=True)
class SessionReportData:
    """A session summary: what was measured, what it means, what was agreed."""

    header: ReportHeader
    code: str
    name: str | None  # None when pseudonymised
    number: int
    start: datetime
    duration_minutes: int
    attendance: str
    measures: tuple[tuple[str, str], ...]  # (instrument id, the editor's words for it)
    alerts: tuple[tuple[str, str], ...]  # (severity, reason) raised by this session
    goals: tuple[tuple[int, str, float], ...]  # (goal number, description, rating)
    tasks_agreed: str
    client_feedback: str
    ruptures: str
    notes: str | None  # None unless asked for: notes are off by default
    latest_review: tuple[date, str] | None = None  # the client's latest risk review, in words
    #: (severity, words): each risk answer of this session and whether it has been reviewed
    #: by now, then any other risk answer still waiting for review now.
    risk: tuple[tuple[str, str], ...] = ()

    @property
    def pseudonymised(self) -> bool:
        return self.name is None


ATTENDANCE_WORDS = {
    Attendance.ATTENDED: "attended",
    Attendance.CANCELLED: "cancelled",
    Attendance.NO_SHOW: "no-show",
}


def session_report_data(
    db: Database,
    code: str,
    number: int | None = None,
    *,
    session_id: int | None = None,
    pseudonymise: bool = False,
    include_notes: bool = False,
    today: date | None = None,
) -> SessionReportData:
    """Gather one session's summary; the measures and alerts read as in the session editor.

    The session is found by its database id when given (an editor's session keeps its id
    when earlier sessions are deleted and the numbers move), else by its number.

    Raises:
        InvalidInput: No client has the code, or the client has no such session.
    """
    from alliance_desktop.services.session_form import form_from_session, preview_form

    client = _tree(db, client_for_code(db, code))
    if session_id is not None:
        session = next((s for s in client.sessions if s.session_id == session_id), None)
        if session is None:
            raise InvalidInput("That session no longer exists; it may have been deleted.")
    else:
        session = next((s for s in client.sessions if s.number == number), None)
    if session is None:
        have = f"sessions 1 to {len(client.sessions)}" if client.sessions else "no sessions yet"
        raise InvalidInput(f"{client.code} has no session {number}; it has {have}.")
    # The record as it stood when the session ended: what came later is not part of it.
    ended = session.start + timedelta(minutes=session.duration_minutes)
    earlier = replace(
        client,
        sessions=[s for s in client.sessions if s.start < session.start],
        risk_reviews=[r for r in client.risk_reviews if r.reviewed_on <= session.start.date()],
        acknowledgements=[a for a in client.acknowledgements if a.acknowledged_at <= ended],
    )
    review = latest_review(client)
    preview = preview_form(
        form_from_session(session), earlier, load_alert_settings(db), now=session.start
    )
    goals = {g.number: g.description for g in client.goals}
    practice = load_practice(db)
    audit.record(db, "report", client_code=client.code, detail=f"session {session.number} summary")
    return SessionReportData(
        header=ReportHeader(
            practice.practice_name,
            practice.clinician_name,
            practice.credentials,
            today or date.today(),
        ),
        code=client.code,
        name=None if pseudonymise else client.display_name,
        number=session.number,
        start=session.start,
        duration_minutes=session.duration_minutes,
        attendance=ATTENDANCE_WORDS[session.attendance],
        measures=tuple((i, p.text) for i, p in preview.measures.items()),
        # Risk is stated as it stands now (below); the other alerts as the record stood then.
        alerts=tuple(
            alert
            for alert, kind in zip(preview.alerts, preview.alert_kinds, strict=True)
            if kind not in ("risk", "risk_ongoing")
        ),
        risk=_session_risk(client, session),
        goals=tuple(
            (r.goal_number, goals.get(r.goal_number, f"Goal {r.goal_number}"), r.rating)
            for r in session.goal_ratings
        ),
        tasks_agreed=session.tasks_agreed.strip(),
        client_feedback=session.client_feedback.strip(),
        ruptures="\n".join(
            RuptureMarker(session.session_id, session.number, session.start, _notes(session))
            .describe(limit=2000)
            .splitlines()
        )
        if session.ruptures
        else "",
        notes=session.notes.strip() if include_notes else None,
        latest_review=(
            (review.reviewed_on, review_words(review, pseudonymise=pseudonymise))
            if review
            else None
        ),
    )


def _session_risk(client: ClientData, session: SessionData) -> tuple[tuple[str, str], ...]:
    """This session's risk answers with whether they are reviewed now, then any other
    answer still waiting: the page says what holds today, so it never asks the reader to
    act on what has been done, nor leaves out an answer that was given."""
    everything = endorsements(client)
    reviewed_on: dict[object, date] = {}
    for review in sorted(risk_reviews(client.risk_reviews), key=lambda r: r.reviewed_on):
        for key in review.covers:
            reviewed_on.setdefault(key, review.reviewed_on)
    lines: list[tuple[str, str]] = []
    own_moments = {m.taken_at for m in session.measurements}
    for e in everything:
        if e.removed or e.taken_at not in own_moments:
            continue
        question = item_name_for(e.instrument_id, e.item)
        answer = answer_words(e.instrument_id, e.item, e.value)
        day = reviewed_on.get(e.key)
        if day is None:
            lines.append(
                (
                    "urgent",
                    f"{question} was answered {answer} in this session; it has not been "
                    "reviewed yet — check risk and record a risk review.",
                )
            )
        else:
            lines.append(
                (
                    "info",
                    f"{question} was answered {answer} in this session; reviewed on "
                    f"{day.isoformat()}.",
                )
            )
    for e in everything:
        if e.key in reviewed_on or (not e.removed and e.taken_at in own_moments):
            continue
        lines.append(
            (
                "urgent",
                f"A risk answer from another session is waiting for review: "
                f"{item_name_for(e.instrument_id, e.item)} rated "
                f"{answer_words(e.instrument_id, e.item, e.value)} at session "
                f"{e.session_number} ({e.taken_at.date().isoformat()})"
                + (", since removed from the record" if e.removed else "")
                + ".",
            )
        )
    return tuple(lines)


def _notes(session: SessionData) -> tuple[RuptureNote, ...]:
    return tuple(RuptureNote(r.kind, r.description, r.repair, r.resolved) for r in session.ruptures)


# --- the caseload ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadLine:
    """One active client: latest score of each measure and the alerts now active."""

    code: str
    name: str
    last_session: date | None
    #: The latest form of each measure as the table prints it: "12.2*" when pro-rated
    #: (``PRORATED_NOTE`` says what * means), "incomplete" when kept without a score.
    latest: dict[str, str]
    alerts: tuple[tuple[str, str], ...]  # (severity, reason), most pressing first


@dataclass(frozen=True)
class CaseloadReportData:
    """The caseload summary: every client in therapy, one line each."""

    header: ReportHeader
    lines: tuple[CaseloadLine, ...]


def _alert_rank(alert: dict[str, Any]) -> int:
    return severity_rank(alert.get("severity"))


def _has_urgent(row: ClientListRow) -> bool:
    return any(a.get("severity") == "urgent" for a in active_alerts(row))


def caseload_report_data(db: Database, today: date | None = None) -> CaseloadReportData:
    """One line per active or paused client; a discharged client only with an urgent alert.

    A risk answer nobody has reviewed stays in view after discharge (``active_alerts``).
    """
    rows = [
        r
        for r in list_clients(db, include_alerts=True)
        if r.status is not ClientStatus.DISCHARGED or active_alerts(r)
    ]
    latest = _latest_totals(repository.latest_measurements(db, [r.client_id for r in rows]))
    practice = load_practice(db)
    audit.record(db, "report", detail=f"caseload summary ({len(rows)} clients)")
    return CaseloadReportData(
        header=ReportHeader(
            practice.practice_name,
            practice.clinician_name,
            practice.credentials,
            today or date.today(),
        ),
        lines=tuple(
            CaseloadLine(
                r.code,
                r.display_name + (" (discharged)" if r.status is ClientStatus.DISCHARGED else ""),
                r.summary.last_session.date() if r.summary and r.summary.last_session else None,
                latest.get(r.client_id, {}),
                tuple(
                    (str(a.get("severity", "warning")), str(a.get("reason", "")))
                    for a in sorted(active_alerts(r), key=_alert_rank)
                ),
            )
            # Urgent first (a risk answer waiting for review), then by code.
            for r in sorted(rows, key=lambda r: (not _has_urgent(r), r.code))
        ),
    )


def _latest_totals(
    forms: dict[int, dict[str, tuple[float | None, ...]]],
) -> dict[int, dict[str, str]]:
    """Each client's latest form of each instrument as a table cell (unscoreable left out)."""
    cells: dict[int, dict[str, str]] = {}
    for client_id, by_instrument in forms.items():
        for instrument_id, values in by_instrument.items():
            instrument = INSTRUMENTS.get(instrument_id)
            if instrument is None:
                continue
            try:
                result = check_form(instrument, values)
            except DomainError:
                continue
            if result.total is None:
                cell = score_cell(result, instrument)
            else:
                cell = fmt_number(result.total) + ("*" if result.prorated else "")
            cells.setdefault(client_id, {})[instrument_id] = cell
    return cells
