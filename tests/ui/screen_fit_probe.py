"""Run in a child process on a small virtual screen: does every window fit?

Started by ``test_screen_fit.py`` with ``QT_QPA_PLATFORM=offscreen:configfile=…`` (a 1280x720
screen, or 2560x1440 at 200 %). Opens the main window on a small demo caseload, then each
dialog in turn (without running it modally), and prints one JSON line per window: its
geometry, the screen's available area, and the rectangles of the buttons that must be
reachable (Save, Close, Undo, OK, Cancel, the status bar).
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import date
from pathlib import Path

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QStatusBar, QWidget

from alliance_desktop import app
from alliance_desktop.services.demo import generate_demo
from tests.keyed import TEST_PASSPHRASE, open_database

BUTTON_WORDS = ("save", "close", "undo", "ok", "cancel", "back up", "restore", "print")


def _global(widget: QWidget) -> list[int]:
    top_left = widget.mapToGlobal(widget.rect().topLeft())
    return [top_left.x(), top_left.y(), widget.width(), widget.height()]


def _describe(name: str, window: QWidget) -> dict[str, object]:
    QApplication.processEvents()
    area: QRect = window.screen().availableGeometry()
    buttons = [
        {"text": b.text(), "rect": _global(b)}
        for b in window.findChildren(QAbstractButton)
        if b.isVisibleTo(window)
        and b.window() is window
        and any(word in b.text().replace("&", "").lower() for word in BUTTON_WORDS)
    ]
    bars = [_global(bar) for bar in window.findChildren(QStatusBar) if bar.isVisible()]
    return {
        "name": name,
        "window": [window.x(), window.y(), window.width(), window.height()],
        "area": [area.x(), area.y(), area.width(), area.height()],
        "buttons": buttons,
        "status_bars": bars,
    }


def main() -> None:
    qt_app = QApplication.instance() or QApplication(sys.argv)
    folder = Path(tempfile.mkdtemp())
    path = folder / "demo.db"
    db = open_database(path)
    generate_demo(db, 6, as_of=date(2026, 11, 20))
    db.close()
    window = app.build_main_window(path, passphrase=TEST_PASSPHRASE)
    window.show()
    from alliance_desktop.ui.background import wait_for_background_work

    wait_for_background_work()
    for _ in range(20):
        qt_app.processEvents()
    print(json.dumps(_describe("main window", window)))
    client_id = window.client_list.model.row_at(0).client_id
    window.clients.reveal_client(client_id)
    window.detail.tabs.setCurrentWidget(window.detail.sessions_tab)
    for _ in range(20):
        qt_app.processEvents()
    # How far each table would scroll sideways (0: every column shows in full).
    print(
        json.dumps(
            {
                "name": "tables",
                "client_list": window.client_list.table.horizontalScrollBar().maximum(),
                "sessions": window.detail.sessions_table.horizontalScrollBar().maximum(),
            }
        )
    )

    from alliance_desktop.services import settings as settings_service
    from alliance_desktop.ui.backup_dialogs import BackupDialog, RestoreDialog
    from alliance_desktop.ui.dialogs import ClientDialog
    from alliance_desktop.ui.preferences import PreferencesDialog
    from alliance_desktop.ui.report_dialog import ReportDialog

    record = window.detail.record
    assert record is not None
    dialogs: list[tuple[str, QDialog]] = [
        ("client form", ClientDialog(window, initial=record.fields)),
        (
            "preferences",
            PreferencesDialog(
                window,
                settings_service.load_practice(window.db),
                settings_service.load_alert_settings(window.db),
                settings_service.load_backup_settings(window.db),
            ),
        ),
        (
            "progress summary",
            ReportDialog(window, window.db, record.fields.code, record.fields.intake_date),
        ),
        ("back up", BackupDialog(window, [], None, app_passphrase=TEST_PASSPHRASE)),
        ("restore", RestoreDialog(window, None)),
    ]
    for name, dialog in dialogs:
        dialog.show()
        print(json.dumps(_describe(name, dialog)))
        dialog.close()
    editor = window.sessions.new_session(client_id)
    assert editor is not None
    print(json.dumps(_describe("session editor", editor)))
    editor.discard_and_close()
    window.close()
    window.db.close()


if __name__ == "__main__":
    main()
