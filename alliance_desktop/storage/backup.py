"""Encrypted, verified backup files: the format, making one, reading its header, verifying it.

A backup file is ``MAGIC``, a 4-byte big-endian header length, a JSON header, and the
payload: the database snapshot compressed with zlib and encrypted with AES-256-GCM under a
key derived from the passphrase with Argon2id. The header (format, app and schema version,
time, counts, the payload's SHA-256 and the key-derivation parameters) is readable without
the passphrase and is bound to the payload as GCM associated data, so changing either is
detected. Everything a restore needs travels inside the file.

Making a backup: a consistent, plain snapshot of the encrypted database that never
touches a disk (``cipher.snapshot``: on Linux a nameless file in ``/dev/shm`` built by
SQLite itself, elsewhere the standard library's ``sqlite3`` in memory; a kill at any moment
leaves no readable copy anywhere), SQLite's integrity and foreign-key checks of the live
file (on a second thread, alongside the rest), then the backup file under a unique
temporary name in the target folder, fsynced, read back and verified (checksum,
decryption, and the decrypted bytes equal to the snapshot), and only once the checks have
passed given its final name, without replacing any file, and the folder fsynced. A partial
file never carries a final name. File operations go through ``FileOps`` so tests can
inject faults a real filesystem cannot produce on demand.

What a backup costs: the live file's checks start first, beside the snapshot, and are now
the longest step (on the 10,000-client demo, 2.3-3 s of the 3 s a backup takes on two
shared cores; the snapshot takes about 1.2 s). The snapshot's image is read once, in
pieces, into its hash and its zlib stream, and freed; the key is derived once, and the one
key encrypts, makes the content fingerprint and checks the file read back. The file is
written in pieces and read back in pieces, from the drive rather than from the system's
cache where the system allows, and decrypted and inflated piece by piece into a hash, so
neither the file nor a copy of the database is held in Python at any point.

Verifying and restoring: the payload is authenticated whole (checksum, AES-GCM), then
inflated once, in pieces, into a ``cipher.PlainImage`` (RAM, never disk), where SQLite's
integrity check reads it; ``restore_backup`` then copies that same image into a new
encrypted database under a temporary name, keeps the current database beside itself and
swaps the new file in with one rename. Nothing is inflated or checked twice.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import hmac
import json
import os
import secrets
import shutil
import sqlite3
import stat
import struct
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from alliance_desktop.storage import cipher, exclusion, keys, sqlite_errors
from alliance_desktop.storage.database import HEAD_REVISION
from alliance_desktop.storage.errors import StorageError
from alliance_desktop.storage.files import NotAFile, check_regular_file, fsync_dir
from alliance_desktop.storage.keys import DatabaseKey

MAGIC = b"ALLIANCE-BACKUP\n"
FORMAT_VERSION = 1
SUFFIX = ".allbak"
PARTIAL_SUFFIX = ".partial"
_LENGTH = struct.Struct(">I")
MAX_HEADER = 64 * 1024
_TAG = 16  # bytes of AES-GCM tag at the end of the payload
#: The pieces a backup is hashed, compressed, encrypted, written and read back in: large
#: enough that the cost per call vanishes, small against any database.
CHUNK = 1024 * 1024
# zlib level 1. Measured on the 10,000-client demo (a 135 MB image; 2 shared cores, medians
# of 5): level 1 takes 1.3 s for 31.4 MB, 3 takes 2.1 s for 31.8 MB, 6 (zlib's default)
# 5.8 s for 27.1 MB, 9 26 s for 26.6 MB. Level 6 saves 4.3 MB, which a stick writing
# 10-30 MB/s writes in 0.15-0.45 s (and reads back faster): far less than the 4.5 s of CPU
# it costs. A second thread (hashing beside compressing, or deflating halves in parallel)
# made it no faster on those cores. Any level reads with the same code (the format holds
# a zlib stream, whatever its level).
COMPRESSION_LEVEL = 1


class BackupError(StorageError):
    """A backup could not be made, read or verified; the message says why and what to do."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters (RFC 9106's second recommended option by default)."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4
    salt: str = ""  # base64

    def asks_too_much(self) -> bool:
        """Whether unlocking with these parameters takes more work than the app ever asks.

        The app writes every backup with the defaults (``make_backup`` without ``kdf``); a
        header may ask for up to twice each (about 0.5 s here, against 0.14 s), no more: a
        forged header could otherwise demand 20 passes over 1 GiB, 18 s per verify and per
        listing that checks for "nothing changed". Raising the defaults needs a new
        ``FORMAT_VERSION``, so that an older app says "update" rather than "tampered with".
        """
        return (
            self.time_cost > MAX_KDF.time_cost
            or self.memory_kib > MAX_KDF.memory_kib
            or self.parallelism > MAX_KDF.parallelism
        )


_WRITTEN_KDF = KdfParams()
#: The most key-derivation work a backup header may ask for (twice what the app writes).
MAX_KDF = KdfParams(
    time_cost=2 * _WRITTEN_KDF.time_cost,
    memory_kib=2 * _WRITTEN_KDF.memory_kib,
    parallelism=2 * _WRITTEN_KDF.parallelism,
)


@dataclass(frozen=True)
class BackupHeader:
    """What a backup file says about itself, readable without the passphrase."""

    format: int
    app_version: str
    schema_version: str
    created_at: str  # ISO 8601, local time
    clients: int
    sessions: int
    payload_sha256: str
    payload_size: int
    kdf: KdfParams
    nonce: str  # base64, AES-GCM
    # HMAC of the database under a key derived from the passphrase: lets the next backup
    # see that nothing changed without storing anything readable about the contents.
    content_mac: str = ""
    # A random identifier of the database the backup was made from: rotation and "nothing
    # changed" consider only backups of the same database (a demo, say, never thins out
    # the practice's backups on a shared stick).
    database_id: str = ""

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()


class FileOps:
    """The file operations backups use; tests replace it to inject faults."""

    def open_write(self, path: Path) -> IO[bytes]:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        return os.fdopen(fd, "wb")

    def write(self, handle: IO[bytes], data: bytes) -> None:
        handle.write(data)

    def fsync(self, handle: IO[bytes]) -> None:
        handle.flush()
        os.fsync(handle.fileno())

    def open_read(self, path: Path) -> IO[bytes]:
        """Open a file just written and synced, to read it back from the drive itself.

        The system's cached copy of the file is dropped first where it allows (Linux), so
        that the check sees the bytes the drive holds, not those still in memory (a stick
        that loses writes, as fake-capacity sticks do, then fails the check).
        """
        handle = path.open("rb")
        if hasattr(os, "posix_fadvise"):
            with contextlib.suppress(OSError):  # only advice: without it, the cache is read
                os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        return handle

    def clock(self) -> float:
        """Now, on the clock file times are compared with (how old a leftover is)."""
        return time.time()

    def rename(self, source: Path, target: Path) -> None:
        """Give ``source`` the name ``target``, never replacing a file already there.

        Raises:
            FileExistsError: ``target`` exists (another backup took the name meanwhile).
        """
        try:
            os.link(source, target)  # atomic, and refuses an existing name
        except FileExistsError:
            raise
        except OSError:  # no hard links on this drive (FAT): check, then rename
            if target.exists():
                raise FileExistsError(errno.EEXIST, "name taken", str(target)) from None
            os.replace(source, target)
            return
        source.unlink()

    def fsync_dir(self, folder: Path) -> None:
        fsync_dir(folder)

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def free_bytes(self, folder: Path) -> int | None:
        usage = shutil.disk_usage(folder)
        # Some FUSE filesystems (fusefat among them) report no sizes at all: unknown, and
        # the write itself reports a full drive.
        return usage.free if usage.total else None

    def filesystem(self, folder: Path) -> str | None:
        return filesystem_type(folder)


FAT_TYPES = {"vfat", "msdos", "fat", "fuse.fusefat", "fusefat"}
FAT_FILE_LIMIT = 4 * 1024**3 - 1  # FAT32 stores a file's size in 32 bits


def filesystem_type(folder: Path) -> str | None:
    """The type of the filesystem holding ``folder`` (Linux: from /proc/self/mounts)."""
    return cipher.filesystem_type(folder)


@dataclass(frozen=True)
class Retention:
    """How many backups rotation keeps: the newest of each recent day, week and month."""

    daily: int = 7
    weekly: int = 4
    monthly: int = 12


@dataclass(frozen=True)
class MadeBackup:
    """The outcome of ``make_backup``."""

    path: Path
    header: BackupHeader
    skipped: bool = False  # nothing changed since ``path``, the latest backup there
    removed: tuple[Path, ...] = ()  # older backups rotation deleted


def _key(passphrase: str, kdf: KdfParams) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    if not passphrase:
        raise BackupError("Enter the backup passphrase; a backup is never stored unencrypted.")
    return hash_secret_raw(
        passphrase.encode(),
        base64.b64decode(kdf.salt),
        time_cost=kdf.time_cost,
        memory_cost=kdf.memory_kib,
        parallelism=kdf.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def snapshot(database: Path, key: DatabaseKey) -> cipher.Snapshot:
    """A consistent, plain image of the encrypted ``database``, never on disk.

    In RAM on purpose: a kill can then never leave a readable copy of the records in a
    temporary folder (``cipher.snapshot`` says how). Also carries the content's fingerprint,
    for "nothing changed".

    Raises:
        BackupError: The database is too damaged to read.
    """
    try:
        return cipher.snapshot(database, key)
    except cipher.OperationalError:
        raise  # locked or unreadable: the caller's translation says so
    except cipher.DatabaseError:
        raise BackupError(_DAMAGED) from None


def snapshot_facts(snap: cipher.Snapshot) -> tuple[int, int, str]:
    """The snapshot's client and session counts and schema version (for the header).

    Raises:
        BackupError: The snapshot is too damaged to count.
    """
    conn, schema = snap.conn, snap.schema
    try:
        clients = int(conn.execute(f"SELECT count(*) FROM {schema}.clients").fetchone()[0])
        sessions = int(conn.execute(f"SELECT count(*) FROM {schema}.sessions").fetchone()[0])
        row = conn.execute(f"SELECT version_num FROM {schema}.alembic_version").fetchone()
    except (sqlite3.DatabaseError, cipher.DatabaseError):
        raise BackupError(_DAMAGED) from None
    return clients, sessions, str(row[0]) if row else HEAD_REVISION


def check_snapshot(conn: Any) -> None:
    """SQLite's integrity and foreign-key checks on a database connection.

    Raises:
        BackupError: The database fails a check (a backup would hide the damage).
    """
    try:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    except (sqlite3.DatabaseError, cipher.DatabaseError):
        integrity, broken = [], []
    if integrity != ["ok"] or broken:
        raise BackupError(_DAMAGED)


def _check_live(database: Path, key: DatabaseKey) -> None:
    """Check the live, encrypted file itself (a backup must never hide damage). The snapshot
    is not checked: it copies the file's records, but a file can be damaged in ways a copy
    does not show (pages no table uses, a damaged free list, keys out of order, which the
    copy sorts again), and an index that disagrees with its table after a lost write is
    authentic to SQLCipher's page checks (an older page carries a valid MAC too), so only
    SQLite's full check finds it. Runs on a second thread beside the rest.

    Measured on the 10,000-client demo: 2.3 s for the integrity check and 0.5 s for the
    foreign keys, alone; a 32-64 MiB page cache made it 0.1-0.3 s faster, within the noise
    of two shared cores, for 25-58 MB more memory, so SQLCipher's default is kept."""
    conn = cipher.connect(database, key, check_same_thread=False)
    try:
        check_snapshot(conn)
    finally:
        conn.close()


_DAMAGED = (
    "The database failed its integrity check, so no backup was made (a backup of a damaged "
    "file would hide the damage). Run 'alliance-desktop check' and keep your earlier backups "
    "safe."
)


def _hash_and_compress(pieces: Iterable[bytes]) -> tuple[int, bytes, deque[bytes]]:
    """The size and SHA-256 of a database image, given in ``pieces``, and its zlib stream,
    in one pass.

    The stream comes in pieces (the same bytes ``zlib.compress`` makes at the same level),
    so no piece of the image is kept and the encryption can drop each piece once used.
    """
    digest = hashlib.sha256()
    deflate = zlib.compressobj(COMPRESSION_LEVEL)
    compressed: deque[bytes] = deque()
    size = 0
    for piece in pieces:
        size += len(piece)
        digest.update(piece)
        out = deflate.compress(piece)
        if out:
            compressed.append(out)
    compressed.append(deflate.flush())
    return size, digest.digest(), compressed


def _salted(kdf: KdfParams) -> KdfParams:
    """``kdf`` with a new random salt (every backup has its own key)."""
    salt = base64.b64encode(secrets.token_bytes(16)).decode()
    return KdfParams(kdf.time_cost, kdf.memory_kib, kdf.parallelism, salt)


def _seal(
    compressed: deque[bytes], key: bytes, header: BackupHeader, content: bytes
) -> tuple[BackupHeader, deque[bytes]]:
    """Encrypt the compressed pieces (each dropped once encrypted) under ``key``, derived
    with ``header.kdf``; return the completed header and the payload's pieces.

    The payload is what one ``AESGCM.encrypt`` call makes (the ciphertext, then the 16-byte
    tag), made piece by piece. ``content`` is what "nothing changed" compares (the
    snapshot's content fingerprint).
    """
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    nonce = secrets.token_bytes(12)
    # The payload's size and hash go in the header, which is itself authenticated: so the
    # ciphertext length is known first (GCM adds a 16-byte tag).
    provisional = _replace(
        header,
        nonce=base64.b64encode(nonce).decode(),
        size=sum(len(piece) for piece in compressed) + _TAG,
        mac=_content_mac(key, content),
    )
    encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(_aad(provisional, with_hash=False))
    digest = hashlib.sha256()
    payload: deque[bytes] = deque()
    while compressed:
        piece = encryptor.update(compressed.popleft())
        digest.update(piece)
        payload.append(piece)
    tail = encryptor.finalize() + encryptor.tag
    digest.update(tail)
    payload.append(tail)
    return _replace(provisional, sha=digest.hexdigest()), payload


def _replace(
    header: BackupHeader,
    *,
    kdf: KdfParams | None = None,
    nonce: str | None = None,
    size: int | None = None,
    sha: str | None = None,
    mac: str | None = None,
) -> BackupHeader:
    values = asdict(header)
    if mac is not None:
        values["content_mac"] = mac
    values["kdf"] = kdf or header.kdf
    if nonce is not None:
        values["nonce"] = nonce
    if size is not None:
        values["payload_size"] = size
    if sha is not None:
        values["payload_sha256"] = sha
    return BackupHeader(**values)


def _content_mac(key: bytes, plain: bytes) -> str:
    # A separate key for the fingerprint (HMAC as a key-derivation function), so the
    # encryption key is used for one purpose only.
    mac_key = hmac.new(key, b"alliance-desktop content fingerprint v1", hashlib.sha256)
    return hmac.new(mac_key.digest(), plain, hashlib.sha256).hexdigest()


def _aad(header: BackupHeader, *, with_hash: bool) -> bytes:
    """The header as associated data: every field but the hash (computed after encrypting)."""
    values = asdict(header)
    if not with_hash:
        values["payload_sha256"] = ""
    for optional in ("content_mac", "database_id"):
        if not values[optional]:
            del values[optional]  # as in files written before the field existed
    return json.dumps(values, sort_keys=True).encode()


def _head_bytes(header: BackupHeader) -> bytes:
    """The bytes of a backup file before its payload: ``MAGIC``, length and header."""
    head = header.to_bytes()
    return MAGIC + _LENGTH.pack(len(head)) + head


def unpack(data: bytes, name: str = "the file") -> tuple[BackupHeader, bytes]:
    """Split a backup file into header and payload; checks its shape, not its contents."""
    header, start = _split(data, name)
    return header, data[start:]


def _split(data: bytes, name: str) -> tuple[BackupHeader, int]:
    """``unpack``, giving where the payload starts instead of a copy of it."""
    if not data.startswith(MAGIC):
        raise BackupError(f"{name} is not an Alliance Desktop backup.")
    start = len(MAGIC) + _LENGTH.size
    if len(data) < start:
        raise BackupError(f"{name} is incomplete (it ends inside its header).")
    (length,) = _LENGTH.unpack(data[len(MAGIC) : start])
    if length > MAX_HEADER or len(data) < start + length:
        raise BackupError(f"{name} is incomplete or damaged (its header is cut short).")
    try:
        values: dict[str, Any] = json.loads(data[start : start + length])
        future = values.get("format")
        if type(future) is int and future > FORMAT_VERSION:  # may carry fields we lack
            raise BackupError(
                f"{name} was written by a newer version of Alliance Desktop (backup format "
                f"{future}); update the app to read it."
            )
        values["kdf"] = KdfParams(**values["kdf"])
        header = BackupHeader(**values)
    # RecursionError: "[[[[…" nested thousands deep still fits in 64 KiB; ValueError also
    # covers an integer of more than 4,300 digits.
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise BackupError(f"{name} has a damaged header; it cannot be read.") from exc
    if not _well_formed(header):
        raise BackupError(f"{name} has a damaged header; it cannot be read.")
    if header.kdf.asks_too_much():
        raise BackupError(
            f"{name} asks for more work to unlock than Alliance Desktop ever uses "
            f"({header.kdf.time_cost} passes over {header.kdf.memory_kib // 1024:,} MiB); it "
            "was not made by this app or has been tampered with, so it was not opened."
        )
    return header, start + length


def _well_formed(header: BackupHeader) -> bool:
    """Every field of the right type and size: JSON that parses can still be nonsense."""

    def whole(value: object, low: int, high: int) -> bool:
        return type(value) is int and low <= value <= high

    def decoded_length(value: object) -> int:
        try:
            return len(base64.b64decode(str(value), validate=True))
        except ValueError:
            return -1

    kdf = header.kdf
    texts = (header.app_version, header.schema_version, header.created_at, header.payload_sha256)
    if not all(type(t) is str for t in (*texts, header.content_mac, header.database_id)):
        return False
    try:
        datetime.fromisoformat(header.created_at)
    except ValueError:
        return False
    # Well-formed only; how much work the key derivation may take is checked after (and
    # refused with its own message): KdfParams.asks_too_much.
    return (
        whole(header.format, 1, 1_000)
        and whole(header.clients, 0, 10**9)
        and whole(header.sessions, 0, 10**9)
        and whole(header.payload_size, 0, 2**40)
        and whole(kdf.time_cost, 1, 2**32 - 1)
        and whole(kdf.memory_kib, 1024, 2**32 - 1)
        and whole(kdf.parallelism, 1, 2**24 - 1)
        and decoded_length(kdf.salt) >= 8
        and decoded_length(header.nonce) == 12
    )


def decrypt(data: bytes, passphrase: str, name: str = "the file") -> tuple[BackupHeader, bytes]:
    """The header and the database bytes inside a backup file.

    Raises:
        BackupError: Not a backup, truncated, tampered with, or the wrong passphrase.
    """
    header, compressed = _decrypt_compressed(data, passphrase, name)
    return header, zlib.decompress(compressed)


def _decrypt_compressed(data: bytes, passphrase: str, name: str) -> tuple[BackupHeader, bytes]:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header, start = _split(data, name)
    payload = memoryview(data)[start:]  # not a copy: a payload is a quarter of the image
    if len(payload) != header.payload_size:
        raise BackupError(
            f"{name} is incomplete: {len(payload):,} of {header.payload_size:,} bytes of data "
            "are there (was the drive removed while it was written?)."
        )
    if hashlib.sha256(payload).hexdigest() != header.payload_sha256:
        raise BackupError(f"{name} is damaged: its data do not match the checksum it carries.")
    try:
        compressed = AESGCM(_key(passphrase, header.kdf)).decrypt(
            base64.b64decode(header.nonce), payload, _aad(header, with_hash=False)
        )
    except InvalidTag:
        raise BackupError(
            f"The passphrase does not open {name} (or the file was altered). Check the "
            "passphrase; nothing was changed."
        ) from None
    return header, compressed


class _PayloadCheck:
    """A backup's payload checked piece by piece, as ``decrypt`` checks it whole.

    Fed the payload's bytes in pieces, ``finish`` then refuses, in ``decrypt``'s order and
    words, a payload of the wrong length, one not matching the header's SHA-256, and one
    whose AES-GCM tag does not verify under ``key`` with the header as associated data.
    Given ``plain`` (the size and SHA-256 of the database image), it also inflates the
    decrypted bytes, a piece at a time, into a hash and refuses a stream that does not end
    exactly there with exactly that image. Nothing larger than a piece is held.
    """

    def __init__(
        self, header: BackupHeader, key: bytes, name: str, plain: tuple[int, bytes] | None
    ) -> None:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        self.header, self.name, self.plain = header, name, plain
        self.size = 0
        self.digest = hashlib.sha256()
        self.body = max(0, header.payload_size - _TAG)  # the ciphertext before the tag
        self.tag = bytearray()
        self.decryptor = Cipher(
            algorithms.AES(key), modes.GCM(base64.b64decode(header.nonce))
        ).decryptor()
        self.decryptor.authenticate_additional_data(_aad(header, with_hash=False))
        self.inflate = zlib.decompressobj()
        self.inflated = hashlib.sha256()
        self.inflated_size = 0
        self.inflates = plain is not None

    def feed(self, piece: bytes) -> None:
        """Take the next bytes of the payload, in the order of the file."""
        self.digest.update(piece)
        body = max(0, min(len(piece), self.body - self.size))  # the rest is the tag
        self.size += len(piece)
        with memoryview(piece) as view:
            if body:
                self._inflate(self.decryptor.update(view[:body]))
            if len(self.tag) < _TAG:
                self.tag += view[body : body + _TAG - len(self.tag)]

    def _inflate(self, compressed: bytes) -> None:
        if not self.inflates or self.plain is None:
            return
        try:
            out = self.inflate.decompress(compressed, CHUNK)
            while True:
                self.inflated.update(out)
                self.inflated_size += len(out)
                if self.inflated_size > self.plain[0] or not self.inflate.unconsumed_tail:
                    break
                out = self.inflate.decompress(self.inflate.unconsumed_tail, CHUNK)
        except zlib.error:
            self.inflates = False  # cannot be the image: said below, after the checks above

    def finish(self) -> None:
        """Give the verdict, once the whole payload has been fed.

        Raises:
            BackupError: The payload is incomplete, damaged, does not open with the key,
                or (given ``plain``) does not hold exactly that database image.
        """
        from cryptography.exceptions import InvalidTag

        header, name = self.header, self.name
        if self.size != header.payload_size:
            raise BackupError(
                f"{name} is incomplete: {self.size:,} of {header.payload_size:,} bytes of "
                "data are there (was the drive removed while it was written?)."
            )
        if self.digest.hexdigest() != header.payload_sha256:
            raise BackupError(f"{name} is damaged: its data do not match the checksum it carries.")
        try:
            self._inflate(self.decryptor.finalize_with_tag(bytes(self.tag)))
        except (InvalidTag, ValueError):  # ValueError: a payload shorter than a tag
            raise BackupError(
                f"The passphrase does not open {name} (or the file was altered). Check the "
                "passphrase; nothing was changed."
            ) from None
        if self.plain is None:
            return
        if self.inflates and self.inflated_size <= self.plain[0]:  # else already too long
            try:
                rest = self.inflate.flush()  # all input is in: only what zlib still holds
                self.inflated.update(rest)
                self.inflated_size += len(rest)
            except zlib.error:
                self.inflates = False
        whole = self.inflates and self.inflate.eof and not self.inflate.unused_data
        if not whole or (self.inflated_size, self.inflated.digest()) != self.plain:
            raise BackupError(_MISREAD.format(name=name))


_MISREAD = "{name} did not read back as it was written; use another drive."


def _check_stream(
    handle: IO[bytes],
    key: bytes,
    name: str,
    *,
    expected: BackupHeader,
    plain: tuple[int, bytes] | None = None,
) -> None:
    """Check the backup file open in ``handle``, read in pieces: its header is ``expected``
    and its payload passes ``_PayloadCheck`` under ``key`` (with ``plain``, the image too).

    Raises:
        BackupError: It does not.
    """
    header, first = unpack(handle.read(len(MAGIC) + _LENGTH.size + MAX_HEADER), name)
    if header != expected:
        raise BackupError(_MISREAD.format(name=name))
    check = _PayloadCheck(header, key, name, plain)
    check.feed(first)
    for piece in iter(lambda: handle.read(CHUNK), b""):
        check.feed(piece)
    check.finish()


def backup_name(moment: datetime) -> str:
    return f"alliance-backup-{moment:%Y%m%d-%H%M%S}{SUFFIX}"


def make_backup(
    database: Path,
    folder: Path,
    passphrase: str,
    *,
    key: DatabaseKey,
    app_version: str,
    now: datetime | None = None,
    kdf: KdfParams | None = None,
    ops: FileOps | None = None,
    skip_unchanged: bool = False,
    keep: Retention | None = None,
    database_id: str = "",
) -> MadeBackup:
    """Write a verified, encrypted backup of ``database`` into ``folder``.

    With ``skip_unchanged``, nothing is written when the newest backup in ``folder`` holds
    exactly this database (and opens with this passphrase). With ``keep``, older backups
    are rotated away, but only after the new one has verified. Both consider only backups
    carrying the same ``database_id``.

    Raises:
        BackupError: With one sentence on what went wrong; the temp file is removed and
            earlier backups and the live database are untouched.
    """
    ops = ops or FileOps()
    now = now or datetime.now()
    remove_leftovers(folder, ops)
    # SQLite's checks of the live file run on a second thread from the start, beside the
    # snapshot and everything after it (SQLite, hashing, zlib, AES and the file calls
    # release the GIL). Nothing gets its final name until the checks have passed.
    with ThreadPoolExecutor(max_workers=1) as pool:
        checked = pool.submit(_check_live, database, key)
        try:
            snap = _snapshot_or_verdict(database, key, checked)
            try:
                content = snap.content
                if skip_unchanged:
                    same = unchanged_backup(folder, content, passphrase, database_id)
                    if same is not None:
                        checked.result()  # the same bytes as a verified backup; say if damaged
                        return MadeBackup(same[0], same[1], skipped=True)
                clients, sessions, schema = snapshot_facts(snap)
                # The image is read once, in pieces, into its hash and its zlib stream.
                size, plain_sha, compressed = _hash_and_compress(snap.pieces(CHUNK))
            finally:
                snap.close()  # the image is freed before anything else is made
            kdf = _salted(kdf or KdfParams())
            secret = _key(passphrase, kdf)  # the only key derivation of this backup
            blank = BackupHeader(
                FORMAT_VERSION,
                app_version,
                schema,
                now.isoformat(timespec="seconds"),
                clients,
                sessions,
                "",
                0,
                kdf,
                "",
                database_id=database_id,
            )
            header, payload = _seal(compressed, secret, blank, content)
            # Unique, so two backups running at once (the window and a script) never
            # write, or clean up, each other's file.
            partial = folder / f"{backup_name(now)}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}"
            try:
                _write_verified(
                    ops, folder, partial, header, payload, key=secret, plain=(size, plain_sha)
                )
                checked.result()
                final = _take_free_name(ops, folder, partial, now)
                ops.fsync_dir(folder)
            except OSError as exc:
                _discard(ops, partial)
                raise BackupError(_describe(exc, folder)) from exc
            except BaseException:
                _discard(ops, partial)
                raise
        finally:
            pool.shutdown(wait=True)  # the check has finished before anything is returned
    removed = rotate(folder, keep, protect=final, ops=ops, database_id=database_id) if keep else ()
    return MadeBackup(final, header, removed=removed)


def _snapshot_or_verdict(
    database: Path, key: DatabaseKey, checked: Future[None]
) -> cipher.Snapshot:
    """``snapshot``; when it fails other than by a busy file, the live file's check speaks
    first: the copy reads every table and index, so a damaged page can stop it with any of
    SQLite's errors, and the user is to hear "damaged", not that error."""
    try:
        return snapshot(database, key)
    except (BackupError, cipher.DatabaseError, MemoryError) as exc:
        code = sqlite_errors.result_code(exc)
        if code is None or code & 0xFF not in sqlite_errors.BUSY_CODES:
            checked.result()  # raises BackupError when the check found damage
        raise


def _take_free_name(ops: FileOps, folder: Path, partial: Path, now: datetime) -> Path:
    """Rename ``partial`` to the backup's final name; with ``-2``, ``-3``… when a backup made
    in the same second has it. Never replaces another backup."""
    for serial in range(1, 1000):
        name = backup_name(now)
        if serial > 1:
            name = name.replace(SUFFIX, f"-{serial}{SUFFIX}")
        final = folder / name
        if final.exists():
            continue
        try:
            ops.rename(partial, final)
        except FileExistsError:
            continue
        return final
    raise BackupError(f"{folder} already holds 999 backups made in the same second.")


def _write_verified(
    ops: FileOps,
    folder: Path,
    partial: Path,
    header: BackupHeader,
    payload: deque[bytes],
    *,
    key: bytes,
    plain: tuple[int, bytes],
) -> None:
    """Write the backup to ``partial`` (each piece of ``payload`` dropped once written), sync
    it, read it back and verify it (the caller removes ``partial`` when this raises)."""
    head = _head_bytes(header)
    _check_room(ops, folder, len(head) + header.payload_size)
    with ops.open_write(partial) as handle:
        ops.write(handle, head)
        while payload:
            ops.write(handle, payload.popleft())
        ops.fsync(handle)
    _verify_written(ops, partial, header, key, plain)


def _check_room(ops: FileOps, folder: Path, size: int) -> None:
    """Refuse before writing when the file cannot fit: free space, and FAT32's 4 GiB."""
    kind = ops.filesystem(folder)
    if size > FAT_FILE_LIMIT and kind in FAT_TYPES:
        raise BackupError(
            f"The backup would be {size / 1024**3:.1f} GiB, but {folder} is on a FAT32 drive, "
            "which holds at most 4 GiB in one file. Use a drive formatted as exFAT or NTFS. "
            "Earlier backups are untouched."
        )
    needed = size + max(1024**2, size // 100)  # room for the directory entry and metadata
    free = ops.free_bytes(folder)
    if free is not None and free < needed:
        raise BackupError(
            f"The drive is too full: the backup needs {_megabytes(needed)} and {folder} has "
            f"{_megabytes(free)} free. Free some space or use another drive; earlier backups "
            "are untouched."
        )


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


LEFTOVER_AGE = 15 * 60  # seconds; a backup being written now is younger than this


def remove_leftovers(folder: Path, ops: FileOps | None = None) -> list[Path]:
    """Delete partial backup files a killed or interrupted run left in ``folder``.

    Only files older than a quarter of an hour: a younger one may belong to a backup that
    another process is writing at this moment.
    """
    ops = ops or FileOps()
    removed = []
    now = ops.clock()
    for leftover in folder.glob(f"alliance-backup-*{SUFFIX}*{PARTIAL_SUFFIX}"):
        with contextlib.suppress(OSError):
            status = leftover.lstat()
            # Only a file a backup wrote: a pipe, device or link of that name is not ours.
            if not stat.S_ISREG(status.st_mode):
                continue
            if now - status.st_mtime > LEFTOVER_AGE:
                ops.remove(leftover)
                removed.append(leftover)
    return removed


def backups_in(folder: Path) -> list[tuple[Path, BackupHeader | BackupError]]:
    """Every backup file in ``folder`` with its header (or why it cannot be read), by name.

    A named pipe, device or socket with a backup's name is listed as unreadable and never
    opened (opening a pipe waits for a writer for ever); rotation leaves it alone.
    """
    found: list[tuple[Path, BackupHeader | BackupError]] = []
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            found.append((path, read_header(path)))
        except BackupError as exc:
            found.append((path, exc))
    return found


def unchanged_backup(
    folder: Path, content: bytes, passphrase: str, database_id: str = ""
) -> tuple[Path, BackupHeader] | None:
    """The newest backup of this database in ``folder`` when its content fingerprint is
    ``content`` (the audit log aside, the same records) and it is whole (checksum and
    decryption checked); else None."""
    readable = [
        (p, h)
        for p, h in backups_in(folder)
        if isinstance(h, BackupHeader) and h.database_id == database_id
    ]
    if not readable:
        return None
    path, header = max(readable, key=lambda item: (item[1].created_at, item[0].name))
    if not header.content_mac:
        return None
    try:
        key = _key(passphrase, header.kdf)
    except (ValueError, TypeError, BackupError):
        return None
    if not hmac.compare_digest(_content_mac(key, content), header.content_mac):
        return None
    try:  # a damaged file must not stand in for a backup (checked with the key derived above)
        with path.open("rb") as handle:
            _check_stream(handle, key, path.name, expected=header)
    except (OSError, BackupError):
        return None
    return path, header


def choose_to_remove(made: dict[Path, datetime], keep: Retention) -> list[Path]:
    """The backups rotation deletes: all but the newest of each of the last ``keep`` days,
    ISO weeks and months that have a backup (grandfather-father-son)."""
    newest_first = sorted(made, key=lambda p: (made[p], p.name), reverse=True)
    kept: set[Path] = set()
    for count, period in (
        (keep.daily, lambda m: m.date()),
        (keep.weekly, lambda m: m.isocalendar()[:2]),
        (keep.monthly, lambda m: (m.year, m.month)),
    ):
        seen: list[object] = []
        for path in newest_first:
            slot = period(made[path])
            if slot in seen:
                continue
            if len(seen) == count:
                break
            seen.append(slot)
            kept.add(path)
    return [p for p in newest_first if p not in kept]


def rotate(
    folder: Path, keep: Retention, *, protect: Path, ops: FileOps, database_id: str = ""
) -> tuple[Path, ...]:
    """Delete old backups of this database by ``keep``; never ``protect``, a backup of
    another database, nor a file whose header is unreadable."""
    made: dict[Path, datetime] = {}
    for path, header in backups_in(folder):
        if isinstance(header, BackupHeader) and header.database_id == database_id:
            with contextlib.suppress(ValueError):
                made[path] = datetime.fromisoformat(header.created_at).replace(tzinfo=None)
    if protect in made and len(made) > 1:
        # The backup just made is the newest, whatever the clock said: two made within one
        # second (or after the clock was set back) must not leave it looking older.
        others = max(t for p, t in made.items() if p != protect)
        made[protect] = max(made[protect], others + timedelta(microseconds=1))
    removed = []
    for path in choose_to_remove(made, keep):
        if path == protect:
            continue
        with contextlib.suppress(OSError):  # a stubborn old file must not fail a good backup
            ops.remove(path)
            removed.append(path)
    if removed:
        with contextlib.suppress(OSError):
            ops.fsync_dir(folder)
    return tuple(removed)


def _discard(ops: FileOps, partial: Path) -> None:
    with contextlib.suppress(OSError):  # the drive is gone; a later run removes leftovers
        ops.remove(partial)


def _describe(exc: OSError, folder: Path) -> str:
    reasons = {
        28: "the drive is full; free some space or use another drive",
        1: "the drive is full or refuses the file; free some space or use another drive",
        30: "the drive is read-only; use another drive",
        13: "permission was refused; choose a folder you can write to",
        5: "the drive stopped answering (was it removed?); plug it in and try again",
        2: "the folder is gone (was the drive removed?); plug it in and try again",
        27: "the file is too large for this drive (FAT32 holds at most 4 GiB in one file)",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return f"The backup to {folder} failed: {reason}. Earlier backups are untouched."


def _verify_written(
    ops: FileOps, partial: Path, header: BackupHeader, key: bytes, plain: tuple[int, bytes]
) -> None:
    """Check the file as read back from the drive: the header as written, the checksum, the
    decryption (with the key it was encrypted with, so the passphrase's key derivation is
    not repeated; the header read back is the associated data, so a changed header fails
    too) and that it holds exactly the snapshot whose integrity was checked (``plain``: its
    size and SHA-256, so SQLite's check need not run twice). Read, decrypted and inflated
    piece by piece: neither the file nor a copy of the database is held.
    """
    with ops.open_read(partial) as handle:
        _check_stream(handle, key, partial.name, expected=header, plain=plain)


def verify_bytes(data: bytes, passphrase: str, name: str = "the file") -> BackupHeader:
    """Check a backup's bytes completely: shape, hash, decryption, and the database inside."""
    header, image = _open_verified(data, passphrase, name)
    image.close()
    return header


def _open_verified(
    data: bytes, passphrase: str, name: str
) -> tuple[BackupHeader, cipher.PlainImage]:
    """The header and the database image inside a backup, checked completely; the caller
    closes the image.

    The payload is authenticated whole first (checksum, then AES-GCM: nothing unauthentic is
    ever inflated), then inflated once, in pieces, into RAM (``cipher.PlainImage``), where
    SQLite's integrity check reads it and a restore copies it from.

    Raises:
        BackupError: ``decrypt``'s refusals, or the database inside is damaged.
    """
    header, compressed = _decrypt_compressed(data, passphrase, name)
    image = cipher.PlainImage()
    try:
        _inflate_into(compressed, image, name)
        del compressed
        image.finish()
        if not image.healthy():
            raise BackupError(f"{name} opens, but the database inside it is damaged.")
    except BaseException:
        image.close()
        raise
    return header, image


def _inflate_into(compressed: bytes, image: cipher.PlainImage, name: str) -> None:
    """Inflate the zlib stream ``compressed`` into ``image``, a piece at a time."""
    inflate = zlib.decompressobj()
    try:
        with memoryview(compressed) as view:
            for start in range(0, len(view), CHUNK):
                image.write(inflate.decompress(view[start : start + CHUNK], CHUNK))
                while inflate.unconsumed_tail:
                    image.write(inflate.decompress(inflate.unconsumed_tail, CHUNK))
        image.write(inflate.flush())
    except zlib.error:
        raise BackupError(f"{name} opens, but the database inside it is damaged.") from None
    if not inflate.eof or inflate.unused_data:
        raise BackupError(f"{name} opens, but the database inside it is damaged.")


def window_holds(database: Path) -> bool:
    """Whether a running app window holds ``<database>.lock`` (its process is alive)."""
    lock = database.with_name(database.name + ".lock")
    try:
        pid = int(lock.read_text(encoding="utf-8", errors="replace").split()[0])
    except (OSError, ValueError, IndexError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False  # left by a killed app: the next window takes it over
    except PermissionError:
        return True
    return pid != os.getpid()


def restore_backup(
    data: bytes,
    passphrase: str,
    database: Path,
    *,
    key: DatabaseKey | None,
    name: str = "the backup",
    on_step: Callable[[str], None] | None = None,
) -> tuple[BackupHeader, Path | None]:
    """Replace ``database`` with the one inside a backup; return its header and the kept copy.

    The backup is verified completely first, and a newer schema is refused, before anything
    is touched. The restored database is written encrypted under ``key`` (the current
    database's, so its passphrase keeps working) or, where there is no database yet, under
    a new key whose key file ``passphrase`` unlocks. The current database is then
    checkpointed and copied aside (everything saved up to this moment), its empty journal
    files removed, and the restored file put in place with one atomic rename: a kill at any
    moment leaves either the old or the restored database, whole. Opening it afterwards
    migrates an older schema. Writers are kept out from before the copy aside until after
    the rename (``storage.exclusion``); ``on_step`` is told each step by name (a seam the
    tests use to hold a writer at each one).

    Raises:
        BackupError: Wrong passphrase, damaged or foreign file, newer schema, or the app
            still has the database open; nothing was changed.
    """
    header, image = _open_verified(data, passphrase, name)
    try:
        kept = _restore_verified(
            header,
            image,
            passphrase=passphrase,
            database=database,
            key=key,
            name=name,
            on_step=on_step,
        )
    finally:
        image.close()  # the plain image is freed, however the restore ended
    return header, kept


def _restore_verified(
    header: BackupHeader,
    image: cipher.PlainImage,
    *,
    passphrase: str,
    database: Path,
    key: DatabaseKey | None,
    name: str,
    on_step: Callable[[str], None] | None,
) -> Path | None:
    """``restore_backup`` once the backup has verified (``image`` is its database)."""
    from alliance_desktop.storage.database import known_revisions

    if header.schema_version != HEAD_REVISION and header.schema_version not in known_revisions():
        raise BackupError(
            f"{name} was made by a newer version of Alliance Desktop (schema "
            f"'{header.schema_version}'); update the app to restore it. Nothing was changed."
        )
    folder = database.parent
    if not folder.is_dir():
        raise BackupError(f"The folder {folder} does not exist; create it, then restore.")
    if database.exists() and not database.is_file():
        raise BackupError(
            f"{database} is not a regular file (a device, a pipe or a folder), so no database "
            "was restored over it. Choose a database file with --db. Nothing was changed."
        )
    step = on_step or (lambda _name: None)
    step("verified")
    try:
        # From here to the rename no write may start (a writer that has opened the file
        # waits, then finds it replaced and refuses), and none is still under way.
        with exclusion.replacing(database):
            step("writers-excluded")
            kept = _restore_excluding_writers(image, passphrase, database, key, step)
    except exclusion.ReplacementBusy as exc:
        raise BackupError(str(exc)) from None
    step("done")
    return kept


def _restore_excluding_writers(
    image: cipher.PlainImage,
    passphrase: str,
    database: Path,
    key: DatabaseKey | None,
    step: Callable[[str], None],
) -> Path | None:
    """The steps of ``restore_backup`` that must not meet a writer (the caller holds the
    writers' lock): returns the copy of the current database kept beside it."""
    from alliance_desktop.storage.database import copy_aside, remove_leftovers

    if window_holds(database):
        raise BackupError(
            f"Alliance Desktop has {database.name} open; close its window, then restore. "
            "Nothing was changed."
        )
    folder = database.parent
    remove_leftovers(database)  # from a restore killed part-way (none is running: we lock)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    incoming = folder / f".{database.name}.restore-{stamp}{PARTIAL_SUFFIX}"
    exists = database.exists()
    if exists and key is None and database.stat().st_size > 0:
        raise BackupError(f"Unlock {database.name} before restoring over it.")
    try:
        new_key = key or DatabaseKey.generate()
        image.write_encrypted(incoming, new_key)
        step("written")
        kept: Path | None = None
        if exists and key is None and _holds_bytes(database):
            # Unreadable without a key (a zero-byte file beside a log holding saved
            # changes, say): kept byte for byte, with its key file, before either changes.
            kept = _copy_damaged(database)
        if key is None:
            keys.set_aside(database)  # a key file without its database: never overwritten
            keys.create_key_file(database, passphrase, key=new_key)
        if exists and key:
            kept = _keep_current(database, copy_aside, key)
        step("kept")
        for journal in ("-wal", "-shm"):  # empty after the checkpoint; stale beside the new file
            database.with_name(database.name + journal).unlink(missing_ok=True)
        step("journals-removed")
        os.replace(incoming, database)
        fsync_dir(folder)
        step("replaced")
    except OSError as exc:
        with contextlib.suppress(OSError):  # a read-only drive refuses this too
            incoming.unlink(missing_ok=True)
        raise BackupError(
            f"The restore into {folder} failed ({exc.strerror or exc}); the database there "
            "is as it was."
        ) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            incoming.unlink(missing_ok=True)
        raise
    return kept


def _keep_current(database: Path, copy_aside: Any, key: DatabaseKey) -> Path:
    """Keep the database as it is now, beside itself, before a restore replaces it.

    A healthy file is checkpointed (so the copy holds every saved change) and copied with
    SQLite's backup API. A damaged one, the usual reason to restore, is copied byte for byte
    with its journal, so nothing is lost even when SQLite cannot read it.
    """
    # Read-only check first: a checkpoint below would write into a damaged file (page 1, at
    # least), and the copy kept of it must be the file as it was, byte for byte.
    if _fails_quick_check(database, key):
        return _copy_damaged(database)
    try:
        conn = cipher.connect(database, key, timeout=2)  # a locked file: say so soon
        try:
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            # Leaving WAL mode needs every other connection closed, even idle ones, whose
            # later writes would otherwise go to a file about to be replaced.
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            busy = busy or str(mode).lower() != "delete"
        finally:
            conn.close()
        if busy:
            raise BackupError(
                f"Another program is using {database.name}; close it, then restore. "
                "Nothing was changed."
            )
        return Path(copy_aside(database, "before-restore", key))
    except cipher.OperationalError as exc:
        code = sqlite_errors.result_code(exc)
        if code is not None and code & 0xFF in (*sqlite_errors.BUSY_CODES, 14):  # 14: CANTOPEN
            raise BackupError(
                f"{database.name} is in use by another program or cannot be opened ({exc}); "
                "close other programs using it, then restore. Nothing was changed."
            ) from None
        return _copy_damaged(database)
    # Not a database, corrupt, or pages failing their check (SQLCipher then reports an "SQL
    # logic error" or runs "out of memory"): the usual reason to restore.
    except (cipher.DatabaseError, MemoryError):
        return _copy_damaged(database)


def _holds_bytes(database: Path) -> bool:
    return any(
        database.with_name(database.name + journal).is_file()
        and database.with_name(database.name + journal).stat().st_size > 0
        for journal in ("", "-wal")
    )


def _fails_quick_check(database: Path, key: DatabaseKey) -> bool:
    """SQLite's quick check on a read-only connection (a busy file is not damage)."""
    try:
        conn = cipher.connect(f"{database.as_uri()}?mode=ro", key, uri=True, timeout=2)
    except cipher.DatabaseError:
        return False  # cannot even open it read-only: the steps after say why
    try:
        return [row[0] for row in conn.execute("PRAGMA quick_check")] != ["ok"]
    except cipher.OperationalError as exc:
        code = sqlite_errors.result_code(exc)
        return not (code is not None and code & 0xFF in sqlite_errors.BUSY_CODES)
    except (cipher.DatabaseError, MemoryError):
        return True
    finally:
        conn.close()


def _copy_damaged(database: Path) -> Path:
    """Copy a database SQLite cannot read whole, with its log and key file, byte for byte."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    kept = database.with_name(f"{database.name}.before-restore-{stamp}.damaged")
    for journal in ("", "-wal", keys.KEYS_SUFFIX):
        source = database.with_name(database.name + journal)
        if source.exists():
            shutil.copyfile(source, kept.with_name(kept.name + journal))
    return kept


def read_header(path: Path) -> BackupHeader:
    """A backup's header, without the passphrase (for listing backups).

    Only a regular file is opened (checked before, and again on the descriptor, which is
    opened non-blocking), and only its first bytes are read.
    """
    try:
        check_regular_file(path)
    except NotAFile as exc:
        raise BackupError(f"{path.name} is {exc.what}, not a backup file; skipped.") from None
    except OSError as exc:
        raise BackupError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        with os.fdopen(os.open(path, flags), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped since the check
                raise BackupError(f"{path.name} is not a backup file; skipped.")
            start = handle.read(len(MAGIC) + _LENGTH.size + MAX_HEADER)
    except OSError as exc:
        raise BackupError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    header, _ = unpack(start, path.name)  # the payload's length is checked by verify
    return header
