"""Reproducible timings of Alliance Desktop on a generated caseload (``make bench``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

Row = tuple[str, str, str]
#: Every benchmark database is encrypted like a real one, with this passphrase (and the real
#: key derivation, so "open" figures include an unlock; the unlock has its own row).
PASSPHRASE = "benchmark passphrase"
os.environ["ALLIANCE_PASSPHRASE"] = PASSPHRASE  # child processes and CLI runs inherit it


def print_table(rows: list[Row]) -> None:
    """The rows as the Markdown table the README carries."""
    print("| measure | result | target |")
    print("|---|---|---|")
    for name, value, target in rows:
        print(f"| {name} | {value} | {target} |")


def run_child(code: str, timeout: int = 3600) -> dict[str, float]:
    """Run ``code`` in a fresh interpreter; it prints a JSON object of figures last."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=timeout
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures
