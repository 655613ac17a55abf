"""Backup files: round trip, refusals in words, faults mid-write, garbage never crashes."""

from __future__ import annotations

import errno
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import IO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_desktop.storage.backup import (
    PARTIAL_SUFFIX,
    BackupError,
    FileOps,
    KdfParams,
    decrypt,
    make_backup,
    read_header,
    verify_bytes,
)

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)  # tests only
WHEN = datetime(2026, 11, 25, 18, 30, 0)
CANARY = "CANARY-7f3a-Zoë"


def _counts(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        clients = conn.execute("SELECT count(*) FROM clients").fetchone()[0]
        sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
        return int(clients), int(sessions)
    finally:
        conn.close()


@pytest.fixture
def stick(tmp_path: Path) -> Path:
    folder = tmp_path / "stick"
    folder.mkdir()
    return folder


def _backup(db: Path, folder: Path, **kw: object) -> Path:
    path, _ = make_backup(
        db, folder, "correct horse", app_version="0.test", now=WHEN, kdf=FAST, **kw
    )  # type: ignore[arg-type]
    return path


def test_round_trip_keeps_everything_and_no_plain_text(
    demo_db_path: Path, stick: Path, tmp_path: Path
) -> None:
    conn = sqlite3.connect(demo_db_path)
    conn.execute(
        "UPDATE sessions SET notes = ? WHERE id = (SELECT min(id) FROM sessions)", (CANARY,)
    )
    conn.commit()
    conn.close()
    path = _backup(demo_db_path, stick)
    assert path.name == "alliance-backup-20261125-183000.allbak"
    assert [p.name for p in stick.iterdir()] == [path.name]  # no partial file left
    data = path.read_bytes()
    assert CANARY.encode() not in data and "Zoë".encode() not in data
    header = read_header(path)  # no passphrase needed for the listing
    assert (header.clients, header.sessions) == _counts(demo_db_path)
    assert header.schema_version and header.app_version == "0.test"
    assert verify_bytes(data, "correct horse") == header
    _, plain = decrypt(data, "correct horse")
    restored = tmp_path / "restored.db"
    restored.write_bytes(plain)
    assert _counts(restored) == _counts(demo_db_path)
    conn = sqlite3.connect(restored)
    assert (
        conn.execute("SELECT count(*) FROM sessions WHERE notes = ?", (CANARY,)).fetchone()[0] == 1
    )
    conn.close()


def test_wrong_passphrase_truncation_tampering_and_strangers_are_refused(
    demo_db_path: Path, stick: Path, tmp_path: Path
) -> None:
    data = _backup(demo_db_path, stick).read_bytes()
    with pytest.raises(BackupError, match="passphrase does not open"):
        decrypt(data, "wrong horse")
    with pytest.raises(BackupError, match="incomplete"):
        decrypt(data[: len(data) // 2], "correct horse")
    tampered = bytearray(data)
    tampered[-100] ^= 0x01
    with pytest.raises(BackupError, match="damaged"):
        decrypt(bytes(tampered), "correct horse")
    lied = data.replace(b'"clients": ', b'"clients": 9', 1)  # a header edited by hand
    with pytest.raises(BackupError):
        decrypt(lied, "correct horse")
    with pytest.raises(BackupError, match="not an Alliance Desktop backup"):
        decrypt(b"SQLite format 3\x00" + data[16:], "correct horse")
    with pytest.raises(BackupError, match="Enter the backup passphrase"):
        decrypt(data, "")


class _FullDrive(FileOps):
    """Fails a write after ``room`` bytes, as a full (or pulled) stick does."""

    def __init__(self, room: int, code: int = errno.ENOSPC) -> None:
        self.room = room
        self.code = code

    def write(self, handle: IO[bytes], data: bytes) -> None:
        handle.write(data[: self.room])
        raise OSError(self.code, "simulated")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "drive is full"),
        (errno.EPERM, "full or refuses"),
        (errno.EROFS, "read-only"),
        (errno.EIO, "stopped answering"),
    ],
)
def test_a_failed_write_leaves_no_partial_file_and_earlier_backups_intact(
    demo_db_path: Path, stick: Path, code: int, words: str
) -> None:
    earlier = _backup(demo_db_path, stick)
    before = earlier.read_bytes()
    later = datetime(2026, 11, 26, 9, 0, 0)
    with pytest.raises(BackupError, match=words):
        make_backup(
            demo_db_path,
            stick,
            "correct horse",
            app_version="0.test",
            now=later,
            kdf=FAST,
            ops=_FullDrive(4096, code),
        )
    assert [p.name for p in stick.iterdir()] == [earlier.name]
    assert earlier.read_bytes() == before
    assert not list(stick.glob(f"*{PARTIAL_SUFFIX}"))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_garbled_files_never_crash(demo_db_path: Path, tmp_path: Path, data: st.DataObject) -> None:
    folder = tmp_path / "garble"
    folder.mkdir(exist_ok=True)
    path = folder / "alliance-backup-20261125-183000.allbak"
    if not path.exists():
        make_backup(demo_db_path, folder, "pw", app_version="0.test", now=WHEN, kdf=FAST)
    good = path.read_bytes()
    cut = data.draw(st.integers(0, len(good)))
    flips = data.draw(st.lists(st.integers(0, max(0, cut - 1)), max_size=3))
    garbled = bytearray(good[:cut])
    for i in flips:
        if garbled:
            garbled[i] ^= 0x5A
    try:
        verify_bytes(bytes(garbled), "pw")
    except BackupError:
        return
    assert bytes(garbled) == good  # only the untouched file verifies


def test_a_header_asking_for_absurd_key_work_is_refused(demo_db_path: Path, stick: Path) -> None:
    data = _backup(demo_db_path, stick).read_bytes()
    greedy = data.replace(b'"memory_kib": 8192', b'"memory_kib": 9999999999', 1)
    assert greedy != data
    fixed = len(b"ALLIANCE-BACKUP\n")
    length = int.from_bytes(greedy[fixed : fixed + 4], "big") + len(b"9999999999") - len(b"8192")
    greedy = greedy[:fixed] + length.to_bytes(4, "big") + greedy[fixed + 4 :]
    with pytest.raises(BackupError, match="damaged header"):
        decrypt(greedy, "correct horse")
