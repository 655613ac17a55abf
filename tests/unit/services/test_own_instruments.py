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
