"""Backing up the practice: the policy around ``storage.backup``, shared by the window and CLI.

``back_up`` checkpoints the open database, makes a verified backup (or notes that the newest
backup in the folder already holds everything), rotates by the practice's settings and
records when and where the practice was last backed up, in a small file beside the
database (``practice.db.last-backup.json``: a time, a folder and a file name, nothing about
clients). That record is kept outside the database on purpose: writing it inside would
change the database and defeat "skip when nothing changed".
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from alliance_desktop import __version__
from alliance_desktop.services import audit
from alliance_desktop.services.settings import load_backup_settings
from alliance_desktop.storage import cipher, keys, repository
from alliance_desktop.storage.backup import (
    BackupError,
    BackupHeader,
    FileOps,
    KdfParams,
    MadeBackup,
    Retention,
    backups_in,
    make_backup,
    restore_backup,
    verify_bytes,
)
from alliance_desktop.storage.database import (
    Database,
    encrypt_database,
    open_database,
    prune_copies,
)
from alliance_desktop.storage.files import NotAFile, fsync_dir, read_regular_file
from alliance_desktop.storage.keys import DatabaseKey
from alliance_desktop.storage.sqlite_errors import DatabaseDamaged

__all__ = [
    "MIN_PASSPHRASE",
    "BackupError",
    "BackupHeader",
    "BackupInfo",
    "LastBackup",
    "MadeBackup",
    "back_up",
    "changed_since",
    "last_backup",
    "list_backups",
    "restore_from",
    "verify_backup",
]

RECORD_SUFFIX = ".last-backup.json"
DATABASE_ID_KEY = "database_id"
#: How many copies of the database as it was before a restore are kept beside it.
KEPT_BEFORE_RESTORE = 3
MIN_PASSPHRASE = 8  # for new backups; an existing backup opens with whatever it was made with


@dataclass(frozen=True)
class LastBackup:
    """When the database was last known to be held whole by a verified backup, and where."""

    at: datetime
    folder: Path
    file: str
    #: When the backup's own writes to the database (its audit entry) were done: changes
    #: after this are the therapist's. None in records written before it existed.
    settled_at: datetime | None = None

    def age_days(self, now: datetime | None = None) -> float:
        return max(0.0, ((now or datetime.now()) - self.at).total_seconds() / 86400)


def back_up(
    db: Database,
    folder: Path,
    passphrase: str,
    *,
    force: bool = False,
    now: datetime | None = None,
    kdf: KdfParams | None = None,
    ops: FileOps | None = None,
) -> MadeBackup:
    """Back ``db`` up into ``folder``; skip when nothing changed unless ``force``.

    Raises:
        BackupError: One sentence on what went wrong; nothing else changed.
    """
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"Use a backup passphrase of at least {MIN_PASSPHRASE} characters.")
    settings = load_backup_settings(db)
    # Read-only checks first: a damaged database is refused before anything is written to
    # it (its identifier below, the checkpoint), not only by the snapshot's check later.
    try:
        db.require_sound()
    except DatabaseDamaged as exc:
        raise BackupError(f"{exc} No backup was made.") from None
    identity = database_id(db)  # in the snapshot, so "nothing changed" compares like with like
    db.checkpoint()  # every saved change is in the main file the snapshot copies
    # The snapshot's moment, not the end: a session saved while the backup runs is not in
    # it. After the checkpoint, whose write to the file is then not taken for a change.
    started = now or datetime.now()
    made = make_backup(
        db.path,
        folder,
        passphrase,
        key=db.key,
        app_version=__version__,
        now=started,
        kdf=kdf,
        ops=ops,
        skip_unchanged=not force,
        keep=Retention(settings.keep_daily, settings.keep_weekly, settings.keep_monthly),
        database_id=identity,
    )
    if not made.skipped:  # the log is not content: the next backup is skipped all the same
        audit.record(db, "backup", detail=made.path.name)
    settled = datetime.now() if now is None else started
    record_backup(db.path, LastBackup(started, folder, made.path.name, settled))
    return made


def database_id(db: Database) -> str:
    """This database's random identifier, made on its first backup and kept inside it (so a
    restored database keeps rotating with its own backups)."""
    stored = _stored_database_id(db)
    if stored:
        return stored
    identity = secrets.token_hex(8)
    repository.set_setting(db, DATABASE_ID_KEY, identity)
    return identity


def _stored_database_id(db: Database) -> str:
    stored = repository.get_setting(db, DATABASE_ID_KEY)
    return stored if isinstance(stored, str) else ""


def of_another_database(db: Database, header: BackupHeader | None) -> bool:
    """Whether a backup was made from a different database than ``db``: both have an
    identity and they differ. Reads only (a database never backed up has none yet, and
    then nothing can be told)."""
    if header is None or not header.database_id:
        return False
    ours = repository.get_setting(db, DATABASE_ID_KEY)
    return isinstance(ours, str) and bool(ours) and ours != header.database_id


def _record_path(database: Path) -> Path:
    return database.with_name(database.name + RECORD_SUFFIX)


def record_backup(database: Path, last: LastBackup) -> None:
    """Remember the last backup beside ``database``; a failure here never fails a backup."""
    record = _record_path(database)
    temp = record.with_name(record.name + ".partial")
    text = json.dumps(
        {
            "at": last.at.isoformat(timespec="microseconds"),
            "folder": str(last.folder),
            "file": last.file,
            **(
                {"settled_at": last.settled_at.isoformat(timespec="microseconds")}
                if last.settled_at
                else {}
            ),
        }
    )
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, record)
        fsync_dir(record.parent)
    except OSError:
        temp.unlink(missing_ok=True)


def last_backup(database: Path) -> LastBackup | None:
    """The last recorded backup of ``database``, or None (never, or the record is unreadable)."""
    try:
        values = json.loads(_record_path(database).read_text(encoding="utf-8"))
        settled = values.get("settled_at")
        return LastBackup(
            datetime.fromisoformat(values["at"]),
            Path(values["folder"]),
            str(values["file"]),
            datetime.fromisoformat(settled) if settled else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def changed_since(database: Path, last: LastBackup) -> bool:
    """Whether ``database`` (or its journal) was written after ``last`` (by modification time).

    A cheap guess for "offer a backup on exit"; the backup itself compares contents.
    """
    stamps = []
    for suffix in ("", "-wal"):
        try:
            status = database.with_name(database.name + suffix).stat()
        except OSError:
            continue
        if suffix and status.st_size == 0:
            continue  # opening the database makes an empty journal: not a change
        stamps.append(status.st_mtime)
    return not stamps or max(stamps) > (last.settled_at or last.at).timestamp()


@dataclass(frozen=True)
class BackupInfo:
    """One backup file as a list shows it; ``problem`` says why its header cannot be read."""

    path: Path
    size: int
    header: BackupHeader | None
    problem: str = ""

    @property
    def created_at(self) -> str:
        return self.header.created_at if self.header else ""


def list_backups(folder: Path) -> list[BackupInfo]:
    """The backups in ``folder``, newest first; reads only the files' headers.

    Raises:
        BackupError: The folder is missing or cannot be read.
    """
    if not folder.is_dir():
        raise BackupError(f"The folder {folder} does not exist; is the drive plugged in?")
    found = []
    try:
        for path, header in backups_in(folder):
            size = path.stat().st_size
            if isinstance(header, BackupError):
                found.append(BackupInfo(path, size, None, str(header)))
            else:
                found.append(BackupInfo(path, size, header))
    except OSError as exc:
        raise BackupError(f"{folder} cannot be read: {exc.strerror or exc}.") from exc
    return sorted(found, key=lambda info: (info.created_at, info.path.name), reverse=True)


def _read(path: Path) -> bytes:
    """A backup file's bytes; a pipe or a device is refused, never opened (it could block
    the window for ever or fill the memory)."""
    try:
        return read_regular_file(path)
    except NotAFile as exc:
        raise BackupError(
            f"{path} is {exc.what}, not a backup file; choose a .allbak file."
        ) from None
    except OSError as exc:
        raise BackupError(f"{path} cannot be read: {exc.strerror or exc}.") from None


def verify_backup(path: Path, passphrase: str) -> BackupHeader:
    """Check a backup completely (hash, decryption, the database inside); return its header."""
    return verify_bytes(_read(path), passphrase, path.name)


def _set_aside_unreadable(database: Path) -> Path:
    """Rename a database that cannot be unlocked (and its journals and key file) aside."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    kept = database.with_name(f"{database.name}.before-restore-{stamp}.unreadable")
    for suffix in ("-wal", "-shm", keys.KEYS_SUFFIX, ""):
        source = database.with_name(database.name + suffix)
        if source.exists():
            os.replace(source, kept.with_name(kept.name + suffix))
    fsync_dir(database.parent)
    return kept


def restore_from(
    path: Path, passphrase: str, database: Path, *, key: DatabaseKey | None = None
) -> tuple[BackupHeader, Path | None]:
    """Replace ``database`` with the backup at ``path``; return its header and the kept copy.

    The database must be closed (the window closes it first). The restored database keeps
    the current database's key (``key``, or unlocked with ``passphrase``), so its passphrase
    keeps working; where there is no database yet, ``passphrase`` becomes its passphrase
    (one secret for the practice and its backups). An older schema is migrated here, so the
    database is ready to open.

    Raises:
        BackupError: The backup cannot be restored, or the current database does not
            unlock with ``passphrase`` and no ``key`` was given; nothing was changed.
    """
    data = _read(path)
    if database.exists() and database.stat().st_size > 0 and key is None:
        if cipher.is_plain_sqlite(database):
            # A database from before encryption: encrypt it under this passphrase first, so
            # the copy kept aside is encrypted too (but not for a backup that won't open).
            verify_bytes(data, passphrase, path.name)
            key = encrypt_database(database, passphrase)
        else:
            try:
                key = keys.unlock(database, passphrase)
            except keys.KeyFileProblem:
                # Its key file is missing or damaged: the database cannot be opened, and the
                # backup is the way back. Keep the file (and what is beside it) as it is.
                verify_bytes(data, passphrase, path.name)
                unreadable = _set_aside_unreadable(database)
                header, _ = restore_backup(data, passphrase, database, key=None, name=path.name)
                restored = open_database(database, passphrase=passphrase, install_instruments=False)
                try:
                    audit.record(restored, "restore", detail=f"from {path.name}")
                finally:
                    restored.close()
                return header, unreadable
            except keys.WrongPassphrase:
                verify_bytes(data, passphrase, path.name)  # the backup's own refusal first
                raise BackupError(
                    f"The database at {database} has a different passphrase from this backup, "
                    "so it was not replaced. Restore from the window (it asks for both), or "
                    "restore into another file with --db. Nothing was changed."
                ) from None
    header, kept = restore_backup(data, passphrase, database, key=key, name=path.name)
    restored = open_database(database, key=key, passphrase=passphrase, install_instruments=False)
    try:
        audit.record(restored, "restore", detail=f"from {path.name} (made {header.created_at})")
    finally:
        restored.close()
    settled_by_restore(database)
    # The copies kept before restores would pile up for ever: the last few are enough to
    # undo a mistaken restore (the message names the newest).
    prune_copies(database, "before-restore", KEPT_BEFORE_RESTORE)
    return header, kept


def settled_by_restore(database: Path) -> None:
    """The database now holds exactly what a backup holds: nothing has changed since a
    backup, so closing must not offer one for "records changed since the last backup".

    Also called by the window once it has shown the restored records again (which only
    adds to the access log, not to the records)."""
    last = last_backup(database)
    if last is not None:
        record_backup(database, replace(last, settled_at=datetime.now()))
