"""Locking and unlocking the window, the idle lock, the passphrase and the recovery sheet.

Locking saves every open session editor's typing as a draft and closes it, closes any other
dialog, hides the window's content behind the lock screen, closes the database and drops
the key and the passphrase. Unlocking opens the database again with the passphrase typed,
goes back to the same client and tab and reopens the editors from their drafts.

The idle lock watches the application's input events; after ``lock_minutes`` without a key
press, click or wheel turn it locks (kept in the GUI settings; 0 means never).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from alliance_desktop import APP_NAME
from alliance_desktop.services import security
from alliance_desktop.services.changes import Change
from alliance_desktop.services.database import StorageError
from alliance_desktop.services.errors import InvalidInput, ServiceError
from alliance_desktop.ui.dialogs import LOCKED_AWAY, RESUMES, StayOpen, exec_until_saved
from alliance_desktop.ui.security_dialogs import ChangePassphraseDialog, RecoverySheetDialog

if TYPE_CHECKING:
    from alliance_desktop.ui.main_window import MainWindow

log = logging.getLogger(__name__)

LOCK_MINUTES_KEY = "security/lockAfterMinutes"
DEFAULT_LOCK_MINUTES = 10
_INPUT_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


@dataclass(frozen=True)
class _OpenEditor:
    client_id: int
    session_id: int | None
    draft_id: int | None


@dataclass
class LockedState:
    """Where the therapist was when the window locked, to go back there."""

    client_id: int | None
    tab: str
    editors: list[_OpenEditor]
    #: Other dialogs that were open (a client form half-typed, Preferences): hidden while
    #: locked, shown again as they were on unlock.
    hidden: list[QDialog]


def lock_minutes(settings: QSettings | None) -> int:
    if settings is None:
        return DEFAULT_LOCK_MINUTES
    try:
        return max(0, int(str(settings.value(LOCK_MINUTES_KEY, DEFAULT_LOCK_MINUTES))))
    except ValueError:
        return DEFAULT_LOCK_MINUTES


class SecurityController(QObject):
    """Owns the lock, the idle timer, the passphrase change and the recovery sheet."""

    def __init__(
        self,
        window: MainWindow,
        settings: QSettings | None,
        *,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self.today = today
        self.locked_state: LockedState | None = None
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.timeout.connect(self.lock)
        self.apply_lock_minutes()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    # -- idle lock -----------------------------------------------------------------------

    def apply_lock_minutes(self, minutes: int | None = None) -> None:
        """Use ``minutes`` (stored) or the stored value; 0 switches the idle lock off."""
        if minutes is not None and self._settings is not None:
            self._settings.setValue(LOCK_MINUTES_KEY, minutes)
        value = lock_minutes(self._settings) if minutes is None else minutes
        self.idle_timer.setInterval(value * 60_000)
        if value and self.locked_state is None:
            self.idle_timer.start()
        else:
            self.idle_timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        idle_lock_on = self.locked_state is None and self.idle_timer.interval() > 0
        if idle_lock_on and event.type() in _INPUT_EVENTS:
            self.idle_timer.start()  # restarts the countdown
        return False

    # -- locking -------------------------------------------------------------------------

    @property
    def is_locked(self) -> bool:
        return self.locked_state is not None

    def lock(self) -> bool:
        """Lock now; False when an editor's typing could not be kept (then nothing locks)."""
        window = self._window
        if self.locked_state is not None:
            return True
        if window.backups.running:
            # The database is in use until they finish; the idle lock tries again later.
            window.statusBar().showMessage(
                "Not locked yet: a backup or restore is running. It locks when that is done.",
                10000,
            )
            self.idle_timer.start()  # the idle lock tries again after another idle spell
            return False
        kept: list[_OpenEditor] = []
        for editor in list(window.editors):
            if not editor.keep_draft_for_lock():
                window.statusBar().showMessage(
                    "Not locked: the typing in an open session could not be kept as a draft "
                    "(is the disk full?). Save or close the session, then lock.",
                    15000,
                )
                return False
            context = editor.context
            kept.append(_OpenEditor(context.client_id, context.session_id, editor.draft_id))
        for editor in list(window.editors):
            editor.close_for_lock()
            window.sessions.editor_closed(editor)
        # Any other open dialog (a form half-typed, a message) is hidden, not closed, so
        # what was typed in it is there again after unlocking.
        hidden = [
            widget
            for widget in QApplication.topLevelWidgets()
            if widget is not window and widget.isVisible() and isinstance(widget, QDialog)
        ]
        for widget in hidden:
            widget.setProperty(LOCKED_AWAY, True)
            widget.hide()
        record = window.detail.record
        current_tab = window.detail.tabs.currentWidget()
        self.locked_state = LockedState(
            record.client_id if record is not None else None,
            current_tab.objectName() if current_tab is not None else "",
            kept,
            hidden,
        )
        self.idle_timer.stop()
        window.show_lock_screen()
        from alliance_desktop.services import audit
        from alliance_desktop.ui.background import wait_for_background_work

        wait_for_background_work()  # a list load in flight must not meet a closed database
        workspace = window.workspace
        # The lock is logged only in a database whose check has passed (nothing is written
        # before); locking itself writes nothing, so a damaged database locks too.
        sound = workspace.wait_for_check() if workspace.checking else not workspace.damage
        if sound:
            try:
                audit.record(workspace.db, "lock")
            except (StorageError, ServiceError) as exc:  # a full disk must not keep it open
                log.warning("the lock could not be logged: %s", exc)
        workspace.unchecked_db.lock()
        log.info("window locked")
        return True

    def unlock(self, passphrase: str, failures_before: int = 0) -> str:
        """Open the database again with ``passphrase``; return a problem or "" when open."""
        from alliance_desktop.services.database import WrongPassphrase, open_database

        state = self.locked_state
        if state is None:
            return ""
        window = self._window
        try:
            db = open_database(
                window.workspace.unchecked_db.path, passphrase=passphrase, create=False
            )
        except WrongPassphrase as exc:
            return str(exc)
        except (StorageError, ServiceError) as exc:
            return str(exc)

        from alliance_desktop.ui.unlock import opened_in_window

        opened = opened_in_window(db, failures_before)
        if opened.damage:  # damaged while locked: nothing is written; repair needs a restart
            opened.close()
            return (
                f"{opened.path.name} is damaged (SQLite's check found problems); nothing was "
                "written to it. Quit and start Alliance Desktop again: it offers to restore "
                "a backup or salvage what can be read."
            )
        window.db = opened
        self.locked_state = None
        window.hide_lock_screen()
        window.workspace.announce(Change.database(unlocked=True))
        if state.client_id is not None:
            window.clients.select_after_load(state.client_id)  # once the list has loaded
            window.clients.show_client(state.client_id)
            tabs = window.detail.tabs
            for index in range(tabs.count()):
                page = tabs.widget(index)
                if page is not None and page.objectName() == state.tab:
                    tabs.setCurrentIndex(index)
        self._reopen_editors(state.editors)
        for widget in state.hidden:
            if shiboken6.isValid(widget):
                widget.setProperty(LOCKED_AWAY, False)
                if not widget.property(RESUMES):  # else its loop shows it again
                    widget.show()
                    widget.raise_()
        self.apply_lock_minutes()
        return ""

    def _reopen_editors(self, editors: list[_OpenEditor]) -> None:
        from alliance_desktop.services.drafts import unsaved_drafts

        window = self._window
        try:
            drafts = {d.draft_id: d for d in unsaved_drafts(window.db)}
        except (StorageError, ServiceError) as exc:
            log.warning("drafts could not be read after unlocking: %s", exc)
            drafts = {}
        for kept in editors:
            draft = drafts.get(kept.draft_id) if kept.draft_id is not None else None
            if draft is None and kept.session_id is None:
                continue  # a new session with nothing typed: nothing to bring back
            window.sessions.open_editor(kept.client_id, kept.session_id, draft)

    # -- a client's record as a whole: access history, export -----------------------------

    def access_history(self, client_id: int) -> QDialog | None:
        """Show the audit log's lines about one client (newest first)."""
        from alliance_desktop.services import audit
        from alliance_desktop.ui.security_dialogs import AccessHistoryDialog

        window = self._window
        try:
            code = audit.client_code_of(window.db, client_id)
            entries = audit.history(window.db, code) if code else []
        except (StorageError, ServiceError) as exc:
            window.workspace.complain(str(exc))
            return None
        rows = [
            (f"{e.at:%Y-%m-%d %H:%M}", audit.ACTION_WORDS.get(e.action, e.action), e.detail)
            for e in reversed(entries)
        ]
        dialog = AccessHistoryDialog(window, code or "", rows)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def export_client(self, client_id: int) -> Path | None:
        """A subject-access request: the whole record as JSON plus the progress summary PDF,
        into a new folder the therapist names."""
        from PySide6.QtWidgets import QFileDialog

        from alliance_desktop.reports.client_report import client_report_pdf
        from alliance_desktop.services import audit
        from alliance_desktop.services.transfer import export_client

        window = self._window
        code = audit.client_code_of(window.db, client_id)
        if code is None:
            return None
        parent = QFileDialog.getExistingDirectory(
            window, f"Export {code}'s record into a new folder inside…", str(Path.home())
        )
        if not parent:
            return None
        target = Path(parent) / f"{code} record {self.today():%Y-%m-%d}"
        try:
            written = export_client(window.db, code, target, client_report_pdf)
        except (StorageError, ServiceError) as exc:
            window.workspace.complain(str(exc))
            return None
        QMessageBox.information(
            window,
            APP_NAME,
            f"Exported {code}'s whole record to {target}: {', '.join(written)}. These files "
            "are not encrypted: hand them over securely, then delete them.",
        )
        return target

    # -- passphrase and recovery sheet ---------------------------------------------------

    def offer_recovery_sheet(self) -> None:
        """At start, while the records have no recovery sheet: say why one matters, offer it."""
        window = self._window
        # (The key file beside the database, not the database: no need to wait for its check.)
        if (
            self.is_locked
            or window._demo
            or security.has_recovery_sheet(window.workspace.unchecked_db)
        ):
            return  # (the demo's made-up clients need no recovery sheet)
        box = QMessageBox(window)
        box.setObjectName("offerRecoverySheetBox")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("No recovery sheet yet")
        box.setText(
            "Your records have no recovery sheet yet. If the passphrase is forgotten, nobody "
            "can open them again — not you, not us."
        )
        box.setInformativeText(
            "A recovery sheet is one printed page with a code that unlocks the records. Print "
            "it now and keep it locked away from the laptop."
        )
        make = box.addButton("Print recovery sheet…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(make)
        box.exec()
        if box.clickedButton() is make:
            self.recovery_sheet()

    def change_passphrase(self) -> None:
        window = self._window
        dialog = ChangePassphraseDialog(window)

        def change() -> bool:
            security.change_passphrase(window.db, dialog.current.text(), dialog.new.text())
            return True

        if exec_until_saved(dialog, change, dialog.show_error):
            QMessageBox.information(
                window,
                APP_NAME,
                "Your passphrase is changed: use the new one from now on. Backups made before "
                "keep the passphrase they were made with; your recovery sheet keeps working.",
            )
            if dialog.new_sheet.isChecked():
                QTimer.singleShot(0, self.recovery_sheet)

    def recovery_sheet(self, parent: QWidget | None = None) -> Path | int | None:
        """Confirm the passphrase, then print or save a new sheet; the new code counts only
        once its sheet is printed or saved. Returns the file, the pages printed, or None."""
        from alliance_desktop.services.atomic import save_export
        from alliance_desktop.ui.printing import PrintFailed, ask_and_print
        from alliance_desktop.ui.report_dialog import ask_pdf_path

        window = self._window
        dialog = RecoverySheetDialog(parent or window)

        def make() -> Path | int:
            if dialog.passphrase.text() != (window.db.passphrase or ""):
                raise InvalidInput("That is not your passphrase.")
            code = security.new_recovery_code()
            from alliance_desktop.reports.recovery_sheet import recovery_sheet_pdf

            pdf = recovery_sheet_pdf(
                security.recovery_sheet_data(window.db, code, today=self.today())
            )
            outcome: Path | int
            if dialog.choice == "save":
                target = ask_pdf_path(
                    dialog,
                    "Save the recovery sheet",
                    Path.home() / "Alliance Desktop recovery sheet.pdf",
                )
                if target is None:
                    raise StayOpen
                save_export(target, pdf, [window.db.path])
                outcome = target
            else:
                try:
                    outcome = ask_and_print(dialog, pdf, "Recovery sheet")
                except PrintFailed as exc:
                    raise InvalidInput(str(exc)) from None
                if not outcome:
                    raise StayOpen  # cancelled, or no printer: Save is still there
            security.commit_recovery_code(window.db, code)
            return outcome

        outcome = exec_until_saved(dialog, make, dialog.show_error)
        if outcome is None:
            return None
        where = (
            f"saved to {outcome}: print it, then delete the file"
            if isinstance(outcome, Path)
            else "printed"
        )
        QMessageBox.information(
            window,
            APP_NAME,
            f"The recovery sheet was {where}. Keep the paper locked away from the laptop; "
            "any earlier sheet no longer works.",
        )
        return outcome
