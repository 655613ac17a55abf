"""Reports as files: gather the data, lay out the PDF, write it whole, in one call.

The window (progress summary, session summary, caseload summary) and the command line
(``report``) both come here, so a report is gathered and laid out the same way whichever
asked for it. ``services.reports`` gathers plain data from the database, ``reports/`` turns
it into pages (reportlab, imported only when a report is made) and ``services.atomic``
publishes the file whole or not at all, never over the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from alliance_desktop.services.atomic import save_export
from alliance_desktop.services.database import Database


@dataclass(frozen=True)
class ProgressSummary:
    """One client's progress over a period (default: intake to today)."""

    code: str
    period_from: date | None = None
    period_to: date | None = None
    pseudonymise: bool = False
    include_feedback: bool = False
    narrative: str = ""
    sections: frozenset[str] | None = None  # None: every section


@dataclass(frozen=True)
class SessionSummary:
    """One session on one page, found by its number or (an editor's) database id."""

    code: str
    number: int | None = None
    session_id: int | None = None
    pseudonymise: bool = False
    include_notes: bool = False


@dataclass(frozen=True)
class CaseloadSummary:
    """Every client in therapy, one line each."""

    today: date | None = None


ReportRequest = ProgressSummary | SessionSummary | CaseloadSummary


@dataclass(frozen=True)
class Document:
    """A finished report: its pages and how to speak of it ("the summary of C-1 session 3")."""

    pdf: bytes
    description: str


def build(db: Database, request: ReportRequest) -> Document:
    """Gather and lay out the report ``request`` asks for.

    Raises:
        ServiceError: The client or session is unknown, or a choice is invalid.
        StorageError: The database cannot be read.
    """
    from alliance_desktop.services import reports as gather

    if isinstance(request, CaseloadSummary):
        from alliance_desktop.reports.caseload_report import caseload_report_pdf

        caseload = gather.caseload_report_data(db, request.today)
        count = len(caseload.lines)
        clients = "1 client" if count == 1 else f"{count:,} clients"
        return Document(caseload_report_pdf(caseload), f"the caseload summary ({clients})")
    if isinstance(request, SessionSummary):
        from alliance_desktop.reports.session_report import session_report_pdf

        one = gather.session_report_data(
            db,
            request.code,
            request.number,
            session_id=request.session_id,
            pseudonymise=request.pseudonymise,
            include_notes=request.include_notes,
        )
        return Document(session_report_pdf(one), f"the summary of {one.code} session {one.number}")
    from alliance_desktop.reports.client_report import client_report_pdf

    data = gather.client_report_data(
        db,
        request.code,
        period_from=request.period_from,
        period_to=request.period_to,
        pseudonymise=request.pseudonymise,
        include_feedback=request.include_feedback,
        narrative=request.narrative,
        sections=request.sections,
    )
    return Document(
        client_report_pdf(data),
        f"the progress summary of {data.code} ({data.period_from} to {data.period_to})",
    )


def write(db: Database, request: ReportRequest, target: Path) -> Document:
    """Build the report and save it to ``target`` whole (replacing a file the caller has
    agreed to replace; never the database or its companions)."""
    document = build(db, request)
    save_export(target, document.pdf, [db.path])
    return document


def safe_file_part(code: str) -> str:
    """A client code made safe for any file system (FAT on a stick included)."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in code)


def file_name(code: str, kind: str, day: date | None, suffix: str = ".pdf") -> str:
    """A file name for a report or a chart: ``C-0042-progress-2026-11-20.pdf``."""
    safe = safe_file_part(code)
    return f"{safe}-{kind}-{day.isoformat()}{suffix}" if day else f"{safe}-{kind}{suffix}"
