"""Salvage: every readable row of a damaged database copied into a new one, counted.

Real encrypted files in tmp_path, damaged the way disks damage them (a page overwritten,
so SQLCipher's HMAC refuses it; text that is not UTF-8). The damaged file must stay
byte-identical, the new one must pass SQLite's checks and open in the app, and no row's
content may reach a message.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import pytest

from alliance_desktop.storage import cipher, keys
from alliance_desktop.storage import salvage as salvage_module
from alliance_desktop.storage.database import HEAD_REVISION
from alliance_desktop.storage.models import Base
from alliance_desktop.storage.salvage import (
    SalvageFailed,
    SalvageRefused,
    SalvageReport,
    TableSalvage,
    salvage,
)
from tests.keyed import (
    TEST_PASSPHRASE,
    encrypted_copy,
    key_for,
    listing,
    open_database,
    raw_connect,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PAGE = 4096
CANARY = b"CANARY \xff"
TABLES = [t.name for t in Base.metadata.sorted_tables]
#: The folder after a salvage: the damaged pair as it was, and the new pair.
AFTER = ["demo.db", "demo.db.keys", "salvaged.db", "salvaged.db.keys"]


def _read_only(path: Path) -> Any:
    """A connection that cannot change any file (the tests look, never touch)."""
    return cipher.connect(f"{path.as_uri()}?mode=ro&immutable=1", key_for(path), uri=True)


def _counts(path: Path) -> dict[str, int]:
    conn = _read_only(path)
    try:
        return {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in TABLES}
    finally:
        conn.close()


def _fingerprint(path: Path) -> dict[str, str | None]:
    """SHA-256 of the database, its -wal and its key file (None: not there)."""
    result: dict[str, str | None] = {}
    for item in (path, Path(f"{path}-wal"), keys.keys_path(path)):
        result[item.name] = hashlib.sha256(item.read_bytes()).hexdigest() if item.exists() else None
    return result


def _damage_a_sessions_page(path: Path) -> int:
    """Overwrite one whole page from the middle of the file on, the first one that holds
    rows of the sessions table (its HMAC then fails); return its number."""
    data = bytearray(path.read_bytes())
    pages = len(data) // PAGE
    for page in range(pages // 2, pages):
        damaged = bytearray(data)
        damaged[page * PAGE : (page + 1) * PAGE] = b"\x5a" * PAGE
        path.write_bytes(bytes(damaged))
        conn = _read_only(path)
        try:
            conn.execute("SELECT count(*) FROM sessions NOT INDEXED").fetchone()
        except cipher.DatabaseError:
            return page
        finally:
            conn.close()
    raise AssertionError("no page of the sessions table after the middle of the file")


def _check_target(target: Path, report: SalvageReport) -> None:
    """The new database passes SQLite's checks, opens in the app, and holds what was said."""
    conn = raw_connect(target)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    db = open_database(target)
    try:
        assert db.health().healthy
    finally:
        db.close()
    assert {t.table: t.recovered for t in report.tables} == _counts(target)


def test_a_healthy_database_is_salvaged_completely(demo_db_path: Path, tmp_path: Path) -> None:
    before = _counts(demo_db_path)
    fingerprint = _fingerprint(demo_db_path)
    target = tmp_path / "salvaged.db"

    report = salvage(demo_db_path, key_for(demo_db_path), target, TEST_PASSPHRASE)

    assert report.target == target
    assert [t.table for t in report.tables] == TABLES
    assert {t.table: t.recovered for t in report.tables} == before
    assert all(t.unreadable == 0 and t.dropped == 0 for t in report.tables)
    assert report.complete and report.not_copied == []
    assert f"sessions: {before['sessions']:,} recovered" in report.lines()
    _check_target(target, report)
    assert _fingerprint(demo_db_path) == fingerprint
    assert listing(tmp_path) == AFTER


@pytest.mark.parametrize("max_misses", [salvage_module.MAX_MISSES, 3], ids=["probe", "jump"])
def test_a_damaged_page_loses_only_its_rows_and_the_source_is_untouched(
    demo_db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_misses: int
) -> None:
    # With 3, probing gives up at once and the reader jumps over the damage instead.
    monkeypatch.setattr(salvage_module, "MAX_MISSES", max_misses)
    healthy = _counts(demo_db_path)
    _damage_a_sessions_page(demo_db_path)
    fingerprint = _fingerprint(demo_db_path)
    target = tmp_path / "salvaged.db"

    report = salvage(demo_db_path, key_for(demo_db_path), target, TEST_PASSPHRASE)

    assert _fingerprint(demo_db_path) == fingerprint
    assert listing(tmp_path) == AFTER
    by_table = {t.table: t for t in report.tables}
    sessions = by_table["sessions"]
    assert sessions.unreadable is not None and sessions.unreadable > 0  # counted from an index
    for table in report.tables:
        assert table.unreadable is not None
        assert table.recovered + table.unreadable + table.dropped == healthy[table.table]
    assert sum(t.recovered for t in report.tables) >= 0.9 * sum(healthy.values())
    assert not report.complete
    line = f"sessions: {sessions.recovered:,} recovered, {sessions.unreadable:,} could not be read"
    assert line in report.lines()
    _check_target(target, report)


def test_text_that_is_not_utf8_loses_its_row_and_never_shows(
    demo_db_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    conn = raw_connect(demo_db_path, isolation_level=None)
    try:
        session_id = int(
            conn.execute("SELECT id FROM sessions ORDER BY id LIMIT 1 OFFSET 9").fetchone()[0]
        )
        conn.execute(
            "UPDATE sessions SET notes = CAST(? AS TEXT) WHERE id = ?", (CANARY, session_id)
        )
    finally:
        conn.close()
    healthy = _counts(demo_db_path)
    target = tmp_path / "salvaged.db"
    caplog.set_level(logging.DEBUG)

    report = salvage(demo_db_path, key_for(demo_db_path), target, TEST_PASSPHRASE)

    by_table = {t.table: t for t in report.tables}
    assert by_table["sessions"].unreadable == 1
    assert by_table["sessions"].recovered == healthy["sessions"] - 1
    for table in report.tables:
        assert table.recovered + (table.unreadable or 0) + table.dropped == healthy[table.table]
    shown = "\n".join([*report.lines(), caplog.text])
    assert "CANARY" not in shown
    _check_target(target, report)
    conn = raw_connect(target)
    try:
        assert conn.execute(
            "SELECT count(*) FROM sessions WHERE id = ?", (session_id,)
        ).fetchone() == (0,)
    finally:
        conn.close()


def test_an_existing_target_is_refused_and_nothing_changes(
    demo_db_path: Path, tmp_path: Path
) -> None:
    target = tmp_path / "salvaged.db"
    target.write_bytes(b"somebody's file")
    fingerprint = _fingerprint(demo_db_path)
    before = listing(tmp_path)

    with pytest.raises(SalvageRefused, match="already exists"):
        salvage(demo_db_path, key_for(demo_db_path), target, TEST_PASSPHRASE)

    assert target.read_bytes() == b"somebody's file"
    assert _fingerprint(demo_db_path) == fingerprint
    assert listing(tmp_path) == before


def test_a_failure_part_way_leaves_no_partial_file_and_no_target(
    demo_db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = salvage_module._write_rows
    calls = 0

    def failing(conn: Any, insert: str, rows: list[tuple[Any, ...]]) -> int:
        nonlocal calls
        calls += 1
        if calls == 4:  # some tables are already committed into the partial file
            raise RuntimeError("injected failure while writing rows")
        return real(conn, insert, rows)

    monkeypatch.setattr(salvage_module, "_write_rows", failing)
    fingerprint = _fingerprint(demo_db_path)
    before = listing(tmp_path)
    target = tmp_path / "salvaged.db"

    with pytest.raises(RuntimeError, match="injected"):
        salvage(demo_db_path, key_for(demo_db_path), target, TEST_PASSPHRASE)

    assert calls == 4
    assert listing(tmp_path) == before
    assert not target.exists() and not keys.keys_path(target).exists()
    assert _fingerprint(demo_db_path) == fingerprint
    # A salvage after it starts afresh and succeeds.
    monkeypatch.setattr(salvage_module, "_write_rows", real)
    assert salvage(demo_db_path, key_for(demo_db_path), target, TEST_PASSPHRASE).complete


def test_a_file_with_nothing_readable_fails_cleanly(demo_db_path: Path, tmp_path: Path) -> None:
    data = bytearray(demo_db_path.read_bytes())
    data[:PAGE] = b"\x5a" * PAGE  # the first page: the schema, and SQLCipher's salt
    demo_db_path.write_bytes(bytes(data))
    fingerprint = _fingerprint(demo_db_path)
    before = listing(tmp_path)

    with pytest.raises(SalvageFailed, match=r"Nothing in .* can be read"):
        salvage(demo_db_path, key_for(demo_db_path), tmp_path / "salvaged.db", TEST_PASSPHRASE)

    assert listing(tmp_path) == before
    assert _fingerprint(demo_db_path) == fingerprint


def test_changes_saved_only_in_the_write_ahead_log_are_salvaged(
    demo_db_path: Path, tmp_path: Path
) -> None:
    # A writer that never checkpoints, still open: its commit is only in the -wal file.
    writer = raw_connect(demo_db_path, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("INSERT INTO settings (key, value) VALUES ('salvage_marker', '\"kept\"')")
        assert Path(f"{demo_db_path}-wal").stat().st_size > 0
        fingerprint = _fingerprint(demo_db_path)

        report = salvage(
            demo_db_path, key_for(demo_db_path), tmp_path / "salvaged.db", TEST_PASSPHRASE
        )

        assert _fingerprint(demo_db_path) == fingerprint
    finally:
        writer.close()
    assert report.complete
    conn = raw_connect(tmp_path / "salvaged.db")
    try:
        assert conn.execute(
            "SELECT value FROM settings WHERE key = 'salvage_marker'"
        ).fetchone() == ('"kept"',)
    finally:
        conn.close()


def test_report_lines_say_what_was_lost_in_plain_words(tmp_path: Path) -> None:
    report = SalvageReport(
        tmp_path / "salvaged.db",
        [
            TableSalvage("sessions", 1204, 3, 0),
            TableSalvage("measurements", 5000, 0, 12),
            TableSalvage("client_summaries", 39, None, 0),
            TableSalvage("audit_log", 80, 2, 0),
            TableSalvage("clients", 40, 0, 0),
        ],
        ["from_a_newer_version"],
    )

    lines = report.lines()

    assert lines[0] == "sessions: 1,204 recovered, 3 could not be read"
    assert lines[1].startswith("measurements: 5,000 recovered, 12 left out because")
    assert lines[2] == "client_summaries: 39 recovered, an unknown number could not be read"
    assert lines[3].startswith("audit_log: 80 recovered, 2 could not be read; the audit log")
    assert "gap" in lines[3]
    assert lines[4] == "clients: 40 recovered"
    assert lines[5].startswith("from_a_newer_version: not copied")
    assert not report.complete


def test_a_missing_source_is_refused(tmp_path: Path) -> None:
    key = keys.DatabaseKey(bytes(32))
    with pytest.raises(SalvageRefused, match="no database file"):
        salvage(tmp_path / "nothing.db", key, tmp_path / "salvaged.db", TEST_PASSPHRASE)
    assert not (tmp_path / "salvaged.db").exists()


def test_the_copy_beside_is_encrypted_with_the_same_key(demo_db_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "salvaged.db"
    salvage(demo_db_path, key_for(demo_db_path), target, TEST_PASSPHRASE)
    assert not cipher.is_plain_sqlite(target)
    assert keys.unlock(target, TEST_PASSPHRASE) == key_for(demo_db_path)
    assert (target.stat().st_mode & 0o077) == 0  # health records: owner only


def test_an_older_schema_is_salvaged_into_its_own_then_brought_up_to_date(
    tmp_path: Path,
) -> None:
    # 0004 has no client code keys (0005 adds them, NOT NULL, filled by the migration).
    source = encrypted_copy(FIXTURES / "schema_0004_audit_log.db", tmp_path / "old.db")
    conn = _read_only(source)
    try:
        old_tables = [
            str(row[0])
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        before = {
            t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
            for t in TABLES
            if t in old_tables
        }
    finally:
        conn.close()
    assert before["clients"] > 0
    target = tmp_path / "salvaged.db"

    report = salvage(source, key_for(source), target, TEST_PASSPHRASE)

    assert report.complete
    assert {t.table: t.recovered for t in report.tables if t.table in before} == before
    _check_target(target, report)
    conn = raw_connect(target)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            HEAD_REVISION,
        )
        assert conn.execute("SELECT count(*) FROM clients WHERE code_key IS NULL").fetchone() == (
            0,
        )
    finally:
        conn.close()
