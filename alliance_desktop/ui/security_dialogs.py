"""Dialogs about the passphrase: the recovery sheet, a new passphrase, a forgotten one.

Each dialog gathers what is typed and checks it; ``controllers.security`` (and the unlock
screen) call the services and decide what happens next.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop.services.passphrases import passphrase_problem, passphrase_strength
from alliance_desktop.ui.widgets import fit_to_screen


def secret_field(parent: QWidget, name: str, accessible: str) -> QLineEdit:
    """A password field: echo off, a sane length, named for tests and screen readers."""
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMaxLength(1024)
    return edit


class NewPassphraseFields:
    """ "Passphrase", a strength hint and "Again", added to a form; checks the pair."""

    def __init__(self, parent: QWidget, form: QFormLayout, *, label: str = "&New passphrase:"):
        self.passphrase = secret_field(parent, "newPassphraseEdit", "New passphrase")
        self.confirm = secret_field(parent, "confirmPassphraseEdit", "New passphrase again")
        self.strength = QLabel("", parent)
        self.strength.setObjectName("passphraseStrength")
        self.strength.setWordWrap(True)
        self.passphrase.textChanged.connect(self._show_strength)
        form.addRow(label, self.passphrase)
        form.addRow("", self.strength)
        form.addRow("&Again:", self.confirm)
        self._show_strength("")

    def _show_strength(self, text: str) -> None:
        word, hint = passphrase_strength(text)
        self.strength.setText(f"Strength: <b>{word}</b> — {hint}" if text else hint)

    def problem(self) -> str:
        problem = passphrase_problem(self.passphrase.text())
        if problem:
            return problem
        if self.passphrase.text() != self.confirm.text():
            return "The two passphrases differ; type the same one twice."
        return ""

    def text(self) -> str:
        return self.passphrase.text()


class CheckedDialog(QDialog):
    """A dialog with an error line whose OK runs ``problem()`` first."""

    def _finish_layout(self, layout: QVBoxLayout, ok_text: str, ok_name: str) -> None:
        self.error = QLabel("", self)
        self.error.setObjectName("securityError")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName(ok_name)
        self.ok_button.setDefault(True)
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def problem(self) -> str:
        return ""

    def _accept_if_valid(self) -> None:
        problem = self.problem()
        self.error.setText(f"⚠ {problem}" if problem else "")
        if not problem:
            self.accept()

    def show_error(self, message: str) -> None:
        self.error.setText(f"⚠ {message}")


class ChangePassphraseDialog(CheckedDialog):
    """The current passphrase and a new one (twice); optionally a new recovery sheet."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("changePassphraseDialog")
        self.setWindowTitle("Change passphrase")
        self.setMinimumWidth(500)
        intro = QLabel(
            "The new passphrase unlocks the app from now on. Backups made before keep the "
            "passphrase they were made with. Your recovery sheet keeps working.",
            self,
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        self.current = secret_field(self, "currentPassphraseEdit", "Current passphrase")
        form.addRow("&Current passphrase:", self.current)
        self.new = NewPassphraseFields(self, form)
        self.new_sheet = QCheckBox("Print a new &recovery sheet afterwards", self)
        self.new_sheet.setObjectName("newRecoverySheetCheck")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.new_sheet)
        self._finish_layout(layout, "&Change", "changePassphraseButton")
        self.current.setFocus()

    def problem(self) -> str:
        if not self.current.text():
            return "Type your current passphrase first."
        return self.new.problem()

    def show_error(self, message: str) -> None:
        super().show_error(message)
        if "current passphrase" in message:
            self.current.selectAll()
            self.current.setFocus()


class RecoveryUnlockDialog(CheckedDialog):
    """Forgotten passphrase: the code from the recovery sheet and a new passphrase."""

    def __init__(self, parent: QWidget | None, database_name: str) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryUnlockDialog")
        self.setWindowTitle("Use the recovery sheet")
        self.setMinimumWidth(520)
        intro = QLabel(
            f"Type the code printed on the recovery sheet of {database_name}, then choose a "
            "new passphrase. Capitals, spaces and dashes do not matter.",
            self,
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        self.code = QLineEdit(self)
        self.code.setObjectName("recoveryCodeEdit")
        self.code.setAccessibleName("Recovery code")
        self.code.setPlaceholderText("XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX")
        self.code.setMaxLength(80)
        form.addRow("Recovery &code:", self.code)
        self.new = NewPassphraseFields(self, form)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        self._finish_layout(layout, "&Unlock", "recoveryUnlockButton")
        self.code.setFocus()

    def problem(self) -> str:
        if len("".join(ch for ch in self.code.text() if ch.isalnum())) != 30:
            return "The recovery code has 30 letters and digits (six groups of five)."
        return self.new.problem()


class RecoverySheetDialog(CheckedDialog):
    """Confirm the passphrase, then print or save a new recovery sheet."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("recoverySheetDialog")
        self.setWindowTitle("Recovery sheet")
        self.setMinimumWidth(520)
        intro = QLabel(
            "A recovery sheet holds a code that unlocks your records if the passphrase is "
            "forgotten. <b>Without the passphrase or the sheet nobody can open the records "
            "again.</b> Print it and keep it locked away from the laptop. A new sheet makes "
            "the earlier one stop working.",
            self,
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        self.passphrase = secret_field(self, "sheetPassphraseEdit", "Your passphrase")
        form.addRow("Your &passphrase:", self.passphrase)
        self.save_pdf = QPushButton("&Save as PDF…", self)
        self.save_pdf.setObjectName("saveRecoverySheetButton")
        self.choice = ""
        self.save_pdf.clicked.connect(self._save_chosen)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.save_pdf)
        self._finish_layout(layout, "&Print…", "printRecoverySheetButton")
        self.ok_button.clicked.connect(lambda: setattr(self, "choice", "print"))
        self.passphrase.setFocus()

    def _save_chosen(self) -> None:
        self.choice = "save"
        self._accept_if_valid()

    def problem(self) -> str:
        return "" if self.passphrase.text() else "Type your passphrase to confirm it is you."


class AccessHistoryDialog(QDialog):
    """A client's lines of the audit log: when their record was opened, changed, printed."""

    def __init__(self, parent: QWidget | None, code: str, rows: list[tuple[str, str, str]]):
        from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget

        super().__init__(parent)
        self.setObjectName("accessHistoryDialog")
        self.setWindowTitle(f"Access history — {code}")
        fit_to_screen(self, 640, 420)
        intro = QLabel(
            f"Everything done with {code}'s record, newest first, from the app's audit log. "
            "A change to the log made behind the app's back shows when the log is checked "
            "('alliance-desktop audit verify').",
            self,
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setObjectName("accessHistoryTable")
        self.table.setHorizontalHeaderLabels(["When", "What", "Detail"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        from PySide6.QtWidgets import QTableWidgetItem

        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
