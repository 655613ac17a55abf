"""What ``ui/`` may know of storage: opening a database, its errors and the plain records.

The layer rule lets the user interface talk to services only; this module is that door, so
the GUI never reaches into repositories or the ORM.
"""

from __future__ import annotations

from alliance_desktop.storage.database import Database, open_database
from alliance_desktop.storage.errors import StorageError
from alliance_desktop.storage.records import ClientFields, ClientListRow, GoalRow

__all__ = [
    "ClientFields",
    "ClientListRow",
    "Database",
    "GoalRow",
    "StorageError",
    "open_database",
]
