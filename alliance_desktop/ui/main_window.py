"""The main window: client list on the left, the selected client (or a start page) on the right.

The window lays out the widgets, builds the menus and the toolbar, remembers its state
(size, splitter, last tab, filters, chart options) and wires each area to its controller
(``ui/controllers``): clients, sessions, reports, backups, alerts, security and the
practice. Controllers share one ``Workspace`` (the open database and the change signal);
every write announces a typed ``Change`` and each view refreshes what it shows from it.

At launch the window shows the client list before SQLite's check of the database has run
(``Workspace``): the check runs in the background once the list and the dashboard are in,
nothing is written before it passes, and if it finds damage the window offers recovery
(``ui.recovery``) over the list.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QStatusTipEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop import APP_NAME, __version__
from alliance_desktop.domain.instruments import shipped_wording_credits
from alliance_desktop.domain.vocabulary import ClientStatus
from alliance_desktop.services.changes import Change, Changed, ChangeKind
from alliance_desktop.services.database import Database, StorageError
from alliance_desktop.ui.charts import X_DATE, X_NUMBER
from alliance_desktop.ui.client_detail import ClientDetail
from alliance_desktop.ui.client_list import ClientListPanel
from alliance_desktop.ui.controllers.alerts import AlertsController
from alliance_desktop.ui.controllers.backups import BackupsController
from alliance_desktop.ui.controllers.clients import ClientsController
from alliance_desktop.ui.controllers.measures import MeasuresController
from alliance_desktop.ui.controllers.practice import PracticeController
from alliance_desktop.ui.controllers.reports import ReportsController
from alliance_desktop.ui.controllers.security import SecurityController, lock_minutes
from alliance_desktop.ui.controllers.sessions import SessionsController
from alliance_desktop.ui.controllers.workspace import Workspace
from alliance_desktop.ui.dashboard import CaseloadDashboard
from alliance_desktop.ui.unlock import LockScreen
from alliance_desktop.ui.widgets import fit_to_screen

if TYPE_CHECKING:
    from alliance_desktop.ui.session_editor import SessionEditor

WELCOME_TEXT = (
    "<h2>Welcome to Alliance Desktop</h2>"
    "<p>The therapeutic alliance has three parts: <b>agreement on goals</b>, "
    "<b>collaboration on tasks</b> and the <b>emotional bond</b>. Rating them session by "
    "session shows a rupture early, while there is still time to repair it.</p>"
)


def _shortcut(standard: QKeySequence.StandardKey, fallback: str) -> list[QKeySequence]:
    """The platform's shortcut, or a common fallback where the platform has none."""
    return QKeySequence.keyBindings(standard) or [QKeySequence(fallback)]


class MainWindow(QMainWindow):
    """The application's one main window, on one open database at a time."""

    def __init__(
        self,
        db: Database,
        settings: QSettings | None = None,
        *,
        today: Callable[[], date] = date.today,
        check_first: bool = False,
        failures_before: int = 0,
    ) -> None:
        """``check_first``: ``db`` is unlocked but not yet checked; the window checks it in
        the background once its list is shown (``failures_before`` wrong passphrases came
        before the unlock, for the audit log)."""
        super().__init__()
        self.setObjectName("mainWindow")
        self._settings = settings
        self.workspace = Workspace(
            self, db, settings, check_first=check_first, failures_before=failures_before
        )
        self.events = self.workspace  # the change signal: ``events.dataChanged``
        self._demo = False
        self._closing_unwritten = False  # damage found: close writing nothing, asking nothing
        self._build_views()
        self.security = SecurityController(self, settings)
        self.alerts = AlertsController(
            self, lambda: self.workspace.db, self.workspace, self.workspace.say
        )
        self.sessions = SessionsController(
            self.workspace,
            self.alerts,
            lock=self.lock,
            select_client=self.client_list.select_client,
        )
        self.clients = ClientsController(
            self.workspace,
            self.client_list,
            self.detail,
            dashboard=self.dashboard,
            pages=self.stack,
            counts=self.database_status,
            # Behind the lock screen or during a restore the database is closed: no refresh.
            is_locked=lambda: self.security.is_locked or self.backups.restore_running,
            close_editors_of=lambda cid: self.sessions.discard_editors(client_id=cid),
            today=today,
        )
        self.practice = PracticeController(
            self.workspace,
            close_editors=self.sessions.close_editors,
            lock_minutes=lambda: lock_minutes(settings),
            apply_lock_minutes=self.security.apply_lock_minutes,
        )
        self.reports = ReportsController(
            self.workspace, edit_preferences=self.practice.edit_preferences, today=today
        )
        self.measures = MeasuresController(self.workspace)
        self.backups = BackupsController(
            self.workspace,
            self.backup_status,
            close_editors=self.sessions.close_editors,
            is_locked=lambda: self.security.is_locked,
            is_demo=lambda: self._demo,
        )
        self.backups.backup_running_changed = lambda: self.backup_action.setEnabled(  # type: ignore[method-assign]
            not self.backups.backup_running
        )
        self._build_actions()
        self._build_menus()
        self._wire_views()
        self.workspace.dataChanged.connect(self._data_changed)
        self.workspace.checked.connect(self._database_checked)
        fit_to_screen(self, 1280, 780)
        # The list gets a little over half: its Alliance and Alerts columns show in full.
        self.splitter.setSizes([self.width() * 53 // 100, self.width() * 47 // 100])
        self._restore_state()
        self.database_opened()

    # -- the open database (tests and the security controller reach it here) ------------

    @property
    def db(self) -> Database:
        return self.workspace.db

    @db.setter
    def db(self, db: Database) -> None:
        self.workspace.db = db

    @property
    def editors(self) -> list[SessionEditor]:
        return self.sessions.editors

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
        clients, sessions, reports = self.clients, self.sessions, self.reports
        backups, practice, security = self.backups, self.practice, self.security
        act = self._action
        self.new_client_action = act(
            "&New client…",
            "newClientAction",
            clients.new_client,
            _shortcut(QKeySequence.StandardKey.New, "Ctrl+N"),
        )
        self.edit_client_action = act(
            "&Edit client…",
            "editClientAction",
            self._for_selected(clients.edit_client),
            [QKeySequence("Ctrl+E")],
        )
        self.discharge_action = act(
            "Disc&harge client…", "dischargeAction", self._for_selected(clients.discharge_client)
        )
        self.delete_action = act(
            "&Delete client…",
            "deleteClientAction",
            self._for_selected(clients.delete_client),
            [QKeySequence("Ctrl+Shift+Delete")],
        )
        self.access_history_action = act(
            "Access &history…", "accessHistoryAction", self._for_selected(security.access_history)
        )
        self.export_client_action = act(
            "E&xport whole record…",
            "exportClientAction",
            self._for_selected(security.export_client),
        )
        self.review_risk_action = act(
            "Record risk re&view…",
            "reviewRiskAction",
            self._for_selected(self.alerts.review_risk, "record their risk review"),
        )
        self.new_goal_action = act(
            "New &goal…",
            "newGoalAction",
            self._for_selected(clients.new_goal, "agree a goal"),
            [QKeySequence("Ctrl+G")],
        )
        self.new_session_action = act(
            "&New session…",
            "newSessionAction",
            self._for_selected(sessions.new_session, "record their session"),
            [QKeySequence("Ctrl+Shift+N")],
        )
        self.open_session_action = act(
            "&Open selected session…", "openSessionAction", self._for_session(sessions.open_session)
        )
        self.delete_session_action = act(
            "&Delete selected session…",
            "deleteSessionAction",
            self._for_session(sessions.delete_session),
        )
        self.import_text_pack_action = act(
            "&Import instrument text pack…", "importTextPackAction", sessions.import_text_pack
        )
        self.instruments_action = act(
            "&Instruments…", "instrumentsAction", self.measures.open_instruments
        )
        self.progress_report_action = act(
            "&Progress summary…",
            "progressReportAction",
            self._for_selected(reports.progress_report, "print their progress summary"),
            _shortcut(QKeySequence.StandardKey.Print, "Ctrl+P"),
        )
        self.progress_report_action.setIconText("Print summary")
        self.caseload_report_action = act(
            "&Caseload summary…", "caseloadReportAction", reports.caseload_report
        )
        self.backup_action = act(
            "&Back up now…", "backupAction", backups.back_up_now, [QKeySequence("Ctrl+B")]
        )
        self.backup_action.setIconText("Back up now")
        self.restore_action = act(
            "&Restore from a backup…", "restoreAction", backups.open_restore_dialog
        )
        self.export_data_action = act(
            "E&xport all clients (JSON or CSV)…", "exportDataAction", backups.export_data
        )
        self.import_data_action = act(
            "&Import clients from an export…", "importDataAction", backups.import_data
        )
        self.find_action = act(
            "&Find client",
            "findAction",
            clients.focus_filter,
            _shortcut(QKeySequence.StandardKey.Find, "Ctrl+F"),
        )
        self.preferences_action = act(
            "&Preferences…",
            "preferencesAction",
            practice.edit_preferences,
            _shortcut(QKeySequence.StandardKey.Preferences, "Ctrl+,"),
        )
        self.preferences_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.open_demo_action = act(
            "Open &demo caseload", "openDemoAction", practice.open_demo_caseload
        )
        self.open_practice_action = act(
            "Back to my &practice database", "openPracticeAction", practice.open_practice_database
        )
        self.quit_action = act(
            "&Quit", "quitAction", self.close, _shortcut(QKeySequence.StandardKey.Quit, "Ctrl+Q")
        )
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.lock_action = act("&Lock", "lockAction", self.lock, [QKeySequence("Ctrl+L")])
        self.lock_action.setToolTip("Hide everything and close the database until unlocked")
        self.change_passphrase_action = act(
            "C&hange passphrase…", "changePassphraseAction", security.change_passphrase
        )
        self.recovery_sheet_action = act(
            "Print &recovery sheet…", "recoverySheetAction", security.recovery_sheet
        )
        self.about_action = act(f"&About {APP_NAME}", "aboutAction", self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

    def _build_menus(self) -> None:
        bar = self.menuBar()

        def menu(title: str, name: str, *entries: QAction | None) -> None:
            added = bar.addMenu(title)
            added.setObjectName(name)
            for entry in entries:
                if entry is None:
                    added.addSeparator()
                else:
                    added.addAction(entry)

        menu(
            "&File",
            "fileMenu",
            self.open_demo_action,
            self.open_practice_action,
            None,
            self.export_data_action,
            self.import_data_action,
            None,
            self.preferences_action,
            None,
            self.lock_action,
            self.change_passphrase_action,
            self.recovery_sheet_action,
            None,
            self.quit_action,
        )
        menu("&Edit", "editMenu", self.find_action)
        menu(
            "&Client",
            "clientMenu",
            self.new_client_action,
            self.edit_client_action,
            self.new_goal_action,
            self.review_risk_action,
            self.access_history_action,
            self.export_client_action,
            None,
            self.discharge_action,
            self.delete_action,
        )
        menu(
            "&Session",
            "sessionMenu",
            self.new_session_action,
            self.open_session_action,
            self.delete_session_action,
            None,
            self.import_text_pack_action,
        )
        menu("&Measures", "measuresMenu", self.instruments_action)
        menu("&Reports", "reportsMenu", self.progress_report_action, self.caseload_report_action)
        menu("&Backup", "backupMenu", self.backup_action, self.restore_action)
        menu("&Help", "helpMenu", self.about_action)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        for action in (
            self.new_client_action,
            self.new_session_action,
            self.progress_report_action,
            self.backup_action,
            self.find_action,
            self.lock_action,
        ):
            toolbar.addAction(action)

    def _build_views(self) -> None:
        self.client_list = ClientListPanel(self)
        self.detail = ClientDetail(self)
        self.stack = QStackedWidget(self)
        self.stack.setObjectName("rightPane")
        self.first_run_page = self._build_first_run()
        self.stack.addWidget(self.first_run_page)
        self.dashboard = CaseloadDashboard(self)
        self.stack.addWidget(self.dashboard)
        self.stack.addWidget(self.detail)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.client_list)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([660, 600])
        # The window's content and the lock screen take turns in one stack.
        self.lock_screen = LockScreen(
            self, self.workspace.unchecked_db.path, self._settings, self._unlock
        )
        self.content = QStackedWidget(self)
        self.content.setObjectName("content")
        self.content.addWidget(self.splitter)
        self.content.addWidget(self.lock_screen)
        self.setCentralWidget(self.content)
        # The status bar: messages on the left get the room; the counts and the last
        # backup sit at the right, small (the database's path is in their tooltip).
        self.statusBar().setObjectName("statusBar")
        self.database_status = QLabel(self)
        self.database_status.setObjectName("databaseStatus")
        self.database_status.setAccessibleName("Clients in this database")
        self.statusBar().addPermanentWidget(self.database_status)
        self.backup_status = QLabel(self)
        self.backup_status.setObjectName("backupStatus")
        self.backup_status.setAccessibleName("Last backup")
        self.statusBar().addPermanentWidget(self.backup_status)

    def _wire_views(self) -> None:
        detail, sessions = self.detail, self.sessions
        detail.newSessionRequested.connect(sessions.new_session)
        detail.openSessionRequested.connect(sessions.open_session)
        detail.deleteSessionRequested.connect(sessions.delete_session)
        detail.exportChartRequested.connect(
            lambda view: self.reports.export_chart(
                view, detail.record.fields.code if detail.record else "client"
            )
        )
        detail.riskReviewRequested.connect(self.alerts.review_risk)
        detail.acknowledgeRequested.connect(self.alerts.acknowledge)
        self.dashboard.riskReviewRequested.connect(self.alerts.review_risk)
        self.dashboard.acknowledgeRequested.connect(self.alerts.acknowledge)

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
        buttons = QHBoxLayout()
        # (Lambdas: the controllers are made after the views.)
        for label, name, slot, tip in (
            (
                "Your &practice details…",
                "practiceDetailsButton",
                lambda: self.practice.edit_preferences(),  # noqa: PLW0108
                "Practice name, clinician and credentials, printed on every report",
            ),
            (
                "&Add your first client",
                "addFirstClientButton",
                lambda: self.clients.new_client(),  # noqa: PLW0108
                "",
            ),
            (
                "Open a &demo caseload",
                "openDemoButton",
                lambda: self.practice.open_demo_caseload(),  # noqa: PLW0108
                "",
            ),
        ):
            button = QPushButton(label, page)
            button.setObjectName(name)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(36, 36, 36, 36)
        layout.addWidget(text)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return page

    # -- acting on the selection -----------------------------------------------------------

    def _for_selected(self, act: Any, purpose: str = "") -> Any:
        """A menu action's slot: ``act(client_id)`` on the client selected in the list."""

        def run() -> None:
            client_id = self.clients.selected()
            if client_id is None and self.client_list.model.total_count() == 0:
                self.workspace.complain(
                    "There are no clients yet. Add one first: Client → New client… (Ctrl+N)."
                )
                return
            if client_id is None:
                then = f", then {purpose}" if purpose else ""
                self.workspace.complain(f"Choose a client in the list first{then}.")
                return
            act(client_id)

        return run

    def _for_session(self, act: Any) -> Any:
        """A menu action's slot: ``act(client_id, session_id)`` on the selected session."""

        def run() -> None:
            session_id = self.detail.selected_session_id()
            if self.detail.record is None or session_id is None:
                self.workspace.complain("Choose a session on the client's Sessions tab first.")
                return
            act(self.detail.record.client_id, session_id)

        return run

    # -- database, lock ------------------------------------------------------------------

    def database_opened(self) -> None:
        """The database the window was made with is open: show it and load the list."""
        self._show_database(offer_drafts=True)
        self.clients.reload()

    def _show_database(self, *, offer_drafts: bool) -> None:
        """Say which database is open (title, tooltip, menu), and its last backup."""
        from alliance_desktop.services.demo import is_demo_database  # (the demo's code waits)

        db = self.workspace.unchecked_db  # reading only: the check may still be running
        self._demo = is_demo_database(db)
        demo = " — DEMO DATA (made-up clients)" if self._demo else ""
        self.setWindowTitle(f"{APP_NAME} — {db.path.name}{demo}")
        self.database_status.setToolTip(
            f"Database: {db.path}" + (" (demo data, not real clients)" if self._demo else "")
        )
        self.open_practice_action.setEnabled(db.path != self.workspace.practice_path)
        self.open_demo_action.setEnabled(not self._demo)
        self.backups.update_status()
        # After the window is shown, so the question sits on top of it.
        if offer_drafts:
            QTimer.singleShot(0, self.sessions.offer_drafts)

    def _data_changed(self, change: Change) -> None:
        if change.what & Changed.DATABASE:
            # (The clients controller reloads the list and the record from the same change;
            # after an unlock the editors come back from their drafts instead of an offer.)
            self._show_database(offer_drafts=change.kind is not ChangeKind.DATABASE_UNLOCKED)
        elif change.what & Changed.SETTINGS:
            self.backups.update_status()

    def _database_checked(self, problems: list[str], error: StorageError | None) -> None:
        """The background check of the database is over (``Workspace.check_soundness``)."""
        if error is not None:  # it could not run (busy, unreadable drive): as at an unlock
            QMessageBox.critical(self, APP_NAME, str(error))
            self._close_unwritten()
        elif problems:  # from the event loop itself, not from inside whatever waited
            QTimer.singleShot(0, self, self._offer_recovery)

    def _offer_recovery(self) -> None:
        """The database is damaged: offer to restore a backup or salvage what can be read,
        over the list (nothing has been written to it); quitting changes nothing."""
        from alliance_desktop.ui.background import wait_for_background_work
        from alliance_desktop.ui.recovery import recover

        if self.security.is_locked:
            # Locked meanwhile (the database is closed): the unlock checks it again and
            # says how to repair it; nothing was written.
            return
        wait_for_background_work()  # reads of the damaged file end before it is moved
        self.content.setEnabled(False)
        recovered = recover(self.workspace.unchecked_db, self)
        self.content.setEnabled(True)
        if recovered is None:
            self._close_unwritten()
            return
        self.workspace.db = recovered  # checked by ``recover``, the unlock logged
        self.workspace.announce(Change.database(replaced=True))

    def _close_unwritten(self) -> None:
        """Close the window without writing anything (no backup offer, no state of it)."""
        self._closing_unwritten = True
        self.close()

    def lock(self) -> None:
        """Lock now (Ctrl+L, the menu, the toolbar, or the idle timer)."""
        self.security.lock()

    def _unlock(self, passphrase: str, failures_before: int = 0) -> str:
        return self.security.unlock(passphrase, failures_before)

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
        self.backup_status.setText("")
        self.setWindowTitle(f"{APP_NAME} — locked")
        self.clients.clear_for_lock()

    def hide_lock_screen(self) -> None:
        for action in self.actions():
            action.setEnabled(True)
        self.menuBar().setEnabled(True)
        for toolbar in self.findChildren(QToolBar):
            toolbar.setEnabled(True)
        self.content.setCurrentWidget(self.splitter)

    def show_about(self) -> None:
        # Where the records are: what a therapist (or their IT helper) needs before moving to
        # a new laptop or uninstalling, and what an upgrade or uninstall never touches.
        records = html.escape(str(self.workspace.db.path))
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<b>{APP_NAME}</b> {__version__}<br>"
            "Records sessions and the therapeutic alliance, offline.<br>"
            f"Your records: {records}<br>"
            "Licensed under the GNU General Public License, version 3 or later.<br>"
            + "<br>".join(html.escape(line) for line in shipped_wording_credits()),
        )

    # -- remembered state ----------------------------------------------------------------

    def _restore_state(self) -> None:
        if self._settings is None:
            return
        geometry = self._settings.value("mainWindow/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)  # Qt moves a window from a missing screen back
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

    def _save_state(self, s: QSettings) -> None:
        s.setValue("mainWindow/geometry", self.saveGeometry())
        s.setValue("mainWindow/splitter", self.splitter.saveState())
        current = self.detail.tabs.currentWidget()
        s.setValue("mainWindow/clientTabName", current.objectName() if current else "")
        s.setValue("charts/xAxis", self.detail.charts_page.x_mode)
        s.setValue(
            "charts/hiddenSubscales", ",".join(sorted(self.detail.charts_page.hidden_subscales()))
        )
        status = self.client_list.status()
        s.setValue("clientList/status", status.value if status else "all")
        s.setValue("clientList/header", self.client_list.table.horizontalHeader().saveState())
        s.sync()

    def event(self, event: QEvent) -> bool:
        # Passing over a menu entry with no status tip would wipe the message in the status
        # bar ("Backed up … verified") before it could be read; the actions have no tips.
        if isinstance(event, QStatusTipEvent) and not event.tip():
            return True
        return super().event(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.backups.running:  # they finish first
            event.ignore()
            return
        if self.security.is_locked:  # nothing open to save or back up; quit as it stands
            self.workspace.forget_check()  # (a check ending later changes nothing now)
            super().closeEvent(event)
            return
        if self._closing_unwritten or self.workspace.checking or self.workspace.damage:
            # Nothing was written yet (no editor opens before the check has passed): no
            # typing to keep, and a database unchecked or damaged is not backed up.
            if self._settings is not None:
                self._save_state(self._settings)
            self.workspace.forget_check()  # (a check ending later changes nothing now)
            super().closeEvent(event)
            return
        if not self.sessions.close_editors():
            event.ignore()
            return
        closing_after_backup = self.backups.close_after_backup is not None
        if not closing_after_backup and self.backups.offer_before_closing(self.close):
            event.ignore()
            return
        if self._settings is not None:
            self._save_state(self._settings)
        self.workspace.forget_check()
        super().closeEvent(event)
