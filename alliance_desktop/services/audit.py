"""Recording and reading the audit log, for the window and the command line alike.

Every use case that touches a client's record, or the database as a whole, notes it here
(``record``): what happened, when, to which client code, and a short detail such as
"session 4" or "progress summary" — never clinical content. ``verify`` recomputes the hash
chain; ``history`` reads it back.
"""

from __future__ import annotations

from datetime import datetime

from alliance_desktop.storage import audit as audit_store
from alliance_desktop.storage.audit import AuditEntry, ChainCheck
from alliance_desktop.storage.database import Database

__all__ = [
    "ACTION_WORDS",
    "AuditEntry",
    "ChainCheck",
    "client_code_of",
    "history",
    "record",
    "verify",
]

#: How each action reads in a list or a table.
ACTION_WORDS = {
    "unlock": "Unlocked",
    "lock": "Locked",
    "client_opened": "Record opened",
    "client_created": "Client created",
    "client_edited": "Client edited",
    "client_deleted": "Client deleted",
    "client_erased": "Client erased",
    "client_exported": "Client's record exported",
    "session_saved": "Session saved",
    "session_deleted": "Session deleted",
    "report": "Report made",
    "export": "Export",
    "import": "Import",
    "backup": "Backup",
    "restore": "Restore",
    "passphrase_changed": "Passphrase changed",
    "recovery_sheet": "Recovery sheet made",
    "database_encrypted": "Database encrypted",
}


def record(
    db: Database,
    action: str,
    *,
    client_code: str | None = None,
    detail: str = "",
    now: datetime | None = None,
) -> None:
    """Append one entry in its own transaction."""
    with db.write() as conn:
        audit_store.append(
            conn, action, at=now or datetime.now(), client_code=client_code, detail=detail
        )


def record_in(
    conn: object,
    action: str,
    *,
    client_code: str | None = None,
    detail: str = "",
    now: datetime | None = None,
) -> None:
    """Append one entry inside a transaction the caller already holds (all or nothing)."""
    audit_store.append(
        conn,  # type: ignore[arg-type]
        action,
        at=now or datetime.now(),
        client_code=client_code,
        detail=detail,
    )


def client_code_of(db: Database, client_id: int) -> str | None:
    """The client's code, for an entry about them (None when the client is gone)."""
    from alliance_desktop.storage import repository

    fields = repository.get_client_fields(db, client_id)
    return fields.code if fields is not None else None


def history(db: Database, client_code: str | None = None) -> list[AuditEntry]:
    """The log, oldest first; one client's entries when ``client_code`` is given."""
    with db.read() as conn:
        return audit_store.entries(conn, client_code)


def verify(db: Database) -> ChainCheck:
    """Recompute the hash chain over the whole log."""
    with db.read() as conn:
        return audit_store.verify_chain(conn)
