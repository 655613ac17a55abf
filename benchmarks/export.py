"""Export and import benchmark: ``python -m benchmarks.export [--clients N]`` (and ``make bench``).

On a generated caseload, each figure from a fresh process, so that its peak memory is its
own:

- the reference, a plain script: the same rows the export reads (every table of a client's
  record, through SQLAlchemy Core as the repository reads them, in one read transaction),
  each written as one line with ``json.dumps`` (the C encoder), then fsync;
- ``export_json``, the whole caseload in the streamed layout: time (target: at most 1.5x
  the reference) and peak memory (target: flat in the number of clients, under 200 MB at
  50,000);
- the CSV export (``export_csv``), for comparison;
- reading that export back into a fresh database (``read_export`` then
  ``import_contents``, as ``alliance-desktop import`` does): time and peak memory;
- the whole ``alliance-desktop export`` command as a user runs it, unlock included.

The children open the database with its raw key, derived once here, so that no figure
holds the unlock's Argon2id key derivation (256 MiB, about a second) except the last
row's. Time is measured inside each child around the work alone; peak memory is the
child's own high-water resident set size (``VmHWM``, interpreter and imports included).
Reference and export runs alternate; each figure is the median (memory: the largest) of
``repeats`` runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import PASSPHRASE, Row, print_table, run_child

#: The tables a client's whole record is read from (``repository.load_client_trees``).
_TABLES = (
    "clients",
    "goals",
    "sessions",
    "measurements",
    "goal_ratings",
    "ruptures",
    "risk_reviews",
    "alert_acknowledgements",
    "removed_risk_answers",
)

_OPEN = """
import json, os, resource, time
from pathlib import Path
from alliance_desktop.storage.database import open_database
from alliance_desktop.storage.keys import DatabaseKey
db = open_database(Path({path!r}), key=DatabaseKey(bytes.fromhex({key!r})))
"""

# VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's high-water mark (Linux
# carries it across fork and exec), which here includes the parent's key derivation.
_PEAK = """
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if os.path.exists("/proc/self/status"):
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
figures["peak_mb"] = peak
print(json.dumps(figures))
"""

_REFERENCE = (
    _OPEN
    + """
from sqlalchemy import select
from alliance_desktop.storage.models import Base
start = time.perf_counter()
rows = 0
with db.read() as conn, open({out!r}, "w", encoding="utf-8") as handle:
    for name in {tables!r}:
        for row in conn.execute(select(Base.metadata.tables[name])):
            handle.write(json.dumps(row._asdict(), ensure_ascii=False, default=str))
            handle.write("\\n")
            rows += 1
    handle.flush()
    os.fsync(handle.fileno())
figures = {{"seconds": time.perf_counter() - start, "rows": rows,
            "bytes": os.path.getsize({out!r})}}
db.close()
"""
    + _PEAK
)

_EXPORT = (
    _OPEN
    + """
from alliance_desktop.services.transfer import export_csv, export_json
start = time.perf_counter()
if {csv!r}:
    clients = export_csv(db, Path({out!r}))
    size = sum(p.stat().st_size for p in Path({out!r}).iterdir())
else:
    clients = export_json(db, Path({out!r}))
    size = os.path.getsize({out!r})
figures = {{"seconds": time.perf_counter() - start, "clients": clients, "bytes": size}}
db.close()
"""
    + _PEAK
)

_IMPORT = (
    _OPEN.replace("{path!r}", "{fresh!r}")
    + """
from alliance_desktop.services.transfer import import_contents, read_export
start = time.perf_counter()
contents = read_export(Path({source!r}))
checked = time.perf_counter() - start
clients = import_contents(db, contents)
figures = {{"seconds": time.perf_counter() - start, "check_seconds": checked,
            "clients": clients}}
db.close()
"""
    + _PEAK
)

_COMMAND = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run([sys.executable, "-m", "alliance_desktop", "--db", {path!r}, "export",
                "--format", "json", "--out", {out!r}], check=True, capture_output=True)
print(json.dumps({{"seconds": time.perf_counter() - start,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
"""


def _empty_database(folder: Path) -> tuple[Path, str]:
    """A new, empty, checkpointed database to copy for each import, and its key in hex."""
    from alliance_desktop.storage.database import open_database
    from alliance_desktop.storage.keys import unlock

    path = folder / "empty.db"
    db = open_database(path, passphrase=PASSPHRASE)
    db.checkpoint()
    db.close()
    return path, unlock(path, PASSPHRASE).raw.hex()


def _fresh_copy(template: Path, target: Path) -> Path:
    from alliance_desktop.storage.keys import keys_path

    shutil.copyfile(template, target)
    shutil.copyfile(keys_path(template), keys_path(target))
    return target


def _median(runs: list[dict[str, float]], name: str) -> float:
    return statistics.median(run[name] for run in runs)


def _largest(runs: list[dict[str, float]], name: str) -> float:
    return max(run[name] for run in runs)


def measure(path: Path, *, repeats: int = 3) -> list[Row]:
    """Rows for the README table, measured on the caseload database at ``path``."""
    from alliance_desktop.storage.keys import unlock

    key = unlock(path, PASSPHRASE).raw.hex()
    reference: list[dict[str, float]] = []
    exports: list[dict[str, float]] = []
    csvs: list[dict[str, float]] = []
    imports: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="alliance-bench-export-", dir=path.parent) as out:
        folder = Path(out)
        template, empty_key = _empty_database(folder)
        export = folder / "export.json"
        for attempt in range(repeats):
            reference.append(
                run_child(
                    _REFERENCE.format(
                        path=str(path), key=key, out=str(folder / "rows.jsonl"), tables=_TABLES
                    )
                )
            )
            export.unlink(missing_ok=True)
            exports.append(
                run_child(_EXPORT.format(path=str(path), key=key, out=str(export), csv=False))
            )
            tables = folder / f"tables-{attempt}"
            csvs.append(
                run_child(_EXPORT.format(path=str(path), key=key, out=str(tables), csv=True))
            )
            shutil.rmtree(tables)
        refused = ""
        for attempt in range(repeats):
            fresh = _fresh_copy(template, folder / f"imported-{attempt}.db")
            code = _IMPORT.format(fresh=str(fresh), key=empty_key, source=str(export))
            try:
                imports.append(run_child(code))
            except subprocess.CalledProcessError as exc:  # e.g. a file over the import cap
                last_lines = str(exc.stderr or "").strip().splitlines()[-1:] or ["failed"]
                refused = last_lines[0][-200:]
                break
        command = run_child(_COMMAND.format(path=str(path), out=str(folder / "command.json")))
    ref_s, export_s = _median(reference, "seconds"), _median(exports, "seconds")
    clients = exports[0]["clients"]
    runs = f"median of {repeats}" if repeats > 1 else "one run"
    return [
        (
            f"Reference: a plain script writing the same {reference[0]['rows']:,.0f} rows as "
            f"JSON lines ({reference[0]['bytes'] / 1e6:.0f} MB), {runs}",
            f"{ref_s:.2f} s, peak {_largest(reference, 'peak_mb'):.0f} MB",
            "-",
        ),
        (
            f"JSON export of {clients:,.0f} clients ({exports[0]['bytes'] / 1e6:.0f} MB), {runs}",
            f"{export_s:.2f} s ({export_s / ref_s:.2f}x the reference)",
            "<= 1.5x the reference",
        ),
        (
            "JSON export: peak memory of the process",
            f"{_largest(exports, 'peak_mb'):.0f} MB",
            "flat; < 200 MB at 50,000 clients",
        ),
        (
            f"CSV export of the same ({csvs[0]['bytes'] / 1e6:.0f} MB), {runs}",
            f"{_median(csvs, 'seconds'):.2f} s, peak {_largest(csvs, 'peak_mb'):.0f} MB",
            "-",
        ),
        *(
            [("Import of that export into a fresh database", f"refused: {refused}", "-")]
            if refused
            else [
                (
                    f"Import of that export into a fresh database (check "
                    f"{_median(imports, 'check_seconds'):.2f} s, then write), {runs}",
                    f"{_median(imports, 'seconds'):.2f} s",
                    "-",
                ),
                (
                    "Import: peak memory of the process",
                    f"{_largest(imports, 'peak_mb'):.0f} MB",
                    "flat in the number of clients",
                ),
            ]
        ),
        (
            "`alliance-desktop export --format json`, the whole command (unlock included)",
            f"{command['seconds']:.2f} s, peak {command['peak_mb']:.0f} MB",
            "-",
        ),
    ]


_GENERATE = """
import json, time
from datetime import date
from pathlib import Path
from alliance_desktop.services.demo import generate_demo
from alliance_desktop.storage.database import open_database
from benchmarks import PASSPHRASE
db = open_database(Path({path!r}), passphrase=PASSPHRASE)
result = generate_demo(db, {clients}, seed={seed}, as_of=date(2026, 11, 20))
db.checkpoint()
db.close()
print(json.dumps({{"sessions": result.sessions}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.export")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--db", type=Path, help="measure this caseload instead of generating one")
    args = parser.parse_args()
    if args.db is not None:
        print_table(measure(args.db.absolute(), repeats=args.repeats))
        return
    with tempfile.TemporaryDirectory(prefix="alliance-bench-") as folder:
        path = Path(folder) / "caseload.db"
        print(f"Generating {args.clients:,} clients into {path} …", file=sys.stderr)
        run_child(_GENERATE.format(path=str(path), clients=args.clients, seed=args.seed))
        print_table(measure(path, repeats=args.repeats))


if __name__ == "__main__":
    main()
