"""The caseload dashboard: what the right side shows when no client is selected.

It displays a ``services.dashboard.Dashboard``: counts (active clients, sessions this week,
measures done against due) and the clients with alerts, grouped by kind, each with the
alert's sentence. Activating a client (double-click or Enter) asks the window to open them.
Every alert has an icon and a word as well as its sentence, never colour alone.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop.services.dashboard import Dashboard

SEVERITY_WORDS = {"urgent": "Urgent", "warning": "Alert", "info": "Note"}
_SEVERITY_ICONS = {
    "urgent": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
}
CLIENT_ID_ROLE = Qt.ItemDataRole.UserRole
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


class CaseloadDashboard(QWidget):
    """Counts and alert groups for the whole caseload."""

    clientRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseloadDashboard")
        self.dashboard: Dashboard | None = None
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 16, 12)
        layout.addWidget(self.heading)
        layout.addWidget(self.counts)
        layout.addSpacing(8)
        layout.addWidget(self.alerts_heading)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.hint)

    def show_dashboard(self, dashboard: Dashboard) -> None:
        """Display ``dashboard``, keeping which groups the user had collapsed."""
        collapsed = {top.data(0, GROUP_KIND_ROLE) for top in self._groups() if not top.isExpanded()}
        self.dashboard = dashboard
        week = dashboard.week
        paused = f", {dashboard.paused_clients:,} paused" if dashboard.paused_clients else ""
        self.counts.setText(
            f"<p><b>{dashboard.active_clients:,}</b> active clients{paused}.</p>"
            f"<p>This week (from Monday {dashboard.week_start.isoformat()}): "
            f"<b>{week.sessions:,}</b> sessions, {week.attended:,} attended.<br>"
            f"{_measures_sentence(week.attended, week.alliance_rated, week.outcome_rated)}</p>"
        )
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
        style = self.style()
        for group in dashboard.groups:
            top = QTreeWidgetItem([f"{group.title} ({len(group.entries):,})"])
            top.setData(0, GROUP_KIND_ROLE, str(group.kind))
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            self.tree.addTopLevelItem(top)
            top.setFirstColumnSpanned(True)
            children = []
            for entry in group.entries:
                word = SEVERITY_WORDS.get(entry.severity, "Alert")
                child = QTreeWidgetItem([entry.code, entry.name, f"{word}: {entry.reason}"])
                child.setIcon(
                    0,
                    style.standardIcon(
                        _SEVERITY_ICONS.get(entry.severity, _SEVERITY_ICONS["warning"])
                    ),
                )
                child.setData(0, CLIENT_ID_ROLE, entry.client_id)
                child.setToolTip(2, escape(entry.reason))
                children.append(child)
            top.addChildren(children)
            top.setExpanded(str(group.kind) not in collapsed)
        self._fit_timer.start()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_timer.start()

    def _fit_rows(self) -> None:
        """Give each client row the height its wrapped reason needs in the column's width."""
        width = max(80, self.tree.columnWidth(2) - 8)
        metrics = self.tree.fontMetrics()
        flags = int(Qt.TextFlag.TextWordWrap)
        for top in self._groups():
            for j in range(top.childCount()):
                child = top.child(j)
                if child is None:
                    continue
                height = metrics.boundingRect(QRect(0, 0, width, 0), flags, child.text(2)).height()
                child.setSizeHint(2, QSize(width, height + 6))

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        client_id = item.data(0, CLIENT_ID_ROLE)
        if client_id is not None:
            self.clientRequested.emit(int(client_id))
        else:
            item.setExpanded(not item.isExpanded())

    def entries_shown(self) -> dict[str, list[tuple[int, str]]]:
        """Group title -> [(client id, reason line)] as displayed (for tests and checks)."""
        shown: dict[str, list[tuple[int, str]]] = {}
        for top in self._groups():
            children = [top.child(j) for j in range(top.childCount())]
            shown[top.text(0)] = [
                (int(c.data(0, CLIENT_ID_ROLE)), c.text(2)) for c in children if c is not None
            ]
        return shown

    def _groups(self) -> list[QTreeWidgetItem]:
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        return [item for item in items if item is not None]
