"""Session editors: opening, bringing forward, closing, deleting sessions, and drafts.

Each session opens in its own editor window; this controller keeps the list of open ones,
so a session is never open twice, a deleted client's or session's editor closes without
saving, and quitting, locking or restoring asks each editor about unsaved typing first.
Drafts left by a crash are offered back when a database opens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QMessageBox

from alliance_desktop import APP_NAME
from alliance_desktop.services import clients as client_service
from alliance_desktop.services import sessions as session_service
from alliance_desktop.services.changes import Change
from alliance_desktop.services.database import StorageError
from alliance_desktop.services.drafts import Draft, discard_draft, unsaved_drafts
from alliance_desktop.services.errors import ServiceError
from alliance_desktop.services.session_form import editor_context
from alliance_desktop.services.text_packs import import_text_pack
from alliance_desktop.ui.controllers.alerts import AlertsController
from alliance_desktop.ui.controllers.workspace import Workspace
from alliance_desktop.ui.dialogs import confirm_delete_session

if TYPE_CHECKING:  # (the editor loads when the first session opens, not with the window)
    from alliance_desktop.ui.session_editor import SessionEditor

log = logging.getLogger(__name__)


class SessionsController(QObject):
    """Opens and tracks session editors; deletes sessions; offers unsaved drafts back."""

    def __init__(
        self,
        workspace: Workspace,
        alerts: AlertsController,
        *,
        lock: Callable[[], object],
        select_client: Callable[[int], object],
    ) -> None:
        super().__init__(workspace)
        self.workspace = workspace
        self.alerts = alerts
        self._lock = lock
        self._select_client = select_client
        #: The open editors, oldest first.
        self.editors: list[SessionEditor] = []

    # -- opening -------------------------------------------------------------------------

    def new_session(self, client_id: int) -> SessionEditor | None:
        """Open the editor for a new session of ``client_id``; return it (tests drive it)."""
        return self.open_editor(client_id, None)

    def open_session(self, client_id: int, session_id: int) -> SessionEditor | None:
        """Open a stored session in the editor (or bring its open editor forward)."""
        return self.open_editor(client_id, session_id)

    def open_editor(
        self, client_id: int, session_id: int | None, draft: Draft | None = None
    ) -> SessionEditor | None:
        if session_id is not None:
            for editor in self.editors:
                context = editor.context
                if (context.client_id, context.session_id) == (client_id, session_id):
                    editor.raise_()
                    editor.activateWindow()
                    return editor
        with self.workspace.guarded():
            db = self.workspace.db
            from alliance_desktop.ui.session_editor import SessionEditor

            context = editor_context(db, client_id, session_id)
            editor = SessionEditor(self.workspace.window, db, context, draft=draft)
            editor.pdf_folder = self.workspace.folder("reports/folder")
            editor.saved.connect(self._saved)
            editor.riskReviewRequested.connect(
                lambda cid, e=editor: self._review_from_editor(e, cid)
            )
            editor.finished.connect(lambda *_: self.editor_closed(editor))
            # Ctrl+L locks from the editor too (it is a window of its own).
            lock_here = QShortcut(QKeySequence("Ctrl+L"), editor)
            lock_here.activated.connect(self._lock)
            self.editors.append(editor)
            editor.show()
            return editor
        return None

    def _review_from_editor(self, editor: SessionEditor, client_id: int) -> None:
        """A review asked for in the editor; the editor, if still open, then shows it."""
        open_editor = shiboken6.isValid(editor) and editor.isVisible()
        change = self.alerts.review_risk(client_id, editor if open_editor else None)
        # The modal review dialog ran the event loop: a closed editor may be gone by now.
        if change is not None and shiboken6.isValid(editor) and editor.isVisible():
            editor.reload_alert_records()

    def _saved(self, change: Change) -> None:
        self.workspace.announce(change, "Session saved.")

    def editor_closed(self, editor: SessionEditor) -> None:
        if editor in self.editors:
            self.editors.remove(editor)

    # -- closing -------------------------------------------------------------------------

    def close_editors(self) -> bool:
        """Close every open editor (each asks about unsaved changes); False if one is kept."""
        for editor in list(self.editors):
            if not editor.close():
                editor.raise_()
                return False
            self.editor_closed(editor)
        return True

    def discard_editors(
        self, *, client_id: int | None = None, session_id: int | None = None
    ) -> None:
        """Close the editors of a client or session being deleted, without saving."""
        for editor in list(self.editors):
            context = editor.context
            if (client_id is not None and context.client_id == client_id) or (
                session_id is not None and context.session_id == session_id
            ):
                editor.discard_and_close()

    # -- deleting ------------------------------------------------------------------------

    def delete_session(self, client_id: int, session_id: int) -> None:
        with self.workspace.guarded():
            db = self.workspace.db
            record = client_service.client_record(db, client_id)
            session = next((s for s in record.sessions if s.session_id == session_id), None)
            if session is None:
                return
            what = (
                f"session {session.number} of {record.fields.code} ({session.start:%Y-%m-%d %H:%M})"
            )
            if not confirm_delete_session(self.workspace.window, what):
                return
            self.discard_editors(session_id=session_id)  # nothing left to save in them
            change = session_service.delete_session(db, client_id, session_id)
            self.workspace.announce(change, f"Deleted {what}.")

    # -- drafts and text packs -----------------------------------------------------------

    def offer_drafts(self) -> None:
        """Offer back sessions that were being typed when the app last stopped."""
        open_drafts = {e.draft_id for e in self.editors}
        try:
            # Reading only: at launch the database's check may still be running; restoring
            # or discarding one waits for it.
            drafts = unsaved_drafts(self.workspace.unchecked_db)
            left = [d for d in drafts if d.draft_id not in open_drafts]
        except (ServiceError, StorageError) as exc:
            log.warning("drafts could not be read: %s", exc)
            return
        for draft in left:
            box = QMessageBox(self.workspace.window)
            box.setObjectName("restoreDraftBox")
            box.setIcon(QMessageBox.Icon.Question)
            box.setWindowTitle("Unsaved session")
            which = "a new session" if draft.session_id is None else "changes to a session"
            box.setText(
                f"{APP_NAME} stopped while {which} for {draft.client_code} was being typed "
                f"(last kept {draft.saved_at:%Y-%m-%d %H:%M}). Restore it?"
            )
            box.setInformativeText("Discard throws the unsaved typing away for good.")
            restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
            discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
            later = box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
            box.setDefaultButton(restore)
            box.setEscapeButton(later)
            box.exec()
            if box.clickedButton() is restore:
                self._select_client(draft.client_id)
                self.open_editor(draft.client_id, draft.session_id, draft)
            elif box.clickedButton() is discard:
                with self.workspace.guarded():
                    discard_draft(self.workspace.db, draft.draft_id)

    def import_text_pack(self) -> None:
        window = self.workspace.window
        path, _ = QFileDialog.getOpenFileName(
            window, "Import instrument text pack", str(Path.home()), "Text pack (*.json)"
        )
        if not path:
            return
        with self.workspace.guarded():
            instrument = import_text_pack(self.workspace.db, Path(path))
            QMessageBox.information(
                window,
                APP_NAME,
                f"The {instrument.id} wording was imported; the session editor shows it from "
                "now on.",
            )
