"""Unsaved session editor drafts: autosaved while typing, offered again after a crash.

A draft is the editor's ``SessionForm`` as JSON in the database (so it is as private and as
backed-up as the records). It is deleted when the session is saved (in the same
transaction as the session: ``sessions.save_session(..., draft_id=...)``) or the therapist
discards it; one left behind means the app stopped before either happened.

A draft of a stored session also keeps the session's version it was typed on: restored
after a crash or an unlock, its save is refused (``EditConflict``) if the session was
saved elsewhere meanwhile, instead of overwriting that change unseen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
    #: The version of the stored session the typing was made on (None for a new session,
    #: or a draft from before versions were kept).
    session_version: int | None = None


#: Beside the form's fields in a draft's JSON (``SessionForm.from_dict`` ignores it).
_VERSION_KEY = "session_version"


def save_draft(
    db: Database,
    draft_id: int | None,
    client_id: int,
    session_id: int | None,
    form: SessionForm,
    *,
    session_version: int | None = None,
) -> int:
    """Store what is typed now (overwriting this editor's earlier draft); return its id.

    ``session_version`` is the stored session's version the typing was made on.
    """
    content = form.to_dict()
    if session_version is not None:
        content[_VERSION_KEY] = session_version
    return repository.save_draft(db, draft_id, client_id, session_id, content)


def _version(content: dict[str, Any]) -> int | None:
    value = content.get(_VERSION_KEY)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


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
            _version(d.content) if d.session_id is not None else None,
        )
        for d in repository.list_drafts(db)
    ]


def discard_draft(db: Database, draft_id: int) -> None:
    """Forget a draft: its session was saved, or the therapist chose to discard it."""
    repository.delete_draft(db, draft_id)
