"""Low-level file helpers shared by storage and services: durability, and safe reading.

Safe reading means a file the user names is read only when it is a regular file, and never
more of it than a cap: a named pipe (FIFO) would block the command for ever, and a device
such as ``/dev/zero`` would fill the memory. The check is made with ``stat`` before
opening (opening some devices does something), and again on the opened descriptor, which
is opened non-blocking so that a pipe slipped in between cannot hang the open itself.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

#: The longest file name most filesystems take, in bytes (ext4, NTFS, exFAT and FAT32 long
#: names all stop at 255); used where the system cannot say.
NAME_MAX = 255
_CHUNK = 1024 * 1024


class NotAFile(OSError):
    """The path names a pipe, device or socket, not a regular file (never opened or replaced).

    ``what`` says what it is ("a named pipe (FIFO)"), ``strerror`` the same as a reason
    ("it is a named pipe (FIFO), not a file").
    """

    def __init__(self, path: Path, mode: int) -> None:
        self.what = describe_kind(mode)
        super().__init__(errno.EINVAL, f"it is {self.what}, not a file", str(path))


class FileTooLarge(OSError):
    """The file is larger than the cap for what it should be (it was not read)."""


def describe_kind(mode: int) -> str:
    """What a non-regular file is, in words: "a named pipe (FIFO)", "a device"…"""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not an ordinary file"


def _refuse_unless_regular(mode: int, path: Path) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "it is a folder, not a file", str(path))
    if not stat.S_ISREG(mode):
        raise NotAFile(path, mode)


def check_regular_file(path: Path) -> os.stat_result:
    """The status of ``path`` when it is a regular file (or a link to one); never opens it.

    Raises:
        FileNotFoundError: Nothing is there.
        IsADirectoryError: It is a folder.
        NotAFile: It is a pipe, device or socket.
        OSError: It cannot be looked at (permission, name too long, drive gone).
    """
    status = os.stat(path)
    _refuse_unless_regular(status.st_mode, path)
    return status


def is_special_file(path: Path) -> bool:
    """Whether something other than a regular file or folder is at ``path`` (a pipe, a
    device, a socket): such a thing is never opened, read or replaced."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # nothing there (or unreachable): the caller's own open says why
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def read_regular_file(path: Path, max_bytes: int | None = None) -> bytes:
    """The whole content of the regular file ``path``, at most ``max_bytes`` of it.

    Without ``max_bytes`` the file is read by the size it has when opened (a backup, which
    may be gigabytes but is never endless); a file that grows meanwhile is read only that far.

    Raises:
        FileNotFoundError, IsADirectoryError, PermissionError: As for ``open``.
        NotAFile: A pipe, device or socket; it was not read (and, when seen before opening,
            not opened).
        FileTooLarge: Larger than ``max_bytes``; it was not read.
        OSError: Any other failure to open or read.
    """
    check_regular_file(path)  # before opening: opening a device may itself do something
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        status = os.fstat(fd)
        _refuse_unless_regular(status.st_mode, path)  # swapped for a pipe since the check
        limit = status.st_size if max_bytes is None else max_bytes
        if status.st_size > limit:
            raise FileTooLarge(errno.EFBIG, "it is too large", str(path))
        parts: list[bytes] = []
        size = 0
        # One byte more than the limit: a file that grew past the cap since fstat is seen.
        while size <= limit:
            part = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
        if size > limit:
            if max_bytes is None:  # read by size: what was there when it was opened
                return b"".join(parts)[:limit]
            raise FileTooLarge(errno.EFBIG, "it is too large", str(path))
        return b"".join(parts)
    finally:
        os.close(fd)


def name_max(folder: Path) -> int:
    """The longest file name, in bytes, the filesystem holding ``folder`` takes."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows), or no answer
        return NAME_MAX


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op on Windows, which cannot open folders)."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
