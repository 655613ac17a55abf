"""Dialogs for acting on an alert: record a risk review, acknowledge any other alert.

Both only gather input; the caller calls the service and, when it refuses, shows the
message in the dialog and keeps it open (``ui.dialogs.exec_until_saved``), so nothing the
therapist typed is lost.
"""

from __future__ import annotations

from datetime import date
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop.domain.risk import MAX_REVIEW_ACTION
from alliance_desktop.domain.wording import SEVERITY_SYMBOLS, SEVERITY_WORDS, URGENT_COLOUR
from alliance_desktop.ui.dialogs import date_edit, from_qdate


def severity_html(severity: str, reason: str) -> str:
    """An alert as rich text: sign, word and sentence; urgent in bold vermillion."""
    sign = SEVERITY_SYMBOLS.get(severity, SEVERITY_SYMBOLS["warning"])
    word = SEVERITY_WORDS.get(severity, SEVERITY_WORDS["warning"])
    if severity == "urgent":
        return f"<span style='color:{URGENT_COLOUR}'><b>{sign} {word}:</b> {escape(reason)}</span>"
    return f"<b>{sign} {word}:</b> {escape(reason)}"


class RiskReviewDialog(QDialog):
    """Record that risk was reviewed: the day, what was done, whether risk is ongoing.

    "Is risk ongoing?" has no default: the therapist must choose, so a review is never
    saved with an answer nobody gave.
    """

    def __init__(
        self, parent: QWidget | None, *, client: str, waiting: list[str], today: date
    ) -> None:
        super().__init__(parent)
        self.setObjectName("riskReviewDialog")
        self.setWindowTitle(f"Risk review: {client}")
        self.setMinimumWidth(480)
        intro = QLabel(self)
        intro.setObjectName("riskReviewWaiting")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        if waiting:
            items = "".join(f"<li>{escape(line)}</li>" for line in waiting)
            intro.setText(
                f"{severity_html('urgent', 'waiting for a review:')}<ul>{items}</ul>"
                "A review covers the risk answers given on or before its date."
            )
        else:
            intro.setText("No risk answer is waiting; this records a further review.")
        form = QFormLayout()
        self.reviewed_on = date_edit(self, today, "reviewDateEdit")
        self.reviewed_on.setAccessibleName("Date of the review")
        self.action = QPlainTextEdit(self)
        self.action.setObjectName("reviewActionEdit")
        self.action.setAccessibleName("What was done")
        self.action.setPlaceholderText(
            "e.g. Asked about the answer; safety plan reviewed with the client; GP informed."
        )
        self.action.setTabChangesFocus(True)
        self.action.setFixedHeight(90)
        self.ongoing_yes = QRadioButton("&Yes", self)
        self.ongoing_yes.setObjectName("riskOngoingYes")
        self.ongoing_no = QRadioButton("N&o", self)
        self.ongoing_no.setObjectName("riskOngoingNo")
        self._ongoing = QButtonGroup(self)
        for button in (self.ongoing_yes, self.ongoing_no):
            button.setAccessibleName(f"Risk ongoing: {button.text().replace('&', '')}")
            self._ongoing.addButton(button)
        choice = QHBoxLayout()
        choice.addWidget(self.ongoing_yes)
        choice.addWidget(self.ongoing_no)
        choice.addStretch(1)
        form.addRow("&Reviewed on:", self.reviewed_on)
        form.addRow("&What was done:", self.action)
        form.addRow("Is risk ongoing?", choice)
        self.error = QLabel("", self)
        self.error.setObjectName("riskReviewError")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setObjectName("saveReviewButton")
        buttons.accepted.connect(self._accept_if_answered)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _accept_if_answered(self) -> None:
        if self.ongoing() is None:
            self.show_error("Say whether risk is ongoing (Yes or No).")
            self.ongoing_yes.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        if len(self.action.toPlainText()) > MAX_REVIEW_ACTION:
            self.show_error(f"Keep what was done to {MAX_REVIEW_ACTION:,} characters.")
            return
        self.accept()

    def show_error(self, message: str) -> None:
        self.error.setText(f"⚠ {message}" if message else "")

    def reject(self) -> None:
        """Escape, Cancel or the close box: ask before throwing away what was typed."""
        typed = bool(self.action.toPlainText().strip()) or self.ongoing() is not None
        if typed and not _discard(self, "this risk review"):
            return
        super().reject()

    def ongoing(self) -> bool | None:
        if self.ongoing_yes.isChecked():
            return True
        if self.ongoing_no.isChecked():
            return False
        return None

    def values(self) -> tuple[date, str, bool]:
        """(reviewed on, what was done, risk ongoing); only after the dialog accepted."""
        return from_qdate(self.reviewed_on.date()), self.action.toPlainText(), bool(self.ongoing())


class AcknowledgeDialog(QDialog):
    """Acknowledge an alert with an optional note ("discussed in session 9")."""

    def __init__(self, parent: QWidget | None, *, client: str, severity: str, reason: str) -> None:
        super().__init__(parent)
        self.setObjectName("acknowledgeDialog")
        self.setWindowTitle(f"Acknowledge alert: {client}")
        self.setMinimumWidth(460)
        what = QLabel(severity_html(severity, reason), self)
        what.setObjectName("acknowledgedAlert")
        what.setTextFormat(Qt.TextFormat.RichText)
        what.setWordWrap(True)
        explain = QLabel(
            "The alert leaves the client list and the dashboard until its rule fires again on "
            "a newer rating. It stays in the record's history with your note.",
            self,
        )
        explain.setWordWrap(True)
        self.note = QPlainTextEdit(self)
        self.note.setObjectName("acknowledgeNoteEdit")
        self.note.setAccessibleName("Note (optional)")
        self.note.setPlaceholderText("Optional, e.g. Discussed in session 9; agreed to go on.")
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(70)
        note_label = QLabel("&Note (optional):", self)
        note_label.setBuddy(self.note)
        self.error = QLabel("", self)
        self.error.setObjectName("acknowledgeError")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        ok = buttons.addButton("&Acknowledge", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setObjectName("acknowledgeButton")
        ok.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(what)
        layout.addWidget(explain)
        layout.addWidget(note_label)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def show_error(self, message: str) -> None:
        self.error.setText(f"⚠ {message}" if message else "")

    def reject(self) -> None:
        """Escape, Cancel or the close box: ask before throwing away a typed note."""
        if self.note.toPlainText().strip() and not _discard(self, "this note"):
            return
        super().reject()

    def value(self) -> str:
        return self.note.toPlainText()


def _discard(parent: QWidget, what: str) -> bool:
    """Ask before losing typed words; keeping them (No) is the default."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Discard what you typed?",
        f"Close without saving {what}? What you typed will be lost.",
        QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.No,
        parent,
    )
    box.setObjectName("discardTypedBox")
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setEscapeButton(QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Discard
