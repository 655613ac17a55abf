"""`alliance-desktop report` in a real process, on a real database, read back with real tools."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pypdf import PdfReader

from alliance_desktop.services import audit
from alliance_desktop.services.transfer import export_document
from alliance_desktop.storage import repository
from tests.e2e.test_cli import assert_one_line_error, run
from tests.keyed import open_database


def _first_client_with_sessions(db_path: Path) -> tuple[str, str]:
    db = open_database(db_path)
    try:
        tree = next(t for t in repository.load_client_trees(db) if len(t.sessions) >= 3)
        return tree.code, tree.display_name
    finally:
        db.close()


def _records(path: Path) -> dict[str, object]:
    db = open_database(path)
    try:
        document = export_document(db)
    finally:
        db.close()
    document.pop("exported_at")
    return document


def test_the_three_reports_from_the_command_line(demo_db_path: Path, tmp_path: Path) -> None:
    code, name = _first_client_with_sessions(demo_db_path)
    before = _records(demo_db_path)
    jobs = {
        "summary.pdf": [code, "--pseudonymise", "--feedback", "--narrative", "Zoë is doing well."],
        "session.pdf": [code, "--session", "2"],
        "caseload.pdf": ["--caseload"],
    }
    for name_of_file, extra in jobs.items():
        out = tmp_path / name_of_file
        result = run("--db", str(demo_db_path), "report", *extra, "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert str(out) in result.stdout
        text = "\n".join(p.extract_text() for p in PdfReader(out).pages)
        assert "Confidential" in text
        qpdf = shutil.which("qpdf")
        if qpdf:
            subprocess.run([qpdf, "--check", str(out)], check=True, capture_output=True)
    summary = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "summary.pdf").pages)
    assert code in summary and name.split()[-1] not in summary and "Zoë is doing well." in summary
    # A report changes no record; the audit log notes each one, without clinical content.
    assert _records(demo_db_path) == before
    db = open_database(demo_db_path)
    try:
        reports = [e for e in audit.history(db) if e.action == "report"]
    finally:
        db.close()
    assert [(e.client_code, e.detail) for e in reports[:2]] == [
        (code, "progress summary"),
        (code, "session 2 summary"),
    ]
    assert reports[2].client_code is None and reports[2].detail.startswith("caseload summary (")
    assert len(reports) == 3

    again = run(
        "--db", str(demo_db_path), "report", "--caseload", "--out", str(tmp_path / "caseload.pdf")
    )
    assert_one_line_error(again, "already exists", "--force")
    gone = run("--db", str(demo_db_path), "report", code, "--out", str(tmp_path / "no" / "x.pdf"))
    assert_one_line_error(gone, "does not exist")
    assert not (tmp_path / "no").exists()
    unknown = run("--db", str(demo_db_path), "report", "NOPE-1", "--out", str(tmp_path / "n.pdf"))
    assert_one_line_error(unknown, "no client with the code 'NOPE-1'")
    assert not list(tmp_path.glob("*.partial"))


def test_a_report_on_a_full_drive_leaves_no_file(demo_db_path: Path, tmpfs: object) -> None:
    code, _ = _first_client_with_sessions(demo_db_path)
    volume = tmpfs("tiny", "16k")  # type: ignore[operator]
    out = volume / "summary.pdf"
    result = run("--db", str(demo_db_path), "report", code, "--out", str(out))
    assert_one_line_error(result, "disk is full")
    assert list(volume.iterdir()) == []


def test_report_options_that_do_not_belong_are_refused(demo_db_path: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "x.pdf")
    for extra in (["--notes"], ["--narrative", "x"], ["--sections", "goals"]):
        result = run("--db", str(demo_db_path), "report", "--caseload", *extra, "--out", out)
        assert_one_line_error(result, "--caseload takes no")
    odd = run("--db", str(demo_db_path), "report", "--caseload", "--out", "/proc/x.pdf")
    assert_one_line_error(odd, "/proc")
    assert "internal error" not in odd.stderr
