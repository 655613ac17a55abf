"""Edits never silently overwrite each other (issue 16): row versions and one start per moment.

Two ``Database`` objects on one real file stand for two windows, or a window and the command
line: what one saved after the other read is never overwritten by the other's save.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.services import clients, drafts, sessions
from alliance_desktop.services.errors import Conflict, InvalidInput
from alliance_desktop.services.session_form import editor_context
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.errors import (
    EditConflict,
    MigrationRefused,
    RecordGone,
    SessionClash,
)
from alliance_desktop.storage.records import ClientData, ClientFields, SessionData
from tests.keyed import encrypted_copy, open_database, raw_connect

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 18, 0)
FIELDS = ClientFields("C-1", "Zoë", "Łukasiewicz", Approach.CBT, date(2026, 10, 1))


@pytest.fixture
def two(db_path: Path) -> Iterator[tuple[Database, Database, int]]:
    """Two open databases on one file (two windows, or a window and the command line),
    with a client who has two sessions."""
    first = open_database(db_path)
    second = open_database(db_path)
    try:
        client_id = clients.create_client(first, FIELDS, today=TODAY).client_id
        for start in ("2026-11-02T10:00", "2026-11-09T10:00"):
            add(first, client_id, start)
        yield first, second, client_id
    finally:
        second.close()
        first.close()


def add(db: Database, client_id: int, start: str, **more: Any) -> sessions.SessionAdded:
    tree = repository.load_client_tree(db, client_id)
    assert tree is not None
    document = {"start": start, **more}
    return sessions.record_session(db, client_id, sessions.parse_session(document, tree), now=NOW)


def session_of(db: Database, client_id: int, number: int) -> SessionData:
    tree = repository.load_client_tree(db, client_id)
    assert tree is not None
    return next(s for s in tree.sessions if s.number == number)


def save(db: Database, client_id: int, session: SessionData, **options: Any) -> None:
    assert session.session_id is not None
    sessions.save_session(db, client_id, session, session_id=session.session_id, now=NOW, **options)


# -- sessions ----------------------------------------------------------------------------


def test_a_session_saved_elsewhere_after_it_was_read_is_not_overwritten(
    two: tuple[Database, Database, int],
) -> None:
    window, cli, client_id = two
    mine = session_of(window, client_id, 2)  # the editor opens it
    assert mine.version == 1
    draft_id = drafts.save_draft(
        window,
        None,
        client_id,
        mine.session_id,
        editor_context(window, client_id, mine.session_id, now=NOW).form,
        session_version=mine.version,
    )
    theirs = session_of(cli, client_id, 2)
    save(cli, client_id, replace(theirs, notes="Written by the other one"), expected_version=1)

    with pytest.raises(EditConflict, match="Session 2 of C-1 was changed elsewhere"):
        save(
            window,
            client_id,
            replace(mine, notes="Typed in the editor"),
            expected_version=mine.version,
            draft_id=draft_id,
        )
    stored = session_of(window, client_id, 2)
    assert stored.notes == "Written by the other one" and stored.version == 2
    # The refused save left the draft (it goes only with a stored session).
    (draft,) = drafts.unsaved_drafts(window)
    assert draft.draft_id == draft_id and draft.session_version == 1


def test_each_save_raises_the_version_and_a_save_on_the_new_one_passes(
    two: tuple[Database, Database, int],
) -> None:
    window, cli, client_id = two
    for expected in (1, 2, 3):
        current = session_of(cli, client_id, 1)
        assert current.version == expected
        save(
            window, client_id, replace(current, notes=f"edit {expected}"), expected_version=expected
        )
    assert session_of(cli, client_id, 1).version == 4
    assert session_of(cli, client_id, 2).version == 1  # its neighbour was not touched


def test_renumbering_is_not_an_edit(two: tuple[Database, Database, int]) -> None:
    """A session entered earlier moves the others up one; an editor open on one of them
    still saves (its content was not changed by anyone)."""
    window, cli, client_id = two
    mine = session_of(window, client_id, 2)
    add(cli, client_id, "2026-10-26T10:00")
    save(window, client_id, replace(mine, notes="Still mine to save"), expected_version=1)
    stored = session_of(cli, client_id, 3)
    assert stored.notes == "Still mine to save" and stored.version == 2


def test_a_session_deleted_elsewhere_is_gone_not_a_conflict(
    two: tuple[Database, Database, int],
) -> None:
    window, cli, client_id = two
    mine = session_of(window, client_id, 2)
    assert mine.session_id is not None
    sessions.delete_session(cli, client_id, mine.session_id)
    with pytest.raises(Conflict, match="no longer exists"):
        save(window, client_id, mine, expected_version=1)


# -- clients -----------------------------------------------------------------------------


def test_a_client_changed_elsewhere_after_it_was_read_is_not_overwritten(
    two: tuple[Database, Database, int],
) -> None:
    window, cli, client_id = two
    mine = repository.get_client_fields(window, client_id)  # the client form opens
    assert mine is not None and mine.version == 1
    theirs = repository.get_client_fields(cli, client_id)
    assert theirs is not None
    clients.update_client(
        cli,
        client_id,
        replace(theirs, phone="+44 20 7946 0000"),
        today=TODAY,
        expected_version=theirs.version,
    )
    with pytest.raises(EditConflict, match="Client C-1 was changed elsewhere"):
        clients.update_client(
            window,
            client_id,
            replace(mine, given_name="Zoe", code="C-1b"),  # named as stored, not as typed
            today=TODAY,
            expected_version=mine.version,
        )
    stored = repository.get_client_fields(window, client_id)
    assert stored is not None
    assert (stored.given_name, stored.phone, stored.version) == ("Zoë", "+44 20 7946 0000", 2)
    # Read again, the form saves.
    clients.update_client(
        window, client_id, replace(stored, given_name="Zoe"), today=TODAY, expected_version=2
    )
    again = repository.get_client_fields(cli, client_id)
    assert again is not None and (again.given_name, again.version) == ("Zoe", 3)


def test_a_session_saved_is_not_a_change_to_the_client(
    two: tuple[Database, Database, int],
) -> None:
    window, cli, client_id = two
    mine = repository.get_client_fields(window, client_id)
    assert mine is not None
    add(cli, client_id, "2026-11-16T10:00")
    clients.update_client(
        window,
        client_id,
        replace(mine, phone="0161 496 0000"),
        today=TODAY,
        expected_version=mine.version,
    )


def test_discharging_works_on_the_client_as_it_is(two: tuple[Database, Database, int]) -> None:
    window, cli, client_id = two
    theirs = repository.get_client_fields(cli, client_id)
    assert theirs is not None
    clients.update_client(cli, client_id, replace(theirs, phone="0161 496 0000"), today=TODAY)
    clients.discharge_client(window, client_id, date(2026, 11, 20))
    stored = repository.get_client_fields(cli, client_id)
    assert stored is not None and stored.phone == "0161 496 0000"
    assert stored.discharge_date == date(2026, 11, 20) and stored.version == 3


def test_a_client_deleted_elsewhere_is_gone(two: tuple[Database, Database, int]) -> None:
    window, cli, client_id = two
    with pytest.raises(RecordGone):
        repository.update_client(window, client_id + 1000, FIELDS, expected_version=1)
    mine = repository.get_client_fields(window, client_id)
    assert mine is not None
    clients.delete_client(cli, client_id)
    with pytest.raises(InvalidInput, match="no longer exists"):
        clients.update_client(window, client_id, mine, expected_version=mine.version)


# -- one start per moment ------------------------------------------------------------------


def test_the_same_start_is_refused_by_the_index_whoever_writes(
    two: tuple[Database, Database, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer the check cannot see (as on a server database) stored a session at this
    moment first: the unique index refuses the second, and it reads as a SessionClash."""
    window, _cli, client_id = two
    real = repository._load_trees

    def without_sessions(conn: Any, cid: int | None) -> list[ClientData]:
        trees = real(conn, cid)
        for tree in trees:
            tree.sessions = []  # the check sees no other session
        return trees

    monkeypatch.setattr(repository, "_load_trees", without_sessions)
    tree = real_tree(window, client_id)
    session = sessions.parse_session({"start": "2026-11-09T10:00"}, tree)
    with pytest.raises(SessionClash, match="already starts at 2026-11-09 10:00"):
        repository.save_session(window, client_id, session)
    monkeypatch.undo()
    assert [s.start.day for s in real_tree(window, client_id).sessions] == [2, 9]
    unique = "UNIQUE constraint failed: sessions.client_id, sessions.start"
    with raw_connect(window.path) as conn, pytest.raises(Exception, match=unique):
        conn.execute(
            "INSERT INTO sessions (client_id, number, start, duration_minutes, format, "
            "attendance, approach, notes, tasks_agreed, client_feedback) SELECT client_id, "
            "99, start, duration_minutes, format, attendance, approach, '', '', '' "
            "FROM sessions WHERE number = 1"
        )
    conn.close()


def real_tree(db: Database, client_id: int) -> ClientData:
    tree = repository.load_client_tree(db, client_id)
    assert tree is not None
    return tree


def test_an_import_with_two_sessions_at_one_moment_names_them(new_db: Database) -> None:
    session = SessionData(1, datetime(2026, 11, 2, 10, 0), Approach.CBT)
    client = ClientData(
        "C-9",
        "Ada",
        "Byron",
        Approach.CBT,
        date(2026, 10, 1),
        sessions=[session, replace(session, number=2)],
    )
    with pytest.raises(SessionClash, match="C-9 has two sessions starting at 2026-11-02 10:00"):
        repository.insert_client_trees(new_db, [client])
    assert repository.count_clients(new_db) == 0


# -- the migration -------------------------------------------------------------------------


def test_the_0005_fixture_migrates_to_versions_and_the_index(tmp_path: Path) -> None:
    path = encrypted_copy(FIXTURES / "schema_0005_client_code_keys.db", tmp_path / "old.db")
    db = open_database(path)
    try:
        rows = repository.list_client_rows(db)
        first = rows[0].client_id
        fields = repository.get_client_fields(db, first)
        assert fields is not None and fields.version == 1
        tree = real_tree(db, first)
        assert {s.version for s in tree.sessions} == {1}
        with db.read() as conn:
            index = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'uq_sessions_client_start'"
            ).scalar()
        assert index is not None and "UNIQUE" in index
        taken = tree.sessions[0]
        with pytest.raises(SessionClash, match="two sessions cannot start at the same time"):
            repository.save_session(db, first, replace(taken, notes="again"))
    finally:
        db.close()


def test_the_migration_refuses_two_sessions_of_one_client_at_one_moment(tmp_path: Path) -> None:
    """Data from before 0006 breaking the rule: the update refuses, says which sessions,
    and leaves the database as it was."""
    plain = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / "schema_0005_client_code_keys.db", plain)
    conn = sqlite3.connect(plain)
    code, number, start = conn.execute(
        "SELECT c.code, s.number, s.start FROM sessions s JOIN clients c ON c.id = s.client_id "
        "ORDER BY c.code, s.number LIMIT 1"
    ).fetchone()
    conn.execute(
        "INSERT INTO sessions (client_id, number, start, duration_minutes, format, attendance, "
        "approach, notes, tasks_agreed, client_feedback) SELECT client_id, 1000, start, "
        "duration_minutes, 'in_person', 'cancelled', approach, '', '', '' FROM sessions "
        "WHERE client_id = (SELECT id FROM clients WHERE code = ?) AND number = ?",
        (code, number),
    )
    conn.commit()
    conn.close()
    path = encrypted_copy(plain, tmp_path / "practice.db")
    before = _columns_and_count(path)
    with pytest.raises(MigrationRefused) as refused:
        open_database(path)
    message = str(refused.value)
    moment = datetime.fromisoformat(start)
    assert f"{code}: sessions {number} and 1000 at {moment:%Y-%m-%d %H:%M}" in message
    assert "start at the same moment" in message and "left as it was" in message
    assert _columns_and_count(path) == before  # no version column, every row as it was
    check = raw_connect(path)
    try:
        revision = check.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        check.close()
    assert revision == "0005_client_code_keys"


def _columns_and_count(path: Path) -> tuple[list[str], list[str], int]:
    conn = raw_connect(path)
    try:
        clients_columns = [r[1] for r in conn.execute("PRAGMA table_info(clients)")]
        session_columns = [r[1] for r in conn.execute("PRAGMA table_info(sessions)")]
        count = conn.execute("SELECT count(*) FROM sessions").fetchone()[0]
    finally:
        conn.close()
    return clients_columns, session_columns, count
