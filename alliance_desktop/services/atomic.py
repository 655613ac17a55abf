"""Atomic publication of files and folders: temp name in the same folder, fsync, rename.

A reader (or the next start after a crash) sees either the old file or the whole new one,
never a partial one under the final name. Only a regular file is ever replaced: a device
(``/dev/full``), a named pipe or a socket under the chosen name is refused, never swapped
for a file of clinical data.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.storage.files import NAME_MAX, describe_kind, fsync_dir, name_max
from alliance_desktop.storage.keys import KEYS_SUFFIX, keys_path

#: How much of the final name, in bytes, the temporary name repeats (it adds about 20, and
#: must itself fit the filesystem's limit when the final name just does).
_TEMP_STEM = 100


def _temp_stem(name: str) -> str:
    """The start of ``name`` the temporary name repeats, at most ``_TEMP_STEM`` bytes."""
    stem = name[:_TEMP_STEM]
    while len(os.fsencode(stem)) > _TEMP_STEM:  # accented or non-Latin names
        stem = stem[:-1]
    return stem


def _shown(name: str) -> str:
    """A name short enough for a one-line message."""
    return name if len(name) <= 40 else f"{name[:30]}…"


def check_file_name(target: Path) -> None:
    """Refuse a name the filesystem cannot hold (ENAMETOOLONG), before any work is done."""
    try:
        limit = name_max(target.parent) if target.parent.is_dir() else NAME_MAX
    except OSError:  # the folder's own path is unusable: writing says so
        limit = NAME_MAX
    length = len(os.fsencode(target.name))
    if length > limit:
        raise InvalidInput(
            f"The file name {_shown(target.name)} is too long ({length:,} bytes; the drive "
            f"takes at most {limit}). Choose a shorter name."
        )


def check_target_folder(target: Path) -> None:
    """Refuse early, with a clear message, when ``target`` cannot be written."""
    parent = target.parent
    try:
        check_file_name(target)
        if not parent.is_dir():
            raise InvalidInput(f"The folder {parent} does not exist. Create it or choose another.")
    except OSError as exc:  # a path too long as a whole, say
        raise InvalidInput(describe_os_error(exc, target)) from None
    if not os.access(parent, os.W_OK):
        raise InvalidInput(f"The folder {parent} is not writable. Choose another place.")


def refuse_special(target: Path) -> None:
    """Refuse when a device, named pipe or socket is at ``target`` (never opened, never
    replaced: as root, replacing ``/dev/full`` would put the export where a device was)."""
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return  # nothing there (or unreachable): writing reports its own error
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise InvalidInput(
            f"{target} is {describe_kind(mode)}, not a file; Alliance Desktop never writes "
            "over one. Choose another name."
        )


SQLITE_HEADER = b"SQLite format 3\x00"


def refuse_to_clobber(target: Path, protected: list[Path], *, overwrite: bool) -> None:
    """Refuse to write over a database (ever) or over any existing file (unless asked).

    Args:
        target: The file about to be written.
        protected: Files that must never be replaced (the live database and its journals).
        overwrite: The user asked to replace an existing export.
    """
    check_file_name(target)
    resolved = target.resolve()
    guarded = {p.resolve() for p in protected}
    guarded |= {Path(f"{p}-wal").resolve() for p in protected}
    guarded |= {Path(f"{p}-shm").resolve() for p in protected}
    guarded |= {keys_path(p).resolve() for p in protected}
    if resolved in guarded:
        raise InvalidInput(
            f"{target} is the practice database itself; choose another name for the export."
        )
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:  # a name too long, a loop of links, a drive gone
        raise InvalidInput(describe_os_error(exc, target)) from None
    if stat.S_ISDIR(mode):
        raise InvalidInput(f"{target} is a folder; name a file for the export.")
    refuse_special(target)  # before opening it: a pipe would wait for ever
    is_database = _starts_like_database(target)
    # An encrypted database looks like noise; its key file beside it gives it away. A key
    # file is never replaced either: without it its database is lost.
    is_database = is_database or keys_path(target).exists() or target.name.endswith(KEYS_SUFFIX)
    if is_database:
        raise InvalidInput(
            f"{target} is a database file; an export never replaces one. Choose another name."
        )
    if not overwrite:
        raise InvalidInput(
            f"{target} already exists. Choose a new name, or add --force to replace it."
        )


def _starts_like_database(target: Path) -> bool:
    """Whether the regular file ``target`` starts with SQLite's header (read without
    blocking: a pipe swapped in since the check is not waited for)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(target, flags)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InvalidInput(f"{target} is not a file; choose another name.")
        return os.read(fd, len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False
    finally:
        os.close(fd)


def describe_os_error(exc: OSError, target: Path) -> str:
    """One sentence for a failed write, naming the place and what to do."""
    reasons = {
        errno.ENOSPC: "the disk is full; free some space or choose another drive",
        errno.EROFS: "the drive is read-only; choose another place",
        errno.EACCES: "permission was refused; choose a folder you can write to",
        errno.EPERM: "the drive refused the file (a full FAT stick does this); free some "
        "space or choose another place",
        errno.EIO: "the drive reported an input/output error; check it is still connected",
        errno.ENAMETOOLONG: "the name is too long for the drive; choose a shorter name",
        errno.ENOENT: "the folder is gone (was the drive removed?); plug it in and try again",
        errno.EINVAL: "that place does not take ordinary files; choose a folder of your own",
        errno.ENOTDIR: "part of the path is a file, not a folder; check the path",
        errno.EISDIR: "a folder of that name is in the way; choose another name",
        errno.ELOOP: "the path loops through symbolic links; check the path",
        errno.EFBIG: "the file is too large for this drive; choose another drive",
    }
    if hasattr(errno, "EDQUOT"):
        reasons[errno.EDQUOT] = "your disk quota is used up; free some space"
    if exc.errno == errno.ENOENT and _is_folder(target.parent):
        # The folder is there but takes no new files: /proc, /sys and the like.
        reasons[errno.ENOENT] = "that folder takes no files of yours; choose another place"
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return f"Could not write {_shown_path(target)}: {reason}."


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _shown_path(target: Path) -> str:
    return str(target) if len(target.name) <= 40 else str(target.parent / _shown(target.name))


@contextlib.contextmanager
def atomic_file(target: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[str]]:
    """Write ``target`` atomically; on any error the temp file is removed and nothing changes.

    Raises:
        InvalidInput: The place cannot take the file, or something other than a regular
            file (a device, a pipe, a socket, a folder) is at ``target``: it is never
            replaced.
    """
    check_target_folder(target)
    _refuse_to_replace(target)
    try:
        fd, temp_name = tempfile.mkstemp(
            prefix=f".{_temp_stem(target.name)}.", suffix=".partial", dir=target.parent
        )
    except OSError as exc:  # e.g. a folder that looks writable but is not (/proc)
        raise InvalidInput(describe_os_error(exc, target)) from None
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline="" if "b" not in mode else None) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _refuse_to_replace(target)  # again: it may have appeared while the file was written
        os.replace(temp, target)
        fsync_dir(target.parent)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise InvalidInput(describe_os_error(exc, target)) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _refuse_to_replace(target: Path) -> None:
    """Refuse when ``target`` exists and is not a regular file (``os.replace`` would put a
    file where a device, pipe, socket or empty folder was)."""
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return  # nothing there: a new file
    if stat.S_ISDIR(mode):
        raise InvalidInput(f"{target} is a folder; name a file instead.")
    refuse_special(target)


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Fill a temp folder beside ``target`` and rename it into place when done.

    ``target`` must not exist yet (or be an empty folder), so nothing is overwritten.
    """
    check_target_folder(target)
    refuse_special(target)
    try:
        taken = target.exists() and (not target.is_dir() or any(target.iterdir()))
    except OSError as exc:  # a folder we may not list
        raise InvalidInput(describe_os_error(exc, target)) from None
    if taken:
        raise InvalidInput(
            f"{target} already exists and is not an empty folder. Choose a new folder name."
        )
    try:
        temp = Path(
            tempfile.mkdtemp(
                prefix=f".{_temp_stem(target.name)}.", suffix=".partial", dir=target.parent
            )
        )
    except OSError as exc:  # a folder that looks writable but is not (/proc, as root)
        raise InvalidInput(describe_os_error(exc, target)) from None
    try:
        yield temp
        for child in temp.iterdir():
            with child.open("rb") as handle:
                os.fsync(handle.fileno())
        fsync_dir(temp)
        if target.exists():
            target.rmdir()
        os.replace(temp, target)
        fsync_dir(target.parent)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise InvalidInput(describe_os_error(exc, target)) from exc
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def save_export(target: Path, data: bytes, protected: list[Path]) -> None:
    """Write an exported file (a chart image, say) atomically; never over a database.

    The caller's save dialog has already asked before replacing an existing file.
    """
    refuse_to_clobber(target, protected, overwrite=True)
    with atomic_file(target, "wb", encoding=None) as handle:
        handle.write(data)  # type: ignore[arg-type]
