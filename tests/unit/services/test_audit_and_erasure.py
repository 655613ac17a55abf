"""The audit log's chain, a client's erasure down to the file's pages, and the record export."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from alliance_desktop.reports.client_report import client_report_pdf
from alliance_desktop.services import audit, sessions
from alliance_desktop.services import clients as client_service
from alliance_desktop.services.transfer import export_client, import_contents, read_export
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from tests.keyed import key_for, open_database, raw_connect

CANARY = "ERASE-ME-CANARY-b41c9e-Łukasz"
_PAGE, _RESERVE = 4096, 80  # SQLCipher 4 defaults: 16-byte IV and 64-byte HMAC per page


def decrypted_pages(path: Path) -> bytes:
    """Every page of the database file, decrypted (AES-256-CBC with the raw key), free pages
    included: what an erased record must not be found in."""
    key = key_for(path).raw
    data = path.read_bytes()
    out = []
    for offset in range(0, len(data) - _PAGE + 1, _PAGE):
        page = data[offset : offset + _PAGE]
        start = 16 if offset == 0 else 0  # page 1 begins with the salt
        iv = page[_PAGE - _RESERVE : _PAGE - _RESERVE + 16]
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        out.append(decryptor.update(page[start : _PAGE - _RESERVE]) + decryptor.finalize())
    return b"".join(out)


def _client_with_canary(db: Database) -> tuple[int, str]:
    row = repository.list_client_rows(db)[0]
    tree = repository.load_client_tree(db, row.client_id)
    assert tree is not None
    document = {"start": "2026-11-21T10:00", "notes": CANARY * 20}
    sessions.record_session(
        db, row.client_id, sessions.parse_session(document, tree), now=datetime(2026, 11, 21, 11)
    )
    return row.client_id, row.code


def test_an_erased_client_is_in_no_page_of_the_database(demo_db_path: Path) -> None:
    db = open_database(demo_db_path)
    try:
        client_id, code = _client_with_canary(db)
        db.checkpoint()
        # The check can find it: the note is in the decrypted pages now.
        assert CANARY.encode() in decrypted_pages(demo_db_path)
        client_service.delete_client(db, client_id)
    finally:
        db.close()
    wal = Path(f"{demo_db_path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert CANARY.encode() not in decrypted_pages(demo_db_path)
    assert CANARY.encode() not in demo_db_path.read_bytes()
    db = open_database(demo_db_path)
    try:
        (entry,) = [e for e in audit.history(db) if e.action == "client_erased"]
        assert entry.client_code == code and entry.detail == ""
    finally:
        db.close()


def test_backups_hold_an_erased_client_until_rotation_removes_them(new_db: Database) -> None:
    # The defaults keep the newest backup of each of the last 12 months.
    assert client_service.backups_hold_until(new_db, date(2026, 12, 6)) == date(2027, 12, 6)
    assert client_service.backups_hold_until(new_db, date(2026, 1, 31)) == date(2027, 1, 28)


def test_the_chain_names_an_edited_and_a_removed_entry(demo_db_path: Path) -> None:
    db = open_database(demo_db_path)
    try:
        for n in range(5):
            audit.record(db, "report", client_code="C-1", detail=f"n{n}", now=datetime(2026, 12, 1))
        assert audit.verify(db).ok and audit.verify(db).entries == 5
    finally:
        db.close()
    conn = raw_connect(demo_db_path)
    conn.execute("UPDATE audit_log SET detail = 'something else' WHERE id = 3")
    conn.commit()
    conn.close()
    db = open_database(demo_db_path)
    try:
        check = audit.verify(db)
        assert not check.ok and check.first_bad == 3 and "changed" in check.problem
    finally:
        db.close()
    conn = raw_connect(demo_db_path)
    conn.execute("UPDATE audit_log SET detail = 'n2' WHERE id = 3")  # put back...
    conn.execute("DELETE FROM audit_log WHERE id = 2")  # ...and remove another
    conn.commit()
    conn.close()
    db = open_database(demo_db_path)
    try:
        check = audit.verify(db)
        assert not check.ok and check.first_bad == 2 and "missing" in check.problem
    finally:
        db.close()


def test_an_unknown_action_is_refused(new_db: Database) -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(new_db, "client_peeked")


def test_a_subject_access_export_holds_the_whole_record_and_imports(
    demo_db_path: Path, tmp_path: Path
) -> None:
    db = open_database(demo_db_path)
    try:
        row = repository.list_client_rows(db)[0]
        tree = repository.load_client_tree(db, row.client_id)
        assert tree is not None
        target = tmp_path / "request"
        written = export_client(db, row.code, target, client_report_pdf)
        with pytest.raises(Exception, match="not an empty folder"):
            export_client(db, row.code, target, client_report_pdf)
        actions = [e.action for e in audit.history(db, row.code)]
    finally:
        db.close()
    assert sorted(p.name for p in target.iterdir()) == sorted(written)
    document = json.loads((target / written[0]).read_text(encoding="utf-8"))
    (client,) = document["clients"]
    assert client["code"] == row.code and len(client["sessions"]) == len(tree.sessions)
    assert (target / written[1]).read_bytes().startswith(b"%PDF")
    assert "client_exported" in actions
    fresh = open_database(tmp_path / "fresh.db")
    try:
        assert import_contents(fresh, read_export(target / written[0])) == 1
    finally:
        fresh.close()
