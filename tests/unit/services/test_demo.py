"""The demo caseload: deterministic, realistic, scoreable, and never mixed with real records."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from alliance_desktop.domain.instruments import SRS, get_instrument
from alliance_desktop.domain.scoring import score
from alliance_desktop.domain.vocabulary import Approach, Attendance, ClientStatus
from alliance_desktop.services.demo import draw_client, generate_demo
from alliance_desktop.services.errors import Conflict, InvalidInput
from alliance_desktop.services.transfer import client_to_json
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientData
from tests.conftest import DEMO_AS_OF
from tests.keyed import open_database


def draw_many(count: int, seed: int = 11, as_of: date = DEMO_AS_OF) -> list[ClientData]:
    return [draw_client(seed, i, 4, as_of) for i in range(count)]


def test_same_seed_and_date_give_identical_clients() -> None:
    first = [client_to_json(c) for c in draw_many(30)]
    second = [client_to_json(c) for c in draw_many(30)]
    assert first == second


def test_other_seed_gives_other_clients() -> None:
    assert [client_to_json(c) for c in draw_many(10, seed=1)] != [
        client_to_json(c) for c in draw_many(10, seed=2)
    ]


def test_a_smaller_demo_is_a_prefix_of_a_larger_one() -> None:
    assert [client_to_json(c) for c in draw_many(5)] == [
        client_to_json(c) for c in draw_many(12)[:5]
    ]


def test_caseload_is_realistic() -> None:
    clients = draw_many(300)
    approaches = Counter(c.approach for c in clients)
    assert {Approach.CBT, Approach.PSYCHODYNAMIC, Approach.HUMANISTIC} <= approaches.keys()
    statuses = Counter(c.status for c in clients)
    assert statuses[ClientStatus.ACTIVE] and statuses[ClientStatus.DISCHARGED]
    assert statuses[ClientStatus.PAUSED]
    sessions = [s for c in clients for s in c.sessions]
    attendance = Counter(s.attendance for s in sessions)
    assert 0.03 < attendance[Attendance.CANCELLED] / len(sessions) < 0.15
    assert attendance[Attendance.NO_SHOW] > 0
    # Weekly rhythm: consecutive sessions are a whole number of weeks apart.
    for c in clients[:50]:
        for a, b in zip(c.sessions, c.sessions[1:], strict=False):
            assert (b.start - a.start).days % 7 == 0 and b.start > a.start
            assert b.number == a.number + 1
    ruptures = [r for s in sessions for r in s.ruptures]
    assert ruptures and any(r.repair for r in ruptures) and any(r.resolved for r in ruptures)
    assert all(g.description for c in clients for g in c.goals)
    assert all(1 <= len(c.goals) <= 3 for c in clients)
    assert any(s.goal_ratings for s in sessions)
    # Drop-outs: discharged clients whose therapy ended in missed sessions.
    assert any(
        c.status is ClientStatus.DISCHARGED and c.sessions[-1].attendance is not Attendance.ATTENDED
        for c in clients
    )
    # Nothing in the future, nothing before intake.
    assert all(c.intake_date <= s.start.date() < DEMO_AS_OF for c in clients for s in c.sessions)


def test_every_measurement_scores_and_alliance_dips_below_cutoff() -> None:
    clients = draw_many(200)
    srs_totals: list[float] = []
    ors_change: list[float] = []
    for c in clients:
        ors: list[float] = []
        for s in c.sessions:
            for m in s.measurements:
                result = score(get_instrument(m.instrument_id), m.item_values)
                assert result.total is not None
                if m.instrument_id == "SRS":
                    srs_totals.append(result.total)
                if m.instrument_id == "ORS":
                    ors.append(result.total)
            assert all(0 <= r.rating <= 10 for r in s.goal_ratings)
        if len(ors) >= 6:
            ors_change.append(ors[-1] - ors[0])
    assert SRS.norms is not None and SRS.norms.cutoff is not None
    below = [t for t in srs_totals if t < SRS.norms.cutoff]
    assert 0.03 < len(below) / len(srs_totals) < 0.5  # dips happen but are not the rule
    assert statistics.median(ors_change) > 3  # most clients improve
    assert min(ors_change) < -2  # and some get worse


def test_generate_demo_writes_clients_and_summaries(db_path: Path) -> None:
    db = open_database(db_path)
    try:
        result = generate_demo(db, 30, seed=5, as_of=DEMO_AS_OF)
        assert result.clients == 30 and result.sessions > 200
        rows = repository.list_client_rows(db)
        assert len(rows) == 30
        assert all(r.summary is not None for r in rows)
        assert db.health().healthy
    finally:
        db.close()


def test_demo_refuses_non_empty_database(new_db: Database) -> None:
    real = draw_many(2)  # stands in for real records: written without the demo marker
    repository.insert_client_trees(new_db, real)
    with pytest.raises(Conflict, match="already holds 2 clients; a demo caseload is only"):
        generate_demo(new_db, 2)
    assert repository.count_clients(new_db) == 2
    assert repository.get_setting(new_db, "demo_caseload") is None


@pytest.mark.parametrize("count", [0, -1, 100_001, True, 2.5])
def test_demo_refuses_bad_counts(new_db: Database, count: object) -> None:
    with pytest.raises(InvalidInput, match=r"whole number|between 1 and"):
        generate_demo(new_db, count)  # type: ignore[arg-type]
    assert repository.count_clients(new_db) == 0


def test_demo_database_is_marked_and_real_one_is_not(new_db: Database, tmp_path: Path) -> None:
    from alliance_desktop.services.demo import is_demo_database

    assert not is_demo_database(new_db)
    generate_demo(new_db, 3, seed=9, as_of=DEMO_AS_OF)
    assert is_demo_database(new_db)
    assert repository.get_setting(new_db, "demo_caseload") == {
        "clients": 3,
        "seed": 9,
        "as_of": DEMO_AS_OF.isoformat(),
    }


def test_sessions_fall_on_weekdays_and_goals_are_agreed_at_the_start() -> None:
    clients = draw_many(200)
    assert all(s.start.weekday() < 5 for c in clients for s in c.sessions)
    for c in clients:
        first = c.sessions[0].start.date() if c.sessions else c.intake_date
        assert all(g.agreed_on <= first for g in c.goals)


def test_goal_outcomes_follow_the_course_of_therapy() -> None:
    from alliance_desktop.domain.vocabulary import GoalStatus

    clients = draw_many(300)
    closed = [g.status for c in clients if c.status is ClientStatus.DISCHARGED for g in c.goals]
    counts = Counter(closed)
    assert counts[GoalStatus.ACHIEVED] > counts[GoalStatus.DROPPED] > 0
    assert counts[GoalStatus.REVISED] > 0


def test_core10_risk_item_shows_up_sometimes() -> None:
    from alliance_desktop.domain.instruments import CORE_10

    forms = [
        m.item_values
        for c in draw_many(300)
        for s in c.sessions
        for m in s.measurements
        if m.instrument_id == CORE_10.id
    ]
    risk_index = next(i for i, item in enumerate(CORE_10.items) if item.risk)
    flagged = [f for f in forms if (f[risk_index] or 0) > 0]
    assert 0.01 < len(flagged) / len(forms) < 0.15
