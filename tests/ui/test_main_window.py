"""The main-window shell, driven as a user would with pytest-qt (offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from alliance_desktop import __version__, app


def read_next_message_box(seen: list[str]) -> None:
    """Schedule reading and accepting the next modal message box (it blocks until closed)."""

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        if box is None:  # not up yet
            QTimer.singleShot(10, read_and_close)
            return
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        box.accept()

    QTimer.singleShot(0, read_and_close)


def test_window_shows_database_and_client_count(
    qtbot: QtBot, demo_db_path: Path, artifacts: Path
) -> None:
    window, db = app.build_main_window(demo_db_path)
    qtbot.addWidget(window)
    try:
        window.show()
        qtbot.waitExposed(window)
        status = window.findChild(QLabel, "databaseStatus")
        assert status is not None
        assert status.text() == (
            f"40 clients · database {demo_db_path} · demo data, not real clients"
        )
        assert "DEMO DATA" in window.windowTitle()
        welcome = window.findChild(QLabel, "welcomeText")
        assert welcome is not None and "agreement on goals" in welcome.text()
        assert "its 40 clients are made up" in welcome.text()
        titles = [a.text() for a in window.menuBar().actions()]
        assert titles == ["&File", "&Edit", "&Client", "&Session", "&Reports", "&Backup", "&Help"]
        window.grab().save(str(artifacts / "main_window_shell.png"))
    finally:
        db.close()


def test_empty_database_explains_how_to_start(qtbot: QtBot, db_path: Path) -> None:
    window, db = app.build_main_window(db_path)
    qtbot.addWidget(window)
    try:
        welcome = window.findChild(QLabel, "welcomeText")
        assert welcome is not None and "alliance-desktop demo" in welcome.text()
        assert db_path.exists()
    finally:
        db.close()


def test_about_box_names_version_and_licence(qtbot: QtBot, db_path: Path) -> None:
    window, db = app.build_main_window(db_path)
    qtbot.addWidget(window)
    seen: list[str] = []
    try:
        read_next_message_box(seen)
        window.about_action.trigger()
    finally:
        db.close()
    assert seen and __version__ in seen[0] and "General Public License" in seen[0]


def test_window_geometry_is_remembered(qtbot: QtBot, db_path: Path, isolated_home: Path) -> None:
    window, db = app.build_main_window(db_path)
    qtbot.addWidget(window)
    window.show()
    window.resize(700, 500)  # within the offscreen platform's 800x600 virtual screen
    window.close()
    db.close()
    assert (isolated_home / "config" / "alliance-desktop.ini").exists()
    again, db2 = app.build_main_window(db_path)
    qtbot.addWidget(again)
    try:
        assert (again.size().width(), again.size().height()) == (700, 500)
    finally:
        db2.close()


def test_quit_has_a_shortcut_and_closes_the_window(qtbot: QtBot, db_path: Path) -> None:
    window, db = app.build_main_window(db_path)
    qtbot.addWidget(window)
    try:
        window.show()
        qtbot.waitExposed(window)
        assert not window.quit_action.shortcut().isEmpty()
        window.quit_action.trigger()
        assert not window.isVisible()
    finally:
        db.close()


def test_empty_qt_return_values_do_not_corrupt_none(qtbot: QtBot) -> None:
    """Regression guard for the PySide6 6.12.0 / Python 3.11 ``none_dealloc`` abort.

    Each call hands an empty value back from Qt; on the broken release the process aborts
    after a few thousand of them (ARCHITECTURE.md). This test makes 10,000 of each.
    """
    model = QStandardItemModel(3, 3)
    index = model.index(1, 1)
    empty = 0
    for _ in range(10_000):
        if model.headerData(7, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) is None:
            empty += 1
        if index.data(Qt.ItemDataRole.DecorationRole) is None:
            empty += 1
    assert empty == 20_000
    assert QStandardPaths is not None and QSettings is not None


def test_unusable_database_gets_a_plain_message(qtbot: QtBot, tmp_path: Path) -> None:
    not_a_db = tmp_path / "letter.db"
    not_a_db.write_text("Dear diary", encoding="utf-8")
    seen: list[str] = []
    read_next_message_box(seen)
    assert app.run_gui(not_a_db) == 2
    assert seen and "is not an Alliance Desktop database" in seen[0]
    assert not_a_db.read_text(encoding="utf-8") == "Dear diary"


def test_uncaught_error_is_logged_and_shown_plainly(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging
    import sys

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    log_file = tmp_path / "app.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    logging.getLogger().addHandler(handler)
    seen: list[str] = []
    try:
        hook = app.install_error_reporting(log_file)
        assert sys.excepthook is hook
        try:
            raise ZeroDivisionError("simulated bug in a slot")
        except ZeroDivisionError as exc:
            read_next_message_box(seen)
            hook(type(exc), exc, exc.__traceback__)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert seen and "internal error (ZeroDivisionError)" in seen[0] and str(log_file) in seen[0]
    text = log_file.read_text("utf-8")
    assert "Traceback" in text and "simulated bug in a slot" in text
