"""A session being typed when the app is killed is offered back, whole, at the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QPlainTextEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from alliance_desktop import app
from alliance_desktop.services import drafts
from alliance_desktop.storage import repository
from alliance_desktop.ui.background import wait_for_background_work
from tests.keyed import TEST_PASSPHRASE, open_database
from tests.ui.helpers import handle_modals
from tests.ui.test_session_editor import make_client

TYPED = "She said the homework felt like a test. Zoë · Ёлка · عائشة 🌱"

# The child opens the real window, starts a session, types, waits for the autosave and
# then reports; the test kills it with SIGKILL (no clean-up, no atexit), like a crash.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit
    from PySide6.QtTest import QTest
    from alliance_desktop import app
    from alliance_desktop.services import drafts
    from alliance_desktop.storage import repository
    from tests.keyed import TEST_PASSPHRASE

    qt = QApplication([])
    window = app.build_main_window(Path(sys.argv[1]), passphrase=TEST_PASSPHRASE)
    window.show()
    client_id = repository.list_client_rows(window.db)[0].client_id
    window.client_list.select_client(client_id)
    editor = window.sessions.new_session(client_id)
    for box_id, box in editor.instrument_boxes.items():
        box.setChecked(box_id == "SRS")
    for number, value in enumerate(("9", "8", "8.5", "9"), start=1):
        edit = editor.findChild(QLineEdit, f"measure_SRS_{number}")
        edit.setFocus()
        QTest.keyClicks(edit, value)
    notes = editor.findChild(QPlainTextEdit, "notes")
    notes.setFocus()
    notes.insertPlainText(sys.argv[2])
    deadline = time.monotonic() + 10
    while not drafts.unsaved_drafts(window.db) and time.monotonic() < deadline:
        qt.processEvents()
        time.sleep(0.02)
    print("DRAFT KEPT" if drafts.unsaved_drafts(window.db) else "NO DRAFT", flush=True)
    while True:
        qt.processEvents()
        time.sleep(0.05)
    """
)


def test_a_killed_editor_leaves_a_draft_that_the_next_start_restores(
    qtbot: QtBot, db_path: Path
) -> None:
    make_client(db_path)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONIOENCODING": "utf-8"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db_path), TYPED],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        assert line == "DRAFT KEPT", child.stderr.read() if child.stderr else line
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        if child.stdout:
            child.stdout.close()
        if child.stderr:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    db = open_database(db_path)
    try:
        assert db.health().healthy
        (left,) = drafts.unsaved_drafts(db)
        assert left.form.notes == TYPED
    finally:
        db.close()

    offered: list[str] = []

    def restore(box: QWidget) -> None:
        assert isinstance(box, QMessageBox) and box.objectName() == "restoreDraftBox"
        offered.append(box.text())
        (button,) = [b for b in box.buttons() if b.text() == "Restore"]
        button.click()

    handle_modals([restore])
    window = app.build_main_window(db_path, passphrase=TEST_PASSPHRASE)
    window.show()
    try:
        qtbot.waitUntil(lambda: bool(window.editors), timeout=5000)
        assert "stopped while a new session for C-0042 was being typed" in offered[0]
        (editor,) = window.editors
        notes = editor.findChild(QPlainTextEdit, "notes")
        assert notes is not None and notes.toPlainText() == TYPED
        assert editor.current_form().items["SRS"] == ["9", "8", "8.5", "9"]
        assert editor.is_dirty()
        save = editor.findChild(QPushButton, "saveSessionButton")
        assert save is not None
        save.click()
        assert window.editors == []
        client = repository.load_client_tree(
            window.db, repository.list_client_rows(window.db)[0].client_id
        )
        assert client is not None
        latest = client.sessions[-1]
        assert latest.notes == TYPED
        assert latest.measurements[0].item_values == [9, 8, 8.5, 9]
        assert drafts.unsaved_drafts(window.db) == []
    finally:
        for editor in list(window.editors):
            editor.discard_and_close()
        window.close()
        window.deleteLater()
        wait_for_background_work()
        window.db.close()
