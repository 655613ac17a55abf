"""Risk reviews and acknowledgements from the command line, in a real process.

Every date is given (sessions in the past, the review's day); nothing depends on the hour.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli import assert_one_line_error, run

CLIENT = {"code": "C-1", "given_name": "Zoë", "approach": "cbt", "intake_date": "2026-09-01"}


def _clients(db: Path) -> list[dict[str, object]]:
    listed = run("--db", str(db), "clients", "--json")
    assert listed.returncode == 0, listed.stderr
    rows: list[dict[str, object]] = json.loads(listed.stdout)
    return rows


def test_risk_answer_then_review_and_acknowledge(db_path: Path, tmp_path: Path) -> None:
    export = tmp_path / "one.json"
    document = {"format": "alliance-desktop-export", "format_version": 1, "clients": [CLIENT]}
    export.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert run("--db", str(db_path), "import", str(export)).returncode == 0
    db = str(db_path)
    first = run(
        "--db", db, "session", "add", "C-1", "--date", "2026-10-07T10:00",
        "--core-10", "1,3,3,1,1,2,1,1,1,1", "--srs", "9.5,9.5,9.5,9.5",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    # An incomplete CORE-10 (three items blank) is kept, with a warning, not refused.
    second = run(
        "--db", db, "session", "add", "C-1", "--date", "2026-10-14T10:00",
        "--core-10=-,-,3,1,1,0,1,-,1,1", "--srs", "9,9,9,8.9",  # "=": a value starting "-"
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert (
        "kept as incomplete" in second.stderr and "Item 6 is still read for risk" in second.stderr
    )

    listing = run("--db", db, "session", "list", "C-1")
    assert "CORE-10 incomplete" in listing.stdout, listing.stdout
    (row,) = _clients(db_path)
    alerts = row["alerts"]
    assert isinstance(alerts, list) and alerts[0]["severity"] == "urgent"
    assert alerts[0]["kind"] == "risk" and alerts[0]["session_number"] == 1
    table = run("--db", db, "clients")
    assert "‼ Urgent · 2 alerts: CORE-10 item 6" in table.stdout

    # Refusals: one line each, nothing stored.
    assert_one_line_error(
        run("--db", db, "acknowledge", "C-1", "--kind", "risk", "--instrument", "CORE-10"),
        "cleared only by recording a risk review",
    )
    assert_one_line_error(
        run("--db", db, "review", "C-1", "--date", "2026-10-06", "--action", "x", "--ongoing"),
        "date the review on or after that day",
    )
    assert_one_line_error(
        run("--db", db, "review", "C-1", "--date", "2026-10-08", "--action", "  ", "--ongoing"),
        "Say what was done",
    )
    missing = run("--db", db, "review", "C-1", "--date", "2026-10-08", "--action", "x")
    assert missing.returncode == 2 and "--ongoing" in missing.stderr  # must be said
    assert _clients(db_path)[0]["alerts"] == alerts

    reviewed = run(
        "--db", db, "review", "C-1", "--date", "2026-10-08",
        "--action", "Safety plan reviewed with Zoë", "--not-ongoing",
    )  # fmt: skip
    assert reviewed.returncode == 0, reviewed.stderr
    assert "Recorded a risk review for C-1 (risk not ongoing)." in reviewed.stdout
    kinds = [a["kind"] for a in _clients(db_path)[0]["alerts"]]  # type: ignore[union-attr]
    assert "risk" not in kinds and kinds[0] == "under_cutoff"

    acknowledged = run(
        "--db", db, "acknowledge", "C-1", "--kind", "dropped", "--instrument", "SRS",
        "--note", "Discussed in session 3",
    )  # fmt: skip
    assert acknowledged.returncode == 0, acknowledged.stderr
    assert acknowledged.stdout.startswith("Acknowledged: SRS fell")
    assert _clients(db_path)[0]["alerts"] == []
    assert_one_line_error(
        run("--db", db, "acknowledge", "C-1", "--kind", "dropped", "--instrument", "SRS"),
        "has no active 'dropped' alert on SRS",
    )
    out = tmp_path / "export.json"
    assert run("--db", db, "export", "--format", "json", "--out", str(out)).returncode == 0
    (client,) = json.loads(out.read_text(encoding="utf-8"))["clients"]
    assert client["risk_reviews"][0]["action"] == "Safety plan reviewed with Zoë"
    assert client["alert_acknowledgements"][0]["note"] == "Discussed in session 3"
