"""Session editor benchmark: ``python -m benchmarks.editor`` (also part of ``make bench``).

One client with 500 weekly sessions (ORS and SRS each time, WAI-SR every fourth). Measured
in a fresh offscreen process: opening the editor (reading the record, building and showing
the dialog with its live preview) and saving a new session (checking, storing, renumbering
and updating the client's summary in one transaction). Target: each <= 100 ms.
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
from alliance_desktop.services.session_form import editor_context
from alliance_desktop.ui.session_editor import SessionEditor

def open_editor():
    editor = SessionEditor(None, db, editor_context(db, client_id))
    editor.show()
    app.processEvents()
    return editor

from alliance_desktop.app import freeze_startup_objects
freeze_startup_objects()  # as run_gui does once the window is up
open_editor().discard_and_close()  # warm-up
opening, saving = [], []
for i in range(9):
    t = time.perf_counter()
    editor = open_editor()
    opening.append((time.perf_counter() - t) * 1000)
    start = datetime.now().replace(second=0, microsecond=0) - timedelta(hours=2 * i + 2)
    editor._fields["start"].put(start.strftime("%Y-%m-%d %H:%M"))
    for box_id, box in editor.instrument_boxes.items():
        box.setChecked(box_id in ("ORS", "SRS"))
    for k in range(1, 5):
        editor._fields[f"measure_SRS_{{k}}"].put("9")
        editor._fields[f"measure_ORS_{{k}}"].put("6")
    t = time.perf_counter()
    assert editor.save(), editor.problem.text()
    saving.append((time.perf_counter() - t) * 1000)
    app.processEvents()
db.close()
print(json.dumps({{"open_ms": statistics.median(opening), "open_max_ms": max(opening),
                  "save_ms": statistics.median(saving), "save_max_ms": max(saving)}}))
"""
)


def measure() -> list[tuple[str, str, str]]:
    """Rows for the README table."""
    with tempfile.TemporaryDirectory(prefix="alliance-bench-editor-") as folder:
        code = _CHILD.format(
            path=str(Path(folder) / "editor.db"), home=str(Path(folder) / "home"), sessions=SESSIONS
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
        )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return [
        (
            f"Session editor: open for a client with {SESSIONS} sessions, median of 9 (max)",
            f"{figures['open_ms']:.0f} ms ({figures['open_max_ms']:.0f} ms)",
            "<= 100 ms",
        ),
        (
            "Session editor: save a session for that client, median of 9 (max)",
            f"{figures['save_ms']:.0f} ms ({figures['save_max_ms']:.0f} ms)",
            "<= 100 ms",
        ),
    ]


def main() -> None:
    print_table(measure())


if __name__ == "__main__":
    main()
