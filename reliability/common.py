"""What every row shares: running the app (a real process or in-process), and looking inside
the databases it leaves (with the test passphrase and the app's own key files)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from reliability import PASSPHRASE

#: Every demo caseload ends on this day; every session the harness adds starts before it.
AS_OF = date(2026, 11, 20)
#: Exit codes of ``alliance_desktop.cli``.
EXIT_OK, EXIT_UNHEALTHY, EXIT_USER, EXIT_INTERNAL = 0, 1, 2, 70
#: The environment every run gets (set in ``__main__`` before anything is imported).
ENVIRONMENT = {
    "ALLIANCE_PASSPHRASE": PASSPHRASE,
    "ALLIANCE_TEST_FAST_KDF": "1",  # keys.FAST_KDF_ENV: new key files unlock cheaply
}
#: Tell the reader how to run a printed reproducer (ALLIANCE_HOME is any empty folder).
_REPRO_ENV = "ALLIANCE_HOME=$(mktemp -d) ALLIANCE_PASSPHRASE='correct horse battery' "
_REPRO_ENV += "ALLIANCE_TEST_FAST_KDF=1 .venv/bin/python -m alliance_desktop "


def set_environment(home: Path) -> None:
    """Point the app's data, settings and logs at ``home`` and give it the passphrase."""
    os.environ.update(ENVIRONMENT)
    os.environ["ALLIANCE_HOME"] = str(home)
    os.environ.pop("ALLIANCE_DB", None)
    os.environ.pop("PYTHONPATH", None)  # the app comes from the venv, not from a checkout


def command_line(args: Sequence[str]) -> str:
    """The shell command that runs the app with ``args`` as the harness did."""
    return _REPRO_ENV + shlex.join(args)


def _looks_internal(text: str) -> bool:
    return "internal error" in text.lower() or "Traceback" in text


@dataclass
class CliRun:
    """One finished (or stopped) run of the real command line in a child process."""

    args: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    killed_by_us: bool = False

    @property
    def internal_error(self) -> bool:
        """Exit 70, a crash (a signal we did not send), or a traceback in the output."""
        crashed = self.returncode is not None and self.returncode < 0 and not self.killed_by_us
        return (
            self.returncode == EXIT_INTERNAL
            or crashed
            or _looks_internal(self.stdout + self.stderr)
        )

    @property
    def one_line_refusal(self) -> bool:
        """A non-zero exit that says why in exactly one line on stderr."""
        return self.returncode not in (None, 0) and len(self.stderr.strip().splitlines()) == 1

    def describe(self) -> str:
        first = (self.stderr.strip().splitlines() or self.stdout.strip().splitlines() or [""])[0]
        return f"exit {self.returncode} after {self.seconds:.1f}s: {first[:300]}"

    @property
    def reproducer(self) -> str:
        return command_line(self.args)


def start_cli(args: Sequence[str], *, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``python -m alliance_desktop ARGS`` in its own process group (so a kill or a
    timeout reaches everything it started), with no terminal on stdin."""
    return subprocess.Popen(
        [sys.executable, "-m", "alliance_desktop", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        start_new_session=True,
    )


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group of a child this harness started (and only that)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def finish(
    process: subprocess.Popen[bytes],
    args: Sequence[str],
    started: float,
    *,
    timeout: float,
    killed_by_us: bool = False,
) -> CliRun:
    """Wait for a started child (killing its group past ``timeout``) and collect its output."""
    timed_out = False
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill_group(process)
        out, err = process.communicate()
    return CliRun(
        list(args),
        process.returncode,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
        time.monotonic() - started,
        timed_out=timed_out,
        killed_by_us=killed_by_us,
    )


def run_cli(args: Sequence[str], *, timeout: float = 60.0, cwd: Path | None = None) -> CliRun:
    """Run the real command line to the end (or to ``timeout``, then kill it: a hang)."""
    started = time.monotonic()
    return finish(start_cli(args, cwd=cwd), args, started, timeout=timeout)


class InProcessHang(BaseException):
    """Raised by the alarm in a run that took longer than its timeout (not an Exception, so
    the app's own ``except Exception`` cannot swallow it)."""


@dataclass
class MainRun:
    """One call of ``alliance_desktop.cli.main`` inside this process."""

    argv: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    exception: str = ""
    hung: bool = False

    @property
    def internal_error(self) -> bool:
        return (
            self.returncode == EXIT_INTERNAL
            or bool(self.exception)
            or _looks_internal(self.stdout + self.stderr)
        )

    def describe(self) -> str:
        if self.exception:
            return f"uncaught {self.exception}"
        first = (self.stderr.strip().splitlines() or self.stdout.strip().splitlines() or [""])[0]
        return f"exit {self.returncode}: {first[:300]}"


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise InProcessHang


def run_main(argv: Sequence[str], *, timeout: float = 30.0) -> MainRun:
    """``cli.main(argv)`` with stdout and stderr captured and an alarm at ``timeout``."""
    from alliance_desktop import cli

    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    code: int | None = None
    exception = ""
    hung = False
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(list(argv))
    except InProcessHang:
        hung = True
    except SystemExit as exc:  # argparse's own exit on a usage mistake
        code = exc.code if isinstance(exc.code, int) else EXIT_USER
    except BaseException as exc:  # an uncaught exception is what we count
        exception = f"{type(exc).__name__}: {str(exc)[:300]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return MainRun(list(argv), code, out.getvalue(), err.getvalue(), exception, hung)


# --- databases --------------------------------------------------------------------------


def keys_path(database: Path) -> Path:
    return database.with_name(database.name + ".keys")


def make_demo(path: Path, clients: int = 10, seed: int = 1) -> Path:
    """A synthetic caseload made by the real command line (never real data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    made = run_cli(
        [
            "--db",
            str(path),
            "demo",
            "--clients",
            str(clients),
            "--seed",
            str(seed),
            "--as-of",
            AS_OF.isoformat(),
        ],
        timeout=300,
    )
    if made.returncode != 0:
        raise RuntimeError(f"demo failed: {made.describe()}")
    return path


def copy_database(source: Path, target: Path) -> Path:
    """Copy a closed database with its key file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    shutil.copyfile(keys_path(source), keys_path(target))
    return target


def connect(path: Path) -> Any:
    """A DB-API connection: SQLCipher with the key the test passphrase unlocks (as
    tests/keyed.py raw_connect), the standard library for a plain file."""
    from alliance_desktop.storage import cipher, keys

    if cipher.is_plain_sqlite(path):
        return sqlite3.connect(path)
    return cipher.connect(path, keys.unlock(path, PASSPHRASE))


@contextlib.contextmanager
def opened(path: Path) -> Iterator[Any]:
    conn = connect(path)
    try:
        yield conn
    finally:
        conn.close()


def minute(stored: str) -> str:
    """A stored start ('2026-11-19 08:00:00.000000') as the CLI prints it ('2026-11-19T08:00')."""
    return datetime.fromisoformat(stored).strftime("%Y-%m-%dT%H:%M")


def sessions_in(path: Path) -> set[tuple[str, str]]:
    """Every session in a database as (client code, start to the minute)."""
    with opened(path) as conn:
        rows = conn.execute(
            "SELECT c.code, s.start FROM sessions s JOIN clients c ON c.id = s.client_id"
        ).fetchall()
    return {(str(code), minute(str(start))) for code, start in rows}


def integrity(path: Path) -> list[str]:
    """``PRAGMA integrity_check`` (['ok'] when healthy), or the error that stopped it."""
    try:
        with opened(path) as conn:
            return [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except Exception as exc:  # any failure to read is the answer here
        return [f"{type(exc).__name__}: {exc}"]


def count_rows(path: Path, table: str) -> int:
    with opened(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def digest(path: Path) -> str:
    """SHA-256 of a file ('' when it is missing or empty: neither holds data)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ""
    return hashlib.sha256(data).hexdigest() if data else ""


def file_state(database: Path) -> dict[str, str]:
    """Digests of the database, its write-ahead log and its key file."""
    return {
        suffix or "db": digest(database.with_name(database.name + suffix))
        for suffix in ("", "-wal", ".keys")
    }


@dataclass(frozen=True)
class ClientRow:
    code: str
    intake: date
    busy: tuple[tuple[datetime, datetime], ...]


def clients_of(path: Path) -> list[ClientRow]:
    """Each client with its intake date and the spans its sessions take."""
    with opened(path) as conn:
        clients = conn.execute("SELECT id, code, intake_date FROM clients ORDER BY id").fetchall()
        spans = conn.execute("SELECT client_id, start, duration_minutes FROM sessions").fetchall()
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for client_id, start, minutes in spans:
        begin = datetime.fromisoformat(str(start))
        busy.setdefault(int(client_id), []).append((begin, begin + timedelta(minutes=minutes)))
    return [
        ClientRow(str(code), date.fromisoformat(str(intake)[:10]), tuple(busy.get(cid, [])))
        for cid, code, intake in clients
    ]


def free_slots(client: ClientRow, *, skip: int = 0, before: date = AS_OF) -> Iterator[str]:
    """Starts ('YYYY-MM-DDTHH:MM') an hour apart, from the day after the intake to ``before``,
    at which a 50-minute session collides with none of the client's sessions. ``skip``
    shifts them by minutes, so two streams on one client never meet."""
    moment = datetime.combine(client.intake + timedelta(days=1), datetime.min.time())
    moment += timedelta(minutes=skip)
    end = datetime.combine(before, datetime.min.time())
    while moment < end:
        finish_at = moment + timedelta(minutes=50)
        if all(finish_at <= begin or moment >= stop for begin, stop in client.busy):
            yield moment.strftime("%Y-%m-%dT%H:%M")
        moment += timedelta(hours=1)


def slot_streams(path: Path, streams: int) -> list[tuple[str, Iterator[str]]]:
    """``streams`` independent (client code, free starts) streams: one client each, the
    clients with the earliest intakes (the most room)."""
    chosen = sorted(clients_of(path), key=lambda c: c.intake)[:streams]
    if len(chosen) < streams:
        raise RuntimeError(f"{path} has fewer than {streams} clients")
    return [(c.code, free_slots(c)) for c in chosen]


def session_add_args(database: Path, code: str, start: str) -> list[str]:
    return ["--db", str(database), "session", "add", code, "--date", start, "--srs", "9,9,9,9"]


def remove_tree(path: Path) -> None:
    with contextlib.suppress(OSError):
        shutil.rmtree(path)
