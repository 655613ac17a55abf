"""Passphrase and recovery-sheet use cases shared by the window and the command line.

The database key never changes here: a new passphrase or recovery code re-wraps it in the
key file (``storage.keys``), one atomic rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from alliance_desktop.services import audit
from alliance_desktop.services.passphrases import passphrase_problem
from alliance_desktop.services.settings import load_practice
from alliance_desktop.storage import keys
from alliance_desktop.storage.database import Database, share_key_file
from alliance_desktop.storage.keys import DatabaseKey, WrongPassphrase

__all__ = [
    "RecoverySheet",
    "WrongPassphrase",
    "change_passphrase",
    "commit_recovery_code",
    "has_recovery_sheet",
    "new_recovery_code",
    "recovery_sheet_data",
    "reset_passphrase",
]


def _check_new(new_passphrase: str) -> None:
    problem = passphrase_problem(new_passphrase)
    if problem:
        raise WrongPassphrase(problem)


def change_passphrase(db: Database, current: str, new_passphrase: str) -> None:
    """Replace the passphrase after checking the current one; the recovery sheet stays valid.

    Raises:
        WrongPassphrase: ``current`` is not the passphrase, or the new one is too weak.
    """
    try:
        matches = keys.unlock(db.path, current) == db.key
    except WrongPassphrase:
        matches = False
    if not matches:
        raise WrongPassphrase("That is not the current passphrase; nothing was changed.")
    _check_new(new_passphrase)
    set_passphrase(db, new_passphrase)


def set_passphrase(db: Database, new_passphrase: str) -> None:
    """Replace the passphrase of an unlocked database (and of the copies kept beside it)."""
    _check_new(new_passphrase)
    keys.change_passphrase(db.path, db.key, new_passphrase)
    share_key_file(db.path, db.key)
    db.passphrase = new_passphrase
    audit.record(db, "passphrase_changed")


def reset_passphrase(database: Path, recovery_code: str, new_passphrase: str) -> DatabaseKey:
    """Forgotten passphrase: unlock with the recovery code and set a new passphrase.

    Raises:
        WrongPassphrase: The code is wrong, or the new passphrase too weak (nothing changed).
    """
    key = keys.unlock_with_recovery(database, recovery_code)
    _check_new(new_passphrase)
    keys.change_passphrase(database, key, new_passphrase)
    share_key_file(database, key)
    return key


def has_recovery_sheet(db: Database) -> bool:
    """Whether a recovery code has been stored for this database."""
    return keys.has_recovery(db.path)


def new_recovery_code() -> str:
    """A fresh code for a sheet about to be printed; not yet stored."""
    return keys.generate_recovery_code()


def commit_recovery_code(db: Database, code: str) -> None:
    """Store ``code`` once its sheet is printed or saved: the earlier sheet stops working."""
    keys.set_recovery_code(db.path, db.key, code)
    share_key_file(db.path, db.key)
    audit.record(db, "recovery_sheet")


@dataclass(frozen=True)
class RecoverySheet:
    """What the recovery sheet prints (``reports.recovery_sheet`` lays it out)."""

    code: str  # grouped, e.g. "ABCDE-FGHJK-…"
    database: str  # the database file's full path
    practice_name: str
    made_on: date


def recovery_sheet_data(db: Database, code: str, *, today: date) -> RecoverySheet:
    """The sheet for ``code``: the database it opens, the practice, the day."""
    return RecoverySheet(code, str(db.path), load_practice(db).practice_name.strip(), today)
