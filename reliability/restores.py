"""Row 2: restores of a backup while two writers keep adding sessions.

Two writer threads each run ``session add`` in a loop (the real command line, one client
each, every start distinct) while the main thread restores a backup over and over. A save
that exited 0 must afterwards be in the final database or in one of the copies the restores
kept beside it (``<db>.before-restore-*``); the app keeps only the newest three, so each new
copy is read right after the restore that made it, before the next one can delete it. A
save that did not exit 0 must say why in one line.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from reliability import RowResult
from reliability.common import (
    CliRun,
    copy_database,
    integrity,
    run_cli,
    session_add_args,
    sessions_in,
    slot_streams,
)

WRITERS = 2


def _kept_copies(database: Path) -> list[Path]:
    """The copies restores keep beside the database (not their key files or journals)."""
    found = []
    for path in database.parent.glob(f"{database.name}.before-restore-*"):
        name = path.name
        if name.endswith((".keys", "-wal", "-shm", ".partial")) or ".keys." in name:
            continue
        found.append(path)
    return sorted(found)


class _Writer(threading.Thread):
    """Adds sessions one after another until told to stop; remembers every outcome."""

    def __init__(self, database: Path, code: str, slots: Iterator[str]) -> None:
        super().__init__(daemon=True)
        self.database, self.code, self.slots = database, code, slots
        self.stop = threading.Event()
        self.outcomes: list[tuple[str, CliRun]] = []

    def run(self) -> None:
        while not self.stop.is_set():
            start = next(self.slots)
            self.outcomes.append(
                (start, run_cli(session_add_args(self.database, self.code, start), timeout=60))
            )


def _restore_once(result: RowResult, database: Path, backup: Path, refusals: Counter[str]) -> bool:
    """One restore; True when it was done (else its message is counted in ``refusals``)."""
    restored = run_cli(["--db", str(database), "restore", str(backup)], timeout=120)
    result.runs += 1
    if restored.returncode != 0:
        refusals[restored.stderr.strip().replace(str(database), "DB")[:110]] += 1
    if restored.timed_out:
        result.fail("hangs", restored.describe(), restored.reproducer)
    if restored.internal_error:
        result.fail("internal", restored.describe(), restored.reproducer)
    elif restored.returncode != 0 and not restored.one_line_refusal:
        result.fail("wrong", f"a refused restore: {restored.describe()}", restored.reproducer)
    return restored.returncode == 0


def _judge_saves(
    result: RowResult, writers: list[_Writer], present: set[tuple[str, str]], seed: int
) -> tuple[int, int]:
    """Count the writers' saves; every acknowledged one must be in ``present``. Returns
    (saves, refused)."""
    saves = refused = 0
    for writer in writers:
        for start, outcome in writer.outcomes:
            saves += 1
            if outcome.timed_out:
                result.fail("hangs", outcome.describe(), outcome.reproducer)
            if outcome.internal_error:
                result.fail("internal", outcome.describe(), outcome.reproducer)
            if outcome.returncode != 0:
                refused += 1
                if not outcome.one_line_refusal and not outcome.internal_error:
                    result.fail("wrong", f"a refused save said: {outcome.describe()}",
                                outcome.reproducer)  # fmt: skip
            elif (writer.code, start) not in present:
                result.fail(
                    "lost",
                    f"{writer.code} at {start} was acknowledged and is in neither the "
                    "database nor a kept copy",
                    f"{outcome.reproducer}  # while 'restore' runs; --rows 2 --seed {seed}",
                )
    return saves, refused


def run(template: Path, backup: Path, work: Path, *, restores: int, seed: int) -> RowResult:
    """``restores`` restores racing two writers; nothing acknowledged may vanish."""
    rng = random.Random(seed)
    result = RowResult(f"`restore` racing {WRITERS} `session add` writers")
    database = copy_database(template, work / "restores" / "practice.db")
    writers = [_Writer(database, code, slots) for code, slots in slot_streams(database, WRITERS)]
    kept: set[tuple[str, str]] = set()
    read: set[str] = set()
    unreadable: list[str] = []
    succeeded = 0
    refusals: Counter[str] = Counter()
    for writer in writers:
        writer.start()
    try:
        time.sleep(0.5)
        for _ in range(restores):
            time.sleep(rng.uniform(0, 0.5))
            succeeded += _restore_once(result, database, backup, refusals)
            for copy in _kept_copies(database):  # each new copy, before a restore deletes it
                if copy.name in read:
                    continue
                read.add(copy.name)
                try:
                    kept |= sessions_in(copy)
                except Exception as exc:  # reported below
                    unreadable.append(f"{copy.name}: {type(exc).__name__}: {exc}")
    finally:
        for writer in writers:
            writer.stop.set()
        for writer in writers:
            writer.join(timeout=120)
    try:
        final = sessions_in(database)
    except Exception as exc:  # the database no longer opens: counted below as damage
        final = set()
        result.notes.append(f"the database does not open: {type(exc).__name__}: {exc}")
    saves, refused = _judge_saves(result, writers, final | kept, seed)
    again = f"python -m reliability --rows 2 --seed {seed}"
    for problem in unreadable:
        result.fail("worse", f"a kept copy cannot be read: {problem}", again)
    checked = integrity(database)
    if checked != ["ok"]:
        result.fail("worse", f"integrity_check at the end: {'; '.join(checked[:5])}", again)
    said = Counter(
        o.stderr.strip().replace(str(database), "DB")[:110]
        for w in writers
        for _s, o in w.outcomes
        if o.returncode != 0
    )
    result.notes.append(
        f"{succeeded} restores done, {result.runs - succeeded} refused"
        + "".join(f" ({n}x {text!r})" for text, n in refusals.most_common(2))
        + f"; {saves} saves, "
        f"{saves - refused} acknowledged, {refused} refused"
        + "".join(f"; {n}x {text!r}" for text, n in said.most_common(3))
        + f"; {len(read)} kept copies read"
    )
    return result
