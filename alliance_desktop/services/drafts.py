"""Unsaved session editor drafts: autosaved while typing, offered again after a crash.

A draft is the editor's ``SessionForm`` as JSON in the database (so it is as private and as
backed-up as the records). It is deleted when the session is saved (in the same
transaction as the session: ``sessions.save_session(..., draft_id=...)``) or the therapist
discards it; one left behind means the app stopped before either happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from alliance_desktop.services.session_form import SessionForm
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database


@dataclass(frozen=True)
class Draft:
    """A draft to offer back: whose session it is and what was typed."""

    draft_id: int
    client_id: int
    client_code: str
    session_id: int | None
    saved_at: datetime
    form: SessionForm


def save_draft(
    db: Database,
    draft_id: int | None,
    client_id: int,
    session_id: int | None,
    form: SessionForm,
) -> int:
    """Store what is typed now (overwriting this editor's earlier draft); return its id."""
    return repository.save_draft(db, draft_id, client_id, session_id, form.to_dict())


def unsaved_drafts(db: Database) -> list[Draft]:
    """Drafts left behind, oldest first."""
    return [
        Draft(
            d.draft_id,
            d.client_id,
            d.client_code,
            d.session_id,
            d.saved_at,
            SessionForm.from_dict(d.content),
        )
        for d in repository.list_drafts(db)
    ]


def discard_draft(db: Database, draft_id: int) -> None:
    """Forget a draft: its session was saved, or the therapist chose to discard it."""
    repository.delete_draft(db, draft_id)
