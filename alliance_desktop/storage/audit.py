"""The audit log: an append-only, hash-chained record of who-did-what, inside the database.

Each entry holds a time, an action, a client code (or none) and a short detail, never
clinical content. Its ``hash`` is SHA-256 over the previous entry's hash and its own
fields, so editing or deleting any entry breaks the chain from there on, and
``verify_chain`` names the first entry that no longer fits. Entries are only ever inserted.

The log lives inside the encrypted database, so reading or rewriting it needs the key;
what the chain adds is that a change made behind the app's back (with a SQL tool and the
key) shows, unless every later hash is recomputed too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from alliance_desktop.storage.models import AuditEntry as AuditRow

GENESIS = "0" * 64
#: Actions the log knows; anything else is refused (a typo must not pass silently).
ACTIONS = frozenset(
    {
        "unlock",
        "lock",
        "client_opened",
        "client_created",
        "client_edited",
        "client_deleted",
        "client_erased",
        "client_exported",
        "session_saved",
        "session_deleted",
        "report",
        "export",
        "import",
        "backup",
        "restore",
        "passphrase_changed",
        "recovery_sheet",
        "database_encrypted",
    }
)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the log, as read back."""

    entry_id: int
    at: datetime
    action: str
    client_code: str | None
    detail: str
    hash: str


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of ``verify_chain``: how many entries, and the first that does not fit."""

    entries: int
    first_bad: int | None  # the entry id (or the position of a gap) where the chain breaks
    problem: str

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def entry_hash(previous: str, entry_id: int, fields: tuple[str, str, str | None, str]) -> str:
    """The chained hash of one entry: the previous hash, the id, and (time, action, client
    code, detail), joined with a separator that cannot occur in them."""
    at, action, client_code, detail = fields
    fields_text = [previous, str(entry_id), at, action, client_code or "", detail]
    return hashlib.sha256("\x1f".join(fields_text).encode("utf-8")).hexdigest()


def append(
    conn: Connection, action: str, *, at: datetime, client_code: str | None, detail: str
) -> int:
    """Add one entry in the caller's write transaction; return its id."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    last = conn.execute(
        select(AuditRow.id, AuditRow.hash).order_by(AuditRow.id.desc()).limit(1)
    ).first()
    entry_id = (int(last[0]) + 1) if last else 1
    previous = str(last[1]) if last else GENESIS
    stamp = at.isoformat(timespec="seconds")
    conn.execute(
        insert(AuditRow).values(
            id=entry_id,
            at=stamp,
            action=action,
            client_code=client_code,
            detail=detail,
            hash=entry_hash(previous, entry_id, (stamp, action, client_code, detail)),
        )
    )
    return entry_id


def _rows(conn: Connection, client_code: str | None = None) -> Iterator[Any]:
    query = select(
        AuditRow.id,
        AuditRow.at,
        AuditRow.action,
        AuditRow.client_code,
        AuditRow.detail,
        AuditRow.hash,
    ).order_by(AuditRow.id)
    if client_code is not None:
        query = query.where(AuditRow.client_code == client_code)
    yield from conn.execute(query)


def entries(conn: Connection, client_code: str | None = None) -> list[AuditEntry]:
    """The log, oldest first (only one client's entries when ``client_code`` is given)."""
    return [
        AuditEntry(int(r[0]), datetime.fromisoformat(str(r[1])), str(r[2]), r[3], str(r[4]), r[5])
        for r in _rows(conn, client_code)
    ]


def verify_chain(conn: Connection) -> ChainCheck:
    """Walk the whole log and recompute every hash; name the first entry that does not fit."""
    previous = GENESIS
    expected_id = 1
    count = 0
    for row in _rows(conn):
        entry_id, at, action, code, detail, stored = row
        count += 1
        if int(entry_id) != expected_id:
            return ChainCheck(
                count,
                expected_id,
                f"entry {expected_id} is missing (the next one is {entry_id}): removed",
            )
        fields = (str(at), str(action), code, str(detail))
        if entry_hash(previous, int(entry_id), fields) != stored:
            problem = f"entry {entry_id} ({action}) was changed after it was written"
            return ChainCheck(count, int(entry_id), problem)
        previous = str(stored)
        expected_id += 1
    return ChainCheck(count, None, "")
