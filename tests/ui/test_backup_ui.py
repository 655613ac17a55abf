"""Backups from the window: Back up now (Ctrl+B), the status bar's age warning, the offer on
exit, and the Restore dialog; each checked on the real files afterwards."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from alliance_desktop import app
from alliance_desktop.services.backups import (
    LastBackup,
    back_up,
    last_backup,
    list_backups,
    verify_backup,
)
from alliance_desktop.services.backups import record_backup as remember
from alliance_desktop.services.settings import BackupSettings
from alliance_desktop.storage.backup import KdfParams
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.backup_dialogs import (
    BackupDialog,
    Drive,
    RestoreDialog,
    looks_removable,
    removable_drives,
)
from alliance_desktop.ui.main_window import MainWindow
from alliance_desktop.ui.preferences import PreferencesDialog
from tests.keyed import TEST_PASSPHRASE, raw_connect
from tests.ui.helpers import handle_modals, press

PASSPHRASE = "correct horse battery"
FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)  # tests only
MARK = "WRITTEN-AFTER-THE-BACKUP"


def _wait(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.backups.backup_running, timeout=60_000)
    wait_for_background_work()


def _notes(path: Path) -> set[str]:
    conn = raw_connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT notes FROM sessions")}
    finally:
        conn.close()


def test_back_up_now_checks_the_input_then_writes_a_verified_backup(
    qtbot: QtBot, demo_window: MainWindow, tmp_path: Path, artifacts: Path
) -> None:
    stick = tmp_path / "THERAPY"
    stick.mkdir()
    assert demo_window.backup_action.shortcut() == QKeySequence("Ctrl+B")
    menus = {a.text(): a.menu() for a in demo_window.menuBar().actions()}
    assert [a.text() for a in menus["&Backup"].actions()] == [  # type: ignore[union-attr]
        "&Back up now…",
        "&Restore from a backup…",
    ]
    titles = [a.text() for a in demo_window.menuBar().actions()]
    assert titles.count("&Backup") == 1 and menus["&Backup"].isEnabled()  # type: ignore[union-attr]
    assert "Never backed up" in demo_window.backup_status.text()
    problems: list[str] = []

    def fill(dialog: QWidget) -> None:
        assert isinstance(dialog, BackupDialog)
        # By default a backup uses the app's passphrase (one secret); this one types its own.
        assert dialog.use_app_passphrase.isChecked() and not dialog.passphrase.isEnabled()
        dialog.use_app_passphrase.setChecked(False)
        assert dialog.passphrase.isEnabled() and dialog.confirm.isEnabled()
        dialog.folder.setText(str(tmp_path / "not-plugged-in"))
        dialog.passphrase.setText(PASSPHRASE)
        dialog.confirm.setText(PASSPHRASE)
        dialog.backup_button.click()
        problems.append(dialog.error.text())
        dialog.folder.setText(str(stick))
        dialog.passphrase.setText("short")
        dialog.backup_button.click()
        problems.append(dialog.error.text())
        dialog.passphrase.setText(PASSPHRASE)
        dialog.confirm.setText(PASSPHRASE + "!")
        dialog.backup_button.click()
        problems.append(dialog.error.text())
        dialog.confirm.setText(PASSPHRASE)
        dialog.grab().save(str(artifacts / "backup-dialog.png"))
        dialog.backup_button.click()

    handle_modals([fill])
    demo_window.backup_action.trigger()
    qtbot.waitUntil(lambda: len(problems) == 3 and demo_window.backups.backup_running is False)
    _wait(qtbot, demo_window)
    assert "does not exist" in problems[0]
    assert "at least 8 characters" in problems[1]
    assert "differ" in problems[2]
    (made,) = stick.glob("*.allbak")
    header = verify_backup(made, PASSPHRASE)
    assert header.clients == 40
    assert "Backed up 40 clients" in demo_window.statusBar().currentMessage()
    assert demo_window.backup_status.text() == "Last backup today (THERAPY)"
    record = last_backup(demo_window.db.path)
    assert record is not None and record.folder == stick
    demo_window.grab().save(str(artifacts / "window-after-backup.png"))
    Path(f"{demo_window.db.path}.last-backup.json").unlink()  # no exit offer at teardown


def test_the_status_bar_warns_when_the_last_backup_is_old(
    demo_window: MainWindow, tmp_path: Path
) -> None:
    now = datetime(2026, 11, 26, 9, 0)
    remember(demo_window.db.path, LastBackup(now - timedelta(days=9), tmp_path / "USB", "x"))
    demo_window.backups.update_status(now)
    text = demo_window.backup_status.text()
    assert text.startswith("⚠") and "9 days ago" in text and "Ctrl+B" in text
    assert demo_window.backup_status.property("warning") is True
    remember(demo_window.db.path, LastBackup(now - timedelta(days=1, hours=2), tmp_path, "x"))
    demo_window.backups.update_status(now)
    assert demo_window.backup_status.text().startswith("Last backup yesterday")
    assert demo_window.backup_status.property("warning") is False
    Path(f"{demo_window.db.path}.last-backup.json").unlink()


def test_preferences_carry_the_backup_settings(qtbot: QtBot, demo_window: MainWindow) -> None:
    dialog = PreferencesDialog(demo_window, *_current(demo_window))
    qtbot.addWidget(dialog)
    assert dialog.backup() == BackupSettings()
    dialog.keep_daily.setValue(14)
    dialog.remind_days.setValue(3)
    assert dialog.backup() == BackupSettings(14, 4, 12, 3)
    assert dialog.remind_days.minimum() == 1  # zero days would warn forever


def _current(window: MainWindow) -> tuple[object, object]:
    from alliance_desktop.services import settings

    return settings.load_practice(window.db), settings.load_alert_settings(window.db)


def test_the_restore_dialog_lists_verifies_and_restores(
    qtbot: QtBot, demo_window: MainWindow, tmp_path: Path, artifacts: Path
) -> None:
    stick = tmp_path / "THERAPY"
    stick.mkdir()
    database = demo_window.db.path
    back_up(demo_window.db, stick, PASSPHRASE, kdf=FAST)
    conn = raw_connect(database)
    conn.execute("UPDATE sessions SET notes = ? WHERE id = (SELECT max(id) FROM sessions)", (MARK,))
    conn.commit()
    conn.close()
    (stick / "alliance-backup-20200101-000000.allbak").write_bytes(b"not a backup")

    dialog = demo_window.backups.open_restore_dialog()
    qtbot.waitExposed(dialog)
    assert isinstance(dialog, RestoreDialog) and dialog.folder.text() == str(stick)
    assert dialog.table.rowCount() == 2 and dialog.selected() is not None
    assert dialog.restore_button.isEnabled()
    dialog.table.selectRow(1)  # the stranger: shown with its reason, cannot be used
    assert "not an Alliance Desktop backup" in dialog.message.text()
    assert not dialog.restore_button.isEnabled()
    dialog.table.selectRow(0)

    assert dialog.passphrase.text() == TEST_PASSPHRASE  # the app's, the usual one
    dialog.passphrase.clear()
    dialog.verify_button.click()
    assert "Type the passphrase" in dialog.message.text()
    dialog.passphrase.setText("wrong passphrase")
    dialog.verify_button.click()
    qtbot.waitUntil(lambda: dialog.isEnabled() and "⚠" in dialog.message.text(), timeout=30_000)
    assert "passphrase does not open" in dialog.message.text()
    dialog.passphrase.setText(PASSPHRASE)
    dialog.verify_button.click()
    qtbot.waitUntil(lambda: "✓" in dialog.message.text(), timeout=30_000)
    assert "is complete and opens: 40 clients" in dialog.message.text()
    dialog.grab().save(str(artifacts / "restore-dialog.png"))

    answers: list[str] = []

    def cancel(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        answers.append(box.text())
        box.reject()

    handle_modals([cancel])
    dialog.restore_button.click()
    assert f"Replace the open database, {database.name}," in answers[0]
    assert MARK in _notes(database)  # cancelled: nothing changed

    handle_modals([press("Restore")])
    dialog.restore_button.click()
    qtbot.waitUntil(lambda: "Restored 40 clients" in dialog.message.text(), timeout=60_000)
    wait_for_background_work()
    assert MARK not in _notes(database)
    (kept,) = database.parent.glob(f"{database.name}.before-restore-*.bak")
    assert MARK in _notes(kept)
    assert demo_window.isEnabled() and demo_window.db.path == database
    qtbot.waitUntil(lambda: not demo_window.clients.loading)
    assert demo_window.client_list.model.total_count() == 40
    dialog.close()
    assert list_backups(stick)[0].path.name.startswith("alliance-backup-2026")
    Path(f"{database}.last-backup.json").unlink()


def test_closing_with_the_drive_plugged_in_and_changes_offers_a_backup(
    qtbot: QtBot, db_path: Path, tmp_path: Path
) -> None:
    stick = tmp_path / "THERAPY"
    stick.mkdir()
    window = app.build_main_window(db_path, passphrase=TEST_PASSPHRASE)
    window.show()
    qtbot.waitExposed(window)
    wait_for_background_work()
    # The database was last written at a fixed moment (its files' times are set to it), so
    # nothing here depends on the clock.
    written = datetime(2026, 11, 20, 12, 0)
    for name in (db_path, Path(f"{db_path}-wal")):
        if name.exists():
            os.utime(name, (written.timestamp(), written.timestamp()))
    # Backed up after that, nothing written since: nothing to offer (opening made an empty
    # journal file, which is not a change).
    remember(db_path, LastBackup(written + timedelta(minutes=5), stick, "now.allbak"))
    assert window.close()
    window.show()
    remember(db_path, LastBackup(written - timedelta(days=2), stick, "old.allbak"))
    questions: list[str] = []

    def cancel(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        questions.append(box.text())
        box.done(QMessageBox.StandardButton.Cancel)

    try:
        handle_modals([cancel])
        assert not window.close()  # Cancel keeps the window open
        assert "Back up before closing?" in questions[0] and str(stick) in questions[0]
        assert window.isVisible()

        def decline(box: QWidget) -> None:
            box.done(QMessageBox.StandardButton.No)  # type: ignore[attr-defined]

        handle_modals([decline])
        assert window.close()
        # An unchanged database (or a drive that is not plugged in) asks nothing.
        remember(db_path, LastBackup(written + timedelta(minutes=1), stick, "new"))
        window.show()
        assert window.close()
        window.show()
        stick.rmdir()
        remember(db_path, LastBackup(written - timedelta(days=2), stick, "old.allbak"))
        assert window.close()
    finally:
        Path(f"{db_path}.last-backup.json").unlink(missing_ok=True)
        window.close()
        wait_for_background_work()
        window.db.close()


def test_removable_drives_are_told_from_system_volumes() -> None:
    assert looks_removable("/media/therapist/THERAPY/")
    assert looks_removable("/run/media/therapist/THERAPY/")
    assert looks_removable("/Volumes/THERAPY/")
    assert not looks_removable("/")
    assert not looks_removable("/home/")
    assert looks_removable("E:/", system_drive="C:")
    assert not looks_removable("C:/", system_drive="C:")
    drives = removable_drives()  # the real QStorageInfo list of this machine
    assert Path("/") not in [d.root for d in drives]  # the system disk is never offered
    assert all(isinstance(d, Drive) and d.free_bytes >= 0 for d in drives)
    assert Drive(Path("/media/x/THERAPY"), "THERAPY", 12_300_000_000).label() == (
        "THERAPY — 12.3 GB free — /media/x/THERAPY"
    )


def test_the_restore_dialog_stays_open_while_it_works(
    qtbot: QtBot, demo_window: MainWindow
) -> None:
    dialog = demo_window.backups.open_restore_dialog()
    qtbot.waitExposed(dialog)
    dialog.set_busy(True)
    assert not dialog.close() and dialog.isVisible()  # the close button does nothing while busy
    dialog.reject()  # nor does Escape
    assert dialog.isVisible()
    dialog.set_busy(False)
    assert dialog.close()
