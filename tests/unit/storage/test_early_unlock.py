"""The unlock's key derivation started early on a thread (``keys.begin_unlock``).

It is only an optimisation: whatever happens between starting it and the real unlock, the
result must be exactly what an unlock without it gives, and every failure must be the one
the ordinary unlock reports.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from alliance_desktop.storage import keys

PASSPHRASE = "correct horse battery staple"
OTHER = "a different passphrase entirely"


@pytest.fixture(autouse=True)
def _no_leftover_derivations() -> None:
    yield
    keys._EARLY.clear()


def _database_with_key_file(tmp_path: Path) -> tuple[Path, keys.DatabaseKey]:
    database = tmp_path / "practice.db"
    return database, keys.create_key_file(database, PASSPHRASE)


def test_the_early_derivation_gives_the_same_key_and_is_used_once(tmp_path: Path) -> None:
    database, key = _database_with_key_file(tmp_path)

    keys.begin_unlock(database, PASSPHRASE)
    assert len(keys._EARLY) == 1

    assert keys.unlock(database, PASSPHRASE) == key
    assert keys._EARLY == {}  # taken, not kept with the passphrase in it
    assert keys.unlock(database, PASSPHRASE) == key  # and the ordinary path still works


def test_a_wrong_passphrase_started_early_is_refused_as_usual(tmp_path: Path) -> None:
    database, _key = _database_with_key_file(tmp_path)

    keys.begin_unlock(database, OTHER)

    with pytest.raises(keys.WrongPassphrase, match=r"does not unlock practice\.db"):
        keys.unlock(database, OTHER)


def test_an_early_derivation_for_another_passphrase_is_not_used_nor_kept(
    tmp_path: Path,
) -> None:
    database, key = _database_with_key_file(tmp_path)

    keys.begin_unlock(database, OTHER)

    assert keys.unlock(database, PASSPHRASE) == key
    assert keys._EARLY == {}  # the unused one is dropped with its passphrase
    with pytest.raises(keys.WrongPassphrase):
        keys.unlock(database, OTHER)


def test_a_new_key_file_drops_an_early_derivation(tmp_path: Path) -> None:
    database, _key = _database_with_key_file(tmp_path)
    keys.begin_unlock(database, PASSPHRASE)

    keys.create_key_file(tmp_path / "other.db", PASSPHRASE)

    assert keys._EARLY == {}


def test_without_a_thread_to_start_the_unlock_derives_as_usual(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database, key = _database_with_key_file(tmp_path)

    def no_thread(self: object) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(keys._EarlyDerivation, "start", no_thread)
    keys.begin_unlock(database, PASSPHRASE)

    assert keys._EARLY == {}
    assert keys.unlock(database, PASSPHRASE) == key


def test_a_passphrase_changed_after_the_start_unlocks_with_the_new_one_only(
    tmp_path: Path,
) -> None:
    database, key = _database_with_key_file(tmp_path)
    keys.begin_unlock(database, PASSPHRASE)

    keys.change_passphrase(database, key, OTHER)  # a new salt: the early result is stale

    with pytest.raises(keys.WrongPassphrase):
        keys.unlock(database, PASSPHRASE)
    assert keys.unlock(database, OTHER) == key


@pytest.mark.parametrize("key_file", ["missing", "damaged"])
def test_without_a_usable_key_file_nothing_starts_and_the_unlock_says_why(
    tmp_path: Path, key_file: str
) -> None:
    database = tmp_path / "practice.db"
    if key_file == "damaged":
        keys.keys_path(database).write_text("{not json", encoding="utf-8")

    keys.begin_unlock(database, PASSPHRASE)

    assert keys._EARLY == {}
    with pytest.raises(keys.KeyFileProblem):
        keys.unlock(database, PASSPHRASE)


def test_a_command_run_with_the_passphrase_in_the_environment_starts_it_early(
    tmp_path: Path,
) -> None:
    """The CLI starts the derivation before loading the database code (checked in a fresh
    interpreter: the derivation is under way while SQLAlchemy is not yet imported)."""
    database, _key = _database_with_key_file(tmp_path)
    probe = f"""
import os, sys
os.environ["ALLIANCE_PASSPHRASE"] = {PASSPHRASE!r}
from alliance_desktop import cli
seen = {{}}
def clients(args):
    from alliance_desktop.storage import keys
    seen["started"] = len(keys._EARLY) == 1
    seen["orm"] = "sqlalchemy" in sys.modules
    return 0
cli._COMMANDS["clients"] = clients
cli.main(["--db", {str(database)!r}, "clients"])
print(seen["started"], seen["orm"])
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["True", "False"]
