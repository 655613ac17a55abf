"""The ``alliance-desktop`` command: the GUI without a sub-command, headless tools with one.

Sub-commands never import PySide6 (a test checks ``sys.modules``), so they run on a server
or in a script without a display. Every expected problem ends in one line on stderr that says
what is wrong and what to do, and a non-zero exit; unexpected ones are logged with their
traceback and reported in one line that points to the log.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

from alliance_desktop import APP_NAME, __version__, diagnostics, paths
from alliance_desktop.services.errors import clients_phrase, sessions_phrase

EXIT_OK = 0
EXIT_UNHEALTHY = 1
EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE from sysexits.h
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
# Dates a practice record can sensibly carry (a demo reaches back three years from --as-of).
# Commands that write; after an interruption they say what state the database is in.
_WRITING_COMMANDS = {
    "init", "demo", "import", "session", "restore", "review", "acknowledge", "encrypt", "passwd",
    "client", "instrument",
}  # fmt: skip
PASSPHRASE_ENV = "ALLIANCE_PASSPHRASE"
_NO_PASSPHRASE = (
    "needs the passphrase, and there is no terminal to ask on: give --passphrase-file FILE "
    f"or set {PASSPHRASE_ENV}."
)

log = logging.getLogger("alliance_desktop.cli")


class UsageError(Exception):
    """A command-line mistake; the message is printed as it is."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistake in one line instead of usage plus error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: {message} (see '{self.prog} --help')\n")


class _SessionParser(_Parser):
    """A `session` subcommand. `session add` takes questionnaire flags (--srs, --ors, …)
    from the instrument registry; they are added when that subcommand is parsed, not when
    the parser is built, as building the built-in definitions costs more than all of
    `--help` (issue 18)."""

    def __init__(self, *args: Any, instrument_flags: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._instrument_flags_wanted = instrument_flags

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        # argparse parses a chosen subcommand by calling its parser's parse_known_args
        # (CPython's _SubParsersAction); tests/unit/test_layers.py fails if that changes.
        if self._instrument_flags_wanted:
            self._instrument_flags_wanted = False
            from alliance_desktop.domain.instruments import CLI_FLAGS

            for flag, instrument in CLI_FLAGS.items():
                self.add_argument(
                    f"--{flag}",
                    type=_numbers,
                    metavar="V,V,…",
                    help=f"{instrument} item values, comma-separated",
                )
        return super().parse_known_args(*args, **kwargs)


def _db_path(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a file name (it was empty)")
    return text


def _iso_date(text: str) -> date:
    # The one date rule (services/input_rules.py), shared with JSON and the window.
    from alliance_desktop.services.errors import InvalidInput
    from alliance_desktop.services.input_rules import parse_day

    try:
        return parse_day(text)
    except InvalidInput as exc:  # argparse adds "(see --help)": no full stop before it
        raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None


def _iso_moment(text: str) -> datetime:
    # The one session-start rule (services/input_rules.py), shared with --json and the
    # editor: a date and a time of day, no time zone, no fraction of an hour, in range.
    from alliance_desktop.services.errors import InvalidInput
    from alliance_desktop.services.input_rules import parse_moment

    try:
        return parse_moment(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(str(exc).rstrip(".")) from None


def _numbers(text: str) -> list[str | None]:
    """Split ``9,9,8.5,9`` into the typed values (None for an empty one or ``-``: missing).

    Each value is read in ``_cmd_session_add``, where its instrument and item are known, by
    the same rule as the editor's (``input_rules.parse_item_values``), so the messages match.
    """
    return [None if part.strip() in ("", "-") else part.strip() for part in text.split(",")]


def _count(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range; use {low} to {high:,}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (public so the README's usage and tests share one truth)."""
    from alliance_desktop.services.limits import MAX_DEMO_CLIENTS

    db_help = "database file (default: $ALLIANCE_DB, else practice.db in the user's data folder)"
    secret_help = (
        f"read the passphrase from this file (else ${PASSPHRASE_ENV}, else a prompt); "
        "it unlocks the database and, by default, its backups"
    )
    common = _Parser(add_help=False)
    common.add_argument(
        "--db", metavar="PATH", type=_db_path, default=argparse.SUPPRESS, help=db_help
    )
    common.add_argument(
        "--passphrase-file", metavar="PATH", default=argparse.SUPPRESS, help=secret_help
    )

    parser = _Parser(
        prog="alliance-desktop",
        description=f"{APP_NAME}: clients, sessions and the therapeutic alliance, offline. "
        "Without a command it opens the application window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation: create, fill, chart, report, back up and restore a "
        "throwaway database offscreen in a temporary folder, one line per step (exit 0 if "
        "all pass)",
    )
    parser.add_argument("--db", metavar="PATH", type=_db_path, default=None, help=db_help)
    parser.add_argument("--passphrase-file", metavar="PATH", default=None, help=secret_help)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    commands.add_parser("init", parents=[common], help="create the database")
    check = commands.add_parser(
        "check",
        parents=[common],
        help="run SQLite's quick check and the foreign-key check (exit 0 if healthy)",
    )
    check.add_argument(
        "--full",
        action="store_true",
        help="the full integrity check instead of the quick one (slower on a large file)",
    )
    demo = commands.add_parser(
        "demo", parents=[common], help="fill an empty database with a synthetic caseload"
    )
    demo.add_argument(
        "--clients",
        type=_count(1, MAX_DEMO_CLIENTS),
        required=True,
        metavar="N",
        help="how many clients",
    )
    demo.add_argument(
        "--seed", type=_count(0, 2**31), default=1, metavar="S", help="random seed (default 1)"
    )
    demo.add_argument(
        "--as-of",
        type=_iso_date,
        default=None,
        metavar="DATE",
        help="date the caseload ends (default today); same seed and date give the same data",
    )
    clients = commands.add_parser("clients", parents=[common], help="list clients")
    clients.add_argument("--json", action="store_true", help="print JSON instead of a table")
    clients.add_argument(
        "--status",
        choices=("active", "paused", "discharged", "all"),
        default="all",
        help="which clients (default all)",
    )
    export = commands.add_parser("export", parents=[common], help="export everything")
    export.add_argument(
        "--format",
        choices=("json", "csv"),
        default="json",
        help="json: one lossless file; csv: a new folder with one file per table",
    )
    export.add_argument("--out", required=True, metavar="PATH", help="file (json) or folder (csv)")
    export.add_argument(
        "--force", action="store_true", help="replace an existing JSON export of that name"
    )
    importer = commands.add_parser(
        "import", parents=[common], help="read a JSON export into an empty database"
    )
    importer.add_argument("path", metavar="PATH", help="the export file")

    session = commands.add_parser("session", help="record or list a client's sessions")
    # Any: typeshed wants the parents to be of the subparsers' own class.
    session_commands: Any = session.add_subparsers(
        dest="session_command", metavar="ACTION", parser_class=_SessionParser, required=True
    )
    add = session_commands.add_parser(
        "add",
        parents=[common],
        help="record a session (checked as in the app)",
        instrument_flags=True,
    )
    add.add_argument("code", metavar="CLIENT_CODE")
    add.add_argument("--json", metavar="FILE", help="the session as JSON (the export's shape)")
    add.add_argument(
        "--date",
        type=_iso_moment,
        metavar="WHEN",
        help='start, e.g. 2026-11-20T10:00 (required unless the JSON gives "start")',
    )
    add.add_argument("--duration", type=_count(1, 600), metavar="MIN", help="minutes (50)")
    add.add_argument("--attendance", choices=("attended", "cancelled", "no_show"))
    add.add_argument("--format", choices=("in_person", "video", "phone"))
    add.add_argument("--notes", metavar="TEXT")
    add.add_argument("--tasks", metavar="TEXT", help="tasks or homework agreed")
    add.add_argument("--feedback", metavar="TEXT", help="the client's feedback, in their words")
    listing = session_commands.add_parser("list", parents=[common], help="list sessions")
    listing.add_argument("code", metavar="CLIENT_CODE")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    _add_report_parser(commands, common)
    _add_backup_parsers(commands, common)
    _add_alert_parsers(commands, common)
    _add_security_parsers(commands, common)
    return parser


def _add_security_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    """encrypt, passwd, audit and client (the record as a whole: export, erase)."""
    commands.add_parser(
        "encrypt",
        parents=[common],
        help="encrypt a database made before encryption (any command with a passphrase does)",
    )
    passwd = commands.add_parser(
        "passwd", parents=[common], help="change the passphrase that unlocks the database"
    )
    passwd.add_argument(
        "--new-passphrase-file",
        metavar="PATH",
        help="read the new passphrase from this file (else a prompt, asked twice)",
    )
    audit = commands.add_parser("audit", help="check or list the audit log")
    audit_commands = audit.add_subparsers(
        dest="audit_command", metavar="ACTION", parser_class=_Parser, required=True
    )
    audit_commands.add_parser(
        "verify", parents=[common], help="check the hash chain (exit 1 if an entry was changed)"
    )
    audit_list = audit_commands.add_parser("list", parents=[common], help="list the entries")
    audit_list.add_argument("--client", metavar="CODE", help="only this client's entries")
    audit_list.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_instrument_parsers(commands, common)
    client = commands.add_parser("client", help="one client's whole record: export or erase")
    client_commands = client.add_subparsers(
        dest="client_command", metavar="ACTION", parser_class=_Parser, required=True
    )
    client_export = client_commands.add_parser(
        "export",
        parents=[common],
        help="the whole record as JSON plus the progress summary PDF (a subject access request)",
    )
    client_export.add_argument("code", metavar="CLIENT_CODE")
    client_export.add_argument("--out", required=True, metavar="DIR", help="a new or empty folder")
    client_erase = client_commands.add_parser(
        "erase", parents=[common], help="erase a client and everything recorded about them"
    )
    client_erase.add_argument("code", metavar="CLIENT_CODE")
    client_erase.add_argument(
        "--yes", action="store_true", help="do not ask (required without a terminal)"
    )


def _add_instrument_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    instrument = commands.add_parser(
        "instrument",
        help="the practice's own instruments: import, list, export, retire, offer, delete",
    )
    actions = instrument.add_subparsers(
        dest="instrument_command", metavar="ACTION", parser_class=_Parser, required=True
    )
    add = actions.add_parser(
        "import", parents=[common], help="add an instrument (or a new version) from a file"
    )
    add.add_argument("file", metavar="FILE", help="a definition file (JSON)")
    listing = actions.add_parser("list", parents=[common], help="list every instrument")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    export = actions.add_parser(
        "export", parents=[common], help="write an instrument's definition to share it"
    )
    export.add_argument("id", metavar="ID")
    export.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    export.add_argument("--force", action="store_true", help="replace an existing file")
    retire = actions.add_parser(
        "retire", parents=[common], help="stop offering an instrument (its data stay)"
    )
    retire.add_argument("id", metavar="ID")
    offer = actions.add_parser(
        "offer", parents=[common], help="offer a retired instrument for new sessions again"
    )
    offer.add_argument("id", metavar="ID")
    delete = actions.add_parser(
        "delete", parents=[common], help="delete an own instrument that has no measurements"
    )
    delete.add_argument("id", metavar="ID")
    delete.add_argument(
        "--yes", action="store_true", help="do not ask (required without a terminal)"
    )


def _add_alert_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    review = commands.add_parser(
        "review",
        parents=[common],
        help="record a risk review (the only thing that clears a risk alert)",
    )
    review.add_argument("code", metavar="CLIENT_CODE")
    review.add_argument(
        "--date", type=_iso_date, metavar="DATE", help="day of the review (default: today)"
    )
    review.add_argument("--action", required=True, metavar="TEXT", help="what was done")
    ongoing = review.add_mutually_exclusive_group(required=True)
    ongoing.add_argument(
        "--ongoing", dest="risk_ongoing", action="store_true", help="risk is ongoing"
    )
    ongoing.add_argument(
        "--not-ongoing", dest="risk_ongoing", action="store_false", help="risk is not ongoing"
    )
    acknowledge = commands.add_parser(
        "acknowledge",
        parents=[common],
        help="acknowledge an alert until it fires again on a newer rating",
    )
    acknowledge.add_argument("code", metavar="CLIENT_CODE")
    acknowledge.add_argument(
        "--kind", required=True, metavar="KIND", help="the alert's kind, as 'clients --json' gives"
    )
    acknowledge.add_argument(
        "--instrument",
        required=True,
        metavar="ID",
        help="the alert's instrument, as 'alerts list' names it",
    )
    acknowledge.add_argument("--note", default="", metavar="TEXT", help="optional note")


def _add_report_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    report = commands.add_parser(
        "report",
        parents=[common],
        help="write a PDF: a client's progress summary, one session, or the caseload",
    )
    report.add_argument("code", metavar="CLIENT_CODE", nargs="?")
    report.add_argument(
        "--session", type=_count(1, 100_000), metavar="N", help="one page on session number N"
    )
    report.add_argument(
        "--caseload", action="store_true", help="one line per client in therapy (no CLIENT_CODE)"
    )
    report.add_argument(
        "--notes", action="store_true", help="with --session: print the session notes too"
    )
    report.add_argument(
        "--from", dest="period_from", type=_iso_date, metavar="DATE", help="start (intake)"
    )
    report.add_argument(
        "--to", dest="period_to", type=_iso_date, metavar="DATE", help="end (default today)"
    )
    report.add_argument(
        "--pseudonymise", action="store_true", help="leave out the name and date of birth"
    )
    report.add_argument(
        "--feedback", action="store_true", help="include excerpts of the client's feedback"
    )
    report.add_argument("--narrative", metavar="TEXT", default="", help="your summary, printed")
    report.add_argument(
        "--sections",
        metavar="LIST",
        help="comma-separated sections to print (default all): "
        "concern, goals, charts, scores, ruptures, outcome",
    )
    report.add_argument("--out", required=True, metavar="FILE.pdf", help="the PDF to write")
    report.add_argument("--force", action="store_true", help="replace an existing file")


def _add_backup_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    secret = argparse.ArgumentParser(add_help=False)
    secret.add_argument(
        "--passphrase-file",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=f"read the backup's passphrase from this file (else ${PASSPHRASE_ENV}, else a prompt)",
    )
    backup = commands.add_parser(
        "backup",
        parents=[common],
        help="write an encrypted, verified backup (with the database's passphrase)",
    )
    backup.add_argument("--to", required=True, metavar="DIR", help="the folder (a USB stick)")
    backup.add_argument(
        "--force", action="store_true", help="write a backup even when nothing changed"
    )
    listing = commands.add_parser(
        "backups", help="list the backups in a folder (reads only the backup files)"
    )
    listing.add_argument("folder", metavar="DIR")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    verify = commands.add_parser(
        "verify", parents=[secret], help="check a backup file completely (needs the passphrase)"
    )
    verify.add_argument("file", metavar="FILE")
    restore = commands.add_parser(
        "restore",
        parents=[common],
        help="replace the database with a backup (a copy of the current one is kept)",
    )
    restore.add_argument("file", metavar="FILE")


#: A passphrase file holds one typed line: 4 KiB is over a thousand characters even in
#: 4-byte UTF-8, far beyond any passphrase a person types; more is surely the wrong file
#: (and /dev/zero, a device, is refused before it is opened).
MAX_SECRET_BYTES = 4 * 1024
#: A session given with --json: its notes, tasks and feedback may each hold 1,000,000
#: characters (transfer.MAX_TEXT), up to 4 bytes each in UTF-8, so 16 MiB keeps every
#: session the app accepts while bounding the memory a wrong file can take.
MAX_SESSION_JSON_BYTES = 16 * 1024**2


def _read_secret_file(name: str) -> str:
    from alliance_desktop.storage.files import FileTooLarge, NotAFile, read_regular_file

    try:
        text = read_regular_file(Path(name).expanduser(), MAX_SECRET_BYTES).decode("utf-8")
    except NotAFile as exc:
        raise UsageError(
            f"The passphrase file {name} is {exc.what}, not a file; write the passphrase "
            f"into a file, or set {PASSPHRASE_ENV}."
        ) from None
    except FileTooLarge:
        raise UsageError(
            f"The passphrase file {name} is larger than {MAX_SECRET_BYTES // 1024} KB; it "
            "should hold the passphrase on one line. Check you named the right file."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise UsageError(f"Cannot read the passphrase file {name}: {reason or exc}.") from None
    return text.rstrip("\r\n")


def _stdin_is_terminal() -> bool:
    """Whether a person can be asked on standard input: false when it is a file, a pipe,
    /dev/null, or closed altogether (``0<&-`` leaves ``sys.stdin`` None)."""
    stdin = sys.stdin
    try:
        return stdin is not None and not stdin.closed and stdin.isatty()
    except (OSError, ValueError):  # a descriptor closed under us
        return False


def _passphrase(args: argparse.Namespace, *, confirm: bool, prompt: str = "Passphrase") -> str:
    """From --passphrase-file, $ALLIANCE_PASSPHRASE, or a prompt (asked twice for a new one).

    Never from the command line itself: argv is visible to every user of the machine.
    """
    if getattr(args, "passphrase_file", None):
        return _read_secret_file(args.passphrase_file)
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env
    if not _stdin_is_terminal():
        raise UsageError(_NO_PASSPHRASE)
    import getpass

    try:
        first = getpass.getpass(f"{prompt}: ")
        again = getpass.getpass("Again, to be sure: ") if confirm else first
    except EOFError:  # Ctrl+D at the prompt
        raise UsageError("No passphrase was typed; nothing was changed.") from None
    if confirm and again != first:
        raise UsageError("The two passphrases differ; nothing was written. Try again.")
    return first


def _database_file(args: argparse.Namespace) -> Path:
    """The database path ``--db`` names, refused when a pipe, device or socket is there:
    opening a named pipe waits for ever, and nothing of the practice belongs in a device."""
    from alliance_desktop.storage.files import describe_kind, is_special_file

    path = paths.database_path(args.db)
    if is_special_file(path):
        raise UsageError(
            f"{path} is {describe_kind(path.stat().st_mode)}, not a database file; name the "
            "practice's database file with --db (e.g. practice.db). Nothing was changed."
        )
    return path


def _backup_file(name: str) -> Path:
    """The backup file named on the command line, refused (without opening it) when it is
    not a regular file: a named pipe would wait for ever, /dev/zero never ends."""
    from alliance_desktop.storage.files import NotAFile, check_regular_file

    path = Path(name).expanduser().absolute()
    try:
        check_regular_file(path)
    except NotAFile as exc:
        raise UsageError(
            f"{path} is {exc.what}, not a backup file; name an .allbak file. Nothing was changed."
        ) from None
    except IsADirectoryError:
        raise UsageError(
            f"{path} is a folder; name one backup file in it (list them with "
            f"'alliance-desktop backups {path}')."
        ) from None
    except OSError:
        pass  # missing or unreadable: the read that follows says so in its own words
    return path


def _backup_folder(name: str) -> Path:
    folder = Path(name).expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is not a folder; name the folder the backups are in.")
    if not folder.is_dir():
        raise UsageError(f"The folder {folder} does not exist; is the drive plugged in?")
    return folder


def _database_passphrase(args: argparse.Namespace, path: Path) -> str:
    """The passphrase for the database at ``path``; asked twice when it will be a new one
    (a new database, or a plain one about to be encrypted)."""
    from alliance_desktop.storage.cipher import is_plain_sqlite

    new = not path.exists() or path.stat().st_size == 0 or is_plain_sqlite(path)
    if new:
        return _passphrase(args, confirm=True, prompt=f"Choose a passphrase for {path.name}")
    return _passphrase(args, confirm=False, prompt=f"Passphrase for {path.name}")


def _cmd_backup(args: argparse.Namespace) -> int:
    from alliance_desktop.services.backups import back_up

    folder = _backup_folder(args.to)
    with _opened(args, create=False) as db:
        made = back_up(db, folder, db.passphrase or "", force=args.force)
    header = made.header
    if made.skipped:
        print(
            f"Nothing changed since the last backup, {made.path} (made {header.created_at}); "
            "no new file was written. Use --force to write one anyway."
        )
        return EXIT_OK
    print(
        f"Backed up {clients_phrase(header.clients)} and {sessions_phrase(header.sessions)} "
        f"to {made.path} (verified)."
    )
    if made.removed:
        print(f"Removed {len(made.removed)} older backup(s) by the rotation settings.")
    return EXIT_OK


def _cmd_backups(args: argparse.Namespace) -> int:
    from alliance_desktop.storage.backup import BackupError, backups_in

    folder = _backup_folder(args.folder)
    found: list[dict[str, object]] = []
    for path, header in backups_in(folder):
        if isinstance(header, BackupError):
            found.append({"file": path.name, "error": str(header)})
            continue
        found.append(
            {
                "file": path.name,
                "created_at": header.created_at,
                "size_bytes": path.stat().st_size,
                "clients": header.clients,
                "sessions": header.sessions,
                "app_version": header.app_version,
                "schema_version": header.schema_version,
            }
        )
    if args.json:
        print(json.dumps(found, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not found:
        print(f"No backups in {folder}.")
    for item in found:
        if "error" in item:
            print(f"{item['file']}: {item['error']}")
        else:
            size = float(str(item["size_bytes"])) / 1e6
            print(
                f"{item['file']}  {item['created_at']}  {size:.1f} MB  "
                f"{item['clients']} clients, {item['sessions']} sessions  "
                f"app {item['app_version']}, schema {item['schema_version']}"
            )
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    from alliance_desktop.storage.backup import BackupError, verify_bytes
    from alliance_desktop.storage.files import read_regular_file

    path = _backup_file(args.file)  # before the passphrase is asked for
    passphrase = _passphrase(args, confirm=False, prompt=f"Passphrase of {path.name}")
    try:
        # Read by the size it has, and only if it is still a regular file when opened.
        data = read_regular_file(path)
    except OSError as exc:
        raise BackupError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    header = verify_bytes(data, passphrase, path.name)
    print(
        f"{path.name} is complete and opens: {clients_phrase(header.clients)}, "
        f"{sessions_phrase(header.sessions)}, made {header.created_at}."
    )
    return EXIT_OK


def _cmd_restore(args: argparse.Namespace) -> int:
    from alliance_desktop.services.backups import restore_from

    source = _backup_file(args.file)  # a pipe or device is refused before anything else
    target = paths.database_path(args.db)
    paths.prepare_database_folder(target)
    passphrase = _passphrase(args, confirm=False, prompt=f"Passphrase of {source.name}")
    header, kept = restore_from(source, passphrase, target)
    print(
        f"Restored {clients_phrase(header.clients)} and {sessions_phrase(header.sessions)} "
        f"from {source.name} (made {header.created_at}) into {target}."
        + (f" The database as it was is kept in {kept}." if kept else "")
    )
    return EXIT_OK


@contextlib.contextmanager
def _opened(
    args: argparse.Namespace,
    *,
    create: bool,
    migrate: bool = True,
    allow_empty: bool = False,
    writes: bool = True,
) -> Iterator[Any]:
    """The database named by ``--db`` (or the default), unlocked, closed when the command ends.

    A plain database from before encryption is encrypted first with the passphrase given.
    The passphrase stays on ``db.passphrase`` for the command (backups use it too). A
    command that ``writes`` (a record, or only an audit entry) first runs SQLite's quick
    check and refuses a damaged file, which must never be made worse.
    """
    from alliance_desktop.storage.database import PlainDatabase, encrypt_database, open_database

    path = _database_file(args)
    if not path.exists() and not create:
        db = open_database(path, passphrase="", create=False)  # raises: not found, say where
    passphrase = _database_passphrase(args, path)

    def unlock() -> Any:
        return open_database(
            path,
            passphrase=passphrase,
            create=create,
            migrate=migrate,
            allow_empty_file=allow_empty,
        )

    try:
        db = unlock()
    except PlainDatabase:
        print(f"Encrypting {path} with this passphrase (once, after the upgrade)…", file=sys.stderr)
        encrypt_database(path, passphrase)
        db = unlock()
    try:
        if writes:
            db.require_sound()
        # No "unlock" entry for a command: a read-only command (clients, session list,
        # check) must leave the file byte-identical; what a command changes, reports,
        # exports or backs up is logged by the service that does it.
        yield db
    finally:
        db.close()


def _cmd_encrypt(args: argparse.Namespace) -> int:
    from alliance_desktop.storage.cipher import is_plain_sqlite
    from alliance_desktop.storage.database import encrypt_database

    path = _database_file(args)
    if not path.exists():
        raise UsageError(f"There is no database at {path}; nothing to encrypt.")
    if not is_plain_sqlite(path):
        print(f"{path} is already encrypted.")
        return EXIT_OK
    encrypt_database(path, _database_passphrase(args, path))
    print(
        f"Encrypted {path}. Without the passphrase it cannot be opened: keep it safe, and "
        "print a recovery sheet from the app (File → Recovery sheet…)."
    )
    return EXIT_OK


def _cmd_passwd(args: argparse.Namespace) -> int:

    with _opened(args, create=False) as db:
        if args.new_passphrase_file:
            new = _read_secret_file(args.new_passphrase_file)
        elif _stdin_is_terminal():
            import getpass

            try:
                new = getpass.getpass("New passphrase: ")
                again = getpass.getpass("Again, to be sure: ")
            except EOFError:  # Ctrl+D at the prompt
                raise UsageError("No new passphrase was typed; nothing was changed.") from None
            if again != new:
                raise UsageError("The two passphrases differ; nothing was changed. Try again.")
        else:
            raise UsageError(
                "passwd needs the new passphrase, and there is no terminal to ask on: give "
                "--new-passphrase-file FILE."
            )
        from alliance_desktop.services.security import set_passphrase

        set_passphrase(db, new)
    print(
        f"Changed the passphrase of {db.path}. Backups made before keep the passphrase they "
        "were made with."
    )
    return EXIT_OK


def _cmd_init(args: argparse.Namespace) -> int:
    path = _database_file(args)
    existed = path.exists()
    paths.prepare_database_folder(path)
    existed = existed and path.stat().st_size > 0
    with _opened(args, create=True, allow_empty=True) as db:
        from alliance_desktop.storage import repository

        count = repository.count_clients(db)
    if existed:
        print(f"The database at {path} is ready ({clients_phrase(count)}).")
    else:
        print(f"Created a new database at {path}.")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from alliance_desktop.storage import keys
    from alliance_desktop.storage.database import HEAD_REVISION, HealthReport, known_revisions
    from alliance_desktop.storage.errors import NotADatabase

    path = paths.database_path(args.db)
    try:
        with _opened(args, create=False, migrate=False, writes=False) as db:
            report = db.health(full=args.full)
    except NotADatabase as exc:
        if not keys.has_key_file(path) or path.stat().st_size == 0:
            raise  # not a database of ours at all: a usage problem, not damage
        report = HealthReport([f"damaged ({exc})"], [], None)

    revision = report.schema_revision
    if revision is None or revision == HEAD_REVISION:
        schema_note = ""
    elif revision in known_revisions():
        schema_note = f" (older; it is migrated to {HEAD_REVISION} when next opened)"
    else:
        schema_note = " (written by a newer version of Alliance Desktop; this one cannot open it)"
    print(f"Database:     {path}")
    print(f"Schema:       {revision or 'unreadable'}{schema_note}")
    kind = "full" if args.full else "quick"
    print(
        f"Integrity:    ({kind}) "
        + ("ok" if report.integrity == ["ok"] else "; ".join(report.integrity[:20]))
    )
    print(
        "Foreign keys: "
        + ("ok" if not report.foreign_key_violations else "; ".join(report.foreign_key_violations))
    )
    if report.healthy:
        print("Healthy.")
        return EXIT_OK
    print(
        "NOT healthy. Nothing was written to it. Keep this file (and any -wal beside it) for "
        "now; restore the latest backup with 'alliance-desktop restore FILE', or open the "
        "database in the app, which offers to restore or to salvage what can be read."
    )
    return EXIT_UNHEALTHY


def _cmd_demo(args: argparse.Namespace) -> int:
    from alliance_desktop.services.demo import generate_demo

    paths.prepare_database_folder(paths.database_path(args.db))
    with _opened(args, create=True) as db:
        show_progress = sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if show_progress:
                print(f"\r{done:,} of {total:,} clients…", end="", file=sys.stderr, flush=True)

        result = generate_demo(
            db, args.clients, seed=args.seed, as_of=args.as_of, progress=progress
        )
        if show_progress:
            print(file=sys.stderr)
    print(
        f"Added {clients_phrase(result.clients).replace('client', 'demo client')} with "
        f"{sessions_phrase(result.sessions)} and {result.measurements:,} measurements to "
        f"{db.path}."
    )
    return EXIT_OK


def _client_json(row: Any) -> dict[str, Any]:
    from alliance_desktop.services.summaries import active_alerts

    summary = row.summary
    alliance = None
    if summary is not None and summary.alliance_latest is not None:
        alliance = {
            "instrument": summary.alliance_instrument,
            "score": summary.alliance_latest,
            "date": summary.alliance_taken_at.date().isoformat(),
        }
    return {
        "code": row.code,
        "name": row.display_name,
        "status": str(row.status),
        "approach": str(row.approach),
        "intake_date": row.intake_date.isoformat(),
        "sessions": summary.sessions_total if summary else 0,
        "attended": summary.attended if summary else 0,
        "last_session": summary.last_session.date().isoformat()
        if summary and summary.last_session
        else None,
        "alliance_latest": alliance,
        "alerts": active_alerts(row),
    }


def _print_json_array(rows: list[dict[str, Any]]) -> None:
    """A JSON array with one object per line. ``json.dump`` with an indent runs Python's
    pure encoder, one write per token (2 s for 10,000 clients); each line here is one call
    of the C encoder, and the output stays easy to read and to ``grep``."""
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    sys.stdout.write("[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n")


def _cmd_clients(args: argparse.Namespace) -> int:
    from alliance_desktop.domain.vocabulary import ClientStatus
    from alliance_desktop.services.summaries import list_clients

    with _opened(args, create=False, writes=False) as db:
        status = None if args.status == "all" else ClientStatus(args.status)
        rows = [_client_json(r) for r in list_clients(db, status, include_alerts=True)]
    if args.json:
        _print_json_array(rows)
        return EXIT_OK
    if not rows:
        print(
            "No clients yet. Add one in the app, or try 'alliance-desktop demo --clients 20' "
            "on a new --db file."
        )
        return EXIT_OK
    _print_client_table(rows)
    return EXIT_OK


def _printable(text: str) -> str:
    """Text safe for one terminal line: control characters (newline, escape) become spaces."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def _print_client_table(rows: list[dict[str, Any]]) -> None:
    from alliance_desktop.domain.wording import SEVERITY_SYMBOLS, SEVERITY_WORDS

    names = [_printable(r["name"]) for r in rows]
    name_width = min(28, max(4, *(len(n) for n in names)))
    code_width = max(4, *(len(r["code"]) for r in rows))
    print(
        f"{'CODE':<{code_width}}  {'NAME':<{name_width}}  {'STATUS':<10}  {'SEEN':>4}  "
        f"{'MISSED':>6}  {'LAST SEEN':<10}  {'ALLIANCE':<12}  ALERTS"
    )
    for r, name in zip(rows, names, strict=True):
        alliance = r["alliance_latest"]
        alliance_text = f"{alliance['instrument']} {alliance['score']:.1f}" if alliance else "-"
        alerts = r["alerts"]
        alert_text = ""
        if alerts:
            count = f"{len(alerts)} alert{'s' if len(alerts) > 1 else ''}"
            severity = str(alerts[0].get("severity", "warning"))
            sign = SEVERITY_SYMBOLS.get(severity, SEVERITY_SYMBOLS["warning"])
            word = SEVERITY_WORDS.get(severity, SEVERITY_WORDS["warning"])
            alert_text = f"{sign} {word} · {count}: {_printable(alerts[0]['reason'])}"
        shown = name if len(name) <= name_width else name[: name_width - 1] + "…"
        missed = r["sessions"] - r["attended"]
        print(
            f"{r['code']:<{code_width}}  {shown:<{name_width}}  {r['status']:<10}  "
            f"{r['attended']:>4}  {missed:>6}  {r['last_session'] or '-':<10}  "
            f"{alliance_text:<12}  {alert_text}"
        )


def _cmd_export(args: argparse.Namespace) -> int:
    from alliance_desktop.services.atomic import check_target_folder, refuse_special
    from alliance_desktop.services.transfer import export_csv, export_json

    if args.format == "json" and args.out.endswith(("/", os.sep)):
        raise UsageError(
            f"--out {args.out} names a folder; name the export file, e.g. export.json."
        )
    target = Path(args.out).expanduser().absolute()
    # Before the passphrase is asked for: a name too long, a missing folder, a device or
    # a pipe under that name (the writers check again when they write).
    check_target_folder(target)
    refuse_special(target)
    with _opened(args, create=False) as db:
        if args.format == "json":
            count = export_json(db, target, overwrite=args.force)
        else:
            count = export_csv(db, target)
    print(f"Exported {clients_phrase(count)} to {target}.")
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from alliance_desktop.services.transfer import import_contents, read_export

    source = Path(args.path).expanduser().absolute()
    contents = read_export(source)  # check the whole file before touching any database
    paths.prepare_database_folder(paths.database_path(args.db))
    with _opened(args, create=True) as db:
        count = import_contents(db, contents)
    print(f"Imported {clients_phrase(count)} from {source} into {db.path}.")
    return EXIT_OK


def _cmd_session(args: argparse.Namespace) -> int:
    return _cmd_session_add(args) if args.session_command == "add" else _cmd_session_list(args)


def _cmd_session_add(args: argparse.Namespace) -> int:
    from alliance_desktop.domain.instruments import CLI_FLAGS
    from alliance_desktop.services import input_rules, sessions
    from alliance_desktop.storage import repository

    # Everything given is read before the database is opened, by the rules the editor uses
    # (services/input_rules.py); a refusal therefore leaves the database untouched.
    document: dict[str, Any] = {}
    where = "session"
    if args.json is not None:
        from alliance_desktop.services.json_files import read_json_file

        if not args.json.strip():  # "" would otherwise mean "no file" and record a blank
            raise UsageError("--json needs a file name (it was empty).")
        loaded = read_json_file(
            Path(args.json).expanduser(), "a session", max_bytes=MAX_SESSION_JSON_BYTES
        )
        if not isinstance(loaded, dict):
            raise UsageError(f"{args.json} must hold one session as a JSON object.")
        document, where = loaded, args.json
    overrides = {
        "start": None if args.date is None else args.date.isoformat(timespec="minutes"),
        "duration_minutes": args.duration,
        "attendance": args.attendance,
        "format": args.format,
        "notes": args.notes,
        "tasks_agreed": args.tasks,
        "client_feedback": args.feedback,
    }
    document.update({k: v for k, v in overrides.items() if v is not None})
    if document.get("start") is None:  # never "now": a guessed start is a wrong record
        in_file = ' or "start" in the JSON file' if args.json is not None else ""
        raise UsageError(
            f"Say when the session started: --date YYYY-MM-DDTHH:MM{in_file}, "
            "e.g. --date 2026-11-20T10:00."
        )
    document = input_rules.checked_session_json(document, where)
    flagged = {
        instrument: input_rules.parse_item_values(texts, instrument)
        for flag, instrument in CLI_FLAGS.items()
        if (texts := getattr(args, flag.replace("-", "_"))) is not None
    }
    with _opened(args, create=False) as db:
        client_id = sessions.client_for_code(db, args.code)
        client = repository.load_client_tree(db, client_id)
        assert client is not None
        session = sessions.parse_session(document, client, where=where)
        for instrument, values in flagged.items():
            session.measurements = [
                m for m in session.measurements if m.instrument_id != instrument
            ]
            session.measurements.append(
                sessions.measurement_from_values(instrument, values, session.start)
            )
        added = sessions.record_session(db, client_id, session)
    for warning in sessions.session_warnings(session, client):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"Recorded session {added.number} for {client.code} on {session.start:%Y-%m-%d %H:%M}.")
    return EXIT_OK


def _measure_cell(m: dict[str, Any]) -> str:
    """One measure in the session table: "CORE-10 12.2 (pro-rated)", "CORE-10 incomplete"."""
    if m.get("incomplete"):
        return f"{m['instrument_id']} incomplete"
    if m["total"] is None:
        return str(m["instrument_id"])
    prorated = " (pro-rated)" if m.get("prorated") else ""
    return f"{m['instrument_id']} {m['total']:g}{prorated}"


def _cmd_session_list(args: argparse.Namespace) -> int:
    from alliance_desktop.services import sessions
    from alliance_desktop.storage import repository

    with _opened(args, create=False, writes=False) as db:
        client = repository.load_client_tree(db, sessions.client_for_code(db, args.code))
        assert client is not None
    rows = [sessions.session_to_json(s) for s in client.sessions]
    if args.json:
        _print_json_array(rows)
        return EXIT_OK
    if not rows:
        print(f"{client.code} has no sessions yet.")
        return EXIT_OK
    print(f"{'#':>3}  {'START':<16}  {'ATTENDANCE':<10}  MEASURES")
    for row in rows:
        measures = ", ".join(_measure_cell(m) for m in row["measurements"])
        start = row["start"].replace("T", " ")
        print(f"{row['number']:>3}  {start:<16}  {row['attendance']:<10}  {measures}")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from alliance_desktop import documents
    from alliance_desktop.services.atomic import (
        check_target_folder,
        refuse_special,
        refuse_to_clobber,
    )

    target = Path(args.out).expanduser().absolute()
    if target.suffix.lower() != ".pdf":
        raise UsageError(f"--out {args.out} should name a .pdf file, e.g. summary.pdf.")
    _check_report_choice(args)
    check_target_folder(target)  # before the passphrase: see _cmd_export
    refuse_special(target)
    with _opened(args, create=False) as db:
        refuse_to_clobber(target, [db.path], overwrite=args.force)
        written = documents.write(db, _report_request(args), target)
    print(f"Wrote {written.description} to {target}.")
    return EXIT_OK


def _check_report_choice(args: argparse.Namespace) -> None:
    """One kind of report per command, with only the options that kind takes."""
    period = args.period_from is not None or args.period_to is not None
    if args.caseload:
        extras = (args.session, period, args.pseudonymise, args.feedback, args.notes)
        if args.code or any(extras) or args.narrative or args.sections:
            raise UsageError(
                "--caseload takes no CLIENT_CODE, --session, period, --pseudonymise, "
                "--feedback, --notes, --narrative or --sections; it lists every client in "
                "therapy."
            )
        return
    if not args.code:
        raise UsageError("Name the client (CLIENT_CODE), or use --caseload for everyone.")
    if args.session and (period or args.feedback or args.narrative or args.sections):
        raise UsageError(
            "--session N prints one session; --from, --to, --feedback, --narrative and "
            "--sections belong to the progress summary."
        )
    if args.notes and not args.session:
        raise UsageError("--notes goes with --session N (a session summary).")


def _report_request(args: argparse.Namespace) -> Any:
    """The report the arguments ask for, as ``documents`` takes it."""
    from alliance_desktop import documents

    if args.caseload:
        return documents.CaseloadSummary()
    if args.session:
        return documents.SessionSummary(
            args.code, args.session, pseudonymise=args.pseudonymise, include_notes=args.notes
        )
    return documents.ProgressSummary(
        args.code,
        period_from=args.period_from,
        period_to=args.period_to,
        pseudonymise=args.pseudonymise,
        include_feedback=args.feedback,
        narrative=args.narrative,
        sections=None
        if args.sections is None
        else frozenset(part.strip() for part in args.sections.split(",") if part.strip()),
    )


def _cmd_review(args: argparse.Namespace) -> int:
    from alliance_desktop.services.alerts import record_risk_review
    from alliance_desktop.services.sessions import client_for_code

    now = datetime.now()
    with _opened(args, create=False) as db:
        client_id = client_for_code(db, args.code)
        record_risk_review(
            db,
            client_id,
            reviewed_on=args.date or now.date(),
            action=args.action,
            risk_ongoing=args.risk_ongoing,
            now=now,
        )
    state = "risk ongoing" if args.risk_ongoing else "risk not ongoing"
    print(f"Recorded a risk review for {args.code.strip()} ({state}).")
    return EXIT_OK


def _cmd_acknowledge(args: argparse.Namespace) -> int:
    from alliance_desktop.services.alerts import AlertRef, acknowledge_alert
    from alliance_desktop.services.sessions import client_for_code
    from alliance_desktop.services.summaries import active_alerts, client_row

    with _opened(args, create=False) as db:
        client_id = client_for_code(db, args.code)
        row = client_row(db, client_id)
        alerts = active_alerts(row) if row is not None else []
        found = [
            a
            for a in alerts
            if args.kind in (a.get("kinds") or [a.get("kind")])
            and a.get("instrument_id") == args.instrument
        ]
        if not found:
            listed = ", ".join(f"{a['kind']} on {a['instrument_id']}" for a in alerts) or "none"
            raise UsageError(
                f"{args.code.strip()} has no active {args.kind!r} alert on {args.instrument}; "
                f"its active alerts are: {listed}."
            )
        acknowledge_alert(db, client_id, AlertRef.from_dict(found[0]), note=args.note)
    print(f"Acknowledged: {found[0]['reason']}")
    return EXIT_OK


def _cmd_audit(args: argparse.Namespace) -> int:
    from alliance_desktop.services import audit

    with _opened(args, create=False, writes=False) as db:
        if args.audit_command == "verify":
            check = audit.verify(db)
            entries = audit.history(db) if check.ok else []
        else:
            code = args.client.strip() if args.client else None
            entries = audit.history(db, code)
    if args.audit_command == "verify":
        if not check.ok:
            print(f"Audit log NOT intact: {check.problem}.")
            return EXIT_UNHEALTHY
        span = f", {entries[0].at:%Y-%m-%d} to {entries[-1].at:%Y-%m-%d}" if entries else ""
        print(f"Audit log intact: {check.entries:,} entries{span}, every hash checks.")
        return EXIT_OK
    rows = [
        {
            "id": e.entry_id,
            "at": e.at.isoformat(),
            "action": e.action,
            "client": e.client_code,
            "detail": e.detail,
        }
        for e in entries
    ]
    if args.json:
        _print_json_array(rows)
        return EXIT_OK
    if not rows:
        print("No audit entries" + (f" for {args.client.strip()}." if args.client else "."))
    for row in rows:
        words = audit.ACTION_WORDS[str(row["action"])]
        when = str(row["at"]).replace("T", " ")
        print(
            f"{row['id']:>6}  {when}  {words:<26}  {row['client'] or '-':<12}  "
            f"{_printable(str(row['detail']))}"
        )
    return EXIT_OK


def _cmd_instrument(args: argparse.Namespace) -> int:
    from alliance_desktop.domain.instruments import is_built_in
    from alliance_desktop.services import instruments

    action = args.instrument_command
    if action == "import":
        # Read and checked before the database is opened: a bad file changes nothing.
        instrument = instruments.read_definition(Path(args.file).expanduser())
        with _opened(args, create=False) as db:
            result = instruments.import_definition(db, instrument, datetime.now())
        print(result.sentence())
        return EXIT_OK
    if action == "export":
        target = Path(args.out).expanduser().absolute()
        with _opened(args, create=False, writes=False) as db:
            exported = instruments.export_definition(db, args.id, target, force=args.force)
        variant = (
            " It is built in: give the copy an id of your own before importing a variant."
            if is_built_in(exported.id)
            else ""
        )
        print(f"Wrote {exported.id} version {exported.version} to {target}.{variant}")
        return EXIT_OK
    if action == "retire":
        with _opened(args, create=False) as db:
            print(instruments.retire_instrument(db, args.id.strip(), datetime.now()))
        return EXIT_OK
    if action == "offer":
        with _opened(args, create=False) as db:
            print(instruments.restore_instrument(db, args.id.strip()))
        return EXIT_OK
    if action == "delete":
        with _opened(args, create=False) as db:
            instruments.deletable(db, args.id.strip())  # refused before anything is asked
            asked = f"Delete {args.id.strip()} permanently?"
            if not args.yes and not _confirmed(asked, f"deleting {args.id.strip()}"):
                print("Nothing was deleted.")
                return EXIT_OK
            print(instruments.delete_instrument(db, args.id.strip()))
        return EXIT_OK
    with _opened(args, create=False, writes=False):
        entries = instruments.list_instruments()
    if args.json:
        _print_json_array([e.to_json() for e in entries])
        return EXIT_OK
    id_width = max(2, *(len(e.id) for e in entries))
    print(f"{'ID':<{id_width}}  {'VERSION':<10}  {'ITEMS':>5}  {'KIND':<8}  {'':<8}  NAME")
    for e in entries:
        where = "built in" if e.built_in else ("retired" if e.retired else "own")
        print(
            f"{e.id:<{id_width}}  {_printable(e.version):<10}  {e.items:>5}  {e.kind:<8}  "
            f"{where:<8}  {_printable(e.name)}"
        )
    return EXIT_OK


def _cmd_client(args: argparse.Namespace) -> int:
    from alliance_desktop.services import clients as client_service
    from alliance_desktop.services.sessions import client_for_code

    if args.client_command == "export":
        from alliance_desktop.reports.client_report import client_report_pdf
        from alliance_desktop.services.transfer import export_client

        folder = Path(args.out).expanduser().absolute()
        with _opened(args, create=False) as db:
            written = export_client(db, args.code, folder, client_report_pdf)
        print(f"Exported {args.code.strip()}'s whole record to {folder}: " + ", ".join(written))
        return EXIT_OK
    with _opened(args, create=False) as db:
        client_id = client_for_code(db, args.code)
        until = client_service.backups_hold_until(db, date.today())
        question = f"Erase {args.code.strip()} and everything recorded about them?"
        if not args.yes and not _confirmed(question, f"erasing {args.code.strip()}"):
            print("Nothing was erased.")
            return EXIT_OK
        client_service.delete_client(db, client_id)
    print(
        f"Erased {args.code.strip()} from {db.path}. Backups made before today still hold the "
        f"record until rotation removes them, by {until:%Y-%m-%d} at the latest."
    )
    return EXIT_OK


def _confirmed(question: str, doing: str) -> bool:
    """Ask a yes/no ``question`` on the terminal (no answer is no); ``doing`` names the act
    in the refusal when there is no terminal ("erasing C-1").

    Raises:
        UsageError: There is no terminal to ask on (the command then needs --yes).
    """
    if not _stdin_is_terminal():
        raise UsageError(
            f"{doing} cannot be undone; add --yes to confirm (there is no terminal to ask on)."
        )
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:  # Ctrl+D: no answer is no
        answer = ""
        print()
    return answer.strip().lower() in ("y", "yes")


_COMMANDS = {
    "backup": _cmd_backup,
    "backups": _cmd_backups,
    "verify": _cmd_verify,
    "restore": _cmd_restore,
    "report": _cmd_report,
    "init": _cmd_init,
    "check": _cmd_check,
    "demo": _cmd_demo,
    "clients": _cmd_clients,
    "export": _cmd_export,
    "import": _cmd_import,
    "session": _cmd_session,
    "review": _cmd_review,
    "acknowledge": _cmd_acknowledge,
    "encrypt": _cmd_encrypt,
    "passwd": _cmd_passwd,
    "audit": _cmd_audit,
    "client": _cmd_client,
    "instrument": _cmd_instrument,
}


#: Commands that unlock the database named by --db (not verify/restore/backups, whose
#: passphrase is a backup's, nor encrypt, whose database has no key yet).
_OPENS_DATABASE = frozenset(
    {
        "backup", "passwd", "init", "check", "demo", "clients", "export", "import",
        "session", "report", "review", "acknowledge", "audit", "client", "instrument",
    }
)  # fmt: skip


def _begin_unlock(args: argparse.Namespace) -> None:
    """Start the unlock's key derivation (Argon2id, about 0.4 s on purpose) on a thread
    when the passphrase is already at hand (a file or the environment, as in scripts), so
    the command's modules load meanwhile: a whole command then costs about the larger of
    the two rather than their sum. A prompt is left to the command (it says which file)."""
    from alliance_desktop.storage import keys

    path = paths.database_path(args.db)
    try:
        if getattr(args, "passphrase_file", None):
            passphrase = _read_secret_file(args.passphrase_file)
        else:
            passphrase = os.environ.get(PASSPHRASE_ENV, "")
        if passphrase and keys.has_key_file(path):
            keys.begin_unlock(path, passphrase)
    except (UsageError, OSError):
        pass  # the command reads the passphrase again, and says what is wrong


def _expected_errors() -> tuple[type[BaseException], ...]:
    from alliance_desktop.domain.errors import DomainError
    from alliance_desktop.services.errors import ServiceError
    from alliance_desktop.storage.errors import StorageError

    return (DomainError, ServiceError, StorageError, UsageError)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``alliance-desktop`` and ``python -m alliance_desktop``."""
    try:
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C before a command started (while loading)
        print("alliance-desktop: interrupted before anything was changed.", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    diagnostics.keep_files_private()
    if args.self_test:
        if args.command is not None or args.db is not None or args.passphrase_file is not None:
            parser.error("--self-test takes no command, --db or --passphrase-file")
        from alliance_desktop.selftest import run_self_test

        return run_self_test()
    if args.command is None:
        from alliance_desktop.app import run_gui

        try:
            passphrase = _read_secret_file(args.passphrase_file) if args.passphrase_file else None
        except UsageError as exc:
            print(f"alliance-desktop: {exc}", file=sys.stderr)
            return EXIT_USER_ERROR
        return run_gui(paths.database_path(args.db), passphrase=passphrase)
    log_file = diagnostics.setup_logging()
    try:
        if args.command in _OPENS_DATABASE:
            _begin_unlock(args)
        return _COMMANDS[args.command](args)
    except _expected_errors() as exc:
        print(f"alliance-desktop {args.command}: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except EOFError:
        # Input ended at a question (Ctrl+D, or a closed stdin); each prompt handles its own,
        # this is the net under them, and prompts come before anything is written.
        print(
            f"alliance-desktop {args.command}: the input ended while a question waited for an "
            "answer; run it in a terminal, or give the answer as an option (see --help).",
            file=sys.stderr,
        )
        return EXIT_USER_ERROR
    except BrokenPipeError:
        # The reader went away (e.g. `clients | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        if args.command in _WRITING_COMMANDS:
            message = (
                "interrupted. Each step is saved whole or not at all, so the database holds "
                "only what was complete; run 'check' to confirm."
            )
        else:
            message = "interrupted; nothing was changed and no file was left half-written."
        print(f"alliance-desktop {args.command}: {message}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        from alliance_desktop.storage.database import environment_error

        translated: Exception | None = environment_error(paths.database_path(args.db), exc)
        if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
            # A path the drive cannot hold (a --db of 300 characters, say): the user's to fix.
            name = Path(str(exc.filename)).name if exc.filename else "given"
            translated = UsageError(
                f"The name {name[:40]}… is longer than the drive allows; choose a shorter "
                "name. Nothing was changed."
            )
        if translated is not None:  # disk full, locked, drive gone: not a bug
            log.warning("%s: %s", args.command, translated)
            print(f"alliance-desktop {args.command}: {translated}", file=sys.stderr)
            return EXIT_USER_ERROR
        log.exception("internal error in %s", args.command)
        where = f" Details are in {log_file}." if log_file else ""
        first_line = (str(exc).splitlines() or [""])[0][:200]
        print(
            f"alliance-desktop {args.command}: internal error ({type(exc).__name__}: "
            f"{first_line}). "
            f"This is a bug in Alliance Desktop; please report it.{where}",
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR
