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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
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
from alliance_desktop.ui.dialogs import exec_until_saved
from alliance_desktop.ui.security_dialogs import (
    CheckedDialog,
    NewPassphraseFields,
    RecoveryUnlockDialog,
    secret_field,
)

#: Wrong tries allowed before the dialog starts to wait, then the wait doubles up to a cap.
FREE_TRIES = 3
MAX_DELAY_SECONDS = 300


class UnlockFailures:
    """Wrong passphrases in a row for one database, kept in the user's settings (never
    beside the database, which a failed unlock must leave byte-identical)."""

    def __init__(self, settings: QSettings | None, database: Path) -> None:
        self._settings = settings
        digest = hashlib.sha256(str(database).encode()).hexdigest()[:16]
        self._key = f"unlock/failures-{digest}"

    def count(self) -> int:
        if self._settings is None:
            return 0
        return int(str(self._settings.value(self._key, 0) or 0))

    def set(self, count: int) -> None:
        if self._settings is None:
            return
        if count:
            self._settings.setValue(self._key, count)
        else:
            self._settings.remove(self._key)
        self._settings.sync()


def failure_delay(failures: int) -> int:
    """Seconds to wait before the next try after ``failures`` wrong passphrases in a row."""
    if failures < FREE_TRIES:
        return 0
    return int(min(MAX_DELAY_SECONDS, 2 ** (failures - FREE_TRIES + 1)))


class NewPassphraseDialog(CheckedDialog):
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
        form = QFormLayout()
        self.fields = NewPassphraseFields(self, form, label="&Passphrase:")
        self.passphrase = self.fields.passphrase
        self.confirm = self.fields.confirm
        self.strength = self.fields.strength
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(warning)
        label = "&Encrypt and open" if encrypting else "&Create and open"
        self._finish_layout(layout, label, "choosePassphraseButton")
        for edit in (self.passphrase, self.confirm):  # an old complaint goes once retyped
            edit.textChanged.connect(lambda _text: self.error.setText(""))
        self.passphrase.setFocus()

    def problem(self) -> str:
        return self.fields.problem()


class UnlockDialog(QDialog):
    """The unlock screen: one passphrase field; it opens the database itself on Unlock."""

    def __init__(
        self,
        parent: QWidget | None,
        database: Path,
        settings: QSettings | None,
        *,
        check: bool = True,
    ) -> None:
        """``check``: run the database's quick check on unlock (``opened_in_window``);
        without it the window checks it later (``Unlocked``)."""
        super().__init__(parent)
        self.setObjectName("unlockDialog")
        self.setWindowTitle(f"{APP_NAME} — unlock")
        self.setMinimumWidth(460)
        self.database = database
        self._failures = UnlockFailures(settings, database)
        self._check = check
        self.db: Database | None = None
        #: Wrong passphrases before the one that unlocked (for the audit log).
        self.failures_before = 0
        title = QLabel(f"<b>{database.name}</b> is locked.", self)
        where = QLabel(str(database.parent), self)
        where.setObjectName("unlockWhere")
        self.passphrase = secret_field(self, "unlockPassphraseEdit", "Passphrase")
        self.message = QLabel("", self)
        self.message.setObjectName("unlockMessage")
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(self.message.fontMetrics().lineSpacing() * 3)
        form = QFormLayout()
        form.addRow("&Passphrase:", self.passphrase)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.unlock_button = buttons.addButton("&Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.setDefault(True)
        self.recovery_button = buttons.addButton(
            "Use &recovery sheet…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.recovery_button.setObjectName("useRecoverySheetButton")
        self.recovery_button.clicked.connect(self.use_recovery_sheet)
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
        return self._failures.count()

    def _set_failures(self, count: int) -> None:
        self._failures.set(count)

    def _start_wait(self, seconds: int) -> None:
        if seconds <= 0:
            return
        self._wait_until = time.monotonic() + seconds
        self._tick()
        self._timer.start()

    def _tick(self) -> None:
        left = self._wait_until - time.monotonic()
        waiting = left > 0
        # The field stays enabled and focused while waiting: typing goes on into a hidden
        # field, never into a button or another field where it would show.
        self.unlock_button.setEnabled(not waiting)
        if waiting:
            self.message.setText(
                f"⚠ {self.failures()} wrong passphrases in a row. Wait {int(left) + 1} s before "
                "trying again."
            )
        else:
            self._timer.stop()
            if self.message.text().startswith("⚠") and "Wait" in self.message.text():
                self.message.setText("You can try again now.")
            self.passphrase.selectAll()  # what is typed next replaces the wrong one
            self.passphrase.setFocus()
        self.adjustSize()

    def try_unlock(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        self.message.setText("Unlocking…")
        self.unlock_button.setEnabled(False)
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            db = open_database(self.database, passphrase=self.passphrase.text(), create=False)
            self.failures_before = self.failures()
            self.db = opened_in_window(db, self.failures_before) if self._check else db
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

    def use_recovery_sheet(self) -> None:
        """Forgotten passphrase: the recovery code and a new passphrase, then open."""
        from alliance_desktop.services.security import reset_passphrase

        dialog = RecoveryUnlockDialog(self, self.database.name)

        def reset() -> Database:
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                key = reset_passphrase(self.database, dialog.code.text(), dialog.new.text())
                db = open_database(
                    self.database, key=key, passphrase=dialog.new.text(), create=False
                )
                from alliance_desktop.services import audit

                audit.record(db, "passphrase_changed", detail="with the recovery sheet")
                return db
            finally:
                QGuiApplication.restoreOverrideCursor()

        opened = exec_until_saved(dialog, reset, dialog.show_error)
        if opened is not None:
            self.db = opened
            self._set_failures(0)
            self.accept()


def opened_in_window(db: Database, failures_before: int) -> Database:
    """Check the database (SQLite's quick check, reading only), then log the unlock (and
    the wrong tries before it, which could not be written then).

    A damaged database is returned with ``damage`` set and nothing written to it: the
    caller offers recovery (``ui.recovery``) before anything else touches it. (The window
    at launch checks in the background instead: ``unlock_for_window``.)
    """
    db.damage = db.quick_check()
    if db.damage:
        return db
    record_unlock(db, failures_before)
    return db


def record_unlock(db: Database, failures_before: int) -> None:
    """Log the unlock in the audit log, with the wrong tries before it (which could not be
    written then), once the database's check has passed."""
    from alliance_desktop.services import audit

    detail = "window" + (
        f", after {failures_before} wrong passphrase{'s' if failures_before > 1 else ''}"
        if failures_before
        else ""
    )
    audit.record(db, "unlock", detail=detail)


@dataclass(frozen=True)
class Unlocked:
    """A database unlocked for the window, and what its check still needs."""

    db: Database
    #: Whether its quick check ran already (then ``db.damage`` says what it found).
    checked: bool
    #: Wrong passphrases before this unlock, for the audit log once the check has passed.
    failures_before: int = 0


def open_unlocked(
    database: Path,
    settings: QSettings | None,
    *,
    passphrase: str | None = None,
    parent: QWidget | None = None,
) -> Database | None:
    """Open ``database`` with ``passphrase`` if given, else by asking; None if cancelled.
    Checked (``opened_in_window``) before it is returned.

    Raises:
        StorageError: The database cannot be used (damaged, missing key file, full disk).
    """
    unlocked = _unlock(database, settings, passphrase=passphrase, parent=parent, check=True)
    return unlocked.db if unlocked is not None else None


def unlock_for_window(
    database: Path,
    settings: QSettings | None,
    *,
    passphrase: str | None = None,
    parent: QWidget | None = None,
) -> Unlocked | None:
    """``open_unlocked`` for the window at launch: an existing database is returned
    unchecked (the window shows its list first and checks it in the background, writing
    nothing before the check has passed); a new or newly encrypted one is checked here."""
    return _unlock(database, settings, passphrase=passphrase, parent=parent, check=False)


def _unlock(
    database: Path,
    settings: QSettings | None,
    *,
    passphrase: str | None,
    parent: QWidget | None,
    check: bool,
) -> Unlocked | None:
    if passphrase:
        try:
            if is_plain_database(database):
                encrypt_database(database, passphrase)
                check = True  # (a file just rewritten: checked at once, like a new one)
            db = open_database(database, passphrase=passphrase, create=True)
            return Unlocked(opened_in_window(db, 0), True) if check else Unlocked(db, False)
        except WrongPassphrase:
            pass  # the scripted passphrase is wrong: ask, as if none were given
    if database.exists() and database.stat().st_size == 0:
        # An empty file where the database should be is damage, not a first start.
        open_database(database, passphrase="not used here", create=False)  # raises: says so
    if not database.exists() or is_plain_database(database):
        encrypting = database.exists() and is_plain_database(database)
        dialog = NewPassphraseDialog(parent, database, encrypting=encrypting)

        def create() -> Database:
            chosen = dialog.passphrase.text()
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                if encrypting:
                    encrypt_database(database, chosen)
                db = open_database(database, passphrase=chosen, create=True, allow_empty_file=True)
                if encrypting:
                    from alliance_desktop.services import audit

                    audit.record(db, "database_encrypted")
                return opened_in_window(db, 0)
            finally:
                QGuiApplication.restoreOverrideCursor()

        created = exec_until_saved(dialog, create, dialog.show_error)
        return Unlocked(created, True) if created is not None else None
    unlock = UnlockDialog(parent, database, settings, check=check)
    if unlock.exec() == QDialog.DialogCode.Accepted and unlock.db is not None:
        return Unlocked(unlock.db, check, unlock.failures_before)
    return None


class LockScreen(QWidget):
    """What the main window shows while locked: no records, one passphrase field."""

    def __init__(
        self,
        parent: QWidget,
        database: Path,
        settings: QSettings | None,
        unlock: Callable[[str, int], str],
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self._unlock = unlock
        self._failures = UnlockFailures(settings, database)
        title = QLabel(f"<h2>{APP_NAME} is locked</h2>", self)
        where = QLabel(
            f"{database.name} is closed and nothing of it is on screen. Type your "
            "passphrase to go back to where you were.",
            self,
        )
        where.setWordWrap(True)
        self.passphrase = secret_field(self, "lockPassphraseEdit", "Passphrase")
        self.passphrase.returnPressed.connect(self.try_unlock)
        self.unlock_button = QPushButton("&Unlock", self)
        self.unlock_button.setObjectName("lockUnlockButton")
        self.unlock_button.clicked.connect(self.try_unlock)
        self.message = QLabel("", self)
        self.message.setObjectName("lockMessage")
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(self.message.fontMetrics().lineSpacing() * 3)
        form = QFormLayout()
        form.addRow("&Passphrase:", self.passphrase)
        box = QWidget(self)
        box.setMaximumWidth(480)
        inner = QVBoxLayout(box)
        inner.addWidget(title)
        inner.addWidget(where)
        inner.addLayout(form)
        inner.addWidget(self.unlock_button)
        inner.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self._wait_until = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._tick)

    def reset(self) -> None:
        self.passphrase.clear()
        self.message.setText("")
        self._start_wait(failure_delay(self._failures.count()))
        self.passphrase.setFocus()

    def _start_wait(self, seconds: int) -> None:
        if seconds <= 0:
            self._tick()
            return
        self._wait_until = time.monotonic() + seconds
        self._tick()
        self._timer.start()

    def _tick(self) -> None:
        left = self._wait_until - time.monotonic()
        waiting = left > 0
        self.unlock_button.setEnabled(not waiting)  # the field stays focused (see the dialog)
        if waiting:
            self.message.setText(
                f"⚠ {self._failures.count()} wrong passphrases in a row. Wait "
                f"{int(left) + 1} s before trying again."
            )
        else:
            self._timer.stop()
            if "Wait" in self.message.text():
                self.message.setText("You can try again now.")
            self.passphrase.selectAll()
            self.passphrase.setFocus()

    def try_unlock(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            problem = self._unlock(self.passphrase.text(), self._failures.count())
        finally:
            QGuiApplication.restoreOverrideCursor()
        if not problem:
            self._failures.set(0)
            self.passphrase.clear()
            return
        failures = self._failures.count() + 1
        self._failures.set(failures)
        self.message.setText(f"⚠ {problem}")
        self.passphrase.selectAll()
        self._start_wait(failure_delay(failures))
