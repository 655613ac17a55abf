"""Getting into the encrypted database: choose a passphrase, encrypt an old one, unlock.

``open_unlocked`` is what start-up calls: a new database asks for a passphrase (twice, with
a strength hint and the plain warning that nothing can recover it); a plain database from
before encryption asks for one and is encrypted in place; an encrypted one shows the unlock
dialog. After repeated wrong passphrases the dialog waits longer before the next try; the
count lives in the user's settings, never beside the database, so a failed unlock leaves
every database file byte-identical.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop import APP_NAME
from alliance_desktop.services.database import (
    Database,
    StorageError,
    WrongPassphrase,
    encrypt_database,
    is_plain_database,
    open_database,
)
from alliance_desktop.services.passphrases import passphrase_strength

#: Wrong tries allowed before the dialog starts to wait, then the wait doubles up to a cap.
FREE_TRIES = 3
MAX_DELAY_SECONDS = 300


def failure_delay(failures: int) -> int:
    """Seconds to wait before the next try after ``failures`` wrong passphrases in a row."""
    if failures < FREE_TRIES:
        return 0
    return int(min(MAX_DELAY_SECONDS, 2 ** (failures - FREE_TRIES + 1)))


def _secret_field(parent: QWidget, name: str, accessible: str) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMaxLength(1024)
    return edit


class NewPassphraseDialog(QDialog):
    """Choose the passphrase of a new database, or of a plain one about to be encrypted."""

    def __init__(self, parent: QWidget | None, database: Path, *, encrypting: bool) -> None:
        super().__init__(parent)
        self.setObjectName("newPassphraseDialog")
        self.setWindowTitle(f"{APP_NAME} — choose a passphrase")
        self.setMinimumWidth(520)
        if encrypting:
            intro_text = (
                f"<b>Your records in {database.name} are not encrypted yet.</b> Choose a "
                "passphrase: the database is then encrypted in place, and the passphrase is "
                "asked for each time the app starts. It also protects your backups."
            )
        else:
            intro_text = (
                f"<b>Welcome to {APP_NAME}.</b> Your records are kept encrypted on this "
                "computer. Choose the passphrase that unlocks them; it also protects your "
                "backups."
            )
        intro = QLabel(intro_text, self)
        intro.setWordWrap(True)
        warning = QLabel(
            "<b>Without this passphrase, or the recovery sheet you can print afterwards "
            "(File → Print recovery sheet…), nobody can open your records again — not you, "
            "not us.</b> A few ordinary words in a row are easy to remember and hard to guess.",
            self,
        )
        warning.setObjectName("passphraseWarning")
        warning.setWordWrap(True)
        self.passphrase = _secret_field(self, "newPassphraseEdit", "New passphrase")
        self.confirm = _secret_field(self, "confirmPassphraseEdit", "New passphrase again")
        self.strength = QLabel("", self)
        self.strength.setObjectName("passphraseStrength")
        self.strength.setWordWrap(True)
        self.passphrase.textChanged.connect(self._show_strength)
        self.error = QLabel("", self)
        self.error.setObjectName("passphraseError")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Passphrase:", self.passphrase)
        form.addRow("", self.strength)
        form.addRow("&Again:", self.confirm)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        label = "&Encrypt and open" if encrypting else "&Create and open"
        self.ok_button = buttons.addButton(label, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("choosePassphraseButton")
        self.ok_button.setDefault(True)
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(warning)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._show_strength("")
        self.passphrase.setFocus()

    def _show_strength(self, text: str) -> None:
        word, hint = passphrase_strength(text)
        self.strength.setText(f"Strength: <b>{word}</b> — {hint}" if text else hint)

    def problem(self) -> str:
        from alliance_desktop.services.passphrases import passphrase_problem

        problem = passphrase_problem(self.passphrase.text())
        if problem:
            return problem
        if self.passphrase.text() != self.confirm.text():
            return "The two passphrases differ; type the same one twice."
        return ""

    def _accept_if_valid(self) -> None:
        problem = self.problem()
        self.error.setText(f"⚠ {problem}" if problem else "")
        if not problem:
            self.accept()

    def show_error(self, message: str) -> None:
        self.error.setText(f"⚠ {message}")


class UnlockDialog(QDialog):
    """The unlock screen: one passphrase field; it opens the database itself on Unlock."""

    def __init__(self, parent: QWidget | None, database: Path, settings: QSettings | None) -> None:
        super().__init__(parent)
        self.setObjectName("unlockDialog")
        self.setWindowTitle(f"{APP_NAME} — unlock")
        self.setMinimumWidth(460)
        self.database = database
        self._settings = settings
        self._failure_key = (
            "unlock/failures-" + hashlib.sha256(str(database).encode()).hexdigest()[:16]
        )
        self.db: Database | None = None
        title = QLabel(f"<b>{database.name}</b> is locked.", self)
        where = QLabel(str(database.parent), self)
        where.setObjectName("unlockWhere")
        self.passphrase = _secret_field(self, "unlockPassphraseEdit", "Passphrase")
        self.message = QLabel("", self)
        self.message.setObjectName("unlockMessage")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Passphrase:", self.passphrase)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.unlock_button = buttons.addButton("&Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.setDefault(True)
        buttons.accepted.connect(self.try_unlock)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(where)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._wait_until = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._tick)
        self._start_wait(failure_delay(self.failures()))
        self.passphrase.setFocus()

    def failures(self) -> int:
        if self._settings is None:
            return 0
        return int(str(self._settings.value(self._failure_key, 0) or 0))

    def _set_failures(self, count: int) -> None:
        if self._settings is None:
            return
        if count:
            self._settings.setValue(self._failure_key, count)
        else:
            self._settings.remove(self._failure_key)
        self._settings.sync()

    def _start_wait(self, seconds: int) -> None:
        if seconds <= 0:
            return
        self._wait_until = time.monotonic() + seconds
        self._tick()
        self._timer.start()

    def _tick(self) -> None:
        left = self._wait_until - time.monotonic()
        waiting = left > 0
        self.unlock_button.setEnabled(not waiting)
        self.passphrase.setEnabled(not waiting)
        if waiting:
            self.message.setText(
                f"⚠ {self.failures()} wrong passphrases in a row. Wait {int(left) + 1} s before "
                "trying again."
            )
        else:
            self._timer.stop()
            self.passphrase.setFocus()

    def try_unlock(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        self.message.setText("Unlocking…")
        self.unlock_button.setEnabled(False)
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.db = open_database(self.database, passphrase=self.passphrase.text(), create=False)
        except WrongPassphrase as exc:
            failures = self.failures() + 1
            self._set_failures(failures)
            self.message.setText(f"⚠ {exc}")
            self.passphrase.selectAll()
            self.unlock_button.setEnabled(True)
            self._start_wait(failure_delay(failures))
            return
        except StorageError as exc:
            self.message.setText(f"⚠ {exc}")
            self.unlock_button.setEnabled(True)
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self._set_failures(0)
        self.accept()


def open_unlocked(
    database: Path,
    settings: QSettings | None,
    *,
    passphrase: str | None = None,
    parent: QWidget | None = None,
) -> Database | None:
    """Open ``database`` with ``passphrase`` if given, else by asking; None if cancelled.

    Raises:
        StorageError: The database cannot be used (damaged, missing key file, full disk).
    """
    if passphrase:
        try:
            if is_plain_database(database):
                encrypt_database(database, passphrase)
            return open_database(database, passphrase=passphrase, create=True)
        except WrongPassphrase:
            pass  # the scripted passphrase is wrong: ask, as if none were given
    if not database.exists() or database.stat().st_size == 0 or is_plain_database(database):
        encrypting = database.exists() and is_plain_database(database)
        dialog = NewPassphraseDialog(parent, database, encrypting=encrypting)
        while dialog.exec() == QDialog.DialogCode.Accepted:
            chosen = dialog.passphrase.text()
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                if encrypting:
                    encrypt_database(database, chosen)
                return open_database(
                    database, passphrase=chosen, create=True, allow_empty_file=True
                )
            except StorageError as exc:
                dialog.show_error(str(exc))
            finally:
                QGuiApplication.restoreOverrideCursor()
        return None
    unlock = UnlockDialog(parent, database, settings)
    if unlock.exec() == QDialog.DialogCode.Accepted:
        return unlock.db
    return None
