"""The window's side of a database another program holds: it keeps painting, says why it
waits, and then gives the same plain sentence as the command line, never "internal error"."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from alliance_desktop import app
from alliance_desktop.storage import database as database_module
from alliance_desktop.storage import repository
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.dialogs import ClientDialog
from alliance_desktop.ui.main_window import MainWindow
from tests.keyed import TEST_PASSPHRASE
from tests.ui.helpers import handle_modals, read_message

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from tests.keyed import raw_connect
    conn = raw_connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    time.sleep(60)
    """
)


@pytest.fixture
def window_on_held_database(
    qtbot: QtBot, demo_db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    monkeypatch.setattr(database_module, "BUSY_SECONDS", 1.5)  # instead of 10 s
    window = app.build_main_window(demo_db_path, passphrase=TEST_PASSPHRASE)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    wait_for_background_work()
    qtbot.waitUntil(lambda: not window.clients.loading)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(demo_db_path)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    yield window
    holder.kill()
    holder.wait()
    holder.stdout.close()
    wait_for_background_work()
    window.db.close()


def test_a_save_while_another_program_writes_waits_visibly_then_says_so(
    window_on_held_database: MainWindow,
) -> None:
    window = window_on_held_database
    before = repository.count_clients(window.db)
    status: list[str] = []
    window.statusBar().messageChanged.connect(status.append)

    def new_client(dialog: QWidget) -> None:
        assert isinstance(dialog, ClientDialog)
        dialog.code.setText("HELD-1")
        dialog.given_name.setText("Ёлка")
        dialog.findChild(QWidget, "saveClientButton").click()  # type: ignore[union-attr]

    def typed_text_is_still_there_then_cancel(dialog: QWidget) -> None:
        assert isinstance(dialog, ClientDialog)
        kept.append(dialog.given_name.text())
        dialog.reject()

    messages: list[str] = []
    kept: list[str] = []
    seen = handle_modals(
        [new_client, read_message(messages), typed_text_is_still_there_then_cancel]
    )
    window.new_client_action.trigger()

    assert seen == ["ClientDialog", "QMessageBox", "ClientDialog"]
    assert kept == ["Ёлка"]  # the form came back as typed

    assert any("Waiting for another program" in text for text in status), status
    assert len(messages) == 1, messages
    assert "in use by another program" in messages[0]
    assert "went wrong" not in messages[0] and "internal" not in messages[0].lower()
    assert repository.count_clients(window.db) == before
