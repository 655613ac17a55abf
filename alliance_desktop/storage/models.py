"""SQLAlchemy 2.0 typed ORM models: the schema of a practice database.

Enumerations are stored as short strings with CHECK constraints (not native enums) so the
same schema works on SQLite and PostgreSQL. Times are naive local wall-clock times: a
session at 10:00 is at 10:00 wherever the laptop travels.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from alliance_desktop.domain.vocabulary import (
    Approach,
    Attendance,
    ClientStatus,
    GoalStatus,
    Respondent,
    RuptureKind,
    SessionFormat,
)

# Deterministic constraint names keep Alembic autogenerate and batch migrations stable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Client(Base):
    """A person in therapy. ``code`` is the short identifier printed on reports."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    #: ``domain.client_codes.code_key(code)``: what codes are unique by and looked up by.
    code_key: Mapped[str] = mapped_column(String(80), unique=True)
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200), default="")
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(Text)
    presenting_concern: Mapped[str | None] = mapped_column(Text)
    approach: Mapped[Approach] = mapped_column(_enum(Approach, "approach"))
    status: Mapped[ClientStatus] = mapped_column(
        _enum(ClientStatus, "client_status"), default=ClientStatus.ACTIVE, index=True
    )
    intake_date: Mapped[date] = mapped_column(Date)
    discharge_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    #: Raised by one on every update of the row: an edit names the version it was made on,
    #: and is refused (``EditConflict``) if another writer changed the client meanwhile.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    goals: Mapped[list[Goal]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="Goal.id"
    )
    sessions: Mapped[list[TherapySession]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="TherapySession.number"
    )


class Goal(Base):
    """A treatment goal agreed with the client; rated 0-10 per session (GBO)."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    agreed_on: Mapped[date] = mapped_column(Date)
    status: Mapped[GoalStatus] = mapped_column(
        _enum(GoalStatus, "goal_status"), default=GoalStatus.ACTIVE
    )
    closed_on: Mapped[date | None] = mapped_column(Date)

    client: Mapped[Client] = relationship(back_populates="goals")


class TherapySession(Base):
    """One appointment: attended, cancelled or missed. Named to avoid clashing with ORM sessions."""

    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("client_id", "number", name="uq_sessions_client_number"),
        # Two sessions of one client never start at the same moment, whoever writes.
        Index("uq_sessions_client_start", "client_id", "start", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    start: Mapped[datetime] = mapped_column(DateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=50)
    format: Mapped[SessionFormat] = mapped_column(
        _enum(SessionFormat, "session_format"), default=SessionFormat.IN_PERSON
    )
    attendance: Mapped[Attendance] = mapped_column(
        _enum(Attendance, "attendance"), default=Attendance.ATTENDED
    )
    approach: Mapped[Approach] = mapped_column(_enum(Approach, "session_approach"))
    notes: Mapped[str] = mapped_column(Text, default="")
    tasks_agreed: Mapped[str] = mapped_column(Text, default="")
    client_feedback: Mapped[str] = mapped_column(Text, default="")
    #: Raised by one on every edit of the session (its fields, measures, ratings, ruptures;
    #: not when renumbering moves it): a save on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    client: Mapped[Client] = relationship(back_populates="sessions")
    measurements: Mapped[list[Measurement]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Measurement.id"
    )
    goal_ratings: Mapped[list[GoalRating]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="GoalRating.goal_id"
    )
    ruptures: Mapped[list[Rupture]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Rupture.id"
    )


class Measurement(Base):
    """One completed questionnaire: item values as given, scored on demand by ``domain``."""

    __tablename__ = "measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    instrument_id: Mapped[str] = mapped_column(String(40), index=True)
    instrument_version: Mapped[str] = mapped_column(String(20))
    respondent: Mapped[Respondent] = mapped_column(
        _enum(Respondent, "respondent"), default=Respondent.CLIENT
    )
    # Item values in item order, null for a missing item. JSON is portable across dialects.
    item_values: Mapped[list[Any]] = mapped_column(JSON)
    taken_at: Mapped[datetime] = mapped_column(DateTime)

    session: Mapped[TherapySession] = relationship(back_populates="measurements")


class GoalRating(Base):
    """A 0-10 progress rating of one goal in one session (Goal-Based Outcomes)."""

    __tablename__ = "goal_ratings"
    __table_args__ = (
        UniqueConstraint("session_id", "goal_id", name="uq_goal_ratings_session_goal"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id", ondelete="CASCADE"), index=True)
    rating: Mapped[float] = mapped_column(Float)

    session: Mapped[TherapySession] = relationship(back_populates="goal_ratings")


class Rupture(Base):
    """A rupture in the alliance noted by the therapist, and how it was repaired."""

    __tablename__ = "ruptures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RuptureKind] = mapped_column(_enum(RuptureKind, "rupture_kind"))
    description: Mapped[str] = mapped_column(Text, default="")
    repair: Mapped[str] = mapped_column(Text, default="")
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)

    session: Mapped[TherapySession] = relationship(back_populates="ruptures")


class ClientSummary(Base):
    """Derived per-client figures for the client list, kept current by the write path.

    The list of 10,000 clients must load in one query well under 150 ms; recomputing alerts
    from every measurement on each load cannot. ``rules_key`` records the alert rules and
    settings the row was computed with, so a change of either marks every row stale.
    """

    __tablename__ = "client_summaries"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    sessions_total: Mapped[int] = mapped_column(Integer, default=0)
    attended: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    no_show: Mapped[int] = mapped_column(Integer, default=0)
    last_session: Mapped[datetime | None] = mapped_column(DateTime)
    alliance_instrument: Mapped[str | None] = mapped_column(String(40))
    alliance_latest: Mapped[float | None] = mapped_column(Float)
    alliance_taken_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The list shows the count and the most pressing reason without decoding ``alerts``.
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    top_alert: Mapped[str | None] = mapped_column(Text)
    # Most pressing first: {"kind", "kinds", "instrument_id", "session_number", "severity",
    # "reason", "rating_at"}.
    alerts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rules_key: Mapped[str] = mapped_column(String(64))
    # The most pressing alert's severity, so the list sorts urgent first without decoding.
    top_severity: Mapped[str | None] = mapped_column(String(16))


class RiskReview(Base):
    """The therapist's record that they reviewed a client's risk (``domain.risk``).

    ``covers`` lists the risk answers it reviewed, each as {"instrument_id", "taken_at",
    "item", "value"}: an answer entered later is not covered and alerts again.
    """

    __tablename__ = "risk_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    reviewed_on: Mapped[date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(Text)
    risk_ongoing: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    covers: Mapped[list[Any]] = mapped_column(JSON, default=list)


class RemovedRiskAnswer(Base):
    """An unreviewed risk answer that an edit took out of the record (the session deleted,
    the form unticked, the answer retyped), kept so its alert stays until a review."""

    __tablename__ = "removed_risk_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    instrument_id: Mapped[str] = mapped_column(String(40))
    item: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    taken_at: Mapped[datetime] = mapped_column(DateTime)
    session_number: Mapped[int] = mapped_column(Integer)
    removed_at: Mapped[datetime] = mapped_column(DateTime)


class AlertAcknowledgement(Base):
    """An alert the therapist has seen and dealt with; hidden until it fires on a newer rating."""

    __tablename__ = "alert_acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    # The alert kinds acknowledged (every rule of a merged alert), as a JSON list of strings.
    kinds: Mapped[list[Any]] = mapped_column(JSON)
    instrument_id: Mapped[str] = mapped_column(String(40))
    rating_at: Mapped[datetime] = mapped_column(DateTime)
    acknowledged_at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")


class Setting(Base):
    """Practice-wide settings shared by GUI and CLI (alert rules, practice name)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class SessionDraft(Base):
    """What was typed in the session editor and not yet saved, kept so a crash loses nothing.

    ``content`` is the editor's form exactly as typed (it may not be valid yet). A draft goes
    with its client (and with the session it edits) when either is deleted.
    """

    __tablename__ = "session_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    saved_at: Mapped[datetime] = mapped_column(DateTime)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditEntry(Base):
    """One line of the append-only, hash-chained audit log (``storage.audit``).

    No foreign key to the client: the log must outlive the client it mentions (an erasure
    is itself logged), so it names the client by code only.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(String(32))  # ISO 8601, local time, seconds
    action: Mapped[str] = mapped_column(String(40))
    client_code: Mapped[str | None] = mapped_column(String(20), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    hash: Mapped[str] = mapped_column(String(64))


class InstrumentDefinition(Base):
    """One version of a therapist's own instrument (``domain.definitions`` file format).

    Stored measurements name the version they were taken with, so a definition that has
    data is never changed or deleted: an edit adds a version, and the instrument can only
    be retired (no longer offered for new sessions). ``retired_at`` is set on every version.
    """

    __tablename__ = "instrument_definitions"

    instrument_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The definition file's document, as imported or as the dialog wrote it.
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    added_at: Mapped[datetime] = mapped_column(DateTime)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
