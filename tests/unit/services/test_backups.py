"""The backup policy: settings drive rotation, unchanged data are not copied again, and the
last backup is remembered beside the database for the status bar."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from alliance_desktop.services.backups import BackupError, back_up, database_id, last_backup
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.settings import (
    BackupSettings,
    load_alert_settings,
    load_backup_settings,
    load_practice,
    save_preferences,
)
from alliance_desktop.storage.backup import KdfParams
from tests.keyed import open_database

PASS = "correct horse battery"
FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)  # tests only


def test_back_up_skips_unchanged_rotates_by_settings_and_remembers(
    demo_db_path: Path, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    db = open_database(demo_db_path)
    try:
        assert last_backup(demo_db_path) is None
        save_preferences(db, load_practice(db), load_alert_settings(db), BackupSettings(2, 0, 0, 3))
        assert load_backup_settings(db) == BackupSettings(2, 0, 0, 3)
        first = back_up(db, stick, PASS, now=datetime(2026, 11, 20, 17, 0), kdf=FAST)
        again = back_up(db, stick, PASS, now=datetime(2026, 11, 21, 17, 0), kdf=FAST)
        assert again.skipped and again.path == first.path
        record = last_backup(demo_db_path)
        assert record is not None and record.at == datetime(2026, 11, 21, 17, 0)
        assert record.folder == stick and record.file == first.path.name
        assert record.age_days(datetime(2026, 11, 24, 17, 0)) == pytest.approx(3.0)
        for day in (22, 23, 24):
            back_up(db, stick, PASS, now=datetime(2026, 11, day, 17, 0), kdf=FAST, force=True)
    finally:
        db.close()
    assert sorted(p.name for p in stick.iterdir()) == [
        "alliance-backup-20261123-170000.allbak",
        "alliance-backup-20261124-170000.allbak",
    ]
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        (BackupSettings(0, 0, 0, 7), "Keep at least one backup"),
        (BackupSettings(-1, 4, 12, 7), "Keep daily must be a whole number"),
        (BackupSettings(7, 4, 12, 0), "Remind after at least 1 day"),
        (BackupSettings(7, 4, 1001, 7), "from 0 to 1000"),
    ],
)
def test_bad_backup_settings_are_refused_and_nothing_is_stored(
    db_path: Path, settings: BackupSettings, words: str
) -> None:
    db = open_database(db_path)
    try:
        practice, alerts = load_practice(db), load_alert_settings(db)
        with pytest.raises(InvalidInput, match=words):
            save_preferences(db, practice, alerts, settings)
        assert load_backup_settings(db) == BackupSettings()
    finally:
        db.close()


def test_a_short_passphrase_is_refused_and_the_database_gets_an_identity(
    demo_db_path: Path, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    db = open_database(demo_db_path)
    try:
        with pytest.raises(BackupError, match="at least 8 characters"):
            back_up(db, stick, "short", kdf=FAST)
        assert list(stick.iterdir()) == []
        made = back_up(db, stick, PASS, kdf=FAST)
        assert made.header.database_id == database_id(db) != ""
    finally:
        db.close()


def test_an_imported_copy_is_a_database_of_its_own(demo_db_path: Path, tmp_path: Path) -> None:
    from alliance_desktop.services.transfer import export_json, import_contents, read_export

    db = open_database(demo_db_path)
    try:
        original = database_id(db)
        export_json(db, tmp_path / "export.json")
    finally:
        db.close()
    assert original not in (tmp_path / "export.json").read_text(encoding="utf-8")
    copy = open_database(tmp_path / "copy.db")
    try:
        import_contents(copy, read_export(tmp_path / "export.json"))
        assert database_id(copy) != original
    finally:
        copy.close()
