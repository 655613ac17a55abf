"""The caseload dashboard: what the right side shows when no client is selected.

It displays a ``services.dashboard.Dashboard``: counts (active clients, sessions this week,
measures done against due) and the clients with alerts, grouped by kind, each with the
alert's sentence. Activating a client (double-click or Enter) asks the window to open them;
"Record risk review…" and "Acknowledge…" act on the selected line's most pressing alert.
Every alert has an icon and a word as well as its sentence, never colour alone; urgent
(risk) lines have their own icon and colour and their group comes first.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QIcon, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop.domain.wording import SEVERITY_WORDS, URGENT_COLOUR
from alliance_desktop.services.dashboard import Dashboard
from alliance_desktop.ui.client_list import severity_icon

CLIENT_ID_ROLE = Qt.ItemDataRole.UserRole
ALERT_ROLE = Qt.ItemDataRole.UserRole + 2  # the line's most pressing stored alert (a dict)
#: A therapist acts on a handful; a caseload of thousands would otherwise fill the page with
#: hundreds of lines per heading. The client list's Alerts column shows them all.
MAX_LINES_PER_GROUP = 100
_WRAP = int(Qt.TextFlag.TextWordWrap)
GROUP_KIND_ROLE = Qt.ItemDataRole.UserRole + 1


def _measures_sentence(attended: int, alliance: int, outcome: int) -> str:
    """Measures done against due: one alliance and one outcome rating per attended session."""
    if attended == 0:
        return "No attended sessions yet, so no measures were due."

    def share(done: int) -> str:
        return f"<b>{done:,}</b> of {attended:,} ({round(100 * done / attended)}%)"

    return (
        f"Measures done: an alliance rating at {share(alliance)} attended sessions, an "
        f"outcome rating at {share(outcome)}."
    )


def _fitted(metrics: QFontMetrics, text: str, width: int) -> QSize:
    """The size a reason needs when wrapped to ``width`` (views do not work this out)."""
    height = metrics.boundingRect(QRect(0, 0, width, 0), _WRAP, text).height()
    return QSize(width, height + 6)


class CaseloadDashboard(QWidget):
    """Counts and alert groups for the whole caseload."""

    clientRequested = Signal(int)
    riskReviewRequested = Signal(int)  # client id
    acknowledgeRequested = Signal(int, object)  # client id, the stored alert (a dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseloadDashboard")
        self.dashboard: Dashboard | None = None
        self._stale = False
        self._fitted_width = 0
        self.heading = QLabel("<h2>Caseload</h2>", self)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.counts = QLabel(self)
        self.counts.setObjectName("caseloadCounts")
        self.counts.setTextFormat(Qt.TextFormat.RichText)
        self.counts.setWordWrap(True)
        self.alerts_heading = QLabel(self)
        self.alerts_heading.setObjectName("alertsHeading")
        self.alerts_heading.setTextFormat(Qt.TextFormat.RichText)
        self.alerts_heading.setWordWrap(True)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("alertGroups")
        self.tree.setAccessibleName("Clients with alerts, by kind")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Client", "Name", "Why"])
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setWordWrap(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideNone)  # wrap the reason, never cut it
        self.tree.setUniformRowHeights(False)
        self.tree.setAllColumnsShowFocus(True)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        self.tree.setColumnWidth(1, 160)
        self.tree.itemActivated.connect(self._activated)
        # Views size rows before they know the column's width, so wrapped reasons would be
        # cut; rows are re-fitted (coalesced) whenever the reason column changes width.
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_rows)
        header.sectionResized.connect(lambda *_: self._fit_timer.start())
        self.hint = QLabel(
            "Double-click a client (or press Enter) to open their record. Select a client on "
            "the left, or press Ctrl+F to find one.",
            self,
        )
        self.hint.setWordWrap(True)
        self.review_button = QPushButton("Record risk re&view…", self)
        self.review_button.setObjectName("dashboardReviewButton")
        self.review_button.setToolTip(
            "Record a risk review for the selected client: the only way a risk alert clears"
        )
        self.acknowledge_button = QPushButton("Ac&knowledge…", self)
        self.acknowledge_button.setObjectName("dashboardAcknowledgeButton")
        self.acknowledge_button.setToolTip(
            "Hide the selected alert until it fires again on a newer rating"
        )
        self.review_button.clicked.connect(self._review)
        self.acknowledge_button.clicked.connect(self._acknowledge)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()
        actions = QHBoxLayout()
        actions.addWidget(self.review_button)
        actions.addWidget(self.acknowledge_button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 16, 12)
        layout.addWidget(self.heading)
        layout.addWidget(self.counts)
        layout.addSpacing(8)
        layout.addWidget(self.alerts_heading)
        layout.addWidget(self.tree, 1)
        layout.addLayout(actions)
        layout.addWidget(self.hint)
        layout.addStretch(0)  # the rest of the page, while the tree is hidden

    def show_loading(self) -> None:
        """Say the overview is on its way (the window's first load shows the list first)."""
        self.dashboard = None
        self._stale = False
        self.counts.setText("<p>Loading the caseload overview…</p>")
        self.alerts_heading.setText("")
        self.tree.clear()
        for widget in (self.tree, self.review_button, self.acknowledge_button, self.hint):
            widget.hide()

    def show_dashboard(self, dashboard: Dashboard) -> None:
        """Display ``dashboard`` now if it is on screen, else when it is next shown.

        The list reloads after every save; with thousands of alerts, building the tree for
        a page nobody is looking at would take tens of milliseconds of the UI thread.
        """
        self.dashboard = dashboard
        self._stale = True
        if self.isVisible():
            self._rebuild()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._rebuild()

    def _rebuild(self) -> None:
        """Fill the page from ``self.dashboard``, keeping which groups were collapsed."""
        dashboard = self.dashboard
        self._stale = False
        if dashboard is None:
            return
        collapsed = {top.data(0, GROUP_KIND_ROLE) for top in self._groups() if not top.isExpanded()}
        for widget in (self.review_button, self.acknowledge_button, self.hint):
            widget.show()  # (hidden while loading)
        week = dashboard.week
        paused = f", {dashboard.paused_clients:,} paused" if dashboard.paused_clients else ""
        self.counts.setText(
            f"<p><b>{dashboard.active_clients:,}</b> active clients{paused}.</p>"
            f"<p>This week (from Monday {dashboard.week_start.isoformat()}): "
            f"<b>{week.sessions:,}</b> sessions, {week.attended:,} attended.<br>"
            f"{_measures_sentence(week.attended, week.alliance_rated, week.outcome_rated)}</p>"
        )
        self.tree.setUpdatesEnabled(False)  # one repaint for the whole rebuild
        try:
            self._fill_tree(dashboard, collapsed)
        finally:
            self.tree.setUpdatesEnabled(True)
        self._update_buttons()  # the line acted on may be gone

    def _fill_tree(self, dashboard: Dashboard, collapsed: set[object]) -> None:
        self.tree.clear()
        if not dashboard.groups:
            self.alerts_heading.setText(
                "<p>No client has an alert. Alerts appear here when an alliance score falls "
                "under the cut-off or drops, a subscale falls, a measure is overdue, or the "
                "outcome is not on track.</p>"
            )
            self.tree.hide()
            return
        self.tree.show()
        self.alerts_heading.setText(
            f"<p><b>{dashboard.clients_with_alerts:,}</b> "
            f"client{'s' if dashboard.clients_with_alerts != 1 else ''} with alerts:</p>"
        )
        icons = {severity: QIcon(severity_icon(severity)) for severity in SEVERITY_WORDS}
        urgent = QBrush(QColor(URGENT_COLOUR))
        width, metrics = self._reason_width(), self.tree.fontMetrics()
        self._fitted_width = width
        tops = []
        for group in dashboard.groups:
            top = QTreeWidgetItem([f"{group.title} ({len(group.entries):,})"])
            top.setData(0, GROUP_KIND_ROLE, str(group.kind))
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            children = []
            # Items are sized before they join the tree: sizing them there costs ten times more.
            for entry in group.entries[:MAX_LINES_PER_GROUP]:
                severities = [str(a.get("severity", entry.severity)) for a in entry.alerts]
                severities += [entry.severity] * (len(entry.reasons) - len(severities))
                why = "\n".join(
                    f"{SEVERITY_WORDS.get(sev, SEVERITY_WORDS['warning'])}: {reason}"
                    for sev, reason in zip(severities, entry.reasons, strict=True)
                )
                child = QTreeWidgetItem([entry.code, entry.name, why])
                child.setIcon(0, icons.get(entry.severity, icons["warning"]))
                child.setData(0, CLIENT_ID_ROLE, entry.client_id)
                if entry.alerts:
                    child.setData(0, ALERT_ROLE, dict(entry.alerts[0]))
                if entry.severity == "urgent":
                    for column in range(3):
                        child.setForeground(column, urgent)
                child.setToolTip(2, escape(why))
                child.setSizeHint(2, _fitted(metrics, child.text(2), width))
                children.append(child)
            hidden = len(group.entries) - len(children)
            if hidden > 0:
                more = QTreeWidgetItem(
                    [
                        "",
                        "",
                        f"… and {hidden:,} more. Sort the client list by its Alerts column "
                        "to see every client with an alert.",
                    ]
                )
                more.setSizeHint(2, _fitted(metrics, more.text(2), width))
                children.append(more)
            top.addChildren(children)
            tops.append(top)
        self.tree.addTopLevelItems(tops)
        for top in tops:
            top.setFirstColumnSpanned(True)
            top.setExpanded(top.data(0, GROUP_KIND_ROLE) not in collapsed)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_timer.start()

    def _reason_width(self) -> int:
        return max(80, self.tree.columnWidth(2) - 8)

    def _fit_rows(self) -> None:
        """Give each client row the height its wrapped reason needs in the column's width."""
        width, metrics = self._reason_width(), self.tree.fontMetrics()
        if width == self._fitted_width:
            return
        self._fitted_width = width
        self.tree.setUpdatesEnabled(False)
        try:
            for top in self._groups():
                for j in range(top.childCount()):
                    child = top.child(j)
                    if child is not None:
                        child.setSizeHint(2, _fitted(metrics, child.text(2), width))
        finally:
            self.tree.setUpdatesEnabled(True)

    def _selected_alert(self) -> tuple[int, dict[str, Any]] | None:
        item = self.tree.currentItem()
        if item is None or item.data(0, CLIENT_ID_ROLE) is None:
            return None
        alert = item.data(0, ALERT_ROLE)
        return int(item.data(0, CLIENT_ID_ROLE)), dict(alert) if isinstance(alert, dict) else {}

    def _update_buttons(self) -> None:
        chosen = self._selected_alert()
        risky = chosen is not None and chosen[1].get("kind") in ("risk", "risk_ongoing")
        self.review_button.setEnabled(risky)
        self.acknowledge_button.setEnabled(chosen is not None and bool(chosen[1]) and not risky)

    def _review(self) -> None:
        chosen = self._selected_alert()
        if chosen is not None:
            self.riskReviewRequested.emit(chosen[0])

    def _acknowledge(self) -> None:
        chosen = self._selected_alert()
        if chosen is not None and chosen[1]:
            self.acknowledgeRequested.emit(chosen[0], chosen[1])

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        client_id = item.data(0, CLIENT_ID_ROLE)
        if client_id is not None:
            self.clientRequested.emit(int(client_id))
        else:
            item.setExpanded(not item.isExpanded())

    def entries_shown(self) -> dict[str, list[tuple[int, str]]]:
        """Group title -> [(client id, reason text)] as displayed (for tests and checks)."""
        shown: dict[str, list[tuple[int, str]]] = {}
        for top in self._groups():
            children = [top.child(j) for j in range(top.childCount())]
            shown[top.text(0)] = [
                (int(c.data(0, CLIENT_ID_ROLE)), c.text(2))
                for c in children
                if c is not None and c.data(0, CLIENT_ID_ROLE) is not None
            ]
        return shown

    def _groups(self) -> list[QTreeWidgetItem]:
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        return [item for item in items if item is not None]
