"""Risk answers that must never drop out of view, and the therapist's reviews of them.

A risk item (CORE-10 item 6, "I made plans to end my life") answered above its lowest
value is an *endorsement*. Every endorsement stays an urgent alert until the therapist
records a *risk review* that covers it: a later form with the item at 0 does not clear it.
A review records the day, what was done and whether risk is ongoing, and covers the
endorsements that were in the record, on or before its day, when it was recorded; an
endorsement entered later (a session typed in late) is not covered and alerts again.

Endorsements are identified by instrument, the moment the form was taken, item and value,
which survive editing a session's notes, export and import; changing the answer or moving
the session makes it a new endorsement, to be reviewed again. An unreviewed endorsement
that an edit takes out of the record (the session deleted, the form unticked, the answer
retyped) is kept by the storage layer as a *removed* answer and still alerts until a
review covers it: correcting a record never makes a risk answer disappear unseen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import INSTRUMENTS, Instrument, instrument_for
from alliance_desktop.domain.scoring import validate_item_value

__all__ = [
    "MAX_REVIEW_ACTION",
    "Endorsement",
    "EndorsementKey",
    "RiskReview",
    "find_endorsements",
    "latest_review",
    "reviewable",
    "unreviewed",
    "with_removed",
]

#: The most a review's "what was done" may hold: a paragraph, not a case file.
MAX_REVIEW_ACTION = 4000
_EPS = 1e-9


@dataclass(frozen=True)
class EndorsementKey:
    """What identifies one endorsement: instrument, when the form was taken, item, value."""

    instrument_id: str
    taken_at: datetime
    item: int
    value: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible form (stored with the review, and in the export)."""
        return {
            "instrument_id": self.instrument_id,
            "taken_at": self.taken_at.isoformat(),
            "item": self.item,
            "value": self.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EndorsementKey:
        """Read the form ``to_dict`` wrote.

        Raises:
            DomainError: When a field is missing or of the wrong kind.
        """
        try:
            item = data["item"]
            value = data["value"]
            if isinstance(item, bool) or not isinstance(item, int):
                raise TypeError
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError
            return cls(
                str(data["instrument_id"]),
                datetime.fromisoformat(str(data["taken_at"])),
                item,
                float(value),
            )
        except (KeyError, TypeError, ValueError):
            raise DomainError(
                "A risk review names an answer it covers in a form that cannot be read; it "
                "needs instrument_id, taken_at (a date and time), item and value."
            ) from None


@dataclass(frozen=True)
class Endorsement:
    """A risk item answered above its lowest value in one form.

    Attributes:
        instrument_id: E.g. "CORE-10".
        item: The risk item's number.
        value: The answer as given.
        session_number: The session the form belongs to (when it was last seen, for one
            since removed).
        taken_at: When the form was taken.
        removed: True when an edit has since taken it out of the record.
    """

    instrument_id: str
    item: int
    value: float
    session_number: int
    taken_at: datetime
    removed: bool = False

    @property
    def key(self) -> EndorsementKey:
        return EndorsementKey(self.instrument_id, self.taken_at, self.item, self.value)


@dataclass(frozen=True)
class RiskReview:
    """The therapist's record that they reviewed risk.

    Attributes:
        reviewed_on: The day of the review.
        action: What was done, in the therapist's words ("safety plan reviewed").
        risk_ongoing: Whether risk is ongoing after the review.
        recorded_at: When the review was written into the record.
        covers: The endorsements it reviewed.
    """

    reviewed_on: date
    action: str
    risk_ongoing: bool
    recorded_at: datetime
    covers: tuple[EndorsementKey, ...] = ()


def find_endorsements(forms: Iterable[Any]) -> list[Endorsement]:
    """Every risk answer above its item's minimum, in session order.

    Forms of unknown instruments, and answers that are not valid values of their item,
    are skipped: the check that stored them would have refused them.

    Args:
        forms: Objects with ``instrument_id``, ``session_number``, ``taken_at`` and
            ``values`` (``alerts.MeasurementFact``), complete, pro-rated or incomplete.
    """
    found: list[Endorsement] = []
    for form in forms:
        # Its own version; failing that (a definition that no longer reads) the current one:
        # a risk answer is never lost, even at the cost of reading it with a later version.
        version = getattr(form, "instrument_version", None)
        instrument = instrument_for(form.instrument_id, version) or INSTRUMENTS.get(
            form.instrument_id
        )
        if instrument is None:
            continue
        found.extend(_endorsements_in(instrument, form))
    found.sort(key=lambda e: (e.session_number, e.taken_at, e.instrument_id, e.item))
    return found


def _endorsements_in(instrument: Instrument, form: Any) -> list[Endorsement]:
    values = form.values
    if not isinstance(values, tuple | list):
        return []
    found = []
    for item in instrument.items:
        if not item.risk or item.number > len(values) or values[item.number - 1] is None:
            continue
        try:
            value = validate_item_value(instrument, item, values[item.number - 1])
        except DomainError:
            continue
        if item.keyed(value) > item.minimum + _EPS:
            found.append(
                Endorsement(instrument.id, item.number, value, form.session_number, form.taken_at)
            )
    return found


def with_removed(found: Sequence[Endorsement], removed: Iterable[Endorsement]) -> list[Endorsement]:
    """The endorsements in the record plus those removed from it, in session order."""
    present = {e.key for e in found}
    merged = [*found, *(e for e in removed if e.key not in present)]
    merged.sort(key=lambda e: (e.taken_at, e.session_number, e.instrument_id, e.item))
    return merged


def unreviewed(
    endorsements: Sequence[Endorsement], reviews: Iterable[RiskReview]
) -> list[Endorsement]:
    """The endorsements no review covers, in session order."""
    covered = {key for review in reviews for key in review.covers}
    return [e for e in endorsements if e.key not in covered]


def reviewable(
    endorsements: Sequence[Endorsement], reviews: Iterable[RiskReview], on: date
) -> list[Endorsement]:
    """What a review dated ``on`` covers: the unreviewed endorsements taken by that day."""
    return [e for e in unreviewed(endorsements, reviews) if e.taken_at.date() <= on]


def latest_review(reviews: Iterable[RiskReview]) -> RiskReview | None:
    """The most recent review by its day, then by when it was recorded."""
    return max(reviews, key=lambda r: (r.reviewed_on, r.recorded_at), default=None)
