"""The selected client on the right of the main window: summary, alerts, goals, sessions.

The widget only displays a ``ClientRecord`` and announces what the user asked for; the main
window calls the services. Alerts carry an icon, a word and a sentence, never colour alone;
an urgent (risk) alert has its own icon and colour, and each alert its action: "Record risk
review…" for a risk alert, "Acknowledge…" for any other.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop.domain.instruments import INSTRUMENTS, QUESTIONNAIRE_IDS
from alliance_desktop.domain.vocabulary import (
    APPROACH_LABELS,
    Attendance,
    ClientStatus,
    GoalStatus,
)
from alliance_desktop.domain.wording import SEVERITY_WORDS, score_cell, score_words
from alliance_desktop.services.clients import ClientRecord
from alliance_desktop.services.summaries import active_alerts
from alliance_desktop.ui.alert_dialogs import severity_html
from alliance_desktop.ui.charts import ChartsPage
from alliance_desktop.ui.client_list import STATUS_LABELS, severity_icon

ATTENDANCE_LABELS = {
    Attendance.ATTENDED: "Attended",
    Attendance.CANCELLED: "Cancelled",
    Attendance.NO_SHOW: "No-show",
}
GOAL_STATUS_LABELS = {
    GoalStatus.ACTIVE: "Active",
    GoalStatus.ACHIEVED: "Achieved",
    GoalStatus.REVISED: "Revised",
    GoalStatus.DROPPED: "Dropped",
}
#: One column per questionnaire, in the registry's order; a client's table hides the
#: columns of measures none of their sessions has.
SESSION_MEASURES = QUESTIONNAIRE_IDS
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _item(text: str, *, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if right:
        item.setTextAlignment(_RIGHT)
    return item


def _table(parent: QWidget, name: str, headers: list[str], accessible: str) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(name)
    table.setAccessibleName(accessible)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)  # Tab moves on to the buttons, not cell to cell
    table.horizontalHeader().setStretchLastSection(True)
    return table


class ClientDetail(QWidget):
    """Shows one client. Signals carry the client or goal id the user acted on."""

    editRequested = Signal(int)
    dischargeRequested = Signal(int)
    deleteRequested = Signal(int)
    addGoalRequested = Signal(int)
    editGoalRequested = Signal(int)
    goalStatusRequested = Signal(int, object)  # goal id, GoalStatus
    newSessionRequested = Signal(int)  # client id
    openSessionRequested = Signal(int, int)  # client id, session id
    deleteSessionRequested = Signal(int, int)  # client id, session id
    exportChartRequested = Signal(object)  # the chart view to export
    riskReviewRequested = Signal(int)  # client id
    acknowledgeRequested = Signal(int, object)  # client id, the stored alert (a dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clientDetail")
        self.setAccessibleName("Selected client")
        self.record: ClientRecord | None = None

        self.header = QLabel(self)
        self.header.setObjectName("clientHeader")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        # Alt+letters avoid the menus' F, E, C, S, R, B and H (see client_list.py).
        self.edit_button = QPushButton("Edi&t…", self)
        self.edit_button.setObjectName("editClientButton")
        self.discharge_button = QPushButton("Disch&arge…", self)
        self.discharge_button.setObjectName("dischargeClientButton")
        self.delete_button = QPushButton("&Delete…", self)
        self.delete_button.setObjectName("deleteClientButton")
        actions = QHBoxLayout()
        actions.addWidget(self.edit_button)
        actions.addWidget(self.discharge_button)
        actions.addStretch(1)
        actions.addWidget(self.delete_button)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("clientTabs")
        # The order UI.md gives: what is going on, what happened, how it is going, what for.
        self.overview_tab = self._build_overview()
        self.sessions_tab = self._build_sessions()
        self.charts_page = ChartsPage(self)
        self.goals_tab = self._build_goals()
        self.tabs.addTab(self.overview_tab, "&Overview")
        self.tabs.addTab(self.sessions_tab, "Sess&ions")
        self.tabs.addTab(self.charts_page, "Alliance && o&utcome")
        self.tabs.addTab(self.goals_tab, "Goa&ls")
        self.charts_page.sessionActivated.connect(self._emit_chart_session)
        self._sessions_stale = False
        self.tabs.currentChanged.connect(self._tab_changed)
        self.charts_page.exportRequested.connect(self.exportChartRequested)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.addWidget(self.header)
        layout.addLayout(actions)
        layout.addWidget(self.tabs, 1)

        self.edit_button.clicked.connect(lambda: self._emit_client(self.editRequested))
        self.discharge_button.clicked.connect(lambda: self._emit_client(self.dischargeRequested))
        self.delete_button.clicked.connect(lambda: self._emit_client(self.deleteRequested))

    # -- building ------------------------------------------------------------------------

    def _build_overview(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("overviewTab")
        form = QFormLayout()
        self.overview: dict[str, QLabel] = {}
        for key, label in (
            ("approach", "Approach"),
            ("status", "Status"),
            ("intake", "Intake"),
            ("born", "Date of birth"),
            ("contact", "Contact"),
            ("concern", "Presenting concern"),
            ("sessions", "Sessions"),
            ("scores", "Latest scores"),
        ):
            value = QLabel(page)
            value.setObjectName(f"{key}Value")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(label)
            self.overview[key] = value
            form.addRow(f"{label}:", value)
        self.alerts_heading = QLabel("<b>Active alerts</b>", page)
        self.alerts_box = QVBoxLayout()
        self.history_heading = QLabel("<b>Risk reviews and acknowledged alerts</b>", page)
        self.history = QLabel(page)
        self.history.setObjectName("alertHistory")
        self.history.setAccessibleName("Risk reviews and acknowledged alerts")
        self.history.setWordWrap(True)
        self.history.setTextFormat(Qt.TextFormat.RichText)
        self.history.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.goals_summary = QLabel(page)
        self.goals_summary.setObjectName("goalsSummary")
        self.goals_summary.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(self.alerts_heading)
        layout.addLayout(self.alerts_box)
        layout.addSpacing(8)
        layout.addWidget(QLabel("<b>Goals</b>", page))
        layout.addWidget(self.goals_summary)
        layout.addSpacing(8)
        history_row = QHBoxLayout()
        history_row.addWidget(self.history_heading, 1)
        # Always there: a risk disclosed in conversation, or a follow-up review, needs no alert.
        self.history_review_button = QPushButton("Record risk review…", page)
        self.history_review_button.setObjectName("historyReviewButton")
        self.history_review_button.setToolTip(
            "Record a risk review for this client (also when no alert is showing)"
        )
        self.history_review_button.clicked.connect(
            lambda: self._emit_client(self.riskReviewRequested)
        )
        history_row.addWidget(self.history_review_button)
        layout.addLayout(history_row)
        layout.addWidget(self.history)
        layout.addStretch(1)
        scroll = QScrollArea(self)  # a long presenting concern or many alerts can scroll
        scroll.setObjectName("overviewScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(page)
        return scroll

    def _build_goals(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("goalsTab")
        self.goals_table = _table(
            page, "goalsTable", ["Goal", "Agreed", "Status", "Rating (first → latest)"], "Goals"
        )
        header = self.goals_table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QHBoxLayout()
        self.add_goal_button = QPushButton("New &goal…", page)
        self.add_goal_button.setObjectName("addGoalButton")
        self.edit_goal_button = QPushButton("Edit goal…", page)
        self.edit_goal_button.setObjectName("editGoalButton")
        buttons.addWidget(self.add_goal_button)
        buttons.addWidget(self.edit_goal_button)
        buttons.addStretch(1)
        self.goal_status_buttons: dict[GoalStatus, QPushButton] = {}
        for status, text in (
            (GoalStatus.ACHIEVED, "Achieved"),
            (GoalStatus.REVISED, "Revised"),
            (GoalStatus.DROPPED, "Dropped"),
            (GoalStatus.ACTIVE, "Reopen"),
        ):
            button = QPushButton(text, page)
            button.setObjectName(f"goal{status.value.title()}Button")
            button.setToolTip(f"Mark the selected goal {GOAL_STATUS_LABELS[status].lower()}")
            button.clicked.connect(lambda _=False, s=status: self._emit_goal_status(s))
            self.goal_status_buttons[status] = button
            buttons.addWidget(button)
        self.add_goal_button.clicked.connect(lambda: self._emit_client(self.addGoalRequested))
        self.edit_goal_button.clicked.connect(self._emit_edit_goal)
        self.goals_table.itemSelectionChanged.connect(self._update_goal_buttons)
        self.goals_table.itemDoubleClicked.connect(lambda _item: self._emit_edit_goal())
        layout = QVBoxLayout(page)
        layout.addWidget(self.goals_table)
        layout.addLayout(buttons)
        return page

    def _build_sessions(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("sessionsTab")
        self.sessions_table = _table(page, "sessionsTable", [], "Sessions")
        # Compact columns sized to what they hold, so every measure and Ruptures show
        # without scrolling sideways at the window's default size.
        self.sessions_table.setWordWrap(False)
        self._measure_columns: tuple[str, ...] = ()
        self._set_session_columns()
        metrics = self.sessions_table.fontMetrics()
        self.sessions_table.verticalHeader().setDefaultSectionSize(metrics.height() + 8)
        # Activated is double-click (or Enter); doubleClicked as well would open it twice.
        self.sessions_table.activated.connect(lambda *_: self._emit_session(True))
        self.new_session_button = QPushButton("New session…", page)
        self.new_session_button.setObjectName("newSessionButton")
        self.new_session_button.setToolTip("Record a new session (Ctrl+Shift+N)")
        self.new_session_button.clicked.connect(lambda: self._emit_client(self.newSessionRequested))
        self.open_session_button = QPushButton("Open session…", page)
        self.open_session_button.setObjectName("openSessionButton")
        self.open_session_button.clicked.connect(lambda: self._emit_session(True))
        self.delete_session_button = QPushButton("Delete session…", page)
        self.delete_session_button.setObjectName("deleteSessionButton")
        self.delete_session_button.clicked.connect(lambda: self._emit_session(False))
        # No Alt letters here: the Session menu has each of these with its shortcut, and the
        # letters are taken by the menus, the list and the tabs.
        self.sessions_note = QLabel("Double-click a session (or press Enter) to open it.", page)
        self.sessions_note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_session_button)
        buttons.addWidget(self.open_session_button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_session_button)
        layout = QVBoxLayout(page)
        layout.addLayout(buttons)
        layout.addWidget(self.sessions_table)
        layout.addWidget(self.sessions_note)
        return page

    # -- showing -------------------------------------------------------------------------

    def show_record(self, record: ClientRecord) -> None:
        """Display ``record``, keeping the current tab and the selected goal if it remains."""
        selected_goal = self.selected_goal_id()
        self.record = record
        f = record.fields
        name = f"{f.given_name} {f.family_name}".strip()
        row = record.row
        alerts = active_alerts(row) if row is not None and row.summary is not None else []
        alert_note = ""
        if alerts:
            count = f"{len(alerts)} alert{'s' if len(alerts) > 1 else ''}"
            if any(a.get("severity") == "urgent" for a in alerts):
                alert_note = " · " + severity_html("urgent", count)
            else:
                alert_note = f" · ⚠ {count}"
        self.header.setText(
            f"<span style='font-size:15pt'><b>{escape(f.code)}</b>&nbsp;&nbsp;{escape(name)}"
            f"</span><br>{escape(APPROACH_LABELS[f.approach])} · "
            f"{escape(STATUS_LABELS[f.status])} · since {f.intake_date.isoformat()}"
            f"{alert_note}"
        )
        self.discharge_button.setEnabled(f.status is not ClientStatus.DISCHARGED)
        self._fill_overview(record, alerts)
        self._fill_goals(record, selected_goal)
        # The session table of a long-running client is the slowest part to fill: fill it
        # now only if it is on screen, else when its tab is shown (emptied meanwhile, so a
        # menu action can never act on the previous client's selected session).
        self._sessions_stale = True
        if self.tabs.currentWidget() is self.sessions_tab:
            self._fill_sessions(record)
        else:
            self.sessions_table.setRowCount(0)
        self.charts_page.set_charts(record.charts)

    def _fill_overview(self, record: ClientRecord, alerts: list[dict[str, object]]) -> None:
        f = record.fields
        o = self.overview
        o["approach"].setText(APPROACH_LABELS[f.approach])
        status = STATUS_LABELS[f.status]
        if f.discharge_date:
            status += f" on {f.discharge_date.isoformat()}"
        o["status"].setText(status)
        o["intake"].setText(f.intake_date.isoformat())
        o["born"].setText(f.date_of_birth.isoformat() if f.date_of_birth else "—")
        contact = " · ".join(x for x in (f.email, f.phone, f.address) if x)
        o["contact"].setText(contact or "—")
        o["concern"].setText(f.presenting_concern or "—")
        counts = {a: 0 for a in Attendance}
        for s in record.sessions:
            counts[s.attendance] += 1
        o["sessions"].setText(
            f"{counts[Attendance.ATTENDED]} attended · {counts[Attendance.CANCELLED]} "
            f"cancelled · {counts[Attendance.NO_SHOW]} no-show"
        )
        latest: dict[str, tuple[str, str]] = {}
        for s in record.sessions:
            for instrument_id, result in s.results.items():
                if instrument_id in INSTRUMENTS:  # an incomplete form too: it is the latest
                    words = score_words(result, INSTRUMENTS[instrument_id])
                    latest[instrument_id] = (words, s.start.date().isoformat())
        o["scores"].setText(
            " · ".join(f"{name} {words} ({day})" for name, (words, day) in sorted(latest.items()))
            or "No measures recorded yet."
        )
        while self.alerts_box.count():
            taken = self.alerts_box.takeAt(0)
            child = taken.widget() if taken is not None else None
            if child is not None:
                child.deleteLater()
        for alert in alerts:
            self.alerts_box.addWidget(self._alert_row(record.client_id, alert))
        if not alerts:
            none = QLabel("None.", self)
            none.setObjectName("noAlerts")
            self.alerts_box.addWidget(none)
        self.history.setText(
            "".join(
                f"<p style='margin-bottom:6px'>{day.isoformat()} · {escape(text)}</p>"
                for day, _kind, text in record.history
            )
            or "None recorded."
        )
        goal_lines = [
            f"{GOAL_STATUS_LABELS[g.status]}: {escape(g.description)}"
            + (
                f" (rated {g.first_rating:g} → {g.latest_rating:g})"
                if g.first_rating is not None and g.latest_rating is not None
                else ""
            )
            for g in record.goals
        ]
        self.goals_summary.setText(
            "<br>".join(goal_lines) if goal_lines else "No goals agreed yet."
        )

    def _alert_row(self, client_id: int, alert: dict[str, object]) -> QWidget:
        """One alert: its severity's icon, word and sentence, and the action it calls for."""
        severity = str(alert.get("severity", "warning"))
        reason = str(alert.get("reason", ""))
        row = QWidget(self)
        row.setObjectName("alertRow")
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        picture = QLabel(row)
        picture.setObjectName(f"alertIcon_{severity}")
        picture.setPixmap(severity_icon(severity))
        text = QLabel(severity_html(severity, reason), row)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setWordWrap(True)
        text.setObjectName("alertText")
        word = SEVERITY_WORDS.get(severity, severity)
        text.setAccessibleName(f"{word}: {reason}")
        if str(alert.get("kind")) in ("risk", "risk_ongoing"):
            button = QPushButton("Record risk review…", row)
            button.setObjectName("reviewRiskButton")
            button.setToolTip("Record the date, what was done and whether risk is ongoing")
            button.clicked.connect(lambda: self.riskReviewRequested.emit(client_id))
        else:
            button = QPushButton("Acknowledge…", row)
            button.setObjectName("acknowledgeAlertButton")
            button.setToolTip(
                "Hide this alert until it fires again on a newer rating (with an optional note)"
            )
            button.clicked.connect(lambda: self.acknowledgeRequested.emit(client_id, alert))
        button.setAccessibleName(f"{button.text().rstrip('…')}: {reason[:80]}")
        line.addWidget(picture, 0, Qt.AlignmentFlag.AlignTop)
        line.addWidget(text, 1)
        line.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def _fill_goals(self, record: ClientRecord, keep_selected: int | None) -> None:
        table = self.goals_table
        table.setRowCount(len(record.goals))
        for row, g in enumerate(record.goals):
            description = _item(g.description)
            description.setData(Qt.ItemDataRole.UserRole, g.goal_id)
            description.setToolTip(g.description)
            table.setItem(row, 0, description)
            table.setItem(row, 1, _item(g.agreed_on.isoformat()))
            status = GOAL_STATUS_LABELS[g.status]
            if g.closed_on:
                status += f" {g.closed_on.isoformat()}"
            table.setItem(row, 2, _item(status))
            ratings = (
                f"{g.first_rating:g} → {g.latest_rating:g}"
                if g.first_rating is not None and g.latest_rating is not None
                else "not rated yet"
            )
            table.setItem(row, 3, _item(ratings, right=True))
            if g.goal_id == keep_selected:
                table.selectRow(row)
        self._update_goal_buttons()

    def _tab_changed(self) -> None:
        showing = self.tabs.currentWidget() is self.sessions_tab
        if showing and self.record is not None and self._sessions_stale:
            self._fill_sessions(self.record)

    def _fill_sessions(self, record: ClientRecord) -> None:
        self._sessions_stale = False
        self._set_session_columns()
        measures = self._measure_columns
        table = self.sessions_table
        table.setRowCount(len(record.sessions))
        for row, s in enumerate(reversed(record.sessions)):  # newest first
            number = _item(str(s.number), right=True)
            number.setData(Qt.ItemDataRole.UserRole, s.session_id)
            table.setItem(row, 0, number)
            table.setItem(row, 1, _item(s.start.strftime("%Y-%m-%d %H:%M")))
            table.setItem(row, 2, _item(ATTENDANCE_LABELS[s.attendance]))
            for column, instrument_id in enumerate(measures, start=3):
                result = s.results.get(instrument_id)
                text = "" if result is None else score_cell(result, INSTRUMENTS[instrument_id])
                cell = _item(text, right=True)
                if result is not None and (result.prorated or result.incomplete):
                    cell.setToolTip(score_words(result, INSTRUMENTS[instrument_id]))
                table.setItem(row, column, cell)
            table.setItem(row, 3 + len(measures), _item("Yes" if s.ruptures else ""))
        used = {i for s in record.sessions for i in s.results}
        for column, instrument_id in enumerate(measures, start=3):
            table.setColumnHidden(column, bool(used) and instrument_id not in used)

    def _set_session_columns(self) -> None:
        """One column per questionnaire in the registry (the practice's own included, so
        the columns follow an instrument added since the window opened)."""
        measures = tuple(SESSION_MEASURES)
        if measures == self._measure_columns:
            return
        self._measure_columns = measures
        table = self.sessions_table
        headers = ["#", "Date", "Attendance", *measures, "Ruptures"]
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels(headers)
        metrics = table.fontMetrics()
        pad = 10
        widths = [
            metrics.horizontalAdvance("999") + pad,
            metrics.horizontalAdvance("2026-11-16 13:00") + pad,
            max(metrics.horizontalAdvance(t) for t in ("Attendance", *ATTENDANCE_LABELS.values()))
            + pad,
            *(
                max(metrics.horizontalAdvance(m), metrics.horizontalAdvance("00.0*")) + pad
                for m in measures
            ),
        ]
        for column, width in enumerate(widths):
            table.setColumnWidth(column, width)

    # -- goal selection ------------------------------------------------------------------

    def selected_goal_id(self) -> int | None:
        rows = self.goals_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.goals_table.item(rows[0].row(), 0)
        value = item.data(Qt.ItemDataRole.UserRole) if item else None
        return int(value) if value is not None else None

    def select_goal_row(self, row: int) -> None:
        self.goals_table.selectRow(row)

    def _selected_goal_status(self) -> GoalStatus | None:
        goal_id = self.selected_goal_id()
        if self.record is None or goal_id is None:
            return None
        return next((g.status for g in self.record.goals if g.goal_id == goal_id), None)

    def _update_goal_buttons(self) -> None:
        status = self._selected_goal_status()
        self.edit_goal_button.setEnabled(status is not None)
        for target, button in self.goal_status_buttons.items():
            button.setEnabled(status is not None and status is not target)

    def _emit_client(self, signal: SignalInstance) -> None:
        if self.record is not None:
            signal.emit(self.record.client_id)

    def selected_session_id(self) -> int | None:
        rows = self.sessions_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.sessions_table.item(rows[0].row(), 0)
        value = item.data(Qt.ItemDataRole.UserRole) if item else None
        return int(value) if value is not None else None

    def _emit_session(self, open_it: bool) -> None:
        session_id = self.selected_session_id()
        if self.record is None or session_id is None:
            return
        signal = self.openSessionRequested if open_it else self.deleteSessionRequested
        signal.emit(self.record.client_id, session_id)

    def _emit_chart_session(self, session_id: int) -> None:
        if self.record is not None:
            self.openSessionRequested.emit(self.record.client_id, session_id)

    def _emit_edit_goal(self) -> None:
        goal_id = self.selected_goal_id()
        if goal_id is not None:
            self.editGoalRequested.emit(goal_id)

    def _emit_goal_status(self, status: GoalStatus) -> None:
        goal_id = self.selected_goal_id()
        if goal_id is not None:
            self.goalStatusRequested.emit(goal_id, status)
