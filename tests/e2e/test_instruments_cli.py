"""The practice's own instruments from the command line, as a therapist would use them
(issue 19): import a definition, record a session with it, see it scored, charted in the
summary and alerted on, export and share it, edit it as a new version that keeps the old
scores, export and import the whole practice, and retire it. Real processes, real files."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from alliance_desktop.domain.definitions import definition_from_json
from tests.e2e.test_cli import assert_one_line_error, digest, run
from tests.e2e.test_odd_inputs import at_terminal

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "resources/instruments/example-therapist-alliance.json"
)
ID = "therapist-alliance-6"


def _session(db: Path, code: str, start: str, values: list[int]) -> None:
    document = {
        "start": start,
        "measurements": [{"instrument_id": ID, "item_values": values, "respondent": "therapist"}],
    }
    path = db.parent / f"session-{start[:10]}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    added = run("--db", str(db), "session", "add", code, "--json", str(path))
    assert added.returncode == 0, added.stderr


def _practice(tmp_path: Path) -> Path:
    db = tmp_path / "practice.db"
    assert run("--db", str(db), "init").returncode == 0
    client = tmp_path / "client.json"
    client.write_text(
        json.dumps(
            {
                "format": "alliance-desktop-export",
                "format_version": 1,
                "clients": [{"code": "C-1", "given_name": "Zoë", "approach": "cbt",
                             "intake_date": "2026-10-01"}],
            }
        ),
        encoding="utf-8",
    )  # fmt: skip
    imported = run("--db", str(db), "import", str(client))
    assert imported.returncode == 0, imported.stderr
    return db


def _listed(db: Path) -> dict[str, Any]:
    listing = run("--db", str(db), "instrument", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    return {entry["id"]: entry for entry in json.loads(listing.stdout)}


def test_an_own_instrument_from_import_to_retirement(tmp_path: Path) -> None:
    db = _practice(tmp_path)
    added = run("--db", str(db), "instrument", "import", str(EXAMPLE))
    assert added.returncode == 0, added.stderr
    assert f"Added {ID} version 1" in added.stdout
    listed = _listed(db)
    assert listed[ID] == {
        "id": ID, "version": "1", "name": "Session alliance check (therapist)", "items": 6,
        "built_in": False, "retired": False, "versions": ["1"], "kind": "alliance",
        "respondent": "therapist",
    }  # fmt: skip
    assert listed["PHQ-9"]["built_in"] and listed["PHQ-9"]["items"] == 10  # nine and one unscored
    again = run("--db", str(db), "instrument", "import", str(EXAMPLE))
    assert "already there, unchanged" in again.stdout

    # Two sessions: the goal subscale falls from 6.5 to 3 (more than the WAI-SR's 2 of 16
    # points in proportion: 2 / 16 x 6 = 0.75) and item 1 is at 2 (at or under 2.5).
    _session(db, "C-1", "2026-11-02T10:00", [6, 7, 5, 5, 6, 6])
    _session(db, "C-1", "2026-11-09T10:00", [2, 4, 5, 5, 6, 6])
    listing = run("--db", str(db), "session", "list", "C-1", "--json")
    first, second = (s["measurements"][0] for s in json.loads(listing.stdout))
    assert (first["total"], first["subscales"]) == (5.8, {"goal": 6.5, "task": 5, "bond": 6})
    assert second["subscales"]["goal"] == 3 and second["instrument_version"] == "1"
    clients = json.loads(run("--db", str(db), "clients", "--json").stdout)
    (alert,) = [a for a in clients[0]["alerts"] if a["instrument_id"] == ID]
    assert alert["kind"] == "falling_subscale" and alert["kinds"] == [
        "falling_subscale",
        "low_item",
    ]
    assert "Goal fell 3.5 points from 6.5 at session 1 to 3" in alert["reason"]
    assert "rated 2 (Hardly), at or under 2.5" in alert["reason"]

    pdf = tmp_path / "summary.pdf"
    report = run("--db", str(db), "report", "C-1", "--out", str(pdf), "--from", "2026-10-01",
                 "--to", "2026-11-30")  # fmt: skip
    assert report.returncode == 0, report.stderr
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert f"{ID} — Session alliance check (therapist)" in text  # its chart
    assert "subscale means 1–7" in text  # the score table's note  # noqa: RUF001

    # Shared with a colleague: the exported file is the same definition.
    shared = tmp_path / "shared.json"
    exported = run("--db", str(db), "instrument", "export", ID, "--out", str(shared))
    assert exported.returncode == 0, exported.stderr
    sent = definition_from_json(json.loads(shared.read_text("utf-8")))
    assert sent == definition_from_json(json.loads(EXAMPLE.read_text("utf-8")))

    # A version 2 on another scale (items 0-10) is refused: its scores could not share a
    # chart, a reliable change or an alert with version 1's. Nothing is stored.
    document = json.loads(EXAMPLE.read_text("utf-8"))
    widened = copy.deepcopy(document)
    widened["instrument"]["version"] = "2"
    for item in widened["instrument"]["items"]:
        item["minimum"], item["maximum"] = 0, 10
    widened["instrument"]["anchors"] = []
    widened["instrument"]["total_min"], widened["instrument"]["total_max"] = 0, 10
    widened["instrument"].pop("axis", None)
    other_scale = tmp_path / "other-scale.json"
    other_scale.write_text(json.dumps(widened), encoding="utf-8")
    before = digest(db)
    refused = run("--db", str(db), "instrument", "import", str(other_scale))
    assert_one_line_error(
        refused, "2 stored measurements taken with version 1", "could not be charted"
    )
    assert "version 2 scores from 0 to 10 and version 1 from 1 to 7" in refused.stderr
    assert digest(db) == before
    # Version 2 rewords an item and renames the form; version 1's scores stay as they were.
    changed = copy.deepcopy(document)
    changed["instrument"]["version"] = "2"
    changed["instrument"]["name"] = "Session alliance check (therapist), revised"
    changed["instrument"]["items"][5]["text"] = "The client could tell me what did not help."
    v2 = tmp_path / "v2.json"
    v2.write_text(json.dumps(changed), encoding="utf-8")
    assert "Added version 2" in run("--db", str(db), "instrument", "import", str(v2)).stdout
    same_version = copy.deepcopy(changed)
    same_version["instrument"]["version"] = "1"
    clash = tmp_path / "clash.json"
    clash.write_text(json.dumps(same_version), encoding="utf-8")
    before = digest(db)
    refused = run("--db", str(db), "instrument", "import", str(clash))
    assert_one_line_error(refused, "version 1 already has measurements", "new version")
    assert digest(db) == before
    _session(db, "C-1", "2026-11-16T10:00", [6, 6, 5, 5, 7, 7])
    rows = json.loads(run("--db", str(db), "session", "list", "C-1", "--json").stdout)
    assert [s["measurements"][0]["instrument_version"] for s in rows] == ["1", "1", "2"]
    assert [s["measurements"][0]["total"] for s in rows] == [5.8, 4.7, 6]
    assert _listed(db)[ID]["versions"] == ["1", "2"]

    # The whole practice moves (export, import into a new file) with its instruments.
    export = tmp_path / "practice.json"
    assert run("--db", str(db), "export", "--out", str(export)).returncode == 0
    moved = tmp_path / "moved.db"
    assert run("--db", str(moved), "init").returncode == 0
    brought = run("--db", str(moved), "import", str(export))
    assert brought.returncode == 0, brought.stderr
    moved_rows = json.loads(run("--db", str(moved), "session", "list", "C-1", "--json").stdout)
    assert [s["measurements"][0]["total"] for s in moved_rows] == [5.8, 4.7, 6]
    assert _listed(moved)[ID]["versions"] == ["1", "2"]

    # Retired: not offered any more, the data stay.
    retired = run("--db", str(db), "instrument", "retire", ID)
    assert retired.returncode == 0, retired.stderr
    assert "its 3 measurements stay" in retired.stdout.lower()
    assert _listed(db)[ID]["retired"] is True
    builtin = run("--db", str(db), "instrument", "retire", "SRS")
    assert_one_line_error(builtin, "SRS is built in and cannot be retired")
    # Offered again (as the window's button does); a built-in is never retired.
    offered = run("--db", str(db), "instrument", "offer", ID)
    assert offered.stdout.strip() == f"{ID} is offered for new sessions again."
    assert _listed(db)[ID]["retired"] is False
    again = run("--db", str(db), "instrument", "offer", ID)
    assert "is not retired" in again.stdout and again.returncode == 0
    assert_one_line_error(
        run("--db", str(db), "instrument", "offer", "SRS"), "SRS is built in and never retired"
    )
    # With data it cannot be deleted, even with --yes.
    before = digest(db)
    kept = run("--db", str(db), "instrument", "delete", ID, "--yes")
    assert_one_line_error(kept, f"{ID} has 3 stored measurements", "retire it instead")
    assert digest(db) == before


def test_session_add_help_lists_the_questionnaire_flags() -> None:
    """`session add`'s flags come from the registry when that subcommand is parsed."""
    shown = run("session", "add", "--help")
    assert shown.returncode == 0, shown.stderr
    for flag in ("--srs", "--wai-sr", "--ors", "--core-10", "--phq9", "--gad7"):
        assert f"{flag} V,V,…" in shown.stdout, flag
    assert "--srs" not in run("--help").stdout


def test_an_instrument_without_data_is_deleted_once_confirmed(tmp_path: Path) -> None:
    db = _practice(tmp_path)
    assert run("--db", str(db), "instrument", "import", str(EXAMPLE)).returncode == 0
    before = digest(db)
    no_terminal = subprocess.run(
        [sys.executable, "-m", "alliance_desktop", "--db", str(db), "instrument", "delete", ID],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert_one_line_error(no_terminal, f"deleting {ID} cannot be undone", "--yes")
    assert digest(db) == before and ID in _listed(db)
    # At a terminal it asks; "n" (or Enter) keeps it, "y" deletes it.
    asked = ("--db", str(db), "instrument", "delete", ID)
    status, said = at_terminal(asked, "[y/N]", b"n\r")
    assert status == 0 and f"Delete {ID} permanently? [y/N]" in said
    assert "Nothing was deleted." in said, said
    assert digest(db) == before and ID in _listed(db)
    status, said = at_terminal(asked, "[y/N]", b"y\r")
    assert status == 0 and f"Deleted {ID}; it had no measurements." in said, said
    assert ID not in _listed(db)
    assert run("--db", str(db), "instrument", "import", str(EXAMPLE)).returncode == 0
    deleted = run("--db", str(db), "instrument", "delete", ID, "--yes")
    assert deleted.stdout.strip() == f"Deleted {ID}; it had no measurements.", deleted.stderr
    assert ID not in _listed(db)
    unknown = run("--db", str(db), "instrument", "delete", "nope", "--yes")
    assert_one_line_error(unknown, "no instrument of the practice's own called 'nope'")


def test_a_bad_definition_gets_one_message_and_changes_nothing(tmp_path: Path) -> None:
    db = _practice(tmp_path)
    document = json.loads(EXAMPLE.read_text("utf-8"))
    cases: list[tuple[str, Any, str]] = []
    missing_item = copy.deepcopy(document)
    missing_item["instrument"]["subscales"][2]["items"] = [5, 14]
    cases.append(("subscale.json", missing_item, "14"))
    wrong_type = copy.deepcopy(document)
    wrong_type["instrument"]["items"][0]["maximum"] = "7"
    cases.append(("type.json", wrong_type, "items[0].maximum"))
    built_in = copy.deepcopy(document)
    built_in["instrument"]["id"] = "SRS"
    cases.append(("builtin.json", built_in, "SRS is a built-in instrument"))
    huge = copy.deepcopy(document)
    huge["instrument"]["name"] = "x" * (2 * 1024 * 1024)
    cases.append(("huge.json", huge, "huge.json"))
    before = digest(db)
    for name, content, fragment in cases:
        path = tmp_path / name
        path.write_text(json.dumps(content), encoding="utf-8")
        result = run("--db", str(db), "instrument", "import", str(path))
        assert_one_line_error(result, fragment)
        assert len(result.stderr) < 600
    assert digest(db) == before
    assert ID not in _listed(db)
