"""What a write changed, typed, for the window's one change signal (Anki's ``OpChanges``).

Every service that writes returns a ``Change``: what happened (``kind``), to whom
(``client_id``) and, derived from the kind, which kinds of data are now different
(``what``, a set of ``Changed`` flags). Each view refreshes only when a change touches
what it shows; a restore, an unlock or another database says ``DATABASE`` and every view
reloads everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Flag, StrEnum, auto


class Changed(Flag):
    """The kinds of data a change made different."""

    CLIENT_LIST = auto()  # who is in the list and what its columns show
    RECORD = auto()  # one client's details and goals
    SESSIONS = auto()  # one client's sessions and measures
    ALERTS = auto()  # alert summaries, risk reviews, acknowledgements
    SETTINGS = auto()  # practice details, alert thresholds, backup reminders
    DATABASE = auto()  # everything: a restore, an unlock, another database opened


class ChangeKind(StrEnum):
    """What happened, in the words the window's messages and selection follow."""

    CLIENT_ADDED = "client_added"
    CLIENT_CHANGED = "client_changed"
    CLIENT_DELETED = "client_deleted"
    GOALS_CHANGED = "goals_changed"
    SESSION_ADDED = "session_added"
    SESSION_CHANGED = "session_changed"
    SESSION_DELETED = "session_deleted"
    ALERTS_CHANGED = "alerts_changed"
    SETTINGS_CHANGED = "settings_changed"
    DATABASE_REPLACED = "database_replaced"  # restored from a backup
    DATABASE_OPENED = "database_opened"  # another database opened (the demo, say)
    DATABASE_UNLOCKED = "database_unlocked"  # the same database, opened again after a lock


_LIST = Changed.CLIENT_LIST
_ONE_CLIENT = Changed.CLIENT_LIST | Changed.RECORD | Changed.ALERTS
#: A session changes the list (last session, alliance, alerts) as well as the record.
_SESSIONS = Changed.CLIENT_LIST | Changed.SESSIONS | Changed.ALERTS
_EVERYTHING = Changed.DATABASE | Changed.CLIENT_LIST | Changed.RECORD | Changed.SESSIONS
_EVERYTHING |= Changed.ALERTS | Changed.SETTINGS

WHAT_CHANGED: dict[ChangeKind, Changed] = {
    ChangeKind.CLIENT_ADDED: _ONE_CLIENT,
    ChangeKind.CLIENT_CHANGED: _ONE_CLIENT,
    ChangeKind.CLIENT_DELETED: _ONE_CLIENT | Changed.SESSIONS,
    ChangeKind.GOALS_CHANGED: Changed.RECORD | _LIST,
    ChangeKind.SESSION_ADDED: _SESSIONS,
    ChangeKind.SESSION_CHANGED: _SESSIONS,
    ChangeKind.SESSION_DELETED: _SESSIONS,
    ChangeKind.ALERTS_CHANGED: Changed.ALERTS | _LIST,
    # Alert thresholds re-word every client's alerts; the practice name heads reports.
    ChangeKind.SETTINGS_CHANGED: Changed.SETTINGS | Changed.ALERTS | _LIST,
    ChangeKind.DATABASE_REPLACED: _EVERYTHING,
    ChangeKind.DATABASE_OPENED: _EVERYTHING,
    ChangeKind.DATABASE_UNLOCKED: _EVERYTHING,
}


@dataclass(frozen=True)
class Change:
    """What a write changed: ``kind`` (a ``ChangeKind``; its string is accepted) and the
    client it concerns (None for changes to the practice or the whole database)."""

    kind: ChangeKind
    client_id: int | None = None

    def __post_init__(self) -> None:
        # Services written before the enum pass the kind's string; a typo fails here.
        object.__setattr__(self, "kind", ChangeKind(self.kind))

    @property
    def what(self) -> Changed:
        return WHAT_CHANGED[self.kind]

    def touches(self, client_id: int | None) -> bool:
        """Whether a view of ``client_id`` (None: no client) shows something now different."""
        if self.what & (Changed.DATABASE | Changed.SETTINGS):
            return True
        return client_id is not None and client_id == self.client_id

    @classmethod
    def database(cls, *, replaced: bool = False, unlocked: bool = False) -> Change:
        """Everything may differ: a restore (``replaced``), an unlock, another database."""
        if replaced:
            return cls(ChangeKind.DATABASE_REPLACED)
        return cls(ChangeKind.DATABASE_UNLOCKED if unlocked else ChangeKind.DATABASE_OPENED)

    @classmethod
    def settings(cls) -> Change:
        return cls(ChangeKind.SETTINGS_CHANGED)
