"""Bundle benchmark (part of ``make bench``): the installed program against the source install.

Launch to client list shown, as a therapist waits for it: the command starts, unlocks the
database (``$ALLIANCE_PASSPHRASE``, so the same key derivation in both), builds the window
and logs "client list shown" once the list is filled. The time is from the start of the
process to that line appearing in the log, median of three, for the source install
(``.venv/bin/alliance-desktop``) and the PyInstaller bundle ``make package`` built
(``dist/alliance-desktop``) on the same database. Also ``--version`` (start-up with no
window) and the bundle's and tarball's sizes. Without a built bundle the rows say so.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from alliance_desktop.storage.keys import keys_path
from benchmarks import Row

ROOT = Path(__file__).resolve().parent.parent
LOG_LINE = "client list shown"


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "XDG_"))}
    env.update(HOME=str(home), ALLIANCE_HOME=str(home / "alliance"), QT_QPA_PLATFORM="offscreen")
    return env


def _launch_seconds(command: list[str], database: Path) -> float:
    """Seconds from starting ``command --db database`` to its "client list shown" log line."""
    with tempfile.TemporaryDirectory(prefix="alliance-launch-") as folder:
        home = Path(folder)
        log = home / "alliance" / "logs" / "alliance-desktop.log"
        start = time.perf_counter()
        window = subprocess.Popen(
            [*command, "--db", str(database)],
            env=_clean_env(home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while time.perf_counter() - start < 300:
                if log.exists() and LOG_LINE in log.read_text(encoding="utf-8", errors="replace"):
                    return time.perf_counter() - start
                if window.poll() is not None:
                    raise RuntimeError(f"{command[0]} exited ({window.returncode}) before the list")
                time.sleep(0.005)
            raise RuntimeError(f"{command[0]}: no client list within 300 s")
        finally:
            # Stopped as a crash would stop it: the window lock it leaves is taken over by the
            # next launch (its process is gone), and SQLite's log is replayed.
            window.terminate()
            window.wait(timeout=60)


def _version_seconds(command: list[str]) -> float:
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([*command, "--version"], capture_output=True, check=True, timeout=60)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure(database: Path) -> list[Row]:
    """Rows comparing the bundle with the source install on ``database`` (copied, not used)."""
    manifest = ROOT / "dist" / "package.json"
    if not manifest.exists():
        return [("Bundle (PyInstaller, one folder)", "not built: run `make package` first", "-")]
    package = json.loads(manifest.read_text(encoding="utf-8"))
    source = [str(Path(sys.executable).with_name("alliance-desktop"))]
    bundle = [package["executable"]]
    with tempfile.TemporaryDirectory(prefix="alliance-bundle-bench-") as folder:
        copy = Path(folder) / "caseload.db"
        shutil.copy2(database, copy)
        shutil.copy2(keys_path(database), keys_path(copy))
        launches = {
            name: statistics.median(_launch_seconds(command, copy) for _ in range(3))
            for name, command in (("source", source), ("bundle", bundle))
        }
    versions = {
        name: _version_seconds(cmd) for name, cmd in (("source", source), ("bundle", bundle))
    }
    ratio = launches["bundle"] / launches["source"]
    rows: list[Row] = [
        (
            "Bundle: launch to client list shown (source install in the same run)",
            f"{launches['bundle']:.2f} s ({launches['source']:.2f} s; {ratio:.2f}x)",
            "<= 1.1x source",
        ),
        (
            "Bundle: `alliance-desktop --version` (source install)",
            f"{versions['bundle'] * 1000:.0f} ms ({versions['source'] * 1000:.0f} ms)",
            "-",
        ),
        ("Bundle size on disk (one folder)", f"{package['bundle_bytes'] / 1e6:.0f} MB", "-"),
    ]
    if "archive_bytes" in package:
        rows.append(("Linux tarball download", f"{package['archive_bytes'] / 1e6:.0f} MB", "-"))
    return rows
