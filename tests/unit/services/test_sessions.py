"""Recording a session: checks against the client's record, numbering, all-or-nothing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.services import clients, sessions
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientFields

NOW = datetime(2026, 11, 25, 18, 0)
SRS = {"instrument_id": "SRS", "taken_at": "2026-11-02T10:50", "item_values": [9, 9, 8.5, 9]}


@pytest.fixture
def client_id(new_db: Database) -> int:
    fields = ClientFields("C-1", "Zoë", "Łukasiewicz", Approach.CBT, date(2026, 10, 1))
    cid = clients.create_client(new_db, fields, today=date(2026, 11, 25)).client_id
    clients.add_goal(
        new_db, cid, "Sleep through the night", date(2026, 10, 1), today=date(2026, 11, 25)
    )
    return cid


def add(db: Database, cid: int, document: dict[str, Any]) -> sessions.SessionAdded:
    client = repository.load_client_tree(db, cid)
    assert client is not None
    return sessions.record_session(db, cid, sessions.parse_session(document, client), now=NOW)


def test_session_is_stored_whole_and_numbered_in_time_order(
    new_db: Database, client_id: int
) -> None:
    first = add(
        new_db,
        client_id,
        {
            "start": "2026-11-02T10:00",
            "measurements": [SRS],
            "goal_ratings": [{"goal": 1, "rating": 3}],
            "ruptures": [{"kind": "withdrawal", "resolved": True}],
        },
    )
    assert first.number == 1
    later = add(new_db, client_id, {"start": "2026-11-09T10:00"})
    earlier = add(new_db, client_id, {"start": "2026-10-26T10:00", "attendance": "cancelled"})
    assert (later.number, earlier.number) == (2, 1)
    tree = repository.load_client_tree(new_db, client_id)
    assert tree is not None
    assert [(s.number, s.start.day) for s in tree.sessions] == [(1, 26), (2, 2), (3, 9)]
    stored = tree.sessions[1]
    assert stored.measurements[0].item_values == [9, 9, 8.5, 9]
    assert stored.goal_ratings[0].rating == 3 and stored.ruptures[0].resolved
    summary = repository.list_client_rows(new_db, client_id=client_id)[0].summary
    assert summary is not None and (summary.attended, summary.cancelled) == (2, 1)
    assert new_db.health().healthy


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"start": "2026-09-30T10:00"}, "before C-1's intake"),
        ({"start": "2026-12-01T10:00"}, "in the future"),
        (
            {"start": "2026-11-20T10:00", "measurements": [{**SRS, "item_values": [9, 11, 9, 9]}]},
            "between 0 and 10",
        ),
        ({"start": "2026-11-20T10:00", "measurements": [SRS, SRS]}, "recorded twice"),
        (
            {"start": "2026-11-20T10:00", "attendance": "no_show", "measurements": [SRS]},
            "cannot carry measures",
        ),
        (
            {"start": "2026-11-20T10:00", "goal_ratings": [{"goal": 2, "rating": 5}]},
            "client has no goal 2",
        ),
        (
            {"start": "2026-11-20T10:00", "goal_ratings": [{"goal": 1, "rating": 11}]},
            "from 0 to 10",
        ),
        ({"start": "20/11/2026"}, "not a date and time"),
        ({"start": "2026-11-20T10:00", "notes": "x" * 1_000_001}, "longer than"),
    ],
)
def test_bad_sessions_are_refused_and_nothing_is_stored(
    new_db: Database, client_id: int, document: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        add(new_db, client_id, document)
    tree = repository.load_client_tree(new_db, client_id)
    assert tree is not None and tree.sessions == []


def test_a_one_megabyte_note_is_kept(new_db: Database, client_id: int) -> None:
    add(new_db, client_id, {"start": "2026-11-20T10:00", "notes": "ü" * 1_000_000})
    tree = repository.load_client_tree(new_db, client_id)
    assert tree is not None and len(tree.sessions[0].notes) == 1_000_000


def test_two_sessions_cannot_start_together(new_db: Database, client_id: int) -> None:
    add(new_db, client_id, {"start": "2026-11-20T10:00"})
    with pytest.raises(
        InvalidInput, match=r"already has session 1 \(2026-11-20 10:00 to 10:50\) at the same time"
    ):
        add(new_db, client_id, {"start": "2026-11-20T10:00"})


def test_closed_goals_cannot_be_rated(new_db: Database, client_id: int) -> None:
    from alliance_desktop.domain.vocabulary import GoalStatus

    goal = repository.list_goals(new_db, client_id)[0]
    clients.set_goal_status(new_db, goal.goal_id, GoalStatus.ACHIEVED, date(2026, 11, 1))
    with pytest.raises(InvalidInput, match="Goal 1 was closed on 2026-11-01, before this session"):
        add(
            new_db,
            client_id,
            {"start": "2026-11-20T10:00", "goal_ratings": [{"goal": 1, "rating": 8}]},
        )


def test_session_json_has_totals_and_goal_task_bond(new_db: Database, client_id: int) -> None:
    wai = {
        "instrument_id": "WAI-SR",
        "taken_at": "2026-11-20T10:50",
        "item_values": [4, 4, 5, 4, 4, 5, 4, 4, 5, 4, 4, 4],
    }
    srs = {**SRS, "taken_at": "2026-11-20T10:50"}
    add(new_db, client_id, {"start": "2026-11-20T10:00", "measurements": [srs, wai]})
    tree = repository.load_client_tree(new_db, client_id)
    assert tree is not None
    (row,) = [sessions.session_to_json(s) for s in tree.sessions]
    srs, wai_row = row["measurements"]
    assert srs["total"] == 35.5 and srs["item_values"] == [9, 9, 8.5, 9]
    # WAI-SR keys: goal = items 4, 6, 8, 11; task = 1, 2, 10, 12; bond = 3, 5, 7, 9.
    assert wai_row["subscales"] == {"goal": 17.0, "task": 16.0, "bond": 18.0}
    assert wai_row["total"] == 51


def test_the_clash_check_is_repeated_inside_the_write(new_db: Database, client_id: int) -> None:
    """Two programs can pass the service's check at once; the write itself refuses the second."""
    from alliance_desktop.storage.errors import SessionClash

    client = repository.load_client_tree(new_db, client_id)
    assert client is not None
    session = sessions.parse_session({"start": "2026-11-20T10:00"}, client)
    repository.save_session(new_db, client_id, session)
    with pytest.raises(SessionClash, match="already starts at 2026-11-20 10:00"):
        repository.save_session(new_db, client_id, session)
    tree = repository.load_client_tree(new_db, client_id)
    assert tree is not None and len(tree.sessions) == 1


def test_numbers_follow_start_times_even_after_gaps(new_db: Database, client_id: int) -> None:
    """An import may bring numbers with gaps (1, 2, 10); a new session mends the order."""
    from alliance_desktop.storage.records import SessionData

    client = repository.load_client_tree(new_db, client_id)
    assert client is not None
    for number, day in ((1, 2), (2, 9), (10, 16)):
        with new_db.write() as conn:
            conn.exec_driver_sql(
                "INSERT INTO sessions (client_id, number, start, duration_minutes, format,"
                " attendance, approach, notes, tasks_agreed, client_feedback)"
                " VALUES (?, ?, ?, 50, 'in_person', 'attended', 'cbt', '', '', '')",
                (client_id, number, f"2026-11-{day:02d} 10:00:00.000000"),
            )
    added = add(new_db, client_id, {"start": "2026-11-12T10:00"})
    assert added.number == 3
    tree = repository.load_client_tree(new_db, client_id)
    assert tree is not None
    assert [(s.number, s.start.day) for s in tree.sessions] == [(1, 2), (2, 9), (3, 12), (4, 16)]
    assert isinstance(tree.sessions[0], SessionData)


def test_unknown_fields_are_named_not_dropped(new_db: Database, client_id: int) -> None:
    with pytest.raises(InvalidInput, match="unknown fields 'note', 'srs'"):
        add(new_db, client_id, {"start": "2026-11-20T10:00", "note": "lost", "srs": [1, 1, 1, 1]})


def test_client_code_is_found_regardless_of_case(new_db: Database, client_id: int) -> None:
    assert sessions.client_for_code(new_db, " c-1 ") == client_id


def test_attended_sessions_may_not_overlap(new_db: Database, client_id: int) -> None:
    add(new_db, client_id, {"start": "2026-11-20T10:00", "duration_minutes": 50})
    with pytest.raises(
        InvalidInput, match=r"session 1 \(2026-11-20 10:00 to 10:50\), which overlaps"
    ):
        add(new_db, client_id, {"start": "2026-11-20T10:30"})
    add(new_db, client_id, {"start": "2026-11-20T10:50"})  # back to back is fine
    tree = repository.load_client_tree(new_db, client_id)
    assert tree is not None and len(tree.sessions) == 2


def test_a_cancelled_slot_may_sit_under_the_session_that_replaced_it(
    new_db: Database, client_id: int
) -> None:
    add(new_db, client_id, {"start": "2026-11-20T10:00", "attendance": "cancelled"})
    added = add(new_db, client_id, {"start": "2026-11-20T10:15"})
    assert added.number == 2


def test_a_measure_taken_far_from_the_session_is_refused(new_db: Database, client_id: int) -> None:
    late = {**SRS, "taken_at": "2026-11-20T10:50"}
    with pytest.raises(InvalidInput, match="too far from the session"):
        add(new_db, client_id, {"start": "2026-11-02T10:00", "measurements": [late]})
    tree = repository.load_client_tree(new_db, client_id)
    assert tree is not None and tree.sessions == []


def test_an_unknown_instrument_version_is_refused(new_db: Database, client_id: int) -> None:
    odd = {**SRS, "instrument_version": "2"}
    with pytest.raises(InvalidInput, match="SRS version '2' is not one this app scores"):
        add(new_db, client_id, {"start": "2026-11-02T10:00", "measurements": [odd]})


def test_a_json_measure_without_a_time_is_taken_at_the_session_start(
    new_db: Database, client_id: int
) -> None:
    srs = {"instrument_id": "SRS", "item_values": [9, 9, 9, 9]}
    add(new_db, client_id, {"start": "2026-11-02T10:00", "measurements": [srs]})
    tree = repository.load_client_tree(new_db, client_id)
    assert tree is not None
    assert tree.sessions[0].measurements[0].taken_at == datetime(2026, 11, 2, 10, 0)


def test_a_session_after_discharge_is_saved_with_a_warning(
    new_db: Database, client_id: int
) -> None:
    clients.discharge_client(new_db, client_id, date(2026, 11, 10))
    client = repository.load_client_tree(new_db, client_id)
    assert client is not None
    session = sessions.parse_session({"start": "2026-11-20T10:00"}, client)
    (warning,) = sessions.session_warnings(session, client)
    assert "discharged on 2026-11-10" in warning


def test_an_edited_session_is_replaced_whole_and_renumbered(
    new_db: Database, client_id: int
) -> None:
    first = add(new_db, client_id, {"start": "2026-11-02T10:00", "measurements": [SRS]})
    add(new_db, client_id, {"start": "2026-11-09T10:00"})
    _, session = sessions.load_session(new_db, client_id, first.session_id)
    session.start = datetime(2026, 11, 16, 10, 0)
    session.measurements = []
    session.notes = "moved to the week after"
    changed = sessions.save_session(
        new_db, client_id, session, session_id=first.session_id, now=NOW
    )
    assert (changed.kind, changed.session_id, changed.number) == (
        "session_changed",
        first.session_id,
        2,
    )
    tree = repository.load_client_tree(new_db, client_id)
    assert tree is not None
    assert [(s.number, s.start.day, s.notes) for s in tree.sessions] == [
        (1, 9, ""),
        (2, 16, "moved to the week after"),
    ]
    assert tree.sessions[1].measurements == []


def test_an_edit_does_not_clash_with_itself(new_db: Database, client_id: int) -> None:
    first = add(new_db, client_id, {"start": "2026-11-02T10:00"})
    _, session = sessions.load_session(new_db, client_id, first.session_id)
    session.duration_minutes = 60
    assert (
        sessions.save_session(
            new_db, client_id, session, session_id=first.session_id, now=NOW
        ).number
        == 1
    )


def test_deleting_a_session_renumbers_the_rest(new_db: Database, client_id: int) -> None:
    first = add(new_db, client_id, {"start": "2026-11-02T10:00", "measurements": [SRS]})
    add(new_db, client_id, {"start": "2026-11-09T10:00"})
    sessions.delete_session(new_db, client_id, first.session_id)
    tree = repository.load_client_tree(new_db, client_id)
    assert tree is not None
    assert [(s.number, s.start.day) for s in tree.sessions] == [(1, 9)]
    from alliance_desktop.services.errors import Conflict

    with pytest.raises(Conflict, match="no longer exists"):
        sessions.delete_session(new_db, client_id, first.session_id)


def test_the_whole_check_runs_inside_the_write(new_db: Database, client_id: int) -> None:
    """A goal closed by another window after the form was read is still caught on save."""
    from alliance_desktop.domain.vocabulary import GoalStatus

    client = repository.load_client_tree(new_db, client_id)
    assert client is not None
    session = sessions.parse_session(
        {"start": "2026-11-20T10:00", "goal_ratings": [{"goal": 1, "rating": 8}]}, client
    )
    goal = repository.list_goals(new_db, client_id)[0]
    clients.set_goal_status(new_db, goal.goal_id, GoalStatus.DROPPED, date(2026, 11, 5))
    with pytest.raises(InvalidInput, match="closed on 2026-11-05"):
        sessions.save_session(new_db, client_id, session, now=NOW)
    tree = repository.load_client_tree(new_db, client_id)
    assert tree is not None and tree.sessions == []


def test_a_lone_surrogate_in_json_is_refused_in_words(new_db: Database, client_id: int) -> None:
    client = repository.load_client_tree(new_db, client_id)
    assert client is not None
    with pytest.raises(InvalidInput, match="notes holds a broken character"):
        sessions.parse_session({"start": "2026-11-20T10:00", "notes": "bad \ud800"}, client)
