"""Compare a ``make bench`` run with the figures stored in the repository (issue 18).

The stored figures are ``benchmarks/figures.json`` (written by ``python -m benchmarks
--save``). A figure is the first number of a row's result ("1.52 s", "9.7 ms (11.7 ms)",
"7.34 s (62.9x the copy)" give 1.52, 9.7, 7.34); rows are matched by name with their digits
blanked, so "median of 27" and "median of 31" are one row. A figure "moved" when it differs
from the stored one by more than the machine's noise, which is measured in the same run: a
fixed pure-Python workload timed nine times, its spread (max - min) / median, doubled, and
never under 15 %. Nothing here fails a build: the list says what to look at.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from pathlib import Path

from benchmarks import Row

STORED = Path(__file__).with_name("figures.json")
MIN_THRESHOLD = 0.15
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def figure(result: str) -> float | None:
    """The first number in a result cell, or None (a row like "not built")."""
    match = _NUMBER.search(result)
    return float(match.group().replace(",", "")) if match else None


def row_key(name: str) -> str:
    """A row's name with its counts blanked, so the same measure matches across runs."""
    return re.sub(r"\d[\d,.]*", "#", name)


def machine_noise(repeats: int = 9) -> float:
    """Relative spread of a fixed CPU workload on this machine right now."""

    def work() -> int:
        total = 0
        for i in range(300_000):
            total += i * i % 7
        return total

    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return (max(samples) - min(samples)) / statistics.median(samples)


def save(rows: list[Row], clients: int, path: Path = STORED) -> None:
    """Store this run's figures as the ones later runs are compared with."""
    figures = {row_key(name): value for name, result, _ in rows if (value := figure(result))}
    document = {
        "clients": clients,
        "python": sys.version.split()[0],
        "figures": figures,
    }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def moved(rows: list[Row], clients: int, noise: float, path: Path = STORED) -> list[str]:
    """Lines naming every figure that moved beyond the noise since the stored run."""
    if not path.exists():
        return [f"No stored figures ({path.name}); `python -m benchmarks --save` stores these."]
    stored = json.loads(path.read_text(encoding="utf-8"))
    if stored.get("clients") != clients:
        return [
            f"The stored figures are for {stored.get('clients'):,} clients, this run for "
            f"{clients:,}: not compared."
        ]
    threshold = max(MIN_THRESHOLD, 2 * noise)
    lines = []
    for name, result, _ in rows:
        now, before = figure(result), stored["figures"].get(row_key(name))
        if now is None or not before:
            continue
        change = now / before - 1
        if abs(change) > threshold:
            lines.append(f"{name}: {before:g} -> {now:g} ({change:+.0%})")
    header = (
        f"Compared with {path.name} (noise here {noise:.0%}; threshold {threshold:.0%}): "
        f"{len(lines)} moved."
    )
    return [header, *lines]
