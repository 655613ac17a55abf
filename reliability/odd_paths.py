"""Row 7: odd paths wherever the command line takes a file.

A named pipe, /dev/zero, /dev/full, /dev/null, a missing name under /proc, a folder, a name
of 300 characters, a name with a newline in it, and files on a read-only tmpfs (when this
machine lets us mount one), each given as ``--db`` (to a command that writes, and to one
that reads), ``--json``, ``export --out``, ``verify``, ``restore``, ``import`` and
``--passphrase-file``, in a real process with a 20-second timeout. No run may hang or fail
internally, no pipe or device may be replaced, and a command refused for its odd path
leaves the database as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reliability import PASSPHRASE, RowResult
from reliability.common import (
    copy_database,
    file_state,
    run_cli,
    sessions_in,
    slot_streams,
)

TIMEOUT = 20.0
USES = (
    "--db",
    "--db (read)",
    "--json",
    "export --out",
    "verify",
    "restore",
    "import",
    "--passphrase-file",
)


@dataclass
class Odd:
    """One odd path; ``valid`` when a real file of the right kind is there for each use."""

    name: str
    path: Path
    valid: bool = False
    special: bool = False


@dataclass
class Inputs:
    """Real, valid files of each kind, to copy under the odd names that can hold them."""

    database: Path
    code: str
    start: str
    session: Path
    backup: Path
    export: Path
    passphrase: Path


def _fill(target: Path, use: str, inputs: Inputs) -> None:
    """Put a valid file for ``use`` at ``target`` (a database with its key file, …)."""
    if use in ("--db", "--db (read)"):
        copy_database(inputs.database, target)
    elif use == "--json":
        shutil.copyfile(inputs.session, target)
    elif use in ("verify", "restore"):
        shutil.copyfile(inputs.backup, target)
    elif use == "import":
        shutil.copyfile(inputs.export, target)
    elif use == "--passphrase-file":
        shutil.copyfile(inputs.passphrase, target)


def _command(
    use: str, path: Path, *, good: Path, fresh: Path, inputs: Inputs, odd: Odd
) -> list[str]:
    p = str(path)
    add = ["session", "add", inputs.code, "--date", inputs.start, "--srs", "9,9,9,9"]
    if use == "--db":
        return ["--db", p, *add] if odd.valid else ["--db", p, "init"]
    if use == "--db (read)":
        return ["--db", p, "clients"]
    if use == "--json":
        return ["--db", str(good), "session", "add", inputs.code, "--json", p]
    if use == "export --out":
        return ["--db", str(good), "export", "--format", "json", "--out", p]
    if use == "verify":
        return ["verify", p]
    if use == "restore":
        return ["--db", str(good), "restore", p]
    if use == "import":
        return ["--db", str(fresh), "import", p]
    return ["--db", str(good), "clients", "--passphrase-file", p]


def _folder_name(use: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in use).strip("-")


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        status = os.lstat(path)
    except OSError:
        return None
    return (status.st_mode, status.st_ino, status.st_rdev)


@contextlib.contextmanager
def _read_only_tmpfs(point: Path, inputs: Inputs, notes: list[str]) -> Iterator[Path | None]:
    """A tmpfs holding a valid file for each use, remounted read-only (None if not allowed)."""
    point.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(point)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        notes.append(f"read-only tmpfs skipped: {mounted.stderr.strip() or 'mount failed'}")
        yield None
        return
    try:
        for use in USES:
            folder = point / _folder_name(use)
            folder.mkdir()
            if use != "export --out":
                _fill(folder / "file", use, inputs)
        remount = subprocess.run(["mount", "-o", "remount,ro", str(point)],
                                 capture_output=True, text=True, check=False)  # fmt: skip
        if remount.returncode != 0:
            notes.append(f"read-only tmpfs skipped: {remount.stderr.strip()}")
            yield None
        else:
            yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


def run(
    template: Path, backup: Path, work: Path, *, uses: tuple[str, ...] | None = None
) -> RowResult:
    """Every odd path under every use (or the ``uses`` given)."""
    uses = uses or USES
    result = RowResult("odd paths (pipe, devices, /proc, folder, long, newline, read-only)")
    folder = work / "odd"
    folder.mkdir(parents=True, exist_ok=True)
    good_template = copy_database(template, folder / "good" / "practice.db")
    ((code, slots),) = slot_streams(good_template, 1)
    start = next(slots)
    session = folder / "session.json"
    session.write_text(json.dumps({"start": start, "notes": "odd paths"}), encoding="utf-8")
    export = folder / "export.json"
    made = run_cli(["--db", str(good_template), "export", "--format", "json", "--out",
                    str(export)])  # fmt: skip
    phrase = folder / "passphrase.txt"
    phrase.write_text(PASSPHRASE + "\n", encoding="utf-8")
    if made.returncode != 0:
        result.fail("wrong", f"the export for the row failed: {made.describe()}", made.reproducer)
        return result
    inputs = Inputs(good_template, code, start, session, backup, export, phrase)
    fifo = folder / "pipe"
    os.mkfifo(fifo)
    (folder / "a-folder").mkdir()
    odds = [
        Odd("named pipe", fifo, special=True),
        Odd("/dev/zero", Path("/dev/zero"), special=True),
        Odd("/dev/full", Path("/dev/full"), special=True),
        Odd("/dev/null", Path("/dev/null"), special=True),
        Odd("/proc/self/x", Path("/proc/self/x")),
        Odd("a folder", folder / "a-folder"),
        Odd("300-character name", folder / ("n" * 296 + ".db")),
        Odd("newline in name", folder / "line\nbreak.db", valid=True),
    ]
    with _read_only_tmpfs(folder / "ro", inputs, result.notes) as read_only:
        cases: list[tuple[Odd, str]] = [(o, u) for o in odds for u in uses]
        if read_only is not None:
            for use in uses:
                sub = read_only / _folder_name(use)
                name = "new.json" if use == "export --out" else "file"
                cases.append((Odd("read-only tmpfs", sub / name, valid=use != "export --out"),
                              use))  # fmt: skip
            ro_db = read_only / "db" / "file"  # restoring over a database on it
            cases.append((Odd("read-only tmpfs (target)", ro_db, valid=True), "restore-into"))
        for index, (odd, use) in enumerate(cases):
            _one(result, index, odd, use, inputs=inputs, folder=folder)
    return result


def _one(
    result: RowResult, index: int, odd: Odd, use: str, *, inputs: Inputs, folder: Path
) -> None:
    """Run one (odd path, use) case and count what went wrong."""
    case = folder / f"case-{index}"
    good = copy_database(inputs.database, case / "practice.db")
    fresh = case / "new.db"
    path = odd.path
    if odd.valid and odd.name == "newline in name":
        path = case / odd.path.name
        if use != "export --out":
            _fill(path, use, inputs)
    if use == "restore-into":
        args = ["--db", str(path), "restore", str(inputs.backup)]
    else:
        args = _command(use, path, good=good, fresh=fresh, inputs=inputs, odd=odd)
    identity = _identity(path) if odd.special else None
    before_state = file_state(good)
    before_sessions = sessions_in(good)
    done = run_cli(args, timeout=TIMEOUT)
    result.runs += 1
    label = f"{odd.name} as {use}"
    if done.timed_out:
        result.fail("hangs", f"{label}: no answer in {TIMEOUT:.0f} s", done.reproducer)
    if done.internal_error:
        result.fail("internal", f"{label}: {done.describe()}", done.reproducer)
    elif done.returncode not in (0, 2) or (done.returncode != 0 and not done.one_line_refusal):
        result.fail("wrong", f"{label}: {done.describe()}", done.reproducer)
    if odd.special and _identity(path) != identity:
        result.fail("worse", f"{label}: {path} was replaced or changed kind", done.reproducer)
    refused = done.returncode != 0
    if refused and use in ("restore", "--json") and file_state(good) != before_state:
        result.fail("worse", f"{label}: refused, yet the database changed", done.reproducer)
    elif use == "--json" and not odd.valid and sessions_in(good) != before_sessions:
        result.fail("wrong", f"{label}: a session was recorded", done.reproducer)
    if odd.special and stat.S_ISFIFO(identity[0] if identity else 0) and done.returncode == 0:
        result.fail("wrong", f"{label}: a named pipe was accepted", done.reproducer)
    shutil.rmtree(case, ignore_errors=True)
