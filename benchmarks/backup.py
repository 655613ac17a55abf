"""Backup benchmark (part of ``make bench``): backup plus verify against ``cp`` plus ``sync``.

On the 10,000-client (about 200,000-session) database ``make bench`` generates, in the same
run and to the same local folder: copying the file with ``cp`` and then ``sync`` (the
least any backup must do), against ``make_backup`` (a plain snapshot built by SQLite in a
nameless file in RAM, integrity and foreign-key checks of the live file, compression,
Argon2id and AES-256-GCM, write, fsync, read back and verify, rename). Targets (issue 18):
at most 8 times the copy on the local disk, 3 times on a FAT32 image mounted with fusefat,
as a stand-in for a USB stick, where the machine allows it (the local disk of a CI machine
writes at page-cache speed, which no stick does). Then a restore of that backup into a
fresh folder (verify, rename, open). Each figure is the median of three runs. Peak memory
is measured in fresh processes: the whole process's high-water mark (on Linux ``VmHWM``,
restarted when the process starts: a child's ``ru_maxrss`` counts its parent's size at the
fork, which would make every figure at least the benchmark's own; else ``ru_maxrss``), and
on Linux also the peak of the backup alone (with its read-back verification), above what
the process held once the database was unlocked (the unlock's own Argon2 work area comes
before it). The snapshot's image lives in a tmpfs file (``/dev/shm``): RAM, but not in the
process's resident size, so on Linux the backup's peak is also sampled (every 2 ms) as the
resident size plus the tmpfs space the process's image files hold at the same moment.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from benchmarks import PASSPHRASE


def _median_seconds(action: Callable[[int], object], repeats: int = 3) -> float:
    samples = []
    for attempt in range(repeats):
        start = time.perf_counter()
        action(attempt)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


@contextlib.contextmanager
def _fat32_stick(size_mb: int) -> Iterator[Path | None]:
    """A FAT32 image mounted with fusefat (as the tests use), or None where that is not
    possible. USB sticks are FAT32; the local disk here writes at page-cache speed."""
    tools = [shutil.which(t) for t in ("fusefat", "mkfs.vfat", "fusermount")]
    if not all(tools) or not os.access("/dev/fuse", os.R_OK | os.W_OK):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="alliance-bench-fat-") as folder:
        image, point = Path(folder) / "stick.img", Path(folder) / "stick"
        point.mkdir()
        with image.open("wb") as handle:
            handle.truncate(size_mb * 1024 * 1024)
        subprocess.run(["mkfs.vfat", "-F", "32", str(image)], check=True, capture_output=True)
        mounted = subprocess.run(
            ["fusefat", "-o", "rw+", str(image), str(point)], check=False, capture_output=True
        )
        if mounted.returncode != 0:
            yield None
            return
        try:
            yield point
        finally:
            subprocess.run(["fusermount", "-u", str(point)], check=False, capture_output=True)


def _copy_and_backup(database: Path, folder: Path) -> tuple[float, float, Path]:
    from alliance_desktop.storage.backup import make_backup
    from alliance_desktop.storage.keys import unlock

    key = unlock(database, PASSPHRASE)

    def copy(attempt: int) -> None:
        target = folder / f"copy-{attempt}.db"
        subprocess.run(["cp", str(database), str(target)], check=True)
        subprocess.run(["sync"], check=True)
        target.unlink()  # room on the stick for the next run

    def back_up(attempt: int) -> None:
        target = folder / f"backups-{attempt}"
        target.mkdir()
        make_backup(database, target, PASSPHRASE, key=key, app_version="bench")

    copy_s = _median_seconds(copy)
    backup_s = _median_seconds(back_up)
    (made,) = (folder / "backups-0").glob("*.allbak")
    return copy_s, backup_s, made


_PEAK = """
import json, os, resource, sys, tempfile, threading


def status_mb(field):
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reset_peak():
    try:  # Linux: VmHWM starts again from the present size
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def ram_images_mb():
    # tmpfs space held by this process's nameless image files (each inode once)
    held = {{}}
    try:
        for fd in os.listdir("/proc/self/fd"):
            try:
                if "alliance-desktop-image" in os.readlink(f"/proc/self/fd/{{fd}}"):
                    info = os.stat(f"/proc/self/fd/{{fd}}")
                    held[info.st_ino] = info.st_blocks * 512
            except OSError:
                pass
    except OSError:
        return None
    return sum(held.values()) / 1024 / 1024


class Sampler(threading.Thread):
    # the highest resident size plus image space seen, sampled every 2 ms

    def __init__(self):
        super().__init__(daemon=True)
        self.done = threading.Event()
        self.peak = None

    def run(self):
        while not self.done.is_set():
            rss, images = status_mb("VmRSS"), ram_images_mb()
            if rss is not None and images is not None:
                self.peak = max(self.peak or 0.0, rss + images)
            self.done.wait(0.002)


# ru_maxrss of a child counts its parent's size at the fork (Linux keeps it across exec),
# so where the system allows, the high-water mark is started afresh here.
fresh = reset_peak()
from pathlib import Path
from alliance_desktop.storage.backup import make_backup
from alliance_desktop.services.backups import restore_from, verify_backup
from alliance_desktop.storage.keys import unlock

peaks = []  # the process's high-water marks, one per stretch between resets
figures = {{}}
if sys.argv[1] == "verify":
    sampler = Sampler()
    sampler.start()
    verify_backup(Path(sys.argv[2]), {passphrase!r})
    sampler.done.set()
    sampler.join()
    if sampler.peak is not None:
        figures["with_images_peak"] = sampler.peak
else:
    key = unlock(Path({database!r}), {passphrase!r})
    peaks.append(status_mb("VmHWM"))  # the imports and the unlock (its Argon2 work area)
    if fresh and reset_peak():
        figures["before"] = status_mb("VmRSS")
    sampler = Sampler()
    sampler.start()
    with tempfile.TemporaryDirectory(dir={folder!r}) as out:
        made = make_backup(
            Path({database!r}), Path(out), {passphrase!r}, key=key, app_version="bench"
        )
        sampler.done.set()
        sampler.join()
        if "before" in figures:
            figures["backup_peak"] = status_mb("VmHWM")
            if sampler.peak is not None:
                figures["with_images_peak"] = sampler.peak
        if sys.argv[1] == "restore":
            restore_from(made.path, {passphrase!r}, Path(out) / "restored.db")
peaks.append(status_mb("VmHWM"))
known = [peak for peak in peaks if peak is not None]
whole = max(known) if fresh and known else None
figures["maxrss"] = whole or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(figures))
"""


def _peak(database: Path, what: str, *args: str) -> dict[str, float | None]:
    """Memory figures (MB) of a fresh process doing one backup (and then one restore), or
    verifying one backup file."""
    code = _PEAK.format(folder=str(database.parent), database=str(database), passphrase=PASSPHRASE)
    result = subprocess.run(
        [sys.executable, "-c", code, what, *args], capture_output=True, text=True, check=True
    )
    figures: dict[str, float | None] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def _peak_mb(database: Path, what: str) -> float:
    """Peak memory of a fresh process doing one backup (and then one restore)."""
    return float(_peak(database, what)["maxrss"] or 0)


def _memory_rows(database: Path, made: Path) -> list[tuple[str, str, str]]:
    """The backup's own peak (above the unlocked process), and a full verify's."""
    size_mb = database.stat().st_size / 1e6
    rows = []
    figures = _peak(database, "backup")
    before, peak = figures.get("before"), figures.get("backup_peak")
    if before is not None and peak is not None:
        rows.append(
            (
                "Peak memory: backup + verify, above the unlocked process "
                f"({before:.0f} MB before it)",
                f"{peak - before:.0f} MB ({(peak - before) / size_mb:.1f}x the database)",
                "<= 1.5x the database",
            )
        )
    sampled = figures.get("with_images_peak")
    if before is not None and sampled is not None:
        rows.append(
            (
                "Peak memory: the same, sampled, with the snapshot's image in RAM (/dev/shm)",
                f"{sampled - before:.0f} MB ({(sampled - before) / size_mb:.1f}x the database)",
                "<= 1.5x the database",
            )
        )
    verifying = _peak(database, "verify", str(made))
    verified = verifying["maxrss"] or 0
    rows.append(
        ("Peak memory: a process verifying that backup (`verify`)", f"{verified:.0f} MB", "-")
    )
    sampled = verifying.get("with_images_peak")
    if sampled is not None:
        rows.append(
            (
                "Peak memory: the same, sampled, with the backup's image in RAM (/dev/shm)",
                f"{sampled:.0f} MB",
                "-",
            )
        )
    return rows


def measure(database: Path) -> list[tuple[str, str, str]]:
    """Rows for the README table."""
    from alliance_desktop.services.backups import restore_from

    size_mb = database.stat().st_size / 1e6
    with tempfile.TemporaryDirectory(prefix="alliance-bench-backup-", dir=database.parent) as out:
        folder = Path(out)
        copy_s, backup_s, made = _copy_and_backup(database, folder)
        backup_mb = made.stat().st_size / 1e6

        def restore(attempt: int) -> None:
            fresh = folder / f"restored-{attempt}"
            fresh.mkdir()
            restore_from(made, PASSPHRASE, fresh / "practice.db")

        restore_s = _median_seconds(restore)
        memory_rows = _memory_rows(database, made)
        shutil.rmtree(folder, ignore_errors=True)
    with _fat32_stick(int(size_mb * 1.5 + 4 * backup_mb + 64)) as stick:
        fat = _copy_and_backup(database, stick) if stick is not None else None
    rows = [
        (f"Local disk: `cp` + `sync` of the {size_mb:.0f} MB database", f"{copy_s:.2f} s", "-"),
        (
            f"Local disk: backup + verify of the same database (file {backup_mb:.0f} MB)",
            f"{backup_s:.2f} s ({backup_s / copy_s:.1f}x the copy)",
            "<= 8x the copy",
        ),
    ]
    if fat is not None:
        rows += [
            ("FAT32 stick (fusefat image): `cp` + `sync`", f"{fat[0]:.2f} s", "-"),
            (
                "FAT32 stick: backup + verify",
                f"{fat[1]:.2f} s ({fat[1] / fat[0]:.1f}x the copy)",
                "<= 3x the copy",
            ),
        ]
    rows.append(("Restore of that backup (verify, replace, open)", f"{restore_s:.2f} s", "-"))
    rows.append(
        ("Peak memory: a process making one backup", f"{_peak_mb(database, 'backup'):.0f} MB", "-")
    )
    rows.append(
        (
            "Peak memory: a process making one backup, then restoring it",
            f"{_peak_mb(database, 'restore'):.0f} MB",
            "-",
        )
    )
    return rows + memory_rows


if __name__ == "__main__":
    from benchmarks import print_table

    print_table(measure(Path(sys.argv[1])))
