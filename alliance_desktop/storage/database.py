"""Opening a practice database: engine, pragmas, schema checks and migration on open.

This is the one place (with backup) allowed SQLite-specific code. Opening an up-to-date
database never imports Alembic (it costs ~0.35 s of start-up); Alembic is loaded only to
create a new database or migrate an old one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from alliance_desktop.storage.errors import (
    DatabaseNotFound,
    DatabaseUnavailable,
    NotADatabase,
    SchemaTooNew,
)
from alliance_desktop.storage.files import fsync_dir

log = logging.getLogger(__name__)

#: The newest schema revision this version writes. A test keeps it equal to Alembic's head.
HEAD_REVISION = "0001_initial"
SQLITE_HEADER = b"SQLite format 3\x00"
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


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.execute("PRAGMA journal_mode = WAL")
        # FULL: a committed session survives a power cut, not only a crash.
        cursor.execute("PRAGMA synchronous = FULL")
    finally:
        cursor.close()


class Database:
    """An open practice database: an engine plus a factory of ORM sessions."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._session_factory = sessionmaker(engine, expire_on_commit=False)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """An ORM session committed on success and rolled back on any error."""
        with self._session_factory() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """An ORM session for reading only; nothing is committed."""
        with self._session_factory() as session:
            yield session

    def health(self) -> HealthReport:
        """Run SQLite's integrity and foreign-key checks."""
        with self.engine.connect() as conn:
            integrity = [str(row[0]) for row in conn.exec_driver_sql("PRAGMA integrity_check")]
            violations = [
                f"table {row[0]} row {row[1]} points to a missing row in {row[2]}"
                for row in conn.exec_driver_sql("PRAGMA foreign_key_check")
            ]
            revision = _read_revision(conn)
        return HealthReport(integrity, violations, revision)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the main file (before copying or closing)."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.engine.dispose()


def _read_revision(conn: Any) -> str | None:
    try:
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except OperationalError:
        return None
    return str(row[0]) if row else None


def make_engine(path: Path) -> Engine:
    """An engine on ``path`` with foreign keys on, WAL and synchronous FULL on every connection."""
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def _check_file(path: Path, create: bool) -> bool:
    """Validate the target; return True when a new database will be created."""
    if path.is_dir():
        raise NotADatabase(f"{path} is a folder, not a database file. Name a file instead.")
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
    if header and header != SQLITE_HEADER:
        raise NotADatabase(
            f"{path} is not an Alliance Desktop database (it is not an SQLite file). "
            "Choose the right file with --db."
        )
    return not header


def copy_aside(path: Path, label: str) -> Path:
    """Copy a live database next to itself with SQLite's backup API (WAL-safe) and return it.

    The copy is written under a temporary name, synced, then renamed, so a crash never
    leaves a half-written copy under the final name.
    """
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.{label}-{stamp}.bak")
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(path)
    try:
        destination = sqlite3.connect(partial)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    with partial.open("rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    fsync_dir(target.parent)
    return target


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


def _upgrade(engine: Engine) -> None:
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")


def open_database(path: Path, *, create: bool = True, migrate: bool = True) -> Database:
    """Open (and if needed create or migrate) the database at ``path``.

    With ``migrate=False`` an older schema is opened as it is (for read-only checks).

    Raises:
        DatabaseNotFound: no file and ``create`` is False.
        NotADatabase: the file is not ours.
        SchemaTooNew: a newer app wrote it; it is left untouched.
        DatabaseUnavailable: permissions, locking or disk problems.
    """
    path = Path(path).absolute()
    is_new = _check_file(path, create)
    revision, foreign_tables = (None, False) if is_new else _peek(path)
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
    engine = make_engine(path)
    try:
        if revision is None:
            log.info("creating schema in %s", path)
            _upgrade(engine)
        elif needs_migration:
            kept = copy_aside(path, f"before-migration-{revision}")
            log.info("migrating %s from %s; copy kept at %s", path, revision, kept)
            _upgrade(engine)
    except DatabaseError as exc:
        engine.dispose()
        raise _translate(path, exc) from exc
    except BaseException:
        engine.dispose()
        if is_new:
            # Don't leave an empty, half-initialised file behind for the next start to trip on.
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        raise
    return Database(path, engine)


def _peek(path: Path) -> tuple[str | None, bool]:
    """Read the schema revision without changing the file (no pragmas, read-only).

    Returns the revision (None when there is none) and whether tables other than ours
    exist without a revision, which marks somebody else's database.
    """
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
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
    except sqlite3.DatabaseError as exc:
        message = str(exc)
        if "not a database" in message or "malformed" in message:
            raise NotADatabase(
                f"{path} is damaged or not a database ({message}). Restore it from a backup."
            ) from exc
        raise DatabaseUnavailable(f"Cannot read {path}: {message}.") from exc
    finally:
        conn.close()
    return revision, bool(tables - {"alembic_version"}) and revision is None


def _translate(path: Path, exc: DatabaseError) -> Exception:
    message = str(exc.orig) if exc.orig is not None else str(exc)
    lowered = message.lower()
    if "not a database" in lowered or "malformed" in lowered:
        return NotADatabase(
            f"{path} is damaged or not a database ({message}). Restore it from a backup."
        )
    if "readonly" in lowered or "read-only" in lowered:
        return DatabaseUnavailable(
            f"{path} is read-only. Copy it somewhere writable or fix its permissions."
        )
    if "locked" in lowered or "busy" in lowered:
        return DatabaseUnavailable(f"{path} is in use by another program. Close it and try again.")
    if "full" in lowered:
        return DatabaseUnavailable(f"The disk holding {path} is full. Free some space.")
    return DatabaseUnavailable(f"Cannot open {path}: {message}.")
