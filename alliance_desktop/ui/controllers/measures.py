"""Measures → Instruments…: the therapist's own questionnaires, defined, imported, exported,
edited, retired and deleted from the window.

The controller opens ``InstrumentsDialog`` and ``DefinitionEditor`` (``ui.instruments_dialog``)
and makes the service calls (``services.instruments``) their buttons ask for. Every refusal
from a service or the database shows as one message with the service's sentence and changes
nothing. Every change puts the instrument in the registry at once (the service does), and is
announced as a settings change so the list, the open record, its charts and its alerts are
drawn again; a session editor opened afterwards offers the instrument, as it builds its
measures from the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from alliance_desktop import APP_NAME
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    Instrument,
    custom_instruments,
    get_instrument,
    is_built_in,
    is_retired,
)
from alliance_desktop.services import instruments as instrument_service
from alliance_desktop.services.changes import Change
from alliance_desktop.services.database import StorageError
from alliance_desktop.services.errors import ServiceError
from alliance_desktop.ui.controllers.workspace import Workspace
from alliance_desktop.ui.dialogs import confirm_destructive
from alliance_desktop.ui.instruments_dialog import DefinitionEditor, InstrumentsDialog

#: Where definition files were last opened or saved (remembered between runs).
FOLDER_KEY = "instruments/folder"
DEFINITION_FILTER = "Instrument definition (*.json)"


class MeasuresController(QObject):
    """The Instruments dialog and the definition editor, and what their buttons do."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(workspace)
        self.workspace = workspace
        #: The moment stored with an import, an edit or a retirement (tests fix it).
        self.now: Callable[[], datetime] = datetime.now
        self.dialog: InstrumentsDialog | None = None
        self.editor: DefinitionEditor | None = None

    # -- the dialog ----------------------------------------------------------------------

    def open_instruments(self) -> InstrumentsDialog:
        """Show the Instruments dialog (window-modal; brought forward when already open)."""
        dialog = self.dialog
        if dialog is not None and shiboken6.isValid(dialog) and dialog.isVisible():
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        dialog = InstrumentsDialog(self.workspace.window)
        dialog.newRequested.connect(self.new_definition)
        dialog.editRequested.connect(self.edit_definition)
        dialog.importRequested.connect(self.import_file)
        dialog.exportRequested.connect(self.export)
        dialog.retireRequested.connect(self.retire_or_restore)
        dialog.deleteRequested.connect(self.delete)
        dialog.finished.connect(lambda *_: self._closed(dialog))
        self.dialog = dialog
        dialog.show_entries(instrument_service.list_instruments())
        if dialog.entries:
            dialog.table.selectRow(0)
        dialog.open()
        return dialog

    def _closed(self, dialog: InstrumentsDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _parent(self) -> QWidget:
        return self.dialog if self.dialog is not None else self.workspace.window

    def _changed(self, sentence: str, select: str | None = None) -> None:
        """Show the list again with what was just done, and tell every view."""
        if self.dialog is not None:
            self.dialog.show_entries(instrument_service.list_instruments(), select)
            self.dialog.say(sentence)
        self.workspace.announce(Change.settings(), sentence)

    # -- defining and editing --------------------------------------------------------------

    def new_definition(self) -> DefinitionEditor:
        """Open an empty definition editor (returned for tests)."""
        return self._open_editor(None, None)

    def edit_definition(self, instrument_id: str) -> DefinitionEditor | None:
        """Open one of the practice's own instruments in the editor, as its next version."""
        if is_built_in(instrument_id) or instrument_id not in custom_instruments():
            self.workspace.complain(
                f"{instrument_id} is built in and cannot be edited; export it and import a "
                "variant under an id of your own instead.",
                self._parent(),
            )
            return None
        instrument = get_instrument(instrument_id)
        return self._open_editor(instrument, instrument_service.next_version(instrument_id))

    def _open_editor(self, instrument: Instrument | None, version: str | None) -> DefinitionEditor:
        editor = DefinitionEditor(
            self._parent(), store=self._store, instrument=instrument, version=version
        )
        editor.finished.connect(lambda *_: self._editor_closed(editor))
        self.editor = editor
        editor.open()
        return editor

    def _editor_closed(self, editor: DefinitionEditor) -> None:
        if self.editor is editor:
            self.editor = None
        editor.deleteLater()

    def _store(self, instrument: Instrument) -> str:
        """Store a definition checked by the editor (raises the service's refusal).

        An edit is stored as an import of the changed definition: a version with
        measurements is never replaced (the service refuses a changed definition under its
        version, and the editor offers the next version), one without is replaced.
        """
        original = self.editor.original if self.editor is not None else None
        if original is not None and replace(instrument, version=original.version) == original:
            # Opened and saved as it was: no new version that only repeats the last one.
            sentence = f"Nothing was changed in {original.id}, so no new version was saved."
            if self.dialog is not None:
                self.dialog.say(sentence)
            return sentence
        result = instrument_service.import_definition(
            self.workspace.db, instrument, self.now(), new_version=False
        )
        sentence = result.sentence()
        if result.outcome == "unchanged":
            if self.dialog is not None:
                self.dialog.say(sentence)
        else:
            self._changed(sentence, instrument.id)
        return sentence

    # -- files ---------------------------------------------------------------------------

    def import_file(self) -> None:
        """Import a definition file; its sentence in a message, or the one problem."""
        parent = self._parent()
        path, _ = QFileDialog.getOpenFileName(
            parent,
            "Import an instrument definition",
            str(self.workspace.folder(FOLDER_KEY)),
            DEFINITION_FILTER,
        )
        if not path:
            return
        chosen = Path(path)
        self.workspace.remember(FOLDER_KEY, str(chosen.parent))
        with self.workspace.guarded(parent):
            instrument = instrument_service.read_definition(chosen)
            result = instrument_service.import_definition(self.workspace.db, instrument, self.now())
            sentence = result.sentence()
            if result.outcome != "unchanged":
                self._changed(sentence, instrument.id)
            box = QMessageBox(parent)
            box.setObjectName("instrumentImportedBox")
            box.setIcon(QMessageBox.Icon.Information)
            box.setWindowTitle(APP_NAME)
            box.setText(sentence)
            box.exec()

    def export(self, instrument_id: str) -> Path | None:
        """Save an instrument's definition as a file (a built-in one as a starting point)."""
        parent = self._parent()
        try:
            instrument = get_instrument(instrument_id)
        except DomainError as exc:
            self.workspace.complain(str(exc), parent)
            return None
        suggested = self.workspace.folder(FOLDER_KEY) / (
            f"{instrument.id}-version-{instrument.version}.json"
        )
        path, _ = QFileDialog.getSaveFileName(
            parent, f"Export {instrument.id}", str(suggested), DEFINITION_FILTER
        )
        if not path:
            return None
        target = Path(path)
        if target.suffix.lower() != ".json":
            target = target.with_name(target.name + ".json")
        # The save dialog asked before replacing the file it was given; a name it did not
        # see (".json" added here) is never written over.
        replace = target == Path(path)
        self.workspace.remember(FOLDER_KEY, str(target.parent))
        try:
            instrument_service.export_definition(
                self.workspace.db, instrument_id, target, force=replace
            )
        except (ServiceError, StorageError) as exc:
            self.workspace.complain(str(exc), parent)
            return None
        except DomainError as exc:  # a definition the file format cannot hold
            self.workspace.complain(
                f"{instrument_id} could not be written as a definition file: {exc}", parent
            )
            return None
        if is_built_in(instrument_id):
            then = (
                f" {instrument_id} is built in: to import a variant of it, change the id in "
                "the file first (for example add your practice's initials), as a built-in "
                "id cannot be imported."
            )
        else:
            then = " A colleague can import it with Measures → Instruments… → Import…."
        sentence = f"Exported {instrument_id} version {instrument.version} to {target}."
        if self.dialog is not None:
            self.dialog.say(sentence)
        box = QMessageBox(parent)
        box.setObjectName("instrumentExportedBox")
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(APP_NAME)
        box.setText(sentence)
        box.setInformativeText(then.strip())
        box.exec()
        return target

    # -- retiring and deleting -----------------------------------------------------------

    def retire_or_restore(self, instrument_id: str) -> None:
        """Retire an own instrument (new sessions stop offering it), or offer it again."""
        with self.workspace.guarded(self._parent()):
            db = self.workspace.db
            if is_retired(instrument_id):
                sentence = instrument_service.restore_instrument(db, instrument_id)
            else:
                sentence = instrument_service.retire_instrument(db, instrument_id, self.now())
            self._changed(sentence, instrument_id)

    def delete(self, instrument_id: str) -> None:
        """Delete an own instrument that has no measurements, after asking."""
        parent = self._parent()
        own = custom_instruments().get(instrument_id)
        if own is None:
            self.workspace.complain(f"{instrument_id} is built in and cannot be deleted.", parent)
            return
        versions = len(own.versions)
        every = f"all {versions} versions of its definition" if versions > 1 else "its definition"
        if not confirm_destructive(
            parent,
            "confirmDeleteInstrumentBox",
            "Delete instrument",
            f"Delete {instrument_id} ({own.current.name}) and {every}?",
            "Only an instrument without measurements can be deleted; one with data can be "
            "retired instead. This cannot be undone: export it first to keep a copy.",
        ):
            return
        with self.workspace.guarded(parent):
            sentence = instrument_service.delete_instrument(self.workspace.db, instrument_id)
            self._changed(sentence)
