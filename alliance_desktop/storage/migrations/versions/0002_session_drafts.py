"""Session drafts: what the session editor autosaves, restored after a crash.

Revision ID: 0002_session_drafts
Revises: 0001_initial
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_session_drafts"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_session_drafts_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_session_drafts_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_drafts")),
    )
    with op.batch_alter_table("session_drafts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_drafts_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_session_drafts_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("session_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_drafts_session_id"))
        batch_op.drop_index(batch_op.f("ix_session_drafts_client_id"))
    op.drop_table("session_drafts")
