"""``alliance-desktop --self-test``: a therapist's day, end to end and offscreen, on scratch data.

It exists so that a built bundle (PyInstaller) can prove it holds every module, Qt plugin
and data file it needs: a bundle that forgot the Alembic migration scripts, QtCharts, the
offscreen platform plugin, the DejaVu fonts or the SQLCipher library fails here, at the step
that needs it, instead of in front of a therapist. Each step goes through the code a
therapist's action (or the command line) uses: create an encrypted database, fill a demo
caseload, record a session, draw the client's charts, write the progress summary PDF, back
up to a folder and verify, restore into a new database.

Everything happens in a fresh temporary folder (``TMPDIR`` is honoured) that is removed at
the end, with ``ALLIANCE_HOME`` pointing into it, so nothing in the user's own data, config or
log folders is read or written. The dates are fixed, so the run never depends on the clock.

Layer: like ``app.py`` it wires services, storage, documents and ui, so it sits beside
``app.py`` at the top; ``cli`` imports it only when ``--self-test`` is given.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import traceback
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from alliance_desktop import APP_NAME, __version__

if TYPE_CHECKING:
    from alliance_desktop.services.clients import ClientRecord
    from alliance_desktop.services.database import Database

#: A throwaway passphrase for a throwaway database (removed with its folder at the end).
PASSPHRASE = "self-test passphrase, not a secret"
DEMO_CLIENTS = 5
DEMO_SEED = 1
#: The demo caseload ends here, the self-test's session is three days later, and "now" is
#: during that session: fixed, so the run is the same on every machine and every day.
DEMO_AS_OF = date(2026, 6, 12)
SESSION_START = datetime(2026, 6, 15, 10, 0)
SESSION_NOW = datetime(2026, 6, 15, 11, 0)
#: The ratings given in the session, as the command line's ``--srs``/``--ors`` take them,
#: and the totals they must score (written out here, not computed by the code under test).
SESSION_RATINGS = {"SRS": ("9", "8.5", "9", "9.5"), "ORS": ("6", "5.5", "7", "6.5")}
EXPECTED_TOTALS = {"SRS": 36.0, "ORS": 25.0}
#: Fewer pixels of the SRS line's colour than this and the chart counts as blank.
MIN_SERIES_PIXELS = 20
#: Qt messages that say nothing about the bundle (the offscreen platform's limits).
_QUIET_QT_MESSAGES = (
    "This plugin does not support propagateSizeHints",
    # Started with no locale set (a bare terminal, `env -i`): Qt switches to C.UTF-8 itself.
    'Detected locale "C"',
)

T = TypeVar("T")


class SelfTestFailure(Exception):
    """A step ran but its result was wrong (an exception from the code under test is
    reported as it is)."""


def _check(condition: bool, message: str) -> None:
    """Raise ``SelfTestFailure(message)`` unless ``condition`` (``assert`` vanishes under -O)."""
    if not condition:
        raise SelfTestFailure(message)


def _present(value: T | None, message: str) -> T:
    """``value``, or ``SelfTestFailure(message)`` when it is None."""
    if value is None:
        raise SelfTestFailure(message)
    return value


@dataclass
class Workspace:
    """What the steps share: the temporary folder and what earlier steps made in it."""

    folder: Path
    databases: list[Database] = field(default_factory=list)  # all closed at the end
    client_id: int = 0
    code: str = ""
    session_number: int = 0
    report: Path | None = None
    backup: Path | None = None
    sessions_before_backup: int = 0

    @property
    def db(self) -> Database:
        """The practice database the first step created."""
        _check(bool(self.databases), "there is no database (the first step did not run)")
        return self.databases[0]

    def close(self) -> None:
        """Close every database a step opened (a file still open could not be removed)."""
        for db in self.databases:
            db.close()


@dataclass(frozen=True)
class Step:
    """One named step; ``run`` raises on failure."""

    name: str
    run: Callable[[Workspace], None]


# ---------------------------------------------------------------------------- the steps


def create_database(work: Workspace) -> None:
    """A new encrypted database, as ``init`` makes it (the migrations run to head)."""
    from alliance_desktop.services.database import is_plain_database, open_database
    from alliance_desktop.storage.database import HEAD_REVISION
    from alliance_desktop.storage.keys import keys_path

    path = work.folder / "practice.db"
    db = open_database(path, passphrase=PASSPHRASE, create=True, allow_empty_file=True)
    work.databases.append(db)
    db.require_sound()
    revision = db.health(full=False).schema_revision
    _check(revision == HEAD_REVISION, f"the schema is at {revision}, not {HEAD_REVISION}")
    _check(not is_plain_database(path), "the database file is not encrypted")
    _check(keys_path(path).is_file(), "the database has no key file")


def fill_demo(work: Workspace) -> None:
    """The demo caseload ``demo --clients 5`` writes, with a fixed seed and date."""
    from alliance_desktop.domain.vocabulary import ClientStatus
    from alliance_desktop.services.demo import generate_demo
    from alliance_desktop.services.summaries import list_clients

    result = generate_demo(work.db, DEMO_CLIENTS, seed=DEMO_SEED, as_of=DEMO_AS_OF)
    rows = list_clients(work.db)
    _check(len(rows) == DEMO_CLIENTS, f"{len(rows)} clients listed, not {DEMO_CLIENTS}")
    _check(result.sessions > 0, "the demo caseload has no sessions")
    active = [row for row in rows if row.status is ClientStatus.ACTIVE]
    _check(bool(active), "the demo caseload has no client in therapy")
    work.client_id, work.code = active[0].client_id, active[0].code


def record_session(work: Workspace) -> None:
    """A session with SRS and ORS ratings, through ``session add``'s path, read back."""
    from alliance_desktop.services import input_rules, sessions
    from alliance_desktop.storage import repository

    document = input_rules.checked_session_json(
        {
            "start": SESSION_START.isoformat(timespec="minutes"),
            "duration_minutes": 50,
            "attendance": "attended",
            "format": "in_person",
            "notes": "Self-test session.",
        },
        "session",
    )
    client = _present(
        repository.load_client_tree(work.db, work.client_id), f"{work.code} cannot be read"
    )
    session = sessions.parse_session(document, client)
    session.measurements = [
        sessions.measurement_from_values(
            instrument, input_rules.parse_item_values(values, instrument), session.start
        )
        for instrument, values in SESSION_RATINGS.items()
    ]
    added = sessions.record_session(work.db, work.client_id, session, now=SESSION_NOW)
    work.session_number = added.number
    _check_session(_record(work.db, work.client_id), added.number, "the database")


def _record(db: Database, client_id: int) -> ClientRecord:
    from alliance_desktop.services.clients import client_record

    return client_record(db, client_id)


def _check_session(record: ClientRecord, number: int, where: str) -> None:
    """The self-test's session is in ``record`` with its start and totals."""
    found = [s for s in record.sessions if s.number == number]
    _check(bool(found), f"session {number} of {record.fields.code} is not in {where}")
    _check(found[0].start == SESSION_START, f"session {number} starts at {found[0].start}")
    for instrument, total in EXPECTED_TOTALS.items():
        got = found[0].scores.get(instrument)
        _check(got == total, f"{instrument} of session {number} scores {got}, not {total:g}")


def render_chart(work: Workspace) -> None:
    """The client's charts tab, drawn offscreen and grabbed: the SRS line must show."""
    from PySide6.QtGui import QFontDatabase, QImage

    from alliance_desktop.app import application
    from alliance_desktop.domain.instruments import INSTRUMENTS
    from alliance_desktop.ui.charts import ChartsPage, style_colour

    app = application()
    _check(
        bool(QFontDatabase.families()),
        "Qt finds no fonts, so every letter would be a box (install fonts-dejavu-core)",
    )
    record = _record(work.db, work.client_id)
    srs = _present(record.charts.chart("SRS"), f"{work.code} has no SRS chart")
    plotted = {p.number: p.value for p in srs.lines[0].points}
    _check(
        plotted.get(work.session_number) == EXPECTED_TOTALS["SRS"],
        f"the SRS chart has {plotted.get(work.session_number)} for the new session",
    )
    page = ChartsPage()
    try:
        page.resize(900, 1200)
        page.set_charts(record.charts)
        page.show()
        for _ in range(5):  # layouts, then the plot areas' alignment (zero-time timers)
            app.processEvents()
        _check({"SRS", "ORS"} <= set(page.views), f"the page shows charts of {sorted(page.views)}")
        image = page.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        colour = style_colour(INSTRUMENTS["SRS"].line_style, page.palette()).rgb()
        background = page.palette().window().color().rgb()
    finally:
        page.close()  # and deleted with its last reference, when this step returns
    pixels = array("I", bytes(image.constBits()))  # 0xAARRGGBB, one per pixel
    _check(image.width() > 0 and image.height() > 0, "the grabbed chart has no pixels")
    _check(pixels.count(background) < len(pixels), "the chart is blank (background only)")
    found = pixels.count(colour)
    _check(
        found >= MIN_SERIES_PIXELS,
        f"the SRS line's colour is on {found} pixels, fewer than {MIN_SERIES_PIXELS}",
    )


def write_report(work: Workspace) -> None:
    """The progress summary PDF, as ``report CODE --out FILE`` writes it, with DejaVu Sans."""
    import re

    from alliance_desktop import documents

    target = work.folder / documents.file_name(work.code, "progress", SESSION_START.date())
    request = documents.ProgressSummary(work.code, period_to=SESSION_START.date())
    documents.write(work.db, request, target)
    pdf = target.read_bytes()
    _check(pdf.startswith(b"%PDF-"), "the file does not start with %PDF-")
    _check(pdf.rstrip().endswith(b"%%EOF"), "the PDF does not end with %%EOF")
    pages = len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))
    _check(pages >= 1, "the PDF has no page")
    _check(b"/FontFile2" in pdf, "the PDF embeds no TrueType font")
    _check(b"DejaVuSans" in pdf, "the PDF does not embed DejaVu Sans")
    work.report = target


def print_report(work: Workspace) -> None:
    """The summary printed as Print… prints it (QtPdf renders each page onto the printer),
    to a printer that writes a PDF file, so no real printer is needed."""
    from PySide6.QtPrintSupport import QPrinter

    from alliance_desktop.ui.printing import print_pdf

    report = _present(work.report, "there is no report (the report step did not run)")
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = work.folder / "printed.pdf"
    printer.setOutputFileName(str(printed))
    printer.setResolution(72)  # pages drawn as images: small and quick at 72 dpi
    pages = print_pdf(report.read_bytes(), printer)
    _check(pages >= 1, "no page was printed")
    _check(printed.is_file() and printed.stat().st_size > 0, "the printer wrote nothing")


def back_up_and_verify(work: Workspace) -> None:
    """A backup into a folder (as if a USB stick), then the complete check ``verify`` runs."""
    from alliance_desktop.services.backups import back_up, verify_backup

    stick = work.folder / "usb-stick"
    stick.mkdir()
    made = back_up(work.db, stick, PASSPHRASE)
    _check(not made.skipped and made.path.is_file(), "no backup file was written")
    header = verify_backup(made.path, PASSPHRASE)
    _check(header.clients == DEMO_CLIENTS, f"the backup holds {header.clients} clients")
    _check(header.sessions == made.header.sessions, "the backup's session count changed")
    work.backup, work.sessions_before_backup = made.path, header.sessions


def restore_backup(work: Workspace) -> None:
    """The backup restored into a new database (a new laptop), opened, and checked."""
    from alliance_desktop.services.backups import restore_from
    from alliance_desktop.services.database import open_database
    from alliance_desktop.services.summaries import list_clients

    backup = _present(work.backup, "there is no backup (the backup step did not run)")
    target = work.folder / "new-laptop" / "practice.db"
    target.parent.mkdir()
    header, kept = restore_from(backup, PASSPHRASE, target)
    _check(kept is None, "a restore into a new path kept a copy of a database")
    _check(header.sessions == work.sessions_before_backup, "the restored backup changed")
    restored = open_database(target, passphrase=PASSPHRASE, create=False)
    work.databases.append(restored)
    restored.require_sound()
    rows = list_clients(restored)
    _check(len(rows) == DEMO_CLIENTS, f"{len(rows)} clients restored, not {DEMO_CLIENTS}")
    match = [row.client_id for row in rows if row.code == work.code]
    _check(bool(match), f"{work.code} is not in the restored database")
    _check_session(_record(restored, match[0]), work.session_number, "the restored database")


STEPS: tuple[Step, ...] = (
    Step("create an encrypted database", create_database),
    Step(f"fill a demo caseload of {DEMO_CLIENTS} clients", fill_demo),
    Step("record a session", record_session),
    Step("render a chart", render_chart),
    Step("write a progress summary PDF with the embedded font", write_report),
    Step("print the summary (to a PDF printer)", print_report),
    Step("back up and verify", back_up_and_verify),
    Step("restore into a new database", restore_backup),
)


# ---------------------------------------------------------------------------- the run


def run_self_test(
    steps: Sequence[Step] = STEPS,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    parent: Path | None = None,
) -> int:
    """Run ``steps`` in order in a new temporary folder; print one line each; return 0 when
    all passed, 1 at the first failure (its traceback on ``err``).

    Args:
        steps: What to run (tests pass a list with a step that fails on purpose).
        out: Where the step lines go (default ``sys.stdout``).
        err: Where a failure and its traceback go (default ``sys.stderr``).
        parent: Where the temporary folder is made (default: ``TMPDIR``, else the system's).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    print(f"{APP_NAME} {__version__} self-test ({_versions()})", file=out, flush=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="alliance-self-test-", dir=parent) as name:
        folder = Path(name)
        print(f"working in {folder} (removed at the end)", file=out, flush=True)
        work = Workspace(folder)
        try:
            with _isolated_environment(folder), _quiet_qt(err):
                for step in steps:
                    began = time.perf_counter()
                    try:
                        step.run(work)
                    except Exception as exc:
                        first = (str(exc).splitlines() or [""])[0]
                        out.flush()
                        print(f"FAILED {step.name}: {type(exc).__name__}: {first}", file=err)
                        traceback.print_exception(exc, file=err)
                        err.flush()
                        return 1
                    print(f"ok    {step.name} ({_duration(began)})", file=out, flush=True)
        finally:
            work.close()
    print(f"self-test passed: {len(steps)} steps in {_duration(started)}", file=out, flush=True)
    return 0


def _duration(since: float) -> str:
    seconds = time.perf_counter() - since
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _versions() -> str:
    """Python, Qt and SQLCipher versions; a library that does not load says so (its step
    then fails and says why)."""
    qt = sqlcipher = "not found"
    try:
        from PySide6.QtCore import qVersion

        qt = qVersion()
    except ImportError:
        pass
    try:
        from alliance_desktop.storage.cipher import sqlcipher as driver

        connection = driver.connect(":memory:")
        try:
            sqlcipher = str(connection.execute("PRAGMA cipher_version").fetchone()[0])
        finally:
            connection.close()
    except Exception:  # the header only reports; the first step checks and says why
        pass
    return f"Python {platform.python_version()}, Qt {qt}, SQLCipher {sqlcipher}"


@contextmanager
def _isolated_environment(folder: Path) -> Iterator[None]:
    """``ALLIANCE_HOME`` inside ``folder``, no ``ALLIANCE_DB``, Qt offscreen; all restored after."""
    wanted: dict[str, str | None] = {
        "ALLIANCE_HOME": str(folder / "home"),
        "ALLIANCE_DB": None,
        "QT_QPA_PLATFORM": "offscreen",
    }
    saved = {name: os.environ.get(name) for name in wanted}
    try:
        for name, value in wanted.items():
            _set_env(name, value)
        yield
    finally:
        for name, value in saved.items():
            _set_env(name, value)


def _set_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


@contextmanager
def _quiet_qt(err: TextIO) -> Iterator[None]:
    """Qt's messages on ``err``, without those the offscreen platform always prints."""
    try:
        from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
    except ImportError:  # the chart step will say so
        yield
        return

    def handler(_kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if not message.startswith(_QUIET_QT_MESSAGES):
            print(f"qt: {message}", file=err)

    previous = qInstallMessageHandler(handler)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)
