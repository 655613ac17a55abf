"""Edits never silently overwrite each other: row versions, and one start per moment.

Each client and each session gets ``version`` (1 for every existing row), raised by one on
every update; a save names the version it was made on and is refused when another window or
the command line changed the row meanwhile. Two sessions of one client starting at the same
moment were refused in code only; a unique index on (client_id, start) now holds whoever
writes. If existing sessions already break it, the revision refuses to run and says which
ones to tell apart; the database is left as it was.

Revision ID: 0006_edit_versions
Revises: 0005_client_code_keys
Create Date: 2026-12-13
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

from alliance_desktop.storage.errors import MigrationRefused

revision = "0006_edit_versions"
down_revision = "0005_client_code_keys"
branch_labels = None
depends_on = None


def _moment(value: object) -> str:
    try:
        return f"{datetime.fromisoformat(str(value)):%Y-%m-%d %H:%M}"
    except ValueError:
        return str(value)


def _same_starts(conn: sa.Connection) -> list[str]:
    """Each set of one client's sessions sharing a start, in words, by code and start."""
    rows = conn.execute(
        sa.text(
            "SELECT c.code, s.start, s.number FROM sessions s "
            "JOIN clients c ON c.id = s.client_id "
            "WHERE EXISTS (SELECT 1 FROM sessions o WHERE o.client_id = s.client_id "
            "AND o.start = s.start AND o.id <> s.id) "
            "ORDER BY c.code, s.start, s.number"
        )
    ).all()
    grouped: dict[tuple[str, str], list[int]] = {}
    for code, start, number in rows:
        grouped.setdefault((str(code), str(start)), []).append(int(number))
    return [
        f"{code}: sessions {', '.join(map(str, numbers[:-1]))} and {numbers[-1]} at "
        f"{_moment(start)}"
        for (code, start), numbers in grouped.items()
    ]


def upgrade() -> None:
    clashes = _same_starts(op.get_bind())
    if clashes:
        raise MigrationRefused(
            "Some sessions of one client start at the same moment ("
            + "; ".join(clashes[:5])
            + (f"; and {len(clashes) - 5} more" if len(clashes) > 5 else "")
            + "), which this version does not allow. Open the database with the previous "
            "version, change the start of one session of each pair (or delete the one "
            "recorded twice), then open it here."
        )
    for table in ("clients", "sessions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("version", sa.Integer(), server_default="1", nullable=False)
            )
    op.create_index("uq_sessions_client_start", "sessions", ["client_id", "start"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_sessions_client_start", table_name="sessions")
    for table in ("sessions", "clients"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
