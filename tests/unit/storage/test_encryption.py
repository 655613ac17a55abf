"""Encryption at rest: what a thief with the files, or a wrong passphrase, gets (nothing)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from alliance_desktop.domain.vocabulary import Approach, Attendance
from alliance_desktop.services import clients as client_service
from alliance_desktop.services import sessions as session_service
from alliance_desktop.storage import cipher, keys, repository
from alliance_desktop.storage.database import Database, PlainDatabase, encrypt_database
from alliance_desktop.storage.errors import NotADatabase
from alliance_desktop.storage.keys import KeyFileProblem, WrongPassphrase
from alliance_desktop.storage.records import ClientFields
from tests.keyed import TEST_PASSPHRASE, copy_database, listing, open_database
from tests.unit.storage.test_database import FIXTURES

CANARY = "CANARY-Łukasz-7f3a9c-unmistakable"


def _folder_digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _files_holding(folder: Path, needle: bytes) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def _add_session_with_note(db: Database, note: str) -> None:
    change = client_service.create_client(
        db,
        ClientFields(
            code="ZOE-1",
            given_name="Zoë",
            family_name="Ёлка",
            approach=next(iter(Approach)),
            intake_date=date(2026, 9, 1),
        ),
        today=date(2026, 11, 20),
    )
    client_id = change.client_id
    tree = repository.load_client_tree(db, client_id)
    assert tree is not None
    document = {"start": "2026-11-20T10:00", "notes": note}
    session_service.record_session(
        db, client_id, session_service.parse_session(document, tree), now=datetime(2026, 11, 20, 11)
    )


def test_a_new_database_is_unreadable_without_its_key(db_path: Path) -> None:
    db = open_database(db_path)
    try:
        _add_session_with_note(db, CANARY)
        # The canary is in no file, whether still in the write-ahead log or checkpointed.
        assert _files_holding(db_path.parent, CANARY.encode()) == []
        assert _files_holding(db_path.parent, "Zoë".encode()) == []
        db.checkpoint()
        assert _files_holding(db_path.parent, CANARY.encode()) == []
    finally:
        db.close()
    assert not cipher.is_plain_sqlite(db_path)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(db_path).execute("SELECT * FROM sqlite_master").fetchall()
    if os.name == "posix":  # health records: owner only
        assert db_path.stat().st_mode & 0o777 == 0o600
        assert keys.keys_path(db_path).stat().st_mode & 0o777 == 0o600
    # The key file holds the wrapped key, never the key or the passphrase.
    text = keys.keys_path(db_path).read_text(encoding="utf-8")
    key = keys.unlock(db_path, TEST_PASSPHRASE)
    assert TEST_PASSPHRASE not in text and key.raw.hex() not in text
    assert key.raw.hex() not in repr(key) and "hidden" in repr(key)


def test_a_wrong_passphrase_is_refused_and_changes_no_file(demo_db_path: Path) -> None:
    before = _folder_digests(demo_db_path.parent)
    with pytest.raises(WrongPassphrase) as excinfo:
        open_database(demo_db_path, passphrase="Correct horse battery")  # one letter differs
    message = str(excinfo.value)
    assert "does not unlock demo.db" in message and "Caps Lock" in message
    assert "Correct horse" not in message
    assert _folder_digests(demo_db_path.parent) == before


def test_the_database_and_its_key_file_belong_together(demo_db_path: Path, tmp_path: Path) -> None:
    keys_file = keys.keys_path(demo_db_path)
    saved = keys_file.read_bytes()
    keys_file.unlink()
    with pytest.raises(NotADatabase, match=r"key file demo\.db\.keys is missing"):
        open_database(demo_db_path)
    keys_file.write_text("{not json", encoding="utf-8")
    with pytest.raises(KeyFileProblem, match="damaged"):
        open_database(demo_db_path)
    # Another database's key file, put beside it: refused in words, not as "damaged data".
    other = tmp_path / "other.db"
    open_database(other).close()
    keys_file.write_bytes(keys.keys_path(other).read_bytes())
    with pytest.raises(NotADatabase, match="belongs to another database"):
        open_database(demo_db_path)
    keys_file.write_bytes(saved)
    open_database(demo_db_path).close()


def test_a_plain_database_is_encrypted_in_place_with_its_kept_copies(tmp_path: Path) -> None:
    """The upgrade every current user goes through: their plain file, and the plain copies
    earlier versions kept beside it, are encrypted; nothing readable stays behind."""
    path = tmp_path / "practice.db"
    path.write_bytes((FIXTURES / "schema_0003_risk_reviews.db").read_bytes())
    kept = tmp_path / "practice.db.before-migration-0002_session_drafts-20261101T090000.bak"
    kept.write_bytes(path.read_bytes())
    with sqlite3.connect(path) as conn:  # as the old version left it: WAL mode, a -wal file
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("UPDATE clients SET given_name = ? WHERE id = 1", (CANARY,))
        codes = sorted(row[0] for row in conn.execute("SELECT code FROM clients"))
        counts = cipher.row_counts(conn)
        names = {row[0] for row in conn.execute("SELECT given_name FROM clients")}
    conn.close()
    with pytest.raises(PlainDatabase, match="not encrypted yet"):
        open_database(path)

    encrypt_database(path, TEST_PASSPHRASE)

    assert not cipher.is_plain_sqlite(path) and not cipher.is_plain_sqlite(kept)
    assert keys.keys_path(kept).exists()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(("-wal", "-shm"))]
    assert leftovers == []
    assert [p for p in tmp_path.iterdir() if p.is_file() and cipher.is_plain_sqlite(p)] == []
    assert _files_holding(tmp_path, CANARY.encode()) == []
    db = open_database(path)
    try:
        assert sorted(r.code for r in repository.list_client_rows(db)) == codes
        with db.read() as conn:
            after = cipher.row_counts(conn.connection.dbapi_connection)
            # Tables added by later schema versions come in empty.
            assert {t: n for t, n in after.items() if t in counts and t != "audit_log"} == {
                t: n for t, n in counts.items() if t != "audit_log"
            }
            assert all(n == 0 for t, n in after.items() if t not in counts)
            shown = {row[0] for row in conn.exec_driver_sql("SELECT given_name FROM clients")}
        assert shown == names
    finally:
        db.close()
    copy = open_database(kept, migrate=False)  # the kept copy opens with the same passphrase
    copy.close()


def test_a_foreign_or_damaged_plain_file_is_never_encrypted(tmp_path: Path) -> None:
    foreign = tmp_path / "recipes.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.close()
    before = foreign.read_bytes()
    with pytest.raises(NotADatabase, match="not an Alliance Desktop database"):
        open_database(foreign)
    damaged = tmp_path / "practice.db"
    image = bytearray((FIXTURES / "schema_0003_risk_reviews.db").read_bytes())
    image[4096 * 3 : 4096 * 3 + 512] = os.urandom(512)
    damaged.write_bytes(bytes(image))
    with pytest.raises(NotADatabase, match="damaged"):
        encrypt_database(damaged, TEST_PASSPHRASE)
    assert damaged.read_bytes() == bytes(image) and foreign.read_bytes() == before
    assert listing(tmp_path) == ["practice.db", "recipes.db"]


def test_a_short_passphrase_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "practice.db"
    with pytest.raises(WrongPassphrase, match="at least 8 characters"):
        open_database(path, passphrase="short")
    assert list(tmp_path.iterdir()) == []


def test_changing_the_passphrase_keeps_the_records_and_the_other_slots(
    demo_db_path: Path,
) -> None:
    key = keys.unlock(demo_db_path, TEST_PASSPHRASE)
    code = keys.new_recovery_code(demo_db_path, key)
    data_before = demo_db_path.read_bytes()
    keys.change_passphrase(demo_db_path, key, "a new and longer passphrase")
    assert demo_db_path.read_bytes() == data_before  # only the key file changed
    with pytest.raises(WrongPassphrase):
        keys.unlock(demo_db_path, TEST_PASSPHRASE)
    assert keys.unlock(demo_db_path, "a new and longer passphrase") == key
    # The recovery code still works, typed carelessly (lower case, spaces, O for 0).
    typed = code.lower().replace("-", " ").replace("0", "o")
    assert keys.unlock_with_recovery(demo_db_path, typed) == key
    with pytest.raises(WrongPassphrase, match="recovery code does not unlock"):
        keys.unlock_with_recovery(demo_db_path, "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF")
    db = open_database(demo_db_path, passphrase="a new and longer passphrase")
    try:
        assert repository.count_clients(db) == 40
    finally:
        db.close()
    slots = json.loads(keys.keys_path(demo_db_path).read_text(encoding="utf-8"))["slots"]
    assert set(slots) == {"passphrase", "recovery"}


def test_copies_the_app_makes_carry_their_key_file(demo_db_path: Path, tmp_path: Path) -> None:
    from tests.keyed import copy_aside

    kept = copy_aside(demo_db_path, "before-test")
    assert keys.keys_path(kept).exists() and not cipher.is_plain_sqlite(kept)
    db = open_database(kept)
    try:
        assert repository.count_clients(db) == 40
    finally:
        db.close()
    copy_database(demo_db_path, tmp_path / "elsewhere.db")


def test_unlock_takes_about_half_a_second_with_the_real_parameters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real key derivation is used outside the tests (its parameters are stored)."""
    monkeypatch.delenv(keys.FAST_KDF_ENV)
    path = tmp_path / "practice.db"
    keys.create_key_file(path, TEST_PASSPHRASE)
    slot = json.loads(keys.keys_path(path).read_text(encoding="utf-8"))["slots"]["passphrase"]
    assert (slot["time_cost"], slot["memory_kib"], slot["parallelism"]) == (3, 256 * 1024, 4)
    assert keys.new_kdf() == keys.UNLOCK_KDF


def test_a_session_saved_in_the_encrypted_database_reads_back(new_db: Database) -> None:
    _add_session_with_note(new_db, "Zoë said: عائشة 🙂")
    (row,) = repository.list_client_rows(new_db)
    tree = repository.load_client_tree(new_db, row.client_id)
    assert tree is not None and tree.sessions[0].notes == "Zoë said: عائشة 🙂"
    assert tree.sessions[0].attendance is Attendance.ATTENDED
    assert session_service.session_to_json(tree.sessions[0])["notes"] == "Zoë said: عائشة 🙂"


def test_a_new_passphrase_also_locks_the_old_one_out_of_kept_copies(demo_db_path: Path) -> None:
    from alliance_desktop.services.security import set_passphrase
    from tests.keyed import copy_aside

    kept = copy_aside(demo_db_path, "before-migration-test")
    db = open_database(demo_db_path)
    try:
        set_passphrase(db, "a brand new passphrase")
    finally:
        db.close()
    for path in (demo_db_path, kept):
        with pytest.raises(WrongPassphrase):
            keys.unlock(path, TEST_PASSPHRASE)
        assert keys.unlock(path, "a brand new passphrase")


def test_a_restore_where_the_database_is_missing_keeps_a_lone_key_file(
    demo_db_path: Path, tmp_path: Path
) -> None:
    from alliance_desktop.storage.backup import KdfParams
    from tests.keyed import make_backup

    stick = tmp_path / "stick"
    stick.mkdir()
    made = make_backup(
        demo_db_path, stick, TEST_PASSPHRASE, app_version="t", kdf=KdfParams(1, 8192, 1)
    )
    lone = keys.keys_path(demo_db_path).read_bytes()
    demo_db_path.rename(tmp_path / "moved-away.db")  # the database moved; its key file did not
    from alliance_desktop.services.backups import restore_from

    restore_from(made.path, TEST_PASSPHRASE, demo_db_path)
    (orphan,) = tmp_path.glob("demo.db.keys.orphaned-*")
    assert orphan.read_bytes() == lone  # set aside, never overwritten


def test_copy_database_keeps_unusual_tables_and_autoincrement(tmp_path: Path) -> None:
    source = sqlite3.connect(":memory:")
    source.executescript(
        "CREATE TABLE SQLiteNotes (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT);"
        "INSERT INTO SQLiteNotes (text) VALUES ('a'), ('b'), ('c');"
        "DELETE FROM SQLiteNotes WHERE id = 3;"
        "PRAGMA application_id = 1234;"
    )
    target = sqlite3.connect(":memory:", isolation_level=None)
    cipher.copy_database(source, target)
    assert target.execute("SELECT text FROM SQLiteNotes ORDER BY id").fetchall() == [("a",), ("b",)]
    target.execute("INSERT INTO SQLiteNotes (text) VALUES ('d')")
    assert target.execute("SELECT max(id) FROM SQLiteNotes").fetchone()[0] == 4  # not 3 again
    assert target.execute("PRAGMA application_id").fetchone()[0] == 1234
