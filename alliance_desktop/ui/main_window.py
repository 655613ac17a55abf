"""The main window: client list on the left, the selected client (or a start page) on the right.

It wires widgets to services: each write returns a ``Change`` that is emitted on
``AppEvents.dataChanged``; the window then reloads the list (off the UI thread) and the
record on show. Window size, splitter, last tab and filters are remembered in QSettings.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop import APP_NAME, __version__, paths
from alliance_desktop.domain.vocabulary import ClientStatus, GoalStatus
from alliance_desktop.services import audit
from alliance_desktop.services import backups as backup_service
from alliance_desktop.services import clients as client_service
from alliance_desktop.services import sessions as session_service
from alliance_desktop.services import settings as settings_service
from alliance_desktop.services.atomic import save_export
from alliance_desktop.services.backups import BackupInfo
from alliance_desktop.services.clients import Change, ClientInvalid
from alliance_desktop.services.dashboard import Dashboard, load_caseload
from alliance_desktop.services.database import (
    ClientListRow,
    Database,
    StorageError,
    WrongPassphrase,
    open_database,
)
from alliance_desktop.services.demo import generate_demo, is_demo_database
from alliance_desktop.services.drafts import Draft, discard_draft, unsaved_drafts
from alliance_desktop.services.errors import ServiceError
from alliance_desktop.services.reports import caseload_report_data
from alliance_desktop.services.session_form import editor_context
from alliance_desktop.services.text_packs import import_text_pack
from alliance_desktop.ui.background import run_in_background, wait_for_background_work
from alliance_desktop.ui.backup_dialogs import (
    BackupDialog,
    RestoreDialog,
    confirm_restore,
    removable_drives,
)
from alliance_desktop.ui.charts import X_DATE, X_NUMBER, InstrumentChartView
from alliance_desktop.ui.client_detail import ClientDetail
from alliance_desktop.ui.client_list import ClientListPanel
from alliance_desktop.ui.controllers.alerts import AlertsController
from alliance_desktop.ui.controllers.security import SecurityController, lock_minutes
from alliance_desktop.ui.dashboard import CaseloadDashboard
from alliance_desktop.ui.dialogs import (
    ClientDialog,
    DateDialog,
    GoalDialog,
    confirm_delete,
    confirm_delete_session,
)
from alliance_desktop.ui.events import AppEvents
from alliance_desktop.ui.preferences import PreferencesDialog
from alliance_desktop.ui.report_dialog import ReportDialog, ask_pdf_path, confirm_replace
from alliance_desktop.ui.session_editor import SessionEditor
from alliance_desktop.ui.unlock import LockScreen

log = logging.getLogger(__name__)

WELCOME_TEXT = (
    "<h2>Welcome to Alliance Desktop</h2>"
    "<p>The therapeutic alliance has three parts: <b>agreement on goals</b>, "
    "<b>collaboration on tasks</b> and the <b>emotional bond</b>. Rating them session by "
    "session shows a rupture early, while there is still time to repair it.</p>"
)
DEMO_CLIENTS = 60
PAGE_FIRST_RUN, PAGE_OVERVIEW, PAGE_CLIENT = range(3)
CHART_EXPORT_FILTERS = "PNG image (*.png);;SVG drawing (*.svg)"


def _shortcut(standard: QKeySequence.StandardKey, fallback: str) -> list[QKeySequence]:
    """The platform's shortcut, or a common fallback where the platform has none."""
    return QKeySequence.keyBindings(standard) or [QKeySequence(fallback)]


class MainWindow(QMainWindow):
    """The application's one main window, on one open database at a time."""

    def __init__(self, db: Database, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.db = db
        self.events = AppEvents(self)
        self._settings = settings
        self._loading = False
        self._reload_again = False
        self._pending_select: tuple[int, bool] | None = None
        self._notice = ""  # a message for the status bar once the list has reloaded
        self._practice_path = db.path
        self.editors: list[SessionEditor] = []
        # Acting on alerts (risk reviews, acknowledgements) from the record, the dashboard
        # and the session editor; the first of the per-area controllers (issue 15).
        self.alerts = AlertsController(self, lambda: self.db, self.events, self._set_notice)
        # Lock, idle lock, passphrase and recovery sheet.
        self.security = SecurityController(self, settings)
        self._build_actions()
        self._build_menus()
        self._build_central()
        self.statusBar().setObjectName("statusBar")
        self.database_status = QLabel(self)
        self.database_status.setObjectName("databaseStatus")
        self.database_status.setAccessibleName("Database status")
        self.statusBar().addPermanentWidget(self.database_status, 1)
        self.backup_status = QLabel(self)
        self.backup_status.setObjectName("backupStatus")
        self.backup_status.setAccessibleName("Last backup")
        self.statusBar().addPermanentWidget(self.backup_status)
        self._backup_running = False
        self._restore_running = False
        self._closing_after_backup = False
        # The age of the last backup grows while the window stays open for days.
        self._backup_clock = QTimer(self)
        self._backup_clock.setInterval(60 * 60 * 1000)
        self._backup_clock.timeout.connect(self.update_backup_status)
        self._backup_clock.start()
        self.events.dataChanged.connect(self._data_changed)
        self.resize(1280, 780)
        self._restore_state()
        self._database_opened()

    # -- building ------------------------------------------------------------------------

    def _action(
        self, text: str, name: str, slot: Any, keys: list[QKeySequence] | None = None
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if keys:
            action.setShortcuts(keys)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    def _build_actions(self) -> None:
        self.new_client_action = self._action(
            "&New client…",
            "newClientAction",
            self.new_client,
            _shortcut(QKeySequence.StandardKey.New, "Ctrl+N"),
        )
        self.edit_client_action = self._action(
            "&Edit client…",
            "editClientAction",
            self.edit_selected_client,
            [QKeySequence("Ctrl+E")],
        )
        self.discharge_action = self._action(
            "Disc&harge client…", "dischargeAction", self.discharge_selected_client
        )
        self.delete_action = self._action(
            "&Delete client…",
            "deleteClientAction",
            self.delete_selected_client,
            [QKeySequence("Ctrl+Shift+Delete")],
        )
        self.access_history_action = self._action(
            "Access &history…",
            "accessHistoryAction",
            lambda: self._with_selected(self.security.access_history),
        )
        self.export_client_action = self._action(
            "E&xport whole record…",
            "exportClientAction",
            lambda: self._with_selected(self.security.export_client),
        )
        self.review_risk_action = self._action(
            "Record risk re&view…", "reviewRiskAction", self.review_risk_for_selected
        )
        self.new_goal_action = self._action(
            "New &goal…", "newGoalAction", self.new_goal_for_selected, [QKeySequence("Ctrl+G")]
        )
        self.new_session_action = self._action(
            "&New session…",
            "newSessionAction",
            self.new_session_for_selected,
            [QKeySequence("Ctrl+Shift+N")],
        )
        self.open_session_action = self._action(
            "&Open selected session…", "openSessionAction", self.open_selected_session
        )
        self.delete_session_action = self._action(
            "&Delete selected session…", "deleteSessionAction", self.delete_selected_session
        )
        self.import_text_pack_action = self._action(
            "&Import instrument text pack…", "importTextPackAction", self.import_text_pack
        )
        self.progress_report_action = self._action(
            "&Progress summary…",
            "progressReportAction",
            self.progress_report_for_selected,
            _shortcut(QKeySequence.StandardKey.Print, "Ctrl+P"),
        )
        self.progress_report_action.setIconText("Print summary")
        self.caseload_report_action = self._action(
            "&Caseload summary…", "caseloadReportAction", self.caseload_report
        )
        self.backup_action = self._action(
            "&Back up now…", "backupAction", self.back_up_now, [QKeySequence("Ctrl+B")]
        )
        self.backup_action.setIconText("Back up now")
        self.restore_action = self._action(
            "&Restore from a backup…", "restoreAction", self.open_restore_dialog
        )
        self.find_action = self._action(
            "&Find client",
            "findAction",
            self.focus_filter,
            _shortcut(QKeySequence.StandardKey.Find, "Ctrl+F"),
        )
        self.preferences_action = self._action(
            "&Preferences…",
            "preferencesAction",
            self.edit_preferences,
            _shortcut(QKeySequence.StandardKey.Preferences, "Ctrl+,"),
        )
        self.preferences_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.open_demo_action = self._action(
            "Open &demo caseload", "openDemoAction", self.open_demo_caseload
        )
        self.open_practice_action = self._action(
            "Back to my &practice database", "openPracticeAction", self.open_practice_database
        )
        self.quit_action = self._action(
            "&Quit", "quitAction", self.close, _shortcut(QKeySequence.StandardKey.Quit, "Ctrl+Q")
        )
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.lock_action = self._action("&Lock", "lockAction", self.lock, [QKeySequence("Ctrl+L")])
        self.lock_action.setToolTip("Hide everything and close the database until unlocked")
        self.change_passphrase_action = self._action(
            "C&hange passphrase…", "changePassphraseAction", self.security.change_passphrase
        )
        self.recovery_sheet_action = self._action(
            "Print &recovery sheet…", "recoverySheetAction", self.security.recovery_sheet
        )
        self.about_action = self._action(f"&About {APP_NAME}", "aboutAction", self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_demo_action)
        file_menu.addAction(self.open_practice_action)
        file_menu.addSeparator()
        file_menu.addAction(self.preferences_action)
        file_menu.addSeparator()
        file_menu.addAction(self.lock_action)
        file_menu.addAction(self.change_passphrase_action)
        file_menu.addAction(self.recovery_sheet_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.find_action)
        client_menu = bar.addMenu("&Client")
        for action in (self.new_client_action, self.edit_client_action, self.new_goal_action):
            client_menu.addAction(action)
        client_menu.addAction(self.review_risk_action)
        client_menu.addAction(self.access_history_action)
        client_menu.addAction(self.export_client_action)
        client_menu.addSeparator()
        client_menu.addAction(self.discharge_action)
        client_menu.addAction(self.delete_action)
        session_menu = bar.addMenu("&Session")
        session_menu.setObjectName("sessionMenu")
        for action in (
            self.new_session_action,
            self.open_session_action,
            self.delete_session_action,
        ):
            session_menu.addAction(action)
        session_menu.addSeparator()
        session_menu.addAction(self.import_text_pack_action)
        reports_menu = bar.addMenu("&Reports")
        reports_menu.setObjectName("reportsMenu")
        reports_menu.addAction(self.progress_report_action)
        reports_menu.addAction(self.caseload_report_action)
        backup_menu = bar.addMenu("&Backup")
        backup_menu.setObjectName("backupMenu")
        backup_menu.addAction(self.backup_action)
        backup_menu.addAction(self.restore_action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.addAction(self.new_client_action)
        toolbar.addAction(self.new_session_action)
        toolbar.addAction(self.progress_report_action)
        toolbar.addAction(self.backup_action)
        toolbar.addAction(self.find_action)
        toolbar.addAction(self.lock_action)

    def _build_central(self) -> None:
        self.client_list = ClientListPanel(self)
        self.detail = ClientDetail(self)
        self.stack = QStackedWidget(self)
        self.stack.setObjectName("rightPane")
        self.stack.addWidget(self._build_first_run())
        self.dashboard = CaseloadDashboard(self)
        self.dashboard.clientRequested.connect(self.reveal_client)
        self.dashboard.riskReviewRequested.connect(self.alerts.review_risk)
        self.dashboard.acknowledgeRequested.connect(self.alerts.acknowledge)
        self.stack.addWidget(self.dashboard)
        self.stack.addWidget(self.detail)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.client_list)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([700, 560])
        # The window's content and the lock screen take turns in one stack.
        self.lock_screen = LockScreen(self, self.db.path, self._settings, self.security.unlock)
        self.content = QStackedWidget(self)
        self.content.setObjectName("content")
        self.content.addWidget(self.splitter)
        self.content.addWidget(self.lock_screen)
        self.setCentralWidget(self.content)

        self.client_list.clientSelected.connect(self._client_selected)
        self.client_list.clientActivated.connect(self.edit_client)
        self.detail.editRequested.connect(self.edit_client)
        self.detail.dischargeRequested.connect(self.discharge_client)
        self.detail.deleteRequested.connect(self.delete_client)
        self.detail.addGoalRequested.connect(self.new_goal)
        self.detail.editGoalRequested.connect(self.edit_goal)
        self.detail.goalStatusRequested.connect(self.set_goal_status)
        self.detail.newSessionRequested.connect(self.new_session)
        self.detail.openSessionRequested.connect(self.open_session)
        self.detail.deleteSessionRequested.connect(self.delete_session)
        self.detail.exportChartRequested.connect(self.export_chart)
        self.detail.riskReviewRequested.connect(self.alerts.review_risk)
        self.detail.acknowledgeRequested.connect(self.alerts.acknowledge)

    def _build_first_run(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("firstRunPage")
        text = QLabel(
            WELCOME_TEXT + "<p>Start with your practice details (they head every report), then "
            "add your first client, or look around with a demo "
            "caseload of made-up clients first (it opens in a separate database, so it never "
            "mixes with your records).</p>",
            page,
        )
        text.setObjectName("welcomeText")
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setMaximumWidth(640)
        details = QPushButton("Your &practice details…", page)
        details.setObjectName("practiceDetailsButton")
        details.setToolTip("Practice name, clinician and credentials, printed on every report")
        details.clicked.connect(self.edit_preferences)
        add_first = QPushButton("&Add your first client", page)
        add_first.setObjectName("addFirstClientButton")
        add_first.clicked.connect(self.new_client)
        demo = QPushButton("Open a &demo caseload", page)
        demo.setObjectName("openDemoButton")
        demo.clicked.connect(self.open_demo_caseload)
        buttons = QHBoxLayout()
        buttons.addWidget(details)
        buttons.addWidget(add_first)
        buttons.addWidget(demo)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(36, 36, 36, 36)
        layout.addWidget(text)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return page

    # -- database and list ---------------------------------------------------------------

    def lock(self) -> None:
        """Lock now (Ctrl+L, the menu, the toolbar, or the idle timer)."""
        self.security.lock()

    def show_lock_screen(self) -> None:
        """Hide every record: the content, the menus' actions, the status bar's words."""
        self.content.setCurrentWidget(self.lock_screen)
        self.lock_screen.reset()
        for action in self.actions():
            action.setEnabled(action is self.quit_action)  # quitting stays possible
        self.menuBar().setEnabled(False)
        for toolbar in self.findChildren(QToolBar):
            toolbar.setEnabled(False)
        self.statusBar().clearMessage()
        self.database_status.setText("Locked")
        self.backup_status.setText("")
        self.setWindowTitle(f"{APP_NAME} — locked")
        self.detail.record = None
        self.client_list.model.set_rows([])  # the list's names leave memory and screen too

    def hide_lock_screen(self) -> None:
        for action in self.actions():
            action.setEnabled(True)
        self.menuBar().setEnabled(True)
        for toolbar in self.findChildren(QToolBar):
            toolbar.setEnabled(True)
        self.content.setCurrentWidget(self.splitter)

    def _database_opened(self, *, offer_drafts: bool = True) -> None:
        demo = is_demo_database(self.db)
        self.setWindowTitle(
            f"{APP_NAME} — {self.db.path}" + (" — DEMO DATA (made-up clients)" if demo else "")
        )
        self._demo = demo
        self.open_practice_action.setEnabled(self.db.path != self._practice_path)
        self.open_demo_action.setEnabled(not demo)
        self.reload_clients()
        self.update_backup_status()
        # After the window is shown, so the question sits on top of it.
        if offer_drafts:
            QTimer.singleShot(0, self.offer_drafts)

    def switch_database(self, path: Path) -> None:
        """Close the current database and open another (the demo caseload, say)."""
        if not self.close_editors():
            return
        try:
            new_db = self._open_with_my_passphrase(path)
        except (StorageError, ServiceError) as exc:
            self._complain(str(exc))
            return
        if new_db is None:
            return
        old = self.db
        self.db = new_db
        old.close()
        self.detail.record = None
        self._database_opened()

    def _open_with_my_passphrase(self, path: Path) -> Database | None:
        """Open another database (the demo, the practice) with this one's passphrase, or ask
        when that does not unlock it; None when the therapist cancels."""
        from alliance_desktop.ui.unlock import open_unlocked

        if self.db.passphrase:
            try:
                return open_database(path, passphrase=self.db.passphrase, create=True)
            except WrongPassphrase:
                pass
        return open_unlocked(path, self._settings, parent=self)

    def reload_clients(self, select: int | None = None, *, reveal: bool = False) -> None:
        """Reload the client list off the UI thread (coalescing requests while one runs).

        ``select`` is selected afterwards if the filters show it; with ``reveal`` (a new
        client) the filters are cleared when they would hide it.
        """
        if self.security.is_locked:
            return  # nothing is loaded behind the lock screen; unlocking reloads
        if select is not None:
            self._pending_select = (select, reveal)
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        if self.client_list.model.total_count() == 0:  # first load: say something is coming
            self.statusBar().showMessage("Loading clients…")
        db = self.db
        run_in_background(lambda: load_caseload(db), self._clients_loaded, self._load_failed)

    def _clients_loaded(self, loaded: tuple[list[ClientListRow], Dashboard]) -> None:
        rows, dashboard = loaded
        self._loading = False
        if self.security.is_locked:  # finished after the lock: show nothing of it
            self._reload_again = False
            return
        if self._reload_again:
            self._reload_again = False
            self.reload_clients()
            return
        self.statusBar().clearMessage()
        if self._notice:
            self.statusBar().showMessage(self._notice, 8000)
            self._notice = ""
        self.client_list.set_rows(rows)
        self.dashboard.show_dashboard(dashboard)
        if self._pending_select is not None:
            client_id, reveal = self._pending_select
            self.client_list.select_client(client_id, reveal=reveal)
            self._pending_select = None
        self._update_status(rows)
        self._show_right_side()

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        if self.security.is_locked:
            return
        self.statusBar().clearMessage()
        self._report(exc)

    def _update_status(self, rows: list[ClientListRow]) -> None:
        active = sum(1 for r in rows if r.status is ClientStatus.ACTIVE)
        self.database_status.setText(
            f"{len(rows):,} clients ({active:,} active) · database {self.db.path}"
            + (" · demo data, not real clients" if self._demo else "")
        )

    def _show_right_side(self) -> None:
        if self.client_list.model.total_count() == 0:
            self.stack.setCurrentIndex(PAGE_FIRST_RUN)
        elif self.client_list.selected_client_id() is None:
            self.stack.setCurrentIndex(PAGE_OVERVIEW)

    def _client_selected(self, client_id: int | None) -> None:
        if client_id is None:
            self._show_right_side()
            return
        self.show_client(client_id)

    def show_client(self, client_id: int) -> None:
        with self._guarded():
            shown_before = self.detail.record
            record = client_service.client_record(self.db, client_id)
            if shown_before is None or shown_before.client_id != client_id:
                # Opening a record is logged; showing it again after a save is not.
                audit.record(self.db, "client_opened", client_code=record.fields.code)
            self.detail.show_record(record)
            self.stack.setCurrentIndex(PAGE_CLIENT)

    def _set_notice(self, text: str) -> None:
        self._notice = text

    def _data_changed(self, change: Change) -> None:
        if change.kind == "alerts_changed" and self.stack.currentWidget() is self.dashboard:
            # Acted on from the dashboard: stay there, with the line gone.
            self.reload_clients()
            return
        if change.kind == "client_deleted":
            # Leave the deleted client at once, before the list has reloaded.
            self.client_list.table.clearSelection()
            self.detail.record = None
            self.stack.setCurrentIndex(PAGE_OVERVIEW)
            self.reload_clients()
            return
        self.reload_clients(select=change.client_id, reveal=change.kind == "client_added")
        if self.detail.record is None or self.detail.record.client_id == change.client_id:
            self.show_client(change.client_id)

    # -- client actions ------------------------------------------------------------------

    @contextlib.contextmanager
    def _guarded(self) -> Iterator[None]:
        """Show a service's or the database's message instead of letting it escape a slot."""
        try:
            yield
        except (ServiceError, StorageError) as exc:
            self._complain(str(exc))

    def reveal_client(self, client_id: int) -> None:
        """Select a client in the list (clearing filters that hide them) and show them."""
        if not self.client_list.select_client(client_id, reveal=True):
            self.show_client(client_id)  # not in the list yet: show the record anyway

    def selected_client(self) -> int | None:
        return self.client_list.selected_client_id()

    def focus_filter(self) -> None:
        self.client_list.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.client_list.filter_edit.selectAll()

    def new_client(self) -> None:
        with self._guarded():
            code = client_service.next_client_code(self.db)
            self._run_client_dialog(ClientDialog(self, suggested_code=code), None)

    def edit_selected_client(self) -> None:
        client_id = self.selected_client()
        if client_id is not None:
            self.edit_client(client_id)

    def edit_client(self, client_id: int) -> None:
        with self._guarded():
            record = client_service.client_record(self.db, client_id)
            self._run_client_dialog(ClientDialog(self, initial=record.fields), client_id)

    def _run_client_dialog(self, dialog: ClientDialog, client_id: int | None) -> None:
        """Keep the dialog open until the input is valid or the user cancels."""
        while dialog.exec() == ClientDialog.DialogCode.Accepted:
            fields, problems = dialog.fields()
            if fields is not None:
                try:
                    if client_id is None:
                        change = client_service.create_client(self.db, fields)
                    else:
                        change = client_service.update_client(self.db, client_id, fields)
                except ClientInvalid as exc:
                    problems = exc.errors
                else:
                    self.events.dataChanged.emit(change)
                    return
            dialog.errors.show(problems)

    def discharge_selected_client(self) -> None:
        client_id = self.selected_client()
        if client_id is not None:
            self.discharge_client(client_id)

    def discharge_client(self, client_id: int) -> None:
        with self._guarded():
            record = client_service.client_record(self.db, client_id)
            f = record.fields
            name = f"{f.code} {f.given_name} {f.family_name}".strip()
            dialog = DateDialog(
                self,
                "Discharge client",
                f"Discharge {name}? The record is kept; to reopen it, edit the status.",
                date.today(),
            )
            while dialog.exec() == DateDialog.DialogCode.Accepted:
                try:
                    change = client_service.discharge_client(self.db, client_id, dialog.value())
                except ClientInvalid as exc:
                    dialog.error.setText(f"⚠ {exc}")
                    continue
                self.events.dataChanged.emit(change)
                return

    def _with_selected(self, action: Any) -> None:
        client_id = self.selected_client()
        if client_id is None:
            self._complain("Choose a client in the list first.")
            return
        action(client_id)

    def delete_selected_client(self) -> None:
        client_id = self.selected_client()
        if client_id is not None:
            self.delete_client(client_id)

    def delete_client(self, client_id: int) -> None:
        with self._guarded():
            record = client_service.client_record(self.db, client_id)
            f = record.fields
            name = f"{f.given_name} {f.family_name}".strip()
            until = client_service.backups_hold_until(self.db, date.today())
            if not confirm_delete(self, f.code, name, len(record.sessions), until):
                return
            for editor in list(self.editors):  # their sessions go with the client
                if editor.context.client_id == client_id:
                    editor.discard_and_close()
            change = client_service.delete_client(self.db, client_id)
            self._notice = f"Deleted {f.code} {name}."
            self.events.dataChanged.emit(change)

    # -- goals ---------------------------------------------------------------------------

    def review_risk_for_selected(self) -> None:
        """Record a risk review for the selected client, with or without an alert showing
        (a risk disclosed in conversation, or a follow-up review)."""
        client_id = self.selected_client()
        if client_id is None:
            self._complain("Choose a client in the list first, then record their risk review.")
            return
        self.alerts.review_risk(client_id)

    def new_goal_for_selected(self) -> None:
        client_id = self.selected_client()
        if client_id is not None:
            self.new_goal(client_id)

    def new_goal(self, client_id: int) -> None:
        dialog = GoalDialog(self)
        while dialog.exec() == GoalDialog.DialogCode.Accepted:
            description, agreed_on = dialog.values()
            try:
                change = client_service.add_goal(self.db, client_id, description, agreed_on)
            except (ServiceError, StorageError) as exc:
                dialog.show_error(str(exc))
                continue
            self.events.dataChanged.emit(change)
            return

    def edit_goal(self, goal_id: int) -> None:
        record = self.detail.record
        goal = next((g for g in record.goals if g.goal_id == goal_id), None) if record else None
        if goal is None:
            return
        dialog = GoalDialog(self, description=goal.description, agreed_on=goal.agreed_on)
        while dialog.exec() == GoalDialog.DialogCode.Accepted:
            description, agreed_on = dialog.values()
            try:
                change = client_service.edit_goal(self.db, goal_id, description, agreed_on)
            except (ServiceError, StorageError) as exc:
                dialog.show_error(str(exc))
                continue
            self.events.dataChanged.emit(change)
            return

    def set_goal_status(self, goal_id: int, status: GoalStatus) -> None:
        with self._guarded():
            change = client_service.set_goal_status(self.db, goal_id, status, date.today())
            self.events.dataChanged.emit(change)

    # -- preferences, databases, about ---------------------------------------------------

    # -- sessions ------------------------------------------------------------------------

    def new_session_for_selected(self) -> None:
        client_id = self.selected_client()
        if client_id is None:
            self._complain("Choose a client in the list first, then record their session.")
            return
        self.new_session(client_id)

    def new_session(self, client_id: int) -> SessionEditor | None:
        """Open the editor for a new session of ``client_id``; return it (tests drive it)."""
        return self._open_editor(client_id, None)

    def open_selected_session(self) -> None:
        session_id = self.detail.selected_session_id()
        if self.detail.record is None or session_id is None:
            self._complain("Choose a session on the client's Sessions tab first.")
            return
        self.open_session(self.detail.record.client_id, session_id)

    def open_session(self, client_id: int, session_id: int) -> SessionEditor | None:
        """Open a stored session in the editor (or bring its open editor forward)."""
        return self._open_editor(client_id, session_id)

    def _open_editor(
        self, client_id: int, session_id: int | None, draft: Draft | None = None
    ) -> SessionEditor | None:
        if session_id is not None:
            for editor in self.editors:
                context = editor.context
                if (context.client_id, context.session_id) == (client_id, session_id):
                    editor.raise_()
                    editor.activateWindow()
                    return editor
        with self._guarded():
            context = editor_context(self.db, client_id, session_id)
            editor = SessionEditor(self, self.db, context, draft=draft)
            editor.saved.connect(self._session_saved)
            editor.riskReviewRequested.connect(
                lambda cid, e=editor: self._review_from_editor(e, cid)
            )
            editor.finished.connect(lambda *_: self._editor_closed(editor))
            # Ctrl+L locks from the editor too (it is a window of its own).
            lock_here = QShortcut(QKeySequence("Ctrl+L"), editor)
            lock_here.activated.connect(self.lock)
            self.editors.append(editor)
            editor.show()
            return editor
        return None

    def _review_from_editor(self, editor: SessionEditor, client_id: int) -> None:
        """A review asked for in the editor; the editor, if still open, then shows it."""
        open_editor = shiboken6.isValid(editor) and editor.isVisible()
        change = self.alerts.review_risk(client_id, editor if open_editor else self)
        # The modal review dialog ran the event loop: a closed editor may be gone by now.
        if change is not None and shiboken6.isValid(editor) and editor.isVisible():
            editor.reload_alert_records()

    def _session_saved(self, change: Change) -> None:
        self._notice = "Session saved."
        self.events.dataChanged.emit(change)

    def _editor_closed(self, editor: SessionEditor) -> None:
        if editor in self.editors:
            self.editors.remove(editor)

    def close_editors(self) -> bool:
        """Close every open session editor (each asks about unsaved changes); False if kept."""
        for editor in list(self.editors):
            if not editor.close():
                editor.raise_()
                return False
            self._editor_closed(editor)
        return True

    def delete_selected_session(self) -> None:
        session_id = self.detail.selected_session_id()
        if self.detail.record is None or session_id is None:
            self._complain("Choose a session on the client's Sessions tab first.")
            return
        self.delete_session(self.detail.record.client_id, session_id)

    def delete_session(self, client_id: int, session_id: int) -> None:
        with self._guarded():
            record = client_service.client_record(self.db, client_id)
            session = next((s for s in record.sessions if s.session_id == session_id), None)
            if session is None:
                return
            what = (
                f"session {session.number} of {record.fields.code} ({session.start:%Y-%m-%d %H:%M})"
            )
            if not confirm_delete_session(self, what):
                return
            for editor in list(self.editors):  # an editor of a deleted session has nothing to save
                if editor.context.session_id == session_id:
                    editor.discard_and_close()
            change = session_service.delete_session(self.db, client_id, session_id)
            self._notice = f"Deleted {what}."
            self.events.dataChanged.emit(change)

    def offer_drafts(self) -> None:
        """Offer back sessions that were being typed when the app last stopped."""
        open_drafts = {e.draft_id for e in self.editors}
        try:
            left = [d for d in unsaved_drafts(self.db) if d.draft_id not in open_drafts]
        except (ServiceError, StorageError) as exc:
            log.warning("drafts could not be read: %s", exc)
            return
        for draft in left:
            box = QMessageBox(self)
            box.setObjectName("restoreDraftBox")
            box.setIcon(QMessageBox.Icon.Question)
            box.setWindowTitle("Unsaved session")
            which = "a new session" if draft.session_id is None else "changes to a session"
            box.setText(
                f"{APP_NAME} stopped while {which} for {draft.client_code} was being typed "
                f"(last kept {draft.saved_at:%Y-%m-%d %H:%M}). Restore it?"
            )
            box.setInformativeText("Discard throws the unsaved typing away for good.")
            restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
            discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
            later = box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
            box.setDefaultButton(restore)
            box.setEscapeButton(later)
            box.exec()
            if box.clickedButton() is restore:
                self.client_list.select_client(draft.client_id)
                self._open_editor(draft.client_id, draft.session_id, draft)
            elif box.clickedButton() is discard:
                with self._guarded():
                    discard_draft(self.db, draft.draft_id)

    def import_text_pack(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import instrument text pack", str(Path.home()), "Text pack (*.json)"
        )
        if not path:
            return
        with self._guarded():
            instrument = import_text_pack(self.db, Path(path))
            QMessageBox.information(
                self,
                APP_NAME,
                f"The {instrument.id} wording was imported; the session editor shows it from "
                "now on.",
            )

    # -- charts --------------------------------------------------------------------------

    def export_chart(self, view: InstrumentChartView) -> None:
        """Ask where to save a chart, as PNG or SVG by the chosen type, and save it."""
        record = self.detail.record
        instrument = view.data.instrument_id if view.data else "chart"
        code = record.fields.code if record else "client"
        folder = (
            Path(str(self._settings.value("charts/exportFolder", ""))) if self._settings else None
        )
        if folder is None or not folder.is_dir():
            folder = Path.home()
        safe_code = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in code)
        suggested = folder / f"{safe_code}-{instrument}-{date.today().isoformat()}.png"
        path, chosen = QFileDialog.getSaveFileName(
            self, f"Export the {instrument} chart", str(suggested), CHART_EXPORT_FILTERS
        )
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() not in (".png", ".svg"):
            target = target.with_name(target.name + (".svg" if "SVG" in chosen else ".png"))
            if target.exists() and not confirm_replace(self, target):
                return
        if self.export_chart_to(view, target) and self._settings is not None:
            self._settings.setValue("charts/exportFolder", str(target.parent))

    def export_chart_to(self, view: InstrumentChartView, target: Path) -> bool:
        """Write a chart to ``target`` (.svg gives a vector drawing, anything else PNG)."""
        data = view.render_svg() if target.suffix.lower() == ".svg" else view.render_png()
        try:
            save_export(target, data, [self.db.path])
        except ServiceError as exc:
            self._complain(str(exc))
            return False
        self.statusBar().showMessage(f"Chart saved to {target}", 8000)
        return True

    # -- reports -------------------------------------------------------------------------

    def _report_folder(self) -> Path:
        stored = self._settings.value("reports/folder", "") if self._settings else ""
        folder = Path(str(stored)) if stored else Path.home()
        return folder if folder.is_dir() else Path.home()

    def progress_report_for_selected(self) -> None:
        client_id = self.selected_client()
        if client_id is None:
            self._complain("Select a client first; the progress summary is about one client.")
            return
        self.progress_report(client_id)

    def progress_report(self, client_id: int) -> ReportDialog | None:
        """Open the progress summary dialog for a client (returned for tests)."""
        with self._guarded():
            record = client_service.client_record(self.db, client_id)
            dialog = ReportDialog(
                self,
                self.db,
                record.fields.code,
                record.fields.intake_date,
                folder=self._report_folder(),
            )
            self._open_report_dialog(dialog)
            return dialog
        return None

    def _open_report_dialog(self, dialog: ReportDialog) -> None:
        dialog.exec()
        if dialog.saved_to is not None:
            if self._settings is not None:
                self._settings.setValue("reports/folder", str(dialog.saved_to.parent))
            self.statusBar().showMessage(f"Report saved to {dialog.saved_to}", 8000)

    def caseload_report(self) -> None:
        """Ask where, then write the caseload summary off the UI thread."""
        suggested = self._report_folder() / f"caseload-{date.today().isoformat()}.pdf"
        target = ask_pdf_path(self, "Save the caseload summary", suggested)
        if target is not None:
            self.write_caseload_report(target)

    def write_caseload_report(self, target: Path) -> None:
        """Build and save the caseload summary in the background; say when it is done."""
        db = self.db
        progress = QProgressDialog("Writing the caseload summary…", "", 0, 0, self)
        progress.setObjectName("caseloadProgress")
        progress.setCancelButton(None)  # nothing to undo half-way: the file appears whole
        progress.setMinimumDuration(300)

        def work() -> Path:
            from alliance_desktop.reports.caseload_report import caseload_report_pdf

            save_export(target, caseload_report_pdf(caseload_report_data(db)), [db.path])
            return target

        def done(saved: Path) -> None:
            progress.close()
            if self._settings is not None:
                self._settings.setValue("reports/folder", str(saved.parent))
            self.statusBar().showMessage(f"Caseload summary saved to {saved}", 8000)
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(saved)))

        def failed(exc: BaseException) -> None:
            progress.close()
            self._report(exc)

        run_in_background(work, done, failed)

    def edit_preferences(self) -> None:
        with self._guarded():
            dialog = PreferencesDialog(
                self,
                settings_service.load_practice(self.db),
                settings_service.load_alert_settings(self.db),
                settings_service.load_backup_settings(self.db),
                lock_minutes=lock_minutes(self._settings),
            )
            while dialog.exec() == PreferencesDialog.DialogCode.Accepted:
                try:
                    settings_service.save_preferences(
                        self.db, dialog.practice(), dialog.alerts(), dialog.backup()
                    )
                except ServiceError as exc:  # keep what was typed; say what is wrong
                    dialog.show_error(str(exc))
                    continue
                self.security.apply_lock_minutes(dialog.lock_minutes.value())
                self.update_backup_status()
                self.reload_clients()  # alert settings may have changed every summary
                if self.detail.record is not None:  # and the open record's alerts and charts
                    self.show_client(self.detail.record.client_id)
                return

    def open_practice_database(self) -> None:
        """Go back from the demo (or another file) to the database the app was started on."""
        if self.db.path != self._practice_path:
            self.switch_database(self._practice_path)

    def open_demo_caseload(self) -> None:
        """Open (creating it the first time) a separate demo database beside the real one."""
        path = paths.data_dir() / "demo.db"
        if path.exists():
            self.switch_database(path)
            return
        paths.prepare_database_folder(paths.default_database_path())
        path.parent.mkdir(parents=True, exist_ok=True)
        progress = QProgressDialog("Creating a demo caseload of made-up clients…", "", 0, 0, self)
        progress.setObjectName("demoProgress")
        progress.setCancelButton(None)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)

        passphrase = self.db.passphrase or ""

        def work() -> Path:
            # The demo is encrypted too, with the practice's passphrase (one secret).
            demo_db = open_database(path, passphrase=passphrase)
            try:
                generate_demo(demo_db, DEMO_CLIENTS)
            finally:
                demo_db.close()
            return path

        def done(created: Path) -> None:
            progress.close()
            self.switch_database(created)

        def failed(exc: BaseException) -> None:
            progress.close()
            path.unlink(missing_ok=True)
            self._report(exc)

        run_in_background(work, done, failed)

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<b>{APP_NAME}</b> {__version__}<br>"
            "Records sessions and the therapeutic alliance, offline.<br>"
            "Licensed under the GNU General Public License, version 3 or later.<br>"
            "CORE-10 item wording © CORE System Trust, CC BY-ND 4.0.",
        )

    # -- backups -------------------------------------------------------------------------

    def update_backup_status(self, now: datetime | None = None) -> None:
        """Say in the status bar how old the last backup is; warn after the set days."""
        if self.security.is_locked:
            return  # the hourly clock ticks on behind the lock screen; the database is closed
        last = backup_service.last_backup(self.db.path)
        limit = settings_service.load_backup_settings(self.db).remind_after_days
        if last is None:
            text, warn = "⚠ Never backed up — Backup → Back up now (Ctrl+B)", True
        else:
            days = last.age_days(now)
            age = "today" if days < 1 else "yesterday" if days < 2 else f"{int(days)} days ago"
            text = f"Last backup {age} ({last.folder.name or last.folder})"
            warn = days >= limit
            if warn:
                text = f"⚠ {text} — back up now (Ctrl+B)"
        self.backup_status.setText(text)
        self.backup_status.setProperty("warning", warn)
        self.backup_status.setToolTip(
            f"Back up at least every {limit} days (Preferences). "
            + (f"Last backup: {last.folder / last.file}" if last else "")
        )

    def back_up_now(self) -> BackupDialog | None:
        """Ask for the drive and passphrase, then back up in the background."""
        if self._backup_running:
            return None
        last = backup_service.last_backup(self.db.path)
        remembered = self._settings.value("backup/folder") if self._settings else None
        folder = last.folder if last else Path(str(remembered)) if remembered else None
        dialog = BackupDialog(self, removable_drives(), folder, app_passphrase=self.db.passphrase)
        dialog.accepted.connect(
            lambda: self.run_backup(
                dialog.chosen_folder(), dialog.chosen_passphrase(), force=dialog.force.isChecked()
            )
        )
        dialog.open()
        return dialog

    def run_backup(self, folder: Path, passphrase: str, *, force: bool = False) -> None:
        """Back up to ``folder`` off the UI thread with a progress dialog; report the outcome."""
        db = self.db
        self._backup_running = True
        self.backup_action.setEnabled(False)
        progress = QProgressDialog(
            f"Backing up to {folder}…\nTaking a snapshot, encrypting, writing and checking it.",
            "",
            0,
            0,
            self,
        )
        progress.setObjectName("backupProgress")
        progress.setWindowTitle("Back up now")
        progress.setCancelButton(None)  # the file appears whole or not at all; nothing to stop
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)

        def finish() -> None:
            progress.close()
            self._backup_running = False
            self.backup_action.setEnabled(True)
            self.update_backup_status()

        def done(made: backup_service.MadeBackup) -> None:
            finish()
            if self._settings is not None:
                self._settings.setValue("backup/folder", str(folder))
            header = made.header
            if made.skipped:
                message = (
                    f"Nothing changed since the last backup ({made.path.name}); it already "
                    "holds everything."
                )
            else:
                message = (
                    f"Backed up {header.clients:,} clients and {header.sessions:,} sessions to "
                    f"{made.path} (verified)."
                )
                if made.removed:
                    message += f" {len(made.removed)} older backup(s) removed by rotation."
            self.statusBar().showMessage(message, 15000)
            if self._closing_after_backup:
                self.close()

        def failed(exc: BaseException) -> None:
            finish()
            self._closing_after_backup = False
            self._report(exc)

        run_in_background(
            lambda: backup_service.back_up(db, folder, passphrase, force=force), done, failed
        )

    def open_restore_dialog(self) -> RestoreDialog:
        """List the backups in the last backup folder; verify or restore one."""
        last = backup_service.last_backup(self.db.path)
        remembered = self._settings.value("backup/folder") if self._settings else None
        folder = last.folder if last else Path(str(remembered)) if remembered else None
        dialog = RestoreDialog(self, folder)
        dialog.passphrase.setText(self.db.passphrase or "")  # backups use it by default
        dialog.on_list = backup_service.list_backups
        dialog.on_verify = lambda info, passphrase: self._verify_backup(dialog, info, passphrase)
        dialog.on_restore = lambda info, passphrase: self._restore_backup(dialog, info, passphrase)
        dialog.refresh()
        dialog.open()
        return dialog

    def _verify_backup(self, dialog: RestoreDialog, info: BackupInfo, passphrase: str) -> None:
        dialog.show_message(f"Checking {info.path.name}…")
        dialog.set_busy(True)

        def done(header: backup_service.BackupHeader) -> None:
            dialog.set_busy(False)
            dialog.show_message(
                f"✓ {info.path.name} is complete and opens: {header.clients:,} clients, "
                f"{header.sessions:,} sessions, made {header.created_at.replace('T', ' ')}."
            )

        def failed(exc: BaseException) -> None:
            dialog.set_busy(False)
            dialog.show_message(f"⚠ {exc}")

        run_in_background(lambda: backup_service.verify_backup(info.path, passphrase), done, failed)

    def _restore_backup(self, dialog: RestoreDialog, info: BackupInfo, passphrase: str) -> None:
        if not confirm_restore(dialog, info, self.db.path) or not self.close_editors():
            return
        path, key, app_passphrase = self.db.path, self.db.key, self.db.passphrase
        wait_for_background_work()  # a list load in flight must not meet a closed database
        self.db.close()  # the restore replaces the file; nothing may hold it open
        dialog.show_message(f"Restoring {info.path.name}…")
        dialog.set_busy(True)
        self.setEnabled(False)
        self._restore_running = True

        def reopen() -> None:
            self._restore_running = False
            self.setEnabled(True)
            dialog.set_busy(False)
            self.db = open_database(path, key=key, passphrase=app_passphrase)
            self.detail.record = None
            self._database_opened()

        def done(result: tuple[backup_service.BackupHeader, Path | None]) -> None:
            header, kept = result
            reopen()
            message = (
                f"✓ Restored {header.clients:,} clients and {header.sessions:,} sessions from "
                f"the backup made {header.created_at.replace('T', ' ')}."
            )
            if kept is not None:
                message += f" The database as it was is kept in {kept}."
            dialog.show_message(message)
            self.statusBar().showMessage(message, 15000)

        def failed(exc: BaseException) -> None:
            try:
                reopen()
            except (StorageError, ServiceError) as reopen_error:
                self._report(reopen_error)
            dialog.show_message(f"⚠ {exc}")

        run_in_background(
            lambda: backup_service.restore_from(info.path, passphrase, path, key=key),
            done,
            failed,
        )

    def _offer_backup_before_closing(self) -> bool:
        """On exit with the backup drive plugged in and changes since: offer a backup.

        Returns True when closing should wait (a backup was started or the user cancelled).
        """
        last = backup_service.last_backup(self.db.path)
        if last is None or self._demo or not last.folder.is_dir():
            return False
        if not backup_service.changed_since(self.db.path, last):
            return False
        box = QMessageBox(self)
        box.setObjectName("backupOnExitBox")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Back up before closing?")
        box.setText(f"The backup drive ({last.folder}) is plugged in. Back up before closing?")
        box.setInformativeText("Records changed since the last backup.")
        box.setStandardButtons(
            QMessageBox.StandardButton.Yes
            | QMessageBox.StandardButton.No
            | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.No:
            return False
        if answer == QMessageBox.StandardButton.Yes:
            dialog = self.back_up_now()
            if dialog is not None:
                dialog.accepted.connect(lambda: setattr(self, "_closing_after_backup", True))
        return True

    # -- errors --------------------------------------------------------------------------

    def _complain(self, message: str) -> None:
        QMessageBox.warning(self, APP_NAME, message)

    def _report(self, exc: BaseException) -> None:
        if isinstance(exc, (ServiceError, StorageError)):
            self._complain(str(exc))
        else:
            log.error("unexpected error", exc_info=exc)
            self._complain(
                f"Something went wrong ({type(exc).__name__}). What was saved before is safe. "
                "Details are in the log; please report this problem."
            )

    # -- remembered state ----------------------------------------------------------------

    def _restore_state(self) -> None:
        if self._settings is None:
            return
        geometry = self._settings.value("mainWindow/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = self._settings.value("mainWindow/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        x_mode = self._settings.value("charts/xAxis")
        if x_mode in (X_NUMBER, X_DATE):
            self.detail.charts_page.set_x_mode(str(x_mode))
        hidden = self._settings.value("charts/hiddenSubscales")
        if isinstance(hidden, str):
            self.detail.charts_page.set_hidden_subscales(hidden.split(","))
        # By name, not position: the tabs have been reordered before (mainWindow/clientTab
        # held a position and is no longer read).
        tab_name = self._settings.value("mainWindow/clientTabName")
        tabs = self.detail.tabs
        for index in range(tabs.count()):
            page = tabs.widget(index)
            if page is not None and page.objectName() == tab_name:
                tabs.setCurrentIndex(index)
        status = self._settings.value("clientList/status")
        if status is not None:
            value = None if status == "all" else ClientStatus(str(status))
            self.client_list.set_status(value)
        header = self._settings.value("clientList/header")
        if isinstance(header, QByteArray):
            self.client_list.table.horizontalHeader().restoreState(header)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._backup_running or self._restore_running:  # they finish first
            event.ignore()
            return
        if self.security.is_locked:  # nothing open to save or back up; quit as it stands
            super().closeEvent(event)
            return
        if not self.close_editors():
            event.ignore()
            return
        if not self._closing_after_backup and self._offer_backup_before_closing():
            event.ignore()
            return
        if self._settings is not None:
            s = self._settings
            s.setValue("mainWindow/geometry", self.saveGeometry())
            s.setValue("mainWindow/splitter", self.splitter.saveState())
            current = self.detail.tabs.currentWidget()
            s.setValue("mainWindow/clientTabName", current.objectName() if current else "")
            s.setValue("charts/xAxis", self.detail.charts_page.x_mode)
            s.setValue(
                "charts/hiddenSubscales",
                ",".join(sorted(self.detail.charts_page.hidden_subscales())),
            )
            status = self.client_list.status()
            s.setValue("clientList/status", status.value if status else "all")
            s.setValue("clientList/header", self.client_list.table.horizontalHeader().saveState())
            s.sync()
        super().closeEvent(event)
