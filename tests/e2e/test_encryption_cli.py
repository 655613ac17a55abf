"""The passphrase on the command line, as a script or a person uses it, in a real process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from alliance_desktop.storage import cipher, keys
from tests.e2e.test_cli import assert_one_line_error, digest
from tests.keyed import TEST_PASSPHRASE
from tests.unit.storage.test_database import FIXTURES

CANARY = "CANARY-session-note-5e1d0b-ÉLISE"


def run(
    *args: str, env: dict[str, str | None] | None = None, stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    merged = {**os.environ}
    for name, value in (env or {}).items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return subprocess.run(
        [sys.executable, "-m", "alliance_desktop", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=merged,
        stdin=stdin,
        timeout=300,
        check=False,
    )


NO_PASSPHRASE = {"ALLIANCE_PASSPHRASE": None}


def test_without_a_terminal_or_a_passphrase_it_refuses_in_one_line(demo_db_path: Path) -> None:
    before = digest(demo_db_path)
    result = run("--db", str(demo_db_path), "clients", env=NO_PASSPHRASE)
    assert_one_line_error(
        result, "needs the passphrase", "--passphrase-file", "ALLIANCE_PASSPHRASE"
    )
    assert digest(demo_db_path) == before
    # Given in a file (owner-only, one line), it unlocks.
    secret = demo_db_path.parent / "secret.txt"
    secret.write_text(TEST_PASSPHRASE + "\n", encoding="utf-8")
    listed = run(
        "--db", str(demo_db_path), "clients", "--passphrase-file", str(secret), env=NO_PASSPHRASE
    )
    assert listed.returncode == 0 and "CODE" in listed.stdout, listed.stderr


def test_a_wrong_passphrase_is_one_line_and_never_logged(
    demo_db_path: Path, isolated_home: Path
) -> None:
    before = {p.name: digest(p) for p in demo_db_path.parent.iterdir() if p.is_file()}
    result = run(
        "--db", str(demo_db_path), "clients", env={"ALLIANCE_PASSPHRASE": "Tr0ub4dor&3 guess"}
    )
    assert_one_line_error(result, "does not unlock demo.db")
    assert "Tr0ub4dor" not in result.stderr
    assert {p.name: digest(p) for p in demo_db_path.parent.iterdir() if p.is_file()} == before
    for log in (isolated_home / "logs").glob("*"):
        assert "Tr0ub4dor" not in log.read_text(encoding="utf-8")


def test_the_first_command_with_a_passphrase_encrypts_an_old_plain_database(
    tmp_path: Path,
) -> None:
    path = tmp_path / "practice.db"
    shutil.copyfile(FIXTURES / "schema_0002_session_drafts.db", path)
    refused = run("--db", str(path), "clients", env=NO_PASSPHRASE)
    assert_one_line_error(refused, "needs the passphrase")
    assert cipher.is_plain_sqlite(path)
    listed = run("--db", str(path), "clients")
    assert listed.returncode == 0, listed.stderr
    assert "Encrypting" in listed.stderr and "CODE" in listed.stdout
    assert not cipher.is_plain_sqlite(path) and keys.keys_path(path).exists()
    kept = list(tmp_path.glob("practice.db.before-migration-*.bak"))
    assert kept and not any(cipher.is_plain_sqlite(p) for p in kept)  # the migration's copy
    again = run("--db", str(path), "encrypt")
    assert again.returncode == 0 and "already encrypted" in again.stdout


def test_encrypt_and_passwd_commands(tmp_path: Path) -> None:
    path = tmp_path / "practice.db"
    shutil.copyfile(FIXTURES / "schema_0003_risk_reviews.db", path)
    short = run("--db", str(path), "encrypt", env={"ALLIANCE_PASSPHRASE": "short"})
    assert_one_line_error(short, "at least 8 characters")
    assert cipher.is_plain_sqlite(path)
    done = run("--db", str(path), "encrypt")
    assert done.returncode == 0 and "Encrypted" in done.stdout, done.stderr
    new_secret = tmp_path / "new.txt"
    new_secret.write_text("a different passphrase\n", encoding="utf-8")
    changed = run("--db", str(path), "passwd", "--new-passphrase-file", str(new_secret))
    assert changed.returncode == 0 and "Changed the passphrase" in changed.stdout, changed.stderr
    old = run("--db", str(path), "clients")
    assert_one_line_error(old, "does not unlock")
    new = run("--db", str(path), "clients", env={"ALLIANCE_PASSPHRASE": "a different passphrase"})
    assert new.returncode == 0, new.stderr
    no_new = run("--db", str(path), "passwd", env={"ALLIANCE_PASSPHRASE": "a different passphrase"})
    assert_one_line_error(no_new, "--new-passphrase-file")


def test_a_canary_note_reaches_no_file_the_app_writes(
    demo_db_path: Path, tmp_path: Path, isolated_home: Path
) -> None:
    """A session note typed on the command line is in no file of the data folder, the
    backup stick, the temporary folder or the logs: only inside the encryption."""
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    stick = tmp_path / "stick"
    stick.mkdir()
    env = {"TMPDIR": str(private_tmp)}
    code = json.loads(run("--db", str(demo_db_path), "clients", "--json").stdout)[0]["code"]
    added = run(
        "--db", str(demo_db_path), "session", "add", code, "--date", "2026-11-21T10:00",
        "--notes", CANARY, env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = run("--db", str(demo_db_path), "session", "list", code, "--json", env=env)
    assert CANARY in listed.stdout  # it was saved, and reads back
    backed = run("--db", str(demo_db_path), "backup", "--to", str(stick), env=env)
    assert backed.returncode == 0, backed.stderr
    places = [demo_db_path.parent, stick, private_tmp, isolated_home]
    for place in places:
        for path in place.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert CANARY.encode() not in data, path
                assert CANARY.encode("utf-16-le") not in data, path
    import sqlite3

    try:
        sqlite3.connect(demo_db_path).execute("SELECT count(*) FROM sessions").fetchone()
        readable = True
    except sqlite3.DatabaseError:
        readable = False
    assert not readable


def test_audit_verify_list_and_a_tampered_log(demo_db_path: Path, tmp_path: Path) -> None:
    code = json.loads(run("--db", str(demo_db_path), "clients", "--json").stdout)[0]["code"]
    out = tmp_path / "sar"
    exported = run("--db", str(demo_db_path), "client", "export", code, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert sorted(p.suffix for p in out.iterdir()) == [".json", ".pdf"]
    listed = run("--db", str(demo_db_path), "audit", "list", "--client", code, "--json")
    actions = [row["action"] for row in json.loads(listed.stdout)]
    assert actions == ["report", "client_exported"]
    intact = run("--db", str(demo_db_path), "audit", "verify")
    assert intact.returncode == 0 and "intact: 2 entries" in intact.stdout
    from tests.keyed import raw_connect

    conn = raw_connect(demo_db_path)
    conn.execute("UPDATE audit_log SET client_code = 'SOMEONE-ELSE' WHERE id = 1")
    conn.commit()
    conn.close()
    broken = run("--db", str(demo_db_path), "audit", "verify")
    assert broken.returncode == 1 and "entry 1 (report) was changed" in broken.stdout


def test_client_erase_asks_first_and_says_how_long_backups_hold_it(demo_db_path: Path) -> None:
    code = json.loads(run("--db", str(demo_db_path), "clients", "--json").stdout)[0]["code"]
    refused = run("--db", str(demo_db_path), "client", "erase", code)
    assert_one_line_error(refused, "--yes")
    erased = run("--db", str(demo_db_path), "client", "erase", code, "--yes")
    assert erased.returncode == 0 and "Backups made before today still hold" in erased.stdout
    gone = run("--db", str(demo_db_path), "session", "list", code)
    assert_one_line_error(gone, "no client with the code")


def test_a_database_whose_key_file_is_lost_is_restored_from_a_backup(
    demo_db_path: Path, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    assert run("--db", str(demo_db_path), "backup", "--to", str(stick)).returncode == 0
    (backup,) = stick.glob("*.allbak")
    keys.keys_path(demo_db_path).unlink()
    refused = run("--db", str(demo_db_path), "clients")
    assert_one_line_error(refused, "key file demo.db.keys is missing")
    restored = run("--db", str(demo_db_path), "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert ".unreadable" in restored.stdout  # the unopenable file is kept, not deleted
    assert run("--db", str(demo_db_path), "clients").returncode == 0
