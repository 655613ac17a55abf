"""Kills at every moment of a backup and of a restore: nothing healthy is ever lost.

A forked child runs the real ``make_backup`` or ``restore_backup`` and sends itself SIGKILL
at the n-th line executed in our storage code; the parent then looks at what is on disk. n
runs from 1 until the child finishes without being killed, so every step boundary is hit
(fsyncs, renames and the key derivation are single C calls between those lines).

The loops run in a fresh interpreter started by the tests (``python -m`` this module): a
process that has loaded Qt has threads, and forking it makes children that crawl or hang.
Where plain images are built in RAM (``cipher.ram_folder``), that interpreter uses a private
folder on the same tmpfs, and after every kill each name in it must be an empty file (an
image has a name only while it is empty), and none may be left once a run has finished.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from alliance_desktop.storage import cipher
from alliance_desktop.storage.backup import (
    SUFFIX,
    KdfParams,
    verify_bytes,
)
from tests.keyed import (
    TEST_PASSPHRASE,
    copy_database,
    make_backup,
    open_database,
    raw_connect,
    restore_backup,
)
from tests.unit.storage.test_database import digest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)  # tests only
PASS = TEST_PASSPHRASE  # backups use the app passphrase by default
OURS = ("storage/backup.py", "storage/database.py", "storage/cipher.py", "storage/keys.py")
MARK = "ONLY-IN-THE-CURRENT-DATABASE"


_SAVE_AND_DIE = """
import os
from tests.keyed import raw_connect
from tests.keyed import raw_connect
conn = raw_connect({path!r})
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("UPDATE sessions SET notes = '{mark}' WHERE id = (SELECT max(id) FROM sessions)")
conn.commit()
os._exit(0)
""".replace("{mark}", MARK)


def _killed_at_line(n: int, work: Callable[[], Any]) -> bool:
    """Run ``work`` in a child killed at its n-th line in our storage code; True if killed."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        seen = 0

        def tracer(frame: FrameType, event: str, arg: object) -> Any:
            nonlocal seen
            if event == "line" and frame.f_code.co_filename.endswith(OURS):
                seen += 1
                if seen == n:
                    os.kill(os.getpid(), signal.SIGKILL)
            return tracer

        try:
            sys.settrace(tracer)
            work()
        except BaseException:
            os._exit(3)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, f"the child failed at line {n}"
    return False


def _nothing_readable_in_ram(*, finished: bool) -> None:
    """Every name in the RAM folder is an empty file; none is left after a finished run."""
    folder = cipher.ram_folder()
    if folder is None:
        return
    sizes = {path.name: path.stat().st_size for path in folder.iterdir()}
    assert all(size == 0 for size in sizes.values()), sizes
    if finished:
        assert sizes == {}, sizes


def _notes(path: Path) -> set[str]:
    conn = raw_connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {row[0] for row in conn.execute("SELECT notes FROM sessions")}
    finally:
        conn.close()


def kill_during_backup(demo_db_path: Path, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    earlier = make_backup(
        demo_db_path, stick, PASS, app_version="0.test", now=datetime(2026, 11, 1), kdf=FAST
    ).path
    earlier_bytes = earlier.read_bytes()
    live = digest(demo_db_path)

    def back_up() -> None:
        make_backup(
            demo_db_path, stick, PASS, app_version="0.test", now=datetime(2026, 11, 2), kdf=FAST
        )

    n = 0
    while True:
        n += 1
        killed = _killed_at_line(n, back_up)
        assert digest(demo_db_path) == live
        assert earlier.read_bytes() == earlier_bytes
        _nothing_readable_in_ram(finished=False)
        for path in stick.glob(f"*{SUFFIX}"):  # anything under a final name is whole
            verify_bytes(path.read_bytes(), PASS)
        _nothing_readable_in_ram(finished=not killed)  # (verify_bytes cleared old names)
        if not killed:
            break
        # Back to the same start for the next kill: the next run removes leftovers itself
        # (tested elsewhere), and a backup that got its name (verified above) is set aside.
        for path in stick.iterdir():
            if path != earlier:
                path.unlink()
    print(f"backup stepped through {n} lines")
    assert n > 20  # the loop really stepped through the code
    assert len(list(stick.glob(f"*{SUFFIX}"))) == 2


def kill_during_restore(demo_db_path: Path, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    data = make_backup(demo_db_path, stick, PASS, app_version="0.test", kdf=FAST).path.read_bytes()
    # The newest change lives only in the -wal, as after a crash a moment before: the kept
    # copy must hold it, and the "old" outcome must still show it.
    subprocess.run(
        [sys.executable, "-c", _SAVE_AND_DIE.format(path=str(demo_db_path))],
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    wal = Path(f"{demo_db_path}-wal")
    assert wal.stat().st_size > 0
    pristine = tmp_path / "pristine.db"
    copy_database(demo_db_path, pristine)
    shutil.copyfile(wal, f"{pristine}-wal")

    n = 0
    outcomes = set()
    while True:
        n += 1
        for journal in ("-wal", "-shm"):
            Path(f"{demo_db_path}{journal}").unlink(missing_ok=True)
        shutil.copyfile(pristine, demo_db_path)
        shutil.copyfile(f"{pristine}-wal", wal)
        killed = _killed_at_line(n, lambda: restore_backup(data, PASS, demo_db_path))
        _nothing_readable_in_ram(finished=not killed)
        if not killed:  # a finished restore leaves nothing stale beside the file
            assert not wal.exists() and not Path(f"{demo_db_path}-shm").exists()
        outcomes.add("old" if MARK in _notes(demo_db_path) else "restored")
        open_database(demo_db_path).close()  # the next start: opens, cleans up
        assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob(".*.partial"))
        for kept in tmp_path.glob("demo.db.before-restore-*.bak"):
            assert MARK in _notes(kept)  # a kept copy is always whole and current
            kept.unlink()
        if not killed:
            break
    print(f"restore stepped through {n} lines")
    assert n > 20
    assert outcomes == {"old", "restored"}
    assert MARK not in _notes(demo_db_path)


def _in_a_fresh_process(which: str, demo_db_path: Path, tmp_path: Path) -> str:
    folder = tmp_path / which
    folder.mkdir()
    database = folder / "demo.db"
    copy_database(demo_db_path, database)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    ram = cipher.ram_folder()
    private_ram = ram / f"alliance-test-kills-{os.getpid()}-{which}" if ram else None
    if private_ram is not None:
        private_ram.mkdir()
    try:
        result = _run_loops(which, database, private_tmp, private_ram)
    finally:
        if private_ram is not None:
            shutil.rmtree(private_ram, ignore_errors=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # Hundreds of kills left no copy of the records in a temporary folder.
    assert list(private_tmp.iterdir()) == []
    return result.stdout


def _run_loops(
    which: str, database: Path, private_tmp: Path, private_ram: Path | None
) -> subprocess.CompletedProcess[str]:
    ram = [str(private_ram)] if private_ram is not None else []
    return subprocess.run(
        [sys.executable, "-m", "tests.unit.storage.test_backup_kills", which, str(database), *ram],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, "TMPDIR": str(private_tmp)},
    )


@pytest.mark.kills
def test_a_kill_at_any_moment_of_a_backup_harms_nothing(demo_db_path: Path, tmp_path: Path) -> None:
    assert "backup stepped through" in _in_a_fresh_process("backup", demo_db_path, tmp_path)


@pytest.mark.kills
def test_a_kill_at_any_moment_of_a_restore_leaves_a_healthy_database(
    demo_db_path: Path, tmp_path: Path
) -> None:
    assert "restore stepped through" in _in_a_fresh_process("restore", demo_db_path, tmp_path)


if __name__ == "__main__":
    if len(sys.argv) > 3:  # a private folder on the tmpfs: only this run's images are in it
        cipher.RAM_FOLDER = Path(sys.argv[3])
    _database = Path(sys.argv[2])
    {"backup": kill_during_backup, "restore": kill_during_restore}[sys.argv[1]](
        _database, _database.parent
    )
