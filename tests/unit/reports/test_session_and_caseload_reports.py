"""The session summary and the caseload summary, read back with pypdf."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from alliance_desktop.domain._format import fmt_number
from alliance_desktop.domain.instruments import INSTRUMENTS
from alliance_desktop.domain.scoring import score
from alliance_desktop.domain.vocabulary import Attendance, ClientStatus
from alliance_desktop.reports.caseload_report import caseload_report_pdf
from alliance_desktop.reports.session_report import session_report_pdf
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.reports import caseload_report_data, session_report_data
from alliance_desktop.services.summaries import list_clients
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientData
from tests.conftest import DEMO_AS_OF
from tests.keyed import open_database


@pytest.fixture
def demo(demo_db_path: Path) -> Iterator[Database]:
    db = open_database(demo_db_path)
    yield db
    db.close()


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    reader = PdfReader(path)
    return "\n".join(page.extract_text() for page in reader.pages)


def _session_with_srs_under_cutoff(db: Database) -> tuple[ClientData, int]:
    for tree in repository.load_client_trees(db):
        for s in sorted(tree.sessions, key=lambda s: s.number):
            for m in s.measurements:
                if m.instrument_id == "SRS" and s.notes and s.number > 1:
                    total = score(INSTRUMENTS["SRS"], m.item_values).total
                    if total is not None and total < 36:
                        return tree, s.number
    raise AssertionError("the demo caseload has an SRS under the cut-off after session 1")


def test_one_session_on_one_page_with_its_alerts(
    demo: Database, tmp_path: Path, artifacts: Path
) -> None:
    tree, number = _session_with_srs_under_cutoff(demo)
    session = next(s for s in tree.sessions if s.number == number)
    data = session_report_data(demo, tree.code, number, today=DEMO_AS_OF)
    pdf = session_report_pdf(data)
    (artifacts / "report_session.pdf").write_bytes(pdf)
    text = _text(pdf, tmp_path)
    assert len(PdfReader(tmp_path / "r.pdf").pages) == 1
    assert f"Session {number}" in text and tree.code in text and tree.display_name in text
    srs = next(m for m in session.measurements if m.instrument_id == "SRS")
    total = score(INSTRUMENTS["SRS"], srs.item_values).total
    assert total is not None and f"Total {fmt_number(total, 1)} of 40" in text
    assert "under the cut-off of 36" in text
    assert any(severity == "warning" for severity, _ in data.alerts)
    assert "⚠ Warning:" in text and "raised no alert" not in text
    assert session.notes.strip()[:30] not in text  # notes are off by default
    with_notes = session_report_data(demo, tree.code, number, include_notes=True)
    assert session.notes.strip()[:30] in _text(session_report_pdf(with_notes), tmp_path)
    hidden = session_report_data(demo, tree.code, number, pseudonymise=True)
    assert tree.family_name not in _text(session_report_pdf(hidden), tmp_path)


def test_a_session_number_that_is_not_there_is_named(demo: Database) -> None:
    tree = repository.load_client_trees(demo)[0]
    with pytest.raises(InvalidInput, match=f"{tree.code} has no session 999"):
        session_report_data(demo, tree.code, 999)


def test_the_caseload_lists_clients_in_therapy_with_latest_scores(
    demo: Database, tmp_path: Path, artifacts: Path
) -> None:
    pdf = caseload_report_pdf(caseload_report_data(demo, today=DEMO_AS_OF))
    (artifacts / "report_caseload.pdf").write_bytes(pdf)
    text = _text(pdf, tmp_path)
    rows = list_clients(demo, include_alerts=True)
    in_therapy = [r for r in rows if r.status is not ClientStatus.DISCHARGED]
    assert f"{len(in_therapy)} clients in therapy" in text
    for row in rows:
        assert (row.code in text) == (row.status is not ClientStatus.DISCHARGED)
    for row in in_therapy:  # the latest SRS of each client is printed
        tree = repository.load_client_tree(demo, row.client_id)
        assert tree is not None
        forms = [
            (m.taken_at, m.item_values)
            for s in tree.sessions
            if s.attendance is Attendance.ATTENDED
            for m in s.measurements
            if m.instrument_id == "SRS"
        ]
        if forms:
            total = score(INSTRUMENTS["SRS"], max(forms)[1]).total
            assert total is not None and fmt_number(total) in text


def test_a_session_is_found_by_its_id_when_the_numbers_move(demo: Database) -> None:
    from alliance_desktop.services import sessions as session_service

    tree = max(repository.load_client_trees(demo), key=lambda t: len(t.sessions))
    target = next(s for s in tree.sessions if s.number == 4)
    first = next(s for s in tree.sessions if s.number == 1)
    client_id = next(r.client_id for r in list_clients(demo) if r.code == tree.code)
    assert first.session_id is not None and target.session_id is not None
    session_service.delete_session(demo, client_id, first.session_id)  # 4 becomes 3
    data = session_report_data(demo, tree.code, session_id=target.session_id)
    assert data.number == 3 and data.start == target.start
    with pytest.raises(InvalidInput, match="no longer exists"):
        session_report_data(demo, tree.code, session_id=first.session_id)


def test_megabyte_texts_print_quickly_and_say_what_was_left_out(tmp_path: Path) -> None:
    from datetime import date, datetime

    from alliance_desktop.domain.series import client_charts
    from alliance_desktop.reports.client_report import client_report_pdf
    from alliance_desktop.services.reports import (
        ClientReportData,
        GoalProgress,
        ReportHeader,
        SessionReportData,
    )

    huge = ("Zoë talked about the week. " * 4 + "\n") * 10_000  # about 1 MB, 10,000 lines
    header = ReportHeader("Practice", "Clinician", "", date(2026, 11, 25))
    summary = ClientReportData(
        header,
        "C-1",
        "Zoë",
        None,
        "CBT",
        huge,
        date(2026, 1, 1),
        date(2026, 2, 1),
        1,
        0,
        0,
        (GoalProgress(1, "a very long goal " * 2_000, "active", None, None),),
        client_charts(()),
        (),
        (),
        (),
        narrative=huge,
    )
    text = _text(client_report_pdf(summary), tmp_path)
    assert "more characters are in the record (not printed)" in text
    assert "a very long goal" in text  # the goal is cut, not the report
    one = SessionReportData(
        header,
        "C-1",
        None,
        1,
        datetime(2026, 1, 5, 10),
        50,
        "attended",
        (),
        (),
        (),
        huge,
        huge,
        "",
        huge,
    )
    assert "more characters are in the record" in _text(session_report_pdf(one), tmp_path)


def test_something_taller_than_a_page_is_refused_in_words() -> None:
    from datetime import date

    from reportlab.platypus import Table

    from alliance_desktop.reports.document import render

    tall = Table([["x\n" * 400]])  # one row cannot be split across pages
    with pytest.raises(InvalidInput, match="too long to fit on a page"):
        render([tall], title="t", author="a", generated_on=date(2026, 11, 25))
