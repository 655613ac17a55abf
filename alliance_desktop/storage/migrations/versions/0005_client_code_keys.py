"""Client codes unique by their normalised, case-folded key, not by their exact spelling.

"Émile-1" and "émile-1" could both exist (SQLite's ``lower()`` folds ASCII only) and one
person's session could be recorded to the other. Each client gets ``code_key`` (NFC, case
folded: ``domain.client_codes.code_key``, copied here as it was when this revision was
written) with a unique constraint. If two existing clients already share a key, the revision
refuses to run and says which codes to tell apart; the database is left as it was.

Revision ID: 0005_client_code_keys
Revises: 0004_audit_log
Create Date: 2026-12-06
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

from alliance_desktop.storage.errors import MigrationRefused

revision = "0005_client_code_keys"
down_revision = "0004_audit_log"
branch_labels = None
depends_on = None


def _key(code: str) -> str:
    composed = unicodedata.normalize("NFC", code.strip())
    return unicodedata.normalize("NFC", composed.casefold())


def upgrade() -> None:
    conn = op.get_bind()
    rows = [(int(r[0]), str(r[1])) for r in conn.execute(sa.text("SELECT id, code FROM clients"))]
    first: dict[str, str] = {}
    clashes: list[str] = []
    for _id, code in rows:
        key = _key(code)
        if key in first:
            clashes.append(f"{first[key]!r} and {code!r}")
        else:
            first[key] = code
    if clashes:
        raise MigrationRefused(
            "Two clients have codes that differ only in capital letters or accents ("
            + "; ".join(clashes[:5])
            + (f"; and {len(clashes) - 5} more" if len(clashes) > 5 else "")
            + "), which this version treats as the same code. Open the database with the "
            "previous version, give one of each pair a different code, then open it here."
        )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code_key", sa.String(length=80), nullable=True))
    for client_id, code in rows:
        conn.execute(
            sa.text("UPDATE clients SET code_key = :key WHERE id = :id"),
            {"key": _key(code), "id": client_id},
        )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.alter_column("code_key", existing_type=sa.String(length=80), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_clients_code_key"), ["code_key"])


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_clients_code_key"), type_="unique")
        batch_op.drop_column("code_key")
