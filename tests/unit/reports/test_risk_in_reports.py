"""Risk, pro-rated and incomplete forms, ages and published criteria in the PDFs, read back.

A risk answer followed by a clean CORE-10 prints in the progress summary's Risk section,
in the session summary of the clean session (as the record stood then) and first in the
caseload summary, until a review is recorded; then the review prints. Nothing here reads
the wall clock.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.reports.caseload_report import caseload_report_pdf
from alliance_desktop.reports.client_report import client_report_pdf
from alliance_desktop.reports.session_report import session_report_pdf
from alliance_desktop.services import clients
from alliance_desktop.services.alerts import record_risk_review
from alliance_desktop.services.reports import (
    caseload_report_data,
    client_report_data,
    session_report_data,
)
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientFields
from tests.records import CLEAN, ENDORSED, record

NOW = datetime(2026, 11, 25, 16, 0)
TODAY = NOW.date()
PRORATED = [2, 4, 4, 1, 0, 0, 2, 3, 2, None]  # 10 / 9 x 10 = 11.1
INCOMPLETE = [None, None, 3, 1, 1, 0, 1, None, 1, 1]


def _record(db: Database, cid: int, day: date, **measures: list[Any]) -> None:
    record(db, cid, day, NOW, **measures)


def _client(db: Database, code: str, born: date | None = None) -> int:
    fields = ClientFields(
        code, "Zoë", "Łukasiewicz", Approach.CBT, date(2026, 9, 1), date_of_birth=born
    )
    return clients.create_client(db, fields, today=TODAY).client_id


def _text(pdf: bytes, path: Path) -> str:
    path.write_bytes(pdf)
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def risky(new_db: Database) -> int:
    cid = _client(new_db, "C-0042")
    _record(new_db, cid, date(2026, 10, 7), CORE_10=ENDORSED, ORS=[4, 5, 4, 5])
    _record(new_db, cid, date(2026, 10, 14), CORE_10=PRORATED, ORS=[5, 5, 5, 5])
    _record(new_db, cid, date(2026, 10, 21), CORE_10=INCOMPLETE, ORS=[6, 6, 6, 6])
    _record(new_db, cid, date(2026, 11, 4), CORE_10=CLEAN, ORS=[7, 7, 6.5, 7.5])
    return cid


def test_progress_summary_has_a_risk_section_until_and_after_a_review(
    new_db: Database, risky: int, tmp_path: Path, artifacts: Path
) -> None:
    data = client_report_data(new_db, "C-0042", today=TODAY)
    pdf = client_report_pdf(data)
    (artifacts / "report_risk.pdf").write_bytes(pdf)
    text = _flat(_text(pdf, tmp_path / "r.pdf"))
    assert "‼ Risk" in text
    assert "CORE-10 item 6 (plans to end my life) was answered above 0 in this period" in text
    assert "1 2026-10-07 CORE-10 item 6 (plans to end my life) 2 (Sometimes)" in text
    assert "‼ Urgent: not yet" in text
    assert "A risk answer has not been reviewed yet" in text
    assert "No risk review has been recorded since the first of these answers." in text
    # Pro-rated and incomplete forms say so in the score table.
    assert "11.1*" in text and "* pro-rated: one item was missing" in text
    assert "incomplete" in text
    # The published criterion, not an SD; no date of birth: the adult cut-off, said so.
    assert "Reliable change is a change of 5 points or more (Miller et al. 2003)" in text
    assert "no date of birth is recorded, so the adult cut-off is used" in text
    assert "SD " not in text and "derived" not in text
    # Notes for a referrer, not for developers.
    for developer_words in ("unclear", "CamCOPS", "text pack", "ship"):
        assert developer_words not in text
    assert "© CORE System Trust" in text and "Miller and Barry L. Duncan" in text
    pseudonymised = _flat(
        _text(
            client_report_pdf(client_report_data(new_db, "C-0042", pseudonymise=True, today=TODAY)),
            tmp_path / "p.pdf",
        )
    )
    assert "‼ Risk" in pseudonymised and "Zoë" not in pseudonymised
    # The risk section cannot be left out with the optional sections.
    bare = client_report_data(new_db, "C-0042", sections=frozenset(), today=TODAY)
    assert "‼ Risk" in _flat(_text(client_report_pdf(bare), tmp_path / "b.pdf"))

    record_risk_review(
        new_db,
        risky,
        reviewed_on=date(2026, 10, 8),
        action="Safety plan reviewed with the client; GP informed",
        risk_ongoing=False,
        now=NOW,
    )
    after = _flat(
        _text(
            client_report_pdf(client_report_data(new_db, "C-0042", today=TODAY)), tmp_path / "a.pdf"
        )
    )
    assert "2 (Sometimes) yes" in after and "not yet" not in after
    assert (
        "2026-10-08: Risk review: Safety plan reviewed with the client; GP informed. Outcome: "
        "risk not ongoing. It covers the risk answer given on 2026-10-07." in after
    )
    # Pseudonymised, what was done is left out (it often names people), the rest stays.
    data = client_report_data(new_db, "C-0042", pseudonymise=True, today=TODAY)
    hidden = _flat(_text(client_report_pdf(data), tmp_path / "h.pdf"))
    assert "GP informed" not in hidden and "left out of a pseudonymised summary" in hidden
    assert "Outcome: risk not ongoing" in hidden
    # A period without a risk answer, and none waiting, has no Risk section.
    later = client_report_data(new_db, "C-0042", period_from=date(2026, 10, 10), today=TODAY)
    assert (
        "Risk"
        not in _flat(_text(client_report_pdf(later), tmp_path / "l.pdf")).split("Period")[1][:40]
    )


def test_risk_pages_render_with_the_signs_in_the_embedded_font(
    new_db: Database, risky: int, tmp_path: Path, artifacts: Path
) -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm is not installed (.ci/run installs it)")
    path = tmp_path / "risk.pdf"
    path.write_bytes(client_report_pdf(client_report_data(new_db, "C-0042", today=TODAY)))
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            str(path),
            str(artifacts / "report_risk_page"),
        ],
        check=True,
    )
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=False)
    if fonts.returncode == 0:
        assert "DejaVuSans" in fonts.stdout  # the font that has the severity signs


def test_an_earlier_unreviewed_answer_prints_in_a_later_period(
    new_db: Database, risky: int, tmp_path: Path
) -> None:
    """The answer of 7 October, unreviewed, is in November's summary too."""
    data = client_report_data(new_db, "C-0042", period_from=date(2026, 11, 1), today=TODAY)
    assert data.risk is not None
    (answer,) = data.risk.answers
    assert answer.before_period and not answer.reviewed
    text = _flat(_text(client_report_pdf(data), tmp_path / "n.pdf"))
    assert "in this period, or earlier and not yet reviewed" in text
    assert "(before this period)" in text and "‼ Urgent: not yet" in text


def _session_text(db: Database, number: int, path: Path) -> str:
    return _flat(
        _text(session_report_pdf(session_report_data(db, "C-0042", number, today=TODAY)), path)
    )


def test_session_summary_states_risk_as_it_stands_today(
    new_db: Database, risky: int, tmp_path: Path, artifacts: Path
) -> None:
    data = session_report_data(new_db, "C-0042", 4, today=TODAY)
    assert data.risk and data.risk[0][0] == "urgent"
    assert all(severity != "urgent" for severity, _ in data.alerts)  # risk is stated once
    pdf = session_report_pdf(data)
    (artifacts / "report_session_risk.pdf").write_bytes(pdf)
    text = _flat(_text(pdf, tmp_path / "s.pdf"))
    assert (
        "‼ Urgent: A risk answer from another session is waiting for review: CORE-10 item 6 "
        "(plans to end my life) rated 2 (Sometimes) at session 1 (2026-10-07)." in text
    )
    assert "Latest risk review" not in text
    # The session where it was given says so, with the rating.
    assert (
        "‼ Urgent: CORE-10 item 6 (plans to end my life) was answered 2 (Sometimes) in this "
        "session; it has not been reviewed yet" in _session_text(new_db, 1, tmp_path / "o.pdf")
    )
    # The incomplete form prints as the editor shows it.
    incomplete = _session_text(new_db, 3, tmp_path / "i.pdf")
    assert "Incomplete: 7 of 10 entered, kept without a score" in incomplete
    prorated = _session_text(new_db, 2, tmp_path / "p.pdf")
    assert "Total 11.1 of 40, pro-rated from 9 items · mild" in prorated

    record_risk_review(
        new_db,
        risky,
        reviewed_on=date(2026, 11, 5),
        action="Reviewed at the next session",
        risk_ongoing=True,
        now=NOW,
    )
    # Printed now, the page says what holds today: no "check risk" beside a review that
    # already covers it.
    again = _session_text(new_db, 4, tmp_path / "t.pdf")
    assert "Urgent" not in again and "check risk" not in again
    assert (
        "Latest risk review (2026-11-05): Reviewed at the next session. Outcome: risk ongoing."
        in again
    )
    own = _session_text(new_db, 1, tmp_path / "r.pdf")
    assert "answered 2 (Sometimes) in this session; reviewed on 2026-11-05." in own


def test_caseload_lists_the_urgent_alert_first_with_its_sign(
    new_db: Database, risky: int, tmp_path: Path
) -> None:
    calm = _client(new_db, "C-0001")
    _record(new_db, calm, date(2026, 11, 4), SRS=[9.5, 9.5, 9.5, 9.5])
    _record(new_db, calm, date(2026, 11, 11), SRS=[9, 9, 9, 8.9])
    data = caseload_report_data(new_db, today=TODAY)
    (risky_line,) = [line for line in data.lines if line.code == "C-0042"]
    assert risky_line.alerts[0][0] == "urgent"
    text = _flat(_text(caseload_report_pdf(data), tmp_path / "c.pdf"))
    assert "‼ Urgent: CORE-10 item 6" in text and "⚠ Warning: SRS fell" in text
    prorated = _client(new_db, "C-0003")
    _record(new_db, prorated, date(2026, 11, 4), CORE_10=PRORATED)
    data = caseload_report_data(new_db, today=TODAY)
    text = _flat(_text(caseload_report_pdf(data), tmp_path / "d.pdf"))
    assert "11.1*" in text and "* pro-rated: one item was missing" in text
    clients.discharge_client(new_db, risky, date(2026, 11, 20))
    discharged = caseload_report_data(new_db, today=TODAY)
    assert "C-0042" in [line.code for line in discharged.lines]  # unreviewed risk stays


@pytest.mark.parametrize(
    ("born", "words"),
    [
        (date(2013, 10, 14), "clinical cut-off 28 for adolescents 13-17"),  # 13 from session 2
        (date(1990, 1, 1), "clinical cut-off 25 for adults (clinical: under 25)"),
    ],
)
def test_ors_cut_off_in_the_report_follows_age(
    new_db: Database, tmp_path: Path, born: date, words: str
) -> None:
    cid = _client(new_db, "C-0007", born)
    for day, values in ((date(2026, 10, 7), [5, 5, 5, 5]), (date(2026, 10, 14), [7, 7, 7, 8])):
        _record(new_db, cid, day, ORS=values)
    text = _flat(
        _text(
            client_report_pdf(client_report_data(new_db, "C-0007", today=TODAY)), tmp_path / "o.pdf"
        )
    )
    assert words in text
    if born.year == 2013:
        assert "follows the client's age: 32 from session 1, 28 from session 2" in text
