"""What encryption at rest costs: unlock, and encrypted against plain in the same run.

Unlocking derives the wrapping key with the real Argon2id parameters (``keys.UNLOCK_KDF``).
For the rest, one child process builds an encrypted demo caseload of 2,000 clients plus one
client with 500 sessions, makes a plain twin of it (the same rows in a plain SQLite file),
and times each task on both, alternating, median of 5:

- the client list (``list_clients``), what the window loads first;
- opening the 500-session client (``client_record``: fields, sessions, scores, charts data);
- that client's progress summary PDF (data and layout);
- a backup (snapshot, checks, compress, encrypt, write, read back), where the plain
  reference is the pre-encryption path: SQLite's backup API into memory and SQLite's checks.

Target (issue 14): each encrypted figure within 15% of the plain one.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import PASSPHRASE, Row, run_child
from benchmarks.big_client import BUILD_CLIENT, SESSIONS

_CHILD = (
    """
import hashlib, json, shutil, sqlite3, statistics, tempfile, time
from datetime import date, datetime, timedelta
from pathlib import Path
from sqlalchemy import create_engine
from alliance_desktop.domain.vocabulary import Approach, RuptureKind
from alliance_desktop.reports.client_report import client_report_pdf
from alliance_desktop.services.clients import client_record
from alliance_desktop.services.demo import generate_demo
from alliance_desktop.services.reports import client_report_data
from alliance_desktop.services.summaries import list_clients, refresh_summaries
from alliance_desktop.storage import backup, cipher, repository
from alliance_desktop.storage.database import Database, Keyring, open_database
from alliance_desktop.storage.records import (
    ClientData, GoalData, MeasurementData, RuptureData, SessionData,
)
from benchmarks import PASSPHRASE

path = Path({path!r})
db = open_database(path, passphrase=PASSPHRASE)
generate_demo(db, 2000, seed=1, as_of=date(2026, 11, 20))
"""
    + BUILD_CLIENT
    + """
db.checkpoint()
plain_path = path.with_name("plain-twin.db")
memory, _content = cipher.snapshot_to_memory(path, db.key)
with sqlite3.connect(plain_path) as out:
    memory.backup(out)
out.close()
memory.close()
plain = Database(plain_path, create_engine(f"sqlite:///{{plain_path}}"), Keyring(db.key))

def old_snapshot(database, key):
    source = sqlite3.connect(database)
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    source.backup(copy)
    source.close()
    return cipher.MemorySnapshot(copy, hashlib.sha256(copy.serialize()).digest())

def old_check(database, key):
    conn = sqlite3.connect(database, check_same_thread=False)
    try:
        backup.check_snapshot(conn)
    finally:
        conn.close()

new_snapshot, new_check = backup.snapshot, backup._check_live

def back_up(database, encrypted):
    backup.snapshot = new_snapshot if encrypted else old_snapshot
    backup._check_live = new_check if encrypted else old_check
    with tempfile.TemporaryDirectory(dir=path.parent) as folder:
        backup.make_backup(
            database.path, Path(folder), PASSPHRASE, key=db.key, app_version="bench"
        )

tasks = {{
    "list": lambda d, e: list_clients(d),
    "record": lambda d, e: client_record(d, client_id),
    "summary": lambda d, e: client_report_pdf(client_report_data(d, "B-500")),
    "backup": back_up,
}}
figures = {{}}
for name, task in tasks.items():
    times = {{True: [], False: []}}
    task(db, True); task(plain, False)  # warm-up: page cache, statement compilation
    for _ in range(5):
        for encrypted, database in ((True, db), (False, plain)):
            start = time.perf_counter()
            task(database, encrypted)
            times[encrypted].append(time.perf_counter() - start)
    figures[name] = [statistics.median(times[True]), statistics.median(times[False])]
figures["size_mb"] = [path.stat().st_size / 1e6, plain_path.stat().st_size / 1e6]
print(json.dumps(figures))
"""
)


def _unlock_seconds() -> float:
    from alliance_desktop.storage import keys

    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "practice.db"
        keys.create_key_file(database, PASSPHRASE)
        samples = []
        for _ in range(5):
            start = time.perf_counter()
            keys.unlock(database, PASSPHRASE)
            samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure() -> list[Row]:
    """Rows for the README table."""
    unlock = _unlock_seconds()
    with tempfile.TemporaryDirectory(prefix="alliance-bench-crypt-") as folder:
        code = _CHILD.format(path=str(Path(folder) / "caseload.db"), sessions=SESSIONS)
        figures = run_child(code)
    rows: list[Row] = [
        ("Unlock: Argon2id 256 MiB, 3 passes, 4 lanes (median of 5)", f"{unlock:.2f} s", "~0.5 s"),
    ]
    names = {
        "list": "Client list, 2,001 clients",
        "record": f"Open the {SESSIONS}-session client (record, scores, charts data)",
        "summary": f"Progress summary PDF of the {SESSIONS}-session client",
        "backup": "Backup + verify of that caseload",
    }
    for key, label in names.items():
        pair: list[float] = figures[key]  # type: ignore[assignment]
        encrypted, plain = pair
        cost = (encrypted / plain - 1) * 100
        rows.append(
            (
                f"Encrypted vs plain: {label}",
                f"{encrypted * 1000:.0f} ms vs {plain * 1000:.0f} ms ({cost:+.0f}%)",
                "<= +15%",
            )
        )
    sizes: list[float] = figures["size_mb"]  # type: ignore[assignment]
    rows.append(
        ("Encrypted vs plain: database size", f"{sizes[0]:.0f} MB vs {sizes[1]:.0f} MB", "-")
    )
    return rows


def main() -> None:
    from benchmarks import print_table

    print_table(measure())


if __name__ == "__main__":
    main()
