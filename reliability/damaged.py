"""Row 8: damaged databases under every command.

Six kinds of damage to a copy of a demo database (a zeroed page, scribbled pages, a file
cut short, a zero-byte main file beside a -wal holding committed pages, a flipped byte in
page 1, the key file of another database), each under every command of the command line,
in a real process. No run may fail internally or hang, and none may make the damage worse:
the database, its -wal and its key file stay byte for byte as they were, except that
``restore`` of a good backup replaces them, and must then keep the damaged files aside,
byte for byte, beside the database. A control pass runs every command on the healthy
database first, so a command that fails for its arguments is noticed.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reliability import RowResult
from reliability.common import (
    AS_OF,
    command_line,
    copy_database,
    digest,
    file_state,
    make_demo,
    run_cli,
    slot_streams,
)

PAGE = 4096
TIMEOUT = 60.0
REPO = Path(__file__).resolve().parent.parent

COMMANDS: dict[str, list[str]] = {
    "check": ["check"],
    "check --full": ["check", "--full"],
    "clients": ["clients"],
    "clients --json": ["clients", "--json"],
    "session list": ["session", "list", "{code}"],
    "session add": ["session", "add", "{code}", "--date", "{slot}", "--srs", "9,9,9,9"],
    "report": ["report", "{code}", "--out", "{tmp}/summary.pdf"],
    "report --caseload": ["report", "--caseload", "--out", "{tmp}/caseload.pdf"],
    "export json": ["export", "--format", "json", "--out", "{tmp}/export.json"],
    "export csv": ["export", "--format", "csv", "--out", "{tmp}/csv"],
    "import": ["import", "{export}"],
    "backup": ["backup", "--to", "{tmp}/stick"],
    "backups": ["backups", "{backups}"],
    "verify": ["verify", "{backup}"],
    "restore": ["restore", "{backup}"],
    "encrypt": ["encrypt"],
    "passwd": ["passwd", "--new-passphrase-file", "{newpass}"],
    "audit verify": ["audit", "verify"],
    "audit list": ["audit", "list"],
    "client export": ["client", "export", "{code}", "--out", "{tmp}/client"],
    "client erase": ["client", "erase", "{code}", "--yes"],
    "init": ["init"],
    "demo": ["demo", "--clients", "2", "--as-of", AS_OF.isoformat()],
    "review": ["review", "{code}", "--action", "Phoned; plan reviewed", "--not-ongoing",
               "--date", AS_OF.isoformat()],
    "acknowledge": ["acknowledge", "{acode}", "--kind", "{kind}", "--instrument", "{instrument}"],
}  # fmt: skip

_WAL_ONLY = """
import os, sys
from reliability.common import connect
conn = connect(__import__("pathlib").Path(sys.argv[1]))
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("UPDATE sessions SET notes = 'in the log only' WHERE id = 1")
conn.commit()
os._exit(0)  # no checkpoint: the change is in the -wal only
"""


def _page_count(db: Path) -> int:
    return db.stat().st_size // PAGE


def _zeroed_page(db: Path, _other: Path) -> None:
    with db.open("r+b") as handle:
        handle.seek(_page_count(db) // 2 * PAGE)
        handle.write(bytes(PAGE))


def _scribbled(db: Path, _other: Path) -> None:
    rng = random.Random(8)
    with db.open("r+b") as handle:
        handle.seek(_page_count(db) // 3 * PAGE)
        handle.write(rng.randbytes(3 * PAGE))


def _truncated(db: Path, _other: Path) -> None:
    with db.open("r+b") as handle:
        handle.truncate(db.stat().st_size * 2 // 3 + 123)


def _wal_only(db: Path, _other: Path) -> None:
    subprocess.run([sys.executable, "-c", textwrap.dedent(_WAL_ONLY), str(db)], cwd=REPO,
                   check=True)  # fmt: skip
    if not Path(f"{db}-wal").stat().st_size:
        raise RuntimeError("the -wal stayed empty")
    db.write_bytes(b"")


def _flipped_page_one(db: Path, _other: Path) -> None:
    with db.open("r+b") as handle:
        handle.seek(100)
        byte = handle.read(1)
        handle.seek(100)
        handle.write(bytes([byte[0] ^ 0x01]))


def _foreign_key_file(db: Path, other: Path) -> None:
    shutil.copyfile(Path(f"{other}.keys"), Path(f"{db}.keys"))


DAMAGE: dict[str, Callable[[Path, Path], None]] = {
    "zeroed page": _zeroed_page,
    "scribbled pages": _scribbled,
    "truncated file": _truncated,
    "zero-byte main + -wal": _wal_only,
    "flipped byte in page 1": _flipped_page_one,
    "key file of another database": _foreign_key_file,
}


@dataclass
class Fixtures:
    """What the commands need besides the database."""

    values: dict[str, str]


def _copy_with_wal(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", ".keys"):
        origin = source.with_name(source.name + suffix)
        if origin.exists():
            shutil.copyfile(origin, target.with_name(target.name + suffix))
    return target


def _fixtures(template: Path, backup: Path, folder: Path) -> Fixtures:
    """A client code, a free start, an alert to acknowledge, an export, a new passphrase."""
    ((code, slots),) = slot_streams(template, 1)
    listed = run_cli(["--db", str(template), "clients", "--json"])
    kind = instrument = ""
    acode = code
    for client in json.loads(listed.stdout):
        for alert in client["alerts"]:
            if alert.get("kind") and "risk" not in str(alert.get("kind")):
                acode, kind, instrument = client["code"], alert["kind"], alert["instrument_id"]
                break
        if kind:
            break
    export = folder / "one-export.json"
    run_cli(["--db", str(template), "export", "--format", "json", "--out", str(export)])
    newpass = folder / "new-passphrase.txt"
    newpass.write_text("a different passphrase\n", encoding="utf-8")
    return Fixtures(
        {
            "code": code,
            "slot": next(slots),
            "acode": acode,
            "kind": kind or "under_cutoff",
            "instrument": instrument or "SRS",
            "export": str(export),
            "newpass": str(newpass),
            "backup": str(backup),
            "backups": str(backup.parent),
        }
    )


def _args(db: Path, name: str, fixtures: Fixtures, tmp: Path) -> list[str]:
    values = {**fixtures.values, "tmp": str(tmp)}
    return ["--db", str(db), *(part.format(**values) for part in COMMANDS[name])]


def _kept_aside(db: Path, before: dict[str, str]) -> str:
    """'' when a copy beside ``db`` holds the damaged files byte for byte, else what is there."""
    candidates = [
        p
        for p in db.parent.glob(f"{db.name}.before-restore-*")
        if not p.name.endswith((".keys", "-wal", "-shm", ".partial"))
    ]
    for kept in candidates:
        if file_state(kept) == {"db": before["db"], "-wal": before["-wal"],
                                ".keys": before[".keys"]}:  # fmt: skip
            return ""
    names = sorted(p.name for p in db.parent.iterdir())
    return f"no byte-for-byte copy of the damaged files beside it (found: {names})"


def run(
    template: Path,
    backup: Path,
    work: Path,
    *,
    kinds: tuple[str, ...] = tuple(DAMAGE),
    commands: tuple[str, ...] = tuple(COMMANDS),
) -> RowResult:
    """Every damage kind under every command."""
    result = RowResult("damaged databases x every command")
    folder = work / "damaged"
    folder.mkdir(parents=True, exist_ok=True)
    fixtures = _fixtures(template, backup, folder)
    other = make_demo(folder / "other" / "other.db", clients=2, seed=99)
    # The control pass: every command on the healthy database.
    odd_on_healthy = []
    for name in commands:
        case = folder / f"healthy-{name.replace(' ', '_')}"
        db = copy_database(template, case / "practice.db")
        (case / "stick").mkdir()
        done = run_cli(_args(db, name, fixtures, case), timeout=TIMEOUT)
        if done.returncode != 0:
            odd_on_healthy.append(f"{name} → {done.returncode}")
        if done.internal_error or done.timed_out:
            column = "hangs" if done.timed_out else "internal"
            result.fail(column, f"healthy database, {name}: {done.describe()}", done.reproducer)
        shutil.rmtree(case, ignore_errors=True)
    result.notes.append("on the healthy database: " + (", ".join(odd_on_healthy) or "all exit 0"))
    for kind in kinds:
        damaged = copy_database(template, folder / "templates" / kind.replace(" ", "_") / "p.db")
        DAMAGE[kind](damaged, other)
        for name in commands:
            _one(result, kind, name, damaged=damaged, fixtures=fixtures, folder=folder)
    return result


def _one(
    result: RowResult, kind: str, name: str, *, damaged: Path, fixtures: Fixtures, folder: Path
) -> None:
    case = folder / "case"
    shutil.rmtree(case, ignore_errors=True)
    db = _copy_with_wal(damaged, case / "practice.db")
    (case / "stick").mkdir()
    before = file_state(db)
    args = _args(db, name, fixtures, case)
    done = run_cli(args, timeout=TIMEOUT)
    result.runs += 1
    label = f"{kind}, {name}"
    repro = f"{command_line(args)}  # on a copy of {damaged} (+ -wal, .keys)"
    if done.timed_out:
        result.fail("hangs", f"{label}: no answer in {TIMEOUT:.0f} s", repro)
    if done.internal_error:
        result.fail("internal", f"{label}: {done.describe()}", repro)
    after = file_state(db)
    if name == "restore" and done.returncode == 0:
        problem = _kept_aside(db, before)
        if problem:
            result.fail("worse", f"{label}: restored, but {problem}", repro)
    elif after != before:
        changed = ", ".join(k for k in before if before[k] != after[k])
        result.fail("worse", f"{label} (exit {done.returncode}): changed {changed}", repro)
    if name == "backup" and any((case / "stick").iterdir()):
        result.fail("wrong", f"{label}: a backup of the damaged database was written", repro)
    if digest(Path(fixtures.values["backup"])) == "":
        raise RuntimeError("the good backup went missing")
    shutil.rmtree(case, ignore_errors=True)
