"""Dialogs of the client record: add/edit a client, agree or edit a goal, discharge, delete.

Each dialog only gathers input and shows the service's messages beside the fields; the
service call that saves is made by the caller, so nothing is saved until it is valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from PySide6.QtCore import QDate, QEventLoop, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop.domain.vocabulary import APPROACH_LABELS, Approach, ClientStatus
from alliance_desktop.services.database import ClientFields, StorageError
from alliance_desktop.services.errors import ServiceError
from alliance_desktop.ui.client_list import STATUS_LABELS
from alliance_desktop.ui.widgets import wheel_only_when_focused

_T = TypeVar("_T")

ISO_HINT = "YYYY-MM-DD"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def from_qdate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def date_edit(parent: QWidget, value: date, name: str) -> QDateEdit:
    """A date field in ISO format with a calendar, keyboard-editable."""
    edit = QDateEdit(to_qdate(value), parent)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setCalendarPopup(True)
    edit.setObjectName(name)
    wheel_only_when_focused(edit)  # the wheel passing over it never changes a date
    return edit


class OptionalDateEdit(QLineEdit):
    """A date that may be left empty (date of birth, discharge): ISO text, checked on save."""

    def __init__(self, parent: QWidget, value: date | None, name: str) -> None:
        super().__init__(value.isoformat() if value else "", parent)
        self.setPlaceholderText(f"{ISO_HINT} (optional)")
        self.setObjectName(name)
        self.setMaxLength(10)

    def value(self) -> date | None:
        """The date, None when empty; raises ValueError when the text is not a date."""
        text = self.text().strip()
        if not text:
            return None
        if not _ISO_DATE.fullmatch(text):  # fromisoformat also takes 20260101 and 2026-W01-1
            raise ValueError(text)
        return date.fromisoformat(text)


class StayOpen(Exception):
    """Raised by a dialog's save step to keep it open without a message (a file chooser
    was cancelled, say)."""


#: Set by the lock on a dialog it hides; cleared on unlock (``controllers.security``).
LOCKED_AWAY = "hiddenByLock"
#: Set while ``exec_resumable`` runs a dialog: unlocking leaves showing it to that loop.
RESUMES = "resumesAfterLock"


def exec_resumable(dialog: QDialog, on_resume: Callable[[], object] | None = None) -> int:
    """``dialog.exec()``, carried on after the window was locked and unlocked meanwhile.

    Locking hides every open dialog, which ends its ``exec()``; the dialog (with what was
    typed in it) is run again once the window is unlocked, and ``on_resume`` lets its
    owner hand it the database opened again by the unlock.
    """
    dialog.setProperty(RESUMES, True)
    try:
        while True:
            result = dialog.exec()
            if result == QDialog.DialogCode.Accepted or not dialog.property(LOCKED_AWAY):
                return result
            _wait_for_unlock(dialog)
            if dialog.property(LOCKED_AWAY):  # the app is quitting behind the lock screen
                return QDialog.DialogCode.Rejected
            if on_resume is not None:
                on_resume()
    finally:
        dialog.setProperty(RESUMES, False)


def _wait_for_unlock(dialog: QDialog) -> None:
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(100)
    timer.timeout.connect(lambda: None if dialog.property(LOCKED_AWAY) else loop.quit())
    timer.start()
    loop.exec()  # (also ends when the application quits)
    timer.stop()


def exec_until_saved(
    dialog: QDialog,
    save: Callable[[], _T],
    show_error: Callable[[str], None],
    show_field_errors: Callable[[dict[str, str]], None] | None = None,
) -> _T | None:
    """Run a modal dialog until ``save`` succeeds, or the user cancels (None).

    The one loop for every dialog that stays open until its input is valid. A refusal
    from the service or the database is shown in the dialog, which stays open with
    everything typed, so the therapist can put it right instead of starting again; a
    refusal naming fields (``errors``: field → message) goes under those fields. A lock
    meanwhile hides the dialog; it comes back, as typed, after the unlock.
    """
    while exec_resumable(dialog) == QDialog.DialogCode.Accepted:
        try:
            return save()
        except StayOpen:
            continue
        except (ServiceError, StorageError) as exc:
            errors = getattr(exc, "errors", None)
            if show_field_errors is not None and isinstance(errors, dict):
                show_field_errors(errors)
            else:
                show_error(str(exc))
    return None


class FieldErrors:
    """Error labels placed under each field of a form; never colour alone, always words."""

    def __init__(self, form: QFormLayout) -> None:
        self._form = form
        self._labels: dict[str, QLabel] = {}
        self._fields: dict[str, QWidget] = {}

    def add(self, key: str, field: QWidget, label: str) -> None:
        message = QLabel("", field.parentWidget())
        message.setObjectName(f"{key}Error")
        message.setWordWrap(True)
        message.setVisible(False)
        message.setAccessibleName(f"{label.replace('&', '')} problem")
        self._labels[key] = message
        self._fields[key] = field
        self._form.addRow(label, field)
        self._form.addRow("", message)
        # A message goes as soon as its field is changed: it spoke of the old value.
        for signal_name in ("textChanged", "currentIndexChanged", "dateChanged"):
            signal = getattr(field, signal_name, None)
            if signal is not None:
                signal.connect(lambda *_args, key=key: self.clear(key))
                break

    def clear(self, key: str) -> None:
        self._labels[key].setText("")
        self._labels[key].setVisible(False)

    def show(self, errors: dict[str, str]) -> None:
        """Show each field's message; put the cursor in the first field with a problem."""
        first: QWidget | None = None
        for key, label in self._labels.items():
            text = errors.get(key, "")
            label.setText(f"⚠ {text}" if text else "")
            label.setVisible(bool(text))
            if text and first is None:
                first = self._fields[key]
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def message(self, key: str) -> str:
        return self._labels[key].text()


class ClientDialog(QDialog):
    """Add or edit a client. ``fields()`` builds the record; raises ValueError on bad dates."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        initial: ClientFields | None = None,
        suggested_code: str = "",
        today: date | None = None,
    ) -> None:
        super().__init__(parent)
        today = today or date.today()
        self.setObjectName("clientDialog")
        self.setWindowTitle("Edit client" if initial else "New client")
        self.setMinimumWidth(460)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.errors = FieldErrors(form)

        self.code = QLineEdit(initial.code if initial else suggested_code, self)
        self.code.setObjectName("codeEdit")
        self.code.setMaxLength(40)  # longer than allowed, so the message can say so
        self.given_name = QLineEdit(initial.given_name if initial else "", self)
        self.given_name.setObjectName("givenNameEdit")
        self.family_name = QLineEdit(initial.family_name if initial else "", self)
        self.family_name.setObjectName("familyNameEdit")
        self.date_of_birth = OptionalDateEdit(
            self, initial.date_of_birth if initial else None, "dateOfBirthEdit"
        )
        self.approach = QComboBox(self)
        self.approach.setObjectName("approachCombo")
        # Item data are the stored strings: PySide hands a StrEnum back as plain str.
        for approach, approach_label in APPROACH_LABELS.items():
            self.approach.addItem(approach_label, approach.value)
        if initial:
            self.approach.setCurrentIndex(self.approach.findData(initial.approach.value))
        self.status = QComboBox(self)
        self.status.setObjectName("statusCombo")
        for status, status_label in STATUS_LABELS.items():
            self.status.addItem(status_label, status.value)
        if initial:
            self.status.setCurrentIndex(self.status.findData(initial.status.value))
        self.intake = date_edit(self, initial.intake_date if initial else today, "intakeEdit")
        self.discharge = OptionalDateEdit(
            self, initial.discharge_date if initial else None, "dischargeEdit"
        )
        self.email = QLineEdit((initial.email or "") if initial else "", self)
        self.email.setObjectName("emailEdit")
        self.phone = QLineEdit((initial.phone or "") if initial else "", self)
        self.phone.setObjectName("phoneEdit")
        self.address = QPlainTextEdit((initial.address or "") if initial else "", self)
        self.address.setObjectName("addressEdit")
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(54)
        self.concern = QPlainTextEdit((initial.presenting_concern or "") if initial else "", self)
        self.concern.setObjectName("concernEdit")
        self.concern.setTabChangesFocus(True)
        self.concern.setFixedHeight(54)

        for key, widget, label, accessible in (
            ("code", self.code, "Client &code:", "Client code"),
            ("given_name", self.given_name, "&First name:", "First name"),
            ("family_name", self.family_name, "&Last name:", "Last name"),
            ("date_of_birth", self.date_of_birth, "Date of &birth:", "Date of birth"),
            ("approach", self.approach, "&Approach:", "Therapy approach"),
            ("status", self.status, "&Status:", "Status"),
            ("intake_date", self.intake, "&Intake:", "Intake date"),
            ("discharge_date", self.discharge, "&Discharged on:", "Discharge date"),
            ("email", self.email, "&E-mail:", "E-mail"),
            ("phone", self.phone, "&Phone:", "Phone"),
            ("address", self.address, "Add&ress:", "Address"),
            ("presenting_concern", self.concern, "&Presenting concern:", "Presenting concern"),
        ):
            widget.setAccessibleName(accessible)
            self.errors.add(key, widget, label)
        self.status.currentIndexChanged.connect(self._status_changed)
        # The wheel over the approach, status or intake scrolls past them, never changes them.
        wheel_only_when_focused(self.approach, self.status)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setObjectName("saveClientButton")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._today = today

    def _status_changed(self, _index: int) -> None:
        # Choosing Discharged fills in today, which is what a therapist usually means.
        discharged = self.status.currentData() == ClientStatus.DISCHARGED.value
        if discharged and not self.discharge.text():
            self.discharge.setText(self._today.isoformat())
        elif not discharged:
            self.discharge.clear()

    def fields(self) -> tuple[ClientFields | None, dict[str, str]]:
        """The typed record, or None with messages for fields that are not even dates."""
        problems: dict[str, str] = {}
        values: dict[str, date | None] = {}
        optional_dates = (("date_of_birth", self.date_of_birth), ("discharge_date", self.discharge))
        for key, edit in optional_dates:
            try:
                values[key] = edit.value()
            except ValueError:
                problems[key] = f"'{edit.text()}' is not a date; use {ISO_HINT}, e.g. 1990-05-17."
        if problems:
            return None, problems
        approach = Approach(self.approach.currentData())
        status = ClientStatus(self.status.currentData())
        return (
            ClientFields(
                code=self.code.text(),
                given_name=self.given_name.text(),
                family_name=self.family_name.text(),
                approach=approach,
                intake_date=from_qdate(self.intake.date()),
                status=status,
                date_of_birth=values["date_of_birth"],
                email=self.email.text(),
                phone=self.phone.text(),
                address=self.address.toPlainText(),
                presenting_concern=self.concern.toPlainText(),
                discharge_date=values["discharge_date"],
            ),
            {},
        )


class GoalDialog(QDialog):
    """Agree a new goal, or edit one: the client's words and the date it was agreed."""

    def __init__(
        self, parent: QWidget | None, *, description: str = "", agreed_on: date | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("goalDialog")
        self.setWindowTitle("Edit goal" if description else "New goal")
        self.setMinimumWidth(420)
        form = QFormLayout()
        self.description = QPlainTextEdit(description, self)
        self.description.setObjectName("goalDescriptionEdit")
        self.description.setAccessibleName("Goal in the client's words")
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(70)
        self.agreed_on = date_edit(self, agreed_on or date.today(), "goalAgreedEdit")
        self.agreed_on.setAccessibleName("Agreed on")
        self.error = QLabel("", self)
        self.error.setObjectName("goalError")
        self.error.setWordWrap(True)
        form.addRow("&Goal:", self.description)
        form.addRow("&Agreed on:", self.agreed_on)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def show_error(self, message: str) -> None:
        self.error.setText(f"⚠ {message}" if message else "")

    def values(self) -> tuple[str, date]:
        return self.description.toPlainText(), from_qdate(self.agreed_on.date())


class DateDialog(QDialog):
    """Ask for one date (discharge, closing a goal) with a sentence saying what it is for."""

    def __init__(self, parent: QWidget | None, title: str, text: str, value: date) -> None:
        super().__init__(parent)
        self.setObjectName("dateDialog")
        self.setWindowTitle(title)
        label = QLabel(text, self)
        label.setWordWrap(True)
        self.date = date_edit(self, value, "dateDialogEdit")
        self.date.setAccessibleName(title)
        self.error = QLabel("", self)
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.date)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def show_error(self, message: str) -> None:
        self.error.setText(f"⚠ {message}" if message else "")

    def value(self) -> date:
        return from_qdate(self.date.date())


def confirm_delete(
    parent: QWidget | None, code: str, name: str, sessions: int, backups_until: date | None = None
) -> bool:
    """Ask before erasing a client; Cancel is the default and Escape cancels."""
    recorded = f" and all {sessions} recorded sessions" if sessions else ""
    kept = (
        f" Backups made before today still hold the record until rotation removes them, by "
        f"{backups_until:%Y-%m-%d} at the latest with your backup settings."
        if backups_until
        else ""
    )
    return confirm_destructive(
        parent,
        "confirmDeleteBox",
        "Delete client",
        f"Delete {code} {name}{recorded}?",
        "The record is erased from this computer and cannot be undone. To keep the record "
        "but close the case, use Discharge instead." + kept,
    )


def confirm_delete_session(parent: QWidget | None, what: str) -> bool:
    """Ask before deleting a session; Cancel is the default and Escape cancels."""
    return confirm_destructive(
        parent,
        "confirmDeleteSessionBox",
        "Delete session",
        f"Delete {what}?",
        "Its measures, goal ratings, rupture and notes go with it, and later sessions are "
        "renumbered. This cannot be undone.",
    )


def confirm_destructive(
    parent: QWidget | None,
    name: str,
    title: str,
    text: str,
    consequence: str,
    *,
    action: str = "Delete permanently",
) -> bool:
    """A warning that names what is destroyed; ``action`` or Cancel (the default)."""
    box = QMessageBox(parent)
    box.setObjectName(name)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    box.setInformativeText(consequence)
    delete = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()
    return box.clickedButton() is delete
