"""Plain images built by SQLite in RAM (``cipher.snapshot``, ``cipher.PlainImage``).

What an image holds (every record, index, view, trigger, AUTOINCREMENT mark and header
value), that its fingerprint is the records' alone and the same every time, that a name in
the RAM folder only ever belongs to an empty file, and that the portable way (rows copied
into the standard library's ``sqlite3`` in memory) takes over wherever the RAM path cannot
run: no tmpfs, a full one, a schema SQL cannot re-aim. Backups made either way verify and
restore to the same records.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from alliance_desktop.storage import backup as backup_module
from alliance_desktop.storage import cipher, keys
from alliance_desktop.storage.backup import (
    BackupError,
    BackupHeader,
    KdfParams,
    decrypt,
    verify_bytes,
)
from alliance_desktop.storage.keys import DatabaseKey
from tests.keyed import TEST_PASSPHRASE, key_for, make_backup, raw_connect, restore_backup

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)  # tests only
PASS = TEST_PASSPHRASE
WHEN = datetime(2026, 11, 25, 18, 30, 0)
ODD = '"odd ""name"""'  # a table name with a space and a quote, quoted

needs_ram = pytest.mark.skipif(cipher.ram_folder() is None, reason="no writable tmpfs here")


@pytest.fixture
def ram(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private folder on the tmpfs, as ``cipher.RAM_FOLDER``: only this test's images."""
    shared = cipher.ram_folder()
    if shared is None:
        pytest.skip("no writable tmpfs here")
    folder = shared / f"alliance-test-{os.getpid()}-{os.urandom(4).hex()}"
    folder.mkdir()
    monkeypatch.setattr(cipher, "RAM_FOLDER", folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def no_ram(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``RAM_FOLDER`` on the disk: not a tmpfs, so refused (as on macOS or Windows)."""
    folder = tmp_path / "not-ram"
    folder.mkdir()
    monkeypatch.setattr(cipher, "RAM_FOLDER", folder)
    assert cipher.ram_folder() is None
    return folder


@pytest.fixture
def tiny_tmpfs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A 64 KiB tmpfs as ``RAM_FOLDER``: any image fills it (root only; else skipped)."""
    point = tmp_path / "tiny"
    point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    monkeypatch.setattr(cipher, "RAM_FOLDER", point)
    try:
        assert cipher.ram_folder() == point
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _text(value: Any) -> Any:
    """Text read as bytes (the dumps compare stored bytes), as ``str`` for names."""
    return value.decode() if isinstance(value, bytes) else value


def _schema(conn: Any) -> set[tuple[Any, ...]]:
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
    return {tuple(map(_text, row)) for row in rows if _text(row[1]) != "sqlite_sequence"}


def _dump(conn: Any) -> dict[str, Any]:
    """Every table's rows (as a sorted list), the sequences and the header values."""
    tables = [
        _text(name)
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'"
        )
    ]
    dump: dict[str, Any] = {}
    for table in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        dump[table] = sorted(conn.execute(f"SELECT * FROM {quoted}").fetchall(), key=repr)
    if "sqlite_sequence" in {_text(r[0]) for r in conn.execute("SELECT name FROM sqlite_master")}:
        dump["sqlite_sequence"] = sorted(conn.execute("SELECT * FROM sqlite_sequence"))
    for pragma in ("user_version", "application_id"):
        dump[pragma] = conn.execute(f"PRAGMA {pragma}").fetchone()[0]
    return dump


def _open_image(image: bytes) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.text_factory = bytes  # compare the stored bytes, whatever they are
    conn.deserialize(image)
    return conn


def _source(path: Path) -> Any:
    conn = raw_connect(path)
    conn.text_factory = bytes
    return conn


def _image_of(path: Path, key: DatabaseKey) -> tuple[bytes, bytes, str]:
    """The snapshot's image, its fingerprint and the kind of snapshot that made it."""
    snap = cipher.snapshot(path, key)
    try:
        kind = type(snap).__name__
        return b"".join(snap.pieces()), snap.content, kind
    finally:
        snap.close()


def _same_records(image: bytes, path: Path) -> None:
    copy, source = _open_image(image), _source(path)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [(b"ok",)]
        assert _schema(copy) == _schema(source)
        assert _dump(copy) == _dump(source)
    finally:
        copy.close()
        source.close()


def _unusual_database(path: Path, key: DatabaseKey) -> None:
    """A database with what a schema may hold beyond the app's own tables."""
    keys.create_key_file(path, PASS, key=key)
    conn = cipher.connect(path, key)
    conn.executescript(
        '''
        CREATE TABLE "odd ""name""" (id INTEGER PRIMARY KEY AUTOINCREMENT, "a b" TEXT, v BLOB);
        CREATE TABLE no_ipk (code TEXT NOT NULL, n REAL, UNIQUE (code));
        CREATE INDEX no_ipk_n ON no_ipk (n) WHERE n > 1;
        CREATE INDEX no_ipk_expr ON no_ipk (lower(code));
        CREATE TABLE kv (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
        CREATE UNIQUE INDEX kv_v ON kv (v);
        CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT, client_code TEXT);
        CREATE INDEX ix_audit_log_client_code ON audit_log (client_code);
        CREATE VIEW odd_view AS SELECT "a b" FROM "odd ""name""";
        CREATE TRIGGER kv_touch AFTER UPDATE ON kv BEGIN
            UPDATE no_ipk SET n = n + 1 WHERE code = new.k;
        END;
        INSERT INTO "odd ""name""" ("a b", v) VALUES ('x', x'00ff'), ('é', NULL), ('z', 3);
        DELETE FROM "odd ""name""" WHERE id = 3;
        INSERT INTO no_ipk VALUES ('A', 1.5), ('b', 2), ('C', NULL);
        INSERT INTO kv VALUES ('A', 1), ('b', 'two');
        INSERT INTO audit_log (at, client_code) VALUES ('now', 'C-1'), ('later', NULL);
        DELETE FROM audit_log WHERE at = 'later';
        PRAGMA user_version = 42;
        PRAGMA application_id = 1234;
        '''
    )
    conn.commit()
    conn.close()


@needs_ram
def test_the_image_holds_every_record_and_no_name_is_left(demo_db_path: Path, ram: Path) -> None:
    image, _content, kind = _image_of(demo_db_path, key_for(demo_db_path))
    assert kind == "RamSnapshot"
    assert list(ram.iterdir()) == []  # the image never kept its name
    assert image.startswith(cipher.SQLITE_HEADER)
    _same_records(image, demo_db_path)


@needs_ram
def test_unusual_schemas_are_copied_in_sql(tmp_path: Path, ram: Path) -> None:
    path = tmp_path / "odd.db"
    key = DatabaseKey.generate()
    _unusual_database(path, key)
    image, _content, kind = _image_of(path, key)
    assert kind == "RamSnapshot"
    _same_records(image, path)
    copy = _open_image(image)
    try:  # AUTOINCREMENT: a deleted highest id is not reused
        copy.execute(f"INSERT INTO {ODD} (\"a b\") VALUES ('new')")
        assert copy.execute(f"SELECT max(id) FROM {ODD}").fetchone()[0] == 4
    finally:
        copy.close()


def test_a_virtual_table_takes_the_portable_way() -> None:
    table = cipher._Object("table", "t", "CREATE VIRTUAL TABLE t USING fts5(x)", "t")
    with pytest.raises(cipher.NotInRam):
        table.created_in("snap")
    index = cipher._Object("index", "i", "CREATE UNIQUE INDEX i ON t (x)", "t")
    assert index.created_in("snap") == "CREATE UNIQUE INDEX snap.i ON t (x)"


@needs_ram
def test_the_fingerprint_is_the_records_alone_and_always_the_same(
    demo_db_path: Path, ram: Path
) -> None:
    key = key_for(demo_db_path)
    image, content, _ = _image_of(demo_db_path, key)
    again, same, _ = _image_of(demo_db_path, key)
    assert (again, same) == (image, content)  # byte for byte, every time

    conn = raw_connect(demo_db_path)
    conn.execute(
        "INSERT INTO audit_log (at, action, client_code, detail, hash) "
        "VALUES ('2026-11-25T18:31:00', 'view', NULL, '', '')"
    )
    conn.commit()
    looked, unchanged, _ = _image_of(demo_db_path, key)
    assert unchanged == content and looked != image  # the audit log is in, not content

    conn.execute("UPDATE sessions SET notes = 'changed' WHERE id = (SELECT min(id) FROM sessions)")
    conn.commit()
    conn.close()
    assert _image_of(demo_db_path, key)[1] != content


def test_without_a_tmpfs_the_portable_way_backs_up_verifies_and_restores(
    demo_db_path: Path, tmp_path: Path, no_ram: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image, _content, kind = _image_of(demo_db_path, key_for(demo_db_path))
    assert kind == "MemorySnapshot"
    _same_records(image, demo_db_path)
    made: list[cipher.PlainImage] = []
    real = cipher.PlainImage.__init__

    def spy(self: cipher.PlainImage) -> None:
        real(self)
        made.append(self)

    monkeypatch.setattr(cipher.PlainImage, "__init__", spy)
    _round_trip(demo_db_path, tmp_path)
    assert made and not any(image.in_ram for image in made)
    assert list(no_ram.iterdir()) == []


@needs_ram
def test_in_ram_backups_verify_and_restore_leaving_no_name(
    demo_db_path: Path, tmp_path: Path, ram: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[bool] = []
    real = cipher.PlainImage.__init__

    def spy(self: cipher.PlainImage) -> None:
        real(self)
        made.append(self.in_ram)

    monkeypatch.setattr(cipher.PlainImage, "__init__", spy)
    _round_trip(demo_db_path, tmp_path)
    assert made and all(made)
    assert list(ram.iterdir()) == []


def _round_trip(database: Path, tmp_path: Path) -> None:
    """Back up, verify, restore into a new file: the records arrive whole."""
    stick = tmp_path / "stick"
    stick.mkdir()
    made = make_backup(database, stick, PASS, app_version="0.test", now=WHEN, kdf=FAST)
    data = made.path.read_bytes()
    assert verify_bytes(data, PASS) == made.header
    restored = tmp_path / "restored" / "practice.db"
    restored.parent.mkdir()
    header, kept = restore_backup(data, PASS, restored)
    assert header == made.header and kept is None
    source, copy = _source(database), raw_connect(restored)
    copy.text_factory = bytes
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [(b"ok",)]
        assert _dump(copy) == _dump(source)
    finally:
        source.close()
        copy.close()


def test_both_ways_back_up_the_same_records(
    demo_db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    images = []
    for way in ("ram", "portable"):
        if way == "portable":
            monkeypatch.setattr(cipher, "RAM_FOLDER", tmp_path)  # not a tmpfs
        stick = tmp_path / way
        stick.mkdir()
        made = make_backup(demo_db_path, stick, PASS, app_version="0.test", now=WHEN, kdf=FAST)
        images.append(decrypt(made.path.read_bytes(), PASS)[1])
    first, second = (_open_image(image) for image in images)
    try:
        assert _dump(first) == _dump(second)
    finally:
        first.close()
        second.close()


def test_a_full_tmpfs_falls_back_and_keeps_nothing(
    demo_db_path: Path, tmp_path: Path, tiny_tmpfs: Path
) -> None:
    image, _content, kind = _image_of(demo_db_path, key_for(demo_db_path))
    assert kind == "MemorySnapshot"  # SQLITE_FULL in the tmpfs: the portable way
    _same_records(image, demo_db_path)
    assert list(tiny_tmpfs.iterdir()) == []
    _round_trip(demo_db_path, tmp_path)  # reading a backup falls back as well (ENOSPC)
    assert list(tiny_tmpfs.iterdir()) == []


@pytest.mark.parametrize(
    ("code", "retried"),
    [(5, False), (6, False), (11, False), (26, False), (13, True), (1, True), (None, True)],
)
def test_a_busy_or_damaged_file_is_not_read_twice(
    demo_db_path: Path, monkeypatch: pytest.MonkeyPatch, code: int | None, retried: bool
) -> None:
    """Busy (a retry would wait as long again) or damaged (it would fail again): the RAM
    path's error stands. Anything else (a full tmpfs: 13) is retried the portable way."""
    if cipher.ram_folder() is None:
        pytest.skip("no writable tmpfs here")
    error = cipher.OperationalError("simulated")
    error.sqlite_errorcode = code  # type: ignore[attr-defined]

    def fails(*_args: object) -> cipher.RamSnapshot:
        raise error

    portable: list[Path] = []
    real = cipher.snapshot_to_memory

    def counted(path: Path, key: DatabaseKey) -> tuple[sqlite3.Connection, bytes]:
        portable.append(path)
        return real(path, key)

    monkeypatch.setattr(cipher, "_snapshot_in_ram", fails)
    monkeypatch.setattr(cipher, "snapshot_to_memory", counted)
    if retried:
        cipher.snapshot(demo_db_path, key_for(demo_db_path)).close()
        assert portable == [demo_db_path]
    else:
        with pytest.raises(cipher.OperationalError):
            cipher.snapshot(demo_db_path, key_for(demo_db_path))
        assert portable == []


@needs_ram
def test_a_name_in_ram_only_ever_belongs_to_an_empty_file(
    demo_db_path: Path, tmp_path: Path, ram: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The design's kill-safety, step by step: every image is unlinked while it is still
    empty, so a kill at any moment leaves no readable name."""
    unlinked: list[tuple[str, int]] = []
    real = os.unlink

    def unlink(path: Any, *args: Any, **kwargs: Any) -> None:
        if str(path).startswith(str(ram)):
            unlinked.append((Path(path).name, os.stat(path).st_size))
        real(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    _round_trip(demo_db_path, tmp_path)
    # The snapshot's two images, the read-back's none, verify's and restore's one each.
    assert len(unlinked) == 4
    assert all(size == 0 for _name, size in unlinked), unlinked
    assert all(name.startswith(f"{cipher.RAM_PREFIX}-{os.getpid()}-") for name, _ in unlinked)


@needs_ram
def test_names_left_by_killed_runs_are_removed(demo_db_path: Path, ram: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = ram / f"{cipher.RAM_PREFIX}-{int(gone.stdout)}-0123456789abcdef"
    alive = ram / f"{cipher.RAM_PREFIX}-{os.getpid()}-fedcba9876543210"  # this process
    other = ram / "someone-elses-file"
    for path in (dead, alive, other):
        path.touch()
    cipher.snapshot(demo_db_path, key_for(demo_db_path)).close()
    assert sorted(p.name for p in ram.iterdir()) == sorted([alive.name, other.name])


@needs_ram
def test_a_damaged_image_inside_an_authentic_backup_is_refused_either_way(
    demo_db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backup whose decryption succeeds but whose database is damaged (a page zeroed
    before it was compressed) fails verify and restore, in RAM and in memory."""
    stick = tmp_path / "stick"
    stick.mkdir()
    made = make_backup(demo_db_path, stick, PASS, app_version="0.test", now=WHEN, kdf=FAST)
    image = bytearray(decrypt(made.path.read_bytes(), PASS)[1])
    page = int.from_bytes(image[16:18], "big")
    middle = len(image) // page // 2 * page
    image[middle : middle + page] = bytes(page)
    data = _sealed(bytes(image), made.header)
    for ram_folder in (cipher.RAM_FOLDER, tmp_path):
        monkeypatch.setattr(cipher, "RAM_FOLDER", ram_folder)
        with pytest.raises(BackupError, match="database inside it is damaged"):
            verify_bytes(data, PASS)
        with pytest.raises(BackupError, match="database inside it is damaged"):
            restore_backup(data, PASS, tmp_path / "fresh.db")
        assert not (tmp_path / "fresh.db").exists()


def _sealed(image: bytes, like: BackupHeader) -> bytes:
    """A backup file holding ``image``, made with the writer's own pieces."""
    from collections import deque

    kdf = backup_module._salted(FAST)
    secret = backup_module._key(PASS, kdf)
    blank = backup_module._replace(like, kdf=kdf)
    compressed = deque([zlib.compress(image, backup_module.COMPRESSION_LEVEL)])
    header, payload = backup_module._seal(compressed, secret, blank, b"")
    return backup_module._head_bytes(header) + b"".join(payload)


@needs_ram
def test_python_holds_no_image_while_backing_up_in_ram(
    demo_db_path: Path, tmp_path: Path, ram: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In RAM the image is never a Python object: at its peak Python holds the compressed
    stream (or the payload) and a few pieces, against an image and more the portable way."""
    monkeypatch.setattr(backup_module, "CHUNK", 64 * 1024)
    tracemalloc.start()
    try:
        made = make_backup(demo_db_path, tmp_path, PASS, app_version="0.test", now=WHEN, kdf=FAST)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    image = len(decrypt(made.path.read_bytes(), PASS)[1])
    slack = 16 * backup_module.CHUNK
    assert peak <= made.header.payload_size + slack, (peak, made.header.payload_size, image)
