"""Service errors: bad input or an unusable file, with a message that says what to do."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be carried out as asked; ``str()`` is one sentence for the user."""


class InvalidInput(ServiceError):
    """A value or file the user supplied is wrong (type, range, format)."""


class Conflict(ServiceError):
    """The request clashes with what is already stored (e.g. a non-empty database)."""


def count_phrase(count: int, noun: str) -> str:
    """``"1 session"``, ``"2,500 sessions"``: a count and its noun, singular or plural."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def clients_phrase(count: int) -> str:
    """``"1 client"`` or ``"2,500 clients"`` for messages."""
    return count_phrase(count, "client")


def sessions_phrase(count: int) -> str:
    """``"1 session"`` or ``"1,020 sessions"`` for messages."""
    return count_phrase(count, "session")
