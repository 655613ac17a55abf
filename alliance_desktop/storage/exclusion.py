"""Keeping writers out while the database file is replaced (restore, migration, encryption).

SQLite's own locks protect a file's contents, not its name: a restore renames a new file
over the database, and a writer in another process that opened the old file before the
rename would go on committing into the old, unlinked inode, its session acknowledged and
gone. So every write also holds a shared lock on a small lock file beside the database
(``.<name>.writers``), and anything that replaces the file holds it exclusively from before
its first step until after the rename. A writer that waited for a replacement then finds
the file under the name is no longer the one it opened, and refuses (``DatabaseReplaced``).

The same lock tells whether a ``.partial`` file beside the database is stale: each
operation that makes one holds the lock (shared or exclusive) while the partial exists, so
if the lock can be taken exclusively at once, nobody is making one, and what is left over
was left by a killed process.

``flock`` locks belong to the open file, so two opens in one process exclude each other
like two processes do, and the kernel drops them when a process dies: a killed restore
never leaves the database locked. On systems without ``fcntl`` (Windows) this is a no-op:
there a file that is open cannot be renamed over, so the replacement itself fails.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from alliance_desktop.storage.errors import DatabaseUnavailable, StorageError

#: How long a writer waits for a replacement to finish (the same as SQLite's busy timeout).
WRITER_WAIT_SECONDS = 10.0
#: How long a replacement waits for the writes under way to finish.
REPLACER_WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.02


class DatabaseReplaced(StorageError):
    """The file under the database's name is not the one that was opened (a restore
    replaced it, or it was moved): nothing was written."""


class ReplacementBusy(DatabaseUnavailable):
    """Writes to the database did not finish in time for a replacement to start."""


def lock_path(database: Path) -> Path:
    return database.with_name(f".{database.name}.writers")


def identity(path: Path) -> tuple[int, int] | None:
    """The file's device and inode, or None when nothing is there."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _open_lock_file(database: Path) -> int | None:
    """The lock file's descriptor, or None where it cannot exist (no fcntl; a read-only
    folder, where no write or replacement can happen either)."""
    if fcntl is None:
        return None
    try:
        return os.open(lock_path(database), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT):
            return None
        raise


def _acquire(fd: int, mode: int, wait: float) -> bool:
    assert fcntl is not None
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_SECONDS)


@contextlib.contextmanager
def writing(
    database: Path,
    opened: tuple[int, int] | None,
    *,
    wait: float = WRITER_WAIT_SECONDS,
    before_waiting: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold the shared lock for one write, having checked the file is the one opened.

    ``opened`` is the file's identity when it was opened (None: do not check, e.g. a new
    database being created). ``before_waiting`` runs once if a replacement is under way,
    before waiting for it: the database closes its idle connections there, which would
    otherwise keep the file in use and make the restore give up.
    """
    fd = _open_lock_file(database)
    try:
        if fd is not None and not _acquire(fd, fcntl.LOCK_SH, 0.0) and before_waiting:
            before_waiting()
        if fd is not None and not _acquire(fd, fcntl.LOCK_SH, wait):
            raise DatabaseUnavailable(
                f"{database.name} is being restored or updated by another Alliance Desktop "
                "(window or command). Nothing was saved; try again when it has finished."
            )
        check_same_file(database, opened, "Nothing was saved")
        yield
    finally:
        if fd is not None:
            os.close(fd)  # closing the descriptor releases its lock


def check_same_file(database: Path, opened: tuple[int, int] | None, consequence: str) -> None:
    """Raise ``DatabaseReplaced`` unless the file under the name is the one opened."""
    if opened is None:
        return
    now = identity(database)
    if now is None:
        raise DatabaseReplaced(
            f"{database} was moved or deleted after it was opened here (or its drive was "
            f"disconnected). {consequence}; put it back, then open it again."
        )
    if now != opened:
        raise DatabaseReplaced(
            f"{database.name} was replaced after it was opened here (a backup was restored, "
            f"or the file was moved). {consequence}; open the database again and redo the "
            "change."
        )


@contextlib.contextmanager
def replacing(database: Path, *, wait: float = REPLACER_WAIT_SECONDS) -> Iterator[None]:
    """Hold the exclusive lock while the database file is replaced or rebuilt.

    Raises:
        ReplacementBusy: Writes under way did not finish within ``wait`` seconds.
    """
    fd = _open_lock_file(database)
    try:
        if fd is not None and not _acquire(fd, fcntl.LOCK_EX, wait):
            raise ReplacementBusy(
                f"{database.name} is being written by another program (a window or a "
                "command of Alliance Desktop). Nothing was changed; try again in a moment."
            )
        yield
    finally:
        if fd is not None:
            os.close(fd)


@contextlib.contextmanager
def if_idle(database: Path) -> Iterator[bool]:
    """Yield True, holding the exclusive lock, when nobody writes or replaces the database
    at this moment (so its leftover partial files are provably stale); else yield False."""
    fd = _open_lock_file(database)
    try:
        # Without fcntl (Windows) a file being written cannot be deleted anyway.
        yield fcntl is None if fd is None else _acquire(fd, fcntl.LOCK_EX, 0.0)
    finally:
        if fd is not None:
            os.close(fd)
