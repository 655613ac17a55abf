"""Storage errors that are the environment's fault: each message tells the user what to do."""

from __future__ import annotations


class StorageError(Exception):
    """A problem with the database file that the user can act on; ``str()`` says how."""


class DatabaseNotFound(StorageError):
    """The database file does not exist and was not to be created."""


class NotADatabase(StorageError):
    """The file exists but is not an Alliance Desktop database."""


class SchemaTooNew(StorageError):
    """The file was written by a newer version of the app; we refuse to touch it."""


class DatabaseUnavailable(StorageError):
    """The file cannot be opened or written (permissions, locked, disk full, read-only)."""


class SessionClash(StorageError):
    """Another session of the same client starts at the same moment (found on write)."""


class MigrationFailed(StorageError):
    """Updating the schema failed; the database was rolled back and a copy kept beside it."""


class MigrationRefused(MigrationFailed):
    """A migration found data it cannot carry over safely and said what to do; nothing
    was changed (its message is for the user as it stands)."""


class RecordGone(StorageError):
    """The client, session or goal being written was deleted meanwhile (by another window)."""


class EditConflict(StorageError):
    """The client or session being saved was changed by another writer (another window, the
    command line) after it was read: its ``version`` no longer matches, so nothing was saved
    rather than overwrite that change unseen."""
