"""SQLCipher connections, and moving a database between encrypted files and plain memory.

The live database is an SQLCipher file (``sqlcipher3``); backups carry a plain SQLite image
inside their own encryption, checked and read with the standard library's ``sqlite3`` in
memory. The two are different SQLite libraries, so a database crosses between them by
copying its schema and rows (``copy_database``): never through a plain file on disk.

Upgrading a plain database uses SQLCipher's own ``sqlcipher_export`` (``encrypt_in_place``):
an encrypted copy under a temporary name beside it, verified, then renamed over the plain
file, so a kill at any moment leaves either the plain or the encrypted database whole.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher

from alliance_desktop.storage import keys
from alliance_desktop.storage.errors import DatabaseUnavailable, NotADatabase
from alliance_desktop.storage.files import fsync_dir
from alliance_desktop.storage.keys import DatabaseKey

SQLITE_HEADER = b"SQLite format 3\x00"
#: The name a plain database is encrypted under before it replaces the plain file.
ENCRYPTING_SUFFIX = ".encrypting.partial"
# Rows are moved between libraries in batches, so memory stays flat on a large caseload.
_BATCH = 2000

__all__ = ["DatabaseError", "OperationalError", "connect", "copy_database", "sqlcipher"]

DatabaseError = sqlcipher.DatabaseError
OperationalError = sqlcipher.OperationalError


#: Text from the database: strict UTF-8, decoded in C (a Python function here would run
#: for every value read). On damage it raises ``UnicodeDecodeError``, whose message names
#: one byte and its position, where the driver's own error quotes the whole text (a
#: session note, say) into the message and from there into the terminal and the log.
#: ``Database.read()``/``write()`` turn it into ``sqlite_errors.UnreadableText``.
DECODE_TEXT = functools.partial(str, encoding="utf-8", errors="strict")


def connect(
    path: Path | str,
    key: DatabaseKey,
    *,
    timeout: float = 10.0,
    check_same_thread: bool = True,
    uri: bool = False,
) -> Any:
    """An SQLCipher connection to ``path``, keyed (nothing is read until the first query)."""
    conn = sqlcipher.connect(
        str(path), timeout=timeout, check_same_thread=check_same_thread, uri=uri
    )
    conn.text_factory = DECODE_TEXT
    try:
        # SQLCipher otherwise prints "hmac check failed" lines on stderr for a wrong key.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f'PRAGMA key = "{key.pragma_value()}"')
    except BaseException:
        conn.close()
        raise
    return conn


def is_plain_sqlite(path: Path) -> bool:
    """Whether ``path`` starts with the plain SQLite header (an unencrypted database)."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def _objects(conn: Any, schema: str = "main") -> list[tuple[str, str, str, str]]:
    """(type, name, sql, table it belongs to) of every object, in creation order."""
    rows = conn.execute(
        f"SELECT type, name, sql, tbl_name FROM {schema}.sqlite_master "
        # SQLite's own objects; substr, not LIKE (which ignores case and reads _ as any).
        "WHERE sql IS NOT NULL AND substr(name, 1, 7) != 'sqlite_' ORDER BY rowid"
    ).fetchall()
    return [(str(kind), str(name), str(sql), str(table)) for kind, name, sql, table in rows]


def copy_database(
    source: Any, target: Any, *, skip: tuple[str, ...] = (), only: tuple[str, ...] | None = None
) -> None:
    """Copy every table, row, index, trigger and view of ``source`` into ``target``.

    The two connections may come from different SQLite libraries (SQLCipher and the
    standard library). The caller runs this inside a read transaction on ``source`` (for
    one consistent snapshot) and commits ``target``. ``skip`` leaves tables (and their
    indexes) out; ``only`` copies just those (to add what was skipped, later).
    """

    def wanted(table: str) -> bool:
        return table not in skip and (only is None or table in only)

    objects = [o for o in _objects(source) if wanted(o[3])]
    target.execute("PRAGMA foreign_keys = OFF")
    for kind, _name, sql, _table in objects:
        if kind == "table":
            target.execute(sql)
    for kind, name, _sql, _table in objects:
        if kind != "table":
            continue
        quoted = '"' + name.replace('"', '""') + '"'
        cursor = source.execute(f"SELECT * FROM {quoted}")
        width = len(cursor.description)
        insert = f"INSERT INTO {quoted} VALUES ({', '.join('?' * width)})"
        while batch := cursor.fetchmany(_BATCH):
            target.executemany(insert, batch)
    for kind, _name, sql, _table in objects:
        if kind != "table":
            target.execute(sql)
    if only is None or "sqlite_sequence" in only:
        _copy_sequences(source, target, wanted)
    for pragma in ("user_version", "application_id"):
        value = int(source.execute(f"PRAGMA {pragma}").fetchone()[0])
        target.execute(f"PRAGMA {pragma} = {value}")


def _copy_sequences(source: Any, target: Any, wanted: Any) -> None:
    """AUTOINCREMENT high-water marks (a copied table must not reuse a deleted id)."""
    has = source.execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'"
    ).fetchone()[0]
    if not has:
        return
    for name, seq in source.execute("SELECT name, seq FROM sqlite_sequence").fetchall():
        if wanted(str(name)):
            target.execute("DELETE FROM sqlite_sequence WHERE name = ?", (name,))
            target.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (name, seq))


#: Tables that record use rather than content: a backup that differs from the last one
#: only in them holds nothing new (else looking at a record would defeat "skip when nothing
#: changed").
NOT_CONTENT = ("audit_log",)


def snapshot_to_memory(path: Path, key: DatabaseKey) -> tuple[sqlite3.Connection, bytes]:
    """A consistent, plain copy of the encrypted database in memory (standard ``sqlite3``),
    and the SHA-256 of its content: the image before the ``NOT_CONTENT`` tables were added.

    In memory on purpose: a kill can never leave a readable copy in a temporary folder.
    The returned connection may be handed to one other thread.
    """
    source = connect(path, key)
    try:
        copy = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        try:
            source.execute("BEGIN")  # one snapshot for every table
            copy.execute("BEGIN")
            copy_database(source, copy, skip=NOT_CONTENT)
            copy.execute("COMMIT")
            content = hashlib.sha256(copy.serialize()).digest()
            copy.execute("BEGIN")
            copy_database(source, copy, only=NOT_CONTENT)
            copy.execute("COMMIT")
            source.execute("COMMIT")
        except BaseException:
            copy.close()
            raise
    finally:
        source.close()
    return copy, content


def write_encrypted(plain: sqlite3.Connection, target: Path, key: DatabaseKey) -> None:
    """Write the database ``plain`` (in memory) as a new encrypted file ``target``, synced.

    ``target`` must not exist; it is created owner-only.
    """
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)  # an empty file: SQLCipher writes the database into it
    out = connect(target, key)
    try:
        out.isolation_level = None
        out.execute("PRAGMA journal_mode = DELETE")
        out.execute("BEGIN")
        copy_database(plain, out)
        out.execute("COMMIT")
    finally:
        out.close()
    with target.open("rb+") as handle:
        os.fsync(handle.fileno())


def row_counts(conn: Any) -> dict[str, int]:
    counts = {}
    for kind, name, _sql, _table in _objects(conn):
        if kind == "table":
            quoted = '"' + name.replace('"', '""') + '"'
            counts[name] = int(conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])
    return counts


def leftover_encryptions(database: Path) -> list[Path]:
    """Temporary files of an encryption killed part-way (they hold encrypted data only)."""
    return sorted(database.parent.glob(f".{database.name}.*{ENCRYPTING_SUFFIX}"))


def encrypt_in_place(
    database: Path, passphrase: str, *, key: DatabaseKey | None = None
) -> DatabaseKey:
    """Encrypt a plain database under a new key (or ``key``) unlocked by ``passphrase``.

    Steps, each safe to be killed after: (1) fold the write-ahead log into the file and
    leave WAL mode, so no plain -wal or -shm remains; (2) export to an encrypted temporary
    file beside it and verify it (integrity check, the same row counts); (3) write the key
    file; (4) rename the encrypted file over the plain one and sync the folder. Until (4)
    the plain database is whole and is what opens; after it, the encrypted one.

    Raises:
        DatabaseUnavailable: The database is in use, or the folder is not writable or full.
        NotADatabase: The plain file is damaged (it is left as it was).
    """
    keys.check_new_passphrase(passphrase)
    for leftover in leftover_encryptions(database):
        leftover.unlink(missing_ok=True)
    key = key or DatabaseKey.generate()
    partial = database.with_name(f".{database.name}.{secrets.token_hex(4)}{ENCRYPTING_SUFFIX}")
    try:
        plain = sqlcipher.connect(str(database), timeout=2)
        try:
            plain.isolation_level = None
            busy = plain.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            mode = str(plain.execute("PRAGMA journal_mode = DELETE").fetchone()[0]).lower()
            if busy or mode != "delete":
                raise DatabaseUnavailable(
                    f"Another program is using {database.name}; close it, then try again. "
                    "Nothing was changed."
                )
            if plain.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
                raise NotADatabase(
                    f"{database} is damaged, so it was not encrypted (nothing was changed). "
                    "Restore it from a backup."
                )
            before = row_counts(plain)
            plain.execute(
                f'ATTACH DATABASE ? AS encrypted KEY "{key.pragma_value()}"', (str(partial),)
            )
            plain.execute("SELECT sqlcipher_export('encrypted')")
            plain.execute("DETACH DATABASE encrypted")
        finally:
            plain.close()
        os.chmod(partial, 0o600)
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        check = connect(partial, key)
        try:
            healthy = check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            if not healthy or row_counts(check) != before:
                raise DatabaseUnavailable(
                    f"The encrypted copy of {database.name} did not verify, so the database "
                    "was left as it was. Check the disk, then try again."
                )
        finally:
            check.close()
        keys.create_key_file(database, passphrase, key=key)
        os.replace(partial, database)
        fsync_dir(database.parent)
    except OperationalError as exc:
        raise DatabaseUnavailable(
            f"{database.name} could not be encrypted ({exc}); it was left as it was. "
            "Close other programs using it and check the disk has room, then try again."
        ) from None
    except DatabaseError as exc:  # malformed: the file itself is damaged
        raise NotADatabase(
            f"{database} is damaged ({exc}), so it was not encrypted (nothing was changed). "
            "Restore it from a backup."
        ) from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return key
