"""``session add`` reads --date, --srs and --json by one rule, in a real process on a real file.

Each refusal is given twice, once as flags and once as a JSON session, and must print the
same sentence (the one ``services.input_rules`` words) and leave the database as it was.
Every date is given and in the past; nothing depends on the hour.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alliance_desktop.domain.instruments import INSTRUMENTS
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.input_rules import parse_item_text, parse_moment
from tests.e2e.test_cli import assert_one_line_error, digest, one_client_export, run

SRS = INSTRUMENTS["SRS"]


@pytest.fixture
def db(db_path: Path, tmp_path: Path) -> str:
    """A database holding client C-1 (intake 2026-10-01) and one session."""
    source = tmp_path / "client.json"
    source.write_text(one_client_export(), encoding="utf-8")
    assert run("--db", str(db_path), "import", str(source)).returncode == 0
    first = run("--db", str(db_path), "session", "add", "C-1", "--date", "2026-11-02T10:00")
    assert first.returncode == 0, first.stderr
    return str(db_path)


def sessions_of(db: str) -> list[dict[str, Any]]:
    listed = run("--db", db, "session", "list", "C-1", "--json")
    assert listed.returncode == 0, listed.stderr
    rows: list[dict[str, Any]] = json.loads(listed.stdout)
    return rows


def refusal(read: Any, *args: Any) -> str:
    """The parser's own sentence for this input, without its full stop (argparse adds text)."""
    with pytest.raises(InvalidInput) as refused:
        read(*args)
    return str(refused.value).rstrip(".")


def srs(values: list[Any]) -> dict[str, Any]:
    return {"start": "2026-11-20T10:00", "measurements": [{"instrument_id": "SRS",
                                                           "item_values": values}]}  # fmt: skip


def test_flags_and_json_are_refused_alike_and_nothing_is_stored(db: str, tmp_path: Path) -> None:
    before, stored = digest(Path(db)), sessions_of(db)
    session_file = tmp_path / "session.json"
    cases: list[tuple[list[str], dict[str, Any], str]] = [
        # Read as 10:00 and half a second before.
        (
            ["--date", "2026-11-20T10.50"],
            {"start": "2026-11-20T10.50"},
            refusal(parse_moment, "2026-11-20T10.50"),
        ),
        # --date refused this and JSON made it midnight.
        (["--date", "2026-11-20"], {"start": "2026-11-20"}, refusal(parse_moment, "2026-11-20")),
        # JSON recorded an empty session "now".
        (["--date", ""], {"start": ""}, refusal(parse_moment, "")),
        (
            ["--date", "2026-11-20T10:00+01:00"],
            {"start": "2026-11-20T10:00+01:00"},
            refusal(parse_moment, "2026-11-20T10:00+01:00"),
        ),
        (
            ["--date", "1949-12-31T10:00"],
            {"start": "1949-12-31T10:00"},
            refusal(parse_moment, "1949-12-31T10:00"),
        ),
        # Stored as typed before.
        (
            ["--date", "2026-11-20T10:00", "--srs", "9.0000000001,9,9,9"],
            srs([9.0000000001, 9, 9, 9]),
            refusal(parse_item_text, "9.0000000001", SRS, SRS.items[0]),
        ),
        (
            ["--date", "2026-11-20T10:00", "--srs", "9,9,11,9"],
            srs([9, 9, 11, 9]),
            refusal(parse_item_text, "11", SRS, SRS.items[2]),
        ),
    ]
    for flags, document, sentence in cases:
        assert_one_line_error(run("--db", db, "session", "add", "C-1", *flags), sentence)
        session_file.write_text(json.dumps(document), encoding="utf-8")
        from_json = run("--db", db, "session", "add", "C-1", "--json", str(session_file))
        assert_one_line_error(from_json, f"{session_file}.", sentence)
    assert digest(Path(db)) == before
    assert sessions_of(db) == stored


def test_a_session_without_a_start_is_refused_not_recorded_now(db: str, tmp_path: Path) -> None:
    before = digest(Path(db))
    empty_file, no_start = tmp_path / "empty.json", tmp_path / "no-start.json"
    empty_file.write_text("", encoding="utf-8")
    no_start.write_text(json.dumps({"notes": "no start"}), encoding="utf-8")
    for args, fragment in (
        (["--srs", "9,9,9,9"], "Say when the session started: --date YYYY-MM-DDTHH:MM, e.g."),
        (["--json", ""], "--json needs a file name (it was empty)."),
        (["--json", str(empty_file)], "is not valid JSON"),
        (["--json", str(no_start)], 'Say when the session started: --date YYYY-MM-DDTHH:MM or '
                                    '"start" in the JSON file, e.g. --date 2026-11-20T10:00.'),
    ):  # fmt: skip
        assert_one_line_error(run("--db", db, "session", "add", "C-1", *args), fragment)
    assert digest(Path(db)) == before


def test_what_is_accepted_is_stored_exactly_as_meant(db: str, tmp_path: Path) -> None:
    session_file = tmp_path / "session.json"
    document = srs([8.50, -0.0, 10, 9])
    document["start"] = "2026-11-09 10:00:00"  # a space, and the seconds isoformat() writes
    session_file.write_text(json.dumps(document), encoding="utf-8")
    from_json = run("--db", db, "session", "add", "C-1", "--json", str(session_file))
    assert from_json.returncode == 0, from_json.stderr
    flags = ["--date", "2026-11-16T10:00", "--srs", "8.50, -0 ,10,9"]
    from_flags = run("--db", db, "session", "add", "C-1", *flags)
    assert from_flags.returncode == 0, from_flags.stderr
    rows = sessions_of(db)
    assert [r["start"] for r in rows] == [
        "2026-11-02T10:00",
        "2026-11-09T10:00",
        "2026-11-16T10:00",
    ]
    for row in rows[1:]:
        (measure,) = row["measurements"]
        assert measure["item_values"] == [8.5, 0.0, 10.0, 9.0]
        assert measure["taken_at"] == row["start"]
        assert json.dumps(measure["item_values"]) == "[8.5, 0.0, 10.0, 9.0]"  # no -0.0
