"""Opening a practice database: unlocking, engine, pragmas, schema checks, migration on open.

This is the one place (with backup and ``cipher``) allowed SQLite-specific code. Every
database is an SQLCipher file whose key is unlocked from the key file beside it
(``storage.keys``); a plain database from before encryption is refused with
``PlainDatabase`` until ``encrypt_database`` has encrypted it. Opening an up-to-date
database never imports Alembic (it costs ~0.35 s of start-up); Alembic is loaded only to
create a new database or migrate an old one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from alliance_desktop.storage import cipher, exclusion, instrument_store, keys, sqlite_errors
from alliance_desktop.storage.cipher import SQLITE_HEADER
from alliance_desktop.storage.errors import (
    DatabaseNotFound,
    DatabaseUnavailable,
    MigrationFailed,
    MigrationRefused,
    NotADatabase,
    SchemaTooNew,
    StorageError,
)
from alliance_desktop.storage.files import fsync_dir, is_special_file
from alliance_desktop.storage.keys import DatabaseKey
from alliance_desktop.storage.records import InstrumentDefinitionRow

log = logging.getLogger(__name__)

#: The newest schema revision this version writes. A test keeps it equal to Alembic's head.
HEAD_REVISION = "0007_instrument_definitions"
#: How long a write waits for another program's write to finish before giving up.
BUSY_SECONDS = 10.0
_BUSY_STEP_MS = 100  # one wait inside SQLite while ``on_busy`` is set
_NO_BEGIN = "NONE"  # execution option value: run outside any transaction (checkpoints)
_MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class HealthReport:
    """Result of ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check``."""

    integrity: list[str]
    foreign_key_violations: list[str]
    schema_revision: str | None

    @property
    def healthy(self) -> bool:
        return self.integrity == ["ok"] and not self.foreign_key_violations


class PlainDatabase(StorageError):
    """The database is a plain SQLite file from before encryption: encrypt it first."""


class DatabaseLocked(StorageError):
    """The window was locked: the key is gone until the passphrase is typed again."""


class DatabaseClosed(StorageError):
    """The database was closed (another one opened, or a restore replacing the file)."""


class Keyring:
    """Holds the key an engine's connections are opened with; emptied when the app locks
    or the database is closed, so no new connection can be made (and nothing of ours keeps
    the key): a closed database is never quietly opened again behind a restore's back."""

    def __init__(self, key: DatabaseKey) -> None:
        self._key: DatabaseKey | None = key
        self._closed = False

    def get(self) -> DatabaseKey:
        if self._closed:
            raise DatabaseClosed(
                "The database was closed while this was being done (another database was "
                "opened, or a backup is being restored). Nothing was changed; try again."
            )
        if self._key is None:
            raise DatabaseLocked("The database is locked; unlock it with your passphrase.")
        return self._key

    def forget(self, *, closed: bool = False) -> None:
        self._key = None
        self._closed = self._closed or closed


class Database:
    """An open practice database: its path, key and engine. Repositories read and write.

    Use ``read()`` for queries that must agree with each other (one snapshot) and
    ``write()`` for changes (one transaction, all or nothing).
    """

    def __init__(
        self,
        path: Path,
        engine: Engine,
        keyring: Keyring,
        opened: tuple[int, int] | None = None,
    ) -> None:
        self.path = path
        self.engine = engine
        self._keyring = keyring
        #: The file's identity when it was opened: a write into a file that has since been
        #: replaced (a restore by another process) is refused, never acknowledged and lost.
        self._opened = opened if opened is not None else exclusion.identity(path)
        #: The passphrase it was unlocked with, while open (backups use it by default).
        self.passphrase: str | None = None
        #: What SQLite's quick check found when the window opened it ([] sound or unchecked).
        self.damage: list[str] = []
        #: Called (with the seconds waited so far) while a write waits for another
        #: program's: the window keeps painting and says why it waits. None: SQLite waits.
        self.on_busy: Callable[[float], None] | None = None

    @property
    def key(self) -> DatabaseKey:
        """The database key (``DatabaseLocked`` once ``lock`` has dropped it)."""
        return self._keyring.get()

    def lock(self) -> None:
        """Close every connection and drop the key and the passphrase (the window locks)."""
        self.engine.dispose()
        self._keyring.forget()
        self.passphrase = None

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection whose queries all see one consistent snapshot; nothing is written.

        A failure the environment caused (busy, vanished, damaged…) is raised as the
        ``storage.sqlite_errors`` error that says so.
        """
        # Connecting to a name whose file has gone would create an empty one there.
        exclusion.check_same_file(self.path, self._opened, "Nothing was changed")
        with self._plain_errors(), self.engine.connect() as conn:
            yield conn  # the first query begins the read transaction; closing ends it

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction, committed on success and rolled back on any error.

        It takes the write lock at the start (BEGIN IMMEDIATE), so a second writer waits
        (up to the busy timeout) instead of failing half-way through its work. Around it, it
        holds the writers' lock (``storage.exclusion``), so a restore cannot replace the file
        under the write, and a file replaced since it was opened is refused.
        """
        with (
            self._plain_errors(),
            exclusion.writing(self.path, self._opened, before_waiting=self.engine.dispose),
            self.engine.connect() as conn,
        ):
            conn.execution_options(sqlite_begin="IMMEDIATE")
            with self._begin_writing(conn):
                yield conn

    @contextlib.contextmanager
    def _plain_errors(self) -> Iterator[None]:
        """Raise a failure the environment caused as the ``storage.sqlite_errors`` error
        that says so (the one place ``read()`` and ``write()`` translate)."""
        try:
            yield
        except UnicodeDecodeError:  # damage; "from None": its .object holds the text
            raise sqlite_errors.unreadable_text(self.path) from None
        except MemoryError:  # SQLCipher's SQLITE_NOMEM for a page failing its check
            raise sqlite_errors.unreadable_page(self.path) from None
        except DatabaseError as exc:
            problem = sqlite_errors.translate(self.path, exc)
            if problem is None:
                raise  # a bug (or a constraint its caller handles): as it is
            raise problem from exc

    def _begin_writing(self, conn: Connection) -> Any:
        """BEGIN IMMEDIATE; with ``on_busy`` set, wait for another writer in short steps,
        calling it between them, instead of blocking inside SQLite for the whole timeout."""
        if self.on_busy is None:
            return conn.begin()
        driver = conn.connection.dbapi_connection
        assert driver is not None
        driver.execute(f"PRAGMA busy_timeout = {_BUSY_STEP_MS}")
        started = time.monotonic()
        try:
            while True:
                try:
                    return conn.begin()
                except OperationalError as exc:
                    code = sqlite_errors.result_code(exc) or 0
                    waited = time.monotonic() - started
                    if code & 0xFF not in sqlite_errors.BUSY_CODES or waited > BUSY_SECONDS:
                        raise
                    self.on_busy(waited)
        finally:
            driver.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")

    def quick_check(self) -> list[str]:
        """SQLite's quick check (page structure, no index cross-check): the problems it
        finds, or [] when the file is sound. Reads only, so it comes before any write."""
        try:
            with self.engine.connect() as conn:
                found = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA quick_check")]
        except DatabaseError as exc:
            problem = sqlite_errors.translate(self.path, exc)
            if problem is not None and not isinstance(problem, sqlite_errors.DatabaseDamaged):
                raise problem from exc
            return [f"pages that cannot be read ({_first_line(exc)})"]
        except MemoryError:  # SQLCipher's answer to a page failing its check, at times
            return ["pages that cannot be read"]
        return [] if found == ["ok"] else found

    def require_sound(self) -> None:
        """Raise ``DatabaseDamaged`` when the quick check finds damage (before writing)."""
        problems = self.quick_check()
        if problems:
            raise sqlite_errors.DatabaseDamaged(damage_message(self.path, problems))

    def health(self, *, full: bool = True) -> HealthReport:
        """Run SQLite's integrity check (the quick one unless ``full``) and the foreign-key
        check; damage is reported, not raised."""
        revision = None
        pragma = "integrity_check" if full else "quick_check"
        try:
            with self.engine.connect() as conn:
                revision = _read_revision(conn)
                integrity = [str(row[0]) for row in conn.exec_driver_sql(f"PRAGMA {pragma}")]
                violations = [
                    f"table {row[0]} row {row[1]} points to a missing row in {row[2]}"
                    for row in conn.exec_driver_sql("PRAGMA foreign_key_check")
                ]
        except DatabaseError as exc:
            problem = sqlite_errors.translate(self.path, exc)
            if problem is not None and not isinstance(problem, sqlite_errors.DatabaseDamaged):
                raise problem from exc
            return HealthReport([f"damaged ({_first_line(exc)})"], [], revision)
        return HealthReport(integrity, violations, revision)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the main file (before copying or closing)."""
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_begin=_NO_BEGIN)  # a checkpoint cannot run in one
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close every connection; any later read or write raises ``DatabaseClosed``."""
        self.engine.dispose()
        self._keyring.forget(closed=True)


def _read_revision(conn: Any) -> str | None:
    try:
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except OperationalError:
        return None
    return str(row[0]) if row else None


def _url(path: Path) -> URL:
    # URL.create, not an f-string: '?' or '%' in a file name must not be read as URL syntax.
    return URL.create("sqlite", database=str(path))


def _build_engine(path: Path, keyring: Keyring, *, foreign_keys: bool) -> Engine:
    """An SQLCipher engine whose transactions are real SQLite transactions.

    Each connection is keyed before anything else touches it (``cipher.connect``).

    pysqlite by default starts a transaction only before INSERT/UPDATE/DELETE, so a series
    of SELECTs can see different states of the file and DDL commits as it goes. Following
    SQLAlchemy's documented recipe, the driver's own handling is switched off and BEGIN is
    issued when SQLAlchemy begins: DEFERRED for reads, IMMEDIATE where ``write()`` asks.
    ``hide_parameters`` keeps client names and notes out of error messages and logs.
    """
    engine = create_engine(
        _url(path),
        module=cipher.sqlcipher,
        creator=lambda: cipher.connect(path, keyring.get(), check_same_thread=False),
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_SECONDS * 1000)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            # FULL: a committed session survives a power cut, not only a crash.
            cursor.execute("PRAGMA synchronous = FULL")
            # Deleted content is overwritten, not left in free pages (an erased client's
            # notes must not linger inside the file, even encrypted).
            cursor.execute("PRAGMA secure_delete = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode != _NO_BEGIN:
            conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def make_engine(path: Path, keyring: Keyring) -> Engine:
    """The everyday engine: foreign keys on, WAL, synchronous FULL, real transactions."""
    return _build_engine(path, keyring, foreign_keys=True)


def _migration_engine(path: Path, key: DatabaseKey) -> Engine:
    """The engine for schema changes: the same, but with foreign keys off.

    Alembic's batch mode rebuilds a table by dropping it, which with foreign keys on would
    cascade-delete every child row. All the DDL runs in one transaction, so a failed
    migration rolls back completely.
    """
    return _build_engine(path, Keyring(key), foreign_keys=False)


def _check_file(path: Path, create: bool, allow_empty_file: bool) -> bool:
    """Validate the target; return True when a new database will be created."""
    if path.is_dir():
        raise NotADatabase(f"{path} is a folder, not a database file. Name a file instead.")
    if is_special_file(path):  # never opened: a pipe would block, a device is not ours
        raise NotADatabase(
            f"{path} is not an ordinary file (a pipe, a device or a socket), so it is not a "
            "database. Choose the database file instead."
        )
    if not path.exists():
        if not create:
            raise DatabaseNotFound(
                f"There is no database at {path}. Create one with 'alliance-desktop init' "
                "or choose another file with --db."
            )
        if not path.parent.is_dir():
            raise DatabaseUnavailable(
                f"The folder {path.parent} does not exist. Create it first or choose "
                "another place with --db."
            )
        if not os.access(path.parent, os.W_OK):
            raise DatabaseUnavailable(
                f"Cannot create a database in {path.parent}: the folder is not writable. "
                "Choose another place with --db."
            )
        return True
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseUnavailable(f"Cannot read {path}: {exc.strerror}.") from exc
    if header == SQLITE_HEADER:
        if _plain_is_foreign(path):
            raise NotADatabase(
                f"{path} is an SQLite file but not an Alliance Desktop database "
                "(it has other tables and no schema version). Choose another file."
            )
        raise PlainDatabase(
            f"{path} is not encrypted yet. Open it in the app to choose a passphrase, or run "
            f"'alliance-desktop --db {path} encrypt'; it is then encrypted in place."
        )
    wal = Path(f"{path}-wal")
    if not header and wal.exists() and wal.stat().st_size > 0:
        # SQLite deletes the log of a zero-byte database when it opens it, and with it
        # every change saved there: nothing may open this pair until it is kept aside.
        raise NotADatabase(
            f"{path} is empty (0 bytes) but its write-ahead log {wal.name} holds saved "
            "changes: the database is damaged. Both files were left exactly as they were; "
            "copy them somewhere safe, then restore the database from a backup."
        )
    if not header:
        if allow_empty_file:
            return True
        # An empty file where a database should be is more often damage than intent.
        raise NotADatabase(
            f"{path} is empty (0 bytes). If it was your database it has been damaged: "
            "restore it from a backup. To start a new database there, run "
            "'alliance-desktop init'."
        )
    if not keys.has_key_file(path):
        raise NotADatabase(
            f"{path} is not an Alliance Desktop database, or its key file "
            f"{keys.keys_path(path).name} is missing from beside it (the database cannot be "
            "opened without it). Put the key file back, or choose the right file with --db."
        )
    return False


def _plain_is_foreign(path: Path) -> bool:
    """Whether a plain SQLite file holds somebody else's tables (never ours to encrypt)."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            tables = {
                str(row[0])
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        finally:
            conn.close()
    except sqlite3.Error:
        return False  # damaged: encrypting refuses it with its own message
    return bool(tables) and "alembic_version" not in tables


def prune_copies(path: Path, label: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` copies ``copy_aside`` made with ``label`` (and
    their key files); return what was deleted. Copies made for other reasons (before a
    migration, say) are another label and are left alone."""
    copies = sorted(
        path.parent.glob(f"{path.name}.{label}-*.bak"),
        key=lambda p: (p.stat().st_mtime, p.name),
    )
    removed = copies[: max(0, len(copies) - keep)]
    for copy in removed:
        copy.unlink(missing_ok=True)
        keys.keys_path(copy).unlink(missing_ok=True)
    if removed:
        fsync_dir(path.parent)
    return removed


def copy_aside(path: Path, label: str, key: DatabaseKey) -> Path:
    """Copy a live database next to itself (SQLCipher's backup API, WAL-safe); return it.

    The copy stays encrypted under the same key and gets its own key file; it is written
    under a temporary name, synced, then renamed, so a crash never leaves a half-written
    copy under the final name.
    """
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.{label}-{stamp}.bak")
    serial = 1
    while target.exists():  # two copies in one second must not overwrite each other
        serial += 1
        target = path.with_name(f"{path.name}.{label}-{stamp}-{serial}.bak")
    partial = target.with_name(target.name + ".partial")
    source = cipher.connect(path, key)
    try:
        destination = cipher.connect(partial, key)
        try:
            source.backup(destination)
        finally:
            destination.close()
    except BaseException:
        partial.unlink(missing_ok=True)  # a damaged source: no half copy left behind
        raise
    finally:
        source.close()
    with partial.open("rb+") as handle:
        os.fsync(handle.fileno())
    keys.copy_key_file(path, target)
    os.replace(partial, target)
    fsync_dir(target.parent)
    return target


def remove_leftovers(path: Path) -> list[Path]:
    """Delete half-written files a killed restore or copy left beside ``path``.

    Only names this app gives its temporary files are touched: ``.<name>.restore-*.partial``
    (a restore), ``<name>.*.bak.partial`` (a kept copy) and ``.<name>.*.encrypting.partial``
    (an encryption; encrypted data only).
    """
    removed = []
    with contextlib.suppress(OSError):
        for pattern in (
            f".{path.name}.restore-*.partial",
            f"{path.name}.*.bak.partial",
            f".{path.name}.*{cipher.ENCRYPTING_SUFFIX}",
            f".{path.name}*{keys.KEYS_SUFFIX}.*.partial",
            f".{path.name}.salvaged-*.salvage.partial*",  # a salvage killed part-way
        ):
            for leftover in path.parent.glob(pattern):
                with contextlib.suppress(OSError):
                    leftover.unlink()
                    removed.append(leftover)
        # The key file of a kept copy whose copy never got its name (killed in between).
        for orphan in path.parent.glob(f"{path.name}.*.bak{keys.KEYS_SUFFIX}"):
            if not orphan.with_name(orphan.name.removesuffix(keys.KEYS_SUFFIX)).exists():
                with contextlib.suppress(OSError):
                    orphan.unlink()
                    removed.append(orphan)
    return removed


def alembic_config(engine_connection: Any | None = None) -> Any:
    """An Alembic ``Config`` for our migrations (imports Alembic)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS_DIR))
    if engine_connection is not None:
        config.attributes["connection"] = engine_connection
    return config


def known_revisions() -> set[str]:
    """Every schema revision this version can migrate from (imports Alembic)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in scripts.walk_revisions()}


def _row_counts(conn: Any) -> dict[str, int]:
    tables = [
        str(row[0])
        for row in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {t: int(conn.exec_driver_sql(f'SELECT count(*) FROM "{t}"').scalar()) for t in tables}


def _upgrade(path: Path, key: DatabaseKey) -> None:
    """Bring the schema to head in one transaction, or leave the file exactly as it was.

    After the migration, and before it commits, foreign keys must still hold and no table
    may have lost rows; otherwise everything is rolled back.
    """
    from alembic import command

    engine = _migration_engine(path, key)
    try:
        with engine.connect() as conn, conn.execution_options(sqlite_begin="IMMEDIATE").begin():
            before = _row_counts(conn)
            command.upgrade(alembic_config(conn), "head")
            after = _row_counts(conn)
            lost = [f"{t} {n}→{after[t]}" for t, n in before.items() if after.get(t, 0) < n]
            violations = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if lost or violations:
                problem = (
                    f"rows would be lost ({', '.join(lost)})"
                    if lost
                    else (f"{len(violations)} rows would point to missing rows")
                )
                raise MigrationFailed(f"the new schema failed its checks: {problem}")
    finally:
        engine.dispose()


def _create_schema(path: Path, key: DatabaseKey) -> None:
    log.info("creating schema in %s", path)
    with exclusion.replacing(path):
        _upgrade(path, key)
    path.chmod(0o600)  # health records: readable by their owner only


def _migrate(path: Path, key: DatabaseKey, revision: str) -> None:
    """Bring an older schema to head, keeping a copy of the file first."""
    with exclusion.replacing(path):
        kept = copy_aside(path, f"before-migration-{revision}", key)
        log.info("migrating %s from %s; copy kept at %s", path, revision, kept)
        try:
            _upgrade(path, key)
        except MigrationRefused as exc:
            raise MigrationRefused(
                f"{path} was not updated to this version of Alliance Desktop: {exc} "
                f"The database was left as it was (a copy is also at {kept})."
            ) from exc
        except Exception as exc:
            log.exception("migration of %s failed", path)
            reason = exc.orig if isinstance(exc, DatabaseError) else exc
            raise MigrationFailed(
                f"Updating {path} to this version of Alliance Desktop failed ({reason}). "
                f"The database was left as it was, and a copy is at {kept}. Please "
                "report this problem; until then use the previous version of the app."
            ) from exc


def open_database(
    path: Path,
    *,
    key: DatabaseKey | None = None,
    passphrase: str | None = None,
    create: bool = True,
    migrate: bool = True,
    allow_empty_file: bool = False,
    install_instruments: bool = True,
) -> Database:
    """Unlock and open (and if needed create or migrate) the database at ``path``.

    The database is unlocked with ``key`` or, failing that, ``passphrase`` (a new database
    gets a key file with that passphrase). With ``migrate=False`` an older schema is opened
    as it is (for read-only checks). An existing empty file is refused unless
    ``allow_empty_file`` (``init``) says to use it. Its own instruments become the
    registry's unless ``install_instruments`` is False: a database opened beside the one in
    use (the demo being made, a restored file's audit line, a salvage) must not replace
    the instruments of the one in use.

    Raises:
        DatabaseNotFound: no file and ``create`` is False.
        PlainDatabase: an unencrypted database from an earlier version: encrypt it first.
        WrongPassphrase: the passphrase does not unlock it; no file was changed.
        NotADatabase: the file is not ours (or its key file is missing).
        SchemaTooNew: a newer app wrote it; it is left untouched.
        DatabaseUnavailable: permissions, locking or disk problems.
    """
    path = Path(path).absolute()
    if key is None and passphrase is None:
        raise ValueError("open_database needs the key or the passphrase")
    existed = path.exists()
    is_new = _check_file(path, create, allow_empty_file)
    # What is under the name now: a restore by another process after this point makes
    # this database's writes refuse (see ``Database.write``). Taken again below for a new
    # file, which only exists once its schema is written.
    opened = exclusion.identity(path)
    if is_new:
        if passphrase is None:
            raise ValueError("a new database needs a passphrase for its key file")
        keys.set_aside(path)
        key = keys.create_key_file(path, passphrase, key=key)
    elif key is None:
        assert passphrase is not None
        key = keys.unlock(path, passphrase)  # a wrong passphrase changes no file
    with exclusion.if_idle(path) as idle:
        if idle:  # nobody is making a partial file now: those there are stale
            remove_leftovers(path)
    definitions: list[InstrumentDefinitionRow] = []
    definition_problems: list[str] = []
    revision, foreign_tables = (
        (None, False) if is_new else _peek(path, key, definitions, definition_problems)
    )
    if revision is None and foreign_tables:
        raise NotADatabase(
            f"{path} is an SQLite file but not an Alliance Desktop database "
            "(it has other tables and no schema version). Choose another file."
        )
    needs_migration = revision is not None and revision != HEAD_REVISION and migrate
    if needs_migration and revision not in known_revisions():
        raise SchemaTooNew(
            f"{path} was written by a newer version of Alliance Desktop "
            f"(schema '{revision}'); this version knows up to '{HEAD_REVISION}'. "
            "Install the newer version to open it. The file has not been changed."
        )
    if revision is None and not is_new:
        # A file that already held something is never given a new, empty schema over it
        # (a zero-byte file beside a journal holding the data, say): that would be a loss.
        raise NotADatabase(
            f"{path} holds no Alliance Desktop tables although it is not a new file; it may "
            "be damaged. It was left exactly as it was. Restore it from a backup, or run "
            "'alliance-desktop check' for what can be done."
        )
    if needs_migration:  # read-only checks first: a damaged file is never migrated
        problems = _quick_check_read_only(path, key)
        if problems:
            raise sqlite_errors.DatabaseDamaged(damage_message(path, problems))
    try:
        if revision is None:
            _create_schema(path, key)
            opened = exclusion.identity(path)
        elif needs_migration:
            _migrate(path, key, revision)
    except DatabaseError as exc:
        raise _translate(path, exc) from exc
    except BaseException:
        if is_new and not existed:
            # Don't leave a half-initialised file behind for the next start to trip on.
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), keys.keys_path(path)):
                leftover.unlink(missing_ok=True)
        raise
    keyring = Keyring(key)
    db = Database(path, make_engine(path, keyring), keyring, opened)
    db.passphrase = passphrase
    # Its own instruments join the registry (one practice database is open at a time),
    # from the rows the first look read: no connection of the engine is opened for it.
    _install_own_instruments(path, definitions, definition_problems, install_instruments)
    return db


def _install_own_instruments(
    path: Path, rows: list[InstrumentDefinitionRow], problems: list[str], install: bool
) -> None:
    """Put the rows read by ``_peek`` in the registry (when asked); log what was left out."""
    if install:
        problems = [*problems, *instrument_store.install(rows)]
    for problem in problems:
        log.warning("%s: %s", path.name, problem)


def encrypt_database(path: Path, passphrase: str) -> DatabaseKey:
    """Encrypt the plain database at ``path`` in place (see ``cipher.encrypt_in_place``).

    Copies that earlier versions kept beside it (``<name>.*.bak`` before a migration or a
    restore) are plain too; each is encrypted first, under the same key with its own key
    file, so a kill between the two never leaves a plain copy behind an encrypted database.
    A damaged plain copy (``*.damaged``) cannot be re-encrypted; it is named in the log and
    the returned warning list is reported by the callers.
    """
    path = Path(path).absolute()
    if not cipher.is_plain_sqlite(path):
        raise StorageError(f"{path} is not a plain SQLite database; nothing to encrypt.")
    keys.check_new_passphrase(passphrase)
    key = DatabaseKey.generate()
    for kept in plain_copies(path):
        try:
            cipher.encrypt_in_place(kept, passphrase, key=key)
        except StorageError as exc:  # a damaged old copy: say so, keep going
            log.warning("kept copy %s not encrypted: %s", kept, exc)
    keys.set_aside(path)
    with exclusion.replacing(path):
        return cipher.encrypt_in_place(path, passphrase, key=key)


def plain_copies(path: Path) -> list[Path]:
    """Readable (plain SQLite) copies beside ``path`` that earlier versions kept."""
    found = [*path.parent.glob(f"{path.name}.*.bak"), *path.parent.glob(f"{path.name}.*.damaged")]
    return sorted(p for p in found if p.is_file() and cipher.is_plain_sqlite(p))


def share_key_file(path: Path, key: DatabaseKey) -> list[Path]:
    """Give every kept copy encrypted under the same key the database's current key file,
    so a changed passphrase or a new recovery sheet also stops the old ones opening them."""
    updated = []
    for copy in sorted(path.parent.glob(f"{path.name}.*{keys.KEYS_SUFFIX}")):
        copy_db = copy.with_name(copy.name.removesuffix(keys.KEYS_SUFFIX))
        if not copy_db.is_file() or copy_db == path:
            continue
        try:
            conn = cipher.connect(copy_db, key)
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                conn.close()
        except cipher.DatabaseError:
            continue  # another key (or damaged): not ours to touch
        keys.copy_key_file(path, copy_db)
        updated.append(copy)
    return updated


def _quick_check_read_only(path: Path, key: DatabaseKey) -> list[str]:
    """``PRAGMA quick_check`` on a read-only connection: the problems, or []."""
    conn = cipher.connect(f"{path.as_uri()}?mode=ro", key, uri=True)
    try:
        found = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
    except (cipher.DatabaseError, MemoryError) as exc:  # SQLCipher: "out of memory" on damage
        said = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [f"pages that cannot be read ({said})"]
    finally:
        conn.close()
    return [] if found == ["ok"] else found


def _peek(
    path: Path,
    key: DatabaseKey,
    definitions: list[InstrumentDefinitionRow] | None = None,
    problems: list[str] | None = None,
) -> tuple[str | None, bool]:
    """Read the schema revision without changing the file (no pragmas, read-only).

    Returns the revision (None when there is none) and whether tables other than ours
    exist without a revision, which marks somebody else's database. The practice's own
    instrument definitions are read on the way into ``definitions`` (a failure to read
    them goes into ``problems``: they are left out, the database still opens).
    """
    try:
        conn = cipher.connect(f"{path.as_uri()}?mode=ro", key, uri=True)
    except cipher.DatabaseError as exc:
        raise DatabaseUnavailable(f"Cannot open {path}: {exc}.") from exc
    try:
        tables = {
            str(row[0])
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = str(row[0]) if row else None
        if definitions is not None and "instrument_definitions" in tables:
            try:
                definitions.extend(
                    instrument_store.rows_from_sql(conn.execute(instrument_store.SELECT_ROWS))
                )
            except (cipher.DatabaseError, MemoryError, ValueError, TypeError) as exc:
                if problems is not None:
                    problems.append(f"the instrument definitions could not be read ({exc})")
    except cipher.DatabaseError as exc:
        message = str(exc)
        if "unable to open" in message and not os.access(path.parent, os.W_OK):
            raise DatabaseUnavailable(
                f"{path} is on a read-only drive or folder, and the database must write "
                "beside itself even to be read. Copy it to a writable folder first."
            ) from exc
        if "not a database" in message:
            raise NotADatabase(
                f"{path} cannot be decrypted with the key in {keys.keys_path(path).name}: "
                "either that key file belongs to another database, or the database is "
                "damaged. Restore it from a backup."
            ) from None
        if "malformed" in message:
            raise NotADatabase(f"{path} is damaged ({message}). Restore it from a backup.") from exc
        raise DatabaseUnavailable(f"Cannot read {path}: {message}.") from exc
    finally:
        conn.close()
    return revision, bool(tables - {"alembic_version"}) and revision is None


def damage_message(path: Path, problems: list[str]) -> str:
    """The one sentence for a database SQLite's check found damaged (no record content:
    the check names pages and tables, never values)."""
    first = problems[0] if problems else "damaged"
    more = f" and {len(problems) - 1:,} more problems" if len(problems) > 1 else ""
    return (
        f"{path} is damaged (SQLite's check found: {first[:200]}{more}). Nothing was "
        "written to it. Restore it from a backup, or salvage what can be read: open it in "
        "the app, or run 'alliance-desktop check' for the choices."
    )


def _first_line(exc: DatabaseError) -> str:
    return (str(exc.orig) if exc.orig is not None else str(exc)).splitlines()[0]


def environment_error(path: Path, exc: BaseException) -> StorageError | None:
    """The user-facing error for a database failure that is the environment's fault.

    Returns None for anything else (a bug), which callers then report as such.
    """
    if isinstance(exc, StorageError):
        return exc
    if not isinstance(exc, DatabaseError) or isinstance(exc, IntegrityError):
        return None
    return sqlite_errors.translate(path, exc)


def _translate(path: Path, exc: DatabaseError) -> StorageError:
    return sqlite_errors.translate(path, exc) or StorageError(
        f"Database error on {path}: {_first_line(exc)}."
    )
