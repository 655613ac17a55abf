"""Cost growth: every whole command at 100, 1,000, 10,000 and 50,000 clients (issue 18).

    python -m benchmarks.growth [--sizes 100,1000,10000,50000]     (make bench-growth)

For each size a demo caseload is generated (encrypted, real key derivation), then each
command runs as a user runs it, in a fresh process, and its wall time and peak memory
(``ru_maxrss`` of that process, from ``os.wait4``) are taken: ``--help``, ``clients --json``,
``session add`` with SRS and ORS ratings, ``export --format json``, ``backup`` then
``verify``, the caseload PDF (``report --caseload``), and the window from launch to its
client list shown (the "client list shown" log line). The table gives each figure per size
and the ratio of the largest size to the smallest: a command whose work does not depend on
the caseload should stay near 1x. Each cell is one run (the 50,000-client steps take
minutes); `make bench` has the repeated, compared figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks import PASSPHRASE, run_child

AS_OF = date(2026, 11, 20)
COMMAND = [sys.executable, "-m", "alliance_desktop"]

_GENERATE = """
import json
from datetime import date
from pathlib import Path
from alliance_desktop.storage.database import open_database
from alliance_desktop.services.demo import generate_demo
from alliance_desktop.services.summaries import list_clients
db = open_database(Path({path!r}), passphrase={passphrase!r})
generate_demo(db, {clients}, seed=1, as_of=date.fromisoformat({as_of!r}))
code = next(row.code for row in list_clients(db) if row.status.value == "active")
db.checkpoint()
db.close()
import time
from alliance_desktop.storage import keys
start = time.perf_counter()
keys.unlock(Path({path!r}), {passphrase!r})
print(json.dumps({{"code": code, "kdf_seconds": time.perf_counter() - start}}))
"""


def timed(arguments: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run one command to its end: (seconds, peak MB of its process)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        arguments, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        assert process.stderr is not None
        raise RuntimeError(f"{' '.join(arguments[2:])} failed: {process.stderr.read()}")
    return seconds, usage.ru_maxrss / 1024


def window_seconds(database: Path, env: dict[str, str], home: Path) -> float:
    """Launch to the "client list shown" log line (the window is then stopped)."""
    log = home / "logs" / "alliance-desktop.log"
    log.unlink(missing_ok=True)
    start = time.perf_counter()
    window = subprocess.Popen(
        [*COMMAND, "--db", str(database)],
        env={**env, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - start < 600:
            if log.exists() and "client list shown" in log.read_text(errors="replace"):
                return time.perf_counter() - start
            if window.poll() is not None:
                raise RuntimeError("the window closed before its list was shown")
            time.sleep(0.005)
        raise RuntimeError("no client list within 600 s")
    finally:
        window.terminate()
        window.wait(timeout=60)


def measure_size(clients: int, folder: Path) -> dict[str, str]:
    """Every command at one size: name -> "seconds s / MB MB"."""
    home = folder / f"home-{clients}"
    database = folder / f"caseload-{clients}.db"
    env = {**os.environ, "ALLIANCE_HOME": str(home), "ALLIANCE_PASSPHRASE": PASSPHRASE}
    env.pop("ALLIANCE_DB", None)
    print(f"{clients:,} clients: generating …", file=sys.stderr)
    generated = run_child(
        _GENERATE.format(
            path=str(database), passphrase=PASSPHRASE, clients=clients, as_of=AS_OF.isoformat()
        )
    )
    code = generated["code"]
    db = ["--db", str(database)]
    stick = folder / f"stick-{clients}"
    stick.mkdir()
    steps: list[tuple[str, list[str]]] = [
        ("`--help`", ["--help"]),
        ("`clients --json`", [*db, "clients", "--json"]),
        ("`session add` (SRS and ORS)", [
            *db, "session", "add", str(code), "--date", "2026-11-21T10:00",
            "--srs", "9,9,9,9", "--ors", "7,7,7,7",
        ]),
        ("`export --format json`", [*db, "export", "--format", "json", "--out",
                                      str(folder / f"export-{clients}.json")]),
        ("`backup`", [*db, "backup", "--to", str(stick)]),
        ("`report --caseload`", [*db, "report", "--caseload",
                                   "--out", str(folder / f"caseload-{clients}.pdf")]),
    ]  # fmt: skip
    # Every command that opens the database first derives its key from the passphrase
    # (Argon2id, 256 MiB, slow on purpose): the floor under all of them.
    cells: dict[str, str] = {
        "Unlock alone (Argon2id key derivation, in-process)": f"{generated['kdf_seconds']:.2f} s"
    }
    for name, arguments in steps:
        print(f"{clients:,} clients: {name} …", file=sys.stderr)
        seconds, peak = timed([*COMMAND, *arguments], env)
        cells[name] = f"{seconds:.2f} s / {peak:.0f} MB"
    (backup,) = stick.glob("*.allbak")
    seconds, peak = timed([*COMMAND, "verify", str(backup)], env)
    cells["`verify` (the backup just made)"] = f"{seconds:.2f} s / {peak:.0f} MB"
    print(f"{clients:,} clients: window …", file=sys.stderr)
    cells["Window: launch to client list shown"] = f"{window_seconds(database, env, home):.2f} s"
    return cells


def _seconds(cell: str) -> float:
    return float(cell.split(" s", 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.growth")
    parser.add_argument("--sizes", default="100,1000,10000,50000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="alliance-growth-") as folder:
        table = {size: measure_size(size, Path(folder)) for size in sizes}
    names = list(table[sizes[0]])
    print(
        "| command (time / peak memory) | "
        + " | ".join(f"{s:,}" for s in sizes)
        + " | largest/smallest |"
    )
    print("|---|" + "---|" * (len(sizes) + 1))
    for name in names:
        cells = [table[size][name] for size in sizes]
        ratio = _seconds(cells[-1]) / _seconds(cells[0])
        print(f"| {name} | " + " | ".join(cells) + f" | {ratio:.1f}x |")


if __name__ == "__main__":
    main()
