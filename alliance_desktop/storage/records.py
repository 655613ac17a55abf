"""Plain dataclasses that carry a practice record in and out of ``storage``.

ORM objects never leave the storage package; these do. A ``ClientData`` holds one client's
whole tree (goals, sessions, measurements, goal ratings, ruptures, risk reviews and
acknowledged alerts), which is what the demo generator, the JSON import and the export
exchange with the repositories.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from alliance_desktop.domain.vocabulary import (
    Approach,
    Attendance,
    ClientStatus,
    GoalStatus,
    Respondent,
    RuptureKind,
    SessionFormat,
)


@dataclass
class GoalData:
    """A treatment goal. ``number`` is its 1-based position within the client."""

    number: int
    description: str
    agreed_on: date
    status: GoalStatus = GoalStatus.ACTIVE
    closed_on: date | None = None


@dataclass
class MeasurementData:
    """A completed questionnaire with its raw item values (None for a missing item)."""

    instrument_id: str
    instrument_version: str
    item_values: list[float | None]
    taken_at: datetime
    respondent: Respondent = Respondent.CLIENT


@dataclass
class GoalRatingData:
    """A 0-10 rating of the client's goal number ``goal_number`` in one session."""

    goal_number: int
    rating: float


@dataclass
class RuptureData:
    """A rupture the therapist noticed, and its repair."""

    kind: RuptureKind
    description: str = ""
    repair: str = ""
    resolved: bool = False


@dataclass
class RiskReviewData:
    """A risk review: the day, what was done, whether risk is ongoing, what it covered.

    ``covers`` holds the risk answers reviewed as JSON-ready dicts (``domain.risk``'s
    ``EndorsementKey.to_dict``).
    """

    reviewed_on: date
    action: str
    risk_ongoing: bool
    recorded_at: datetime
    covers: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RemovedRiskAnswerData:
    """An unreviewed risk answer an edit took out of the record, kept until it is reviewed."""

    instrument_id: str
    item: int
    value: float
    taken_at: datetime
    session_number: int  # the session's number when the answer was removed
    removed_at: datetime


@dataclass
class AcknowledgementData:
    """An acknowledged alert: its kinds (as strings), instrument and the rating it was about."""

    kinds: list[str]
    instrument_id: str
    rating_at: datetime
    acknowledged_at: datetime
    note: str = ""
    reason: str = ""


@dataclass
class SessionData:
    """One appointment with everything recorded in it."""

    number: int
    start: datetime
    approach: Approach
    duration_minutes: int = 50
    format: SessionFormat = SessionFormat.IN_PERSON
    attendance: Attendance = Attendance.ATTENDED
    notes: str = ""
    tasks_agreed: str = ""
    client_feedback: str = ""
    measurements: list[MeasurementData] = field(default_factory=list)
    goal_ratings: list[GoalRatingData] = field(default_factory=list)
    ruptures: list[RuptureData] = field(default_factory=list)
    #: Database id when loaded from storage; not part of the record's value.
    session_id: int | None = field(default=None, compare=False)
    #: The stored row's version when loaded (``repository.save_session(expected_version=)``
    #: refuses a save made on an older one); not part of the record's value.
    version: int | None = field(default=None, compare=False)


@dataclass
class ClientData:
    """A client and their whole record."""

    code: str
    given_name: str
    family_name: str
    approach: Approach
    intake_date: date
    status: ClientStatus = ClientStatus.ACTIVE
    date_of_birth: date | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    presenting_concern: str | None = None
    discharge_date: date | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    goals: list[GoalData] = field(default_factory=list)
    sessions: list[SessionData] = field(default_factory=list)
    risk_reviews: list[RiskReviewData] = field(default_factory=list)
    acknowledgements: list[AcknowledgementData] = field(default_factory=list)
    removed_risk_answers: list[RemovedRiskAnswerData] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


# Not frozen, but slotted: the client list builds 20,000 of these objects per load, and a
# frozen dataclass's __init__ took three times as long (23 ms against 8 ms per 10,000).
@dataclass(slots=True)
class ClientSummaryData:
    """Derived figures for one client, as stored in ``client_summaries``."""

    sessions_total: int
    attended: int
    cancelled: int
    no_show: int
    last_session: datetime | None
    alliance_instrument: str | None
    alliance_latest: float | None
    alliance_taken_at: datetime | None
    alert_count: int
    top_alert: str | None
    rules_key: str
    #: Every alert, most pressing first; None when the query did not load them.
    alerts: list[dict[str, Any]] | None
    #: Severity of the most pressing alert ("urgent", "warning", "info"), None without one.
    top_severity: str | None = None


@dataclass(slots=True)
class ClientListRow:
    """One line of the client list: identity plus its stored summary (None when missing)."""

    client_id: int
    code: str
    given_name: str
    family_name: str
    status: ClientStatus
    approach: Approach
    intake_date: date
    summary: ClientSummaryData | None

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(frozen=True)
class SessionFactRow:
    """The minimum about a session that the alert rules need."""

    client_id: int
    number: int
    start: datetime
    attendance: Attendance


@dataclass(frozen=True)
class MeasurementFactRow:
    """The minimum about a measurement that scoring and alert rules need."""

    client_id: int
    session_number: int
    instrument_id: str
    taken_at: datetime
    item_values: tuple[float | None, ...]
    instrument_version: str | None = None


@dataclass(frozen=True)
class ClientExtras:
    """What the alert rules need of a client beyond sessions and forms."""

    date_of_birth: date | None = None
    risk_reviews: tuple[RiskReviewData, ...] = ()
    acknowledgements: tuple[AcknowledgementData, ...] = ()
    removed_risk_answers: tuple[RemovedRiskAnswerData, ...] = ()


@dataclass(frozen=True)
class ClientFields:
    """The editable fields of a client (what the client dialog shows)."""

    code: str
    given_name: str
    family_name: str
    approach: Approach
    intake_date: date
    status: ClientStatus = ClientStatus.ACTIVE
    date_of_birth: date | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    presenting_concern: str | None = None
    discharge_date: date | None = None
    #: The stored row's version when read (None for fields as typed): saving an edit names
    #: it, so a change made meanwhile elsewhere is refused, not overwritten.
    version: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class GoalRow:
    """A stored goal with its id and its first and latest GBO ratings."""

    goal_id: int
    description: str
    agreed_on: date
    status: GoalStatus
    closed_on: date | None
    first_rating: float | None
    latest_rating: float | None


@dataclass(frozen=True)
class SessionRow:
    """One session with its raw measurements, for a client's session list."""

    session_id: int
    number: int
    start: datetime
    duration_minutes: int
    attendance: Attendance
    format: SessionFormat
    measurements: tuple[tuple[str, tuple[float | None, ...]], ...]  # (instrument id, values)
    #: The version each of ``measurements`` was taken with, in the same order.
    measurement_versions: tuple[str, ...] = ()
    ruptures: tuple[RuptureRow, ...] = ()


@dataclass(frozen=True)
class RuptureRow:
    """A rupture recorded in a session, as the session list and the charts read it."""

    kind: RuptureKind
    description: str
    repair: str
    resolved: bool


@dataclass(frozen=True)
class DraftRow:
    """An unsaved session editor draft: whose it is and what was typed (as JSON)."""

    draft_id: int
    client_id: int
    client_code: str
    session_id: int | None
    saved_at: datetime
    content: dict[str, Any]


@dataclass(frozen=True)
class ActivityCounts:
    """Sessions in a period and how many attended sessions had each kind of rating."""

    sessions: int
    attended: int
    alliance_rated: int
    outcome_rated: int


@dataclass(frozen=True)
class InstrumentDefinitionRow:
    """One stored version of a therapist's own instrument."""

    instrument_id: str
    version: str
    document: dict[str, Any]
    added_at: datetime
    retired_at: datetime | None
