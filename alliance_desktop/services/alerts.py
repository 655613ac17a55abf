"""What the therapist records about alerts: risk reviews and acknowledgements.

A risk review (day, what was done, whether risk is ongoing) covers the risk answers in the
record on or before its day; only a review clears a risk alert. Any other alert can be
acknowledged with an optional note, which hides it until the rule fires again on a newer
rating. Both are decided inside the write transaction, on the record as it is then, and
the client's list summary is recomputed in the same transaction, so the list, the
dashboard and the record change together. The window and the CLI call these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from alliance_desktop.domain._format import fmt_number, join_words
from alliance_desktop.domain.alerts import AlertKind, AlertSettings, MeasurementFact, SessionFact
from alliance_desktop.domain.instruments import item_name_for
from alliance_desktop.domain.risk import (
    MAX_REVIEW_ACTION,
    Endorsement,
    EndorsementKey,
    RiskReview,
    find_endorsements,
    reviewable,
    unreviewed,
    with_removed,
)
from alliance_desktop.domain.vocabulary import Attendance
from alliance_desktop.services.changes import Change, ChangeKind
from alliance_desktop.services.errors import Conflict, InvalidInput
from alliance_desktop.services.summaries import (
    load_alert_settings,
    removed_answers,
    risk_reviews,
    rules_key,
    summarise_tree,
)
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database
from alliance_desktop.storage.errors import RecordGone
from alliance_desktop.storage.records import (
    AcknowledgementData,
    ClientData,
    ClientSummaryData,
    RiskReviewData,
)

MAX_NOTE = 2000  # an acknowledgement's note: a line or two ("discussed in session 9")


@dataclass(frozen=True)
class AlertRef:
    """Which alert the therapist acted on, as the screen showed it (from a stored summary)."""

    kind: str
    instrument_id: str
    rating_at: datetime | None
    reason: str = ""

    @classmethod
    def from_dict(cls, alert: Mapping[str, Any]) -> AlertRef:
        """The reference of an alert as ``summaries.alert_to_dict`` stored it."""
        raw = alert.get("rating_at")
        try:
            rating_at = datetime.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            rating_at = None
        return cls(
            str(alert.get("kind", "")),
            str(alert.get("instrument_id", "")),
            rating_at,
            str(alert.get("reason", "")),
        )


def client_facts(client: ClientData) -> tuple[list[SessionFact], list[MeasurementFact]]:
    """A client tree as the alert rules read it."""
    sessions = [
        SessionFact(s.number, s.start, s.attendance is Attendance.ATTENDED) for s in client.sessions
    ]
    forms = [
        MeasurementFact(
            m.instrument_id, s.number, m.taken_at, tuple(m.item_values), m.instrument_version
        )
        for s in client.sessions
        for m in s.measurements
    ]
    return sessions, forms


def endorsements(client: ClientData) -> list[Endorsement]:
    """Every risk answer in a client's record, and any unreviewed one since removed from it."""
    return with_removed(
        find_endorsements(client_facts(client)[1]), removed_answers(client.removed_risk_answers)
    )


def pending_endorsements(client: ClientData) -> list[Endorsement]:
    """The risk answers no review has covered yet."""
    return unreviewed(endorsements(client), risk_reviews(client.risk_reviews))


@dataclass(frozen=True)
class ReviewContext:
    """What the review dialog shows: whose review, and each risk answer waiting for one."""

    client: str  # "C-0042 Zoë Łukasiewicz"
    waiting: tuple[str, ...]  # "CORE-10 item 6 (plans to end my life) rated 2 at session 7 …"
    #: The answers listed, so the review covers only what the therapist was shown.
    keys: tuple[EndorsementKey, ...] = ()


def review_context(db: Database, client_id: int) -> ReviewContext:
    """The client's name and their risk answers waiting for review, in words.

    Raises:
        Conflict: The client no longer exists.
    """
    client = _tree(db, client_id)
    waiting = []
    pending = pending_endorsements(client)
    for e in pending:
        removed = ", since removed from the record" if e.removed else ""
        waiting.append(
            f"{item_name_for(e.instrument_id, e.item)} rated {fmt_number(e.value)} at session "
            f"{e.session_number} ({e.taken_at.date().isoformat()}){removed}"
        )
    return ReviewContext(
        f"{client.code} {client.display_name}".strip(),
        tuple(waiting),
        tuple(e.key for e in pending),
    )


def refresh_alert_records(db: Database, client_id: int, client: ClientData) -> None:
    """Read a client's reviews, acknowledgements and removed answers again, into ``client``
    (an editor's copy of the record, after a review was recorded from it)."""
    reviews, acknowledged, removed = repository.client_alert_records(db, client_id)
    client.risk_reviews = reviews
    client.acknowledgements = acknowledged
    client.removed_risk_answers = removed


def _tree(db: Database, client_id: int) -> ClientData:
    client = repository.load_client_tree(db, client_id)
    if client is None:
        raise Conflict("That client no longer exists; it may have been deleted.")
    return client


def _summariser(db: Database) -> Callable[[ClientData], ClientSummaryData]:
    settings = load_alert_settings(db)
    key = rules_key(settings)
    return lambda client: summarise_tree(client, settings, key)


def record_risk_review(
    db: Database,
    client_id: int,
    *,
    reviewed_on: date,
    action: str,
    risk_ongoing: bool,
    now: datetime | None = None,
    shown: Sequence[EndorsementKey] | None = None,
) -> Change:
    """Record a risk review; it covers the unreviewed risk answers given by its day.

    With ``shown`` (the answers the dialog listed, ``ReviewContext.keys``) a review never
    covers an answer the therapist was not shown: one stored meanwhile (by the command line,
    another window) is refused with a message, and nothing is written.

    Raises:
        InvalidInput: No words for what was done, too many, a day in the future or before
            the intake, or a day before every risk answer still waiting for review.
        Conflict: The client no longer exists.
    """
    now = now or datetime.now()
    text = action.strip()
    if not text:
        raise InvalidInput(
            "Say what was done in the review, e.g. 'Safety plan reviewed with the client'."
        )
    if len(text) > MAX_REVIEW_ACTION:
        raise InvalidInput(
            f"Keep what was done to {MAX_REVIEW_ACTION:,} characters; the session notes can "
            "hold more."
        )
    if reviewed_on > now.date():
        raise InvalidInput(
            f"The review date {reviewed_on} is in the future; record a review once it has happened."
        )

    def make(client: ClientData) -> RiskReviewData:
        if reviewed_on < client.intake_date:
            raise InvalidInput(
                f"The review date {reviewed_on} is before {client.code}'s intake "
                f"({client.intake_date}); check the date."
            )
        found = endorsements(client)
        reviews = risk_reviews(client.risk_reviews)
        waiting = unreviewed(found, reviews)
        covered = reviewable(found, reviews, reviewed_on)
        if waiting and not covered:
            first = waiting[0]
            raise InvalidInput(
                f"The risk answer waiting for review was given on {first.taken_at.date()} "
                f"(session {first.session_number}), after {reviewed_on}; date the review on "
                "or after that day."
            )
        unseen = [e for e in covered if shown is not None and e.key not in set(shown)]
        if unseen:
            first = unseen[0]
            raise Conflict(
                f"A risk answer was recorded after this review was opened (session "
                f"{first.session_number}, {first.taken_at.date()}); close the review, look at "
                "it, and record the review again."
            )
        return RiskReviewData(
            reviewed_on=reviewed_on,
            action=text,
            risk_ongoing=risk_ongoing,
            recorded_at=now.replace(microsecond=0),
            covers=[e.key.to_dict() for e in covered],
        )

    _write(db, client_id, make)
    return Change(ChangeKind.ALERTS_CHANGED, client_id)


def acknowledge_alert(
    db: Database, client_id: int, alert: AlertRef, *, note: str = "", now: datetime | None = None
) -> Change:
    """Acknowledge an alert shown on screen; it stays hidden until it fires on a newer rating.

    Raises:
        InvalidInput: A risk alert (only a review clears it), or a note that is too long.
        Conflict: The alert is no longer active as shown (the record changed meanwhile), or
            the client no longer exists.
    """
    now = now or datetime.now()
    words = note.strip()
    if len(words) > MAX_NOTE:
        raise InvalidInput(f"Keep the note to {MAX_NOTE:,} characters or fewer.")
    if alert.kind in (AlertKind.RISK, AlertKind.RISK_ONGOING):
        raise InvalidInput(
            "A risk alert cannot be acknowledged; it is cleared only by recording a risk review."
        )
    settings = load_alert_settings(db)

    def make(client: ClientData) -> AcknowledgementData:
        found = _matching(client, alert, settings)
        if found is None:
            raise Conflict(
                "That alert has changed since it was shown (a session was saved or the "
                "settings changed); look at the alerts again."
            )
        return AcknowledgementData(
            kinds=[str(k) for k in found.get("kinds") or [found["kind"]]],
            instrument_id=str(found["instrument_id"]),
            rating_at=datetime.fromisoformat(str(found["rating_at"])),
            acknowledged_at=now.replace(microsecond=0),
            note=words,
            reason=str(found["reason"]),
        )

    _write(db, client_id, make)
    return Change(ChangeKind.ALERTS_CHANGED, client_id)


def _matching(
    client: ClientData, ref: AlertRef, settings: AlertSettings
) -> Mapping[str, Any] | None:
    """The client's active alert the reference names, as the summary states it now."""
    summary = summarise_tree(client, settings, rules_key(settings))
    for a in summary.alerts or []:
        raw = a.get("rating_at")
        if (
            a.get("kind") == ref.kind
            and a.get("instrument_id") == ref.instrument_id
            and isinstance(raw, str)
            and ref.rating_at is not None
            and datetime.fromisoformat(raw) == ref.rating_at
        ):
            return a
    return None


def _write(
    db: Database, client_id: int, make: Callable[[ClientData], RiskReviewData | AcknowledgementData]
) -> None:
    try:
        repository.add_client_record(db, client_id, make=make, summarise=_summariser(db))
    except RecordGone as exc:
        raise Conflict(str(exc)) from None


@dataclass(frozen=True)
class HistoryLine:
    """One entry of a client's alert history: a review or an acknowledgement, in words."""

    when: date
    kind: str  # "review" or "acknowledgement"
    text: str


def alert_history(
    reviews: Sequence[RiskReviewData], acknowledged: Sequence[AcknowledgementData]
) -> list[HistoryLine]:
    """Risk reviews and acknowledgements, newest first, as the record's history shows them."""
    lines = [
        HistoryLine(r.reviewed_on, "review", f"Risk review: {review_words(r)}") for r in reviews
    ]
    for a in acknowledged:
        note = f" Note: {a.note}" if a.note else ""
        lines.append(
            HistoryLine(
                a.acknowledged_at.date(),
                "acknowledgement",
                f"Alert acknowledged: {a.reason}{note}",
            )
        )
    lines.sort(key=lambda line: line.when, reverse=True)
    return lines


def review_words(review: RiskReviewData, *, pseudonymise: bool = False) -> str:
    """A review in a sentence or two: what was done, whether ongoing, which answers it covered.

    Covered answers are named by the day they were given, which stays true when sessions
    are renumbered. A pseudonymised report leaves out what was done: the therapist's words
    often name the client or the people around them.
    """
    state = "risk ongoing" if review.risk_ongoing else "risk not ongoing"
    days = sorted({str(c.get("taken_at", ""))[:10] for c in review.covers if c.get("taken_at")})
    covered = (
        f" It covers the risk answer{'s' if len(review.covers) > 1 else ''} given on "
        f"{join_words(days)}."
        if days
        else ""
    )
    action = review.action.strip()
    closed = action if action.endswith((".", "!", "?")) else action + "."
    if pseudonymise:
        closed = "(What was done is left out of a pseudonymised summary.)"
    return f"{closed} Outcome: {state}.{covered}"


def latest_review(client: ClientData) -> RiskReviewData | None:
    """The most recent review (by day, then by when it was written), or None."""
    return max(client.risk_reviews, key=lambda r: (r.reviewed_on, r.recorded_at), default=None)


__all__ = [
    "AlertRef",
    "HistoryLine",
    "ReviewContext",
    "RiskReview",
    "acknowledge_alert",
    "alert_history",
    "client_facts",
    "endorsements",
    "latest_review",
    "pending_endorsements",
    "record_risk_review",
    "review_context",
    "review_words",
]
