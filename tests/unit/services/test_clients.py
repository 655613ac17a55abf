"""Client and goal use cases on a real database: validation, edits, discharge, delete, goals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from alliance_desktop.domain.vocabulary import Approach, ClientStatus, GoalStatus
from alliance_desktop.services import clients
from alliance_desktop.services.clients import ClientInvalid
from alliance_desktop.services.errors import Conflict, InvalidInput
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientFields
from tests.keyed import open_database

TODAY = date(2026, 11, 25)
ZOE = ClientFields(
    code="C-0042",
    given_name="Zoë",
    family_name="Łukasiewicz",
    approach=Approach.CBT,
    intake_date=date(2026, 3, 4),
    date_of_birth=date(1990, 5, 17),
    email="zoe@example.org",
    phone="07700 900123",
)


def test_create_and_read_back(new_db: Database) -> None:
    change = clients.create_client(new_db, ZOE, today=TODAY)
    assert change.kind == "client_added"
    record = clients.client_record(new_db, change.client_id)
    assert record.fields == ZOE
    assert record.row is not None and record.row.summary is not None
    assert record.row.summary.sessions_total == 0
    assert clients.next_client_code(new_db) == "C-0043"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": "  "}, "code", "Enter a client code"),
        ({"code": "C" * 21}, "code", "20 characters"),
        ({"code": "C-1;DROP"}, "code", "Use letters, digits"),
        ({"given_name": ""}, "given_name", "first name"),
        ({"family_name": "Ł" * 201}, "family_name", "200 characters"),
        ({"given_name": "Zo\në"}, "given_name", "line break"),
        ({"date_of_birth": date(2027, 1, 1)}, "date_of_birth", "in the future"),
        ({"date_of_birth": date(1890, 1, 1)}, "date_of_birth", "before 1900"),
        ({"intake_date": date(2028, 1, 1)}, "intake_date", "more than a year ahead"),
        ({"intake_date": date(1980, 1, 1)}, "intake_date", "before the date of birth"),
        (
            {"discharge_date": date(2026, 1, 1), "status": ClientStatus.DISCHARGED},
            "discharge_date",
            "cannot be before intake",
        ),
        ({"discharge_date": date(2026, 6, 1)}, "discharge_date", "status is not Discharged"),
        ({"status": ClientStatus.DISCHARGED}, "discharge_date", "Enter the date of discharge"),
        ({"email": "zoe at example"}, "email", "e-mail address"),
        ({"phone": "call me maybe"}, "phone", "digits"),
    ],
)
def test_each_invalid_field_is_named_and_nothing_is_saved(
    new_db: Database, changes: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ClientInvalid) as excinfo:
        clients.create_client(new_db, replace(ZOE, **changes), today=TODAY)  # type: ignore[arg-type]
    assert field in excinfo.value.errors
    assert message in excinfo.value.errors[field]
    assert repository.count_clients(new_db) == 0


def test_codes_are_unique_ignoring_case(new_db: Database) -> None:
    clients.create_client(new_db, ZOE, today=TODAY)
    with pytest.raises(ClientInvalid, match="already has the code"):
        clients.create_client(new_db, replace(ZOE, code="c-0042"), today=TODAY)
    assert repository.count_clients(new_db) == 1


def test_edit_keeps_own_code_and_unicode(new_db: Database) -> None:
    client_id = clients.create_client(new_db, ZOE, today=TODAY).client_id
    for name in ("Ёлка", "عائشة", "Kai 🌊"):
        clients.update_client(new_db, client_id, replace(ZOE, given_name=name), today=TODAY)
        assert clients.client_record(new_db, client_id).fields.given_name == name


def test_discharge_and_delete(new_db: Database) -> None:
    client_id = clients.create_client(new_db, ZOE, today=TODAY).client_id
    clients.discharge_client(new_db, client_id, date(2026, 11, 20))
    fields = clients.client_record(new_db, client_id).fields
    assert fields.status is ClientStatus.DISCHARGED and fields.discharge_date == date(2026, 11, 20)
    with pytest.raises(ClientInvalid, match="cannot be before intake"):
        clients.discharge_client(new_db, client_id, date(2026, 1, 1))
    assert clients.delete_client(new_db, client_id).kind == "client_deleted"
    assert repository.count_clients(new_db) == 0
    with pytest.raises(InvalidInput, match="no longer exists"):
        clients.delete_client(new_db, client_id)


def test_delete_removes_everything_recorded(demo_db_path: object) -> None:
    db = open_database(demo_db_path)  # type: ignore[arg-type]
    try:
        row = repository.list_client_rows(db)[0]
        assert clients.client_record(db, row.client_id).sessions
        clients.delete_client(db, row.client_id)
        assert db.health().healthy
        with db.read() as conn:
            orphans = conn.exec_driver_sql(
                "SELECT count(*) FROM sessions WHERE client_id = ?", (row.client_id,)
            ).scalar()
        assert orphans == 0
    finally:
        db.close()


def test_goals_up_to_three_active(new_db: Database) -> None:
    client_id = clients.create_client(new_db, ZOE, today=TODAY).client_id
    for text in ("Sleep through the night", "Go back to work", "See friends weekly"):
        clients.add_goal(new_db, client_id, text, date(2026, 3, 11))
    with pytest.raises(Conflict, match="already has 3 active goals"):
        clients.add_goal(new_db, client_id, "A fourth", date(2026, 3, 11))
    goals = repository.list_goals(new_db, client_id)
    clients.set_goal_status(new_db, goals[0].goal_id, GoalStatus.ACHIEVED, date(2026, 9, 1))
    clients.add_goal(new_db, client_id, "A fourth", date(2026, 9, 1))
    statuses = [g.status for g in repository.list_goals(new_db, client_id)]
    assert statuses == [GoalStatus.ACHIEVED, *[GoalStatus.ACTIVE] * 3]
    with pytest.raises(Conflict, match="already 3 active goals"):
        clients.set_goal_status(new_db, goals[0].goal_id, GoalStatus.ACTIVE, TODAY)


def test_goal_validation(new_db: Database) -> None:
    client_id = clients.create_client(new_db, ZOE, today=TODAY).client_id
    with pytest.raises(InvalidInput, match="Describe the goal"):
        clients.add_goal(new_db, client_id, "   ", date(2026, 3, 11))
    with pytest.raises(InvalidInput, match="before the intake"):
        clients.add_goal(new_db, client_id, "Sleep", date(2026, 1, 1))
    clients.add_goal(new_db, client_id, "Sleep", date(2026, 3, 11))
    goal = repository.list_goals(new_db, client_id)[0]
    with pytest.raises(InvalidInput, match="cannot close before it was agreed"):
        clients.set_goal_status(new_db, goal.goal_id, GoalStatus.DROPPED, date(2026, 3, 1))
    clients.edit_goal(new_db, goal.goal_id, "Sleep seven hours", date(2026, 3, 12))
    (edited,) = repository.list_goals(new_db, client_id)
    assert (edited.description, edited.agreed_on) == ("Sleep seven hours", date(2026, 3, 12))


def test_record_of_a_demo_client_has_scores_and_goal_progress(demo_db_path: object) -> None:
    db = open_database(demo_db_path)  # type: ignore[arg-type]
    try:
        row = max(repository.list_client_rows(db), key=lambda r: r.summary.attended)  # type: ignore[union-attr]
        record = clients.client_record(db, row.client_id)
    finally:
        db.close()
    attended = [s for s in record.sessions if s.scores]
    assert attended and all("SRS" in s.scores and "ORS" in s.scores for s in attended)
    assert any(g.first_rating is not None and g.latest_rating is not None for g in record.goals)


def test_goal_edits_are_checked_like_new_goals(new_db: Database) -> None:
    client_id = clients.create_client(new_db, ZOE, today=TODAY).client_id
    with pytest.raises(InvalidInput, match="in the future"):
        clients.add_goal(new_db, client_id, "Sleep", date(2027, 1, 1), today=TODAY)
    clients.add_goal(new_db, client_id, "Sleep", date(2026, 3, 11), today=TODAY)
    goal = repository.list_goals(new_db, client_id)[0]
    with pytest.raises(InvalidInput, match="before the intake"):
        clients.edit_goal(new_db, goal.goal_id, "Sleep", date(1990, 1, 1), today=TODAY)
    with pytest.raises(InvalidInput, match="in the future"):
        clients.edit_goal(new_db, goal.goal_id, "Sleep", date(2030, 1, 1), today=TODAY)
    clients.set_goal_status(new_db, goal.goal_id, GoalStatus.ACHIEVED, date(2026, 6, 1))
    with pytest.raises(InvalidInput, match="closed on 2026-06-01"):
        clients.edit_goal(new_db, goal.goal_id, "Sleep", date(2026, 7, 1), today=TODAY)
    assert repository.list_goals(new_db, client_id)[0].agreed_on == date(2026, 3, 11)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"presenting_concern": "x" * 1_000_000}, "presenting_concern"),
        ({"address": "1 Long Road\n" * 200}, "address"),
    ],
)
def test_very_long_text_is_refused_with_a_reason(
    new_db: Database, changes: dict[str, str], field: str
) -> None:
    with pytest.raises(ClientInvalid) as excinfo:
        clients.create_client(new_db, replace(ZOE, **changes), today=TODAY)  # type: ignore[arg-type]
    assert "characters or fewer" in excinfo.value.errors[field]
    assert repository.count_clients(new_db) == 0


def test_future_birth_date_gives_one_message(new_db: Database) -> None:
    errors = clients.validate_client(
        new_db, replace(ZOE, date_of_birth=date(2999, 1, 1)), today=TODAY
    )
    assert list(errors) == ["date_of_birth"]


def test_one_record_recomputes_only_its_own_stale_summary(demo_db_path: object) -> None:
    from alliance_desktop.domain.alerts import AlertSettings
    from alliance_desktop.domain.instruments import CutoffComparison
    from alliance_desktop.services import settings as settings_service

    db = open_database(demo_db_path)  # type: ignore[arg-type]
    try:
        rows = repository.list_client_rows(db)
        old_key = rows[0].summary.rules_key  # type: ignore[union-attr]
        settings_service.save_alert_settings(
            db, AlertSettings(srs_cutoff_comparison=CutoffComparison.LE)
        )
        record = clients.client_record(db, rows[0].client_id)
        assert record.row is not None and record.row.summary.rules_key != old_key  # type: ignore[union-attr]
        others = repository.list_client_rows(db)[1:]
        assert all(r.summary.rules_key == old_key for r in others)  # type: ignore[union-attr]
    finally:
        db.close()
