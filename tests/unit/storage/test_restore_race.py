"""A restore racing a write never loses an acknowledged session.

A writer (as ``session add`` in another process would be) is held at each step of a restore:
opened before the restore began, or opening right at that step. Whatever it was told is
the truth afterwards: a session it was told is saved is in the restored database, in the
copy kept before the restore, or in the database the restore was refused over; a session
it was not told is saved got a plain message (a ``StorageError``), never an internal error.
Also: opening a database while a restore runs leaves the restore's temporary file alone.
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime
from pathlib import Path

import pytest

from alliance_desktop.storage import exclusion
from alliance_desktop.storage.backup import BackupError, KdfParams
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.errors import StorageError
from tests.keyed import TEST_PASSPHRASE, make_backup, open_database, raw_connect, restore_backup
from tests.records import CLEAN, record

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
NOW = datetime(2026, 12, 1, 12, 0)
RACE_DAY = date(2026, 11, 30)  # no demo session starts on it at 10:00
STEPS = ["verified", "writers-excluded", "written", "kept", "journals-removed", "replaced", "done"]


def _sessions_on_race_day(path: Path) -> int:
    conn = raw_connect(path)
    try:
        return int(
            conn.execute(
                "SELECT count(*) FROM sessions WHERE start = ?",
                (f"{RACE_DAY.isoformat()} 10:00:00.000000",),
            ).fetchone()[0]
        )
    finally:
        conn.close()


def _first_client(path: Path) -> int:
    conn = raw_connect(path)
    try:
        return int(conn.execute("SELECT min(id) FROM clients").fetchone()[0])
    finally:
        conn.close()


class _Writer(threading.Thread):
    """Saves one session; remembers whether it was told "saved" or what it was told."""

    def __init__(self, path: Path, client_id: int, db: Database | None) -> None:
        super().__init__(daemon=True)
        self.path, self.client_id, self.db = path, client_id, db
        self.acknowledged = False
        self.refusal: BaseException | None = None

    def run(self) -> None:
        db = self.db
        try:
            if db is None:
                db = open_database(self.path)
            record(db, self.client_id, RACE_DAY, NOW, CORE_10=CLEAN)
            self.acknowledged = True
        except BaseException as exc:  # judged by the test
            self.refusal = exc
        finally:
            if db is not None:
                db.close()


@pytest.mark.parametrize("opened", ["before", "at-step"])
@pytest.mark.parametrize("held_at", STEPS)
def test_a_writer_held_at_each_step_is_saved_somewhere_or_told_why_not(
    demo_db_path: Path, tmp_path: Path, held_at: str, opened: str
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    data = make_backup(demo_db_path, stick, TEST_PASSPHRASE, app_version="0.test", kdf=FAST)
    data = data.path.read_bytes()
    client_id = _first_client(demo_db_path)
    assert _sessions_on_race_day(demo_db_path) == 0

    early_db = open_database(demo_db_path) if opened == "before" else None
    if early_db is not None:  # it has read (and so opened the file) before the restore
        with early_db.read() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM sessions").scalar()
        early_db.engine.dispose()  # an idle connection would only make the restore refuse

    reached, release = threading.Event(), threading.Event()

    def pause(step: str) -> None:
        if step == held_at:
            reached.set()
            assert release.wait(30)

    outcome: dict[str, object] = {}

    def run_restore() -> None:
        try:
            outcome["kept"] = restore_backup(data, TEST_PASSPHRASE, demo_db_path, on_step=pause)[1]
        except BackupError as exc:
            outcome["refused"] = exc
            reached.set()

    restorer = threading.Thread(target=run_restore, daemon=True)
    restorer.start()
    assert reached.wait(30)
    writer = _Writer(demo_db_path, client_id, early_db)
    writer.start()
    writer.join(0.5)  # let it get as far as it can while the restore is held
    release.set()
    restorer.join(30)
    writer.join(30)
    assert not restorer.is_alive() and not writer.is_alive()

    places = [demo_db_path]
    kept = outcome.get("kept")
    if isinstance(kept, Path):
        places.append(kept)
    # The writer waiting never makes the restore give up (it lets go of idle connections).
    assert "kept" in outcome, outcome
    if writer.acknowledged:
        assert sum(_sessions_on_race_day(p) for p in places) == 1, (held_at, opened, outcome)
    else:
        assert isinstance(writer.refusal, StorageError), repr(writer.refusal)
        assert re.search("Nothing was (saved|changed)", str(writer.refusal))
        assert all(_sessions_on_race_day(p) == 0 for p in places)
    # Whatever happened, the database under the name is whole.
    conn = raw_connect(demo_db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def test_a_writer_that_opened_before_a_restore_is_refused_after_it(
    demo_db_path: Path, tmp_path: Path
) -> None:
    """The plain case behind the table above: the file was replaced under an open database."""
    stick = tmp_path / "stick"
    stick.mkdir()
    made = make_backup(demo_db_path, stick, TEST_PASSPHRASE, app_version="0.test", kdf=FAST)
    db = open_database(demo_db_path)
    try:
        restore_backup(made.path.read_bytes(), TEST_PASSPHRASE, demo_db_path)
        replaced = r"was replaced after it was opened.*Nothing was (saved|changed)"
        with pytest.raises(exclusion.DatabaseReplaced, match=replaced):
            record(db, _first_client(demo_db_path), RACE_DAY, NOW, CORE_10=CLEAN)
    finally:
        db.close()
    assert _sessions_on_race_day(demo_db_path) == 0


def test_opening_the_database_during_a_restore_keeps_the_restores_temporary_file(
    demo_db_path: Path, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    made = make_backup(demo_db_path, stick, TEST_PASSPHRASE, app_version="0.test", kdf=FAST)
    reached, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def pause(step: str) -> None:
        if step == "written":
            seen.extend(p.name for p in demo_db_path.parent.glob("*.partial"))
            reached.set()
            assert release.wait(30)

    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["done"] = restore_backup(
                made.path.read_bytes(), TEST_PASSPHRASE, demo_db_path, on_step=pause
            )
        except BaseException as exc:
            result["error"] = exc

    restorer = threading.Thread(target=run, daemon=True)
    restorer.start()
    assert reached.wait(30)
    assert seen, "the restore writes its new file under a temporary name first"
    open_database(demo_db_path).close()  # as a command started now would
    assert all((demo_db_path.parent / name).exists() for name in seen)
    release.set()
    restorer.join(30)
    assert "error" not in result, result


def test_a_partial_file_left_by_a_killed_restore_is_removed_on_open(demo_db_path: Path) -> None:
    leftover = demo_db_path.with_name(f".{demo_db_path.name}.restore-20261201T100000.partial")
    leftover.write_bytes(b"half a database")
    open_database(demo_db_path).close()
    assert not leftover.exists()


def test_the_step_names_are_the_ones_restore_reports(demo_db_path: Path, tmp_path: Path) -> None:
    """The table above is only as good as its step names: each must be one restore passes."""
    stick = tmp_path / "stick"
    stick.mkdir()
    made = make_backup(demo_db_path, stick, TEST_PASSPHRASE, app_version="0.test", kdf=FAST)
    passed: list[str] = []
    restore_backup(made.path.read_bytes(), TEST_PASSPHRASE, demo_db_path, on_step=passed.append)
    assert passed == STEPS
