"""Faults from the environment, as a user meets them on the command line (issue 16).

Each odd input (JSON nested 60,000 deep, a 5,000-digit number, settings of the wrong type,
a folder that takes no files, a name too long, no terminal, a named pipe, /dev/zero, a
device or socket under the chosen name, a backup header asking for absurd key work) must
end in one sentence and a user-error exit, never "internal error", a hang or a memory
blow-up, and must leave every file exactly as it was. Each command runs in a real process
with a timeout, so a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import hashlib
import json
import os
import pty
import select
import socket
import stat
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.e2e.test_cli import one_client_export
from tests.keyed import TEST_PASSPHRASE

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX pipes and devices")
EXIT_USER_ERROR = 2
TIMEOUT = 20  # seconds; a command that waits on a pipe would otherwise hang the suite
WHEN = "2026-11-02T10:00"  # an explicit session start: nothing here reads the clock


def cli(
    *args: str,
    env: dict[str, str] | None = None,
    drop: Sequence[str] = (),
    stdin_closed: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``alliance-desktop`` with stdin on /dev/null (or closed: ``0<&-``)."""
    environment = {k: v for k, v in os.environ.items() if k not in drop}
    environment.update(env or {})
    command = [sys.executable, "-m", "alliance_desktop", *args]
    if stdin_closed:
        command = ["sh", "-c", 'exec "$@" 0<&-', "sh", *command]
    return subprocess.run(
        command,
        stdin=None if stdin_closed else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=environment,
        timeout=TIMEOUT,
        check=False,
    )


def refused(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Assert one plain sentence on stderr and the user-error exit; return the sentence."""
    assert result.returncode == EXIT_USER_ERROR, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert "internal error" not in line and "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in line, line
    return line


def state(root: Path) -> dict[str, str]:
    """Every entry under ``root`` with its content's digest (a pipe, socket or device by
    its kind, never opened). Aside: the logs' folder, the writers' lock files, SQLite's
    shared-memory index and an empty write-ahead log (opening a database makes them; they
    hold no data)."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] == "home" or path.name.endswith((".writers", "-shm")):
            continue
        mode = path.lstat().st_mode
        if path.name.endswith("-wal") and stat.S_ISREG(mode) and path.stat().st_size == 0:
            continue
        if stat.S_ISREG(mode):
            found[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif stat.S_ISDIR(mode):
            found[str(relative)] = "folder"
        else:
            found[str(relative)] = f"special {stat.S_IFMT(mode):o}"
    return found


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.fixture
def stick(tmp_path: Path) -> Path:
    folder = tmp_path / "stick"
    folder.mkdir()
    return folder


# ------------------------------------------------------------------ absurd JSON


def _deep(levels: int = 60_000) -> str:
    return "[" * levels + "]" * levels


def _long_number() -> str:
    return '{"format": "alliance-desktop-export", "format_version": ' + "7" * 5000 + "}"


@pytest.mark.parametrize("content", [_deep(), _long_number()], ids=["deep", "long-number"])
def test_absurd_json_for_import_is_one_sentence(tmp_path: Path, content: str) -> None:
    source = tmp_path / "export.json"
    source.write_text(content, encoding="utf-8")
    before = state(tmp_path)
    result = cli("--db", str(tmp_path / "new.db"), "import", str(source))
    line = refused(result, str(source), "so it is not an Alliance Desktop export")
    assert "a thousand levels deep or more" in line or "more than 4,300 digits" in line
    assert state(tmp_path) == before  # no database was created


@pytest.mark.parametrize(
    "content", [_deep(), '{"duration_minutes": ' + "5" * 5000 + "}", '{"notes": NaN}'],
    ids=["deep", "long-number", "nan"],
)  # fmt: skip
def test_absurd_json_for_a_session_is_one_sentence(
    demo_db_path: Path, tmp_path: Path, content: str
) -> None:
    session = tmp_path / "session.json"
    session.write_text(content, encoding="utf-8")
    before = state(tmp_path)
    result = cli(
        "--db", str(demo_db_path), "session", "add", "C-1", "--json", str(session), "--date", WHEN
    )
    refused(result, "session.json", "so it is not a session")
    assert state(tmp_path) == before


# ------------------------------------------------------------------ settings on import


def _export_with_settings(settings: object) -> str:
    document = json.loads(one_client_export())
    document["settings"] = settings
    return json.dumps(document)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"practice": {"default_instruments": 3}}, "settings.practice.default_instruments"),
        ({"practice": {"default_instruments": [["ORS"]]}}, "settings.practice.default_instruments"),
        ({"practice": {"practice_name": 5}}, "settings.practice.practice_name"),
        ({"practice": ["Practice"]}, "settings.practice must be an object"),
        ({"backup": {"keep_daily": "7"}}, "settings.backup.keep_daily"),
        ({"backup": [7, 4, 12]}, "settings.backup must be an object"),
        ({"alert_settings": {"srs_cutoff": "36"}}, "settings.alert_settings"),
        ({"someday": json.loads(_deep(100))}, "settings.someday nests more than"),
    ],
    ids=[
        "instruments-number", "instruments-nested", "name-number", "practice-list",
        "keep-text", "backup-list", "alert-text", "nested",
    ],
)  # fmt: skip
def test_settings_of_the_wrong_type_are_refused_on_import(
    tmp_path: Path, settings: dict[str, object], named: str
) -> None:
    source = tmp_path / "export.json"
    source.write_text(_export_with_settings(settings), encoding="utf-8")
    before = state(tmp_path)
    result = cli("--db", str(tmp_path / "new.db"), "import", str(source))
    line = refused(result, named, "export.json")
    assert "Zoë" not in line  # never record content in a message
    assert state(tmp_path) == before  # nothing imported, no database made


def test_a_bad_stored_setting_falls_back_to_its_default(tmp_path: Path) -> None:
    """A database that already holds settings of the wrong type (imported before they were
    checked) still prints reports and takes new sessions."""
    from alliance_desktop.storage import repository
    from tests.keyed import open_database

    source = tmp_path / "export.json"
    source.write_text(_export_with_settings({}), encoding="utf-8")
    database = tmp_path / "practice.db"
    assert cli("--db", str(database), "import", str(source)).returncode == 0
    db = open_database(database)
    try:
        repository.set_setting(db, "practice", {"practice_name": 5, "default_instruments": 3})
        repository.set_setting(db, "backup", {"keep_daily": "7", "keep_weekly": []})
    finally:
        db.close()
    for args in (
        ("report", "C-1", "--to", "2026-11-20", "--out", str(tmp_path / "c1.pdf")),
        ("report", "--caseload", "--out", str(tmp_path / "caseload.pdf")),
        ("session", "add", "C-1", "--date", WHEN, "--attendance", "cancelled"),
    ):
        result = cli("--db", str(database), *args)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "c1.pdf").stat().st_size > 0


# ------------------------------------------------------------------ places that take no file


@pytest.mark.parametrize("kind", ["json", "csv"])
def test_export_into_proc_is_one_sentence(demo_db_path: Path, tmp_path: Path, kind: str) -> None:
    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux's /proc")
    before = state(tmp_path)
    result = cli("--db", str(demo_db_path), "export", "--format", kind, "--out", "/proc/x")
    refused(result, "/proc")
    assert not Path("/proc/x").exists()
    assert state(tmp_path) == before


@pytest.mark.parametrize(
    ("args", "suffix"),
    [
        (("export", "--format", "json"), ".json"),
        (("export", "--format", "csv"), ""),
        (("report", "--caseload"), ".pdf"),
    ],
    ids=["json", "csv", "pdf"],
)
def test_a_300_character_name_is_one_sentence(
    demo_db_path: Path, tmp_path: Path, args: tuple[str, ...], suffix: str
) -> None:
    target = tmp_path / ("n" * 300 + suffix)
    before = state(tmp_path)
    result = cli("--db", str(demo_db_path), *args, "--out", str(target))
    refused(result, "is too long", "Choose a shorter name")
    assert state(tmp_path) == before  # nothing written, no partial file left


# ------------------------------------------------------------------ no terminal


@pytest.mark.parametrize("stdin_closed", [True, False], ids=["stdin-closed", "dev-null"])
def test_backup_and_verify_without_a_terminal_or_passphrase(
    demo_db_path: Path, tmp_path: Path, stick: Path, stdin_closed: bool
) -> None:
    made = cli("--db", str(demo_db_path), "backup", "--to", str(stick))
    assert made.returncode == 0, made.stderr
    (backup,) = stick.iterdir()
    before = state(tmp_path)
    for args in (
        ("--db", str(demo_db_path), "backup", "--to", str(stick), "--force"),
        ("verify", str(backup)),
        ("--db", str(demo_db_path), "passwd"),
        ("--db", str(demo_db_path), "client", "erase", "C-1"),
    ):
        result = cli(*args, drop=["ALLIANCE_PASSPHRASE"], stdin_closed=stdin_closed)
        refused(result, "needs the passphrase", "--passphrase-file", "ALLIANCE_PASSPHRASE")
    assert state(tmp_path) == before


def test_passwd_and_erase_with_stdin_closed_but_a_passphrase(
    demo_db_path: Path, tmp_path: Path
) -> None:
    listing = cli("--db", str(demo_db_path), "clients", "--json")
    code = json.loads(listing.stdout)[0]["code"]
    before = state(tmp_path)
    asked = cli("--db", str(demo_db_path), "passwd", stdin_closed=True)
    refused(asked, "--new-passphrase-file")
    erase = cli("--db", str(demo_db_path), "client", "erase", code, stdin_closed=True)
    refused(erase, "cannot be undone", "--yes")
    assert state(tmp_path) == before


def at_terminal(args: Sequence[str], prompt: str, keys: bytes) -> tuple[int, str]:
    """Run the command on a pseudo-terminal, type ``keys`` once ``prompt`` shows; return
    its exit code and everything it wrote there."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: nothing but exec
        os.execv(sys.executable, [sys.executable, "-m", "alliance_desktop", *args])
    output, typed = b"", False
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], TIMEOUT)
            if not ready:
                raise AssertionError(f"no answer from the command: {output!r}")
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if not typed and prompt.encode() in output:
                os.write(fd, keys)
                typed = True
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_ctrl_d_at_each_prompt_is_one_sentence(demo_db_path: Path, tmp_path: Path) -> None:
    listing = cli("--db", str(demo_db_path), "clients", "--json")
    code = json.loads(listing.stdout)[0]["code"]
    before = state(tmp_path)
    status, said = at_terminal(("--db", str(demo_db_path), "passwd"), "New passphrase:", b"\x04")
    assert status == EXIT_USER_ERROR and "No new passphrase was typed" in said, said
    status, said = at_terminal(
        ("--db", str(demo_db_path), "client", "erase", code), "[y/N]", b"\x04"
    )
    assert status == 0 and "Nothing was erased." in said, said
    assert "internal error" not in said
    assert state(tmp_path) == before


# ------------------------------------------------------------------ pipes and devices


def test_a_named_pipe_as_the_database(tmp_path: Path, fifo: Path) -> None:
    before = state(tmp_path)
    for command in (("clients",), ("init",), ("check",), ("encrypt",)):
        result = cli("--db", str(fifo), *command)
        refused(result, str(fifo), "named pipe (FIFO)", "not a database file")
    assert state(tmp_path) == before


@pytest.mark.parametrize("source", ["fifo", "/dev/zero"])
def test_a_pipe_or_device_as_the_session_json(
    demo_db_path: Path, tmp_path: Path, fifo: Path, source: str
) -> None:
    path = str(fifo) if source == "fifo" else source
    before = state(tmp_path)
    result = cli("--db", str(demo_db_path), "session", "add", "C-1", "--json", path, "--date", WHEN)
    refused(result, path, "not a file", "a session")
    assert state(tmp_path) == before


def test_an_oversized_session_json_is_not_read(demo_db_path: Path, tmp_path: Path) -> None:
    session = tmp_path / "session.json"
    with session.open("wb") as handle:  # sparse: 17 MiB on paper, nothing on disk
        handle.truncate(17 * 1024**2)
    before = state(tmp_path)
    result = cli(
        "--db", str(demo_db_path), "session", "add", "C-1", "--json", str(session), "--date", WHEN
    )
    refused(result, "larger than 16 MB", "too large for a session")
    assert state(tmp_path) == before


def test_an_oversized_import_is_not_read(tmp_path: Path) -> None:
    source = tmp_path / "export.json"
    with source.open("wb") as handle:
        handle.truncate(1024**3 + 1)
    before = state(tmp_path)
    result = cli("--db", str(tmp_path / "new.db"), "import", str(source))
    refused(result, "larger than 1,024 MB", "too large for an Alliance Desktop export")
    assert state(tmp_path) == before


def test_a_named_pipe_to_import(tmp_path: Path, fifo: Path) -> None:
    before = state(tmp_path)
    result = cli("--db", str(tmp_path / "new.db"), "import", str(fifo))
    refused(result, str(fifo), "named pipe (FIFO), not a file")
    assert state(tmp_path) == before


@pytest.mark.parametrize("source", ["fifo", "/dev/zero", "large"])
def test_a_pipe_device_or_large_file_as_the_passphrase_file(
    demo_db_path: Path, tmp_path: Path, fifo: Path, source: str
) -> None:
    large = tmp_path / "secret.txt"
    large.write_text(TEST_PASSPHRASE + "\n" + "x" * 5000, encoding="utf-8")
    path = {"fifo": str(fifo), "/dev/zero": "/dev/zero", "large": str(large)}[source]
    before = state(tmp_path)
    result = cli("--db", str(demo_db_path), "clients", "--passphrase-file", path)
    line = refused(result, "The passphrase file", path)
    assert ("not a file" in line) if source != "large" else ("larger than 4 KB" in line)
    assert state(tmp_path) == before


@pytest.mark.parametrize("command", ["verify", "restore"])
@pytest.mark.parametrize("source", ["fifo", "/dev/zero"])
def test_a_pipe_or_device_as_the_backup_to_verify_or_restore(
    demo_db_path: Path, tmp_path: Path, fifo: Path, command: str, source: str
) -> None:
    path = str(fifo) if source == "fifo" else source
    before = state(tmp_path)
    result = cli("--db", str(demo_db_path), command, path)
    refused(result, path, "not a backup file")
    assert state(tmp_path) == before


def test_a_pipe_in_the_backups_folder_is_skipped_never_opened(
    demo_db_path: Path, stick: Path
) -> None:
    os.mkfifo(stick / "alliance-backup-20200101-000000.allbak")
    leftover = stick / "alliance-backup-20200102-000000.allbak.1a2b3c4d.partial"
    os.mkfifo(leftover)
    os.utime(leftover, (1_577_923_200, 1_577_923_200))  # 2020: old enough to clear away
    made = cli("--db", str(demo_db_path), "backup", "--to", str(stick))
    assert made.returncode == 0, made.stderr
    again = cli("--db", str(demo_db_path), "backup", "--to", str(stick), "--force")
    assert again.returncode == 0, again.stderr
    assert "Removed 1 older backup" in again.stdout  # rotation ran past the pipes
    for pipe in (stick / "alliance-backup-20200101-000000.allbak", leftover):
        assert stat.S_ISFIFO(pipe.lstat().st_mode)
    listed = cli("backups", str(stick), "--json")
    assert listed.returncode == 0, listed.stderr
    entries = {e["file"]: e for e in json.loads(listed.stdout)}
    assert (
        "named pipe (FIFO), not a backup file"
        in entries["alliance-backup-20200101-000000.allbak"]["error"]
    )
    # The second backup rotated the first away (one a day is kept); the pipes stayed.
    assert sum("clients" in e for e in entries.values()) == 1


# ------------------------------------------------------------------ never replace a non-file


def _socket(path: Path) -> socket.socket:
    """A listening Unix socket at ``path`` (bound by its short name: a socket's path may be
    only about 100 characters long)."""
    server = socket.socket(socket.AF_UNIX)
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        server.bind(path.name)
    finally:
        os.chdir(here)
    return server


@pytest.mark.parametrize("kind", ["fifo", "socket"])
@pytest.mark.parametrize(
    ("args", "name"),
    [
        (("export", "--format", "json", "--force"), "out.json"),
        (("export", "--format", "json"), "out.json"),
        (("export", "--format", "csv"), "out"),
        (("report", "--caseload", "--force"), "out.pdf"),
    ],
    ids=["json-force", "json", "csv", "pdf-force"],
)
def test_an_export_never_replaces_a_pipe_or_socket(
    demo_db_path: Path, tmp_path: Path, kind: str, args: tuple[str, ...], name: str
) -> None:
    target = tmp_path / name
    server = None
    if kind == "fifo":
        os.mkfifo(target)
    else:
        server = _socket(target)
    try:
        before = state(tmp_path)
        result = cli("--db", str(demo_db_path), *args, "--out", str(target))
        refused(result, str(target), "not a file", "never writes over one")
        assert state(tmp_path) == before
    finally:
        if server is not None:
            server.close()


def test_an_export_never_replaces_a_device_node(demo_db_path: Path, tmp_path: Path) -> None:
    """As root, ``--out /dev/full --force`` once put the export where the device was; here
    a device node of the same kind is made in tmp_path, so a regression harms nothing."""
    node = tmp_path / "full"
    try:
        os.mknod(node, stat.S_IFCHR | 0o600, os.makedev(1, 7))
    except (PermissionError, AttributeError):
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    before = state(tmp_path)
    result = cli("--db", str(demo_db_path), "export", "--out", str(node), "--force")
    refused(result, str(node), "is a device, not a file")
    assert stat.S_ISCHR(node.lstat().st_mode)
    assert state(tmp_path) == before


# ------------------------------------------------------------------ backup headers


def _with_kdf(data: bytes, **kdf: int) -> bytes:
    fixed = len(b"ALLIANCE-BACKUP\n")
    length = int.from_bytes(data[fixed : fixed + 4], "big")
    header = json.loads(data[fixed + 4 : fixed + 4 + length])
    header["kdf"].update(kdf)
    raw = json.dumps(header).encode()
    return data[:fixed] + len(raw).to_bytes(4, "big") + raw + data[fixed + 4 + length :]


def test_a_backup_asking_for_absurd_key_work_is_refused_before_any(
    demo_db_path: Path, tmp_path: Path, stick: Path
) -> None:
    made = cli("--db", str(demo_db_path), "backup", "--to", str(stick))
    assert made.returncode == 0, made.stderr
    (backup,) = stick.iterdir()
    backup.write_bytes(_with_kdf(backup.read_bytes(), time_cost=20, memory_kib=1024**2))
    before = state(tmp_path)
    result = cli("verify", str(backup))
    refused(
        result,
        "asks for more work to unlock than Alliance Desktop ever uses",
        "20 passes over 1,024 MiB",
        "not made by this app or has been tampered with",
    )
    restore = cli("--db", str(demo_db_path), "restore", str(backup))
    refused(restore, "asks for more work")
    listed = cli("backups", str(stick))
    assert listed.returncode == 0 and "asks for more work" in listed.stdout
    assert state(tmp_path) == before
