"""Restoring a backup: round trip, the kept copy, refusals that change nothing, old schemas."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_desktop.services.transfer import export_document
from alliance_desktop.storage.backup import (
    BackupError,
    KdfParams,
)
from alliance_desktop.storage.database import (
    HEAD_REVISION,
)
from tests.keyed import (
    TEST_PASSPHRASE,
    copy_database,
    encrypted_copy,
    listing,
    make_backup,
    open_database,
    raw_connect,
    restore_backup,
)
from tests.unit.storage.test_database import FIXTURES, digest

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)  # tests only
PASS = TEST_PASSPHRASE  # backups use the app passphrase by default


def _backup_bytes(db: Path, folder: Path) -> bytes:
    folder.mkdir(exist_ok=True)
    made = make_backup(db, folder, PASS, app_version="0.test", kdf=FAST)
    return made.path.read_bytes()


def _document(path: Path) -> dict[str, Any]:
    db = open_database(path)
    try:
        document = export_document(db)
    finally:
        db.close()
    document.pop("exported_at")
    return document


def _client_codes(path: Path) -> set[str]:
    conn = raw_connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT code FROM clients")}
    finally:
        conn.close()


MARK = "SAVED-A-MOMENT-BEFORE"


def _notes(path: Path) -> set[str]:
    conn = raw_connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT notes FROM sessions")}
    finally:
        conn.close()


def test_restore_on_a_fresh_install_equals_the_json_export(
    demo_db_path: Path, tmp_path: Path
) -> None:
    data = _backup_bytes(demo_db_path, tmp_path / "stick")
    fresh = tmp_path / "new-laptop" / "practice.db"
    fresh.parent.mkdir()
    header, kept = restore_backup(data, PASS, fresh)
    assert kept is None  # nothing was there to keep
    assert _document(fresh) == _document(demo_db_path)
    assert header.clients == len(_client_codes(fresh))
    assert sorted(p.name for p in fresh.parent.iterdir() if "partial" in p.name) == []


def test_the_kept_copy_holds_a_session_saved_a_moment_before(
    demo_db_path: Path, tmp_path: Path
) -> None:
    data = _backup_bytes(demo_db_path, tmp_path / "stick")
    # A process saves a session note and dies before SQLite can checkpoint: the commit lives only
    # in the -wal file, as after a crash a moment before the restore.
    script = textwrap.dedent(
        f"""
        import os, sqlite3
        from tests.keyed import raw_connect
        conn = raw_connect({str(demo_db_path)!r})
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute(
            "UPDATE sessions SET notes = 'SAVED-A-MOMENT-BEFORE' "
            "WHERE id = (SELECT max(id) FROM sessions)"
        )
        conn.commit()
        os._exit(0)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    assert Path(f"{demo_db_path}-wal").stat().st_size > 0

    _, kept = restore_backup(data, PASS, demo_db_path)
    assert kept is not None and MARK in _notes(kept)
    assert MARK not in _notes(demo_db_path)  # the backup is older
    for journal in ("-wal", "-shm"):  # nothing stale beside the restored file
        assert not Path(f"{demo_db_path}{journal}").exists()
    conn = raw_connect(demo_db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_newer_schema_is_refused_and_nothing_changes(demo_db_path: Path, tmp_path: Path) -> None:
    future = tmp_path / "future.db"
    copy_database(demo_db_path, future)
    conn = raw_connect(future)
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()
    data = _backup_bytes(future, tmp_path / "stick")
    before = digest(demo_db_path)
    with pytest.raises(BackupError, match=r"newer version.*Nothing was changed"):
        restore_backup(data, PASS, demo_db_path)
    assert digest(demo_db_path) == before
    assert sorted(p.name for p in demo_db_path.parent.iterdir()) == sorted(
        ["demo.db", "demo.db.keys", "future.db", "future.db.keys", "stick"]
    )


@pytest.mark.parametrize("fault", ["wrong passphrase", "truncated", "tampered", "not a backup"])
def test_bad_files_are_refused_and_nothing_changes(
    demo_db_path: Path, tmp_path: Path, fault: str
) -> None:
    data = _backup_bytes(demo_db_path, tmp_path / "stick")
    passphrase = PASS
    if fault == "wrong passphrase":
        passphrase = "Correct horse"
    elif fault == "truncated":
        data = data[: len(data) // 2]
    elif fault == "tampered":
        middle = len(data) // 2
        data = data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :]
    else:
        data = b"SQLite format 3\x00" + bytes(4096)
    listing = sorted(p.name for p in demo_db_path.parent.iterdir())
    before = digest(demo_db_path)
    with pytest.raises(BackupError) as excinfo:
        restore_backup(data, passphrase, demo_db_path, name="monday.allbak")
    message = str(excinfo.value)
    assert ("monday.allbak" in message or "passphrase" in message) and "\n" not in message
    assert digest(demo_db_path) == before
    assert sorted(p.name for p in demo_db_path.parent.iterdir()) == listing


def test_an_older_schema_is_migrated_after_restore(tmp_path: Path) -> None:
    old = encrypted_copy(FIXTURES / "schema_0001_initial.db", tmp_path / "old.db")
    data = _backup_bytes(old, tmp_path / "stick")
    target = tmp_path / "practice.db"
    header, _ = restore_backup(data, PASS, target)
    assert header.schema_version == "0001_initial"
    db = open_database(target)
    try:
        report = db.health()
    finally:
        db.close()
    assert report.healthy and report.schema_revision == HEAD_REVISION
    assert _client_codes(target) == _client_codes(old)


def test_a_damaged_database_is_kept_byte_for_byte_and_replaced(
    demo_db_path: Path, tmp_path: Path
) -> None:
    data = _backup_bytes(demo_db_path, tmp_path / "stick")
    wanted = _client_codes(demo_db_path)
    ruined = b"SQLite format 3\x00" + os.urandom(8192)
    demo_db_path.write_bytes(ruined)
    _, kept = restore_backup(data, PASS, demo_db_path)
    assert kept is not None and kept.read_bytes() == ruined
    assert _client_codes(demo_db_path) == wanted


def test_an_open_window_blocks_the_restore(demo_db_path: Path, tmp_path: Path) -> None:
    data = _backup_bytes(demo_db_path, tmp_path / "stick")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        Path(f"{demo_db_path}.lock").write_text(f"{sleeper.pid}\n", encoding="utf-8")
        before = digest(demo_db_path)
        with pytest.raises(BackupError, match="close its window"):
            restore_backup(data, PASS, demo_db_path)
        assert digest(demo_db_path) == before
    finally:
        sleeper.kill()
        sleeper.wait()
    # The window has gone (killed): its stale lock no longer blocks.
    restore_backup(data, PASS, demo_db_path)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_garbled_backups_never_crash_nor_touch_the_live_database(
    demo_db_path: Path, tmp_path: Path, data: st.DataObject
) -> None:
    cache = tmp_path / "good.allbak"
    if not cache.exists():
        cache.write_bytes(_backup_bytes(demo_db_path, tmp_path / "stick"))
    good = cache.read_bytes()
    cut = data.draw(st.integers(0, len(good)))
    garbled = bytearray(good[:cut])
    for i in data.draw(st.lists(st.integers(0, max(0, cut - 1)), max_size=3)):
        if garbled:
            garbled[i] ^= 0xA5
    if bytes(garbled) == good:
        return
    before = digest(demo_db_path)
    listing = sorted(p.name for p in demo_db_path.parent.iterdir())
    with pytest.raises(BackupError):
        restore_backup(bytes(garbled), PASS, demo_db_path)
    assert digest(demo_db_path) == before
    assert sorted(p.name for p in demo_db_path.parent.iterdir()) == listing


_WRITER = """
import sqlite3, sys, time
from tests.keyed import raw_connect
conn = raw_connect({path!r}, isolation_level=None)
conn.execute("PRAGMA locking_mode = EXCLUSIVE")
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE sessions SET notes = 'held' WHERE id = 1")
conn.execute("COMMIT")
print("locked", flush=True)
time.sleep(60)
"""
_IDLE = """
import sqlite3, time
from tests.keyed import raw_connect
conn = raw_connect({path!r})
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("SELECT count(*) FROM clients").fetchone()
print("locked", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("holder_code", [_WRITER, _IDLE], ids=["writer", "idle reader"])
def test_a_database_another_program_has_open_is_refused_not_taken_for_damage(
    demo_db_path: Path, tmp_path: Path, holder_code: str
) -> None:
    data = _backup_bytes(demo_db_path, tmp_path / "stick")
    holder = subprocess.Popen(
        [sys.executable, "-c", holder_code.format(path=str(demo_db_path))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        before = listing(tmp_path)
        wal_path = Path(f"{demo_db_path}-wal")
        wal = wal_path.read_bytes() if wal_path.exists() else b""
        with pytest.raises(BackupError, match="in use by another program"):
            restore_backup(data, PASS, demo_db_path)
        assert listing(tmp_path) == before  # no ".damaged" copy
        assert (wal_path.read_bytes() if wal_path.exists() else b"") == wal  # journal untouched
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_a_backup_made_before_encryption_restores(demo_db_path: Path, tmp_path: Path) -> None:
    """A backup written by the last version without encryption (commit 5f0faaf, from the
    schema 0003 fixture, passphrase "correct horse battery") restores into a new place and
    over an encrypted database, which keeps its passphrase."""
    from alliance_desktop.services.backups import restore_from

    old = FIXTURES / "backup_made_before_encryption.allbak"
    fresh = tmp_path / "laptop" / "practice.db"
    fresh.parent.mkdir()
    header, kept = restore_from(old, TEST_PASSPHRASE, fresh)
    assert kept is None and header.clients == 5 and header.schema_version == "0003_risk_reviews"
    assert len(_client_codes(fresh)) == 5
    header, kept = restore_from(old, TEST_PASSPHRASE, demo_db_path)
    assert kept is not None and len(_client_codes(demo_db_path)) == 5
    db = open_database(demo_db_path)  # the database's own passphrase still opens it
    try:
        assert db.health().healthy and db.health().schema_revision == HEAD_REVISION
    finally:
        db.close()
