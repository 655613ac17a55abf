"""Chart benchmark: ``python -m benchmarks.charts`` (also part of ``make bench``).

The 500-session client of ``big_client`` opened in the main window with the
"Alliance & outcome" tab showing: reading the record, building the SRS, WAI-SR and ORS
charts and painting them. Target: <= 100 ms. Measured in a fresh offscreen process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import print_table
from benchmarks.big_client import SESSIONS, SETUP

_CHILD = (
    SETUP
    + """
from alliance_desktop.app import build_main_window
from benchmarks import PASSPHRASE
from alliance_desktop.ui.background import wait_for_background_work
db.close()
window = build_main_window(Path({path!r}), passphrase=PASSPHRASE)
window.resize(1280, 900)
window.show()
wait_for_background_work()
app.processEvents()
from alliance_desktop.app import freeze_startup_objects
freeze_startup_objects()  # as run_gui does once the window is up
page = window.detail.charts_page

def open_record():
    window.clients.show_client(client_id)
    window.detail.tabs.setCurrentWidget(page)
    app.processEvents()  # lays out the charts
    for view in page.views.values():
        view.viewport().repaint()  # paints now, not when the event loop gets to it
    assert len(page.views) == 3

def leave():
    window.stack.setCurrentWidget(window.dashboard)  # so the next open draws afresh
    window.detail.tabs.setCurrentWidget(window.detail.overview_tab)
    page.charts = None
    app.processEvents()

open_record(); leave()  # warm-up
samples = []
for _ in range(9):
    t = time.perf_counter()
    open_record()
    samples.append((time.perf_counter() - t) * 1000)
    leave()
points = sum(len(v.line_series[k].points()) for v in page.views.values() for k in v.line_series)
window.db.close()
print(json.dumps({{"open_ms": statistics.median(samples), "open_max_ms": max(samples),
                  "points": points}}))
"""
)


def measure() -> list[tuple[str, str, str]]:
    """Rows for the README table."""
    with tempfile.TemporaryDirectory(prefix="alliance-bench-charts-") as folder:
        code = _CHILD.format(
            path=str(Path(folder) / "charts.db"), home=str(Path(folder) / "home"), sessions=SESSIONS
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
        )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return [
        (
            f"Client record with {SESSIONS} sessions opened on its charts "
            f"({figures['points']:.0f} points drawn), median of 9 (max)",
            f"{figures['open_ms']:.0f} ms ({figures['open_max_ms']:.0f} ms)",
            "<= 100 ms",
        )
    ]


def main() -> None:
    print_table(measure())


if __name__ == "__main__":
    main()
