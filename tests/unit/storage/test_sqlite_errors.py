"""SQLite failures are sorted once, by result code, at ``Database.read()``/``write()``.

Real faults where they can be made here (another program holding the write lock, a damaged
page, a file deleted under an open database); a table of result codes for the ones that
cannot be produced on demand (a failing drive, out of memory, a moved file).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.services import clients
from alliance_desktop.services.clients import ClientFields
from alliance_desktop.storage import database as database_module
from alliance_desktop.storage import exclusion, repository, sqlite_errors
from alliance_desktop.storage.sqlite_errors import (
    DatabaseBusy,
    DatabaseDamaged,
    DatabaseReadOnly,
    DatabaseVanished,
    DiskFull,
    DriveFailed,
    translate,
)
from tests.keyed import open_database

TODAY = date(2026, 12, 1)

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from tests.keyed import raw_connect
    conn = raw_connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")  # the write lock, as another program's long save
    print("locked", flush=True)
    time.sleep(60)
    """
)


@pytest.fixture
def held(demo_db_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the demo database's write lock."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(demo_db_path)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    yield holder
    holder.kill()
    holder.wait()
    holder.stdout.close()


def _new_client(code: str) -> ClientFields:
    return ClientFields(
        code=code,
        given_name="Zoë",
        family_name="Łukasiewicz",
        approach=Approach.CBT,
        intake_date=TODAY,
    )


def test_a_write_kept_waiting_by_another_program_says_so_and_changes_nothing(
    demo_db_path: Path, held: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "BUSY_SECONDS", 0.5)
    db = open_database(demo_db_path)
    try:
        before = repository.count_clients(db)
        with pytest.raises(DatabaseBusy, match="in use by another program") as caught:
            clients.create_client(db, _new_client("WAIT-1"), today=TODAY)
        assert "internal" not in str(caught.value).lower()
        assert repository.count_clients(db) == before  # reads still work meanwhile
    finally:
        db.close()


def test_a_waiting_write_reports_while_it_waits_and_saves_once_the_other_is_done(
    demo_db_path: Path, held: subprocess.Popen[str]
) -> None:
    db = open_database(demo_db_path)
    waits: list[float] = []

    def waiting(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:  # the other program finishes while we wait
            held.kill()
            held.wait()

    db.on_busy = waiting
    try:
        clients.create_client(db, _new_client("WAIT-2"), today=TODAY)
        assert len(waits) >= 3 and waits == sorted(waits)
        assert repository.client_id_for_code(db, "WAIT-2") is not None
    finally:
        db.close()


def test_a_damaged_page_is_reported_as_damage_on_read(demo_db_path: Path) -> None:
    size = demo_db_path.stat().st_size
    with demo_db_path.open("r+b") as handle:  # scramble the middle of the file
        handle.seek(size // 2 // 4096 * 4096)
        handle.write(b"\x5a" * 4096 * 4)
    db = open_database(demo_db_path)
    try:
        with pytest.raises(DatabaseDamaged, match="damaged"), db.read() as conn:
            conn.exec_driver_sql("SELECT count(*), max(length(notes)) FROM sessions").all()
    finally:
        db.close()


def test_a_read_after_damage_was_met_says_damaged_not_out_of_memory(demo_db_path: Path) -> None:
    """SQLCipher answers later reads on a connection that met a page failing its check
    with SQLITE_NOMEM, which the driver raises as a bare MemoryError (seen in CI: the
    window's draft query crashed with it). The boundary says "damaged" instead."""
    from tests.keyed import raw_connect

    conn = raw_connect(demo_db_path)
    (root,) = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'session_drafts'"
    ).fetchone()
    conn.close()
    with demo_db_path.open("r+b") as handle:  # scramble that one table's page
        handle.seek((root - 1) * 4096)
        handle.write(b"\xa5" * 4096)
    db = open_database(demo_db_path)
    try:
        for table in ("session_drafts", "clients"):  # the second one is whole
            with pytest.raises(DatabaseDamaged, match="damaged"), db.read() as conn:
                conn.exec_driver_sql(f"SELECT * FROM {table}").all()
    finally:
        db.close()


def test_a_write_after_the_file_was_deleted_is_refused(demo_db_path: Path) -> None:
    db = open_database(demo_db_path)
    try:
        for name in (demo_db_path, Path(f"{demo_db_path}-wal"), Path(f"{demo_db_path}-shm")):
            name.unlink(missing_ok=True)
        with pytest.raises(exclusion.DatabaseReplaced, match="moved or deleted"):
            clients.create_client(db, _new_client("GONE-1"), today=TODAY)
        assert not demo_db_path.exists()  # no empty database was made in its place
    finally:
        db.close()


def _failure(code: int, message: str = "some failure") -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    return exc


@pytest.mark.parametrize(
    ("code", "expected", "words"),
    [
        (5, DatabaseBusy, "in use by another program"),  # SQLITE_BUSY
        (5 | (1 << 8), DatabaseBusy, "in use"),  # SQLITE_BUSY_RECOVERY
        (6, DatabaseBusy, "in use"),  # SQLITE_LOCKED
        (13, DiskFull, "is full"),  # SQLITE_FULL
        (8, DatabaseReadOnly, "read-only"),  # SQLITE_READONLY
        (3, DatabaseReadOnly, "read-only"),  # SQLITE_PERM
        (10, DriveFailed, "could not be read or written"),  # SQLITE_IOERR
        (10 | (4 << 8), DriveFailed, "disconnected"),  # SQLITE_IOERR_FSYNC
        (8 | (4 << 8), DatabaseVanished, "moved or deleted"),  # SQLITE_READONLY_DBMOVED
        (11, DatabaseDamaged, "damaged"),  # SQLITE_CORRUPT
        (26, DatabaseDamaged, "not a database"),  # SQLITE_NOTADB
        (7, sqlite_errors.DatabaseUnavailable, "out of memory"),  # SQLITE_NOMEM
    ],
)
def test_each_result_code_becomes_its_sentence(
    tmp_path: Path, code: int, expected: type, words: str
) -> None:
    present = tmp_path / "practice.db"
    present.write_bytes(b"")
    # English that says otherwise: the code decides, not the text.
    problem = translate(present, _failure(code, "disk I/O error: database is locked"))
    assert type(problem) is expected
    assert words in str(problem)


def test_failures_that_are_bugs_are_not_dressed_up(tmp_path: Path) -> None:
    present = tmp_path / "practice.db"
    present.write_bytes(b"")
    assert translate(present, _failure(1, "no such table: clientz")) is None  # SQLITE_ERROR
    assert translate(present, _failure(19, "UNIQUE constraint failed")) is None  # CONSTRAINT


def test_a_file_that_is_no_longer_there_is_said_to_have_vanished(tmp_path: Path) -> None:
    problem = translate(tmp_path / "gone.db", _failure(10))
    assert isinstance(problem, DatabaseVanished)
