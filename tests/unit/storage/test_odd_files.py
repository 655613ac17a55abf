"""Odd files met by storage (issue 16): safe reading of a file the user names, a pipe in a
backups folder, a backup header nested absurdly deep or asking for absurd key work."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from alliance_desktop.storage import backup as backup_module
from alliance_desktop.storage import files
from alliance_desktop.storage.backup import (
    MAGIC,
    MAX_KDF,
    BackupError,
    BackupHeader,
    FileOps,
    KdfParams,
    backups_in,
    read_header,
    remove_leftovers,
    unpack,
)
from alliance_desktop.storage.files import FileTooLarge, NotAFile, read_regular_file

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX pipes and devices")

#: Fixed file times for the leftover test (2026-11-20, and long after): no wall clock.
NOW = 1_795_132_800.0


def _header_bytes(values: object) -> bytes:
    raw = json.dumps(values).encode() if not isinstance(values, bytes) else values
    return MAGIC + len(raw).to_bytes(4, "big") + raw


def _header(**kdf: int) -> dict[str, object]:
    return {
        "format": 1,
        "app_version": "0.test",
        "schema_version": "0006",
        "created_at": "2026-11-20T10:00:00",
        "clients": 1,
        "sessions": 2,
        "payload_sha256": "0" * 64,
        "payload_size": 0,
        "kdf": {"time_cost": 3, "memory_kib": 65536, "parallelism": 4, "salt": "A" * 12, **kdf},
        "nonce": "AAAAAAAAAAAAAAAA",
    }


# ------------------------------------------------------------------ read_regular_file


def test_a_pipe_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(NotAFile) as caught:
        read_regular_file(pipe, 100)
    assert caught.value.what == "a named pipe (FIFO)"


def test_a_pipe_swapped_in_after_the_check_does_not_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check before opening is passed (a seam for the race); the descriptor is opened
    non-blocking and checked again, so the pipe is refused instead of waited on."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    monkeypatch.setattr(files, "check_regular_file", lambda path: None)
    with pytest.raises(NotAFile):
        read_regular_file(pipe, 100)


def test_a_device_and_a_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(NotAFile, match="it is a device, not a file"):
        read_regular_file(Path("/dev/zero"))
    with pytest.raises(IsADirectoryError):
        read_regular_file(tmp_path)


def test_the_cap_and_reading_by_size(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_bytes(b"x" * 5000)
    assert read_regular_file(path) == b"x" * 5000  # by its size
    assert read_regular_file(path, 5000) == b"x" * 5000
    with pytest.raises(FileTooLarge):
        read_regular_file(path, 4999)


def test_a_proc_file_of_size_zero_is_read_up_to_the_cap() -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("needs Linux's /proc")
    assert b"Name:" in read_regular_file(Path("/proc/self/status"), 64 * 1024)


# ------------------------------------------------------------------ backup headers


def test_a_header_nested_thousands_deep_is_damaged_not_a_crash() -> None:
    deep = b"[" * 30_000 + b"]" * 30_000  # fits in the 64 KiB a header may take
    with pytest.raises(BackupError, match="damaged header"):
        unpack(_header_bytes(deep), "deep.allbak")
    long_number = b'{"format": ' + b"1" * 5000 + b"}"
    with pytest.raises(BackupError, match="damaged header"):
        unpack(_header_bytes(long_number), "long.allbak")


def test_the_key_work_the_app_writes_and_a_margin_are_accepted() -> None:
    written = KdfParams()
    assert not written.asks_too_much() and not MAX_KDF.asks_too_much()
    assert (MAX_KDF.time_cost, MAX_KDF.memory_kib, MAX_KDF.parallelism) == (6, 128 * 1024, 8)
    for kdf in ({}, {"time_cost": 6, "memory_kib": 131072, "parallelism": 8}):
        header, _ = unpack(_header_bytes(_header(**kdf)))
        assert isinstance(header, BackupHeader)


@pytest.mark.parametrize(
    "kdf",
    [
        {"time_cost": 20, "memory_kib": 1024 * 1024},
        {"time_cost": 7},
        {"memory_kib": 131073},
        {"parallelism": 9},
    ],
    ids=["forged", "passes", "memory", "lanes"],
)
def test_more_key_work_than_the_app_asks_is_refused_in_words(kdf: dict[str, int]) -> None:
    with pytest.raises(BackupError) as caught:
        unpack(_header_bytes(_header(**kdf)), "odd.allbak")
    message = str(caught.value)
    assert message.startswith("odd.allbak asks for more work to unlock than Alliance Desktop")
    assert "not made by this app or has been tampered with" in message


def test_key_work_of_the_wrong_type_is_a_damaged_header() -> None:
    with pytest.raises(BackupError, match="damaged header"):
        unpack(_header_bytes(_header(time_cost="3")))  # type: ignore[arg-type]


# ------------------------------------------------------------------ backups folder


def test_a_pipe_in_the_backups_folder_is_listed_as_skipped_and_left_alone(
    tmp_path: Path,
) -> None:
    pipe = tmp_path / "alliance-backup-20261120-100000.allbak"
    os.mkfifo(pipe)
    ((path, problem),) = backups_in(tmp_path)
    assert path == pipe and isinstance(problem, BackupError)
    assert str(problem) == (
        "alliance-backup-20261120-100000.allbak is a named pipe (FIFO), not a backup file; skipped."
    )
    with pytest.raises(BackupError, match="not a backup file"):
        read_header(pipe)


def test_read_header_refuses_a_pipe_swapped_in_after_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipe = tmp_path / "x.allbak"
    os.mkfifo(pipe)
    monkeypatch.setattr(backup_module, "check_regular_file", lambda path: None)
    with pytest.raises(BackupError, match="not a backup file"):
        read_header(pipe)


class _FixedClock(FileOps):
    def clock(self) -> float:
        return NOW


def test_leftover_cleaning_removes_old_partial_files_but_never_a_pipe(tmp_path: Path) -> None:
    name = "alliance-backup-20261101-100000.allbak.{}.partial"
    old_file = tmp_path / name.format("aaaa0001")
    old_file.write_bytes(b"partial")
    pipe = tmp_path / name.format("aaaa0002")
    os.mkfifo(pipe)
    link = tmp_path / name.format("aaaa0003")
    link.symlink_to(tmp_path / "elsewhere")
    for path in (old_file, pipe):
        os.utime(path, (NOW - 86_400, NOW - 86_400))
    assert remove_leftovers(tmp_path, _FixedClock()) == [old_file]
    assert stat.S_ISFIFO(pipe.lstat().st_mode) and link.is_symlink()
