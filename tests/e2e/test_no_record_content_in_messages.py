"""No record content in any message or log line, ever: a canary in a damaged text.

A session note whose bytes are no longer UTF-8 (damage inside an intact page) used to be
quoted whole by the driver's error ("Could not decode … with text 'Behavioural experiment at
th� meeting'") onto the terminal and into the log. Every command that reads it, and the
window, must say the database is damaged without a word of the note.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from alliance_desktop.storage.sqlite_errors import UnreadableText
from tests.e2e.test_cli import run
from tests.keyed import TEST_PASSPHRASE, open_database, raw_connect

CANARY = "CANARY-7f3a Behavioural experiment at the meeting"
# The canary with one byte that cannot be UTF-8 in the middle of it.
DAMAGED_NOTE = CANARY.encode().replace(b"the meeting", b"th\xff meeting")
ENV = {"ALLIANCE_PASSPHRASE": TEST_PASSPHRASE}


@pytest.fixture
def damaged_note(demo_db_path: Path) -> str:
    """Damage one session's note in place; return that client's code."""
    conn = raw_connect(demo_db_path)
    try:
        row = conn.execute(
            "SELECT s.id, c.code FROM sessions s JOIN clients c ON c.id = s.client_id "
            "ORDER BY s.id LIMIT 1"
        ).fetchone()
        conn.execute(
            "UPDATE sessions SET notes = CAST(? AS TEXT) WHERE id = ?", (DAMAGED_NOTE, row[0])
        )
        conn.commit()
    finally:
        conn.close()
    return str(row[1])


def _everything_written(home: Path, *outputs: str) -> str:
    logs = [p.read_text(encoding="utf-8", errors="replace") for p in home.rglob("*.log")]
    return "\n".join([*outputs, *logs])


@pytest.mark.parametrize(
    "command",
    [
        ["session", "list", "{code}"],
        ["session", "list", "{code}", "--json"],
        ["report", "{code}", "--out", "{tmp}/r.pdf"],
        ["report", "{code}", "--session", "1", "--notes", "--out", "{tmp}/s.pdf"],
        ["export", "--format", "json", "--out", "{tmp}/e.json"],
        ["export", "--format", "csv", "--out", "{tmp}/e.csv"],
        ["client", "export", "{code}", "--out", "{tmp}/subject"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_no_command_repeats_a_damaged_note(
    demo_db_path: Path, damaged_note: str, tmp_path: Path, isolated_home: Path, command: list[str]
) -> None:
    args = [a.format(code=damaged_note, tmp=tmp_path) for a in command]
    result = run("--db", str(demo_db_path), *args, env=ENV)
    written = _everything_written(isolated_home, result.stdout, result.stderr)
    assert "CANARY" not in written and "Behavioural" not in written
    assert result.returncode != 0, result.stdout
    assert "damaged" in result.stderr and "internal error" not in result.stderr.lower()
    for made in tmp_path.glob("e.*"):  # nothing half-written under the name asked for
        assert os.path.getsize(made) == 0 or "CANARY" not in made.read_text(errors="replace")


def test_reading_it_in_process_raises_damage_without_the_text(
    demo_db_path: Path, damaged_note: str
) -> None:
    from alliance_desktop.storage import repository

    db = open_database(demo_db_path)
    try:
        client_id = repository.client_id_for_code(db, damaged_note)
        assert client_id is not None
        with pytest.raises(UnreadableText) as caught:
            repository.load_client_tree(db, client_id)
        assert "CANARY" not in str(caught.value) and caught.value.__cause__ is None
    finally:
        db.close()
