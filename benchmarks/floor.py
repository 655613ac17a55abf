"""The floor a window launch is measured against (issue 18): the least any such app can do.

A bare ``QMainWindow`` that imports the same Qt modules and the same ORM as Alliance Desktop
(PySide6 widgets and charts, SQLAlchemy's ORM and the app's table models), then shows a
``QTableView`` of ``rows`` clients x 7 columns from a plain list model, Fusion style.
No database, no unlock, no dashboard. The time is from the start of the process to the
table shown with its rows, measured by the parent as for the real window.

    python -m benchmarks.floor --rows 10000   # prints READY when the table is shown
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from benchmarks import Row

FLOOR_SCRIPT = """
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
import PySide6.QtCharts  # the app's window imports it too (the record's charts)
import sqlalchemy.orm
import alliance_desktop.storage.models  # the same ORM models, mapped

ROWS = {rows}
data = [
    (f"C-{{i:05d}}", f"Given{{i}} Family{{i % 997}}", "Active", str(i % 40),
     "2026-11-20", f"SRS {{30 + i % 10}}.5", "")
    for i in range(ROWS)
]


class Model(QAbstractTableModel):
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(data)

    def columnCount(self, parent=QModelIndex()):
        return 7

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return data[index.row()][index.column()]
        return None


app = QApplication(sys.argv[:1])
app.setStyle("Fusion")
window = QMainWindow()
table = QTableView()
table.setModel(Model())
window.setCentralWidget(table)
window.resize(1280, 720)
window.show()
app.processEvents()
table.viewport().repaint()
print("READY", flush=True)
"""


def launch_seconds(rows: int) -> float:
    """Seconds from starting the floor app to its table of ``rows`` rows shown (one run)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", FLOOR_SCRIPT.format(rows=rows)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    seconds = 0.0
    for line in process.stdout:
        if line.strip() == "READY":
            seconds = time.perf_counter() - start
    process.wait(timeout=120)
    if not seconds:
        raise RuntimeError("the floor app did not show its table")
    return seconds


def measure(rows: int, repeats: int = 3) -> float:
    """The median of ``repeats`` launches of the floor app."""
    samples = sorted(launch_seconds(rows) for _ in range(repeats))
    return samples[len(samples) // 2]


def rows_for(rows: int, window_seconds: float) -> list[Row]:
    """The floor's row and the window's ratio to it, for ``make bench``'s table."""
    floor = measure(rows)
    return [
        (f"Floor app: bare window, same Qt and ORM, {rows:,}-row table (fresh process)",
         f"{floor:.2f} s", "-"),
        (
            "Window launch (without the unlock's key derivation) / floor",
            f"{window_seconds / floor:.2f}x ({window_seconds:.2f} s)",
            "<= 1.5x at 10k, <= 2x at 50k",
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floor")
    parser.add_argument("--rows", type=int, default=10_000)
    print(f"{measure(parser.parse_args().rows):.3f} s")
