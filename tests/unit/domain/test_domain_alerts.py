"""Alliance alert rules: each fires with a reason naming its numbers, and not just outside it."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance_desktop.domain.alerts import (
    ALERT_RULES_VERSION,
    Alert,
    AlertKind,
    AlertSettings,
    MeasurementFact,
    SessionFact,
    evaluate_alerts,
)
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import CutoffComparison

T0 = datetime(2025, 1, 6, 10, 0)


def sessions(last: int, *, missed: Sequence[int] = ()) -> list[SessionFact]:
    return [SessionFact(n, T0 + timedelta(days=7 * n), n not in missed) for n in range(1, last + 1)]


def fact(instrument_id: str, session: int, values: Sequence[float | None]) -> MeasurementFact:
    return MeasurementFact(
        instrument_id, session, T0 + timedelta(days=7 * session, minutes=50), tuple(values)
    )


def srs(session: int, *values: float) -> MeasurementFact:
    return fact("SRS", session, values)


def wai(session: int, goal: int = 4, task: int = 4, bond: int = 4, **items: int) -> MeasurementFact:
    tags = {4: goal, 6: goal, 8: goal, 11: goal, 1: task, 2: task, 10: task, 12: task}
    values = [float(tags.get(n, bond)) for n in range(1, 13)]
    for name, value in items.items():
        values[int(name.removeprefix("i")) - 1] = value
    return fact("WAI-SR", session, values)


def ors(session: int, total: float) -> MeasurementFact:
    quarter = round(total / 4, 1)
    return fact("ORS", session, [quarter, quarter, quarter, round(total - 3 * quarter, 1)])


def of_kind(alerts: list[Alert], kind: AlertKind) -> list[Alert]:
    return [a for a in alerts if a.kind is kind]


GOOD_SRS = (9.5, 9.5, 9.5, 9.5)  # 38: above every threshold


def test_empty_input() -> None:
    assert evaluate_alerts([], []) == []
    assert evaluate_alerts(sessions(0), [], AlertSettings()) == []


def test_version_is_a_string() -> None:
    assert isinstance(ALERT_RULES_VERSION, str) and ALERT_RULES_VERSION


# --- under_cutoff ------------------------------------------------------------------------


def test_under_cutoff_after_a_fall() -> None:
    alerts = evaluate_alerts(sessions(2), [srs(1, 9, 9, 9, 9), srs(2, 9, 9, 9, 6.9)])
    (alert,) = of_kind(alerts, AlertKind.UNDER_CUTOFF)
    assert alert.reason == (
        "SRS fell 2.1 points to 33.9, under the cut-off of 36 — ask about the session."
    )
    assert (alert.instrument_id, alert.session_number, alert.severity) == ("SRS", 2, "warning")


def test_exactly_36_depends_on_the_comparison_setting() -> None:
    facts = [srs(1, 9, 9, 9, 9)]
    assert not of_kind(evaluate_alerts(sessions(1), facts), AlertKind.UNDER_CUTOFF)
    le = AlertSettings(srs_cutoff_comparison=CutoffComparison.LE)
    (alert,) = of_kind(evaluate_alerts(sessions(1), facts, le), AlertKind.UNDER_CUTOFF)
    assert alert.reason == (
        "SRS was 36 at session 1, at or under the cut-off of 36 — ask about the session."
    )


# --- dropped -----------------------------------------------------------------------------


def test_drop_of_one_point_fires() -> None:
    alerts = evaluate_alerts(sessions(2), [srs(1, *GOOD_SRS), srs(2, 9.5, 9.5, 9, 9)])
    (alert,) = of_kind(alerts, AlertKind.DROPPED)
    assert "dropped 1 point from 38 at session 1 to 37 at session 2" in alert.reason


def test_drop_of_point_nine_does_not_fire() -> None:
    alerts = evaluate_alerts(sessions(2), [srs(1, *GOOD_SRS), srs(2, 9.5, 9.5, 9, 9.1)])
    assert not of_kind(alerts, AlertKind.DROPPED)


def test_drop_is_not_fooled_by_float_noise() -> None:
    # 36.9 - 35.9 is 0.9999999999999964 in floating point.
    alerts = evaluate_alerts(sessions(2), [srs(1, 9.3, 9.2, 9.2, 9.2), srs(2, 9.3, 9.2, 9.2, 8.2)])
    assert of_kind(alerts, AlertKind.DROPPED)


# --- low_item ----------------------------------------------------------------------------


def test_srs_dimension_below_nine() -> None:
    alerts = evaluate_alerts(sessions(1), [srs(1, 10, 10, 10, 8.9)])
    (alert,) = of_kind(alerts, AlertKind.LOW_ITEM)
    assert alert.reason.startswith("SRS Overall 8.9 was under 9 at session 1")
    assert not of_kind(evaluate_alerts(sessions(1), [srs(1, 10, 10, 10, 9)]), AlertKind.LOW_ITEM)


def test_wai_item_at_two_or_less() -> None:
    alerts = evaluate_alerts(sessions(3), [wai(3, i4=2)])
    (alert,) = of_kind(alerts, AlertKind.LOW_ITEM)
    assert "item 4 (Goal) rated 2 (Sometimes)" in alert.reason
    assert "at or under 2" in alert.reason
    assert not of_kind(evaluate_alerts(sessions(3), [wai(3, i4=3)]), AlertKind.LOW_ITEM)


# --- falling_subscale --------------------------------------------------------------------


def test_wai_subscale_falling_by_two() -> None:
    facts = [wai(3), wai(9, i4=3, i6=3)]  # goal 16 -> 14
    (alert,) = of_kind(evaluate_alerts(sessions(9), facts), AlertKind.FALLING_SUBSCALE)
    assert alert.reason.startswith(
        "WAI-SR Goal fell 2 points from 16 at session 3 to 14 at session 9"
    )
    assert alert.session_number == 9


def test_wai_subscale_falling_by_one_does_not_fire() -> None:
    facts = [wai(3), wai(9, i4=3)]  # goal 16 -> 15
    assert not of_kind(evaluate_alerts(sessions(9), facts), AlertKind.FALLING_SUBSCALE)


# --- perfect_run -------------------------------------------------------------------------


def test_three_perfect_forties() -> None:
    perfect = (10, 10, 10, 10)
    alerts = evaluate_alerts(sessions(3), [srs(n, *perfect) for n in (1, 2, 3)])
    (alert,) = of_kind(alerts, AlertKind.PERFECT_RUN)
    assert alert.severity == "info"
    assert "last 3 SRS ratings were all 40 out of 40" in alert.reason


def test_two_forties_or_a_broken_run_do_not_fire() -> None:
    perfect = (10, 10, 10, 10)
    two = [srs(1, *perfect), srs(2, *perfect)]
    assert not of_kind(evaluate_alerts(sessions(2), two), AlertKind.PERFECT_RUN)
    broken = [srs(1, *perfect), srs(2, 10, 10, 10, 9.9), srs(3, *perfect), srs(4, *perfect)]
    assert not of_kind(evaluate_alerts(sessions(4), broken), AlertKind.PERFECT_RUN)


# --- overdue -----------------------------------------------------------------------------


def test_srs_overdue_after_one_attended_session_without_it() -> None:
    alerts = evaluate_alerts(sessions(3), [srs(1, *GOOD_SRS), srs(2, *GOOD_SRS)])
    (alert,) = [a for a in of_kind(alerts, AlertKind.OVERDUE) if a.instrument_id == "SRS"]
    assert alert.reason == (
        "No SRS has been recorded in the 1 attended session since session 2; "
        "it is due at every session."
    )
    assert alert.session_number == 3


def test_srs_not_overdue_when_rated_or_session_missed() -> None:
    facts = [srs(1, *GOOD_SRS), srs(2, *GOOD_SRS)]
    alerts = evaluate_alerts(sessions(3, missed=[3]), facts)
    assert not [a for a in of_kind(alerts, AlertKind.OVERDUE) if a.instrument_id == "SRS"]


def test_wai_overdue_after_six_attended_sessions() -> None:
    six = evaluate_alerts(sessions(8), [wai(2)])
    (alert,) = [a for a in of_kind(six, AlertKind.OVERDUE) if a.instrument_id == "WAI-SR"]
    assert "6 attended sessions since session 2" in alert.reason
    assert "every 6 sessions" in alert.reason
    five = evaluate_alerts(sessions(7), [wai(2)])
    assert not [a for a in of_kind(five, AlertKind.OVERDUE) if a.instrument_id == "WAI-SR"]
    never = evaluate_alerts(sessions(6), [])
    assert [a.instrument_id for a in of_kind(never, AlertKind.OVERDUE)] == ["SRS", "WAI-SR"]


# --- risk --------------------------------------------------------------------------------


def test_core_10_item_6_is_urgent_whatever_the_total() -> None:
    values = [0, 4, 4, 0, 0, 2, 0, 0, 0, 0]  # total 2: healthy, but item 6 is 2
    (alert,) = of_kind(evaluate_alerts(sessions(5), [fact("CORE-10", 5, values)]), AlertKind.RISK)
    assert alert.severity == "urgent"
    assert alert.reason == (
        "CORE-10 item 6 (plans to end my life) was rated 2 (Sometimes) at session 5 "
        "— check risk today."
    )


def test_risk_fires_even_when_the_form_cannot_be_scored() -> None:
    values = [None, None, 4, 0, 0, 1, 0, 0, 0, 0]  # two missing: no total
    alerts = evaluate_alerts(sessions(1), [fact("CORE-10", 1, values)])
    assert [a.kind for a in alerts if a.instrument_id == "CORE-10"] == [AlertKind.RISK]


def test_risk_is_judged_on_the_latest_core_10() -> None:
    earlier = fact("CORE-10", 1, [0, 4, 4, 0, 0, 3, 0, 0, 0, 0])
    latest = fact("CORE-10", 5, [0, 4, 4, 0, 0, 0, 0, 0, 0, 0])
    assert not of_kind(evaluate_alerts(sessions(5), [latest, earlier]), AlertKind.RISK)


# --- not_on_track ------------------------------------------------------------------------


def test_ors_not_on_track_after_four_ratings_without_reliable_gain() -> None:
    three = [ors(1, 18), ors(2, 19), ors(3, 20)]
    assert not of_kind(evaluate_alerts(sessions(3), three), AlertKind.NOT_ON_TRACK)
    four = [*three, ors(4, 22.9)]
    (alert,) = of_kind(evaluate_alerts(sessions(4), four), AlertKind.NOT_ON_TRACK)
    assert alert.reason.startswith(
        "ORS has gone from 18 at session 1 to 22.9 at session 4 (+4.9 points)"
    )
    assert "5 points or more" in alert.reason


def test_ors_reliable_gain_is_on_track() -> None:
    facts = [ors(1, 18), ors(2, 19), ors(3, 20), ors(4, 23)]
    assert not of_kind(evaluate_alerts(sessions(4), facts), AlertKind.NOT_ON_TRACK)


def test_ors_reliable_deterioration_fires_at_any_time() -> None:
    (alert,) = of_kind(
        evaluate_alerts(sessions(2), [ors(1, 24), ors(2, 19)]), AlertKind.NOT_ON_TRACK
    )
    assert "(-5.0 points), a reliable deterioration" in alert.reason
    assert not of_kind(
        evaluate_alerts(sessions(2), [ors(1, 24), ors(2, 19.1)]), AlertKind.NOT_ON_TRACK
    )


def test_no_stall_alert_for_a_client_who_started_in_the_healthy_range() -> None:
    """Starting at or above the ORS cut-off of 25 leaves little room for a reliable gain."""
    started_well = [ors(1, 25), ors(2, 26), ors(3, 27), ors(4, 27.5)]
    assert not of_kind(evaluate_alerts(sessions(4), started_well), AlertKind.NOT_ON_TRACK)
    started_just_under = [ors(1, 24.9), ors(2, 26), ors(3, 27), ors(4, 27.5)]
    assert of_kind(evaluate_alerts(sessions(4), started_just_under), AlertKind.NOT_ON_TRACK)
    # A reliable deterioration is flagged whatever the start.
    (alert,) = of_kind(
        evaluate_alerts(sessions(2), [ors(1, 33), ors(2, 28)]), AlertKind.NOT_ON_TRACK
    )
    assert "reliable deterioration" in alert.reason


# --- robustness, order, settings ---------------------------------------------------------


def test_order_of_input_does_not_matter() -> None:
    facts = [
        srs(1, *GOOD_SRS),
        srs(2, 9, 9, 9, 6.9),
        wai(3),
        wai(9, i4=1, i6=3),
        ors(1, 20),
        ors(9, 14),
        fact("CORE-10", 9, [1, 3, 3, 1, 1, 1, 1, 1, 1, 1]),
    ]
    expected = evaluate_alerts(sessions(10), facts)
    rng = random.Random(7)
    for _ in range(10):
        shuffled = facts[:]
        rng.shuffle(shuffled)
        assert evaluate_alerts(list(reversed(sessions(10))), shuffled) == expected
    severities = [a.severity for a in expected]
    assert severities == sorted(severities, key=["urgent", "warning", "info"].index)
    assert expected[0].kind is AlertKind.RISK


def test_unscoreable_and_unknown_measurements_are_skipped() -> None:
    facts = [
        srs(1, *GOOD_SRS),
        srs(2, 11, 9, 9, 9),  # out of range: skipped, so session 1 is the latest SRS
        fact("SRS", 2, (float("nan"), 1, 1, 1)),
        fact("SRS", 2, ("x", 1, 1, 1)),  # type: ignore[arg-type]
        fact("PHQ-9", 2, (1, 2, 3)),
        fact("CORE-10", 2, (1,)),
    ]
    alerts = evaluate_alerts(sessions(1), facts)
    assert alerts == []


def test_disabled_kinds_are_silent() -> None:
    facts = [fact("CORE-10", 1, [0, 4, 4, 0, 0, 2, 0, 0, 0, 0])]
    off = AlertSettings(disabled=(AlertKind.RISK, AlertKind.OVERDUE))
    assert evaluate_alerts(sessions(1), facts, off) == []


def test_settings_defaults() -> None:
    s = AlertSettings()
    assert (s.srs_cutoff, s.srs_cutoff_comparison, s.srs_low_item, s.srs_drop) == (
        36.0,
        CutoffComparison.LT,
        9.0,
        1.0,
    )
    assert (s.perfect_run_length, s.wai_subscale_drop, s.wai_low_item) == (3, 2.0, 2)
    assert (s.srs_every_sessions, s.wai_every_sessions, s.ors_not_on_track_after) == (1, 6, 4)


def test_settings_round_trip_through_json() -> None:
    custom = AlertSettings(
        srs_cutoff_comparison=CutoffComparison.LE, srs_drop=2.5, disabled=(AlertKind.PERFECT_RUN,)
    )
    stored = json.loads(json.dumps(custom.to_dict()))
    assert AlertSettings.from_dict(stored) == custom
    assert AlertSettings.from_dict({}) == AlertSettings()
    assert AlertSettings.from_dict({"srs_cutoff_comparison": "le"}).srs_cutoff_comparison is (
        CutoffComparison.LE
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"srs_cutoff": "36"},
        {"srs_cutoff": 41},
        {"srs_cutoff": True},
        {"srs_low_item": -1},
        {"srs_drop": 0},
        {"perfect_run_length": 1.5},
        {"perfect_run_length": 1},
        {"wai_low_item": 6},
        {"wai_every_sessions": 0},
        {"ors_not_on_track_after": None},
        {"srs_cutoff_comparison": "lte"},
        {"disabled": ["nope"]},
        {"disabled": "risk"},
        {"colour": "red"},
    ],
)
def test_settings_from_dict_refuses_bad_values(bad: dict[str, Any]) -> None:
    with pytest.raises(DomainError) as info:
        AlertSettings.from_dict(bad)
    assert str(info.value).endswith(".")


def test_fast_enough_for_a_large_caseload() -> None:
    rng = random.Random(3)
    caseload = []
    for _ in range(1000):
        facts = []
        for n in range(1, 21):
            facts.append(ors(n, rng.choice([14.0, 18.2, 22.5, 27.1])))
            facts.append(srs(n, *(rng.choice([8.5, 9.2, 9.9, 10.0]) for _ in range(4))))
            if n % 5 == 3:
                facts.append(wai(n, rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 5)))
            if n % 4 == 1:
                facts.append(fact("CORE-10", n, [rng.randint(0, 4) for _ in range(10)]))
        caseload.append((sessions(20), facts))
    start = time.perf_counter()
    for client_sessions, facts in caseload:
        evaluate_alerts(client_sessions, facts)
    # About 0.25 ms a client here; the bound is generous so slow CI machines pass.
    assert time.perf_counter() - start < 5.0


_ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 45),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.1, 9.9, 10.0, 4.0, 2.0]),
    st.text(max_size=2),
)
_ANY_FACT = st.builds(
    MeasurementFact,
    st.sampled_from(["SRS", "ORS", "WAI-SR", "CORE-10", "GBO", "PHQ-9"]),
    st.integers(1, 12),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.lists(_ANY_VALUE, max_size=13).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ANY_FACT, max_size=12), st.integers(0, 12))
def test_messy_input_never_crashes(facts: list[MeasurementFact], last: int) -> None:
    alerts = evaluate_alerts(sessions(last), facts)
    assert all(a.reason.strip() for a in alerts)
    assert all(a.severity in ("urgent", "warning", "info") for a in alerts)
