"""SQLCipher connections, and moving a database between encrypted files and plain images.

The live database is an SQLCipher file (``sqlcipher3``); a backup carries a plain SQLite
image inside its own encryption. The one rule here: a kill at any moment must never leave
a readable (plain) copy of the records on disk.

Making a backup's image (``snapshot``). On Linux, where ``/dev/shm`` is a writable tmpfs
(RAM, never written to disk), the image is built by SQLite itself: an empty file is created
there (``O_EXCL``, owner-only) and its descriptor kept, the file is attached to the SQLCipher
connection as a plain database (``KEY ''``) and at once unlinked. While it has a name it is
empty, so a kill leaves nothing readable (the next snapshot removes such an empty leftover);
once unlinked, it lives only through the open descriptors, and the kernel frees it when the
process ends, however it ends. No journal can be made beside it (``journal_mode = OFF``) and
sorting never spills into temporary files (``temp_store = MEMORY``). The schema and rows are
then copied in SQL, in one read transaction of the live file, as VACUUM and
``sqlcipher_export`` do (``INSERT INTO snap.t SELECT * FROM main.t``, tables and indexes
created first, so SQLite copies the b-tree records as they are instead of re-sorting every
index). The image is read back through the kept descriptor: no copy of it is ever held in
Python. Elsewhere (macOS, Windows, no tmpfs, a full ``/dev/shm``, or any failure of that
path) the earlier way is used unchanged: the rows are copied in Python into the standard
library's ``sqlite3`` in memory (``copy_database``), never through a plain file on disk.

Reading a backup's image (``PlainImage``): the same kind of nameless file in RAM, filled
with the image, checked and copied into a new encrypted file by SQLCipher; else the
standard library's ``sqlite3`` in memory.

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
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

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

__all__ = [
    "DatabaseError",
    "OperationalError",
    "PlainImage",
    "Snapshot",
    "connect",
    "copy_database",
    "snapshot",
    "sqlcipher",
]

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
    The returned connection may be handed to one other thread. This is the portable way
    (``snapshot`` uses it where the image cannot be built in RAM by SQLite itself).
    """
    source = connect(path, key)
    try:
        copy = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        try:
            # Building an index sorts its keys; without this, SQLite spills large sorts
            # into (unlinked) temporary files on disk, plain.
            copy.execute("PRAGMA temp_store = MEMORY")
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


# --- Plain images in RAM (see the module docstring) --------------------------------------

#: The folder plain images may live in: it must be a tmpfs (RAM). A seam: tests point it
#: elsewhere (a folder that is not a tmpfs is refused, which makes the portable way run).
RAM_FOLDER = Path("/dev/shm")
#: The name an image has for the moment it is empty (then ``-<pid>-<random>``).
RAM_PREFIX = "alliance-desktop-image"
#: The pieces an image is hashed and read in.
IMAGE_CHUNK = 1024 * 1024
#: Result codes after which the in-RAM path is not retried the portable way: the live file
#: is busy (a retry would wait as long again) or is damaged (the retry would only repeat it).
_NO_RETRY = (5, 6, 11, 26)  # SQLITE_BUSY, LOCKED, CORRUPT, NOTADB
#: The statement prefixes SQLite stores in sqlite_master (it normalises them): each is
#: re-aimed at another schema by inserting ``<schema>.`` after it, as VACUUM and
#: ``sqlcipher_export`` do. Anything else (a virtual table) takes the portable way.
_CREATE = ("CREATE TABLE ", "CREATE UNIQUE INDEX ", "CREATE INDEX ", "CREATE VIEW ",
           "CREATE TRIGGER ")  # fmt: skip


class NotInRam(Exception):
    """The in-RAM path cannot be used here, or not for this database (the caller falls back
    to the portable way)."""


def filesystem_type(folder: Path) -> str | None:
    """The type of the filesystem holding ``folder`` (Linux: from /proc/self/mounts)."""
    try:
        lines = Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None  # not Linux
    target = str(folder.resolve())
    best, kind = "", None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def ram_folder() -> Path | None:
    """``RAM_FOLDER`` when it is a tmpfs this process may write in (Linux), else None."""
    if not sys.platform.startswith("linux"):
        return None
    folder = RAM_FOLDER
    try:
        usable = folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
    except OSError:
        return None
    return folder if usable and filesystem_type(folder) == "tmpfs" else None


def _remove_stale_names(folder: Path) -> None:
    """Remove names left by a process killed between creating an image and unlinking it
    (empty files: nothing was written before the unlink), of processes that are gone."""
    with contextlib.suppress(OSError):
        for leftover in folder.glob(f"{RAM_PREFIX}-*"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                if leftover.lstat().st_uid != os.getuid():
                    continue
                pid = int(leftover.name[len(RAM_PREFIX) + 1 :].split("-")[0])
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    leftover.unlink()


def _attach_in_ram(conn: Any, schema: str, folder: Path) -> int:
    """Attach a new, empty, nameless plain database in ``folder`` (a tmpfs) to ``conn`` as
    ``schema``; return the descriptor that keeps it (the caller closes it).

    Kill-safety: the file has a name only while it is empty (created, attached, unlinked);
    every byte is written after the unlink. The inode SQLite opened is checked to be the
    one created, so the descriptor reads exactly what SQLite writes.
    """
    _remove_stale_names(folder)
    name = folder / f"{RAM_PREFIX}-{os.getpid()}-{secrets.token_hex(8)}"
    fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        try:
            conn.execute(f"ATTACH DATABASE ? AS {schema} KEY ''", (str(name),))
            same = os.path.samestat(os.stat(name), os.fstat(fd))
        finally:
            with contextlib.suppress(FileNotFoundError):  # removed meanwhile: gone anyway
                os.unlink(name)
        if not same:  # another process removed and reused the name: not ours to read
            raise NotInRam(f"{schema}: the file attached is not the one created")
        # Nothing may be written beside a nameless file: no journal, no temporary files.
        mode = conn.execute(f"PRAGMA {schema}.journal_mode = OFF").fetchone()[0]
        if str(mode).lower() != "off":
            raise NotInRam(f"{schema}: its journal cannot be turned off")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_pieces(fd: int, size: int, piece: int = IMAGE_CHUNK) -> Iterator[bytes]:
    """The first ``size`` bytes of the file open in ``fd``, in pieces (``pread``)."""
    offset = 0
    while offset < size:
        data = os.pread(fd, min(piece, size - offset), offset)
        if not data:
            raise OSError(f"the image ended at {offset:,} of {size:,} bytes")
        offset += len(data)
        yield data


def _image_size(conn: Any, schema: str, fd: int) -> int:
    """The size of the image SQLite has committed in ``schema``; checked against the file
    the descriptor holds (so the bytes read are the database SQLite wrote)."""
    pages = int(conn.execute(f"PRAGMA {schema}.page_count").fetchone()[0])
    size = pages * int(conn.execute(f"PRAGMA {schema}.page_size").fetchone()[0])
    if os.fstat(fd).st_size != size:
        raise NotInRam(f"{schema}: the file holds other bytes than the database")
    return size


@dataclass(frozen=True)
class _Object:
    kind: str
    name: str
    sql: str
    table: str

    def created_in(self, schema: str) -> str:
        """The statement that creates this object in ``schema``."""
        for prefix in _CREATE:
            if self.sql.startswith(prefix):
                return f"{prefix}{schema}.{self.sql[len(prefix) :]}"
        raise NotInRam(f"{self.kind} {self.name}: not copied in SQL")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _copy_in_sql(conn: Any, source: str, target: str, tables: Callable[[str], bool]) -> None:
    """Copy the tables ``tables`` accepts (with their indexes, triggers, views, AUTOINCREMENT
    marks) from schema ``source`` into the empty schema ``target`` of one connection, in SQL.

    Tables, then indexes, then rows: SQLite then copies each table's and each index's
    records as they are (its transfer optimisation), with the same rowids, instead of
    sorting every index again. Triggers and views come last, so none fires on the copy.
    """
    objects = [_Object(*o) for o in _objects(conn, source) if tables(o[3])]
    statements = {o.name: o.created_in(target) for o in objects}  # unknown kinds: refused first
    for kind in ("table", "index"):
        for o in objects:
            if o.kind == kind:
                conn.execute(statements[o.name])
    for o in objects:
        if o.kind == "table":
            conn.execute(
                f"INSERT INTO {target}.{_quoted(o.name)} SELECT * FROM {source}.{_quoted(o.name)}"
            )
    for o in objects:
        if o.kind not in ("table", "index"):
            conn.execute(statements[o.name])
    names = [o.name for o in objects if o.kind == "table"]
    if names and _has_sequences(conn, source) and _has_sequences(conn, target):
        marks = ", ".join("?" * len(names))
        conn.execute(f"DELETE FROM {target}.sqlite_sequence WHERE name IN ({marks})", names)
        conn.execute(
            f"INSERT INTO {target}.sqlite_sequence (name, seq) "
            f"SELECT name, seq FROM {source}.sqlite_sequence WHERE name IN ({marks})",
            names,
        )


def _copies_in_sql(conn: Any, schema: str) -> bool:
    """Whether ``_copy_in_sql`` can copy every object of ``schema``."""
    try:
        for row in _objects(conn, schema):
            _Object(*row).created_in("target")
    except NotInRam:
        return False
    return True


def _has_sequences(conn: Any, schema: str) -> bool:
    return bool(
        conn.execute(
            f"SELECT count(*) FROM {schema}.sqlite_master WHERE name = 'sqlite_sequence'"
        ).fetchone()[0]
    )


def _copy_pragmas(conn: Any, source: str, target: str) -> None:
    for pragma in ("user_version", "application_id"):
        value = int(conn.execute(f"PRAGMA {source}.{pragma}").fetchone()[0])
        conn.execute(f"PRAGMA {target}.{pragma} = {value}")


def _sha256_of(fd: int, size: int) -> bytes:
    digest = hashlib.sha256()
    for piece in _read_pieces(fd, size):
        digest.update(piece)
    return digest.digest()


class Snapshot(Protocol):
    """A consistent, plain image of the encrypted database, made for one backup.

    ``content`` is the fingerprint of the records (the SHA-256 of the image before the
    ``NOT_CONTENT`` tables were added: the same records give the same fingerprint);
    ``size`` the image's size. ``conn`` reads the image as schema ``schema``; ``pieces``
    gives the image's bytes once, in pieces of at most ``piece`` bytes, and the image may
    not be queried after.
    """

    content: bytes
    size: int
    schema: str

    @property
    def conn(self) -> Any: ...

    def pieces(self, piece: int = IMAGE_CHUNK) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class RamSnapshot:
    """A snapshot built by SQLite in a nameless tmpfs file (see the module docstring)."""

    schema = "snap"

    def __init__(self, conn: Any, fd: int, size: int, content: bytes) -> None:
        self._conn: Any = conn
        self.fd, self.size, self.content = fd, size, content

    @property
    def conn(self) -> Any:
        return self._conn

    def pieces(self, piece: int = IMAGE_CHUNK) -> Iterator[bytes]:
        if self._conn is not None:
            self._conn.close()  # its caches: only the bytes are needed from here on
            self._conn = None
        return _read_pieces(self.fd, self.size, piece)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self.fd >= 0:
            os.close(self.fd)  # the last reference: the kernel frees the image
            self.fd = -1


class MemorySnapshot:
    """A snapshot in the standard library's ``sqlite3`` in memory (the portable way)."""

    schema = "main"

    def __init__(self, conn: sqlite3.Connection, content: bytes) -> None:
        self._conn: sqlite3.Connection | None = conn
        self.content = content
        page_count = conn.execute("PRAGMA page_count").fetchone()[0]
        self.size = int(page_count) * int(conn.execute("PRAGMA page_size").fetchone()[0])

    @property
    def conn(self) -> Any:
        return self._conn

    def pieces(self, piece: int = IMAGE_CHUNK) -> Iterator[bytes]:
        assert self._conn is not None, "pieces() is called once"
        image = self._conn.serialize()
        self._conn.close()  # SQLite's own copy goes: one image is held, not two
        self._conn = None
        return _pieces_of(image, piece)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _pieces_of(image: bytes, piece: int) -> Iterator[bytes]:
    with memoryview(image) as view:
        for start in range(0, len(view), piece):
            yield bytes(view[start : start + piece])


def snapshot(path: Path, key: DatabaseKey) -> Snapshot:
    """A consistent, plain image of the encrypted database at ``path``, never on disk.

    In a nameless tmpfs file built by SQLite where possible (``ram_folder``), else the
    portable way (``snapshot_to_memory``); both hold the same records. The fingerprint
    differs between the two ways (and between SQLite versions): a backup is then made once
    more where nothing changed, never skipped where something did.

    Raises:
        DatabaseError: The live file cannot be read (busy, damaged).
    """
    folder = ram_folder()
    if folder is not None:
        try:
            return _snapshot_in_ram(path, key, folder)
        except (NotInRam, OSError, MemoryError):
            pass  # /dev/shm full or odd, or a schema SQL cannot re-aim: the portable way
        except DatabaseError as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if isinstance(code, int) and code & 0xFF in _NO_RETRY:
                raise
    return MemorySnapshot(*snapshot_to_memory(path, key))


def _snapshot_in_ram(path: Path, key: DatabaseKey, folder: Path) -> RamSnapshot:
    """``snapshot`` in a nameless tmpfs file (see the module docstring).

    The records go into ``snap`` and the ``NOT_CONTENT`` tables into ``hold`` (a second
    nameless file) in one read transaction of the live file; ``snap`` is committed and
    hashed (the content fingerprint), then the held tables are added to it.
    """
    conn = connect(path, key)
    fds: list[int] = []
    try:
        conn.isolation_level = None
        conn.execute("PRAGMA temp_store = MEMORY")  # index sorting never spills to /tmp
        snap_fd = _attach_in_ram(conn, "snap", folder)
        fds.append(snap_fd)
        fds.append(_attach_in_ram(conn, "hold", folder))
        conn.execute("BEGIN")  # one read of the live file for everything below
        _copy_in_sql(conn, "main", "snap", lambda table: table not in NOT_CONTENT)
        _copy_pragmas(conn, "main", "snap")
        _copy_in_sql(conn, "main", "hold", lambda table: table in NOT_CONTENT)
        conn.execute("COMMIT")
        size = _image_size(conn, "snap", snap_fd)
        content = _sha256_of(snap_fd, size)
        conn.execute("BEGIN")
        _copy_in_sql(conn, "hold", "snap", lambda table: True)
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE hold")
        os.close(fds.pop())  # the held tables' file is freed
        size = _image_size(conn, "snap", snap_fd)
        snap = RamSnapshot(conn, snap_fd, size, content)
        fds.clear()  # the snapshot owns the descriptor now
        return snap
    except BaseException:
        conn.close()
        for fd in fds:
            os.close(fd)
        raise


class PlainImage:
    """A backup's plain database image, being received in pieces and then read, never on
    disk: in a nameless tmpfs file read by SQLCipher where possible, else in the standard
    library's ``sqlite3`` in memory (see the module docstring).

    ``write`` the image's bytes in order, ``finish``, then ``healthy`` (SQLite's integrity
    check) and ``write_encrypted``; ``close`` frees it.
    """

    def __init__(self) -> None:
        self._conn: Any = None
        self._fd = -1
        self._memory: sqlite3.Connection | None = None
        self._pieces: list[bytes] = []
        self.size = 0
        folder = ram_folder()
        if folder is not None:
            conn = sqlcipher.connect(":memory:")  # no key: the image is plain
            try:
                conn.isolation_level = None
                conn.text_factory = DECODE_TEXT
                conn.execute("PRAGMA temp_store = MEMORY")
                self._fd = _attach_in_ram(conn, "image", folder)
                self._conn = conn
            except (NotInRam, OSError, DatabaseError):
                conn.close()  # the portable way below

    @property
    def in_ram(self) -> bool:
        """Whether the image is a nameless tmpfs file (else: Python memory)."""
        return self._fd >= 0

    def write(self, piece: bytes) -> None:
        """Append the next bytes of the image."""
        if self._fd >= 0:
            try:
                with memoryview(piece) as view:
                    done = 0
                    while done < len(view):
                        done += os.write(self._fd, view[done:])
            except OSError:  # the tmpfs is full: the portable way, from what it holds
                self._leave_ram()
                self._pieces.append(bytes(piece))
        else:
            self._pieces.append(bytes(piece))
        self.size += len(piece)

    def _leave_ram(self) -> None:
        held = list(_read_pieces(self._fd, self.size))
        self.close()
        self._pieces = held

    def finish(self) -> None:
        """All bytes are in: make the image readable.

        An image that says it is in WAL mode (header bytes 18-19) is marked as
        rollback-journal, as it is read alone: SQLite would otherwise look for a log
        beside it (a named file) or refuse it in memory.
        """
        if self._fd >= 0:
            if os.pread(self._fd, 2, 18) == b"\x02\x02":
                os.pwrite(self._fd, b"\x01\x01", 18)
            return
        self._open_in_memory()

    def _open_in_memory(self) -> None:
        """The portable way: the image in the standard library's ``sqlite3``, in memory."""
        image = bytearray().join(self._pieces)
        self._pieces.clear()
        if len(image) >= 100 and image[18:20] == b"\x02\x02":
            image[18:20] = b"\x01\x01"
        self._memory = sqlite3.connect(":memory:", isolation_level=None)
        self._memory.deserialize(bytes(image))

    def healthy(self) -> bool:
        """SQLite's integrity check of the image."""
        try:
            if self._conn is not None:
                rows = self._conn.execute("PRAGMA image.integrity_check").fetchall()
            else:
                assert self._memory is not None, "finish() first"
                rows = self._memory.execute("PRAGMA integrity_check").fetchall()
        except (sqlite3.DatabaseError, DatabaseError, MemoryError):
            return False
        return [row[0] for row in rows] == ["ok"]

    def write_encrypted(self, target: Path, key: DatabaseKey) -> None:
        """Write the image as a new encrypted database ``target``, synced (as the module's
        ``write_encrypted``; ``target`` must not exist and is created owner-only)."""
        if self._conn is not None and not _copies_in_sql(self._conn, "image"):
            self._leave_ram()  # a schema SQL cannot re-aim: the portable way
            self._open_in_memory()
        if self._conn is None:
            assert self._memory is not None, "finish() first"
            write_encrypted(self._memory, target, key)
            return
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)  # an empty file: SQLCipher writes the database into it
        conn = self._conn
        conn.execute(f'ATTACH DATABASE ? AS target KEY "{key.pragma_value()}"', (str(target),))
        try:
            # No journal: a failed or killed write leaves a partial file the caller removes.
            conn.execute("PRAGMA target.journal_mode = OFF")
            conn.execute("BEGIN")
            _copy_in_sql(conn, "image", "target", lambda table: True)
            _copy_pragmas(conn, "image", "target")
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:  # a failure: the caller removes the partial file
                conn.execute("ROLLBACK")
            conn.execute("DETACH DATABASE target")
        with target.open("rb+") as handle:
            os.fsync(handle.fileno())

    def close(self) -> None:
        """Free the image (the nameless file goes with its last descriptor)."""
        self._pieces.clear()
        for conn in (self._conn, self._memory):
            if conn is not None:
                conn.close()
        self._conn = self._memory = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def write_encrypted(plain: sqlite3.Connection, target: Path, key: DatabaseKey) -> None:
    """Write the database ``plain`` (in memory) as a new encrypted file ``target``, synced.

    ``target`` must not exist; it is created owner-only.
    """
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)  # an empty file: SQLCipher writes the database into it
    out = connect(target, key)
    try:
        out.isolation_level = None
        out.execute("PRAGMA temp_store = MEMORY")  # index sorts never spill plain keys to disk
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
