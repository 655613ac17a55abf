"""SQLite's failures sorted once, by result code, into errors a user can act on.

Every database failure that is the environment's fault (another program holds the file, the
disk is full or read-only, the drive was pulled, the file was moved, the file is damaged)
becomes one ``StorageError`` subclass whose message says what happened and what to do. The
sorting uses SQLite's result codes (``sqlite_errorcode`` on the driver's exception), not its
English messages, which change between versions; a message is consulted only when a code is
missing. ``Database.read()`` and ``write()`` translate here, so the window and the command
line say the same sentence; failures that are bugs (SQL errors, constraints) return None and
are reported as such by their callers.

Codes: https://www.sqlite.org/rescode.html
"""

from __future__ import annotations

from pathlib import Path

from alliance_desktop.storage.errors import DatabaseUnavailable, NotADatabase, StorageError

SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_NOMEM = 7
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26
BUSY_CODES = (SQLITE_BUSY, SQLITE_LOCKED)
#: The database file was moved or deleted while it was open (an extended READONLY code).
SQLITE_READONLY_DBMOVED = SQLITE_READONLY | (4 << 8)


class DatabaseBusy(DatabaseUnavailable):
    """Another program (or another Alliance Desktop) kept the database busy too long."""


class DiskFull(DatabaseUnavailable):
    """The disk holding the database has no room for the change."""


class DatabaseReadOnly(DatabaseUnavailable):
    """The database file, its folder or its drive cannot be written."""


class DriveFailed(DatabaseUnavailable):
    """Reading or writing the drive failed (a pulled stick, a failing disk)."""


class DatabaseVanished(DatabaseUnavailable):
    """The database file was moved or deleted while it was open."""


class DatabaseDamaged(NotADatabase):
    """SQLite found the file damaged (or it is not a database at all)."""


class UnreadableText(DatabaseDamaged):
    """A stored text is not UTF-8 (its content is never put in the message)."""


def unreadable_text(path: Path) -> UnreadableText:
    return UnreadableText(
        f"A text stored in {path.name} is not valid UTF-8: the database is damaged. Nothing "
        "was changed; restore it from a backup ('alliance-desktop check' says more)."
    )


def unreadable_page(path: Path) -> DatabaseDamaged:
    """For ``MemoryError`` from a query: SQLCipher reports a page that fails its check
    (and, after one such failure, later reads on the same connection) as SQLITE_NOMEM,
    which Python's driver raises as ``MemoryError`` without a result code."""
    return DatabaseDamaged(
        f"Part of {path} could not be read: it is damaged (or the computer ran out of "
        "memory). Nothing was changed; restore it from a backup ('alliance-desktop check' "
        "says more)."
    )


def result_code(exc: BaseException) -> int | None:
    """SQLite's extended result code of a driver (or SQLAlchemy-wrapped) exception."""
    original = getattr(exc, "orig", None) or exc
    code = getattr(original, "sqlite_errorcode", None)
    return code if isinstance(code, int) else None


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip()
    return text.splitlines()[0] if text else type(original).__name__


def _code_from_message(message: str) -> int | None:
    """For exceptions that carry no code (raised before SQLite answered, or re-raised)."""
    lowered = message.lower()
    for needle, code in (
        ("not a database", SQLITE_NOTADB),
        ("malformed", SQLITE_CORRUPT),
        ("readonly", SQLITE_READONLY),
        ("read-only", SQLITE_READONLY),
        ("locked", SQLITE_BUSY),
        ("busy", SQLITE_BUSY),
        ("full", SQLITE_FULL),
        ("unable to open", SQLITE_CANTOPEN),
        ("disk i/o", SQLITE_IOERR),
    ):
        if needle in lowered:
            return code
    return None


def translate(path: Path, exc: BaseException) -> StorageError | None:
    """The plain error for a database failure the environment caused, or None (a bug)."""
    code = result_code(exc)
    if code is None:
        code = _code_from_message(_first_line(exc))
    if code is None:
        return None
    primary = code & 0xFF
    name = path.name
    if code == SQLITE_READONLY_DBMOVED or (
        primary in (SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY) and not path.exists()
    ):
        return DatabaseVanished(
            f"{path} was moved or deleted while Alliance Desktop had it open (or its drive "
            "was disconnected). What was not saved before is lost; put the file or drive "
            "back, then open it again."
        )
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return DatabaseBusy(
            f"{name} is in use by another program (or another Alliance Desktop) and stayed "
            "busy. Nothing was changed; close the other program, then try again."
        )
    if primary == SQLITE_FULL:
        return DiskFull(
            f"The disk holding {path} is full. Nothing was changed; what was saved before is "
            "intact. Free some space, then try again."
        )
    if primary in (SQLITE_READONLY, SQLITE_PERM):
        return DatabaseReadOnly(
            f"{path} cannot be written: the file, its folder or its drive is read-only. "
            "Nothing was changed; fix its permissions or copy it somewhere writable."
        )
    if primary == SQLITE_IOERR:
        return DriveFailed(
            f"The drive holding {path} could not be read or written (it may have been "
            "disconnected, or be failing). Nothing more was changed; check the drive, then "
            "open the database again."
        )
    if primary == SQLITE_CANTOPEN:
        return DatabaseUnavailable(
            f"{path} cannot be opened. Check that the drive is connected and the folder "
            "writable, then try again."
        )
    if primary in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return DatabaseDamaged(
            f"{path} is damaged or not a database. Nothing was changed; restore it from a "
            "backup ('alliance-desktop check' says more)."
        )
    if primary == SQLITE_NOMEM:
        return DatabaseUnavailable(
            "The computer ran out of memory while using the database. Nothing was changed; "
            "close other programs, then try again."
        )
    return None
