"""Shared fixtures: every test runs with its own data, config and log folders in tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

SCREENS = Path(__file__).resolve().parent / "screens"
# Offscreen Qt pretends to have an 800x800 screen; windows now fit themselves to the screen,
# so the tests get a desktop-sized one (tests/ui/test_screen_fit.py tries small screens).
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={SCREENS / 'desktop.json'}"
# Every database in the tests is encrypted with one passphrase and a cheap key derivation
# (set before any fixture, so the session-wide demo database and CLI child processes get it).
os.environ["ALLIANCE_TEST_FAST_KDF"] = "1"
os.environ["ALLIANCE_PASSPHRASE"] = "correct horse battery"  # tests.keyed.TEST_PASSPHRASE
# Child processes the tests start (``python -c``) import tests.keyed from the checkout.
_ROOT = str(Path(__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_ROOT, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
)

#: The as-of date used for demo data in tests, so generated dates never depend on today.
DEMO_AS_OF = date(2026, 11, 20)
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``paths`` (data, config, logs) at a temporary folder and clear ALLIANCE_DB."""
    home = tmp_path / "home"
    monkeypatch.setenv("ALLIANCE_HOME", str(home))
    monkeypatch.delenv("ALLIANCE_DB", raising=False)
    return home


@pytest.fixture(autouse=True)
def built_in_instruments_only() -> Iterator[None]:
    """Each test starts and ends with the built-in instruments only: opening a database
    puts its own in the process's registry, and they must not leak into the next test."""
    from alliance_desktop.domain.instruments import use_custom_instruments

    use_custom_instruments({})
    yield
    use_custom_instruments({})


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "practice.db"


@pytest.fixture
def new_db(db_path: Path) -> Iterator[object]:
    """A freshly created, empty database."""
    from tests.keyed import open_database

    db = open_database(db_path)
    yield db
    db.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40-client demo database made once per test run; copy it before changing it."""
    from alliance_desktop.services.demo import generate_demo
    from tests.keyed import open_database

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = open_database(path)
    try:
        generate_demo(db, 40, seed=7, as_of=DEMO_AS_OF)
        db.checkpoint()
    finally:
        db.close()
    return path


@pytest.fixture
def demo_db_path(demo_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database (with its key file)."""
    from tests.keyed import copy_database

    return copy_database(demo_template, tmp_path / "demo.db")


@pytest.fixture
def artifacts() -> Path:
    """Folder for screenshots and files a person should look at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
