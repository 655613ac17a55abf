"""Encrypted, verified backup files: the format, making one, reading its header, verifying it.

A backup file is ``MAGIC``, a 4-byte big-endian header length, a JSON header, and the
payload: the database snapshot compressed with zlib and encrypted with AES-256-GCM under a
key derived from the passphrase with Argon2id. The header (format, app and schema version,
time, counts, the payload's SHA-256 and the key-derivation parameters) is readable without
the passphrase and is bound to the payload as GCM associated data, so changing either is
detected. Everything a restore needs travels inside the file.

Making a backup: a consistent snapshot with SQLite's backup API into a temporary file on the
local disk, integrity and foreign-key checks on the snapshot, then the backup file under a
temporary name in the target folder, fsynced, read back and verified (hash, decrypt,
integrity check), and only then renamed to its final name and the folder fsynced. A partial
file never carries a final name. File operations go through ``FileOps`` so tests can inject
faults a real filesystem cannot produce on demand.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import shutil
import sqlite3
import struct
import tempfile
import zlib
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from alliance_desktop.storage.database import HEAD_REVISION
from alliance_desktop.storage.errors import StorageError
from alliance_desktop.storage.files import fsync_dir

MAGIC = b"ALLIANCE-BACKUP\n"
FORMAT_VERSION = 1
SUFFIX = ".allbak"
PARTIAL_SUFFIX = ".partial"
_LENGTH = struct.Struct(">I")
MAX_HEADER = 64 * 1024


class BackupError(StorageError):
    """A backup could not be made, read or verified; the message says why and what to do."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters (RFC 9106's second recommended option by default)."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4
    salt: str = ""  # base64


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

    def read(self, path: Path) -> bytes:
        return path.read_bytes()

    def rename(self, source: Path, target: Path) -> None:
        os.replace(source, target)

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
    try:
        lines = Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None  # not Linux: the write itself reports EFBIG
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


def snapshot(database: Path, folder: Path) -> tuple[Path, int, int]:
    """A checked, consistent copy of ``database`` in ``folder``; with client/session counts.

    Raises:
        BackupError: The snapshot fails SQLite's integrity or foreign-key check.
    """
    fd, name = tempfile.mkstemp(prefix="snapshot-", suffix=".db", dir=folder)
    os.close(fd)
    target = Path(name)
    source = sqlite3.connect(database)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            integrity = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            broken = copy.execute("PRAGMA foreign_key_check").fetchall()
            clients = int(copy.execute("SELECT count(*) FROM clients").fetchone()[0])
            sessions = int(copy.execute("SELECT count(*) FROM sessions").fetchone()[0])
        finally:
            copy.close()
    finally:
        source.close()
    if integrity != ["ok"] or broken:
        target.unlink(missing_ok=True)
        raise BackupError(
            "The database failed its integrity check, so no backup was made (a backup of a "
            "damaged file would hide the damage). Run 'alliance-desktop check' and keep your "
            "earlier backups safe."
        )
    return target, clients, sessions


def encrypt(plain: bytes, passphrase: str, header: BackupHeader) -> tuple[BackupHeader, bytes]:
    """Compress and encrypt ``plain``; return the completed header and the payload."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt = base64.b64encode(secrets.token_bytes(16)).decode()
    kdf = KdfParams(header.kdf.time_cost, header.kdf.memory_kib, header.kdf.parallelism, salt)
    nonce = secrets.token_bytes(12)
    compressed = zlib.compress(plain, 6)
    key = _key(passphrase, kdf)
    # The payload's size and hash go in the header, which is itself authenticated: so the
    # ciphertext length is known first (GCM adds a 16-byte tag).
    size = len(compressed) + 16
    provisional = _replace(
        header,
        kdf=kdf,
        nonce=base64.b64encode(nonce).decode(),
        size=size,
        mac=_content_mac(key, plain),
    )
    cipher = AESGCM(key)
    payload = cipher.encrypt(nonce, compressed, _aad(provisional, with_hash=False))
    final = _replace(provisional, sha=hashlib.sha256(payload).hexdigest())
    return final, payload


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
    if not values["content_mac"]:
        del values["content_mac"]  # as files written before the field existed
    return json.dumps(values, sort_keys=True).encode()


def pack(header: BackupHeader, payload: bytes) -> bytes:
    """The bytes of a backup file."""
    head = header.to_bytes()
    return MAGIC + _LENGTH.pack(len(head)) + head + payload


def unpack(data: bytes, name: str = "the file") -> tuple[BackupHeader, bytes]:
    """Split a backup file into header and payload; checks its shape, not its contents."""
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
        values["kdf"] = KdfParams(**values["kdf"])
        header = BackupHeader(**values)
    except (ValueError, TypeError, KeyError) as exc:
        raise BackupError(f"{name} has a damaged header; it cannot be read.") from exc
    kdf = header.kdf
    # A damaged (or hostile) header must not make the key derivation eat the machine.
    if not (
        1 <= kdf.time_cost <= 20
        and 1024 <= kdf.memory_kib <= 1024 * 1024
        and 1 <= kdf.parallelism <= 16
        and isinstance(header.payload_size, int)
    ):
        raise BackupError(f"{name} has a damaged header; it cannot be read.")
    if header.format > FORMAT_VERSION:
        raise BackupError(
            f"{name} was written by a newer version of Alliance Desktop (backup format "
            f"{header.format}); update the app to read it."
        )
    return header, data[start + length :]


def decrypt(data: bytes, passphrase: str, name: str = "the file") -> tuple[BackupHeader, bytes]:
    """The header and the database bytes inside a backup file.

    Raises:
        BackupError: Not a backup, truncated, tampered with, or the wrong passphrase.
    """
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header, payload = unpack(data, name)
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
    return header, zlib.decompress(compressed)


def backup_name(moment: datetime) -> str:
    return f"alliance-backup-{moment:%Y%m%d-%H%M%S}{SUFFIX}"


def make_backup(
    database: Path,
    folder: Path,
    passphrase: str,
    *,
    app_version: str,
    now: datetime | None = None,
    kdf: KdfParams | None = None,
    ops: FileOps | None = None,
    skip_unchanged: bool = False,
    keep: Retention | None = None,
) -> MadeBackup:
    """Write a verified, encrypted backup of ``database`` into ``folder``.

    With ``skip_unchanged``, nothing is written when the newest backup in ``folder`` holds
    exactly this database (and opens with this passphrase). With ``keep``, older backups
    are rotated away, but only after the new one has verified.

    Raises:
        BackupError: With one sentence on what went wrong; the temp file is removed and
            earlier backups and the live database are untouched.
    """
    ops = ops or FileOps()
    now = now or datetime.now()
    remove_leftovers(folder, ops)
    with tempfile.TemporaryDirectory(prefix="alliance-backup-") as local:
        snap, clients, sessions = snapshot(database, Path(local))
        plain = snap.read_bytes()
        if skip_unchanged:
            same = unchanged_backup(folder, plain, passphrase)
            if same is not None:
                return MadeBackup(same[0], same[1], skipped=True)
        blank = BackupHeader(
            FORMAT_VERSION,
            app_version,
            _schema(snap),
            now.isoformat(timespec="seconds"),
            clients,
            sessions,
            "",
            0,
            kdf or KdfParams(),
            "",
        )
        header, payload = encrypt(plain, passphrase, blank)
    data = pack(header, payload)
    final = folder / backup_name(now)
    serial = 1
    while final.exists():  # two backups in one second: never replace a verified backup
        serial += 1
        final = folder / backup_name(now).replace(SUFFIX, f"-{serial}{SUFFIX}")
    partial = final.with_name(final.name + PARTIAL_SUFFIX)
    try:
        _check_room(ops, folder, len(data))
        with ops.open_write(partial) as handle:
            ops.write(handle, data)
            ops.fsync(handle)
        verify_bytes(ops.read(partial), passphrase, final.name)
        ops.rename(partial, final)
        ops.fsync_dir(folder)
    except OSError as exc:
        _discard(ops, partial)
        raise BackupError(_describe(exc, folder)) from exc
    except BaseException:
        _discard(ops, partial)
        raise
    removed = rotate(folder, keep, protect=final, ops=ops) if keep else ()
    return MadeBackup(final, header, removed=removed)


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


def remove_leftovers(folder: Path, ops: FileOps | None = None) -> list[Path]:
    """Delete partial backup files a killed or interrupted run left in ``folder``."""
    ops = ops or FileOps()
    removed = []
    for leftover in folder.glob(f"alliance-backup-*{SUFFIX}{PARTIAL_SUFFIX}"):
        with contextlib.suppress(OSError):
            ops.remove(leftover)
            removed.append(leftover)
    return removed


def backups_in(folder: Path) -> list[tuple[Path, BackupHeader | BackupError]]:
    """Every backup file in ``folder`` with its header (or why it cannot be read), by name."""
    found: list[tuple[Path, BackupHeader | BackupError]] = []
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            found.append((path, read_header(path)))
        except BackupError as exc:
            found.append((path, exc))
    return found


def unchanged_backup(
    folder: Path, plain: bytes, passphrase: str
) -> tuple[Path, BackupHeader] | None:
    """The newest backup in ``folder`` when it holds exactly ``plain``; else None."""
    readable = [(p, h) for p, h in backups_in(folder) if isinstance(h, BackupHeader)]
    if not readable:
        return None
    path, header = max(readable, key=lambda item: (item[1].created_at, item[0].name))
    if not header.content_mac:
        return None
    try:
        key = _key(passphrase, header.kdf)
    except (ValueError, TypeError):
        return None
    if hmac.compare_digest(_content_mac(key, plain), header.content_mac):
        return path, header
    return None


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


def rotate(folder: Path, keep: Retention, *, protect: Path, ops: FileOps) -> tuple[Path, ...]:
    """Delete old backups by ``keep``; never ``protect`` nor a file whose header is unreadable."""
    made: dict[Path, datetime] = {}
    for path, header in backups_in(folder):
        if isinstance(header, BackupHeader):
            with contextlib.suppress(ValueError):
                made[path] = datetime.fromisoformat(header.created_at).replace(tzinfo=None)
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


def _schema(snapshot_path: Path) -> str:
    conn = sqlite3.connect(snapshot_path)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        row = None
    finally:
        conn.close()
    return str(row[0]) if row else HEAD_REVISION


def verify_bytes(data: bytes, passphrase: str, name: str = "the file") -> BackupHeader:
    """Check a backup's bytes completely: shape, hash, decryption, and the database inside."""
    return _open_verified(data, passphrase, name)[0]


def _open_verified(data: bytes, passphrase: str, name: str) -> tuple[BackupHeader, bytes]:
    header, plain = decrypt(data, passphrase, name)
    with tempfile.TemporaryDirectory(prefix="alliance-verify-") as local:
        path = Path(local) / "restored.db"
        path.write_bytes(plain)
        conn = sqlite3.connect(path)
        try:
            ok = [row[0] for row in conn.execute("PRAGMA integrity_check")] == ["ok"]
        except sqlite3.DatabaseError:
            ok = False
        finally:
            conn.close()
    if not ok:
        raise BackupError(f"{name} opens, but the database inside it is damaged.")
    return header, plain


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
    data: bytes, passphrase: str, database: Path, *, name: str = "the backup"
) -> tuple[BackupHeader, Path | None]:
    """Replace ``database`` with the one inside a backup; return its header and the kept copy.

    The backup is verified completely first, and a newer schema is refused, before anything
    is touched. The current database is then checkpointed and copied aside (everything
    saved up to this moment), its empty journal files removed, and the restored file put in
    place with one atomic rename: a kill at any moment leaves either the old or the
    restored database, whole. Opening it afterwards migrates an older schema.

    Raises:
        BackupError: Wrong passphrase, damaged or foreign file, newer schema, or the app
            still has the database open; nothing was changed.
    """
    from alliance_desktop.storage.database import copy_aside, known_revisions, remove_leftovers

    header, plain = _open_verified(data, passphrase, name)
    if header.schema_version != HEAD_REVISION and header.schema_version not in known_revisions():
        raise BackupError(
            f"{name} was made by a newer version of Alliance Desktop (schema "
            f"'{header.schema_version}'); update the app to restore it. Nothing was changed."
        )
    if window_holds(database):
        raise BackupError(
            f"Alliance Desktop has {database.name} open; close its window, then restore. "
            "Nothing was changed."
        )
    folder = database.parent
    if not folder.is_dir():
        raise BackupError(f"The folder {folder} does not exist; create it, then restore.")
    remove_leftovers(database)  # from a restore killed part-way
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    incoming = folder / f".{database.name}.restore-{stamp}{PARTIAL_SUFFIX}"
    try:
        fd = os.open(incoming, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(plain)
            handle.flush()
            os.fsync(handle.fileno())
        kept = _keep_current(database, copy_aside) if database.exists() else None
        for journal in ("-wal", "-shm"):  # empty after the checkpoint; stale beside the new file
            database.with_name(database.name + journal).unlink(missing_ok=True)
        os.replace(incoming, database)
        fsync_dir(folder)
    except OSError as exc:
        incoming.unlink(missing_ok=True)
        raise BackupError(
            f"The restore into {folder} failed ({exc.strerror or exc}); the database there "
            "is as it was."
        ) from exc
    except BaseException:
        incoming.unlink(missing_ok=True)
        raise
    return header, kept


def _keep_current(database: Path, copy_aside: Any) -> Path:
    """Keep the database as it is now, beside itself, before a restore replaces it.

    A healthy file is checkpointed (so the copy holds every saved change) and copied with
    SQLite's backup API. A damaged one, the usual reason to restore, is copied byte for byte
    with its journal, so nothing is lost even when SQLite cannot read it.
    """
    try:
        conn = sqlite3.connect(database)
        try:
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            conn.close()
        if busy:
            raise BackupError(
                f"Another program is using {database.name}; close it, then restore. "
                "Nothing was changed."
            )
        return Path(copy_aside(database, "before-restore"))
    except sqlite3.DatabaseError:
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        kept = database.with_name(f"{database.name}.before-restore-{stamp}.damaged")
        for journal in ("", "-wal"):
            source = database.with_name(database.name + journal)
            if source.exists():
                shutil.copyfile(source, kept.with_name(kept.name + journal))
        return kept


def read_header(path: Path) -> BackupHeader:
    """A backup's header, without the passphrase (for listing backups)."""
    try:
        with path.open("rb") as handle:
            start = handle.read(len(MAGIC) + _LENGTH.size + MAX_HEADER)
    except OSError as exc:
        raise BackupError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    header, _ = unpack(start, path.name)  # the payload's length is checked by verify
    return header
