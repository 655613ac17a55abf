"""A damaged database is never made worse: read-only checks first, then writes.

Real damage in real files: a zero-byte main file beside a write-ahead log holding saved
changes, and pages overwritten in the middle of an encrypted file. Every command that would
write refuses with one sentence and leaves the files byte for byte as they were; ``check``
says so and exits non-zero.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import remount_read_only
from tests.e2e.test_cli import one_client_export, run
from tests.keyed import TEST_PASSPHRASE, copy_database

ENV = {"ALLIANCE_PASSPHRASE": TEST_PASSPHRASE}
PAGE = 4096


def _digests(path: Path) -> dict[str, str]:
    """Every file beside the database that holds data (the lock file is empty)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.parent.iterdir())
        if p.is_file() and p.name.startswith(path.name) and p.stat().st_size > 0
    }


@pytest.fixture
def zero_byte_main_with_wal(demo_db_path: Path) -> Path:
    """A session note saved into the -wal only (the process died before a checkpoint), then
    the main file emptied: the saved change is in the log and nowhere else."""
    script = textwrap.dedent(
        f"""
        import os
        from tests.keyed import raw_connect
        conn = raw_connect({str(demo_db_path)!r})
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("UPDATE sessions SET notes = 'in the log only' WHERE id = 1")
        conn.commit()
        os._exit(0)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    assert Path(f"{demo_db_path}-wal").stat().st_size > 0
    demo_db_path.write_bytes(b"")
    return demo_db_path


@pytest.mark.parametrize(
    "command",
    [
        ["check"],
        ["clients"],
        ["session", "list", "C-0001"],
        ["init"],
        ["backup", "--to", "{stick}"],
    ],
    ids=lambda c: c[0],
)
def test_a_zero_byte_file_beside_its_log_is_left_exactly_as_it_was(
    zero_byte_main_with_wal: Path, tmp_path: Path, command: list[str]
) -> None:
    db = zero_byte_main_with_wal
    (tmp_path / "stick").mkdir()
    before = _digests(db)
    args = [a.format(stick=tmp_path / "stick") for a in command]
    result = run("--db", str(db), *args, env=ENV)
    assert result.returncode != 0, result.stdout
    assert "damaged" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Healthy." not in result.stdout
    assert db.stat().st_size == 0
    assert _digests(db) == before  # the -wal (and everything else) byte for byte


@pytest.fixture
def damaged_pages(demo_db_path: Path) -> Path:
    """Pages in the middle of the encrypted file overwritten (a bad sector, say)."""
    size = demo_db_path.stat().st_size
    middle = size // 2 // PAGE * PAGE
    with demo_db_path.open("r+b") as handle:
        handle.seek(middle)
        handle.write(bytes(PAGE * 2))  # zeroed
        handle.write(b"\xa5" * PAGE)  # scribbled
    return demo_db_path


@pytest.mark.parametrize(
    "command",
    [
        ["session", "add", "{code}", "--date", "2026-11-30T10:00", "--srs", "9,9,9,9"],
        ["init"],
        ["backup", "--to", "{stick}"],
        ["import", "{tmp}/one-client.json"],
        ["report", "{code}", "--out", "{tmp}/summary.pdf"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_no_command_writes_into_a_damaged_file(
    damaged_pages: Path, tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "stick").mkdir()
    (tmp_path / "one-client.json").write_text(one_client_export(code="NEW-1"), encoding="utf-8")
    before = _digests(damaged_pages)
    args = [a.format(code="C-0001", stick=tmp_path / "stick", tmp=tmp_path) for a in command]
    result = run("--db", str(damaged_pages), *args, env=ENV)
    assert result.returncode != 0, result.stdout
    assert "damaged" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert _digests(damaged_pages) == before
    assert list((tmp_path / "stick").iterdir()) == []
    assert not (tmp_path / "summary.pdf").exists()


def test_check_finds_the_damage_quickly_and_in_full(damaged_pages: Path) -> None:
    before = _digests(damaged_pages)
    quick = run("--db", str(damaged_pages), "check", env=ENV)
    full = run("--db", str(damaged_pages), "check", "--full", env=ENV)
    for result in (quick, full):
        assert result.returncode == 1, result.stdout + result.stderr
        assert "NOT healthy" in result.stdout and "Nothing was written" in result.stdout
    assert "(quick)" in quick.stdout and "(full)" in full.stdout
    assert _digests(damaged_pages) == before


def test_a_healthy_database_passes_both_checks(demo_db_path: Path) -> None:
    for extra in ([], ["--full"]):
        result = run("--db", str(demo_db_path), "check", *extra, env=ENV)
        assert result.returncode == 0 and "Healthy." in result.stdout, result.stdout


def _backup_of(database: Path, stick: Path) -> Path:
    stick.mkdir(exist_ok=True)
    made = run("--db", str(database), "backup", "--to", str(stick), env=ENV)
    assert made.returncode == 0, made.stderr
    (backup,) = stick.glob("*.allbak")
    return backup


def test_restore_over_damaged_pages_keeps_them_byte_for_byte(
    demo_db_path: Path, tmp_path: Path
) -> None:
    backup = _backup_of(demo_db_path, tmp_path / "stick")
    middle = demo_db_path.stat().st_size // 2 // PAGE * PAGE
    with demo_db_path.open("r+b") as handle:
        handle.seek(middle)
        handle.write(bytes(PAGE))
    damaged = demo_db_path.read_bytes()
    result = run("--db", str(demo_db_path), "restore", str(backup), env=ENV)
    assert result.returncode == 0, result.stderr
    (kept,) = demo_db_path.parent.glob(f"{demo_db_path.name}.before-restore-*.damaged")
    assert kept.read_bytes() == damaged  # not even page 1 rewritten by a checkpoint
    assert run("--db", str(demo_db_path), "check", env=ENV).returncode == 0


def test_restore_over_a_zero_byte_file_keeps_its_log(
    zero_byte_main_with_wal: Path, tmp_path: Path, demo_template: Path
) -> None:
    db = zero_byte_main_with_wal
    wal = Path(f"{db}-wal").read_bytes()
    source = copy_database(demo_template, tmp_path / "elsewhere.db")  # the template is shared
    backup = _backup_of(source, tmp_path / "stick")
    result = run("--db", str(db), "restore", str(backup), env=ENV)
    assert result.returncode == 0, result.stderr
    (kept,) = db.parent.glob(f"{db.name}.before-restore-*.damaged")
    assert kept.read_bytes() == b"" and Path(f"{kept}-wal").read_bytes() == wal


def test_a_database_name_too_long_for_the_drive_is_one_sentence(tmp_path: Path) -> None:
    name = tmp_path / ("n" * 296 + ".db")
    for command in (["init"], ["clients"], ["check"]):
        result = run("--db", str(name), *command, env=ENV)
        assert result.returncode == 2, result.stderr
        assert "longer than the drive allows" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_restore_onto_a_read_only_drive_is_one_sentence(
    demo_db_path: Path, tmp_path: Path, tmpfs: Any
) -> None:
    backup = _backup_of(demo_db_path, tmp_path / "stick")
    volume = tmpfs("ro", "64m")
    database = copy_database(demo_db_path, volume / "practice.db")
    remount_read_only(volume)
    before = _digests(database)
    result = run("--db", str(database), "restore", str(backup), env=ENV)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "internal" not in result.stderr
    assert _digests(database) == before
