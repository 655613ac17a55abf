"""Client codes are one code whatever the case or the way an accent was typed (issue 16):
"Émile-1" and "émile-1" can never be two people, and any spelling reaches the client."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from alliance_desktop.domain.client_codes import code_key
from alliance_desktop.domain.vocabulary import Approach
from alliance_desktop.services import clients, sessions
from alliance_desktop.services.clients import ClientInvalid
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.errors import MigrationRefused
from alliance_desktop.storage.records import ClientFields
from tests.keyed import encrypted_copy, open_database, raw_connect

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TODAY = date(2026, 11, 20)
EMILE = ClientFields(
    code="Émile-1",
    given_name="Émile",
    family_name="Durand",
    approach=Approach.CBT,
    intake_date=date(2026, 3, 4),
)


def test_the_key_folds_case_and_composes_accents() -> None:
    assert code_key("Émile-1") == code_key("émile-1") == code_key("E\u0301MILE-1 ")
    assert code_key("Straße-2") == code_key("STRASSE-2")
    assert code_key("Ёлка-3") == code_key("ёлка-3")
    assert code_key("C-1") != code_key("C-2")


@pytest.mark.parametrize("second", ["émile-1", "ÉMILE-1", "E\u0301mile-1", "e\u0301mile-1"])
def test_a_code_differing_only_in_case_or_accent_form_is_refused(
    new_db: Database, second: str
) -> None:
    clients.create_client(new_db, EMILE, today=TODAY)
    with pytest.raises(ClientInvalid) as refused:
        clients.create_client(new_db, replace(EMILE, code=second, given_name="Other"), today=TODAY)
    assert "code" in refused.value.errors
    assert repository.existing_codes(new_db) == {"Émile-1"}


def test_any_spelling_reaches_the_one_client(new_db: Database) -> None:
    elise = clients.create_client(
        new_db, replace(EMILE, code="ÉLISE-1", given_name="Élise"), today=TODAY
    ).client_id
    for spelling in ("ÉLISE-1", "élise-1", "E\u0301LISE-1", " élise-1 "):
        assert sessions.client_for_code(new_db, spelling) == elise
    with pytest.raises(InvalidInput, match="no client with the code"):
        sessions.client_for_code(new_db, "elise-1")  # without the accent: another code


def test_the_migration_refuses_codes_that_would_collide(tmp_path: Path) -> None:
    """Data from before 0005 with two such codes: the update refuses, says which, and
    leaves the database as it was."""
    plain = tmp_path / "old.db"
    shutil.copyfile(FIXTURES / "schema_0004_audit_log.db", plain)
    conn = sqlite3.connect(plain)
    template = conn.execute("SELECT * FROM clients LIMIT 1").fetchone()
    columns = [d[0] for d in conn.execute("SELECT * FROM clients LIMIT 1").description]
    for code in ("Émile-1", "émile-1"):
        values = dict(zip(columns, template, strict=True))
        values.pop("id")
        values["code"] = code
        conn.execute(
            f"INSERT INTO clients ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            list(values.values()),
        )
    conn.commit()
    conn.close()
    path = encrypted_copy(plain, tmp_path / "practice.db")
    before = _codes_and_columns(path)
    with pytest.raises(MigrationRefused) as refused:
        open_database(path)
    message = str(refused.value)
    assert "'Émile-1' and 'émile-1'" in message and "left as it was" in message
    assert _codes_and_columns(path) == before  # no code_key column, every row as it was
    check = raw_connect(path)
    try:
        revision = check.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        check.close()
    assert revision == "0004_audit_log"


def _codes_and_columns(path: Path) -> tuple[list[str], list[str]]:
    conn = raw_connect(path)
    try:
        codes = [r[0] for r in conn.execute("SELECT code FROM clients ORDER BY id")]
        columns = [r[1] for r in conn.execute("PRAGMA table_info(clients)")]
    finally:
        conn.close()
    return codes, columns
