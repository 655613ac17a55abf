"""The benchmark's regression list (benchmarks/regressions.py): times are compared after
the machine's own pace, which the reference rows measure; ratios, sizes and shares are not
scaled; the references themselves are not listed."""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from types import ModuleType


def _load_regressions() -> ModuleType:
    """benchmarks/regressions.py, imported without leaving the benchmarks' passphrase in the
    environment (``benchmarks/__init__.py`` sets it for the commands it runs; here it would
    reach every later test in this process)."""
    before = os.environ.get("ALLIANCE_PASSPHRASE")
    try:
        return importlib.import_module("benchmarks.regressions")
    finally:
        if before is None:
            os.environ.pop("ALLIANCE_PASSPHRASE", None)
        else:
            os.environ["ALLIANCE_PASSPHRASE"] = before


_regressions = _load_regressions()
is_time = _regressions.is_time
machine_speed = _regressions.machine_speed
moved = _regressions.moved
row_key = _regressions.row_key
save = _regressions.save

STORED_ROWS = [
    ("Reference: `python -c pass`", "0.020 s", "-"),
    ("Floor app: bare window, same Qt and ORM, 10,000-row table", "0.40 s", "-"),
    ("Client list, one query (median of 7)", "100 ms", "<= 150 ms"),
    ("Window: filter keystroke, median of 27 (max)", "3.0 ms (9.0 ms)", "<= 16 ms"),
    ("Window launch / floor", "1.30x (0.52 s)", "<= 1.5x"),
    ("Database size", "142 MB", "-"),
]


def _stored(tmp_path: Path) -> Path:
    path = tmp_path / "figures.json"
    save(STORED_ROWS, 10_000, path)
    return path


def test_a_slower_machine_moves_nothing_that_kept_its_pace(tmp_path: Path) -> None:
    path = _stored(tmp_path)
    slower = [
        ("Reference: `python -c pass`", "0.030 s", "-"),
        ("Floor app: bare window, same Qt and ORM, 10,000-row table", "0.60 s", "-"),
        ("Client list, one query (median of 7)", "150 ms", "<= 150 ms"),
        ("Window: filter keystroke, median of 31 (max)", "4.4 ms (13 ms)", "<= 16 ms"),
        ("Window launch / floor", "1.30x (0.78 s)", "<= 1.5x"),
        ("Database size", "142 MB", "-"),
    ]
    stored = json.loads(path.read_text("utf-8"))["figures"]
    assert machine_speed(slower, stored) == 1.5
    lines = moved(slower, 10_000, 0.05, path)
    assert lines[0].startswith("Compared with figures.json (the reference rows took 1.50x")
    assert lines[0].endswith(": 0 moved.")


def test_a_figure_slower_than_the_machine_is_listed_and_a_ratio_is_not_scaled(
    tmp_path: Path,
) -> None:
    path = _stored(tmp_path)
    rows = [
        ("Reference: `python -c pass`", "0.030 s", "-"),  # the machine: 1.5x
        ("Client list, one query (median of 7)", "300 ms", "<= 150 ms"),  # 2x the pace
        ("Window launch / floor", "1.95x (0.78 s)", "<= 1.5x"),  # a ratio: +50%
        ("Database size", "142 MB", "-"),
    ]
    lines = moved(rows, 10_000, 0.05, path)
    assert lines[1:] == [
        "Client list, one query (median of 7): 100 -> 300 (+100% relative to the machine)",
        "Window launch / floor: 1.3 -> 1.95 (+50%)",
    ]


def test_without_reference_rows_times_are_compared_as_they_are(tmp_path: Path) -> None:
    path = _stored(tmp_path)
    rows = [("Client list, one query (median of 7)", "110 ms", "<= 150 ms")]
    assert machine_speed(rows, json.loads(path.read_text("utf-8"))["figures"]) is None
    (header,) = moved(rows, 10_000, 0.05, path)
    assert header.startswith("Compared with figures.json (noise here 5%; threshold 15%)")


def test_what_counts_as_a_time() -> None:
    assert is_time("1.52 s") and is_time("9.7 ms (11.7 ms)") and is_time("0.036 s")
    assert not is_time("1.67x (1.22 s)") and not is_time("142 MB")
    assert not is_time("63% (147 of 234)") and not is_time("10,000 clients")
    assert row_key("median of 27 (max)") == row_key("median of 31 (max)")
