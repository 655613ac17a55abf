"""The unlock screen and the first choice of a passphrase, driven as a user would."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from alliance_desktop.storage import cipher, keys, repository
from alliance_desktop.ui import unlock
from alliance_desktop.ui.unlock import NewPassphraseDialog, UnlockDialog, failure_delay
from tests.keyed import TEST_PASSPHRASE
from tests.ui.helpers import handle_modals, shown_text
from tests.unit.storage.test_database import FIXTURES


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "config" / "settings.ini"), QSettings.Format.IniFormat)


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


def test_the_first_start_asks_for_a_passphrase_twice_with_a_strength_hint(
    qtbot: QtBot, tmp_path: Path, artifacts: Path
) -> None:
    path = tmp_path / "practice.db"
    seen: dict[str, str] = {}

    def choose(dialog: QWidget) -> None:
        assert isinstance(dialog, NewPassphraseDialog)
        assert "nobody can open your records again" in shown_text(dialog.findChild(
            type(dialog.strength), "passphraseWarning"))  # fmt: skip
        qtbot.keyClicks(dialog.passphrase, "abc")
        seen["weak"] = shown_text(dialog.strength)
        dialog.ok_button.click()
        seen["short"] = dialog.error.text()
        dialog.passphrase.setText("four words in a row")
        dialog.confirm.setText("four words in a ROW")
        dialog.ok_button.click()
        seen["differ"] = dialog.error.text()
        dialog.passphrase.setText("walnut harbour violet ticket 42")
        seen["strong"] = shown_text(dialog.strength)
        dialog.confirm.setText("walnut harbour violet ticket 42")
        dialog.grab().save(str(artifacts / "first-run-passphrase.png"))
        dialog.ok_button.click()

    handle_modals([choose])
    db = unlock.open_unlocked(path, _settings(tmp_path))
    assert db is not None
    try:
        assert repository.count_clients(db) == 0
    finally:
        db.close()
    assert "weak" in seen["weak"]
    assert "at least 8 characters" in seen["short"]
    assert "differ" in seen["differ"]
    assert "strong" in seen["strong"]
    assert not cipher.is_plain_sqlite(path)
    assert keys.unlock(path, "walnut harbour violet ticket 42")


def test_an_old_plain_database_is_encrypted_after_choosing_a_passphrase(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path = tmp_path / "practice.db"
    shutil.copyfile(FIXTURES / "schema_0003_risk_reviews.db", path)

    def choose(dialog: QWidget) -> None:
        assert isinstance(dialog, NewPassphraseDialog)
        assert "not encrypted yet" in shown_text(dialog.findChildren(type(dialog.error))[0])
        assert dialog.ok_button.text() == "&Encrypt and open"
        dialog.passphrase.setText(TEST_PASSPHRASE)
        dialog.confirm.setText(TEST_PASSPHRASE)
        dialog.ok_button.click()

    handle_modals([choose])
    db = unlock.open_unlocked(path, _settings(tmp_path))
    assert db is not None
    try:
        assert repository.count_clients(db) > 0
    finally:
        db.close()
    assert not cipher.is_plain_sqlite(path)


def test_wrong_passphrases_wait_longer_and_change_no_file(
    qtbot: QtBot, demo_db_path: Path, tmp_path: Path, artifacts: Path
) -> None:
    settings = _settings(tmp_path)
    before = _digests(demo_db_path.parent)
    dialog = UnlockDialog(None, demo_db_path, settings)
    qtbot.addWidget(dialog)
    dialog.show()
    for attempt in range(1, 4):
        dialog.passphrase.setText(f"wrong guess {attempt}")
        dialog.unlock_button.click()
        assert "does not unlock demo.db" in dialog.message.text() or "Wait" in dialog.message.text()
        assert dialog.failures() == attempt
    # The third wrong try starts a wait: the field and the button are disabled meanwhile.
    assert not dialog.unlock_button.isEnabled() and dialog.passphrase.isEnabled()
    # Typing on during the wait stays in the hidden field (never in a visible one, never a
    # space pressing a button).
    dialog.passphrase.clear()
    qtbot.keyClicks(dialog.passphrase, "still typing words")
    assert dialog.passphrase.text() == "still typing words" and dialog.isVisible()
    assert dialog.passphrase.echoMode() == dialog.passphrase.EchoMode.Password
    assert "Wait" in dialog.message.text()
    dialog.grab().save(str(artifacts / "unlock-waiting.png"))
    assert _digests(demo_db_path.parent) == before  # a failed unlock writes nothing there
    # The count survives a restart (it is in the settings, not beside the database).
    again = UnlockDialog(None, demo_db_path, settings)
    qtbot.addWidget(again)
    assert again.failures() == 3 and not again.unlock_button.isEnabled()
    again._wait_until = 0  # the wait is over (not waiting out the seconds in a test)
    again._tick()
    again.passphrase.setText(TEST_PASSPHRASE)
    again.unlock_button.click()
    assert again.db is not None and again.failures() == 0
    again.db.close()


@pytest.mark.parametrize(
    ("failures", "seconds"), [(0, 0), (2, 0), (3, 2), (4, 4), (6, 16), (20, 300)]
)
def test_the_delay_grows_with_each_failure(failures: int, seconds: int) -> None:
    assert failure_delay(failures) == seconds


def test_a_scripted_passphrase_opens_straight_away_and_a_wrong_one_asks(
    qtbot: QtBot, demo_db_path: Path, tmp_path: Path
) -> None:
    db = unlock.open_unlocked(demo_db_path, _settings(tmp_path), passphrase=TEST_PASSPHRASE)
    assert db is not None
    db.close()
    asked: list[str] = []

    def cancel(dialog: QWidget) -> None:
        asked.append(type(dialog).__name__)
        dialog.close()

    handle_modals([cancel])
    assert (
        unlock.open_unlocked(demo_db_path, _settings(tmp_path), passphrase="not it at all") is None
    )
    assert asked == ["UnlockDialog"]


def test_the_unlock_screen_opens_the_window(
    qtbot: QtBot, demo_db_path: Path, tmp_path: Path
) -> None:
    def type_it(dialog: QWidget) -> None:
        assert isinstance(dialog, UnlockDialog)
        qtbot.keyClicks(dialog.passphrase, TEST_PASSPHRASE)
        dialog.unlock_button.click()

    handle_modals([type_it])
    db = unlock.open_unlocked(demo_db_path, _settings(tmp_path))
    assert db is not None and db.passphrase == TEST_PASSPHRASE
    try:
        assert repository.count_clients(db) == 40
    finally:
        db.close()


def test_an_empty_database_file_is_damage_not_a_first_start(qtbot: QtBot, tmp_path: Path) -> None:
    from alliance_desktop.services.database import StorageError

    path = tmp_path / "practice.db"
    path.touch()
    with pytest.raises(StorageError, match=r"empty \(0 bytes\)"):
        unlock.open_unlocked(path, _settings(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["practice.db"]
