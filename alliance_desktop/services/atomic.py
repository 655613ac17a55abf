"""Atomic publication of files and folders: temp name in the same folder, fsync, rename.

A reader (or the next start after a crash) sees either the old file or the whole new one,
never a partial one under the final name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.storage.files import fsync_dir
from alliance_desktop.storage.keys import KEYS_SUFFIX, keys_path


def check_target_folder(target: Path) -> None:
    """Refuse early, with a clear message, when ``target`` cannot be written."""
    parent = target.parent
    if not parent.is_dir():
        raise InvalidInput(f"The folder {parent} does not exist. Create it or choose another.")
    if not os.access(parent, os.W_OK):
        raise InvalidInput(f"The folder {parent} is not writable. Choose another place.")


SQLITE_HEADER = b"SQLite format 3\x00"


def refuse_to_clobber(target: Path, protected: list[Path], *, overwrite: bool) -> None:
    """Refuse to write over a database (ever) or over any existing file (unless asked).

    Args:
        target: The file about to be written.
        protected: Files that must never be replaced (the live database and its journals).
        overwrite: The user asked to replace an existing export.
    """
    resolved = target.resolve()
    guarded = {p.resolve() for p in protected}
    guarded |= {Path(f"{p}-wal").resolve() for p in protected}
    guarded |= {Path(f"{p}-shm").resolve() for p in protected}
    guarded |= {keys_path(p).resolve() for p in protected}
    if resolved in guarded:
        raise InvalidInput(
            f"{target} is the practice database itself; choose another name for the export."
        )
    if not target.exists():
        return
    if target.is_dir():
        raise InvalidInput(f"{target} is a folder; name a file for the export.")
    try:
        with target.open("rb") as handle:
            is_database = handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        is_database = False
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


def describe_os_error(exc: OSError, target: Path) -> str:
    """One sentence for a failed write, naming the place and what to do."""
    reasons = {
        28: "the disk is full; free some space or choose another drive",
        30: "the drive is read-only; choose another place",
        13: "permission was refused; choose a folder you can write to",
        5: "the drive reported an input/output error; check it is still connected",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return f"Could not write {target}: {reason}."


@contextlib.contextmanager
def atomic_file(target: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[str]]:
    """Write ``target`` atomically; on any error the temp file is removed and nothing changes."""
    check_target_folder(target)
    try:
        fd, temp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".partial", dir=target.parent
        )
    except OSError as exc:  # e.g. a folder that looks writable but is not (/proc)
        raise InvalidInput(describe_os_error(exc, target)) from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline="" if "b" not in mode else None) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, target)
        fsync_dir(target.parent)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise InvalidInput(describe_os_error(exc, target)) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Fill a temp folder beside ``target`` and rename it into place when done.

    ``target`` must not exist yet (or be an empty folder), so nothing is overwritten.
    """
    check_target_folder(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInput(
            f"{target} already exists and is not an empty folder. Choose a new folder name."
        )
    temp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
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
