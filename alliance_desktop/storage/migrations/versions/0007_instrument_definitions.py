"""The therapist's own instruments: one row per version of each definition.

Revision ID: 0007_instrument_definitions
Revises: 0006_edit_versions
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_instrument_definitions"
down_revision = "0006_edit_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instrument_definitions",
        sa.Column("instrument_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("instrument_id", "version", name=op.f("pk_instrument_definitions")),
    )


def downgrade() -> None:
    op.drop_table("instrument_definitions")
