"""Compare a ``make bench`` run with the figures stored in the repository (issue 18).

The stored figures are ``benchmarks/figures.json`` (written by ``python -m benchmarks
--save``). A figure is the first number of a row's result ("1.52 s", "9.7 ms (11.7 ms)",
"7.34 s (62.9x the copy)" give 1.52, 9.7, 7.34); rows are matched by name with their digits
blanked, so "median of 27" and "median of 31" are one row. A figure "moved" when it differs
from the stored one by more than the machine's noise, which is measured in the same run: a
fixed pure-Python workload timed nine times, its spread (max - min) / median, doubled, and
never under 15 %. Nothing here fails a build: the list says what to look at.

A shared virtual machine is also faster or slower as a whole from one day to the next (the
host's other tenants). The reference rows, which time no code of this project (``python -c
pass``, the floor app, ``cp`` + ``sync``, a plain JSON script, Argon2id), measure that: a
time is compared after dividing it by their median change since the stored run, so the list
names what moved relative to the machine, and the header says how fast the machine ran.
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


#: Rows that time no code of this project: how fast the machine runs today.
REFERENCE_ROWS = (
    "Reference: `python -c pass`",
    "Reference: Python loading SQLAlchemy's ORM and SQLCipher",
    "Floor app: bare window",
    "Local disk: `cp` + `sync`",
    "FAT32 stick (fusefat image): `cp` + `sync`",
    "Reference: a plain script writing",
    "Unlock: Argon2id",
)
_TIME = re.compile(r"^\s*-?\d[\d,]*(?:\.\d+)?\s*(?:s|ms)\b")


def is_time(result: str) -> bool:
    """Whether a result cell starts with a time ("1.52 s", "9.7 ms (11.7 ms)"), as opposed to
    a ratio, a size, a share or a count, which a slower machine does not change."""
    return _TIME.match(result) is not None


def machine_speed(rows: list[Row], stored: dict[str, float]) -> float | None:
    """The median of now / then over the reference rows both runs have (1.4: the machine
    took 1.4 times as long as when the figures were stored), or None without any."""
    ratios = []
    for name, result, _ in rows:
        if not name.startswith(REFERENCE_ROWS) or not is_time(result):
            continue
        now, before = figure(result), stored.get(row_key(name))
        if now and before:
            ratios.append(now / before)
    return statistics.median(ratios) if ratios else None


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
    speed = machine_speed(rows, stored["figures"])
    lines = []
    for name, result, _ in rows:
        now, before = figure(result), stored["figures"].get(row_key(name))
        if now is None or not before:
            continue
        if name.startswith(REFERENCE_ROWS):
            continue  # the machine itself: the header gives their pace
        scale = speed if speed is not None and is_time(result) else 1.0
        change = now / (before * scale) - 1
        if abs(change) > threshold:
            relative = " relative to the machine" if scale != 1.0 else ""
            lines.append(f"{name}: {before:g} -> {now:g} ({change:+.0%}{relative})")
    pace = (
        f"the reference rows took {speed:.2f}x their stored times, so times are compared "
        "after dividing by that; "
        if speed is not None
        else ""
    )
    header = (
        f"Compared with {path.name} ({pace}noise here {noise:.0%}; threshold "
        f"{threshold:.0%}): {len(lines)} moved."
    )
    return [header, *lines]
