"""Kills at every moment of encrypting a plain database and of changing the passphrase.

As in ``test_backup_kills``: a forked child runs the real code and is killed at its n-th
line in our storage modules, for n = 1, 2, … until it finishes; after each kill the parent
checks what is on disk. Encrypting must leave either the plain database or the encrypted
one whole, with every committed change, and never a second readable copy; a passphrase
change must leave the old or the new passphrase working, never neither.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from alliance_desktop.storage import cipher, keys
from alliance_desktop.storage.database import encrypt_database, open_database
from alliance_desktop.storage.errors import StorageError
from tests.unit.storage.test_backup_kills import _killed_at_line
from tests.unit.storage.test_database import FIXTURES

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")

OLD = "the passphrase before"
NEW = "the passphrase after the change"
MARK = "COMMITTED-ONLY-IN-THE-WAL"


def _plain_with_a_wal(path: Path) -> None:
    """A plain database as the previous version leaves it: WAL mode, the newest commit only
    in the -wal file (the process died before a checkpoint)."""
    shutil.copyfile(FIXTURES / "schema_0003_risk_reviews.db", path)
    script = (
        "import os, sqlite3\n"
        f"conn = sqlite3.connect({str(path)!r})\n"
        "conn.execute('PRAGMA journal_mode = WAL')\n"
        "conn.execute('PRAGMA wal_autocheckpoint = 0')\n"
        f"conn.execute(\"UPDATE sessions SET notes = '{MARK}' WHERE id = 1\")\n"
        "conn.commit()\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    assert Path(f"{path}-wal").stat().st_size > 0


def _notes_of_plain(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {row[0] for row in conn.execute("SELECT notes FROM sessions")}
    finally:
        conn.close()


def _notes_of_encrypted(path: Path) -> set[str]:
    db = open_database(path, passphrase=OLD, migrate=False)
    try:
        with db.read() as conn:
            return {row[0] for row in conn.exec_driver_sql("SELECT notes FROM sessions")}
    finally:
        db.close()


def kill_during_encryption(folder: Path) -> None:
    path = folder / "practice.db"
    pristine = folder / "pristine"
    pristine.mkdir()
    _plain_with_a_wal(pristine / "practice.db")
    n = 0
    outcomes = set()
    while True:
        n += 1
        for leftover in folder.iterdir():
            if leftover.is_file():
                leftover.unlink()
        for name in ("practice.db", "practice.db-wal"):
            shutil.copyfile(pristine / name, folder / name)
        killed = _killed_at_line(n, lambda: encrypt_database(path, OLD))
        others = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(path.name)]
        others += [p for p in folder.glob(".practice.db*")]
        # Never a second readable copy: temporary files hold encrypted data only.
        for other in others:
            assert not cipher.is_plain_sqlite(other), other.name
            assert MARK.encode() not in other.read_bytes(), other.name
        if cipher.is_plain_sqlite(path):
            outcomes.add("plain")
            assert MARK in _notes_of_plain(path)
            encrypt_database(path, OLD)  # the next start encrypts it after all
        else:
            outcomes.add("encrypted")
        assert MARK in _notes_of_encrypted(path)
        assert not [p for p in folder.iterdir() if p.name.endswith(".partial")]
        if not killed:
            break
    print(f"encryption stepped through {n} lines")
    assert n > 20
    assert outcomes == {"plain", "encrypted"}


def kill_during_passphrase_change(folder: Path) -> None:
    path = folder / "practice.db"
    db = open_database(path, passphrase=OLD)
    key = db.key
    db.close()
    original = keys.keys_path(path).read_bytes()
    n = 0
    outcomes = set()
    while True:
        n += 1
        keys.keys_path(path).write_bytes(original)
        killed = _killed_at_line(n, lambda: keys.change_passphrase(path, key, NEW))
        working = []
        for passphrase in (OLD, NEW):
            try:
                assert keys.unlock(path, passphrase) == key
                working.append(passphrase)
            except StorageError:
                pass
        assert len(working) == 1, (n, working)  # the old or the new one, never neither
        outcomes.add(working[0])
        for leftover in folder.glob(".*.partial"):
            leftover.unlink()  # a killed write's temp file (the next open removes it)
        if not killed:
            assert working == [NEW]
            break
    print(f"passphrase change stepped through {n} lines")
    assert outcomes == {OLD, NEW}


def _in_a_fresh_process(which: str, tmp_path: Path) -> str:
    folder = tmp_path / which
    folder.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "tests.unit.storage.test_encryption_kills", which, str(folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.kills
def test_a_kill_at_any_moment_of_encrypting_leaves_one_whole_database(tmp_path: Path) -> None:
    assert "encryption stepped through" in _in_a_fresh_process("encrypt", tmp_path)


def test_a_kill_at_any_moment_of_a_passphrase_change_leaves_one_working(tmp_path: Path) -> None:
    assert "passphrase change stepped through" in _in_a_fresh_process("passwd", tmp_path)


if __name__ == "__main__":
    {"encrypt": kill_during_encryption, "passwd": kill_during_passphrase_change}[sys.argv[1]](
        Path(sys.argv[2])
    )
