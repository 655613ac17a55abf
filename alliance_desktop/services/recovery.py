"""What can be done with a database SQLite's check finds damaged, without making it worse.

The window's recovery dialog and ``alliance-desktop check`` offer the same three ways, in
this order of what is kept:

1. **Keep it aside** — the damaged file, its write-ahead log and its key file are copied
   byte for byte beside it (``<name>.damaged-<time>``, ``…-wal``, ``….keys``) before
   anything else touches them; both of the ways below start with this.
2. **Restore the newest backup that verifies** from a folder the therapist chooses (a USB
   stick): each backup there is checked completely, newest first, and the first whole one
   replaces the database (``backups.restore_from``).
3. **Salvage what can be read** into a new database (``storage.salvage``), a count per
   table, then put it in place of the damaged one.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alliance_desktop.services.backups import list_backups, restore_from, verify_backup
from alliance_desktop.storage import exclusion, keys
from alliance_desktop.storage.backup import BackupError, BackupHeader
from alliance_desktop.storage.files import fsync_dir
from alliance_desktop.storage.keys import DatabaseKey
from alliance_desktop.storage.salvage import SalvageReport, salvage

#: What is copied aside with a damaged database (the main file first).
_COMPANIONS = ("", "-wal", keys.KEYS_SUFFIX)


@dataclass(frozen=True)
class Restored:
    """A damaged database replaced by a backup."""

    backup: Path
    header: BackupHeader
    kept_aside: Path
    skipped: list[str]  # backups in the folder that did not verify, with why


def keep_damaged_aside(database: Path, now: datetime) -> Path:
    """Copy the database, its -wal and its key file byte for byte beside it; return the copy
    of the main file. Copies, not renames: nothing about the original changes."""
    stamp = now.strftime("%Y%m%dT%H%M%S")
    kept = database.with_name(f"{database.name}.damaged-{stamp}")
    serial = 1
    while kept.exists():
        serial += 1
        kept = database.with_name(f"{database.name}.damaged-{stamp}-{serial}")
    for suffix in _COMPANIONS:
        source = database.with_name(database.name + suffix)
        if source.exists():
            target = kept.with_name(kept.name + suffix)
            shutil.copyfile(source, target)
            os.chmod(target, 0o600)
            with target.open("rb+") as handle:
                os.fsync(handle.fileno())
    fsync_dir(database.parent)
    return kept


def newest_whole_backup(folder: Path, passphrase: str) -> tuple[Path, BackupHeader, list[str]]:
    """The newest backup in ``folder`` that verifies completely, and why newer ones did not.

    Raises:
        BackupError: The folder has no backup that verifies (the reasons are in the message).
    """
    skipped: list[str] = []
    for info in list_backups(folder):
        if info.header is None:
            skipped.append(info.problem)
            continue
        try:
            return info.path, verify_backup(info.path, passphrase), skipped
        except BackupError as exc:
            skipped.append(str(exc))
    reasons = f" ({'; '.join(skipped[:3])})" if skipped else ""
    raise BackupError(
        f"{folder} holds no backup that verifies with this passphrase{reasons}. Choose "
        "another folder or drive. Nothing was changed."
    )


def restore_newest(
    database: Path, folder: Path, passphrase: str, key: DatabaseKey, now: datetime
) -> Restored:
    """Keep the damaged database aside, then restore the newest whole backup over it.

    The database must be closed. The restored database keeps ``key`` (its passphrase keeps
    working).
    """
    path, header, skipped = newest_whole_backup(folder, passphrase)
    with exclusion.replacing(database):
        kept = keep_damaged_aside(database, now)
    restore_from(path, passphrase, database, key=key)
    return Restored(path, header, kept, skipped)


@dataclass(frozen=True)
class Salvaged:
    """A damaged database replaced by what could be read from it."""

    report: SalvageReport
    kept_aside: Path


def salvage_into_place(
    database: Path, key: DatabaseKey, passphrase: str, now: datetime
) -> Salvaged:
    """Keep the damaged database aside, salvage what can be read from it into a new file,
    and put that in its place (same key, so the passphrase and recovery sheet keep working).

    The database must be closed. Until the last rename the damaged file is where it was.
    """
    stamp = now.strftime("%Y%m%dT%H%M%S")
    salvaged = database.with_name(f"{database.name}.salvaged-{stamp}")
    with exclusion.replacing(database):
        kept = keep_damaged_aside(database, now)
        report = salvage(database, key, salvaged, passphrase)
        for journal in ("-wal", "-shm"):  # the damaged file's: kept aside, stale beside the new
            database.with_name(database.name + journal).unlink(missing_ok=True)
        os.replace(salvaged, database)
        # Same key: the database's own key file (with its recovery sheet) opens it.
        keys.keys_path(salvaged).unlink(missing_ok=True)
        fsync_dir(database.parent)
    return Salvaged(report, kept)
