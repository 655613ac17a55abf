"""The test suite's passphrase, and opening databases with it.

Every database in the tests is encrypted like a real one; they share one passphrase and a
cheap key derivation (``keys.FAST_KDF_ENV``, set in ``conftest``) so thousands of opens stay
fast. ``open_database`` here is the app's, with that passphrase filled in.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from alliance_desktop.storage import cipher, keys
from alliance_desktop.storage import database as _database

TEST_PASSPHRASE = "correct horse battery"


def open_database(path: Path, **options: Any) -> _database.Database:
    """The app's ``open_database`` with the test passphrase (unless a key is given)."""
    if "key" not in options:
        options.setdefault("passphrase", TEST_PASSPHRASE)
    return _database.open_database(path, **options)


def key_for(path: Path) -> keys.DatabaseKey:
    return keys.unlock(Path(path), TEST_PASSPHRASE)


def raw_connect(path: Path, **options: Any) -> Any:
    """A DB-API connection to a database file, for tests that look inside or damage a file
    on purpose: SQLCipher with the test key for an encrypted one (a missing file is made
    encrypted), the standard library for a plain one (a backup's image, an old fixture)."""
    if cipher.is_plain_sqlite(Path(path)):
        return sqlite3.connect(path, **options)
    isolation = options.pop("isolation_level", "")
    conn = cipher.connect(path, key_for(Path(path)), **options)
    if isolation != "":
        conn.isolation_level = isolation
    return conn


def copy_database(source: Path, target: Path) -> Path:
    """Copy a closed database file with its key file."""
    shutil.copyfile(source, target)
    shutil.copyfile(keys.keys_path(source), keys.keys_path(target))
    return target


def make_backup(database: Path, *args: Any, **options: Any) -> Any:
    """``storage.backup.make_backup`` with the database's key unlocked by the test passphrase."""
    from alliance_desktop.storage import backup

    options.setdefault("key", key_for(database))
    return backup.make_backup(database, *args, **options)


def restore_backup(data: bytes, passphrase: str, database: Path, **options: Any) -> Any:
    """``storage.backup.restore_backup`` keeping the current database's key (if there is one)."""
    from alliance_desktop.storage import backup

    if "key" not in options:
        present = database.exists() and keys.has_key_file(database)
        options["key"] = key_for(database) if present else None
    return backup.restore_backup(data, passphrase, database, **options)


def copy_aside(path: Path, label: str) -> Path:
    return _database.copy_aside(path, label, key_for(path))


def encrypted_copy(source: Path, target: Path) -> Path:
    """Copy a plain database (a past schema's fixture) and encrypt the copy, as an upgrade does."""
    shutil.copyfile(source, target)
    _database.encrypt_database(target, TEST_PASSPHRASE)
    return target


def listing(folder: Path) -> list[str]:
    """The names in ``folder``, sorted, without the writers' lock files (``.<db>.writers``)
    that writes and restores keep beside a database: empty, and never data."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".writers"))
