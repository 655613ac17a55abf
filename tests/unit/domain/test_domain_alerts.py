"""Alliance alert rules: each fires with a reason naming its numbers, and not just outside it.

Also: alerts one rating raises together read as one; risk answers stay until a review
covers them; acknowledged alerts stay hidden until the rule fires on a newer rating; the
ORS cut-off follows the client's age.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance_desktop.domain.alerts import (
    ALERT_RULES_VERSION,
    KIND_NOTES,
    REVIEW_ONLY_KINDS,
    SETTING_NOTES,
    Acknowledgement,
    Alert,
    AlertKind,
    AlertSettings,
    MeasurementFact,
    SessionFact,
    evaluate_alerts,
)
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import CutoffComparison
from alliance_desktop.domain.risk import RiskReview, find_endorsements

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
    """The alerts that stand for ``kind``, alone or merged with others of the same rating."""
    return [a for a in alerts if kind in a.kinds]


GOOD_SRS = (9.5, 9.5, 9.5, 9.5)  # 38: above every threshold


def test_empty_input() -> None:
    assert evaluate_alerts([], []) == []
    assert evaluate_alerts(sessions(0), [], AlertSettings()) == []


def test_version_is_a_string() -> None:
    assert isinstance(ALERT_RULES_VERSION, str) and ALERT_RULES_VERSION


# --- under_cutoff ------------------------------------------------------------------------


def test_under_cutoff_after_a_fall_is_one_alert_with_every_reason() -> None:
    """A drop and an under-cut-off from the same SRS read as one line (and a low item too)."""
    alerts = evaluate_alerts(sessions(2), [srs(1, 9, 9, 9, 9), srs(2, 9, 9, 9, 6.9)])
    (alert,) = [a for a in alerts if a.instrument_id == "SRS"]
    assert alert.kind is AlertKind.UNDER_CUTOFF
    assert alert.kinds == (AlertKind.UNDER_CUTOFF, AlertKind.DROPPED, AlertKind.LOW_ITEM)
    assert alert.reason == (
        "SRS fell 2.1 points from 36 at session 1 to 33.9 at session 2 (the alert is set at a "
        "drop of 1 point), under the cut-off of 36, with Overall 6.9 under 9 — ask about the "
        "session."
    )
    assert (alert.instrument_id, alert.session_number, alert.severity) == ("SRS", 2, "warning")
    assert alert.rating_at == T0 + timedelta(days=14, minutes=50)


def test_under_cutoff_alone() -> None:
    assert evaluate_alerts(sessions(1), [srs(1, 9, 9, 9, 9)]) == []  # 36 is not under 36
    lenient = AlertSettings(srs_low_item=8.5)
    (alert,) = evaluate_alerts(sessions(1), [srs(1, 9, 9, 9, 8.9)], lenient)  # 35.9
    assert alert.kinds == (AlertKind.UNDER_CUTOFF,)
    assert alert.reason == (
        "SRS was 35.9 at session 1, under the cut-off of 36 — ask about the session."
    )


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
    assert alert.kinds == (AlertKind.DROPPED,)
    assert alert.reason == (
        "SRS fell 1 point from 38 at session 1 to 37 at session 2 (the alert is set at a drop "
        "of 1 point) — ask what was different this time."
    )


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
    assert alert.reason == (
        "SRS was 38.9 at session 1, with Overall 8.9 under 9 — ask what would have made it "
        "fit better."
    )
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
    assert alert.reason == (
        "WAI-SR at session 9: Goal fell 2 points from 16 at session 3 to 14 — check you still "
        "agree on what the therapy is for."
    )
    assert alert.session_number == 9


def test_one_wai_rating_raises_one_alert_with_each_subscale_and_low_item() -> None:
    facts = [wai(3), wai(9, goal=2, task=2, bond=4)]  # goal and task 16 -> 8, items at 2
    alerts = evaluate_alerts(sessions(9), facts)
    (alert,) = [a for a in alerts if a.instrument_id == "WAI-SR"]
    assert alert.kinds == (AlertKind.FALLING_SUBSCALE, AlertKind.LOW_ITEM)
    assert "Goal fell 8 points from 16 at session 3 to 8 — check you still agree on what" in (
        alert.reason
    )
    assert "Task fell 8 points" in alert.reason and "Bond fell" not in alert.reason
    assert "explore that part of the alliance" in alert.reason


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

ENDORSED = [0, 4, 4, 0, 0, 2, 0, 0, 0, 0]  # total 2: healthy, but item 6 is 2
CLEAN = [0, 4, 4, 0, 0, 0, 0, 0, 0, 0]


def review(on: date, *covered: MeasurementFact, ongoing: bool = False) -> RiskReview:
    keys = tuple(e.key for e in find_endorsements(covered))
    return RiskReview(on, "Safety plan reviewed", ongoing, datetime.combine(on, T0.time()), keys)


def test_core_10_item_6_is_urgent_whatever_the_total() -> None:
    (alert,) = of_kind(evaluate_alerts(sessions(5), [fact("CORE-10", 5, ENDORSED)]), AlertKind.RISK)
    assert alert.severity == "urgent" and alert.needs_review
    assert alert.reason == (
        "CORE-10 item 6 (plans to end my life) was rated 2 (Sometimes) at session 5 "
        "(2025-02-10) — check risk today and record a risk review."
    )


def test_risk_fires_even_when_the_form_cannot_be_scored() -> None:
    values = [None, None, 4, 0, 0, 1, 0, 0, 0, 0]  # two missing: no total
    alerts = evaluate_alerts(sessions(1), [fact("CORE-10", 1, values)])
    assert [a.kind for a in alerts if a.instrument_id == "CORE-10"] == [AlertKind.RISK]


def test_a_later_clean_core_10_does_not_clear_an_unreviewed_risk_answer() -> None:
    earlier = fact("CORE-10", 1, [0, 4, 4, 0, 0, 3, 0, 0, 0, 0])
    latest = fact("CORE-10", 5, CLEAN)
    (alert,) = of_kind(evaluate_alerts(sessions(5), [latest, earlier]), AlertKind.RISK)
    assert alert.session_number == 1 and alert.severity == "urgent"
    assert "rated 3 (Often) at session 1" in alert.reason
    assert "a later CORE-10 (session 5) had it at 0, but only a risk review clears" in (
        alert.reason
    )


def test_a_review_clears_what_it_covers_and_nothing_later() -> None:
    first = fact("CORE-10", 1, ENDORSED)
    reviewed = review(date(2025, 1, 14), first)
    assert not of_kind(evaluate_alerts(sessions(2), [first], reviews=[reviewed]), AlertKind.RISK)
    again = fact("CORE-10", 4, [0, 4, 4, 0, 0, 1, 0, 0, 0, 0])
    (alert,) = of_kind(
        evaluate_alerts(sessions(4), [first, again], reviews=[reviewed]), AlertKind.RISK
    )
    assert alert.session_number == 4 and "rated 1 (Only occasionally)" in alert.reason


def test_a_risk_answer_typed_in_late_is_not_covered_by_an_earlier_review() -> None:
    """A session entered after the review, dated before it, still alerts (it was never seen)."""
    later = fact("CORE-10", 3, ENDORSED)
    reviewed = review(date(2025, 2, 1), later)
    late_entry = fact("CORE-10", 2, [0, 4, 4, 0, 0, 4, 0, 0, 0, 0])
    (alert,) = of_kind(
        evaluate_alerts(sessions(3), [later, late_entry], reviews=[reviewed]), AlertKind.RISK
    )
    assert alert.session_number == 2 and "rated 4 (Most or all of the time)" in alert.reason


def test_several_unreviewed_answers_are_counted() -> None:
    facts = [fact("CORE-10", n, ENDORSED) for n in (1, 2, 3)]
    (alert,) = of_kind(evaluate_alerts(sessions(3), facts), AlertKind.RISK)
    assert alert.session_number == 3
    assert "and 2 earlier risk answers not yet reviewed" in alert.reason


def test_risk_ongoing_after_a_review_stays_as_a_warning_until_a_later_review() -> None:
    first = fact("CORE-10", 1, ENDORSED)
    ongoing = review(date(2025, 1, 14), first, ongoing=True)
    (alert,) = evaluate_alerts(sessions(0), [first], reviews=[ongoing])
    assert alert.kind is AlertKind.RISK_ONGOING and alert.severity == "warning"
    assert alert.needs_review
    assert alert.reason == (
        "At the risk review on 2025-01-14 risk was recorded as ongoing (“Safety plan "
        "reviewed”) — keep reviewing it, and record a review when that changes."
    )
    resolved = review(date(2025, 1, 21))
    assert evaluate_alerts(sessions(0), [first], reviews=[ongoing, resolved]) == []


def test_risk_cannot_be_switched_off_or_acknowledged() -> None:
    with pytest.raises(DomainError, match="Risk alerts cannot be switched off"):
        AlertSettings(disabled=(AlertKind.RISK,))
    # Stored settings from before keep loading, without the risk switch.
    assert AlertSettings.from_dict({"disabled": ["risk", "overdue"]}).disabled == (
        AlertKind.OVERDUE,
    )
    form = fact("CORE-10", 1, ENDORSED)
    ack = Acknowledgement((AlertKind.RISK,), "CORE-10", form.taken_at, T0 + timedelta(days=30))
    (alert,) = evaluate_alerts(sessions(0), [form], acknowledgements=[ack])
    assert alert.kind is AlertKind.RISK
    assert {AlertKind.RISK, AlertKind.RISK_ONGOING} == REVIEW_ONLY_KINDS


# --- acknowledgements ---------------------------------------------------------------------


def test_acknowledged_alert_hides_until_the_rule_fires_on_a_newer_rating() -> None:
    facts = [srs(1, *GOOD_SRS), srs(2, 9, 9, 9, 8.9)]  # 35.9 after 38: a merged alert
    (alert,) = evaluate_alerts(sessions(2), facts)
    ack = Acknowledgement(alert.kinds, "SRS", alert.rating_at or T0, T0 + timedelta(days=15))
    assert evaluate_alerts(sessions(2), facts, acknowledgements=[ack]) == []
    # A newer rating that fires again shows again.
    newer = [*facts, srs(3, 9, 9, 9, 8.8)]
    (again,) = evaluate_alerts(sessions(3), newer, acknowledgements=[ack])
    assert again.session_number == 3 and again.kind is AlertKind.UNDER_CUTOFF
    # An acknowledgement of only some of a merged alert's rules does not hide it.
    partial = Acknowledgement(
        (AlertKind.DROPPED,), "SRS", alert.rating_at or T0, T0 + timedelta(days=15)
    )
    assert evaluate_alerts(sessions(2), facts, acknowledgements=[partial]) == [alert]


def test_acknowledged_overdue_returns_at_the_next_attended_session() -> None:
    facts = [srs(1, *GOOD_SRS)]
    (alert,) = of_kind(evaluate_alerts(sessions(2), facts), AlertKind.OVERDUE)
    assert alert.rating_at == T0 + timedelta(days=14)  # the session it was missing from
    ack = Acknowledgement(alert.kinds, "SRS", alert.rating_at, T0 + timedelta(days=15))
    assert not of_kind(
        evaluate_alerts(sessions(2), facts, acknowledgements=[ack]), AlertKind.OVERDUE
    )
    assert of_kind(evaluate_alerts(sessions(3), facts, acknowledgements=[ack]), AlertKind.OVERDUE)


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


def test_ors_comparison_setting_decides_whether_exactly_25_is_clinical() -> None:
    at_25 = [ors(1, 25), ors(2, 26), ors(3, 27), ors(4, 27.5)]
    assert not of_kind(evaluate_alerts(sessions(4), at_25), AlertKind.NOT_ON_TRACK)
    le = AlertSettings(ors_cutoff_comparison=CutoffComparison.LE)
    assert of_kind(evaluate_alerts(sessions(4), at_25, le), AlertKind.NOT_ON_TRACK)


@pytest.mark.parametrize(
    ("birth", "flagged"),
    [
        # The first ORS (27) is on 2025-01-13. Cut-offs: 32 for 6-12, 28 for 13-17, 25 adult.
        (date(2012, 1, 14), True),  # 12 the day before the 13th birthday: 27 < 32
        (date(2012, 1, 13), True),  # 13 on the birthday: 27 < 28
        (date(2007, 1, 14), True),  # 17 the day before the 18th birthday: 27 < 28
        (date(2007, 1, 13), False),  # 18 on the birthday: 27 is not under 25
        (None, False),  # no date of birth: the adult cut-off
    ],
)
def test_ors_cut_off_follows_age_at_the_rating(birth: date | None, flagged: bool) -> None:
    stalled = [ors(1, 27), ors(2, 27.5), ors(3, 28), ors(4, 28.5)]
    alerts = evaluate_alerts(sessions(4), stalled, date_of_birth=birth)
    assert bool(of_kind(alerts, AlertKind.NOT_ON_TRACK)) is flagged


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
    facts = [srs(1, 9, 9, 9, 8.9), srs(2, 9, 9, 9, 8.8)]
    off = AlertSettings(disabled=(AlertKind.UNDER_CUTOFF, AlertKind.LOW_ITEM, AlertKind.OVERDUE))
    assert evaluate_alerts(sessions(3), facts, off) == []


def test_every_setting_and_switchable_kind_has_a_label_and_a_reason() -> None:
    settable = {name for name in AlertSettings().to_dict() if name != "disabled"}
    assert set(SETTING_NOTES) == settable
    assert set(KIND_NOTES) == set(AlertKind)
    for note in (*SETTING_NOTES.values(), *KIND_NOTES.values()):
        assert note.reason.endswith(".") and len(note.reason) < 160


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
    assert s.ors_cutoff_comparison is CutoffComparison.LT


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
        {"ors_cutoff_comparison": "<"},
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


def test_no_stall_alert_for_a_child_under_six_for_whom_no_cut_off_is_published() -> None:
    stalled = [ors(1, 38), ors(2, 38.1), ors(3, 38.1), ors(4, 38.1)]
    born = date(2021, 3, 1)  # four in 2025
    assert not of_kind(
        evaluate_alerts(sessions(4), stalled, date_of_birth=born), AlertKind.NOT_ON_TRACK
    )
    worse = [ors(1, 38), ors(2, 30)]  # a reliable deterioration is flagged at any age
    assert of_kind(evaluate_alerts(sessions(2), worse, date_of_birth=born), AlertKind.NOT_ON_TRACK)


def test_ors_age_is_taken_at_the_session_start_as_on_the_chart() -> None:
    """A session late in the evening before an 18th birthday, its ORS stamped after midnight."""
    start = datetime(2026, 11, 4, 23, 30)
    late = [SessionFact(n, start + timedelta(days=7 * (n - 1)), True) for n in range(1, 5)]
    facts = [
        MeasurementFact("ORS", n, late[n - 1].start + timedelta(minutes=35), (6.5, 6.5, 6.5, 6.5))
        for n in range(1, 5)
    ]  # 26 each: clinical for a 17-year-old (28), not for an adult (25)
    alerts = evaluate_alerts(late, facts, date_of_birth=date(2008, 11, 5))
    assert of_kind(alerts, AlertKind.NOT_ON_TRACK)  # 17 at the session: started clinical


def test_the_latest_review_by_day_decides_whether_risk_is_ongoing() -> None:
    form = fact("CORE-10", 1, ENDORSED)
    covering = review(date(2025, 1, 14), form, ongoing=False)
    # Recorded later, but dated earlier: it does not override the review of the 14th.
    backdated = RiskReview(date(2025, 1, 13), "Phone call", True, datetime(2025, 2, 1, 9, 0))
    assert evaluate_alerts(sessions(0), [form], reviews=[covering, backdated]) == []
    newer = RiskReview(date(2025, 1, 20), "Review", True, datetime(2025, 1, 20, 9, 0))
    (alert,) = evaluate_alerts(sessions(0), [form], reviews=[covering, backdated, newer])
    assert alert.kind is AlertKind.RISK_ONGOING and "2025-01-20" in alert.reason
