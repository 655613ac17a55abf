"""Initial schema: clients, goals, sessions, measurements, goal ratings, ruptures, summaries.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=False),
        sa.Column("family_name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("presenting_concern", sa.Text(), nullable=True),
        sa.Column(
            "approach",
            sa.Enum(
                "cbt",
                "psychodynamic",
                "humanistic",
                "integrative",
                "other",
                name="approach",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "paused",
                "discharged",
                name="client_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("intake_date", sa.Date(), nullable=False),
        sa.Column("discharge_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint("code", name=op.f("uq_clients_code")),
    )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clients_status"), ["status"], unique=False)

    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "client_summaries",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("sessions_total", sa.Integer(), nullable=False),
        sa.Column("attended", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Integer(), nullable=False),
        sa.Column("no_show", sa.Integer(), nullable=False),
        sa.Column("last_session", sa.DateTime(), nullable=True),
        sa.Column("alliance_instrument", sa.String(length=40), nullable=True),
        sa.Column("alliance_latest", sa.Float(), nullable=True),
        sa.Column("alliance_taken_at", sa.DateTime(), nullable=True),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("top_alert", sa.Text(), nullable=True),
        sa.Column("alerts", sa.JSON(), nullable=False),
        sa.Column("rules_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_client_summaries_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_client_summaries")),
    )
    op.create_table(
        "goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "achieved",
                "revised",
                "dropped",
                name="goal_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_goals_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goals")),
    )
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goals_client_id"), ["client_id"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("start", sa.DateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "format",
            sa.Enum(
                "in_person",
                "video",
                "phone",
                name="session_format",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "attendance",
            sa.Enum(
                "attended",
                "cancelled",
                "no_show",
                name="attendance",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "approach",
            sa.Enum(
                "cbt",
                "psychodynamic",
                "humanistic",
                "integrative",
                "other",
                name="session_approach",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("tasks_agreed", sa.Text(), nullable=False),
        sa.Column("client_feedback", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_sessions_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("client_id", "number", name="uq_sessions_client_number"),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_start"), ["start"], unique=False)

    op.create_table(
        "goal_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["goals.id"],
            name=op.f("fk_goal_ratings_goal_id_goals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_goal_ratings_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_ratings")),
        sa.UniqueConstraint("session_id", "goal_id", name="uq_goal_ratings_session_goal"),
    )
    with op.batch_alter_table("goal_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_ratings_goal_id"), ["goal_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_goal_ratings_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=40), nullable=False),
        sa.Column("instrument_version", sa.String(length=20), nullable=False),
        sa.Column(
            "respondent",
            sa.Enum(
                "client",
                "therapist",
                name="respondent",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("item_values", sa.JSON(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_measurements_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurements")),
    )
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measurements_instrument_id"), ["instrument_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_measurements_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "ruptures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "withdrawal",
                "confrontation",
                name="rupture_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("repair", sa.Text(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_ruptures_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ruptures")),
    )
    with op.batch_alter_table("ruptures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ruptures_session_id"), ["session_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("ruptures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ruptures_session_id"))

    op.drop_table("ruptures")
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measurements_session_id"))
        batch_op.drop_index(batch_op.f("ix_measurements_instrument_id"))

    op.drop_table("measurements")
    with op.batch_alter_table("goal_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_ratings_session_id"))
        batch_op.drop_index(batch_op.f("ix_goal_ratings_goal_id"))

    op.drop_table("goal_ratings")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_start"))
        batch_op.drop_index(batch_op.f("ix_sessions_client_id"))

    op.drop_table("sessions")
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goals_client_id"))

    op.drop_table("goals")
    op.drop_table("client_summaries")
    op.drop_table("settings")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clients_status"))

    op.drop_table("clients")
