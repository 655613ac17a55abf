"""A session or client changed elsewhere while open in the window is not overwritten (issue 16).

The other writer is a second ``Database`` on the same file, saving through the services as
another window or the command line does. The user saves, reads one message, keeps what was
typed, and the database keeps the other writer's change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtWidgets import QPlainTextEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.services import clients, drafts, sessions
from alliance_desktop.storage import repository
from alliance_desktop.storage.records import ClientFields, SessionData
from alliance_desktop.ui.controllers.clients import CLIENT_CHANGED_ELSEWHERE
from alliance_desktop.ui.dialogs import ClientDialog
from alliance_desktop.ui.main_window import MainWindow
from alliance_desktop.ui.session_editor import CHANGED_ELSEWHERE, SessionEditor
from tests.keyed import open_database
from tests.ui.conftest import shown_window
from tests.ui.helpers import handle_modals, read_message

INTAKE = date(2026, 9, 1)
START = datetime(2026, 11, 18, 10, 0)
NOW = datetime(2026, 11, 25, 18, 0)  # when the other writer saves (passed, never read)


@pytest.fixture
def client_id(db_path: Path) -> int:
    """A client with one attended session rated on the SRS."""
    db = open_database(db_path)
    try:
        fields = ClientFields("C-0042", "Zoë", "Łukasiewicz", Approach.CBT, INTAKE)
        cid = clients.create_client(db, fields, today=NOW.date()).client_id
        tree = repository.load_client_tree(db, cid)
        assert tree is not None
        document = {
            "start": START.isoformat(timespec="minutes"),
            "notes": "As first written",
            "measurements": [{"instrument_id": "SRS", "item_values": [9.5, 9.5, 9.5, 9.5]}],
        }
        sessions.record_session(db, cid, sessions.parse_session(document, tree), now=NOW)
        return cid
    finally:
        db.close()


@pytest.fixture
def window(qtbot: QtBot, db_path: Path, client_id: int) -> Iterator[MainWindow]:
    with shown_window(qtbot, db_path) as main:
        yield main


def stored_session(db: object, client_id: int) -> SessionData:
    tree = repository.load_client_tree(db, client_id)  # type: ignore[arg-type]
    assert tree is not None
    (session,) = tree.sessions
    return session


def save_elsewhere(db_path: Path, client_id: int, notes: str) -> None:
    """What another window (or a script on the command line) does meanwhile."""
    other = open_database(db_path)
    try:
        theirs = stored_session(other, client_id)
        sessions.save_session(
            other,
            client_id,
            replace(theirs, notes=notes),
            session_id=theirs.session_id,
            expected_version=theirs.version,
            now=NOW,
        )
    finally:
        other.close()


def open_stored(window: MainWindow, qtbot: QtBot, client_id: int) -> SessionEditor:
    session_id = stored_session(window.db, client_id).session_id
    assert session_id is not None
    window.client_list.select_client(client_id)
    editor = window.sessions.open_session(client_id, session_id)
    assert editor is not None
    qtbot.waitExposed(editor)
    return editor


def type_notes(qtbot: QtBot, editor: SessionEditor, text: str) -> QPlainTextEdit:
    notes = editor.findChild(QPlainTextEdit, "notes")
    assert isinstance(notes, QPlainTextEdit)
    notes.setFocus()
    notes.selectAll()
    qtbot.keyClicks(notes, text)
    return notes


def test_a_session_changed_elsewhere_is_refused_and_the_typing_stays(
    qtbot: QtBot, window: MainWindow, db_path: Path, client_id: int, artifacts: Path
) -> None:
    editor = open_stored(window, qtbot, client_id)
    notes = type_notes(qtbot, editor, "Typed in the editor")
    save_elsewhere(db_path, client_id, "Written in the other window")

    messages: list[str] = []
    handle_modals([read_message(messages)])
    editor.save_button.click()

    assert messages == [CHANGED_ELSEWHERE + "\n"]
    assert editor.isVisible() and window.editors == [editor]
    assert notes.toPlainText() == "Typed in the editor"
    assert CHANGED_ELSEWHERE in editor.problem.text()
    editor.grab().save(str(artifacts / "editor_changed_elsewhere.png"))
    stored = stored_session(window.db, client_id)
    assert stored.notes == "Written in the other window" and stored.version == 2
    # The typing is kept as a draft too, on the version it was typed on.
    (draft,) = drafts.unsaved_drafts(window.db)
    assert draft.form.notes == "Typed in the editor" and draft.session_version == 1

    # Saving again (or "Save" when closing) is refused the same way; the editor stays.
    handle_modals([read_message(messages)])
    editor.save_button.click()
    assert len(messages) == 2 and editor.isVisible()
    assert stored_session(window.db, client_id).notes == "Written in the other window"


def test_the_session_opened_again_saves(
    qtbot: QtBot, window: MainWindow, db_path: Path, client_id: int
) -> None:
    save_elsewhere(db_path, client_id, "Written in the other window")
    editor = open_stored(window, qtbot, client_id)  # opened after the other save
    type_notes(qtbot, editor, "Re-applied in the editor")
    editor.save_button.click()
    assert window.editors == []
    stored = stored_session(window.db, client_id)
    assert stored.notes == "Re-applied in the editor" and stored.version == 3
    assert drafts.unsaved_drafts(window.db) == []


def test_a_draft_restored_after_the_session_changed_elsewhere_is_refused(
    qtbot: QtBot, window: MainWindow, db_path: Path, client_id: int
) -> None:
    """A draft left by a crash (or a lock) was typed on version 1; the session was saved
    elsewhere since. Restoring it must not overwrite that save unseen."""
    editor = open_stored(window, qtbot, client_id)
    type_notes(qtbot, editor, "Typed before the crash")
    editor.save_draft()
    editor.close_for_lock()  # closed keeping the draft, as a crash or a lock leaves it
    window.sessions.editor_closed(editor)
    save_elsewhere(db_path, client_id, "Written in the other window")

    (draft,) = drafts.unsaved_drafts(window.db)
    restored = window.sessions.open_editor(client_id, draft.session_id, draft)
    assert restored is not None
    qtbot.waitExposed(restored)
    notes = restored.findChild(QPlainTextEdit, "notes")
    assert isinstance(notes, QPlainTextEdit) and notes.toPlainText() == "Typed before the crash"
    messages: list[str] = []
    handle_modals([read_message(messages)])
    restored.save_button.click()
    assert messages == [CHANGED_ELSEWHERE + "\n"] and restored.isVisible()
    assert stored_session(window.db, client_id).notes == "Written in the other window"
    assert [d.draft_id for d in drafts.unsaved_drafts(window.db)] == [draft.draft_id]


def test_a_client_changed_elsewhere_is_refused_and_the_form_keeps_the_typing(
    qtbot: QtBot, window: MainWindow, db_path: Path, client_id: int
) -> None:
    assert window.client_list.select_client(client_id)
    messages: list[str] = []
    kept: list[tuple[str, str]] = []

    def edit_while_changed_elsewhere(dialog: QWidget) -> None:
        assert isinstance(dialog, ClientDialog)
        other = open_database(db_path)
        try:
            theirs = repository.get_client_fields(other, client_id)
            assert theirs is not None
            clients.update_client(
                other,
                client_id,
                replace(theirs, phone="+44 20 7946 0000"),
                today=NOW.date(),
                expected_version=theirs.version,
            )
        finally:
            other.close()
        dialog.given_name.setText("Zoe")
        dialog.email.setText("zoe@example.org")
        save = dialog.findChild(QPushButton, "saveClientButton")
        assert save is not None
        save.click()

    def look_then_cancel(dialog: QWidget) -> None:
        assert isinstance(dialog, ClientDialog)
        kept.append((dialog.given_name.text(), dialog.email.text()))
        dialog.reject()

    seen = handle_modals([edit_while_changed_elsewhere, read_message(messages), look_then_cancel])
    window.edit_client_action.trigger()

    assert seen == ["ClientDialog", "QMessageBox", "ClientDialog"]
    assert messages == [CLIENT_CHANGED_ELSEWHERE + "\n"]
    assert kept == [("Zoe", "zoe@example.org")]  # the form came back as typed
    stored = repository.get_client_fields(window.db, client_id)
    assert stored is not None
    assert (stored.given_name, stored.email, stored.phone) == ("Zoë", None, "+44 20 7946 0000")
    assert stored.version == 2
