"""Risk reviews, removed risk answers and alert acknowledgements; the summary keeps its most
pressing severity.

Revision ID: 0003_risk_reviews
Revises: 0002_session_drafts
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_risk_reviews"
down_revision = "0002_session_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("risk_ongoing", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("covers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_risk_reviews_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_reviews")),
    )
    with op.batch_alter_table("risk_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_reviews_client_id"), ["client_id"], unique=False)
    op.create_table(
        "removed_risk_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=40), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("session_number", sa.Integer(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_removed_risk_answers_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_removed_risk_answers")),
    )
    with op.batch_alter_table("removed_risk_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_removed_risk_answers_client_id"), ["client_id"], unique=False
        )
    op.create_table(
        "alert_acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("instrument_id", sa.String(length=40), nullable=False),
        sa.Column("rating_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_alert_acknowledgements_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_acknowledgements")),
    )
    with op.batch_alter_table("alert_acknowledgements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_acknowledgements_client_id"), ["client_id"], unique=False
        )
    # Derived data: existing summaries are recomputed on the next load (the alert rules'
    # version changed), which fills the new column.
    with op.batch_alter_table("client_summaries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("top_severity", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("client_summaries", schema=None) as batch_op:
        batch_op.drop_column("top_severity")
    with op.batch_alter_table("alert_acknowledgements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_acknowledgements_client_id"))
    op.drop_table("alert_acknowledgements")
    with op.batch_alter_table("removed_risk_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_removed_risk_answers_client_id"))
    op.drop_table("removed_risk_answers")
    with op.batch_alter_table("risk_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_reviews_client_id"))
    op.drop_table("risk_reviews")
