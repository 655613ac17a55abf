"""Errors raised by the domain layer, each worded as one plain sentence for the user."""

from __future__ import annotations

__all__ = ["DomainError", "InstrumentNotFound", "ScoringError"]


class DomainError(ValueError):
    """Base class for every error the domain layer raises on bad input.

    ``str(error)`` is one complete sentence that says what is wrong and what is
    allowed, so the user interface and the command line can show it unchanged.
    """


class ScoringError(DomainError):
    """A questionnaire's answers cannot be scored (wrong count, range, grid or missing)."""


class InstrumentNotFound(DomainError):
    """No instrument definition exists under the requested id."""
