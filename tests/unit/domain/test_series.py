"""The chart series: every plotted number is the domain's score, cut-offs are the instruments'."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from alliance_desktop.domain.alerts import (
    AlertSettings,
    MeasurementFact,
    SessionFact,
    evaluate_alerts,
)
from alliance_desktop.domain.change import classify_change
from alliance_desktop.domain.instruments import CORE_10, ORS, SRS, WAI_SR, CutoffComparison
from alliance_desktop.domain.scoring import score
from alliance_desktop.domain.series import (
    STYLES,
    ChartSession,
    RuptureNote,
    client_charts,
    describe_change,
    describe_point,
    when,
)
from alliance_desktop.domain.vocabulary import RuptureKind

START = datetime(2026, 3, 2, 10, 0)


def _session(
    number: int,
    *measures: tuple[str, tuple[float | None, ...]],
    attended: bool = True,
    ruptures: tuple[RuptureNote, ...] = (),
) -> ChartSession:
    return ChartSession(
        session_id=100 + number,
        number=number,
        start=START + timedelta(weeks=number - 1),
        attended=attended,
        measurements=measures,
        ruptures=ruptures,
    )


WAI = (4.0, 4, 3, 5, 4, 4, 3, 5, 4, 4, 4, 3)


def test_srs_points_are_domain_totals_and_flag_under_the_cutoff() -> None:
    sessions = [
        _session(1, ("SRS", (9.5, 9.0, 9.1, 9.4))),
        _session(2, ("SRS", (8.0, 8.5, 9.0, 8.0))),  # 33.5: under 36
        _session(3, ("SRS", (9.0, 9.0, 9.0, 9.0))),  # exactly 36: not under with "lt"
    ]
    charts = client_charts(sessions)
    srs = charts.chart("SRS")
    assert srs is not None
    assert [p.value for p in srs.total.points] == [
        score(SRS, s.measurements[0][1]).total for s in sessions
    ]
    assert [p.flagged for p in srs.total.points] == [False, True, False]
    assert srs.cutoff == SRS.norms.cutoff == 36  # type: ignore[union-attr]
    assert srs.y_range == (0, 40)
    assert [p.session_id for p in srs.total.points] == [101, 102, 103]


def test_srs_cutoff_follows_the_practice_setting() -> None:
    sessions = [_session(1, ("SRS", (9.0, 9.0, 9.0, 9.0)))]
    settings = AlertSettings(srs_cutoff=36, srs_cutoff_comparison=CutoffComparison.LE)
    srs = client_charts(sessions, settings).chart("SRS")
    assert srs is not None and srs.total.points[0].flagged
    assert srs.cutoff_label == "Cut-off 36 (alert when at or under)"
    # The hover says what the alert says: "at or under", not "under".
    assert "SRS total 36 — at or under the cut-off of 36" in describe_point(
        srs, srs.total.points[0]
    )
    facts = [SessionFact(1, START, True)]
    measures = [MeasurementFact("SRS", 1, START, (9.0, 9.0, 9.0, 9.0))]
    reasons = [a.reason for a in evaluate_alerts(facts, measures, settings)]
    assert any("at or under the cut-off of 36" in r for r in reasons)


def test_wai_sr_has_goal_task_bond_lines_on_a_4_to_20_axis() -> None:
    charts = client_charts([_session(4, ("WAI-SR", WAI))])
    wai = charts.chart("WAI-SR")
    assert wai is not None
    expected = score(WAI_SR, WAI)
    assert [line.key for line in wai.lines] == ["WAI-SR", "goal", "task", "bond"]
    assert wai.total.points[0].value == expected.total
    for line in wai.lines[1:]:
        assert line.axis == "subscale"
        assert line.points[0].value == expected.subscales[line.key]
        assert line.style is STYLES[line.key]
    assert wai.y_range == (12, 60)
    assert wai.subscale_range == (4, 20)
    assert wai.cutoff is None  # no published WAI-SR cut-off


def test_goal_task_bond_styles_differ_in_colour_dash_and_marker() -> None:
    styles = [STYLES["goal"], STYLES["task"], STYLES["bond"]]
    for attribute in ("colour", "dash", "marker"):
        assert len({getattr(s, attribute) for s in styles}) == 3


def test_outcome_band_is_reliable_change_around_the_first_score() -> None:
    sessions = [
        _session(1, ("ORS", (4.0, 5.0, 4.0, 5.0))),  # 18
        _session(2, ("ORS", (5.0, 5.0, 5.0, 5.0))),
        _session(3, ("ORS", (7.0, 7.0, 6.5, 7.5))),  # 28
    ]
    ors = client_charts(sessions).chart("ORS")
    assert ors is not None
    assert ors.cutoff == 25
    assert ors.band is not None
    low, high = ors.band
    # The band's half-width is the published reliable change of 5 points, as published.
    assert (low, high) == (13.0, 23.0)
    assert ors.band_half_width == 5
    assert ors.band_label == ("No reliable change: less than 5 points from the first score (18)")
    assert ors.change == classify_change(ORS, 18, 28)
    assert ors.change is not None and ors.change.change_class == "recovered"


def test_core10_band_is_clipped_to_the_range_and_lower_is_better() -> None:
    values = (0.0, 4, 4, 0, 0, 0, 0, 0, 0, 1)  # items 2 and 3 reverse-scored: total 1
    core = client_charts([_session(1, ("CORE-10", values))]).chart("CORE-10")
    assert core is not None and core.band is not None
    assert core.band[0] == 0  # the band never leaves the instrument's range
    assert core.total.points[0].value == score(CORE_10, values).total
    assert core.cutoff == 11 and not core.higher_is_better
    assert core.change is None  # one rating: nothing to classify yet


def test_ruptures_are_marked_at_their_sessions_with_words() -> None:
    note = RuptureNote(RuptureKind.CONFRONTATION, "Angry about homework", "Named it", True)
    sessions = [
        _session(1, ("SRS", (9.0, 9.0, 9.0, 9.0))),
        _session(2, ("SRS", (7.0, 7.0, 7.0, 7.0)), ruptures=(note,)),
        _session(3, attended=False),
    ]
    charts = client_charts(sessions)
    assert [(m.number, m.session_id) for m in charts.ruptures] == [(2, 102)]
    text = charts.ruptures[0].describe()
    assert text == "Confrontation: Angry about homework. Repair: Named it. Resolved."


def test_sentences_typed_with_a_full_stop_do_not_get_two() -> None:
    note = RuptureNote(RuptureKind.WITHDRAWAL, "Went quiet.", "Asked about it.", False)
    text = client_charts([_session(1, ruptures=(note,))]).ruptures[0].describe()
    assert text == "Withdrawal: Went quiet. Repair: Asked about it. Not resolved."


def test_an_ellipsis_typed_by_the_therapist_is_kept() -> None:
    note = RuptureNote(RuptureKind.CONFRONTATION, "It trailed off...", "", False)
    text = client_charts([_session(1, ruptures=(note,))]).ruptures[0].describe()
    assert text == "Confrontation: It trailed off... Repair: None recorded. Not resolved."


def test_long_rupture_text_is_shortened_for_the_hover() -> None:
    note = RuptureNote(RuptureKind.WITHDRAWAL, "x" * 1_000_000, "", False)
    text = client_charts([_session(1, ruptures=(note,))]).ruptures[0].describe(limit=50)
    assert len(text) < 200 and "…" in text and "None recorded" in text


def test_unattended_unscoreable_and_unknown_forms_are_left_out() -> None:
    sessions = [
        _session(1, ("SRS", (9.0, 9.0, 9.0, 9.0)), attended=False),
        _session(2, ("SRS", (9.0, None, 9.0, 9.0))),  # SRS cannot be pro-rated
        _session(3, ("XYZ", (1.0,))),
    ]
    charts = client_charts(sessions)
    assert charts.alliance == () and charts.outcome == ()
    assert charts.first_session is not None and charts.first_session.number == 1


@given(
    st.lists(
        st.tuples(*[st.integers(0, 100).map(lambda v: v / 10) for _ in range(4)]),
        min_size=1,
        max_size=30,
    )
)
def test_every_srs_point_equals_the_domain_score(forms: list[tuple[float, ...]]) -> None:
    sessions = [_session(i, ("SRS", form)) for i, form in enumerate(forms, 1)]
    srs = client_charts(sessions).chart("SRS")
    assert srs is not None
    for point, form in zip(srs.total.points, forms, strict=True):
        assert point.value == score(SRS, form).total
        assert point.flagged == (point.value < 36)


def test_hover_times_keep_a_four_digit_year() -> None:
    assert when(datetime(1, 1, 1, 9, 5)) == "0001-01-01 09:05"
    assert when(datetime(2026, 3, 2, 10, 0)) == "2026-03-02 10:00"


# --- cut-offs that follow age, published criteria, pro-rated and incomplete forms ---------


def _ors(number: int, total: float) -> ChartSession:
    quarter = round(total / 4, 1)
    return _session(number, ("ORS", (quarter, quarter, quarter, round(total - 3 * quarter, 1))))


def test_ors_points_are_flagged_against_the_cut_off_for_the_age_at_each_session() -> None:
    # Sessions weekly from 2026-03-02; the 13th birthday is the day of session 2.
    born = date(2013, 3, 9)
    chart = client_charts([_ors(1, 30), _ors(2, 30), _ors(3, 26)], date_of_birth=born).chart("ORS")
    assert chart is not None
    assert [p.flagged for p in chart.total.points] == [True, False, True]  # 30<32, 30>=28
    assert chart.cutoff == 28
    assert chart.cutoff_label == ("Clinical cut-off 28 for adolescents 13-17 (clinical: under 28)")
    assert chart.cutoff_history == (
        "The clinical cut-off follows the client's age: 32 from session 1, 28 from session 2."
    )
    sentence = describe_change(chart)
    assert sentence.endswith(chart.cutoff_history)
    assert "Reliable change is a change of 5 points or more (Miller et al. 2003)" in sentence


def test_without_a_date_of_birth_the_adult_ors_cut_off_is_used_and_said() -> None:
    chart = client_charts([_ors(1, 20), _ors(2, 27)]).chart("ORS")
    assert chart is not None and chart.cutoff == 25
    assert chart.cutoff_label is not None
    assert "no date of birth is recorded, so the adult cut-off is used" in chart.cutoff_label
    sentence = describe_change(chart)
    assert sentence.startswith("ORS from 20 (session 1) to 27 (session 2): change +7, recovered")
    assert "SD" not in sentence  # no SD worked backwards from the published 5 points


def test_ors_at_exactly_the_cut_off_follows_the_practice_setting() -> None:
    sessions = [_ors(1, 25)]
    assert not client_charts(sessions).chart("ORS").total.points[0].flagged  # type: ignore[union-attr]
    le = AlertSettings(ors_cutoff_comparison=CutoffComparison.LE)
    assert client_charts(sessions, le).chart("ORS").total.points[0].flagged  # type: ignore[union-attr]


def test_core10_criterion_says_its_90_percent_interval() -> None:
    worse = (0.0, 4, 4, 0, 0, 0, 0, 0, 0, 1)  # 1
    better = (2.0, 2, 2, 2, 2, 0, 2, 2, 2, 2)  # 16
    chart = client_charts([_session(1, ("CORE-10", worse)), _session(2, ("CORE-10", better))])
    core = chart.chart("CORE-10")
    assert core is not None and core.band == (0, 7)
    sentence = describe_change(core)
    assert "Barkham et al. 2013, a 90% interval" in sentence
    assert "reliably deteriorated" in sentence and "11 or more" in sentence


def test_pro_rated_core10_says_so_on_hover_and_incomplete_is_not_charted() -> None:
    prorated = (2.0, 4, 4, 1, 0, 1, 2, 3, 2, None)  # 12.2 from 9 items
    incomplete = (None, None, 4, 0, 0, 3, 0, 0, 0, 0)
    charts = client_charts(
        [_session(1, ("CORE-10", prorated)), _session(2, ("CORE-10", incomplete))]
    )
    core = charts.chart("CORE-10")
    assert core is not None and [p.number for p in core.total.points] == [1]
    assert "CORE-10 total 12.2, pro-rated from 9 items" in describe_point(
        core, core.total.points[0]
    )
