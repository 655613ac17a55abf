"""A damaged database at start: the recovery dialog, and what each choice does to the files.

Real damage (pages overwritten in the encrypted file), real backups in a folder, the real
dialog driven with its buttons; afterwards the files themselves are checked: the damaged
ones kept aside byte for byte, the database in use whole.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QPushButton, QWidget
from pytestqt.qtbot import QtBot

from alliance_desktop.storage.backup import KdfParams
from alliance_desktop.ui.recovery import RecoveryDialog, recover
from alliance_desktop.ui.unlock import opened_in_window
from tests.keyed import TEST_PASSPHRASE, make_backup, open_database, raw_connect
from tests.ui.helpers import handle_modals, read_message

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)
NOW = datetime(2026, 12, 1, 9, 30)
PAGE = 4096


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _damage(path: Path) -> None:
    middle = path.stat().st_size // 2 // PAGE * PAGE
    with path.open("r+b") as handle:
        handle.seek(middle)
        handle.write(b"\xa5" * PAGE * 2)


def _count(path: Path, table: str) -> int:
    conn = raw_connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def damaged_with_backup(demo_db_path: Path, tmp_path: Path) -> tuple[Path, Path]:
    stick = tmp_path / "stick"
    stick.mkdir()
    make_backup(demo_db_path, stick, TEST_PASSPHRASE, app_version="0.test", kdf=FAST)
    _damage(demo_db_path)
    return demo_db_path, stick


def test_opening_a_damaged_database_writes_nothing_and_marks_it(
    damaged_with_backup: tuple[Path, Path],
) -> None:
    database, _ = damaged_with_backup
    before = _sha(database)
    db = opened_in_window(open_database(database), 0)
    try:
        assert db.damage  # what the quick check found
    finally:
        db.close()
    assert _sha(database) == before  # not even the "unlock" entry of the audit log


def test_restore_from_the_dialog_keeps_the_damaged_file_and_opens_the_backup(
    qtbot: QtBot, damaged_with_backup: tuple[Path, Path], artifacts: Path
) -> None:
    database, stick = damaged_with_backup
    damaged_bytes = database.read_bytes()
    db = opened_in_window(open_database(database), 0)
    shown: list[str] = []

    def look_then_restore(dialog: QWidget) -> None:
        assert isinstance(dialog, RecoveryDialog)
        dialog.grab().save(str(artifacts / "recovery_dialog.png"))
        text = dialog.findChild(QWidget, "recoveryText").text()  # type: ignore[union-attr]
        assert "is damaged" in text and "Nothing has been written" in text
        dialog.findChild(QPushButton, "recoveryRestoreButton").click()  # type: ignore[union-attr]

    handle_modals([look_then_restore, read_message(shown)])
    restored = recover(db, now=lambda: NOW, choose_folder=lambda _parent: stick)
    assert restored is not None
    try:
        assert not restored.damage
        with restored.read() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        restored.close()
    (kept,) = database.parent.glob(f"{database.name}.damaged-*[0-9]")
    assert kept.read_bytes() == damaged_bytes  # byte for byte
    assert "Restored the backup" in shown[0] and str(kept) in shown[0]


def test_quitting_the_dialog_changes_nothing(
    qtbot: QtBot, damaged_with_backup: tuple[Path, Path]
) -> None:
    database, _ = damaged_with_backup
    before = {p.name: _sha(p) for p in database.parent.iterdir() if p.is_file()}
    db = opened_in_window(open_database(database), 0)

    def quit_(dialog: QWidget) -> None:
        dialog.findChild(QPushButton, "recoveryQuitButton").click()  # type: ignore[union-attr]

    handle_modals([quit_])
    assert recover(db, now=lambda: NOW, choose_folder=lambda _parent: None) is None
    after = {p.name: _sha(p) for p in database.parent.iterdir() if p.is_file()}
    after.pop(f".{database.name}.writers", None)
    assert {k: v for k, v in after.items() if not k.endswith(("-shm", "-wal"))} == {
        k: v for k, v in before.items() if not k.endswith(("-shm", "-wal"))
    }


def test_salvage_from_the_dialog_counts_what_was_saved(
    qtbot: QtBot, damaged_with_backup: tuple[Path, Path]
) -> None:
    database, _ = damaged_with_backup
    damaged_bytes = database.read_bytes()
    db = opened_in_window(open_database(database), 0)
    shown: list[str] = []

    def salvage(dialog: QWidget) -> None:
        dialog.findChild(QPushButton, "recoverySalvageButton").click()  # type: ignore[union-attr]

    handle_modals([salvage, read_message(shown)])
    salvaged = recover(db, now=lambda: NOW, choose_folder=lambda _parent: None)
    assert salvaged is not None
    salvaged.close()
    assert "Salvaged what could be read" in shown[0] and "clients:" in shown[0]
    (kept,) = database.parent.glob(f"{database.name}.damaged-*[0-9]")
    assert kept.read_bytes() == damaged_bytes
    assert _count(database, "clients") > 0
    conn = raw_connect(database)  # the original key file still opens it
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
