"""Run the benchmarks: ``python -m benchmarks [--clients N] [--seed S]``.

Generates a synthetic caseload (10,000 clients by default, about 200,000 sessions) into a
temporary folder, then measures what a user waits for. Each row names its target; the table
is printed as Markdown for the README. Peak memory is measured in separate processes so one
measurement does not inflate the next.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from benchmarks import PASSPHRASE, Row, print_table, run_child

AS_OF = date(2026, 11, 20)


def _median_ms(action: Callable[[], object], repeats: int = 7) -> float:
    action()  # warm-up: first query pays for page cache and statement compilation
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


_GENERATE = """
import json, resource, time
from datetime import date
from pathlib import Path
from alliance_desktop.storage.database import open_database
from benchmarks import PASSPHRASE
from alliance_desktop.services.demo import generate_demo
start = time.perf_counter()
db = open_database(Path({path!r}), passphrase=PASSPHRASE)
result = generate_demo(db, {clients}, seed={seed}, as_of=date.fromisoformat({as_of!r}))
db.checkpoint()
db.close()
print(json.dumps({{"seconds": time.perf_counter() - start, "sessions": result.sessions,
                  "measurements": result.measurements,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

_LIST = """
import json, resource, time
start = time.perf_counter()
from pathlib import Path
from alliance_desktop.storage.database import open_database
from benchmarks import PASSPHRASE
from alliance_desktop.services.summaries import list_clients
db = open_database(Path({path!r}), passphrase=PASSPHRASE)
rows = list_clients(db)
first = time.perf_counter() - start
db.close()
print(json.dumps({{"rows": len(rows), "cold_seconds": first,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


_GUI = """
import json, os, resource, statistics, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["ALLIANCE_HOME"] = {home!r}
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
app.setStyle("Fusion")
from alliance_desktop.app import build_main_window
from benchmarks import PASSPHRASE
window = build_main_window(Path({path!r}), passphrase=PASSPHRASE)
window.show()
while window.client_list.model.total_count() == 0:
    app.processEvents()
    time.sleep(0.001)
app.processEvents()
print("READY", flush=True)
while window.clients.loading:  # the rest of the list and the dashboard (issue 18)
    app.processEvents()
    time.sleep(0.001)
panel = window.client_list
panel.set_status(None)
samples = []
for word in ("kowalczyk", "zoe", "c-09", "łukasiewicz"):
    panel.filter_edit.clear()
    app.processEvents()
    for length in range(1, len(word) + 1):
        start = time.perf_counter()
        panel.filter_edit.setText(word[:length])  # what a keystroke does
        panel.table.viewport().repaint()
        samples.append((time.perf_counter() - start) * 1000)
from datetime import date
from alliance_desktop.services.dashboard import load_caseload
_, dashboard = load_caseload(window.db, date.fromisoformat({as_of!r}))
window.client_list.table.clearSelection()
shown = []
for _ in range(5):  # what the UI thread does when a background reload hands it the result
    start = time.perf_counter()
    window.dashboard.show_dashboard(dashboard)
    app.processEvents()  # includes fitting the wrapped reasons
    window.dashboard.repaint()
    shown.append((time.perf_counter() - start) * 1000)
entries = sum(len(g.entries) for g in dashboard.groups)
window.close()
# The unlock's key derivation, timed on its own: the launch figure is also given without it
# (Argon2id is slow on purpose and has its own benchmark).
from alliance_desktop.storage import keys
kdf_start = time.perf_counter()
keys.unlock(Path({path!r}), PASSPHRASE)
kdf_seconds = time.perf_counter() - kdf_start
print(json.dumps({{"median_ms": statistics.median(samples), "max_ms": max(samples),
                  "kdf_seconds": kdf_seconds,
                  "keystrokes": len(samples), "dashboard_ms": statistics.median(shown),
                  "dashboard_entries": entries,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _gui_figures(path: Path, home: Path) -> tuple[float, dict[str, float]]:
    """Launch the window on ``path`` in a fresh process: seconds to list shown, and figures."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _GUI.format(path=str(path), home=str(home), as_of=AS_OF.isoformat()),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    launch = 0.0
    last = ""
    for line in process.stdout:
        if line.strip() == "READY":
            launch = time.perf_counter() - start
        last = line
    process.wait(timeout=600)
    return launch, json.loads(last)


def _caseload_rows(path: Path, folder: Path, clients: int, seed: int) -> list[Row]:
    """Generate the caseload into ``path`` and measure everything that depends on its size."""
    print(f"Generating {clients:,} clients into {path} …", file=sys.stderr)
    generated = run_child(
        _GENERATE.format(path=str(path), clients=clients, seed=seed, as_of=AS_OF.isoformat())
    )
    size_mb = path.stat().st_size / 1e6

    from alliance_desktop.services.dashboard import load_caseload
    from alliance_desktop.services.summaries import list_clients
    from alliance_desktop.storage import repository
    from alliance_desktop.storage.database import open_database

    db = open_database(path, passphrase=PASSPHRASE)
    try:
        list_query_ms = _median_ms(lambda: repository.list_client_rows(db))
        list_service_ms = _median_ms(lambda: list_clients(db))
        dashboard_ms = _median_ms(lambda: load_caseload(db, AS_OF))
    finally:
        db.close()
    listed = run_child(_LIST.format(path=str(path)))
    cli_start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "alliance_desktop", "--db", str(path), "clients", "--json"],
        capture_output=True,
        check=True,
        timeout=600,
    )
    cli_seconds = time.perf_counter() - cli_start
    launch_seconds, gui = _gui_figures(path, folder / "home")
    from benchmarks.floor import rows_for as floor_rows

    rows: list[Row] = [
        (
            "Caseload",
            f"{clients:,} clients, {generated['sessions']:,.0f} sessions, "
            f"{generated['measurements']:,.0f} measurements",
            "-",
        ),
        ("Generate demo caseload (`demo`)", f"{generated['seconds']:.1f} s", "-"),
        ("Database size", f"{size_mb:.0f} MB", "-"),
        ("Peak memory while generating", f"{generated['peak_mb']:.0f} MB", "-"),
        ("Client-list summary, one query (median of 7)", f"{list_query_ms:.0f} ms", "<= 150 ms"),
        ("Client list via service incl. staleness check", f"{list_service_ms:.0f} ms", "<= 150 ms"),
        (
            "Open database + first list in a fresh process",
            f"{listed['cold_seconds'] * 1000:.0f} ms",
            "-",
        ),
        ("Peak memory of that process", f"{listed['peak_mb']:.0f} MB", "<= 250 MB"),
        ("`alliance-desktop clients --json`, whole command", f"{cli_seconds:.2f} s", "-"),
        ("Window: launch to client list shown (fresh process)", f"{launch_seconds:.2f} s", "-"),
        (
            "Window: the same without the unlock's key derivation",
            f"{launch_seconds - gui['kdf_seconds']:.2f} s "
            f"(key derivation {gui['kdf_seconds']:.2f} s)",
            "-",
        ),
        (
            f"Window: filter keystroke, median of {gui['keystrokes']:.0f} (max)",
            f"{gui['median_ms']:.1f} ms ({gui['max_ms']:.1f} ms)",
            "<= 16 ms",
        ),
        (
            "Dashboard data: client list with alerts, grouping and this week's counts "
            "(off the UI thread)",
            f"{dashboard_ms:.0f} ms",
            "<= 500 ms",
        ),
        (
            f"Dashboard shown on the UI thread ({gui['dashboard_entries']:.0f} client lines "
            "under the headings, at most 100 per heading built)",
            f"{gui['dashboard_ms']:.0f} ms",
            "<= 500 ms",
        ),
        ("Window: peak memory", f"{gui['peak_mb']:.0f} MB", "<= 250 MB"),
        *floor_rows(clients, launch_seconds - gui["kdf_seconds"]),
    ]
    from benchmarks.backup import measure as measure_backup
    from benchmarks.bundle import measure as measure_bundle
    from benchmarks.export import measure as measure_export
    from benchmarks.headless import measure as measure_headless

    rows += measure_headless(path)
    return rows + measure_backup(path) + measure_export(path, repeats=1) + measure_bundle(path)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the generated database at this path")
    parser.add_argument(
        "--save", action="store_true", help="store these figures as benchmarks/figures.json"
    )
    args = parser.parse_args()

    from benchmarks.regressions import machine_noise, moved, save

    noise = machine_noise()
    with tempfile.TemporaryDirectory(prefix="alliance-bench-") as folder:
        path = args.keep or Path(folder) / "caseload.db"
        if path.exists():
            sys.exit(f"{path} exists; choose a new --keep path")
        rows = _caseload_rows(path, Path(folder), args.clients, args.seed)

    from benchmarks.alerts import measure as measure_alerts
    from benchmarks.charts import measure as measure_charts
    from benchmarks.editor import measure as measure_editor
    from benchmarks.encryption import measure as measure_encryption
    from benchmarks.reports import measure as measure_reports

    rows += measure_editor()
    rows += measure_charts()
    rows += measure_reports()
    rows += measure_alerts()
    rows += measure_encryption()
    print_table(rows)
    print()
    for line in moved(rows, args.clients, noise):
        print(line)
    if args.save:
        save(rows, args.clients)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n(benchmark driver peak memory {own:.0f} MB; Python {sys.version.split()[0]})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
