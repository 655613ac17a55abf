"""The main window driven as a therapist would, then checked in the database."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from alliance_desktop import __version__, app
from alliance_desktop.domain.alerts import AlertKind
from alliance_desktop.domain.instruments import CutoffComparison
from alliance_desktop.domain.vocabulary import ClientStatus, GoalStatus
from alliance_desktop.services import settings as settings_service
from alliance_desktop.storage import repository
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.controllers.clients import PAGE_CLIENT, PAGE_FIRST_RUN
from alliance_desktop.ui.dialogs import ClientDialog, DateDialog, GoalDialog
from alliance_desktop.ui.main_window import MainWindow
from alliance_desktop.ui.preferences import PreferencesDialog
from tests.keyed import TEST_PASSPHRASE
from tests.ui.helpers import handle_modals, read_message


def wait_loaded(qtbot: QtBot, window: MainWindow) -> None:
    """Wait until the client list has been (re)loaded in the background and shown."""
    wait_for_background_work()
    qtbot.waitUntil(lambda: not window.clients.loading)


@pytest.fixture
def open_window(qtbot: QtBot) -> Iterator[object]:
    windows: list[MainWindow] = []

    def opener(path: Path) -> MainWindow:
        window = app.build_main_window(path, passphrase=TEST_PASSPHRASE)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        wait_loaded(qtbot, window)
        windows.append(window)
        return window

    yield opener
    wait_for_background_work()
    for window in windows:
        window.db.close()


def fill_client(code: str, given: str, family: str = "", *, born: str = "") -> object:
    def handler(dialog: QWidget) -> None:
        assert isinstance(dialog, ClientDialog)
        dialog.code.setText(code)
        dialog.given_name.setText(given)
        dialog.family_name.setText(family)
        dialog.date_of_birth.setText(born)
        dialog.findChild(QPushButton, "saveClientButton").click()

    return handler


def test_first_run_then_add_the_first_client(
    qtbot: QtBot, open_window: object, db_path: Path, artifacts: Path
) -> None:
    window = open_window(db_path)  # type: ignore[operator]
    assert window.stack.currentIndex() == PAGE_FIRST_RUN
    welcome = window.findChild(QLabel, "welcomeText")
    assert "agreement on goals" in welcome.text() and "emotional bond" in welcome.text()
    window.grab().save(str(artifacts / "first_run.png"))

    def practice(dialog: QWidget) -> None:  # the practice details come first on a new database
        dialog.practice_name.setText("Łukasz & Zoë Counselling")  # type: ignore[attr-defined]
        dialog.accept()  # type: ignore[attr-defined]

    handle_modals([practice])
    window.findChild(QPushButton, "practiceDetailsButton").click()
    from alliance_desktop.services.settings import load_practice

    assert load_practice(window.db).practice_name == "Łukasz & Zoë Counselling"

    seen = handle_modals(
        [
            fill_client("C-0001", "Zoë", "Łukasiewicz", born="2999-01-01"),  # future: refused
            fill_client("C-0001", "Zoë", "Łukasiewicz", born="1990-05-17"),
        ]
    )
    window.findChild(QPushButton, "addFirstClientButton").click()
    assert seen == ["ClientDialog", "ClientDialog"]
    wait_loaded(qtbot, window)
    (row,) = repository.list_client_rows(window.db)
    assert (row.code, row.given_name, row.family_name) == ("C-0001", "Zoë", "Łukasiewicz")
    assert repository.get_client_fields(window.db, row.client_id).date_of_birth == date(1990, 5, 17)
    assert window.stack.currentIndex() == PAGE_CLIENT
    assert window.client_list.selected_client_id() == row.client_id


def test_invalid_input_is_shown_beside_the_field_and_nothing_saved(
    qtbot: QtBot, open_window: object, demo_db_path: Path
) -> None:
    window = open_window(demo_db_path)  # type: ignore[operator]
    before = repository.count_clients(window.db)
    existing = repository.list_client_rows(window.db)[0].code
    messages: dict[str, str] = {}

    def duplicate(dialog: QWidget) -> None:
        assert isinstance(dialog, ClientDialog)
        dialog.code.setText(existing)
        dialog.given_name.setText("")
        dialog.discharge.setText("31/12/2026")
        dialog.findChild(QPushButton, "saveClientButton").click()

    def look_then_cancel(dialog: QWidget) -> None:
        assert isinstance(dialog, ClientDialog)
        messages["discharge"] = dialog.errors.message("discharge_date")
        dialog.discharge.clear()
        dialog.findChild(QPushButton, "saveClientButton").click()

    def look_again_then_cancel(dialog: QWidget) -> None:
        assert isinstance(dialog, ClientDialog)
        messages["code"] = dialog.errors.message("code")
        messages["given"] = dialog.errors.message("given_name")
        dialog.reject()

    handle_modals([duplicate, look_then_cancel, look_again_then_cancel])
    window.new_client_action.trigger()
    assert "not a date" in messages["discharge"]
    assert "already has the code" in messages["code"]
    assert "first name" in messages["given"]
    assert repository.count_clients(window.db) == before


def test_find_is_accent_and_case_insensitive(
    qtbot: QtBot, open_window: object, db_path: Path
) -> None:
    window = open_window(db_path)  # type: ignore[operator]
    for code, given, family in (
        ("C-1", "Zoë", "Łukasiewicz"),
        ("C-2", "Omar", "Bakr"),
        ("C-3", "Ёлка", "Петрова"),
    ):
        handle_modals([fill_client(code, given, family)])
        window.new_client_action.trigger()
        wait_loaded(qtbot, window)
    window.activateWindow()
    qtbot.waitActive(window)
    window.find_action.trigger()
    qtbot.waitUntil(window.client_list.filter_edit.hasFocus)
    for typed, expected in (
        ("zoe", "Zoë Łukasiewicz"),
        ("LUKAS", "Zoë Łukasiewicz"),
        ("ёлка", "Ёлка Петрова"),
        ("c-2", "Omar Bakr"),
    ):
        window.client_list.filter_edit.clear()
        if typed.isascii():
            qtbot.keyClicks(window.client_list.filter_edit, typed)
        else:  # QTest cannot synthesise key presses outside Latin-1; type as an input method
            window.client_list.filter_edit.insert(typed)
        proxy = window.client_list.proxy
        assert [proxy.index(r, 1).data() for r in range(proxy.rowCount())] == [expected]


def test_edit_discharge_and_status_filter(
    qtbot: QtBot, open_window: object, demo_db_path: Path
) -> None:
    window = open_window(demo_db_path)  # type: ignore[operator]
    row = next(r for r in repository.list_client_rows(window.db) if r.status is ClientStatus.ACTIVE)
    assert window.client_list.select_client(row.client_id)

    def rename(dialog: QWidget) -> None:
        assert isinstance(dialog, ClientDialog)
        assert dialog.code.text() == row.code
        dialog.given_name.setText("Łukasz")
        dialog.findChild(QPushButton, "saveClientButton").click()

    handle_modals([rename])
    window.edit_client_action.trigger()
    wait_loaded(qtbot, window)
    assert repository.get_client_fields(window.db, row.client_id).given_name == "Łukasz"
    assert "Łukasz" in window.detail.header.text()

    offered: list[date] = []

    def discharge_today(dialog: QWidget) -> None:
        assert isinstance(dialog, DateDialog)
        offered.append(dialog.value())  # today, as the window offers it
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    handle_modals([discharge_today])
    window.discharge_action.trigger()
    wait_loaded(qtbot, window)
    fields = repository.get_client_fields(window.db, row.client_id)
    assert fields.status is ClientStatus.DISCHARGED and fields.discharge_date == offered[0]
    # The active list no longer shows them; "Discharged" does.
    proxy = window.client_list.proxy
    window.client_list.set_status(ClientStatus.ACTIVE)
    codes = {proxy.index(r, 0).data() for r in range(proxy.rowCount())}
    assert row.code not in codes
    window.client_list.set_status(ClientStatus.DISCHARGED)
    codes = {proxy.index(r, 0).data() for r in range(proxy.rowCount())}
    assert row.code in codes


def test_delete_names_the_client_and_defaults_to_cancel(
    qtbot: QtBot, open_window: object, demo_db_path: Path
) -> None:
    window = open_window(demo_db_path)  # type: ignore[operator]
    row = repository.list_client_rows(window.db, ClientStatus.ACTIVE)[0]
    window.client_list.select_client(row.client_id)
    texts: list[str] = []

    def press_enter(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        texts.append(box.text() + " " + box.informativeText())
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
        box.defaultButton().click()

    handle_modals([press_enter])
    window.delete_action.trigger()
    assert row.code in texts[0] and row.given_name in texts[0]
    assert "cannot be undone" in texts[0]
    assert repository.client_id_for_code(window.db, row.code) == row.client_id

    def confirm(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        delete = next(b for b in box.buttons() if b.text() == "Delete permanently")
        delete.click()

    handle_modals([confirm])
    window.delete_action.trigger()
    # The record is left at once, before the list reloads, so nothing acts on a ghost.
    assert window.detail.record is None and window.stack.currentIndex() != PAGE_CLIENT
    wait_loaded(qtbot, window)
    assert window.statusBar().currentMessage() == f"Deleted {row.code} {row.display_name}."
    assert repository.client_id_for_code(window.db, row.code) is None
    assert window.db.health().healthy


GOAL_DAY = date(2026, 11, 20)


def test_goals_add_edit_close_and_the_three_goal_limit(
    qtbot: QtBot, open_window: object, db_path: Path
) -> None:
    window = open_window(db_path)  # type: ignore[operator]
    window.clients.today = lambda: GOAL_DAY  # intake, agreed and closed on a fixed day
    handle_modals([fill_client("C-7", "Noa")])
    window.new_client_action.trigger()
    wait_loaded(qtbot, window)
    client_id = repository.client_id_for_code(window.db, "C-7")
    assert client_id is not None

    def goal(text: str) -> object:
        def handler(dialog: QWidget) -> None:
            assert isinstance(dialog, GoalDialog)
            dialog.description.setPlainText(text)
            dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()

        return handler

    errors: list[str] = []

    def read_error_and_cancel(dialog: QWidget) -> None:
        assert isinstance(dialog, GoalDialog)
        errors.append(dialog.error.text())
        dialog.reject()

    for text in ("Sleep through the night", "Go back to work", "See a friend each week"):
        handle_modals([goal(text)])
        window.new_goal_action.trigger()
    handle_modals([goal("A fourth goal"), read_error_and_cancel])
    window.new_goal_action.trigger()
    assert "already has 3 active goals" in errors[0]
    assert len(repository.list_goals(window.db, client_id)) == 3

    window.detail.tabs.setCurrentWidget(window.detail.goals_tab)
    window.detail.select_goal_row(0)
    window.detail.goal_status_buttons[GoalStatus.ACHIEVED].click()
    goals = repository.list_goals(window.db, client_id)
    assert goals[0].status is GoalStatus.ACHIEVED and goals[0].closed_on == GOAL_DAY
    window.detail.select_goal_row(1)
    handle_modals([goal("Go back to work three days a week")])
    window.detail.edit_goal_button.click()
    assert repository.list_goals(window.db, client_id)[1].description == (
        "Go back to work three days a week"
    )
    assert window.detail.goals_table.item(1, 0).text() == "Go back to work three days a week"


def test_preferences_are_saved_in_the_database(
    qtbot: QtBot, open_window: object, db_path: Path
) -> None:
    window = open_window(db_path)  # type: ignore[operator]

    def fill(dialog: QWidget) -> None:
        assert isinstance(dialog, PreferencesDialog)
        dialog.practice_name.setText("Riverside Therapy")
        dialog.clinician.setText("Dr Ada Nwosu")
        dialog.credentials.setText("DClinPsy")
        dialog.instrument_boxes["CORE-10"].setChecked(True)
        # Every alert threshold and switch is on the Alerts tab, each with its reason.
        fields = dialog.alert_fields
        srs, ors = fields["srs_cutoff_comparison"], fields["ors_cutoff_comparison"]
        assert isinstance(srs, QComboBox) and isinstance(ors, QComboBox)
        srs.setCurrentIndex(1)
        ors.setCurrentIndex(ors.findData("le"))
        drop = fields["srs_drop"]
        assert isinstance(drop, QDoubleSpinBox)
        drop.setValue(2.5)
        dialog.alert_switches[AlertKind.PERFECT_RUN].setChecked(False)
        assert not dialog.alert_switches[AlertKind.RISK].isEnabled()  # never switched off
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()

    handle_modals([fill])
    window.preferences_action.trigger()
    practice = settings_service.load_practice(window.db)
    assert (practice.practice_name, practice.clinician_name, practice.credentials) == (
        "Riverside Therapy",
        "Dr Ada Nwosu",
        "DClinPsy",
    )
    assert "CORE-10" in practice.default_instruments
    alerts = settings_service.load_alert_settings(window.db)
    assert alerts.srs_cutoff_comparison is CutoffComparison.LE
    assert alerts.ors_cutoff_comparison is CutoffComparison.LE
    assert alerts.srs_drop == 2.5 and alerts.disabled == (AlertKind.PERFECT_RUN,)


def test_about_box_names_version_licence_and_where_the_records_are(
    open_window: object, db_path: Path
) -> None:
    window = open_window(db_path)  # type: ignore[operator]
    seen: list[str] = []
    handle_modals([read_message(seen)])
    window.about_action.trigger()
    assert __version__ in seen[0] and "General Public License" in seen[0]
    assert f"Your records: {db_path}" in seen[0]


def test_layout_and_filters_are_remembered(
    qtbot: QtBot, open_window: object, demo_db_path: Path, isolated_home: Path
) -> None:
    window = open_window(demo_db_path)  # type: ignore[operator]
    window.resize(795, 540)  # within the offscreen platform's 800x600 virtual screen
    size = (window.size().width(), window.size().height())
    assert size != (1280, 780)
    window.splitter.setSizes([300, 500])
    sizes = window.splitter.sizes()
    window.client_list.set_status(ClientStatus.DISCHARGED)
    window.detail.tabs.setCurrentIndex(2)
    window.close()
    assert (isolated_home / "config" / "alliance-desktop.ini").exists()
    again = open_window(demo_db_path)  # type: ignore[operator]
    assert (again.size().width(), again.size().height()) == size
    assert again.client_list.status() is ClientStatus.DISCHARGED
    assert again.detail.tabs.currentIndex() == 2
    assert again.splitter.sizes() == sizes


def test_the_last_tab_is_found_by_name_not_position(
    open_window: object, demo_db_path: Path
) -> None:
    """A setting from before the tabs were reordered is ignored; the name is followed."""
    from alliance_desktop.app import gui_settings

    stored = gui_settings()
    stored.setValue("mainWindow/clientTab", 1)  # the old key: a position, now meaningless
    stored.setValue("mainWindow/clientTabName", "goalsTab")
    stored.sync()
    window = open_window(demo_db_path)  # type: ignore[operator]
    assert window.detail.tabs.currentWidget() is window.detail.goals_tab
    assert window.detail.tabs.indexOf(window.detail.goals_tab) != 1


def test_every_action_has_a_shortcut_or_menu_and_controls_have_names(
    open_window: object, db_path: Path
) -> None:
    window = open_window(db_path)  # type: ignore[operator]
    for action in (
        window.new_client_action,
        window.find_action,
        window.quit_action,
        window.preferences_action,
        window.edit_client_action,
    ):
        assert not action.shortcut().isEmpty(), action.text()
    assert window.new_client_action.objectName() == "newClientAction"
    for name in ("clientTable", "clientFilter", "statusFilter", "clientDetail"):
        widget = window.findChild(QWidget, name)
        assert widget is not None and widget.accessibleName(), name


def test_demo_caseload_opens_in_its_own_database(
    qtbot: QtBot, open_window: object, db_path: Path, isolated_home: Path
) -> None:
    window = open_window(db_path)  # type: ignore[operator]
    window.findChild(QPushButton, "openDemoButton").click()
    qtbot.waitUntil(lambda: window.db.path.name == "demo.db", timeout=30_000)
    wait_loaded(qtbot, window)
    assert window.db.path == isolated_home / "data" / "demo.db"
    assert "DEMO DATA" in window.windowTitle()
    assert window.client_list.model.total_count() == 60
    assert "demo data, not real clients" in window.database_status.toolTip()
    assert db_path.exists()  # the real database is untouched and still empty
    from tests.keyed import open_database

    real = open_database(db_path)
    try:
        assert repository.count_clients(real) == 0
    finally:
        real.close()


def test_screenshots_of_the_demo_caseload(
    qtbot: QtBot, open_window: object, demo_db_path: Path, artifacts: Path
) -> None:
    window = open_window(demo_db_path)  # type: ignore[operator]
    window.resize(1280, 780)
    window.grab().save(str(artifacts / "main_window_list.png"))
    rows = repository.list_client_rows(window.db, ClientStatus.ACTIVE)
    alerted = next(r for r in rows if r.summary and r.summary.alert_count)
    window.client_list.select_client(alerted.client_id)
    assert window.stack.currentIndex() == PAGE_CLIENT
    assert window.findChildren(QLabel, "alertText")
    window.grab().save(str(artifacts / "main_window_client.png"))
    window.detail.tabs.setCurrentWidget(window.detail.goals_tab)
    window.grab().save(str(artifacts / "main_window_goals.png"))
    window.detail.tabs.setCurrentWidget(window.detail.sessions_tab)
    window.grab().save(str(artifacts / "main_window_sessions.png"))
    assert window.detail.sessions_table.rowCount() == alerted.summary.sessions_total


def test_unusable_database_gets_a_plain_message(qtbot: QtBot, tmp_path: Path) -> None:
    not_a_db = tmp_path / "letter.db"
    not_a_db.write_text("Dear diary", encoding="utf-8")
    seen: list[str] = []
    handle_modals([read_message(seen)])
    assert app.run_gui(not_a_db) == 2
    assert "is not an Alliance Desktop database" in seen[0]
    assert not_a_db.read_text(encoding="utf-8") == "Dear diary"


def test_uncaught_error_is_logged_and_shown_plainly(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
            handle_modals([read_message(seen)])
            hook(type(exc), exc, exc.__traceback__)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert "internal error (ZeroDivisionError)" in seen[0] and str(log_file) in seen[0]
    text = log_file.read_text("utf-8")
    assert "Traceback" in text and "simulated bug in a slot" in text


def test_empty_qt_return_values_do_not_corrupt_none() -> None:
    """Regression guard for the PySide6 6.12.0 / Python 3.11 ``none_dealloc`` abort."""
    from PySide6.QtGui import QStandardItemModel

    model = QStandardItemModel(3, 3)
    index = model.index(1, 1)
    empty = 0
    for _ in range(10_000):
        empty += model.headerData(7, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) is None
        empty += index.data(Qt.ItemDataRole.DecorationRole) is None
    assert empty == 20_000


def test_keyboard_paths_are_unique_and_tab_leaves_tables(
    open_window: object, demo_db_path: Path
) -> None:
    import re

    from PySide6.QtWidgets import QAbstractButton, QTableView, QTabWidget

    window = open_window(demo_db_path)  # type: ignore[operator]
    window.clients.reveal_client(repository.list_client_rows(window.db)[0].client_id)
    assert window.stack.currentIndex() == PAGE_CLIENT
    tabs_of_client = window.detail.tabs
    for index in range(tabs_of_client.count()):  # each tab shows its own buttons
        tabs_of_client.setCurrentIndex(index)
        letters: list[str] = []
        texts = [a.text() for a in window.menuBar().actions()]
        texts += [b.text() for b in window.findChildren(QAbstractButton) if b.isVisibleTo(window)]
        texts += [lb.text() for lb in window.findChildren(QLabel) if lb.buddy() is not None]
        for tabs in window.findChildren(QTabWidget):
            texts += [tabs.tabText(i) for i in range(tabs.count())]
        for text in texts:
            match = re.search(r"&(.)", text.replace("&&", ""))  # "&&" is a literal "&"
            if match:
                letters.append(match.group(1).lower())
        duplicates = {x for x in letters if letters.count(x) > 1}
        assert not duplicates, (tabs_of_client.tabText(index), duplicates, texts)
    for table in window.findChildren(QTableView):
        assert not table.tabKeyNavigation(), table.objectName()


def test_discharge_keeps_the_therapists_filters(
    qtbot: QtBot, open_window: object, demo_db_path: Path
) -> None:
    window = open_window(demo_db_path)  # type: ignore[operator]
    row = repository.list_client_rows(window.db, ClientStatus.ACTIVE)[0]
    window.client_list.select_client(row.client_id)

    def ok(dialog: QWidget) -> None:
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    handle_modals([ok])
    window.discharge_action.trigger()
    wait_loaded(qtbot, window)
    assert window.client_list.status() is ClientStatus.ACTIVE
    assert window.detail.record is not None and window.detail.record.client_id == row.client_id
    assert "Discharged" in window.detail.header.text()


def test_a_failed_preferences_save_keeps_what_was_typed(
    qtbot: QtBot, open_window: object, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alliance_desktop.services.errors import InvalidInput

    window = open_window(db_path)  # type: ignore[operator]

    def refuse(*_args: object) -> None:
        raise InvalidInput("The disk said no.")

    monkeypatch.setattr(settings_service, "save_preferences", refuse)
    seen: dict[str, str] = {}

    def type_and_save(dialog: QWidget) -> None:
        assert isinstance(dialog, PreferencesDialog)
        dialog.practice_name.setText("Riverside Therapy")
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()

    def look_and_cancel(dialog: QWidget) -> None:
        assert isinstance(dialog, PreferencesDialog)
        seen["error"] = dialog.error.text()
        seen["typed"] = dialog.practice_name.text()
        dialog.reject()

    handle_modals([type_and_save, look_and_cancel])
    window.preferences_action.trigger()
    assert seen == {"error": "⚠ The disk said no.", "typed": "Riverside Therapy"}


def test_back_from_the_demo_to_the_practice_database(
    qtbot: QtBot, open_window: object, db_path: Path
) -> None:
    window = open_window(db_path)  # type: ignore[operator]
    assert not window.open_practice_action.isEnabled()
    window.open_demo_action.trigger()
    qtbot.waitUntil(lambda: window.db.path.name == "demo.db", timeout=30_000)
    wait_loaded(qtbot, window)
    assert window.open_practice_action.isEnabled() and not window.open_demo_action.isEnabled()
    window.open_practice_action.trigger()
    wait_loaded(qtbot, window)
    assert window.db.path == db_path
    assert "DEMO" not in window.windowTitle()
    assert window.stack.currentIndex() == PAGE_FIRST_RUN


def test_dates_must_be_written_in_full(qtbot: QtBot) -> None:
    dialog = ClientDialog(None)
    qtbot.addWidget(dialog)
    dialog.date_of_birth.setText("19900517")
    fields, problems = dialog.fields()
    assert fields is None and "not a date; use YYYY-MM-DD" in problems["date_of_birth"]


def test_a_second_window_on_one_database_is_refused(db_path: Path) -> None:
    """Two windows would take each other's live session drafts for crash leftovers."""
    first = app.acquire_window_lock(db_path)
    assert first is not None and first.isLocked()
    assert app.acquire_window_lock(db_path) is None
    first.unlock()
    again = app.acquire_window_lock(db_path)
    assert again is not None and again.isLocked()
    again.unlock()
