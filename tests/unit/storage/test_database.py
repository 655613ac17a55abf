"""Opening, creating, refusing and checking practice databases on real SQLite files."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from alliance_desktop.storage import database, keys
from alliance_desktop.storage.database import (
    HEAD_REVISION,
)
from alliance_desktop.storage.errors import (
    DatabaseNotFound,
    DatabaseUnavailable,
    MigrationFailed,
    NotADatabase,
    SchemaTooNew,
)
from tests.keyed import copy_aside, encrypted_copy, listing, open_database, raw_connect

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_database_has_schema_and_pragmas(db_path: Path) -> None:
    db = open_database(db_path)
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        report = db.health()
    finally:
        db.close()
    assert report.healthy
    assert report.schema_revision == HEAD_REVISION


def test_head_revision_constant_matches_alembic_head() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(database.alembic_config())
    assert scripts.get_heads() == [HEAD_REVISION]


def test_schema_of_migrations_matches_models(db_path: Path) -> None:
    """Alembic's autogenerate finds nothing to add: the revision and the models agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from alliance_desktop.storage.models import Base

    db = open_database(db_path)
    try:
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        db.close()
    assert diff == []


def test_missing_file_is_not_created_when_create_is_false(db_path: Path) -> None:
    with pytest.raises(DatabaseNotFound, match="alliance-desktop init"):
        open_database(db_path, create=False)
    assert not db_path.exists()


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        open_database(tmp_path / "nowhere" / "p.db")


def test_folder_instead_of_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotADatabase, match="is a folder"):
        open_database(tmp_path)


def test_text_file_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("Dear diary, this is not a database.\n", encoding="utf-8")
    before = digest(path)
    with pytest.raises(NotADatabase, match="not an Alliance Desktop database"):
        open_database(path)
    assert digest(path) == before


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:  # somebody else's plain database: never encrypted
        conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.close()
    before = digest(path)
    with pytest.raises(NotADatabase, match="not an Alliance Desktop database"):
        open_database(path)
    assert digest(path) == before


def test_newer_schema_is_refused_and_untouched(db_path: Path) -> None:
    open_database(db_path).close()
    with raw_connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    conn.close()
    before = digest(db_path)
    with pytest.raises(SchemaTooNew, match="newer version") as excinfo:
        open_database(db_path)
    assert "0099_from_the_future" in str(excinfo.value)
    assert "has not been changed" in str(excinfo.value)
    assert digest(db_path) == before
    assert not list(db_path.parent.glob("*.bak"))


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("schema_*.db")), ids=lambda p: p.name)
def test_every_past_schema_opens_and_migrates(fixture: Path, tmp_path: Path) -> None:
    """One small database per past schema version is kept in tests/fixtures."""
    path = encrypted_copy(fixture, tmp_path / fixture.name)
    with raw_connect(path) as conn:
        clients_before = conn.execute("SELECT count(*) FROM clients").fetchone()[0]
        fixture_revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    conn.close()
    db = open_database(path)
    try:
        report = db.health()
        from alliance_desktop.storage import repository

        assert repository.count_clients(db) == clients_before > 0
    finally:
        db.close()
    assert report.healthy
    assert report.schema_revision == HEAD_REVISION
    copies = list(tmp_path.glob(f"{fixture.name}.before-migration-*.bak"))
    # A copy is kept exactly when a migration ran.
    assert len(copies) == (0 if fixture_revision == HEAD_REVISION else 1)


def test_fixture_exists_for_head_schema() -> None:
    assert (FIXTURES / f"schema_{HEAD_REVISION}.db").is_file()


def test_copy_aside_includes_uncheckpointed_wal_content(db_path: Path) -> None:
    """A copy made while the WAL still holds a commit contains that commit (unlike cp)."""
    db = open_database(db_path)
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
            conn.exec_driver_sql("INSERT INTO settings (key, value) VALUES ('canary', '1')")
            conn.commit()
            assert Path(f"{db_path}-wal").stat().st_size > 0
            copy = copy_aside(db_path, "test")
    finally:
        db.close()
    assert copy.name.startswith("practice.db.test-") and copy.suffix == ".bak"
    with raw_connect(copy) as conn:
        assert conn.execute("SELECT value FROM settings WHERE key = 'canary'").fetchone()
    conn.close()
    assert not list(db_path.parent.glob("*.partial"))


def test_new_database_is_removed_when_creation_fails(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_upgrade(_path: object, _key: object) -> None:
        raise RuntimeError("simulated failure while creating the schema")

    monkeypatch.setattr(database, "_upgrade", broken_upgrade)
    with pytest.raises(RuntimeError):
        open_database(db_path)
    assert not db_path.exists()
    assert not keys.keys_path(db_path).exists()


def _install_test_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upgrade_body: str
) -> None:
    """Copy the migrations and add a test-only revision after head; make it the head."""
    migrations = tmp_path / "migrations"
    shutil.copytree(database._MIGRATIONS_DIR, migrations)
    (migrations / "versions" / "9999_test_only.py").write_text(
        '"""Test-only revision."""\n'
        "import sqlalchemy as sa\n"
        "from alembic import op\n\n"
        'revision = "9999_test_only"\n'
        f"down_revision = {HEAD_REVISION!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade() -> None:\n" + upgrade_body + "\n\n"
        "def downgrade() -> None:\n"
        "    pass\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(database, "_MIGRATIONS_DIR", migrations)
    monkeypatch.setattr(database, "HEAD_REVISION", "9999_test_only")


def _counts(path: Path) -> dict[str, int]:
    with raw_connect(path) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    conn.close()
    return counts


def test_migration_rebuilding_a_parent_table_keeps_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real Alembic upgrade from the head fixture to a test-only newer revision.

    The revision rebuilds ``clients`` (batch mode, as SQLite needs for most changes). With
    foreign keys on, dropping the old table would cascade-delete every session, goal and
    measurement; the migration engine must prevent that. A copy is kept beside the file.
    """
    _install_test_revision(
        tmp_path,
        monkeypatch,
        '    with op.batch_alter_table("clients", recreate="always") as batch:\n'
        '        batch.add_column(sa.Column("pronouns", sa.String(40), nullable=True))\n',
    )
    path = encrypted_copy(FIXTURES / f"schema_{HEAD_REVISION}.db", tmp_path / "old.db")
    before = _counts(path)
    assert before["sessions"] > 0 and before["measurements"] > 0

    db = open_database(path)
    try:
        report = db.health()
        with db.engine.connect() as conn:
            columns = [row[1] for row in conn.exec_driver_sql("PRAGMA table_info(clients)")]
    finally:
        db.close()
    assert report.healthy and report.schema_revision == "9999_test_only"
    assert "pronouns" in columns
    after = _counts(path)
    assert {t: n for t, n in after.items() if t != "alembic_version"} == {
        t: n for t, n in before.items() if t != "alembic_version"
    }
    (kept,) = tmp_path.glob(f"old.db.before-migration-{HEAD_REVISION}-*.bak")
    assert _counts(kept) == before
    with raw_connect(kept) as conn:  # the copy holds the database as it was
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == (
            HEAD_REVISION
        )
        assert "pronouns" not in [row[1] for row in conn.execute("PRAGMA table_info(clients)")]
    conn.close()


def test_failed_migration_rolls_back_completely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DDL that ran before the failure is undone too, so the next open is not locked out."""
    _install_test_revision(
        tmp_path,
        monkeypatch,
        '    op.add_column("clients", sa.Column("pronouns", sa.String(40)))\n'
        '    raise RuntimeError("simulated failure half-way through a migration")\n',
    )
    path = encrypted_copy(FIXTURES / f"schema_{HEAD_REVISION}.db", tmp_path / "old.db")
    before = _counts(path)
    with pytest.raises(MigrationFailed) as excinfo:
        open_database(path)
    message = str(excinfo.value)
    assert "was left as it was" in message and ".bak" in message
    assert "simulated failure" in message
    with raw_connect(path) as conn:
        assert "pronouns" not in [row[1] for row in conn.execute("PRAGMA table_info(clients)")]
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == (
            HEAD_REVISION
        )
    conn.close()
    assert _counts(path) == before
    monkeypatch.undo()  # this version of the app opens the file as before
    open_database(path).close()


def test_empty_file_is_refused_unless_initialising(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(NotADatabase, match=r"is empty \(0 bytes\)"):
        open_database(path)
    assert path.stat().st_size == 0
    open_database(path, allow_empty_file=True).close()
    assert _counts(path)["clients"] == 0


@pytest.mark.parametrize("name", ["q?x.db", "p%20c.db", "Zoë's practice #1.db"])
def test_unusual_file_names_are_used_as_given(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    open_database(path).close()
    assert path.is_file()
    assert listing(tmp_path) == sorted([name, name + ".keys"])


def test_new_database_is_private_to_its_owner(db_path: Path) -> None:
    open_database(db_path).close()
    assert db_path.stat().st_mode & 0o077 == 0


def test_only_the_newest_copies_before_restore_are_kept(tmp_path: Path) -> None:
    """Copies kept before restores no longer pile up (25 after the kill test): the newest
    few stay, with their key files; copies kept for other reasons are left alone."""
    import os

    from alliance_desktop.storage.database import prune_copies

    database = tmp_path / "practice.db"
    made = []
    for n in range(5):
        copy = tmp_path / f"practice.db.before-restore-2026120{n}T100000.bak"
        copy.write_bytes(b"encrypted copy")
        (tmp_path / f"{copy.name}.keys").write_text("{}")
        os.utime(copy, (1_700_000_000 + n, 1_700_000_000 + n))
        made.append(copy)
    migration = tmp_path / "practice.db.before-migration-0004_audit_log-20260101T000000.bak"
    migration.write_bytes(b"encrypted copy")
    removed = prune_copies(database, "before-restore", 3)
    assert removed == made[:2]
    assert sorted(tmp_path.glob("practice.db.before-restore-*.bak")) == made[2:]
    assert not (tmp_path / f"{made[0].name}.keys").exists()
    assert (tmp_path / f"{made[4].name}.keys").exists() and migration.exists()


def test_a_pipe_named_as_the_database_is_refused_without_being_opened(tmp_path: Path) -> None:
    pipe = tmp_path / "practice.db"
    os.mkfifo(pipe)
    # Opening a pipe for reading would block for ever: the refusal must come from its type.
    with pytest.raises(NotADatabase, match="not an ordinary file"):
        open_database(pipe)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)
