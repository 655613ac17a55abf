"""Locking the window: on demand and when idle; the records hidden, the key gone, all back."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot

from alliance_desktop.services.database import StorageError
from alliance_desktop.services.drafts import unsaved_drafts
from alliance_desktop.storage import keys, repository
from alliance_desktop.ui.main_window import MainWindow
from alliance_desktop.ui.security_dialogs import ChangePassphraseDialog, RecoverySheetDialog
from tests.keyed import TEST_PASSPHRASE
from tests.ui.helpers import handle_modals, read_message


def _dark_text_pixels(image: QImage) -> int:
    """Roughly how much text is drawn: pixels much darker than the window background."""
    count = 0
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            if image.pixelColor(x, y).lightness() < 90:
                count += 1
    return count


def test_lock_hides_every_record_closes_the_database_and_unlock_returns(
    qtbot: QtBot, demo_window: MainWindow, artifacts: Path
) -> None:
    window = demo_window
    client_id = repository.list_client_rows(window.db)[3].client_id
    window.clients.reveal_client(client_id)
    qtbot.waitUntil(lambda: window.detail.record is not None)
    charts = window.detail.tabs.indexOf(window.detail.charts_page)
    window.detail.tabs.setCurrentIndex(charts)
    editor = window.sessions.new_session(client_id)
    assert editor is not None
    notes = editor.findChild(QPlainTextEdit, "notes")
    assert notes is not None
    notes.setFocus()
    qtbot.keyClicks(notes, "typed before the lock")
    code = window.detail.record.fields.code  # type: ignore[union-attr]
    before = window.grab().toImage()

    window.lock_action.trigger()

    assert window.security.is_locked
    assert window.content.currentWidget() is window.lock_screen
    assert not window.editors and not editor.isVisible()
    assert not window.new_client_action.isEnabled() and window.quit_action.isEnabled()
    assert code not in window.windowTitle() and "locked" in window.windowTitle()
    with pytest.raises(StorageError, match="locked"):
        _ = window.db.key  # the key is gone
    assert window.db.passphrase is None
    shot = window.grab()
    shot.save(str(artifacts / "locked-window.png"))
    assert _dark_text_pixels(shot.toImage()) < _dark_text_pixels(before) / 4
    # A wrong passphrase on the lock screen: said, and still locked.
    window.lock_screen.passphrase.setText("not the passphrase")
    window.lock_screen.unlock_button.click()
    assert "does not unlock" in window.lock_screen.message.text()
    assert window.security.is_locked

    window.lock_screen.passphrase.setText(TEST_PASSPHRASE)
    window.lock_screen.unlock_button.click()

    assert not window.security.is_locked
    assert window.content.currentWidget() is window.splitter
    qtbot.waitUntil(lambda: window.detail.record is not None)
    assert window.detail.record.client_id == client_id  # type: ignore[union-attr]
    assert window.detail.tabs.currentIndex() == charts
    assert len(window.editors) == 1  # the editor came back with what was typed
    restored = window.editors[0].findChild(QPlainTextEdit, "notes")
    assert restored is not None and "typed before the lock" in restored.toPlainText()
    assert window.new_client_action.isEnabled()
    assert window.db.passphrase == TEST_PASSPHRASE


def test_the_idle_lock_fires_after_the_set_minutes(
    qtbot: QtBot, demo_window: MainWindow, tmp_path: Path
) -> None:
    window = demo_window
    assert window.security.idle_timer.interval() == 10 * 60_000  # the default, 10 minutes
    window.security.idle_timer.setInterval(50)  # the test does not wait ten minutes
    window.security.idle_timer.start()
    qtbot.waitUntil(lambda: window.security.is_locked, timeout=5000)
    assert window.content.currentWidget() is window.lock_screen
    window.lock_screen.passphrase.setText(TEST_PASSPHRASE)
    window.lock_screen.unlock_button.click()
    assert not window.security.is_locked
    window.security.apply_lock_minutes(0)  # "never" switches it off
    assert not window.security.idle_timer.isActive()


def test_input_restarts_the_idle_countdown(qtbot: QtBot, demo_window: MainWindow) -> None:
    timer = demo_window.security.idle_timer
    timer.setInterval(400)
    timer.start()
    for _ in range(6):  # keep typing for longer than the interval: no lock
        qtbot.wait(120)
        qtbot.keyClick(demo_window.client_list.filter_edit, "a")
    assert not demo_window.security.is_locked
    qtbot.waitUntil(lambda: demo_window.security.is_locked, timeout=5000)
    demo_window.lock_screen.passphrase.setText(TEST_PASSPHRASE)
    demo_window.lock_screen.unlock_button.click()


def test_preferences_set_the_idle_lock(
    qtbot: QtBot, demo_window: MainWindow, tmp_path: Path
) -> None:
    def set_five(dialog: QWidget) -> None:
        spin = dialog.lock_minutes  # type: ignore[attr-defined]
        assert spin.value() == 10
        spin.setValue(5)
        dialog.accept()  # type: ignore[attr-defined]

    handle_modals([set_five])
    demo_window.preferences_action.trigger()
    assert demo_window.security.idle_timer.interval() == 5 * 60_000
    settings = demo_window._settings
    assert isinstance(settings, QSettings) or settings is None


def test_a_recovery_sheet_is_saved_and_its_code_unlocks(
    qtbot: QtBot, demo_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alliance_desktop.ui import report_dialog

    target = tmp_path / "sheet.pdf"
    monkeypatch.setattr(report_dialog, "ask_pdf_path", lambda *_args: target)
    messages: list[str] = []

    def wrong_then_save(dialog: QWidget) -> None:
        assert isinstance(dialog, RecoverySheetDialog)
        dialog.passphrase.setText("not mine")
        dialog.save_pdf.click()

    def right_then_save(dialog: QWidget) -> None:
        assert isinstance(dialog, RecoverySheetDialog)
        assert "not your passphrase" in dialog.error.text()
        dialog.passphrase.setText(TEST_PASSPHRASE)
        dialog.save_pdf.click()

    handle_modals([wrong_then_save, right_then_save, read_message(messages)])
    demo_window.recovery_sheet_action.trigger()
    assert target.exists() and "printed" not in messages[0] and "sheet.pdf" in messages[0]
    from pypdf import PdfReader

    text = PdfReader(target).pages[0].extract_text()
    groups = [word for word in text.split() if len(word) == 5 and word.isalnum() and word.isupper()]
    assert len(groups) >= 6, text
    code = "-".join(groups[:6])
    assert keys.unlock_with_recovery(demo_window.db.path, code) == demo_window.db.key
    assert "Recovery sheet" in text and str(demo_window.db.path) in text.replace("\n", "")


def test_changing_the_passphrase_in_the_window(qtbot: QtBot, demo_window: MainWindow) -> None:
    def change(dialog: QWidget) -> None:
        assert isinstance(dialog, ChangePassphraseDialog)
        dialog.current.setText("wrong current one")
        dialog.new.passphrase.setText("river stone lantern moss")
        dialog.new.confirm.setText("river stone lantern moss")
        dialog.ok_button.click()

    def again(dialog: QWidget) -> None:
        assert isinstance(dialog, ChangePassphraseDialog)
        assert "not the current passphrase" in dialog.error.text()
        dialog.current.setText(TEST_PASSPHRASE)
        dialog.ok_button.click()

    told: list[str] = []
    handle_modals([change, again, read_message(told)])
    demo_window.change_passphrase_action.trigger()
    assert "passphrase is changed" in told[0]
    path = demo_window.db.path
    assert keys.unlock(path, "river stone lantern moss") == demo_window.db.key
    assert demo_window.db.passphrase == "river stone lantern moss"
    assert unsaved_drafts(demo_window.db) == []


def test_access_history_export_and_the_erase_warning_in_the_window(
    qtbot: QtBot, demo_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    window = demo_window
    row = repository.list_client_rows(window.db)[1]
    window.clients.reveal_client(row.client_id)
    qtbot.waitUntil(lambda: window.detail.record is not None)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_args: str(tmp_path))
    exported: list[str] = []
    handle_modals([read_message(exported)])
    window.export_client_action.trigger()
    assert "not encrypted" in exported[0]
    (folder,) = [p for p in tmp_path.iterdir() if p.name.startswith(row.code)]
    assert sorted(p.suffix for p in folder.iterdir()) == [".json", ".pdf"]
    dialog = window.security.access_history(row.client_id)
    assert dialog is not None
    table = dialog.table  # type: ignore[attr-defined]
    shown = [table.item(r, 1).text() for r in range(table.rowCount())]
    assert shown[:2] == ["Client's record exported", "Report made"]  # newest first
    assert "Record opened" in shown
    dialog.close()
    texts: list[str] = []

    def cancel(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        texts.append(box.text() + " " + box.informativeText())
        box.reject()

    handle_modals([cancel])
    window.clients.delete_client(row.client_id)
    assert "Backups made before today still hold the record" in texts[0]
    assert repository.get_client_fields(window.db, row.client_id) is not None  # cancelled


def test_nothing_reaches_the_closed_database_behind_the_lock(
    qtbot: QtBot, demo_window: MainWindow
) -> None:
    window = demo_window
    window.clients.reload()  # a load in flight when the lock comes
    window.lock()
    qtbot.wait(200)  # the load finishes behind the lock screen
    from alliance_desktop.ui.background import wait_for_background_work

    wait_for_background_work()
    qtbot.wait(50)
    assert window.client_list.model.total_count() == 0
    window.backups.update_status()  # the hourly clock: no error while locked
    window.clients.reload()
    assert not window.clients.loading
    assert window.database_status.text() == "Locked"
    window.lock_screen.passphrase.setText(TEST_PASSPHRASE)
    window.lock_screen.unlock_button.click()
    qtbot.waitUntil(lambda: window.client_list.model.total_count() == 40)


def test_a_dialog_open_at_the_lock_is_hidden_and_comes_back_with_its_typing(
    qtbot: QtBot, demo_window: MainWindow
) -> None:
    from PySide6.QtWidgets import QDialog, QLineEdit

    form = QDialog(demo_window)
    field = QLineEdit(form)
    field.setText("half-typed address")
    form.show()
    demo_window.lock()
    assert not form.isVisible()
    demo_window.lock_screen.passphrase.setText(TEST_PASSPHRASE)
    demo_window.lock_screen.unlock_button.click()
    assert form.isVisible() and field.text() == "half-typed address"
    form.close()
    db = demo_window.db
    assert [e.action for e in audit_history(db)][-2:] == ["lock", "unlock"]


def audit_history(db: object) -> list:  # type: ignore[type-arg]
    from alliance_desktop.services import audit

    return audit.history(db)  # type: ignore[arg-type]
