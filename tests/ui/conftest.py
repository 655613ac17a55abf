"""Fixtures for the GUI tests: a main window on a private copy of the demo caseload."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from alliance_desktop import app
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.main_window import MainWindow
from tests.keyed import TEST_PASSPHRASE


@contextlib.contextmanager
def shown_window(qtbot: QtBot, path: Path) -> Iterator[MainWindow]:
    """A main window on ``path``, shown with its client list loaded; closed afterwards with
    its editors discarded and the database closed."""
    main = app.build_main_window(path, passphrase=TEST_PASSPHRASE)
    main.resize(1280, 900)
    main.show()
    qtbot.waitExposed(main)
    wait_for_background_work()
    qtbot.waitUntil(lambda: not main.clients.loading)
    try:
        yield main
    finally:
        for editor in list(main.editors):
            editor.discard_and_close()
        main.close()
        main.deleteLater()
        wait_for_background_work()
        main.db.close()


@pytest.fixture
def demo_window(qtbot: QtBot, demo_db_path: Path) -> Iterator[MainWindow]:
    with shown_window(qtbot, demo_db_path) as main:
        yield main
