"""A hostile tester for Alliance Desktop: ``python -m reliability [--quick]``.

Run by ``make reliability``, it runs the real command line against real, encrypted demo
databases and tries to break them: kills in the middle of a save, restores racing two
writers, migrations racing a writer, thousands of mutated session, export and backup files,
odd paths (pipes, devices, folders, long and strange names, a read-only drive) and damaged
databases under every command.

Each row of the table it prints counts what was tried and the outcomes that must stay at
zero: acknowledged saves lost, files damaged or made worse, internal errors (exit code 70,
an uncaught exception or a crash, "internal error" or "Traceback" in the output), hangs
(a run over its timeout), and wrong outcomes (an exit code or a stored record other than
the row's rule allows). Nothing here is part of the default test run; the data are all
synthetic (``demo``), and every date given to the app is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The test suite's passphrase (tests/keyed.py); every database here is encrypted with it.
PASSPHRASE = "correct horse battery"


@dataclass
class Failure:
    """One case that counted in a must-be-zero column, with what reproduces it."""

    column: str
    what: str
    reproducer: str

    def render(self) -> str:
        return f"- **{self.column}**: {self.what}\n  reproduce: `{self.reproducer}`"


@dataclass
class RowResult:
    """The counts of one row of the table (the last five columns must all be zero)."""

    tried: str
    runs: int = 0
    lost: int = 0
    worse: int = 0
    internal: int = 0
    hangs: int = 0
    wrong: int = 0
    notes: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    skipped: str = ""

    def fail(self, column: str, what: str, reproducer: str) -> None:
        """Count one failure in ``column`` (lost, worse, internal, hangs, wrong)."""
        setattr(self, column, getattr(self, column) + 1)
        self.failures.append(Failure(column, what, reproducer))

    @property
    def bad(self) -> int:
        return self.lost + self.worse + self.internal + self.hangs + self.wrong
