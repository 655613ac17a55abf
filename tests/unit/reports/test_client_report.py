"""The client progress summary, read back with real PDF tools (pypdf, qpdf, pdftoppm)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from alliance_desktop.domain._format import fmt_number
from alliance_desktop.domain.instruments import INSTRUMENTS
from alliance_desktop.domain.scoring import score
from alliance_desktop.domain.vocabulary import Approach, Attendance
from alliance_desktop.reports.client_report import client_report_pdf
from alliance_desktop.services import clients, sessions
from alliance_desktop.services.reports import client_report_data
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientData, ClientFields
from tests.conftest import DEMO_AS_OF
from tests.keyed import open_database

#: The day these reports are made (never the wall clock).
TODAY = date(2026, 11, 20)


def _needs(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} is not installed (.ci/run installs it)")
    return found


@pytest.fixture
def demo(demo_db_path: Path) -> Database:
    db = open_database(demo_db_path)
    yield db  # type: ignore[misc]
    db.close()


def _busiest(db: Database) -> ClientData:
    trees = repository.load_client_trees(db)
    return max(trees, key=lambda t: (sum(len(s.ruptures) for s in t.sessions), len(t.sessions)))


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_the_summary_carries_code_period_counts_and_latest_scores(
    demo: Database, tmp_path: Path, artifacts: Path
) -> None:
    tree = _busiest(demo)
    data = client_report_data(demo, tree.code, today=DEMO_AS_OF, narrative="Steady work.")
    pdf = client_report_pdf(data)
    (artifacts / "report_client.pdf").write_bytes(pdf)
    text = _text(pdf, tmp_path)
    assert tree.code in text and tree.display_name in text
    assert f"Period {tree.intake_date.isoformat()} to {DEMO_AS_OF.isoformat()}" in text
    counts = {a: sum(1 for s in tree.sessions if s.attendance is a) for a in Attendance}
    assert (
        f"Sessions: {counts[Attendance.ATTENDED]} attended, {counts[Attendance.CANCELLED]} "
        f"cancelled, {counts[Attendance.NO_SHOW]} no-show."
    ) in text
    attended = [s for s in tree.sessions if s.attendance is Attendance.ATTENDED]
    last = max(attended, key=lambda s: s.number)
    for m in last.measurements:  # the latest session's totals are in the table
        total = score(INSTRUMENTS[m.instrument_id], m.item_values).total
        assert total is not None and fmt_number(total) in text
    assert "Steady work." in text and "Signature:" in text
    assert "Confidential" in text and "page 1 of" in text


def test_qpdf_passes_and_the_chart_is_drawn(
    demo: Database, tmp_path: Path, artifacts: Path
) -> None:
    qpdf, pdftoppm = _needs("qpdf"), _needs("pdftoppm")
    tree = _busiest(demo)
    path = tmp_path / "summary.pdf"
    path.write_bytes(client_report_pdf(client_report_data(demo, tree.code, today=DEMO_AS_OF)))
    check = subprocess.run(
        [qpdf, "--check", str(path)], check=False, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    subprocess.run(
        [pdftoppm, "-r", "60", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
        check=True,
    )
    (page,) = tmp_path.glob("page*.png")
    shutil.copyfile(page, artifacts / "report_client_page1.png")
    from PySide6.QtGui import QColor, QImage

    image = QImage(str(page))
    srs_blue = QColor(INSTRUMENTS["SRS"].line_style.colour)
    blue = 0
    for x in range(0, image.width(), 2):
        for y in range(image.height() // 3, image.height(), 2):  # the charts sit below the header
            pixel = QColor(image.pixel(x, y))
            close = abs(pixel.red() - srs_blue.red()) + abs(pixel.green() - srs_blue.green())
            blue += close + abs(pixel.blue() - srs_blue.blue()) < 60
    assert blue > 50  # the SRS line is on the page, not a blank box


def test_unicode_names_round_trip(new_db: Database, tmp_path: Path) -> None:
    intake = TODAY - timedelta(days=30)
    for code, given, family in (
        ("U-1", "Zoë", "Łukasiewicz"),
        ("U-2", "Ёлка", "Ἀθηνᾶ"),
        ("U-3", "عائشة", "Zoë"),
    ):
        fields = ClientFields(code, given, family, Approach.CBT, intake)
        clients.create_client(new_db, fields, today=TODAY)
        report = client_report_data(new_db, code, period_to=TODAY)
        text = _text(client_report_pdf(report), tmp_path)
        if code == "U-3":  # right-to-left: extractable, in whichever order the reader gives
            assert all(ch in text for ch in given) and family in text
        else:
            assert f"{given} {family}" in text


def test_a_pseudonymised_report_has_no_name_and_no_birth_date(
    new_db: Database, tmp_path: Path
) -> None:
    intake = TODAY - timedelta(days=40)
    born = date(1984, 7, 19)
    fields = ClientFields("P-7", "Zoë", "Łukasiewicz", Approach.CBT, intake, date_of_birth=born)
    cid = clients.create_client(new_db, fields, today=TODAY).client_id
    tree = repository.load_client_tree(new_db, cid)
    assert tree is not None
    document = {
        "start": f"{TODAY - timedelta(days=7)}T10:00",
        "measurements": [{"instrument_id": "SRS", "item_values": [9, 9, 9, 9]}],
        "client_feedback": "Zoë said it helped",
    }
    now = datetime.combine(TODAY, datetime.min.time()).replace(hour=12)
    sessions.record_session(new_db, cid, sessions.parse_session(document, tree), now=now)
    plain = _text(client_report_pdf(client_report_data(new_db, "P-7", period_to=TODAY)), tmp_path)
    assert "Łukasiewicz" in plain and born.isoformat() in plain  # the check below can fail
    pdf = client_report_pdf(client_report_data(new_db, "P-7", pseudonymise=True, period_to=TODAY))
    text = _text(pdf, tmp_path)
    assert "P-7" in text and "pseudonymised" in text
    for secret in ("Zoë", "Łukasiewicz", born.isoformat(), "1984"):
        assert secret not in text
    path = tmp_path / "p.pdf"
    path.write_bytes(pdf)
    metadata = PdfReader(path).metadata or {}
    assert not any("Łukasiewicz" in str(v) or "Zoë" in str(v) for v in metadata.values())


def test_a_period_that_ends_before_it_starts_is_refused(demo: Database) -> None:
    from alliance_desktop.services.errors import InvalidInput

    tree = _busiest(demo)
    with pytest.raises(InvalidInput, match="swap the dates"):
        client_report_data(
            demo, tree.code, period_from=date(2026, 6, 1), period_to=date(2026, 1, 1)
        )


def test_sections_can_be_left_out_and_unknown_ones_are_named(
    demo: Database, tmp_path: Path
) -> None:
    from alliance_desktop.services.errors import InvalidInput

    tree = _busiest(demo)
    data = client_report_data(demo, tree.code, sections=frozenset({"goals", "outcome"}))
    text = _text(client_report_pdf(data), tmp_path)
    assert "Goals" in text and "Reliable change is" in text  # the outcome section
    for absent in ("Scores per session", "Alliance and outcome", "Ruptures and repair"):
        assert absent not in text
    assert "Signature:" in text and "Confidential" in text  # always printed
    everything = _text(client_report_pdf(client_report_data(demo, tree.code)), tmp_path)
    assert "Scores per session" in everything  # so its absence above means something
    with pytest.raises(InvalidInput, match="no section appendix"):
        client_report_data(demo, tree.code, sections=frozenset({"appendix"}))
