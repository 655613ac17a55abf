"""Run the hostile tester: ``python -m reliability [--quick] [--rows 1,4] [--seed S]``.

Prints one Markdown table (a row per attack, with the seconds it took) and, below it, each
failure with a reproducer. Exits 1 when any must-be-zero column is not zero. The full run
(``make reliability``) takes about 10 minutes on 2 cores; ``--quick`` (or
RELIABILITY_QUICK=1, or ``make reliability RELIABILITY_ARGS=--quick``) about 2 minutes.
Each count can also be set on its own (``--kills``, ``--restores``, ``--migrations``,
``--fuzz``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reliability import RowResult
from reliability.common import make_demo, remove_tree, run_cli, set_environment


@dataclass(frozen=True)
class Counts:
    kills: int
    restores: int
    migrations: int
    fuzz: int
    odd_uses: tuple[str, ...] | None  # None: every use
    damage: tuple[str, ...] | None  # None: every kind
    commands: tuple[str, ...] | None  # None: every command


FULL = Counts(kills=200, restores=50, migrations=20, fuzz=1000, odd_uses=None, damage=None,
              commands=None)  # fmt: skip
QUICK = Counts(
    kills=20,
    restores=6,
    migrations=3,
    fuzz=150,
    odd_uses=("--db", "verify", "--json"),
    damage=("zero-byte main + -wal", "key file of another database"),
    commands=("check", "session add", "restore", "passwd", "backup", "init", "encrypt"),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("RELIABILITY_QUICK") == "1",
        help="a smoke run of about two minutes (also RELIABILITY_QUICK=1)",
    )
    parser.add_argument("--rows", default="1,2,3,4,5,6,7,8", help="which rows, e.g. 1,4")
    parser.add_argument("--seed", type=int, default=20261120, help="the random seed")
    parser.add_argument("--kills", type=int, help="row 1: kills (full: 200)")
    parser.add_argument("--restores", type=int, help="row 2: restores (full: 50)")
    parser.add_argument("--migrations", type=int, help="row 3: migrations (full: 20)")
    parser.add_argument("--fuzz", type=int, help="rows 4-6: mutations each (full: 1000)")
    parser.add_argument("--workdir", type=Path, help="where to work (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder afterwards")
    return parser


def _counts(args: argparse.Namespace) -> Counts:
    base = QUICK if args.quick else FULL
    return Counts(
        kills=args.kills if args.kills is not None else base.kills,
        restores=args.restores if args.restores is not None else base.restores,
        migrations=args.migrations if args.migrations is not None else base.migrations,
        fuzz=args.fuzz if args.fuzz is not None else base.fuzz,
        odd_uses=base.odd_uses,
        damage=base.damage,
        commands=base.commands,
    )


def _table(results: list[tuple[int, RowResult]], total: float) -> str:
    lines = [
        "| # | What was tried | Runs | Acknowledged saves lost | Damaged files made worse "
        "| Internal errors | Hangs | Wrong outcomes | Seconds | Notes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for number, r in results:
        notes = f"SKIPPED: {r.skipped}" if r.skipped else "; ".join(r.notes)
        lines.append(
            f"| {number} | {r.tried} | {r.runs:,} | {r.lost} | {r.worse} | {r.internal} "
            f"| {r.hangs} | {r.wrong} | {r.seconds:.0f} | {notes.replace('|', '/')} |"
        )
    rows = [r for _number, r in results]
    lines.append(
        f"| | **total** | {sum(r.runs for r in rows):,} | {sum(r.lost for r in rows)} "
        f"| {sum(r.worse for r in rows)} | {sum(r.internal for r in rows)} "
        f"| {sum(r.hangs for r in rows)} | {sum(r.wrong for r in rows)} | {total:.0f} | |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen rows; print the table and the failures; 1 if anything failed."""
    args = _parser().parse_args(argv)
    counts = _counts(args)
    rows = {int(part) for part in args.rows.split(",") if part.strip()}
    work = args.workdir or Path(tempfile.mkdtemp(prefix="alliance-reliability-"))
    work.mkdir(parents=True, exist_ok=True)
    set_environment(work / "home")
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - no terminal to prompt on
    began = time.monotonic()

    from reliability import (
        damaged,
        fuzz_backup,
        fuzz_export,
        fuzz_session,
        kills,
        migrations,
        odd_paths,
        restores,
    )

    print(f"Working in {work} ({'quick' if args.quick else 'full'} run, seed {args.seed}).",
          file=sys.stderr)  # fmt: skip
    template = make_demo(work / "template" / "practice.db", clients=10)
    small = make_demo(work / "small" / "practice.db", clients=2, seed=5)
    backups = work / "backups"
    backups.mkdir()
    made = run_cli(["--db", str(template), "backup", "--to", str(backups)], timeout=300)
    if made.returncode != 0:
        print(f"cannot make the backup the rows need: {made.describe()}", file=sys.stderr)
        return 2
    (backup,) = sorted(backups.glob("*.allbak"))
    seed, fuzz = args.seed, counts.fuzz
    kinds = counts.damage or tuple(damaged.DAMAGE)
    commands = counts.commands or tuple(damaged.COMMANDS)
    plan: list[tuple[int, str, Callable[[], RowResult]]] = [
        (1, "kills", lambda: kills.run(template, work, runs=counts.kills, seed=seed)),
        (
            2,
            "restores",
            lambda: restores.run(template, backup, work, restores=counts.restores, seed=seed),
        ),
        (3, "migrations", lambda: migrations.run(work, runs=counts.migrations, seed=seed)),
        (4, "fuzz session", lambda: fuzz_session.run(template, work, runs=fuzz, seed=seed)),
        (5, "fuzz export", lambda: fuzz_export.run(small, work, runs=fuzz, seed=seed)),
        (6, "fuzz backup", lambda: fuzz_backup.run(small, work, runs=fuzz, seed=seed)),
        (7, "odd paths", lambda: odd_paths.run(template, backup, work, uses=counts.odd_uses)),
        (8, "damaged", lambda: damaged.run(template, backup, work, kinds=kinds, commands=commands)),
    ]
    results: list[tuple[int, RowResult]] = []
    for number, name, row in plan:
        if number not in rows:
            continue
        print(f"row {number}: {name}…", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            result = row()
        except Exception:  # the harness itself failed: say so, carry on
            result = RowResult(name)
            result.fail("wrong", "the harness failed:\n" + traceback.format_exc(), "")
        result.seconds = time.monotonic() - started
        results.append((number, result))
        print(f"row {number}: {result.runs} runs, {result.bad} failures, "
              f"{result.seconds:.0f} s", file=sys.stderr, flush=True)  # fmt: skip
    total = time.monotonic() - began
    print(_table(results, total))
    failures = [f for _number, r in results for f in r.failures]
    if failures:
        print("\nFailures (each with a reproducer; ALLIANCE_HOME may be any empty folder):")
        for failure in failures[:200]:
            print(failure.render())
        if len(failures) > 200:
            print(f"… and {len(failures) - 200} more")
    if args.keep or failures:
        print(f"\nThe work folder (failing inputs under it) is kept: {work}", file=sys.stderr)
    else:
        remove_tree(work)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
