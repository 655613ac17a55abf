"""Row 3: opening an old-schema database (which migrates it) while a writer waits.

Each run copies the plain fixture ``schema_0005_client_code_keys.db`` and encrypts the copy
as an upgrade does (tests/keyed.py ``encrypted_copy``), then starts ``clients`` (which opens
the file and migrates it) and, a random moment later, a ``session add`` on the same file;
now and then the writer goes first and migrates itself. Afterwards: nothing of the fixture
and nothing acknowledged is missing, the schema is the newest, the file is sound.
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

from reliability import PASSPHRASE, RowResult
from reliability.common import (
    count_rows,
    finish,
    integrity,
    opened,
    session_add_args,
    sessions_in,
    slot_streams,
    start_cli,
)

FIXTURE = Path(__file__).resolve().parent.parent / "tests/fixtures/schema_0005_client_code_keys.db"


def _encrypted_copy(target: Path) -> Path:
    from alliance_desktop.storage.database import encrypt_database

    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURE, target)
    encrypt_database(target, PASSPHRASE)
    return target


def run(work: Path, *, runs: int, seed: int) -> RowResult:
    """``runs`` migrations, each raced by one writer."""
    from alliance_desktop.storage.database import HEAD_REVISION

    rng = random.Random(seed)
    result = RowResult("open (migrate) schema 0005 while `session add` waits")
    if not FIXTURE.exists():
        result.skipped = f"no fixture at {FIXTURE}"
        return result
    pristine = work / "migrations" / "fixture.db"  # counted on a copy: never touch the fixture
    pristine.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURE, pristine)
    sessions_before = len(sessions_in(pristine))
    clients_before = count_rows(pristine, "clients")
    acknowledged = 0
    for index in range(runs):
        database = _encrypted_copy(work / "migrations" / f"run-{index}" / "practice.db")
        ((code, slots),) = slot_streams(database, 1)
        start = next(slots)
        migrator_args = ["--db", str(database), "clients", "--json"]
        writer_args = session_add_args(database, code, start)
        first, second = (
            (migrator_args, writer_args) if rng.random() < 0.8 else (writer_args, migrator_args)
        )
        began = time.monotonic()
        one = start_cli(first)
        time.sleep(rng.uniform(0, 0.6))
        two_began = time.monotonic()
        two = start_cli(second)
        runs_done = [finish(one, first, began, timeout=120), finish(two, second, two_began,
                                                                    timeout=120)]  # fmt: skip
        writer = runs_done[0] if first is writer_args else runs_done[1]
        result.runs += 1
        repro = f"python -m reliability --rows 3 --seed {seed}  # run {index}"
        for done in runs_done:
            if done.timed_out:
                result.fail("hangs", done.describe(), done.reproducer)
            if done.internal_error:
                result.fail("internal", done.describe(), done.reproducer)
            elif done.returncode != 0 and not done.one_line_refusal:
                result.fail("wrong", f"a refusal said: {done.describe()}", done.reproducer)
        present = sessions_in(database)
        if writer.returncode == 0:
            acknowledged += 1
            if (code, start) not in present:
                result.fail("lost", f"{code} at {start} was acknowledged and is gone", repro)
        expected = sessions_before + (1 if writer.returncode == 0 else 0)
        if len(present) != expected or count_rows(database, "clients") != clients_before:
            result.fail("lost", f"{len(present)} sessions after the migration, {expected} "
                        "expected (or a client is missing)", repro)  # fmt: skip
        checked = integrity(database)
        if checked != ["ok"]:
            result.fail("worse", f"integrity_check: {'; '.join(checked[:5])}", repro)
        with opened(database) as conn:
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        if revision != HEAD_REVISION:
            result.fail("wrong", f"schema {revision} after the runs, not {HEAD_REVISION}", repro)
    result.notes.append(f"{acknowledged} of {runs} writers acknowledged")
    return result
