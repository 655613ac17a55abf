"""Backup files: round trip, refusals in words, faults mid-write, garbage never crashes."""

from __future__ import annotations

import errno
import json
import os
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_desktop.storage import backup as backup_module
from alliance_desktop.storage.backup import (
    PARTIAL_SUFFIX,
    BackupError,
    FileOps,
    KdfParams,
    MadeBackup,
    Retention,
    choose_to_remove,
    decrypt,
    read_header,
    verify_bytes,
)
from tests.keyed import make_backup, raw_connect

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)  # tests only
WHEN = datetime(2026, 11, 25, 18, 30, 0)
CANARY = "CANARY-7f3a-Zoë"


def _counts(path: Path) -> tuple[int, int]:
    conn = raw_connect(path)
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
    options: dict[str, object] = {"now": WHEN, **kw}
    path = make_backup(db, folder, "correct horse", app_version="0.test", kdf=FAST, **options).path  # type: ignore[arg-type]
    return path


def test_round_trip_keeps_everything_and_no_plain_text(
    demo_db_path: Path, stick: Path, tmp_path: Path
) -> None:
    conn = raw_connect(demo_db_path)
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
    conn = raw_connect(restored)
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
    """Fails a write after ``room`` bytes of the file, as a full (or pulled) stick does (the
    file is written in pieces: the room is counted over all of them)."""

    def __init__(self, room: int, code: int = errno.ENOSPC) -> None:
        self.room = room
        self.code = code

    def write(self, handle: IO[bytes], data: bytes) -> None:
        handle.write(data[: self.room])
        if len(data) >= self.room:
            raise OSError(self.code, "simulated")
        self.room -= len(data)


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


def test_fifty_random_cut_points_never_leave_a_partial_file_or_harm_earlier_backups(
    demo_db_path: Path, stick: Path
) -> None:
    earlier = _backup(demo_db_path, stick)
    before = earlier.read_bytes()
    size = len(before)
    rng = random.Random(2026)
    for attempt in range(50):
        cut = rng.randrange(0, size + 1)
        code = rng.choice([errno.EIO, errno.ENOENT, errno.ENOSPC, errno.EPERM])
        with pytest.raises(BackupError, match="Earlier backups are untouched"):
            make_backup(
                demo_db_path,
                stick,
                "correct horse",
                app_version="0.test",
                now=datetime(2026, 11, 26, 9, 0, attempt),
                kdf=FAST,
                ops=_FullDrive(cut, code),
            )
        assert [p.name for p in stick.iterdir()] == [earlier.name], f"cut at {cut}"
    assert earlier.read_bytes() == before
    verify_bytes(before, "correct horse")


def test_an_unchanged_database_is_not_backed_up_twice_unless_forced(
    demo_db_path: Path, stick: Path
) -> None:
    def run(when: datetime, *, skip: bool = True, passphrase: str = "correct horse") -> MadeBackup:
        return make_backup(
            demo_db_path, stick, passphrase, app_version="0.test", now=when, kdf=FAST,
            skip_unchanged=skip,
        )  # fmt: skip

    first = run(WHEN)
    assert not first.skipped
    second = run(datetime(2026, 11, 26, 9, 0))
    assert second.skipped and second.path == first.path
    assert len(list(stick.iterdir())) == 1
    forced = run(datetime(2026, 11, 26, 9, 1), skip=False)
    assert not forced.skipped and len(list(stick.iterdir())) == 2
    # A different passphrase cannot prove the contents equal, so a backup is written.
    other = run(datetime(2026, 11, 26, 9, 2), passphrase="another one")
    assert not other.skipped and len(list(stick.iterdir())) == 3
    conn = raw_connect(demo_db_path)
    conn.execute("UPDATE sessions SET notes = 'changed' WHERE id = (SELECT min(id) FROM sessions)")
    conn.commit()
    conn.close()
    changed = run(datetime(2026, 11, 26, 9, 3), passphrase="another one")
    assert not changed.skipped and len(list(stick.iterdir())) == 4


def test_rotation_keeps_the_newest_of_7_days_4_weeks_and_12_months() -> None:
    made: dict[Path, datetime] = {}
    day = datetime(2025, 1, 1, 18, 0)
    while day <= datetime(2026, 11, 25, 18, 0):  # Wednesday 25 November 2026
        made[Path(f"{day:%Y%m%d}.allbak")] = day
        day += timedelta(days=1)
    removed = set(choose_to_remove(made, Retention()))
    kept = sorted(p.stem for p in made if p not in removed)
    days = [f"202611{d}" for d in range(19, 26)]  # the last 7 days
    weeks = ["20261108", "20261115"]  # Sundays closing the two weeks before those
    months = [
        "20251231", "20260131", "20260228", "20260331", "20260430", "20260531", "20260630",
        "20260731", "20260831", "20260930", "20261031",
    ]  # fmt: skip
    assert kept == sorted(days + weeks + months)
    assert choose_to_remove(made, Retention(0, 0, 1)) == sorted(
        set(made) - {Path("20261125.allbak")}, key=lambda p: made[p], reverse=True
    )


def test_rotation_runs_after_a_verified_backup_and_spares_unreadable_files(
    demo_db_path: Path, stick: Path
) -> None:
    stranger = stick / "alliance-backup-20200101-000000.allbak"
    stranger.write_bytes(b"not ours")
    for day in range(1, 6):
        _backup(demo_db_path, stick, now=datetime(2026, 11, day, 18, 0))
    keep = Retention(daily=2, weekly=0, monthly=0)
    with pytest.raises(BackupError):  # a failed backup rotates nothing
        make_backup(
            demo_db_path, stick, "correct horse", app_version="0.test",
            now=datetime(2026, 11, 6, 18, 0), kdf=FAST, ops=_FullDrive(100), keep=keep,
        )  # fmt: skip
    assert len(list(stick.iterdir())) == 6
    made = make_backup(
        demo_db_path, stick, "correct horse", app_version="0.test",
        now=datetime(2026, 11, 7, 18, 0), kdf=FAST, keep=keep,
    )  # fmt: skip
    assert len(made.removed) == 4
    assert sorted(p.name for p in stick.iterdir()) == [
        stranger.name,
        "alliance-backup-20261105-180000.allbak",
        "alliance-backup-20261107-180000.allbak",
    ]


#: The drive's "now" in these tests (file times are set from it, never from the wall clock).
DRIVE_NOW = 1_795_000_000.0


class _SmallDrive(FileOps):
    def __init__(self, free: int, kind: str | None = None) -> None:
        self.free, self.kind = free, kind

    def clock(self) -> float:
        return DRIVE_NOW

    def free_bytes(self, folder: Path) -> int | None:
        return self.free

    def filesystem(self, folder: Path) -> str | None:
        return self.kind


def test_no_room_is_refused_before_writing_and_leftovers_are_cleared(
    demo_db_path: Path, stick: Path
) -> None:
    leftover = stick / f"alliance-backup-20261120-100000.allbak.1a2b3c4d{PARTIAL_SUFFIX}"
    leftover.write_bytes(b"half a backup from a killed run")
    an_hour_ago = DRIVE_NOW - 3600
    os.utime(leftover, (an_hour_ago, an_hour_ago))
    in_progress = stick / f"alliance-backup-20261120-100001.allbak.5e6f7a8b{PARTIAL_SUFFIX}"
    in_progress.write_bytes(b"another process is writing this one now")
    # Being written "now" by the drive's clock (the staleness check's clock is the seam).
    os.utime(in_progress, (DRIVE_NOW, DRIVE_NOW))
    with pytest.raises(BackupError, match=r"too full.*free"):
        make_backup(
            demo_db_path, stick, "correct horse", app_version="0.test", now=WHEN, kdf=FAST,
            ops=_SmallDrive(free=10_000),
        )  # fmt: skip
    # The old leftover went, the one being written now stayed; nothing new was written.
    assert list(stick.iterdir()) == [in_progress]
    with pytest.raises(BackupError, match=r"FAT32.*4 GiB"):
        backup_module._check_room(_SmallDrive(10 * 1024**3, "vfat"), stick, 5 * 1024**3)
    backup_module._check_room(_SmallDrive(10 * 1024**3, "exfat"), stick, 5 * 1024**3)


def test_the_filesystem_type_is_read_from_the_mount_table(tmp_path: Path) -> None:
    root = backup_module.filesystem_type(Path("/"))
    assert root is not None and root != ""
    assert backup_module.filesystem_type(Path("/proc/self")) == "proc"


def test_two_backups_in_one_second_both_keep_their_files(demo_db_path: Path, stick: Path) -> None:
    first = _backup(demo_db_path, stick)
    second = _backup(demo_db_path, stick)
    assert first.name == "alliance-backup-20261125-183000.allbak"
    assert second.name == "alliance-backup-20261125-183000-2.allbak"
    verify_bytes(first.read_bytes(), "correct horse")


def test_a_damaged_database_is_not_backed_up(demo_db_path: Path, stick: Path) -> None:
    """A backup of a damaged file would hide the damage: refused, nothing on the stick."""
    conn = raw_connect(demo_db_path)
    conn.execute("PRAGMA journal_mode = DELETE")
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    (root,) = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'ix_sessions_client_id'"
    ).fetchone()
    conn.close()
    with demo_db_path.open("r+b") as handle:  # scribble over one index page
        handle.seek((root - 1) * page_size + 8)
        handle.write(bytes(range(7, 256)) * ((page_size - 8) // 249))
    with pytest.raises(BackupError, match="failed its integrity check"):
        _backup(demo_db_path, stick)
    assert list(stick.iterdir()) == []


def test_rotation_and_skipping_keep_to_backups_of_the_same_database(
    demo_db_path: Path, db_path: Path, stick: Path
) -> None:
    from tests.keyed import open_database

    open_database(db_path).close()  # an empty practice database beside the demo

    def run(db: Path, day: int, identity: str) -> MadeBackup:
        return make_backup(
            db, stick, "correct horse", app_version="0.test", kdf=FAST,
            now=datetime(2026, 11, day, 18, 0), keep=Retention(1, 0, 0),
            skip_unchanged=True, database_id=identity,
        )  # fmt: skip

    practice = run(db_path, 20, "practice-id").path
    demo = run(demo_db_path, 21, "demo-id").path
    assert sorted(stick.iterdir()) == sorted([practice, demo])  # neither thinned the other
    again = run(db_path, 22, "practice-id")
    assert again.skipped and again.path == practice
    # A damaged newest backup never stands in for the data: a new one is written.
    practice.write_bytes(practice.read_bytes()[:-100])
    fresh = run(db_path, 23, "practice-id")
    assert not fresh.skipped and fresh.removed == (practice,)
    assert sorted(stick.iterdir()) == sorted([fresh.path, demo])


def _with_header(data: bytes, change: dict[str, object]) -> bytes:
    fixed = len(b"ALLIANCE-BACKUP\n")
    length = int.from_bytes(data[fixed : fixed + 4], "big")
    header = json.loads(data[fixed + 4 : fixed + 4 + length])
    header.update(change)
    raw = json.dumps(header).encode()
    return data[:fixed] + len(raw).to_bytes(4, "big") + raw + data[fixed + 4 + length :]


@pytest.mark.parametrize(
    "change",
    [
        {"format": "1"},
        {"clients": -1},
        {"created_at": 20261125},
        {"created_at": "yesterday"},
        {"nonce": "AAAA"},
        {"kdf": {"time_cost": 1, "memory_kib": 8192, "parallelism": 1, "salt": "AA=="}},
        {"payload_size": "12"},
        {"database_id": 7},
    ],
    ids=lambda change: next(iter(change)),
)
def test_headers_that_parse_but_make_no_sense_are_refused_in_words(
    demo_db_path: Path, stick: Path, change: dict[str, object]
) -> None:
    path = _backup(demo_db_path, stick)
    path.write_bytes(_with_header(path.read_bytes(), change))
    with pytest.raises(BackupError, match="damaged header"):
        read_header(path)
    with pytest.raises(BackupError, match="damaged header"):
        verify_bytes(path.read_bytes(), "correct horse")
    # Listing and the next backup (skip check, rotation) carry on around the bad file.
    made = make_backup(
        demo_db_path, stick, "correct horse", app_version="0.test", kdf=FAST,
        now=datetime(2026, 11, 26, 9, 0), skip_unchanged=True, keep=Retention(1, 0, 0),
    )  # fmt: skip
    assert not made.skipped and path.exists()


class _Racer(FileOps):
    """Another backup takes the final name just before this one renames."""

    def __init__(self, rival: bytes) -> None:
        self.rival = rival

    def rename(self, source: Path, target: Path) -> None:
        if not target.exists() and self.rival:
            target.write_bytes(self.rival)
            self.rival = b""
        super().rename(source, target)


def test_a_name_taken_meanwhile_is_never_replaced(demo_db_path: Path, stick: Path) -> None:
    rival = _backup(demo_db_path, stick)
    rival_bytes = rival.read_bytes()
    rival.unlink()
    made = make_backup(
        demo_db_path, stick, "correct horse", app_version="0.test", now=WHEN, kdf=FAST,
        ops=_Racer(rival_bytes),
    )  # fmt: skip
    assert made.path.name == "alliance-backup-20261125-183000-2.allbak"
    assert (stick / "alliance-backup-20261125-183000.allbak").read_bytes() == rival_bytes
    assert not list(stick.glob(f"*{PARTIAL_SUFFIX}"))
