"""What ``ui/`` may know of storage: opening a database, its errors and the plain records.

The layer rule lets the user interface talk to services only; this module is that door, so
the GUI never reaches into repositories or the ORM.
"""

from __future__ import annotations

from pathlib import Path

from alliance_desktop.storage import cipher
from alliance_desktop.storage.database import (
    Database,
    DatabaseClosed,
    PlainDatabase,
    encrypt_database,
    open_database,
)
from alliance_desktop.storage.errors import EditConflict, StorageError
from alliance_desktop.storage.keys import DatabaseKey, WrongPassphrase
from alliance_desktop.storage.records import ClientFields, ClientListRow, GoalRow

__all__ = [
    "ClientFields",
    "ClientListRow",
    "Database",
    "DatabaseClosed",
    "DatabaseKey",
    "EditConflict",
    "GoalRow",
    "PlainDatabase",
    "StorageError",
    "WrongPassphrase",
    "encrypt_database",
    "is_plain_database",
    "open_database",
]


def is_plain_database(path: Path) -> bool:
    """Whether ``path`` is a database from before encryption (plain SQLite)."""
    return cipher.is_plain_sqlite(path)
