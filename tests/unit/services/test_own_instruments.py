"""The practice's own instruments through the services, on real database files (issue 19):
versions, retiring, deleting, text packs, and the registry following the open database."""

from __future__ import annotations

import copy
import json
import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from alliance_desktop.domain.instruments import INSTRUMENTS, OFFERED_IDS, custom_instruments
from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.services import clients, instruments, sessions, text_packs
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.records import ClientFields
from tests.keyed import open_database, raw_connect

EXAMPLE = (
    Path(__file__).resolve().parents[3] / "resources/instruments/example-therapist-alliance.json"
)
NOW = datetime(2026, 11, 20, 12, 0)
ID = "therapist-alliance-6"


def _document() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text("utf-8"))


def _changed(version: str, **instrument: Any) -> dict[str, Any]:
    document = copy.deepcopy(_document())
    document["instrument"].update(version=version, **instrument)
    return document


def _record(db: Database, values: list[float]) -> None:
    fields = ClientFields("C-7", "Zoë", "Łukasiewicz", Approach.CBT, date(2026, 9, 1))
    client_id = (
        repository.client_id_for_code(db, "C-7") or clients.create_client(db, fields).client_id
    )
    tree = repository.load_client_tree(db, client_id)
    assert tree is not None
    start = f"2026-11-{10 + len(tree.sessions):02d}T10:00"
    document = {"start": start, "measurements": [{"instrument_id": ID, "item_values": values}]}
    sessions.record_session(db, client_id, sessions.parse_session(document, tree), now=NOW)


@pytest.fixture
def db(db_path: Path) -> Any:
    database = open_database(db_path)
    yield database
    database.close()


def test_import_again_replace_and_new_version(db: Database) -> None:
    own = instruments.parse_definition(_document())
    assert instruments.import_definition(db, own, NOW).outcome == "added"
    assert instruments.import_definition(db, own, NOW).outcome == "unchanged"
    assert INSTRUMENTS[ID].respondent == "therapist" and ID in OFFERED_IDS
    # Without measurements, the same version may still be corrected in place.
    fixed = instruments.parse_definition(_changed("1", name="Alliance check (corrected)"))
    assert instruments.import_definition(db, fixed, NOW).outcome == "replaced"
    _record(db, [6, 5, 6, 5, 7, 6])
    (stored,) = repository.load_client_trees(db)[0].sessions[0].measurements
    assert (stored.instrument_version, stored.respondent) == ("1", "therapist")
    # Now it has data: the same version with other content is refused, a new one is added.
    clash = instruments.parse_definition(_changed("1", name="Something else"))
    with pytest.raises(InvalidInput, match="already has measurements"):
        instruments.import_definition(db, clash, NOW)
    assert instruments.next_version(ID) == "2"
    v2 = instruments.parse_definition(_changed("2", name="Alliance check v2"))
    assert instruments.import_definition(db, v2, NOW).outcome == "new version"
    assert [v.version for v in custom_instruments()[ID].versions] == ["1", "2"]
    assert INSTRUMENTS[ID].name == "Alliance check v2"


def test_retire_delete_and_offer_again(db: Database) -> None:
    instruments.import_definition(db, instruments.parse_definition(_document()), NOW)
    _record(db, [6, 5, 6, 5, 7, 6])
    with pytest.raises(InvalidInput, match="cannot be deleted; retire it instead"):
        instruments.delete_instrument(db, ID)
    assert "Retired" in instruments.retire_instrument(db, ID, NOW)
    assert ID in INSTRUMENTS and ID not in OFFERED_IDS  # scored, not offered
    assert "already retired" in instruments.retire_instrument(db, ID, NOW)
    instruments.restore_instrument(db, ID)
    assert ID in OFFERED_IDS
    with pytest.raises(InvalidInput, match="built in and cannot be retired"):
        instruments.retire_instrument(db, "SRS", NOW)


def test_an_instrument_without_data_is_deleted(db: Database) -> None:
    instruments.import_definition(db, instruments.parse_definition(_document()), NOW)
    assert "Deleted" in instruments.delete_instrument(db, ID)
    assert ID not in INSTRUMENTS and repository.list_instrument_definitions(db) == []


def test_a_text_pack_words_an_own_instrument_that_ships_none(db: Database, tmp_path: Path) -> None:
    bare = _document()
    for item in bare["instrument"]["items"]:
        item.pop("text", None)
    instruments.import_definition(db, instruments.parse_definition(bare), NOW)
    pack = tmp_path / "pack.json"
    texts = [f"Licensed wording {n}" for n in range(1, 7)]
    pack.write_text(json.dumps({"instrument_id": ID, "item_texts": texts}), encoding="utf-8")
    worded = text_packs.import_text_pack(db, pack)
    assert [i.text for i in worded.items] == texts
    assert text_packs.worded_instruments(db)[ID].items[0].text == "Licensed wording 1"
    # One that ships its own wording takes none.
    instruments.import_definition(db, instruments.parse_definition(_changed("2")), NOW)
    with pytest.raises(InvalidInput, match="already shipped"):
        text_packs.import_text_pack(db, pack)


def test_the_registry_follows_the_open_database(db_path: Path, tmp_path: Path) -> None:
    first = open_database(db_path)
    instruments.import_definition(first, instruments.parse_definition(_document()), NOW)
    first.close()
    other = open_database(tmp_path / "other.db")
    assert ID not in INSTRUMENTS  # another practice's instruments are not this one's
    other.close()
    again = open_database(db_path)
    assert ID in INSTRUMENTS
    again.close()


def test_a_stored_definition_that_no_longer_reads_is_left_out_and_named(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = open_database(db_path)
    instruments.import_definition(first, instruments.parse_definition(_document()), NOW)
    first.close()
    conn = raw_connect(db_path)
    conn.execute("UPDATE instrument_definitions SET document = '{\"format\": 1}'")
    conn.commit()
    conn.close()
    with caplog.at_level(logging.WARNING):
        reopened = open_database(db_path)
    reopened.close()
    assert ID not in INSTRUMENTS
    assert f"{ID} version 1" in caplog.text


def test_a_refused_export_leaves_no_instrument_behind(db: Database, tmp_path: Path) -> None:
    """Reading an export puts its instruments beside the database's only while its clients
    are checked: a refused file leaves the registry as it was (review finding)."""
    from alliance_desktop.services import transfer

    document = {
        "format": "alliance-desktop-export",
        "format_version": 2,
        "instruments": [
            {"document": _document(), "added_at": "2026-11-01T09:00:00", "retired_at": None}
        ],
        "clients": [{"code": "", "given_name": "Zoë", "approach": "cbt"}],
    }
    export = tmp_path / "export.json"
    export.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InvalidInput):
        transfer.read_export(export, today=date(2026, 12, 1))
    assert ID not in INSTRUMENTS and custom_instruments() == {}


def test_an_instrument_named_by_a_kept_risk_answer_is_not_deleted(db: Database) -> None:
    from alliance_desktop.domain.instruments import item_name_for

    risky = _changed("1")
    risky["instrument"]["items"][5]["risk"] = True
    instruments.import_definition(db, instruments.parse_definition(risky), NOW)
    _record(db, [6, 5, 6, 5, 7, 3])  # item 6 above its lowest: a risk answer
    client_id = repository.client_id_for_code(db, "C-7")
    assert client_id is not None
    (session,) = repository.load_client_tree(db, client_id).sessions  # type: ignore[union-attr]
    sessions.delete_session(db, client_id, session.session_id)
    with pytest.raises(InvalidInput, match="named by kept records"):
        instruments.delete_instrument(db, ID)
    assert ID in INSTRUMENTS
    # Named plainly, never a KeyError, for an instrument the registry no longer has.
    assert item_name_for("gone-7", 3) == "gone-7 item 3"


def test_an_own_version_the_registry_lacks_is_not_scored_with_another(db: Database) -> None:
    from alliance_desktop.domain.instruments import instrument_for

    instruments.import_definition(db, instruments.parse_definition(_document()), NOW)
    assert instrument_for(ID, "1") is not None
    assert instrument_for(ID, "7") is None  # not the current one in its place
    assert instrument_for("SRS", "an old label") is INSTRUMENTS["SRS"]


def test_a_database_opened_beside_the_one_in_use_leaves_its_instruments(
    db: Database, tmp_path: Path
) -> None:
    instruments.import_definition(db, instruments.parse_definition(_document()), NOW)
    beside = open_database(tmp_path / "demo.db", install_instruments=False)
    beside.close()
    assert ID in INSTRUMENTS


def test_the_version_added_last_is_current_whatever_the_clock_says(db: Database) -> None:
    """Two imports within one tick of a clock, or with the clock set back (a trip across
    time zones, libfaketime in CI): the later import is still the current version."""
    instruments.import_definition(db, instruments.parse_definition(_document()), NOW)
    earlier = datetime(2026, 11, 1, 9, 0)  # the clock went back
    v2 = instruments.parse_definition(_changed("2", name="Alliance check v2"))
    instruments.import_definition(db, v2, earlier)
    assert INSTRUMENTS[ID].version == "2"
    db.close()
    reopened = open_database(db.path)  # as read at the next open
    try:
        assert INSTRUMENTS[ID].version == "2"
    finally:
        reopened.close()


def _norms(*, higher_is_better: bool) -> dict[str, Any]:
    return {
        "reliability": 0.8,
        "higher_is_better": higher_is_better,
        "source": "Made up for this test",
    }


def _rescaled(version: str, change: str) -> dict[str, Any]:
    """The example at ``version`` with one change of scale (the example: six items 1-7,
    total and goal/task/bond subscales as means)."""
    document = _changed(version)
    instrument = document["instrument"]
    if change == "range":
        for item in instrument["items"]:
            item["minimum"], item["maximum"] = 0, 10
        instrument.update(anchors=[], total_min=0, total_max=10)
        instrument.pop("axis", None)
    elif change == "direction":
        instrument["norms"] = _norms(higher_is_better=False)
    elif change == "subscale":
        instrument["subscales"][0]["method"] = "sum"
    elif change == "kind":
        instrument.update(kind="outcome", alert_rules=[])
        for scale in instrument["subscales"]:
            scale["tag"] = None
    return document


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("range", "version 2 scores from 0 to 10 and version 1 from 1 to 7"),
        ("direction", "a lower score means better in version 2 and worse in version 1"),
        ("subscale", "its Goal subscale runs from 2 to 14 in version 2 and from 1 to 7 in"),
        ("kind", "version 2 is an outcome measure and version 1 an alliance measure"),
    ],
)
def test_a_version_on_another_scale_is_refused_once_there_are_scores(
    db: Database, change: str, words: str
) -> None:
    """Charts, reliable change and alerts compare an instrument's scores across versions:
    a new version may reword and relabel, not rescale. Before any scores it may."""
    first = _changed("1", norms=_norms(higher_is_better=True) if change == "direction" else None)
    instruments.import_definition(db, instruments.parse_definition(first), NOW)
    rescaled = instruments.parse_definition(_rescaled("2", change))
    _record(db, [6, 5, 6, 5, 7, 6])
    before = repository.list_instrument_definitions(db)
    with pytest.raises(InvalidInput) as refused:
        instruments.import_definition(db, rescaled, NOW)
    message = str(refused.value)
    assert message.startswith(f"{ID} has 1 stored measurement taken with version 1, and ")
    assert words in message and message.endswith("Nothing was changed.")
    assert repository.list_instrument_definitions(db) == before
    assert [v.version for v in custom_instruments()[ID].versions] == ["1"]


def test_a_version_on_another_scale_is_taken_while_no_version_has_scores(db: Database) -> None:
    instruments.import_definition(db, instruments.parse_definition(_document()), NOW)
    rescaled = instruments.parse_definition(_rescaled("2", "range"))
    assert instruments.import_definition(db, rescaled, NOW).outcome == "new version"
    assert (INSTRUMENTS[ID].total_min, INSTRUMENTS[ID].total_max) == (0, 10)


def test_a_version_without_data_is_replaced_only_on_the_scale_of_those_with_data(
    db: Database,
) -> None:
    """Version 2, still without scores, may be corrected in place, but not rescaled while
    version 1 has scores; every version with scores is compared, not only the last."""
    instruments.import_definition(db, instruments.parse_definition(_document()), NOW)
    _record(db, [6, 5, 6, 5, 7, 6])
    v2 = instruments.parse_definition(_changed("2", name="Alliance check v2"))
    assert instruments.import_definition(db, v2, NOW).outcome == "new version"
    corrected = instruments.parse_definition(_changed("2", name="Alliance check v2 (typo)"))
    assert instruments.import_definition(db, corrected, NOW).outcome == "replaced"
    rescaled = instruments.parse_definition(_rescaled("2", "range"))
    with pytest.raises(InvalidInput, match="taken with version 1, and version 2 scores from 0"):
        instruments.import_definition(db, rescaled, NOW)
    _record(db, [6, 6, 6, 6, 6, 6])  # now version 2 has scores too
    rescaled = instruments.parse_definition(_rescaled("3", "range"))
    with pytest.raises(InvalidInput, match="taken with version 1, and version 3 scores from 0"):
        instruments.import_definition(db, rescaled, NOW)
    assert [v.version for v in custom_instruments()[ID].versions] == ["1", "2"]
    assert INSTRUMENTS[ID].name == "Alliance check v2 (typo)"


def test_a_form_is_not_recorded_on_an_earlier_version_of_another_scale(db: Database) -> None:
    """Version 2 rescaled before any scores is allowed; a form then recorded on version 1
    (named in the session's JSON) is refused, so scores never land on two scales."""
    instruments.import_definition(db, instruments.parse_definition(_document()), NOW)
    rescaled = instruments.parse_definition(_rescaled("2", "range"))
    assert instruments.import_definition(db, rescaled, NOW).outcome == "new version"
    fields = ClientFields("C-8", "Łukasz", "Nowak", Approach.CBT, date(2026, 9, 1))
    client_id = clients.create_client(db, fields).client_id
    tree = repository.load_client_tree(db, client_id)
    assert tree is not None
    old = {"instrument_id": ID, "instrument_version": "1", "item_values": [6, 5, 6, 5, 7, 6]}
    document = {"start": "2026-11-10T10:00", "measurements": [old]}
    with pytest.raises(InvalidInput, match="version 1 is on another scale than version 2"):
        sessions.record_session(db, client_id, sessions.parse_session(document, tree), now=NOW)
    assert repository.measurements_taken(db, ID) == 0
    current = {"instrument_id": ID, "item_values": [6, 5, 6, 5, 10, 0]}
    document = {"start": "2026-11-10T10:00", "measurements": [current]}
    sessions.record_session(db, client_id, sessions.parse_session(document, tree), now=NOW)
    assert repository.measurements_taken(db, ID, "2") == 1
