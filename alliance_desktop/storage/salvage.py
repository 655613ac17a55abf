"""Salvage: copy every row that can still be read from a damaged database into a new one.

When a practice database is damaged (SQLite's check fails, or reading some pages raises
"database disk image is malformed", "file is not a database" or an SQLCipher HMAC failure)
and no good backup is at hand, ``salvage`` reads what it still can and writes it into a NEW
encrypted database with the current schema, under the same key, and says per table how
many rows were recovered, how many could not be read and how many were left out because
the row they belong to was lost.

The damaged file is only ever read: it is opened read-only (``mode=ro``; ``immutable`` when
it has no write-ahead log to read), and no pragma that writes is run on it, so its bytes
stay exactly as they were for a later, better attempt. The new database is built under a
temporary name beside the target and renamed only once it is whole and checked, so a
failure or a kill never leaves a half-salvaged file under the target's name.

Reading a table: one streaming scan in rowid order; where it breaks, the rowid of the next
row is sought without reading its columns. If that works, the damage is in that one row
(text that is not UTF-8, a damaged overflow page): it is counted and skipped. If it does
not, a whole page is unreadable, and the rowids after it are probed one by one until a row
reads again, where the scan resumes (after ``MAX_MISSES`` misses in a row it gallops ahead
to where the table reads again, so a damaged interior page costs a few dozen reads, not
millions). How many rows the damage swallowed is taken from an index of the table when one
is still readable (indexes hold every rowid), else reported as unknown. No row content ever
appears in a message, an exception or a log line.

Rows are copied by column name. A file at an older schema revision is salvaged into a new
file at that same revision, which the app's own migration then brings up to date (a column
added since, such as a client's ``code_key``, is filled in the way it is for a live file).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from alliance_desktop.storage import cipher, database, exclusion, keys, sqlite_errors
from alliance_desktop.storage.database import HEAD_REVISION, known_revisions, open_database
from alliance_desktop.storage.errors import SchemaTooNew, StorageError
from alliance_desktop.storage.files import fsync_dir
from alliance_desktop.storage.keys import DatabaseKey
from alliance_desktop.storage.models import Base

log = logging.getLogger(__name__)

#: The temporary name's ending: ``.<target name>.salvage.partial`` (and its key file).
PARTIAL_SUFFIX = ".salvage.partial"
#: After this many rowids in a row that hold nothing readable, probing one by one stops.
MAX_MISSES = 10_000
_BATCH = 2000  # rows written per statement batch: memory stays flat on a large caseload
_MIN_ROWID = -(2**63)
_MAX_ROWID = 2**63 - 1
# The schema's own bookkeeping: the target has its own (the head revision).
_NOT_COPIED = ("alembic_version",)


class SalvageRefused(StorageError):
    """Salvage was not started (the target exists, the source is missing…); nothing changed."""


class SalvageFailed(StorageError):
    """Nothing could be salvaged (the file cannot be read at all), or writing the new file
    failed; the damaged file is unchanged and no new file was left behind."""


@dataclass(frozen=True)
class TableSalvage:
    """What became of one table's rows.

    ``recovered``: rows now in the new database. ``unreadable``: rows that could not be
    read (None: some could not be read, and how many is unknown). ``dropped``: rows that
    were read but left out because they no longer fit (most often: the row they belong to,
    a session's client say, could not be read).
    """

    table: str
    recovered: int
    unreadable: int | None
    dropped: int

    @property
    def complete(self) -> bool:
        return self.unreadable == 0 and self.dropped == 0

    def line(self) -> str:
        parts = [f"{self.table}: {self.recovered:,} recovered"]
        if self.unreadable is None:
            parts.append("an unknown number could not be read")
        elif self.unreadable:
            parts.append(f"{self.unreadable:,} could not be read")
        if self.dropped:
            parts.append(
                f"{self.dropped:,} left out because they belong to records that were lost "
                "(or no longer fit with the rest)"
            )
        sentence = ", ".join(parts)
        if self.table == "audit_log" and not self.complete:
            sentence += "; the audit log's chain now shows a gap where entries were lost"
        return sentence


@dataclass(frozen=True)
class SalvageReport:
    """The new database and what was salvaged into it, table by table."""

    target: Path
    tables: list[TableSalvage]
    #: Tables of the damaged database this version has no place for (a newer app's).
    not_copied: list[str]

    @property
    def complete(self) -> bool:
        """Whether every row was salvaged (nothing unreadable, dropped or left behind)."""
        return not self.not_copied and all(t.complete for t in self.tables)

    def lines(self) -> list[str]:
        """One plain sentence per table (counts only, never content)."""
        lines = [t.line() for t in self.tables]
        lines.extend(
            f"{name}: not copied (this version has no such table)" for name in self.not_copied
        )
        return lines


@dataclass
class _Tally:
    """What reading one table found, besides the rows themselves."""

    read: int = 0
    #: Rows known to exist that could not be read (bad text, a damaged overflow page).
    lost_known: int = 0
    #: Whether some rowids could not be checked at all (a damaged page): the loss is unknown.
    doubtful: bool = False


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_damage(source: Path, exc: BaseException) -> bool:
    """Whether a read failed because of damage (skip it) rather than e.g. a busy file."""
    if isinstance(exc, sqlite_errors.UnreadableText | UnicodeDecodeError):
        return True
    if not isinstance(exc, cipher.DatabaseError):
        return False
    problem = sqlite_errors.translate(source, exc)
    return isinstance(problem, sqlite_errors.DatabaseDamaged | sqlite_errors.DriveFailed)


def _first_line(exc: BaseException) -> str:
    # SQLite's messages name pages and tables, never values; a decoding error names a byte.
    if isinstance(exc, UnicodeDecodeError):
        return "a text that is not UTF-8"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_READ_ERRORS = (cipher.DatabaseError, sqlite_errors.UnreadableText, UnicodeDecodeError)


class _Source:
    """The read-only connection to the damaged database, opened afresh after each failure.

    After one page fails its HMAC check, SQLCipher refuses every page the connection has
    not read yet (as "out of memory"), so a read that failed is retried on a new one.
    """

    def __init__(self, path: Path, key: DatabaseKey) -> None:
        self.path = path
        self._key = key
        wal = Path(f"{path}-wal")
        # Without a write-ahead log to read, ``immutable`` keeps SQLite from even creating
        # the -wal and -shm files; a log that exists must be read (it holds saved changes),
        # and ``mode=ro`` reads it without writing to it.
        has_log = wal.exists() and wal.stat().st_size > 0
        self._uri = f"{path.as_uri()}?{'mode=ro' if has_log else 'mode=ro&immutable=1'}"
        self.conn = self._connect()

    def _connect(self) -> Any:
        conn = cipher.connect(self._uri, self._key, uri=True)
        conn.isolation_level = None
        return conn

    def execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> Any:
        return self.conn.execute(sql, parameters)

    def damaged(self, exc: BaseException) -> None:
        """After a failed read: raise it unless it is damage; else start afresh."""
        if not _is_damage(self.path, exc):
            problem = sqlite_errors.translate(self.path, exc)
            if problem is None:
                raise exc  # a bug: as it is
            raise problem from None
        self.close()
        self.conn = self._connect()

    def close(self) -> None:
        with contextlib.suppress(cipher.DatabaseError):
            self.conn.close()


class _TableReader:
    """Reads one table of the damaged database, skipping what cannot be read."""

    def __init__(self, source: _Source, table: str, columns: list[str]) -> None:
        self.source = source
        self.table = table
        self.tally = _Tally()
        names = ", ".join(_quote(c) for c in columns)
        quoted = _quote(table)
        self._scan = f"SELECT rowid, {names} FROM {quoted} WHERE rowid >= ? ORDER BY rowid"
        self._probe = f"SELECT rowid, {names} FROM {quoted} WHERE rowid = ?"
        # Rowids only: reads the table's pages but not a row's overflow pages or its text.
        self._next_rowid = f"SELECT rowid FROM {quoted} WHERE rowid >= ? ORDER BY rowid LIMIT 1"
        self._max_rowid = f"SELECT max(rowid) FROM {quoted}"

    def _damage(self, exc: BaseException) -> None:
        self.source.damaged(exc)

    def batches(self) -> Iterator[list[tuple[Any, ...]]]:
        """The readable rows (without their rowid), in batches, in rowid order."""
        start: int | None = _MIN_ROWID
        batch: list[tuple[Any, ...]] = []
        while start is not None:
            try:
                # One row at a time (not fetchmany), so a failure names the last good row.
                for row in self.source.execute(self._scan, (start,)):
                    batch.append(tuple(row[1:]))
                    self.tally.read += 1
                    start = int(row[0]) + 1 if row[0] < _MAX_ROWID else None
                    if len(batch) >= _BATCH:
                        yield batch
                        batch = []
                    if start is None:
                        break
                else:
                    start = None  # the scan reached the end
            except _READ_ERRORS as exc:
                self._damage(exc)
                assert start is not None
                start, found = self._past_damage(start)
                if found is not None:
                    batch.append(found)
        if batch:
            yield batch

    def _past_damage(self, start: int) -> tuple[int | None, tuple[Any, ...] | None]:
        """Where to resume after reading the row at or after ``start`` failed, and a row
        found on the way (None when there is none)."""
        try:
            row = self.source.execute(self._next_rowid, (start,)).fetchone()
        except _READ_ERRORS as exc:
            self._damage(exc)
            return self._probe_from(start)
        if row is None:
            return None, None  # nothing after it after all
        rowid = int(row[0])
        try:
            whole = self.source.execute(self._probe, (rowid,)).fetchone()
        except _READ_ERRORS as exc:
            self._damage(exc)
            whole = None
        if whole is not None:  # it reads after all (the scan broke on the way to it)
            self.tally.read += 1
            return (rowid + 1 if rowid < _MAX_ROWID else None), tuple(whole[1:])
        # The page holding the row reads, so the damage is in the row itself.
        self.tally.lost_known += 1
        log.info("salvage: %s row %d cannot be read", self.table, rowid)
        return (rowid + 1 if rowid < _MAX_ROWID else None), None

    def _probe_from(self, start: int) -> tuple[int | None, tuple[Any, ...] | None]:
        """Probe rowids one by one from ``start`` until one reads (the scan resumes after
        it), past the largest rowid, or after ``MAX_MISSES`` misses in a row."""
        self.tally.doubtful = True
        if start == _MIN_ROWID:
            # The very first page is unreadable: SQLite numbers rows from 1 (and the app
            # never gives a row another number), so probing starts there.
            start = 1
        last = self._largest_rowid()
        misses = 0
        rowid = start
        while misses < MAX_MISSES and (last is None or rowid <= last):
            try:
                row = self.source.execute(self._probe, (rowid,)).fetchone()
            except _READ_ERRORS as exc:
                self._damage(exc)
                row = None
            if row is not None:
                self.tally.read += 1
                return (rowid + 1 if rowid < _MAX_ROWID else None), tuple(row[1:])
            misses += 1
            if rowid == _MAX_ROWID:
                return None, None
            rowid += 1
        if last is not None and rowid > last:
            return None, None
        log.info("salvage: %s unreadable from rowid %d on", self.table, start)
        return self._jump(rowid, last), None

    def _readable_from(self, rowid: int) -> bool:
        """Whether the table's pages can be read from ``rowid`` on (rowids only)."""
        try:
            self.source.execute(self._next_rowid, (rowid,)).fetchone()
        except _READ_ERRORS as exc:
            self._damage(exc)
            return False
        return True

    def _jump(self, rowid: int, last: int | None) -> int | None:
        """After ``MAX_MISSES`` unreadable rowids up to ``rowid``: the first rowid from
        which the table reads again, or None. Galloping, then halving back, keeps this to
        a few dozen reads however large the damaged stretch (a damaged interior page hides
        every row below it); a readable stretch inside the jump is counted as lost."""
        low, step, high = rowid - 1, MAX_MISSES, rowid
        while not self._readable_from(high):
            low = high
            if (last is not None and high >= last) or high > _MAX_ROWID - step:
                return None
            high += step
            step *= 2
        while high - low > 1:  # the first readable rowid after the last unreadable one
            middle = (low + high) // 2
            if self._readable_from(middle):
                high = middle
            else:
                low = middle
        return high

    def _largest_rowid(self) -> int | None:
        try:
            row = self.source.execute(self._max_rowid).fetchone()
        except _READ_ERRORS as exc:
            self._damage(exc)
            return None
        return None if row is None or row[0] is None else int(row[0])

    def expected_rows(self) -> int | None:
        """How many rows the table holds, counted from an index (they survive damage to
        the table's own pages), or None when no count can be read."""
        quoted = _quote(self.table)
        queries = [f"SELECT count(*) FROM {quoted}"]  # SQLite counts the smallest index
        try:
            indexes = self.source.execute(f"PRAGMA index_list({quoted})").fetchall()
        except _READ_ERRORS as exc:
            self._damage(exc)
            indexes = []
        # (seq, name, unique, origin, partial): a partial index does not hold every row.
        queries += [
            f"SELECT count(*) FROM {quoted} INDEXED BY {_quote(str(index[1]))}"
            for index in indexes
            if not index[4]
        ]
        for query in queries:
            try:
                return int(self.source.execute(query).fetchone()[0])
            except _READ_ERRORS as exc:
                if isinstance(exc, cipher.OperationalError) and "no query solution" in str(exc):
                    continue
                self._damage(exc)
        return None

    def unreadable(self) -> int | None:
        tally = self.tally
        if not tally.doubtful and not tally.lost_known:
            return 0
        expected = self.expected_rows()
        if expected is not None and expected >= tally.read:
            return expected - tally.read
        return None if tally.doubtful else tally.lost_known


def _write_rows(conn: Any, insert: str, rows: list[tuple[Any, ...]]) -> int:
    """Insert ``rows``; return how many were refused by the schema's rules (a duplicate, a
    value outside a CHECK), each left out rather than failing the whole table."""
    conn.execute("SAVEPOINT rows")
    try:
        conn.executemany(insert, rows)
    except cipher.sqlcipher.IntegrityError:
        conn.execute("ROLLBACK TO rows")
        refused = 0
        for row in rows:
            try:
                conn.execute(insert, row)
            except cipher.sqlcipher.IntegrityError:
                refused += 1
        conn.execute("RELEASE rows")
        return refused
    conn.execute("RELEASE rows")
    return 0


def _columns(conn: Any, table: str) -> list[str]:
    return [str(row[1]) for row in conn.execute(f"PRAGMA table_info({_quote(table)})")]


def _source_tables(conn: _Source) -> tuple[set[str], str | None]:
    """The damaged database's tables and its schema revision (None when unreadable)."""
    try:
        tables = {
            str(row[0])
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND substr(name, 1, 7) != 'sqlite_'"
            )
        }
    except _READ_ERRORS as exc:
        raise SalvageFailed(
            f"Nothing in {conn.path} can be read ({_first_line(exc)}): its first pages are "
            "damaged, or the key does not belong to it. It was left exactly as it was; "
            "restore it from a backup."
        ) from None
    revision = None
    if "alembic_version" in tables:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = str(row[0]) if row else None
        except _READ_ERRORS as exc:
            conn.damaged(exc)
    return tables, revision


def _partial_files(partial: Path) -> list[Path]:
    return [
        partial,
        Path(f"{partial}-wal"),
        Path(f"{partial}-shm"),
        Path(f"{partial}-journal"),
        keys.keys_path(partial),
        exclusion.lock_path(partial),
    ]


def _remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def salvage(source: Path, key: DatabaseKey, target: Path, passphrase: str) -> SalvageReport:
    """Copy every readable row of the damaged database ``source`` into a new database
    ``target`` (current schema, encrypted under ``key``, its key file unlocked by
    ``passphrase``) and report, per table, what was recovered and what was lost.

    ``source`` and the files beside it are never written. ``target`` must not exist.

    Raises:
        SalvageRefused: ``target`` exists, ``source`` does not, or another salvage into
            ``target`` is under way; nothing was changed.
        SalvageFailed: Nothing can be read from ``source``, or the new file failed its
            check; no new file was left.
        SchemaTooNew: ``source`` was written by a newer version.
        StorageError: Writing the new file failed (disk full, folder not writable…); no
            new file was left.
    """
    source = Path(source).absolute()
    target = Path(target).absolute()
    if not source.is_file():
        raise SalvageRefused(f"There is no database file at {source}; nothing was salvaged.")
    if target.exists():
        raise SalvageRefused(
            f"{target} already exists; salvage writes only into a new file. Choose another "
            "name (nothing was changed)."
        )
    if not target.parent.is_dir():
        raise SalvageRefused(f"The folder {target.parent} does not exist; nothing was salvaged.")
    partial = target.with_name(f".{target.name}{PARTIAL_SUFFIX}")
    try:
        # Held for the whole salvage: a second salvage into the same target must not
        # remove this one's partial files as stale, nor race it to the name.
        with exclusion.replacing(target, wait=0.0):
            _remove(_partial_files(partial))  # left by a salvage that was killed
            try:
                report = _salvage_into(source, key, partial, passphrase, target)
                _publish(partial, target)
            except BaseException:
                _remove(_partial_files(partial))
                raise
            _remove([exclusion.lock_path(partial)])
            return report
    except exclusion.ReplacementBusy:
        raise SalvageRefused(
            f"Another salvage into {target.name} is under way; wait for it to finish."
        ) from None


def _salvage_into(
    source: Path, key: DatabaseKey, partial: Path, passphrase: str, target: Path
) -> SalvageReport:
    """Build the salvaged database at ``partial``; return the report naming ``target``."""
    try:
        conn = _Source(source, key)
    except cipher.DatabaseError as exc:
        raise SalvageFailed(f"{source} cannot be opened ({_first_line(exc)}).") from None
    try:
        tables, revision = _source_tables(conn)
        older = revision is not None and revision != HEAD_REVISION
        if older and revision not in known_revisions():
            raise SchemaTooNew(
                f"{source} was written by a newer version of Alliance Desktop (schema "
                f"'{revision}'); salvage it with that version. Nothing was changed."
            )
        # An older file's rows go into its own schema (every column has its place there),
        # which the app's migration then brings up to date, as it would the file itself.
        _create(partial, key, passphrase, revision if older else None)
        with _writing(partial, key, target) as out:
            found = _copy_tables(conn, out, tables)
            dropped = _drop_orphans(out)
    finally:
        conn.close()
    if older:
        try:
            database._upgrade(partial, key)
        except SQLAlchemyError as exc:
            raise (
                database.environment_error(partial, exc)
                or SalvageFailed(f"Updating the salvaged {target.name} failed ({exc}).")
            ) from None
    with _writing(partial, key, target) as out:
        _check(out)
        results = [
            TableSalvage(
                name,
                int(out.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0]),
                unreadable,
                refused + dropped.get(name, 0),
            )
            for name, (unreadable, refused) in found.items()
        ]
    ours = {t.name for t in Base.metadata.sorted_tables}
    not_copied = sorted(tables - ours - set(_NOT_COPIED))
    report = SalvageReport(target, results, not_copied)
    for line in report.lines():
        log.info("salvage of %s: %s", source.name, line)  # counts only
    return report


def _create(partial: Path, key: DatabaseKey, passphrase: str, revision: str | None) -> None:
    """The new, empty database with its key file, owner-only: at the current schema, or at
    ``revision`` (an older one)."""
    if revision is None:
        open_database(partial, key=key, passphrase=passphrase, install_instruments=False).close()
        return
    from alembic import command

    keys.create_key_file(partial, passphrase, key=key)
    engine = database._migration_engine(partial, key)
    try:
        with engine.connect() as conn, conn.execution_options(sqlite_begin="IMMEDIATE").begin():
            command.upgrade(database.alembic_config(conn), revision)
    finally:
        engine.dispose()
    partial.chmod(0o600)


@contextlib.contextmanager
def _writing(partial: Path, key: DatabaseKey, target: Path) -> Iterator[Any]:
    """A raw connection to the new database: foreign keys off (a child may be read before
    its lost parent is known to be lost), no -wal to carry over the rename."""
    out = cipher.connect(partial, key)
    try:
        out.isolation_level = None
        out.execute("PRAGMA foreign_keys = OFF")
        out.execute("PRAGMA journal_mode = DELETE")
        out.execute("PRAGMA secure_delete = ON")  # as the app: dropped rows leave no trace
        yield out
    except cipher.DatabaseError as exc:
        problem = sqlite_errors.translate(partial, exc)
        raise (
            problem or SalvageFailed(f"Writing {target.name} failed ({_first_line(exc)}).")
        ) from None
    finally:
        out.close()


def _copy_tables(conn: _Source, out: Any, tables: set[str]) -> dict[str, tuple[int | None, int]]:
    """Copy each table, parents first, one transaction per table; per table, how many rows
    could not be read (None: unknown) and how many the new schema refused."""
    found: dict[str, tuple[int | None, int]] = {}
    for table in Base.metadata.sorted_tables:
        name = table.name
        wanted = _columns(out, name)
        shared = [c for c in _columns(conn, name) if c in wanted] if name in tables else []
        if not shared:
            found[name] = (0, 0)  # not in the damaged file's schema: nothing to read
            continue
        reader = _TableReader(conn, name, shared)
        names = ", ".join(_quote(c) for c in shared)
        insert = f"INSERT INTO {_quote(name)} ({names}) VALUES ({', '.join('?' * len(shared))})"
        refused = 0
        out.execute("BEGIN")
        try:
            for batch in reader.batches():
                refused += _write_rows(out, insert, batch)
            out.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(cipher.DatabaseError):
                out.execute("ROLLBACK")
            raise
        found[name] = (reader.unreadable(), refused)
    return found


def _drop_orphans(out: Any) -> dict[str, int]:
    """Delete rows whose parent row was not recovered (until none is left: a dropped
    session's measurements go next); return how many per table."""
    dropped: dict[str, int] = {}
    out.execute("BEGIN")
    try:
        # Each round deletes at least one row, so this ends (every table has rowids).
        while violations := out.execute("PRAGMA foreign_key_check").fetchall():
            orphans = {(str(row[0]), int(row[1])) for row in violations if row[1] is not None}
            if not orphans:
                break  # left for _check to refuse
            for table, rowid in orphans:
                out.execute(f"DELETE FROM {_quote(table)} WHERE rowid = ?", (rowid,))
                dropped[table] = dropped.get(table, 0) + 1
        out.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(cipher.DatabaseError):
            out.execute("ROLLBACK")
        raise
    return dropped


def _check(out: Any) -> None:
    integrity = [str(row[0]) for row in out.execute("PRAGMA integrity_check")]
    if integrity != ["ok"] or out.execute("PRAGMA foreign_key_check").fetchall():
        raise SalvageFailed(
            f"The salvaged copy did not pass SQLite's check ({integrity[0][:200]}), so it was "
            "not kept. The damaged file is unchanged."
        )


def _publish(partial: Path, target: Path) -> None:
    """Give the finished database (and its key file) the target's name."""
    with partial.open("rb+") as handle:
        os.fsync(handle.fileno())
    if target.exists():  # appeared while salvaging: never replaced
        raise SalvageRefused(f"{target} appeared while salvaging; it was left as it was.")
    keys.set_aside(target)  # a key file without its database: kept under another name
    os.replace(keys.keys_path(partial), keys.keys_path(target))
    os.replace(partial, target)
    fsync_dir(target.parent)
