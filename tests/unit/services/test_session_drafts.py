"""Saving a session and deleting its editor draft are one transaction (issue 15).

A real database file throughout: the draft is gone exactly when the session is stored, and
still there (to be offered again) when the session was refused or the write failed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.services import clients, drafts, sessions
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.session_form import SessionForm
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import (
    ClientData,
    ClientFields,
    ClientSummaryData,
    SessionData,
)
from tests.keyed import open_database

NOW = datetime(2026, 11, 25, 18, 0)
TODAY = NOW.date()


@pytest.fixture
def client_id(new_db: Database) -> int:
    fields = ClientFields("C-7", "Omar", "Barakat", Approach.CBT, date(2026, 10, 1))
    return clients.create_client(new_db, fields, today=TODAY).client_id


def typed(notes: str) -> SessionForm:
    return SessionForm(start="2026-11-20 10:00", notes=notes)


def session(db: Database, client_id: int, start: str) -> SessionData:
    client = repository.load_client_tree(db, client_id)
    assert client is not None
    return sessions.parse_session({"start": start, "notes": "kept"}, client)


def draft_ids(db: Database) -> list[int]:
    return [d.draft_id for d in drafts.unsaved_drafts(db)]


def reopened(path: Path) -> tuple[list[int], int]:
    """The drafts and the number of sessions as the file holds them (a fresh connection)."""
    db = open_database(path)
    try:
        trees = repository.load_client_trees(db)
        return draft_ids(db), sum(len(t.sessions) for t in trees)
    finally:
        db.close()


def test_saving_deletes_the_draft_in_the_same_write(
    new_db: Database, client_id: int, db_path: Path
) -> None:
    mine = drafts.save_draft(new_db, None, client_id, None, typed("mine"))
    other = drafts.save_draft(new_db, None, client_id, None, typed("another editor's"))
    added = sessions.save_session(
        new_db, client_id, session(new_db, client_id, "2026-11-20T10:00"), now=NOW, draft_id=mine
    )
    assert added.number == 1
    assert draft_ids(new_db) == [other]  # only this editor's draft goes
    assert reopened(db_path) == ([other], 1)


def test_an_edited_session_takes_its_draft_with_it(new_db: Database, client_id: int) -> None:
    first = sessions.save_session(
        new_db, client_id, session(new_db, client_id, "2026-11-20T10:00"), now=NOW
    )
    draft = drafts.save_draft(new_db, None, client_id, first.session_id, typed("edited"))
    sessions.save_session(
        new_db,
        client_id,
        session(new_db, client_id, "2026-11-20T11:00"),
        session_id=first.session_id,
        now=NOW,
        draft_id=draft,
    )
    assert draft_ids(new_db) == []


def test_a_draft_already_gone_does_not_stop_the_save(new_db: Database, client_id: int) -> None:
    draft = drafts.save_draft(new_db, None, client_id, None, typed("discarded elsewhere"))
    drafts.discard_draft(new_db, draft)
    sessions.save_session(
        new_db, client_id, session(new_db, client_id, "2026-11-20T10:00"), now=NOW, draft_id=draft
    )
    tree = repository.load_client_tree(new_db, client_id)
    assert tree is not None and len(tree.sessions) == 1


def test_a_refused_session_keeps_its_draft(new_db: Database, client_id: int, db_path: Path) -> None:
    draft = drafts.save_draft(new_db, None, client_id, None, typed("before intake"))
    before_intake = session(new_db, client_id, "2026-09-20T10:00")
    with pytest.raises(InvalidInput, match="before C-7's intake"):
        sessions.save_session(new_db, client_id, before_intake, now=NOW, draft_id=draft)
    assert reopened(db_path) == ([draft], 0)


def test_a_write_that_fails_after_the_draft_was_deleted_keeps_both(
    new_db: Database, client_id: int, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fault comes last in the transaction (the client-list summary, written after the
    session's rows and the draft's deletion): all of it is rolled back."""
    draft = drafts.save_draft(new_db, None, client_id, None, typed("crash insurance"))

    def failing_summariser(_db: Database) -> Callable[[ClientData], ClientSummaryData]:
        def summarise(_client: ClientData) -> ClientSummaryData:
            raise OSError("disk I/O error (injected)")

        return summarise

    monkeypatch.setattr(sessions, "_summariser", failing_summariser)
    with pytest.raises(OSError, match="injected"):
        sessions.save_session(
            new_db,
            client_id,
            session(new_db, client_id, "2026-11-20T10:00"),
            now=NOW,
            draft_id=draft,
        )
    assert reopened(db_path) == ([draft], 0)
    monkeypatch.undo()
    sessions.save_session(
        new_db, client_id, session(new_db, client_id, "2026-11-20T10:00"), now=NOW, draft_id=draft
    )
    assert reopened(db_path) == ([], 1)


def test_a_draft_that_cannot_be_deleted_stops_the_session_too(
    new_db: Database, client_id: int, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other way round: the session's rows are written first, then the draft fails to
    go; a session saved without its draft going would be offered again as a draft."""
    draft = drafts.save_draft(new_db, None, client_id, None, typed("crash insurance"))

    def failing_delete(_conn: object, _draft_id: int) -> None:
        raise OSError("disk I/O error (injected)")

    monkeypatch.setattr(repository, "_delete_draft", failing_delete)
    with pytest.raises(OSError, match="injected"):
        sessions.save_session(
            new_db,
            client_id,
            session(new_db, client_id, "2026-11-20T10:00"),
            now=NOW,
            draft_id=draft,
        )
    assert reopened(db_path) == ([draft], 0)
