"""Row 1: SIGKILL during ``session add``; every save that was acknowledged must survive.

Each run is the real command line in its own process, recording one session with a start
no other run uses (an hour apart, between the client's sessions). A run is *acknowledged*
when it exited 0 before the kill. Python and the app take most of a second to start, so a
kill 0-400 ms after the start would only ever land in the imports; the 400 ms window is
instead placed around the end of an uninterrupted run (measured first), where the database
is opened, checked, written and committed, so kills land in every one of those steps and
part of the runs finish first.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from reliability import RowResult
from reliability.common import (
    CliRun,
    command_line,
    copy_database,
    finish,
    integrity,
    kill_group,
    run_cli,
    session_add_args,
    sessions_in,
    slot_streams,
    start_cli,
)

WINDOW_MS = 400
#: The window ends this long after a typical uninterrupted run would have.
AFTER_END_MS = 150


def run(template: Path, work: Path, *, runs: int, seed: int) -> RowResult:
    """Kill ``runs`` session adds at random moments; check what was acknowledged survived."""
    rng = random.Random(seed)
    result = RowResult(f"SIGKILL during `session add` (window {WINDOW_MS} ms, see note)")
    database = copy_database(template, work / "kills" / "practice.db")
    ((code, slots),) = slot_streams(database, 1)
    # How long an uninterrupted save takes here (three runs, the median).
    timings = []
    acknowledged: list[tuple[str, str, CliRun]] = []
    for _ in range(3):
        start = next(slots)
        done = run_cli(session_add_args(database, code, start))
        if done.returncode != 0:
            result.fail("wrong", f"an uninterrupted save failed: {done.describe()}",
                        done.reproducer)  # fmt: skip
            return result
        timings.append(done.seconds)
        acknowledged.append((code, start, done))
    typical_ms = statistics.median(timings) * 1000
    low = max(0.0, typical_ms + AFTER_END_MS - WINDOW_MS)
    result.notes.append(
        f"an uninterrupted save took {typical_ms:.0f} ms; kills at {low:.0f}-"
        f"{low + WINDOW_MS:.0f} ms after the start"
    )
    killed = 0
    for _ in range(runs):
        start = next(slots)
        args = session_add_args(database, code, start)
        delay = (low + rng.uniform(0, WINDOW_MS)) / 1000
        began = time.monotonic()
        process = start_cli(args)
        stopped = False
        try:
            process.wait(timeout=delay)
        except Exception:  # TimeoutExpired: still running, so kill it
            kill_group(process)
            stopped = True
        done = finish(process, args, began, timeout=60, killed_by_us=stopped)
        result.runs += 1
        if done.timed_out:
            result.fail("hangs", f"a save ran over 60 s: {done.describe()}", done.reproducer)
        if done.internal_error:
            result.fail("internal", done.describe(), done.reproducer)
        if done.returncode == 0:
            acknowledged.append((code, start, done))
        else:
            killed += 1
    _check_after(result, database, acknowledged, seed)
    result.notes.append(f"{len(acknowledged) - 3} of {runs} acknowledged, {killed} killed")
    return result


def _check_after(
    result: RowResult, database: Path, acknowledged: list[tuple[str, str, CliRun]], seed: int
) -> None:
    """Every acknowledged session is there, and the file is sound."""
    try:
        present = sessions_in(database)
    except Exception as exc:  # the database no longer opens: counted below as damage
        present = set()
        result.notes.append(f"the database does not open: {type(exc).__name__}: {exc}")
    for code, start, done in acknowledged:
        if (code, start) not in present:
            result.fail(
                "lost",
                f"{code} at {start} was acknowledged ({done.stdout.strip()[:120]}) and is gone",
                f"{done.reproducer}  # then SIGKILL; rerun the row with --seed {seed}",
            )
    checked = integrity(database)
    if checked != ["ok"]:
        result.fail(
            "worse",
            f"integrity_check after the kills: {'; '.join(checked[:5])}",
            f"python -m reliability --rows 1 --seed {seed}",
        )
    final = run_cli(["--db", str(database), "check", "--full"])
    if final.returncode != 0 or final.internal_error:
        result.fail("worse", f"'check --full' after the kills: {final.describe()}",
                    command_line(final.args))  # fmt: skip
