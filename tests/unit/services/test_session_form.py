"""The editor's form without Qt: typed values, field messages, the live preview, drafts."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance_desktop.domain.alerts import AlertSettings
from alliance_desktop.domain.instruments import INSTRUMENTS
from alliance_desktop.domain.scoring import score
from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.services import clients, drafts, sessions, text_packs
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.session_form import (
    SessionForm,
    form_from_session,
    item_key,
    measure_plan,
    new_session_form,
    parse_item_text,
    planned_instruments,
    preview_form,
    read_form,
    save_measure_plan,
)
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientData, ClientFields

NOW = datetime(2026, 11, 25, 18, 0)
SRS = INSTRUMENTS["SRS"]


@pytest.fixture
def client_id(new_db: Database) -> int:
    fields = ClientFields("C-1", "Zoë", "Łukasiewicz", Approach.CBT, date(2026, 10, 1))
    cid = clients.create_client(new_db, fields, today=date(2026, 11, 25)).client_id
    clients.add_goal(new_db, cid, "Sleep", date(2026, 10, 1), today=date(2026, 11, 25))
    return cid


def tree(db: Database, cid: int) -> ClientData:
    client = repository.load_client_tree(db, cid)
    assert client is not None
    return client


def srs_form(values: list[str], start: str = "2026-11-20 10:00") -> SessionForm:
    return SessionForm(start=start, approach="cbt", instruments=["SRS"], items={"SRS": values})


# --- typed values ------------------------------------------------------------------------


@given(st.integers(0, 100))
def test_every_tenth_from_0_to_10_reads_back_exactly(tenths: int) -> None:
    item = SRS.items[0]
    text = f"{tenths / 10:.1f}"
    assert parse_item_text(text, SRS, item) == tenths / 10
    assert parse_item_text(text.replace(".", ","), SRS, item) == tenths / 10


@given(st.text(max_size=12))
def test_any_text_is_a_value_in_range_or_one_clear_message(text: str) -> None:
    item = SRS.items[0]
    try:
        value = parse_item_text(text, SRS, item)
    except InvalidInput as exc:
        assert "SRS Relationship: enter a number with at most 1 decimal from 0 to 10" in str(exc)
        return
    if value is not None:
        assert 0 <= value <= 10
        assert round(value, 1) == value


@given(st.lists(st.integers(0, 100), min_size=4, max_size=4))
def test_the_preview_total_is_the_domain_score(tenths: list[int]) -> None:
    values = [t / 10 for t in tenths]
    form = srs_form([f"{v:.1f}" for v in values])
    client = ClientData("C-1", "Zoë", "", Approach.CBT, date(2026, 10, 1))
    preview = preview_form(form, client, AlertSettings(), now=NOW)
    assert preview.measures["SRS"].total == score(SRS, values).total


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("11", "from 0 to 10"),
        ("8.55", "at most 1 decimal"),
        ("abc", "'abc' is not a number"),
        ("-1", "from 0 to 10"),
        ("nan", "from 0 to 10"),
    ],
)
def test_bad_values_get_a_message(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        parse_item_text(text, SRS, SRS.items[0])


def test_likert_items_take_whole_numbers() -> None:
    wai = INSTRUMENTS["WAI-SR"]
    assert parse_item_text(" 4 ", wai, wai.items[0]) == 4
    with pytest.raises(InvalidInput, match="a whole number from 1 to 5"):
        parse_item_text("3.5", wai, wai.items[0])


# --- reading a form ----------------------------------------------------------------------


def test_a_valid_form_reads_into_a_session(new_db: Database, client_id: int) -> None:
    form = srs_form(["9", "8.5", "9", "9"])
    form.instruments.append("GBO")
    form.goal_ratings = {"1": "4"}
    form.rupture = True
    form.rupture_description = "went quiet after the homework came up"
    reading = read_form(form, tree(new_db, client_id), now=NOW)
    assert reading.errors == {}
    session = reading.session
    assert session is not None
    (m,) = session.measurements
    assert m.item_values == [9, 8.5, 9, 9]
    assert m.taken_at == datetime(2026, 11, 20, 10, 50)  # the SRS is taken at the end
    assert session.goal_ratings[0].rating == 4
    assert session.ruptures[0].description.startswith("went quiet")


def test_each_problem_is_reported_beside_its_field(new_db: Database, client_id: int) -> None:
    form = srs_form(["9", "12", "", "9"], start="2026-11-20 10:00")
    form.duration = "0"
    reading = read_form(form, tree(new_db, client_id), now=NOW)
    assert reading.session is None
    assert set(reading.errors) == {"duration", item_key("SRS", 2)}
    form = srs_form(["9", "9", "", "9"])
    reading = read_form(form, tree(new_db, client_id), now=NOW)
    assert reading.errors == {
        item_key("SRS", 3): "Enter all 4 SRS items (or untick SRS if it was not done this session)."
    }


def test_record_level_problems_land_on_the_start_field(new_db: Database, client_id: int) -> None:
    for start, fragment in (
        ("2026-09-01 10:00", "before C-1's intake"),
        ("2027-01-01 10:00", "in the future"),
        ("2026-11-31 10:00", "not a date and time"),
    ):
        reading = read_form(srs_form(["9"] * 4, start), tree(new_db, client_id), now=NOW)
        assert fragment in reading.errors["start"]


def test_a_cancelled_session_drops_its_measures(new_db: Database, client_id: int) -> None:
    form = srs_form(["9"] * 4)
    form.attendance = "cancelled"
    reading = read_form(form, tree(new_db, client_id), now=NOW)
    assert reading.session is not None and reading.session.measurements == []


def test_a_stored_session_round_trips_through_the_form(new_db: Database, client_id: int) -> None:
    form = srs_form(["9", "8.5", "9", "9"])
    form.instruments.append("GBO")
    form.goal_ratings = {"1": "4"}
    client = tree(new_db, client_id)
    reading = read_form(form, client, now=NOW)
    assert reading.session is not None
    added = sessions.save_session(new_db, client_id, reading.session, now=NOW)
    _, stored = sessions.load_session(new_db, client_id, added.session_id)
    again = form_from_session(stored)
    assert again.items["SRS"] == ["9", "8.5", "9", "9"]
    assert again.goal_ratings == {"1": "4"}
    assert SessionForm.from_dict(json.loads(json.dumps(again.to_dict()))) == again


# --- the live preview --------------------------------------------------------------------


def test_an_srs_under_the_cut_off_shows_change_and_its_alert(
    new_db: Database, client_id: int
) -> None:
    first = read_form(srs_form(["9.5"] * 4, "2026-11-13 10:00"), tree(new_db, client_id), now=NOW)
    assert first.session is not None
    sessions.save_session(new_db, client_id, first.session, now=NOW)
    preview = preview_form(
        srs_form(["9", "8", "9", "9"]), tree(new_db, client_id), AlertSettings(), now=NOW
    )
    srs = preview.measures["SRS"]
    assert srs.total == 35 and srs.change == -3 and srs.previous_number == 1
    assert "down 3 since session 1" in srs.text
    assert "under the cut-off of 36" in srs.text
    assert srs.subscales == {"bond": 9, "goal": 8, "task": 9}
    reasons = " ".join(reason for _, reason in preview.alerts)
    assert "36" in reasons


def test_a_half_typed_measure_says_how_far_along_it_is(new_db: Database, client_id: int) -> None:
    preview = preview_form(srs_form(["9", "9"]), tree(new_db, client_id), AlertSettings())
    assert preview.measures["SRS"].text == "2 of 4 entered"
    assert preview.alerts == ()
    preview = preview_form(srs_form(["9", "99"]), tree(new_db, client_id), AlertSettings())
    assert preview.measures["SRS"].text == "Check the marked value."


# --- plans, drafts, text packs -----------------------------------------------------------


def test_the_wai_sr_comes_every_fourth_session(new_db: Database, client_id: int) -> None:
    client = tree(new_db, client_id)
    plan = ["ORS", "SRS", "WAI-SR", "GBO"]
    assert planned_instruments(plan, 3, client, AlertSettings()) == ["ORS", "SRS", "GBO"]
    assert planned_instruments(plan, 4, client, AlertSettings()) == plan
    form = new_session_form(client, plan, AlertSettings(), NOW)
    assert form.start == "2026-11-25 18:00" and form.approach == "cbt"


def test_a_client_plan_overrides_the_practice_default(new_db: Database, client_id: int) -> None:
    assert measure_plan(new_db, client_id) == ["ORS", "SRS", "WAI-SR", "GBO"]
    save_measure_plan(new_db, client_id, ["CORE-10", "WAI-SR"])
    assert measure_plan(new_db, client_id) == ["CORE-10", "WAI-SR"]
    with pytest.raises(InvalidInput, match="Unknown instrument BDI-II"):
        save_measure_plan(new_db, client_id, ["BDI-II"])


def test_drafts_are_kept_until_discarded_and_go_with_their_client(
    new_db: Database, client_id: int
) -> None:
    form = srs_form(["9", "", "", ""])
    form.notes = "Zoë spoke about her sister 🌱"
    draft_id = drafts.save_draft(new_db, None, client_id, None, form)
    form.notes += " and her mother"
    assert drafts.save_draft(new_db, draft_id, client_id, None, form) == draft_id
    (kept,) = drafts.unsaved_drafts(new_db)
    assert (kept.client_code, kept.form) == ("C-1", form)
    drafts.discard_draft(new_db, draft_id)
    assert drafts.unsaved_drafts(new_db) == []
    drafts.save_draft(new_db, None, client_id, None, form)
    clients.delete_client(new_db, client_id)
    assert drafts.unsaved_drafts(new_db) == []


def test_a_damaged_draft_still_restores_what_it_can() -> None:
    form = SessionForm.from_dict({"notes": "kept", "duration": 5, "instruments": ["SRS", "X"]})
    assert (form.notes, form.duration, form.instruments) == ("kept", "50", ["SRS"])


def test_a_text_pack_brings_wording_and_a_bad_one_changes_nothing(
    new_db: Database, tmp_path: Path
) -> None:
    good = tmp_path / "wai.json"
    texts = [f"Invented test wording {n}" for n in range(1, 13)]
    good.write_text(json.dumps({"instrument_id": "WAI-SR", "language": "en", "item_texts": texts}))
    text_packs.import_text_pack(new_db, good)
    worded = text_packs.worded_instruments(new_db)["WAI-SR"]
    assert [i.text for i in worded.items] == texts
    before = repository.all_settings(new_db)
    bad = tmp_path / "bad.json"
    for content, fragment in (
        ("{", "is not valid JSON"),
        (json.dumps({"instrument_id": "WAI-SR", "item_texts": ["x"]}), "needs 12"),
        (json.dumps({"instrument_id": "CORE-10", "item_texts": texts[:10]}), "must not be altered"),
        (json.dumps({"instrument_id": "SRS", "item_texts": texts[:4]}), "PCOMS licence allows"),
        (json.dumps({"instrument_id": "BDI-II", "item_texts": []}), "instrument_id must be one"),
        (json.dumps([1, 2]), "one JSON object"),
    ):
        bad.write_text(content)
        with pytest.raises(InvalidInput, match=fragment):
            text_packs.import_text_pack(new_db, bad)
    with pytest.raises(InvalidInput, match="There is no file at"):
        text_packs.import_text_pack(new_db, tmp_path / "missing.json")
    assert repository.all_settings(new_db) == before


def test_re_saving_a_stored_session_through_the_form_changes_nothing_else(
    new_db: Database, client_id: int
) -> None:
    """Times, respondents, closed goals' ratings and measures without fields survive."""
    from alliance_desktop.domain.vocabulary import GoalStatus

    client = tree(new_db, client_id)
    document = {
        "start": "2026-11-02T10:00",
        "measurements": [
            {
                "instrument_id": "WAI-SR",
                "taken_at": "2026-11-05T19:30",  # filled in at home three days later
                "respondent": "therapist",
                "item_values": [4] * 12,
            },
            {"instrument_id": "GBO", "item_values": [3, None, None]},
        ],
        "goal_ratings": [{"goal": 1, "rating": 3}],
    }
    added = sessions.record_session(
        new_db, client_id, sessions.parse_session(document, client), now=NOW
    )
    goal = repository.list_goals(new_db, client_id)[0]
    clients.set_goal_status(new_db, goal.goal_id, GoalStatus.ACHIEVED, date(2026, 11, 20))
    before = tree(new_db, client_id).sessions[0]
    _, stored = sessions.load_session(new_db, client_id, added.session_id)
    form = form_from_session(stored)
    form.notes = "a note added later"
    others = tree(new_db, client_id)
    others.sessions = []
    reading = read_form(form, others, now=NOW)
    assert reading.errors == {}
    assert reading.session is not None
    sessions.save_session(new_db, client_id, reading.session, session_id=added.session_id, now=NOW)
    after = tree(new_db, client_id).sessions[0]
    assert after.notes == "a note added later"
    key = {m.instrument_id: (m.taken_at, m.respondent, m.item_values) for m in after.measurements}
    assert key == {
        m.instrument_id: (m.taken_at, m.respondent, m.item_values) for m in before.measurements
    }
    assert after.goal_ratings == before.goal_ratings


def test_goal_ratings_are_whole_points_everywhere(new_db: Database, client_id: int) -> None:
    client = tree(new_db, client_id)
    document = {"start": "2026-11-02T10:00", "goal_ratings": [{"goal": 1, "rating": 6.5}]}
    with pytest.raises(InvalidInput, match="Rate goal 1 from 0 to 10 in whole points"):
        sessions.record_session(
            new_db, client_id, sessions.parse_session(document, client), now=NOW
        )


def test_a_rating_for_a_goal_agreed_later_is_refused_not_dropped(
    new_db: Database, client_id: int
) -> None:
    form = srs_form(["9"] * 4, start="2026-10-01 09:00")
    clients.add_goal(new_db, client_id, "Later goal", date(2026, 11, 1), today=date(2026, 11, 25))
    form.instruments.append("GBO")
    form.goal_ratings = {"2": "5"}
    reading = read_form(form, tree(new_db, client_id), now=NOW)
    assert "agreed on 2026-11-01, after this session" in reading.errors["goal_2"]


@pytest.mark.parametrize("text", ["1_0", "1e1", "inf", "0x5", "٣"])
def test_only_plain_decimals_are_numbers(text: str) -> None:
    with pytest.raises(InvalidInput, match="is not a number"):
        parse_item_text(text, SRS, SRS.items[0])


def test_drafts_that_cannot_be_read_are_skipped(new_db: Database, client_id: int) -> None:
    drafts.save_draft(new_db, None, client_id, None, srs_form(["9"]))
    with new_db.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO session_drafts (client_id, session_id, saved_at, content)"
            " VALUES (?, NULL, '2026-11-25 10:00:00.000000', '[1, 2]')",
            (client_id,),
        )
    assert len(drafts.unsaved_drafts(new_db)) == 1
    weird = SessionForm.from_dict({"duration": "²", "notes": "kept"})
    assert (weird.duration, weird.notes) == ("50", "kept")


def test_a_draft_for_a_deleted_client_is_refused_in_words(new_db: Database, client_id: int) -> None:
    from alliance_desktop.storage.errors import RecordGone

    clients.delete_client(new_db, client_id)
    with pytest.raises(RecordGone, match="no longer exists"):
        drafts.save_draft(new_db, None, client_id, None, srs_form(["9"]))
