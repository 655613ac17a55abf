"""Backup benchmark (part of ``make bench``): backup plus verify against ``cp`` plus ``sync``.

On the 10,000-client (about 200,000-session) database ``make bench`` generates, in the same
run and to the same local folder: copying the file with ``cp`` and then ``sync`` (the
least any backup must do), against ``make_backup`` (snapshot with SQLite's backup API,
integrity and foreign-key checks, compression, Argon2id and AES-256-GCM, write, fsync, read
back and verify, rename). Target: at most 3 times the copy. Then a restore of that backup
into a fresh folder (verify, keep nothing, rename, migrate check on open). Each figure is
the median of three runs.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PASSPHRASE = "benchmark passphrase"


def _median_seconds(action: Callable[[int], object], repeats: int = 3) -> float:
    samples = []
    for attempt in range(repeats):
        start = time.perf_counter()
        action(attempt)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure(database: Path) -> list[tuple[str, str, str]]:
    """Rows for the README table."""
    from alliance_desktop.services.backups import restore_from
    from alliance_desktop.storage.backup import make_backup

    size_mb = database.stat().st_size / 1e6
    with tempfile.TemporaryDirectory(prefix="alliance-bench-backup-", dir=database.parent) as out:
        folder = Path(out)

        def copy(attempt: int) -> None:
            subprocess.run(["cp", str(database), str(folder / f"copy-{attempt}.db")], check=True)
            subprocess.run(["sync"], check=True)

        def back_up(attempt: int) -> None:
            target = folder / f"backups-{attempt}"
            target.mkdir()
            make_backup(database, target, PASSPHRASE, app_version="bench")

        copy_s = _median_seconds(copy)
        backup_s = _median_seconds(back_up)
        (made,) = (folder / "backups-0").glob("*.allbak")
        backup_mb = made.stat().st_size / 1e6

        def restore(attempt: int) -> None:
            fresh = folder / f"restored-{attempt}"
            fresh.mkdir()
            restore_from(made, PASSPHRASE, fresh / "practice.db")

        restore_s = _median_seconds(restore)
        shutil.rmtree(folder, ignore_errors=True)
    ratio = backup_s / copy_s if copy_s else float("inf")
    return [
        (f"`cp` + `sync` of the {size_mb:.0f} MB database", f"{copy_s:.2f} s", "-"),
        (
            f"Backup + verify of the same database (file {backup_mb:.0f} MB, encrypted)",
            f"{backup_s:.2f} s ({ratio:.1f}x the copy)",
            "<= 3x the copy",
        ),
        ("Restore of that backup (verify, replace, open)", f"{restore_s:.2f} s", "-"),
    ]


if __name__ == "__main__":
    import sys

    for row in measure(Path(sys.argv[1])):
        print(" | ".join(row))
