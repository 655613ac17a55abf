"""Export and import: lossless round trip, and every bad file refused with its place named."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from alliance_desktop.services.errors import Conflict, InvalidInput
from alliance_desktop.services.transfer import export_document, export_json, import_json
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from tests.keyed import open_database

UNICODE_NAMES = ["Zoë", "Łukasz", "Ёлка", "عائشة", "Ἀθηνᾶ", "Kai 🌊"]


def minimal_document() -> dict[str, Any]:
    return {
        "format": "alliance-desktop-export",
        "format_version": 1,
        "clients": [
            {
                "code": "C-0001",
                "given_name": "Zoë",
                "family_name": "Łukasiewicz",
                "approach": "cbt",
                "intake_date": "2026-03-04",
                "goals": [{"number": 1, "description": "Sleep", "agreed_on": "2026-03-11"}],
                "sessions": [
                    {
                        "number": 1,
                        "start": "2026-03-11T10:00",
                        "approach": "cbt",
                        "notes": "x" * 1_000_000,
                        "measurements": [
                            {
                                "instrument_id": "SRS",
                                "taken_at": "2026-03-11T10:50",
                                "item_values": [9, 9, 8.5, 9],
                            }
                        ],
                        "goal_ratings": [{"goal": 1, "rating": 3}],
                        "ruptures": [
                            {"kind": "withdrawal", "repair": "named it", "resolved": True}
                        ],
                    }
                ],
            }
        ],
    }


def write(tmp_path: Path, document: Any, name: str = "in.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_minimal_document_imports_with_megabyte_note(new_db: Database, tmp_path: Path) -> None:
    assert import_json(new_db, write(tmp_path, minimal_document())) == 1
    (client,) = repository.load_client_trees(new_db)
    assert client.given_name == "Zoë" and len(client.sessions[0].notes) == 1_000_000
    assert client.sessions[0].measurements[0].item_values == [9, 9, 8.5, 9]
    assert client.sessions[0].goal_ratings[0].rating == 3
    rows = repository.list_client_rows(new_db)
    assert rows[0].summary is not None and rows[0].summary.alliance_latest == 35.5


def test_unicode_names_round_trip(new_db: Database, tmp_path: Path) -> None:
    document = minimal_document()
    template = document["clients"][0]
    document["clients"] = []
    for i, name in enumerate(UNICODE_NAMES):
        client = copy.deepcopy(template)
        client.update(code=f"C-{i:04d}", given_name=name, family_name=name[::-1])
        document["clients"].append(client)
    import_json(new_db, write(tmp_path, document))
    out = tmp_path / "out.json"
    export_json(new_db, out)
    names = [c["given_name"] for c in json.loads(out.read_text("utf-8"))["clients"]]
    assert sorted(names) == sorted(UNICODE_NAMES)


def test_round_trip_is_lossless(demo_db_path: Path, tmp_path: Path) -> None:
    source = open_database(demo_db_path)
    target = open_database(tmp_path / "copy.db")
    try:
        out = tmp_path / "e.json"
        export_json(source, out)
        import_json(target, out)
        first, second = export_document(source), export_document(target)
    finally:
        source.close()
        target.close()
    first.pop("exported_at"), second.pop("exported_at")
    assert first == second
    assert len(first["clients"]) == 40


def _set(document: dict[str, Any], dotted: str, value: Any) -> None:
    node: Any = document
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if value is _DELETE:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value


_DELETE = object()
S = "clients.0.sessions.0"


@pytest.mark.parametrize(
    ("dotted", "value", "message"),
    [
        ("clients.0.code", _DELETE, "clients[0].code is missing"),
        ("clients.0.approach", "gestalt", "clients[0].approach is 'gestalt'; it must be one of"),
        ("clients.0.intake_date", "20/11/2026", "not a date; use YYYY-MM-DD"),
        ("clients.0.date_of_birth", "2999-01-01", "date_of_birth 2999-01-01 is in the future"),
        ("clients.0.discharge_date", "2026-01-01", "is before the intake date"),
        ("clients.0.given_name", 42, "clients[0].given_name must be text, not int"),
        ("clients.0.given_name", "   ", "must not be empty"),
        (f"{S}.start", "2026-03-11 25:00", "not a date and time"),
        (f"{S}.start", "2026-03-11T10:00+02:00", "has a time zone"),
        (f"{S}.number", "one", "must be a whole number"),
        (f"{S}.attendance", "late", "one of attended, cancelled, no_show"),
        (f"{S}.duration_minutes", -5, "from 1 to 600"),
        (f"{S}.measurements.0.item_values", [9, 11, 8, 9], "sessions[0].measurements[0]: SRS"),
        (f"{S}.measurements.0.item_values", [9, 9, 9], "sessions[0].measurements[0]: SRS"),
        (f"{S}.measurements.0.item_values", [9, "x", 9, 9], "sessions[0].measurements[0]: SRS"),
        (f"{S}.measurements.0.instrument_id", "PHQ-9", "PHQ-9"),
        (f"{S}.goal_ratings.0.goal", 7, "the client has no goal 7"),
        (f"{S}.goal_ratings.0.rating", 11, "it must be from 0 to 10"),
        (f"{S}.ruptures.0.kind", "sulk", "one of withdrawal, confrontation"),
        (f"{S}.ruptures.0.resolved", "yes", "must be true or false"),
        ("format_version", 99, "export format version 99"),
        ("clients", {"a": 1}, '"clients" must be an array'),
        ("settings", {"alert_settings": {"srs_cutoff": "high"}}, "settings.alert_settings"),
    ],
)
def test_bad_documents_are_refused_and_change_nothing(
    new_db: Database, tmp_path: Path, dotted: str, value: Any, message: str
) -> None:
    document = minimal_document()
    _set(document, dotted, value)
    with pytest.raises(InvalidInput) as excinfo:
        import_json(new_db, write(tmp_path, document))
    assert message in str(excinfo.value)
    assert "\n" not in str(excinfo.value)
    assert repository.count_clients(new_db) == 0
    assert repository.all_settings(new_db) == {}


def test_duplicate_client_codes_are_refused(new_db: Database, tmp_path: Path) -> None:
    document = minimal_document()
    document["clients"].append(copy.deepcopy(document["clients"][0]))
    with pytest.raises(InvalidInput, match=r"clients\[1\]\.code 'C-0001' is used by another"):
        import_json(new_db, write(tmp_path, document))
    assert repository.count_clients(new_db) == 0


def test_duplicate_session_numbers_are_refused(new_db: Database, tmp_path: Path) -> None:
    document = minimal_document()
    sessions = document["clients"][0]["sessions"]
    sessions.append(copy.deepcopy(sessions[0]))
    with pytest.raises(InvalidInput, match="number 1 is used twice"):
        import_json(new_db, write(tmp_path, document))


def test_import_into_non_empty_database_is_refused(new_db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, minimal_document())
    import_json(new_db, path)
    with pytest.raises(Conflict, match="already holds 1 client;"):
        import_json(new_db, path)
    assert repository.count_clients(new_db) == 1


def test_failed_write_leaves_database_empty(
    new_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure half-way through the insert rolls back everything (one transaction)."""
    from alliance_desktop.storage import repository as repo_module

    original = repo_module._returning_ids
    calls = {"n": 0}

    def fail_on_sessions(conn: Any, table: Any, rows: list[dict[str, Any]]) -> list[int]:
        calls["n"] += 1
        if table.name == "sessions":
            raise OSError(28, "No space left on device")
        return original(conn, table, rows)

    monkeypatch.setattr(repo_module, "_returning_ids", fail_on_sessions)
    with pytest.raises(OSError, match="No space left"):
        import_json(new_db, write(tmp_path, minimal_document()))
    assert calls["n"] >= 2
    assert repository.count_clients(new_db) == 0


def test_export_with_byte_order_mark_imports(new_db: Database, tmp_path: Path) -> None:
    """Notepad on Windows saves UTF-8 with a byte-order mark."""
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(minimal_document(), ensure_ascii=False), encoding="utf-8-sig")
    assert import_json(new_db, path) == 1


@pytest.mark.parametrize(
    ("dotted", "value", "message"),
    [
        (f"{S}.start", "2026-03-01T10:00", "is before the intake date 2026-03-04"),
        ("clients.0.given_name", "Z" * 201, "given_name is longer than 200 characters"),
        ("clients.0.phone", "0" * 51, "phone is longer than 50 characters"),
    ],
)
def test_values_the_schema_cannot_hold_are_refused(
    new_db: Database, tmp_path: Path, dotted: str, value: Any, message: str
) -> None:
    document = minimal_document()
    _set(document, dotted, value)
    with pytest.raises(InvalidInput, match=message):
        import_json(new_db, write(tmp_path, document))
    assert repository.count_clients(new_db) == 0


def test_csv_cells_cannot_become_formulas(new_db: Database, tmp_path: Path) -> None:
    from alliance_desktop.services.transfer import export_csv

    document = minimal_document()
    document["clients"][0]["given_name"] = '=HYPERLINK("http://example.invalid","click")'
    document["clients"][0]["sessions"][0]["notes"] = "+1 felt better"
    import_json(new_db, write(tmp_path, document))
    out = tmp_path / "tables"
    export_csv(new_db, out)
    import csv

    with (out / "clients.csv").open(encoding="utf-8-sig", newline="") as handle:
        (client,) = list(csv.DictReader(handle))
    assert client["given_name"].startswith("'=HYPERLINK")
    with (out / "sessions.csv").open(encoding="utf-8-sig", newline="") as handle:
        (session,) = list(csv.DictReader(handle))
    assert session["notes"] == "'+1 felt better"
    with (out / "measurements.csv").open(encoding="utf-8-sig", newline="") as handle:
        (measurement,) = list(csv.DictReader(handle))
    assert measurement["total"] == "35.5" and measurement["item_3"] == "8.5"
