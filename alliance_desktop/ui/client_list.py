"""The client list: a table model, the proxy the view talks to, and the panel around them.

Measured on 10,000 clients, QSortFilterProxyModel's own machinery is too slow when every
comparison or filter test calls back into Python: sorting took 250 ms, and a filter
keystroke 20-35 ms with ``filterAcceptsRow`` in Python. So the model sorts and filters its
rows itself, in one Python pass each (a few milliseconds), and resets; the proxy is the
view's model and the one place the view asks to filter or sort, forwarding both to the model,
and its own C++ filter (empty) passes every row without calling Python.

Urgent is not a warning: a client with an urgent (risk) alert has its own icon, word and
colour in the Alerts column, and comes first in every sort order. Sorting by Alerts puts
urgent before warning before note, then more alerts before fewer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop.domain.vocabulary import APPROACH_LABELS, ClientStatus
from alliance_desktop.domain.wording import (
    SEVERITY_SYMBOLS,
    SEVERITY_WORDS,
    URGENT_COLOUR,
    severity_rank,
)
from alliance_desktop.services.database import ClientListRow
from alliance_desktop.services.summaries import shown_alert_count
from alliance_desktop.services.text import fold

ModelIndex = QModelIndex | QPersistentModelIndex

COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "Code"),
    ("name", "Name"),
    ("approach", "Approach"),
    ("status", "Status"),
    ("sessions", "Sessions"),
    ("last", "Last session"),
    ("alliance", "Alliance"),
    ("alerts", "Alerts"),
)
COLUMN_KEYS = tuple(key for key, _title in COLUMNS)
NUMERIC_COLUMNS = {"sessions", "alliance"}
STATUS_LABELS = {
    ClientStatus.ACTIVE: "Active",
    ClientStatus.PAUSED: "Paused",
    ClientStatus.DISCHARGED: "Discharged",
}
CLIENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
_ALL = "all"

# Plain ints: PySide passes the role as an int, and set lookups of ints are the cheapest.
_TEXT_ROLES = frozenset({int(Qt.ItemDataRole.DisplayRole), int(Qt.ItemDataRole.AccessibleTextRole)})
_ROLES = _TEXT_ROLES | {
    int(Qt.ItemDataRole.TextAlignmentRole),
    int(Qt.ItemDataRole.DecorationRole),
    int(Qt.ItemDataRole.ToolTipRole),
    int(Qt.ItemDataRole.ForegroundRole),
    int(CLIENT_ID_ROLE),
}
_SEVERITY_PIXMAPS = {
    "urgent": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
}
_icons: dict[str, QPixmap] = {}


def severity_icon(severity: str) -> QPixmap:
    """The 16 px icon of a severity (made once; needs a QApplication)."""
    if severity not in _icons:
        style = QApplication.style()
        icon = style.standardIcon(_SEVERITY_PIXMAPS.get(severity, _SEVERITY_PIXMAPS["warning"]))
        _icons[severity] = icon.pixmap(16, 16)
    return _icons[severity]


_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def alert_words(count: int, top: str | None, severity: str | None = None) -> str:
    """The Alerts cell: never colour alone, always a word, a count and the most pressing reason.

    ``"‼ Urgent · 2 alerts: CORE-10 item 6 … "``; without a severity, the count and reason.
    """
    if count == 0:
        return ""
    label = "1 alert" if count == 1 else f"{count} alerts"
    if severity is not None and severity in SEVERITY_WORDS:
        label = f"{SEVERITY_SYMBOLS[severity]} {SEVERITY_WORDS[severity]} · {label}"
    return f"{label}: {top}" if top else label


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _alliance_text(row: ClientListRow) -> str:
    s = row.summary
    if s is None or s.alliance_latest is None:
        return ""
    return f"{s.alliance_instrument} {s.alliance_latest:.1f}"


class ClientTableModel(QAbstractTableModel):
    """All clients as rows; the summary figures come from the stored client summaries."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all: list[ClientListRow] = []  # every client, in the current sort order
        self._all_keys: list[str] = []  # folded "code name" per client, for finding
        self._urgent: set[int] = set()  # clients with an urgent alert: shown whatever the filter
        self._rows: list[ClientListRow] = []  # the ones that pass the filter, shown
        self._needle = ""
        self._status: ClientStatus | None = ClientStatus.ACTIVE
        # Display strings per client, made on first paint and kept across filtering: a
        # repaint asks for every visible cell several times, and formatting cost milliseconds.
        self._cells: dict[int, tuple[str, ...]] = {}

    # -- loading -------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[ClientListRow]) -> None:
        """Replace every client (after a load or a change); the filter stays as it was."""
        self.beginResetModel()
        self._all = list(rows)
        self._all_keys = [fold(f"{r.code} {r.display_name}") for r in self._all]
        self._urgent = {r.client_id for r in self._all if _is_urgent(r)}
        self._cells.clear()  # new data: formatted cells are out of date
        self._apply_filter()
        self.endResetModel()

    def set_filter(self, needle: str, status: ClientStatus | None) -> None:
        """Show only clients whose folded code or name contains ``needle``, of ``status``."""
        if (needle, status) == (self._needle, self._status):
            return
        self.beginResetModel()
        self._needle, self._status = needle, status
        self._apply_filter()
        self.endResetModel()

    def _apply_filter(self) -> None:
        # A client with an urgent alert (a risk answer waiting for review) is shown whatever
        # status is chosen: a paused or discharged client's risk never hides behind "Active".
        needle, status, urgent = self._needle, self._status, self._urgent
        self._rows = [
            row
            for row, key in zip(self._all, self._all_keys, strict=True)
            if (status is None or row.status is status or row.client_id in urgent) and needle in key
        ]

    def total_count(self) -> int:
        """Clients loaded, whatever the filter."""
        return len(self._all)

    def has_client(self, client_id: int) -> bool:
        return any(row.client_id == client_id for row in self._all)

    def row_at(self, row: int) -> ClientListRow:
        return self._rows[row]

    def row_for_client(self, client_id: int) -> int | None:
        """The shown row of a client, or None when the filter hides them."""
        for number, row in enumerate(self._rows):
            if row.client_id == client_id:
                return number
        return None

    # -- Qt model contract ---------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        key = COLUMNS[section][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if key in NUMERIC_COLUMNS else _LEFT
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid():
            return None
        row = self._rows[index.row()]
        if role in _TEXT_ROLES:
            cells = self._cells.get(row.client_id)
            if cells is None:
                cells = tuple(self._display(row, k) for k, _ in COLUMNS)
                self._cells[row.client_id] = cells
            return cells[index.column()]
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if key in NUMERIC_COLUMNS else _LEFT
        if role == CLIENT_ID_ROLE:
            return row.client_id
        if key == "alerts":
            count, top, severity = shown_alert_count(row)
            if count:
                if role == Qt.ItemDataRole.DecorationRole:
                    return severity_icon(severity or "warning")
                if role == Qt.ItemDataRole.ToolTipRole:
                    return top
                if role == Qt.ItemDataRole.ForegroundRole and severity == "urgent":
                    return QColor(URGENT_COLOUR)
        return None

    def _display(self, row: ClientListRow, key: str) -> str:
        s = row.summary
        if key == "code":
            return row.code
        if key == "name":
            return row.display_name
        if key == "approach":
            return APPROACH_LABELS[row.approach]
        if key == "status":
            return STATUS_LABELS[row.status]
        if key == "sessions":
            return str(s.attended) if s else "0"
        if key == "last":
            return s.last_session.date().isoformat() if s and s.last_session else ""
        if key == "alliance":
            return _alliance_text(row)
        if key == "alerts":
            # A short cell reads better in a list; the tooltip and the record show it whole.
            count, top, severity = shown_alert_count(row)
            return _shorten(alert_words(count, top, severity), 70)
        return ""

    # -- sorting (in Python; see the module docstring) -----------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        key = _SORT_KEYS[COLUMNS[column][0]]
        self.layoutAboutToBeChanged.emit()
        old_persistent = self.persistentIndexList()
        old_ids = [self._rows[i.row()].client_id for i in old_persistent]
        pairs = sorted(
            zip(self._all, self._all_keys, strict=True),
            key=lambda pair: key(pair[0]),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        # Urgent first in every sort order: a stable sort keeps the order chosen within it.
        urgent = self._urgent
        pairs.sort(key=lambda pair: pair[0].client_id not in urgent)
        self._all = [p[0] for p in pairs]
        self._all_keys = [p[1] for p in pairs]
        self._apply_filter()
        where = {r.client_id: n for n, r in enumerate(self._rows)}
        self.changePersistentIndexList(
            old_persistent,
            [
                self.index(where[cid], i.column())
                for cid, i in zip(old_ids, old_persistent, strict=True)
            ],
        )
        self.layoutChanged.emit()


def _summary_key(attribute: str, missing: Any) -> Callable[[ClientListRow], Any]:
    def key(row: ClientListRow) -> Any:
        value = getattr(row.summary, attribute, None) if row.summary else None
        return (value is None, missing if value is None else value)

    return key


def _is_urgent(row: ClientListRow) -> bool:
    return shown_alert_count(row)[2] == "urgent"


def _alerts_key(row: ClientListRow) -> tuple[int, int]:
    """Most pressing first when ascending: urgent, warning, note, none; then more alerts."""
    count, _top, severity = shown_alert_count(row)
    return (severity_rank(severity) if count else len(SEVERITY_WORDS) + 1, -count)


_SORT_KEYS: dict[str, Callable[[ClientListRow], Any]] = {
    "code": lambda r: r.code.casefold(),
    "name": lambda r: fold(r.display_name),  # sorted as shown: given then family name
    "approach": lambda r: APPROACH_LABELS[r.approach],
    "status": lambda r: list(ClientStatus).index(r.status),
    "sessions": _summary_key("attended", 0),
    "last": _summary_key("last_session", date.min),
    "alliance": _summary_key("alliance_latest", 0.0),
    "alerts": _alerts_key,
}


class ClientFilterProxy(QSortFilterProxyModel):
    """The view's model: asks the client model to filter and sort (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._needle = ""
        self._status: ClientStatus | None = ClientStatus.ACTIVE
        self.setDynamicSortFilter(False)

    def _client_model(self) -> ClientTableModel:
        model = self.sourceModel()
        assert isinstance(model, ClientTableModel)
        return model

    def setSourceModel(self, source: Any) -> None:
        super().setSourceModel(source)
        if isinstance(source, ClientTableModel):
            source.set_filter(self._needle, self._status)

    def set_filter(self, text: str | None = None, status: Any = ...) -> None:
        """Change the text (``None`` keeps it) and/or the status (``...`` keeps it)."""
        if text is not None:
            self._needle = fold(text.strip())
        if status is not ...:
            self._status = status
        self._client_model().set_filter(self._needle, self._status)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._client_model().sort(column, order)


class ClientListPanel(QWidget):
    """The left side of the main window: status filter, find box and the client table."""

    clientSelected = Signal(object)  # client id, or None when nothing is selected
    clientActivated = Signal(int)  # double-click or Enter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ClientTableModel(self)
        self.proxy = ClientFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.status_filter = QComboBox(self)
        self.status_filter.setObjectName("statusFilter")
        self.status_filter.setAccessibleName("Show clients by status")
        # Item data are plain strings: PySide hands a StrEnum back as str.
        for label, value in (
            ("Active", ClientStatus.ACTIVE.value),
            ("Paused", ClientStatus.PAUSED.value),
            ("Discharged", ClientStatus.DISCHARGED.value),
            ("All clients", _ALL),
        ):
            self.status_filter.addItem(label, value)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("clientFilter")
        self.filter_edit.setPlaceholderText("Find by code or name…")
        self.filter_edit.setAccessibleName("Find client by code or name")
        self.filter_edit.setClearButtonEnabled(True)
        # Alt+letters are unique in the window: the menus own F, E, C, S, R, B and H.
        find_label = QLabel("Fi&nd:", self)
        find_label.setBuddy(self.filter_edit)
        show_label = QLabel("Sho&w:", self)
        show_label.setBuddy(self.status_filter)

        self.table = QTableView(self)
        self.table.setObjectName("clientTable")
        self.table.setAccessibleName("Clients")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table, as reading order expects
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # Widths from the font, not pixels, so Alliance and Alerts show without scrolling
        # sideways at the default size (and at 200 %). Approach is hidden until asked for:
        # right-click the header to choose the columns (remembered with the header).
        metrics = self.table.fontMetrics()
        samples = (
            *("C-0000", "Agnieszka Andersen", "Psychodynamic", "Discharged", "Sessions"),
            *("2026-11-16", "Alliance 00.0"),
        )
        for column, sample in enumerate(samples):
            self.table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 16)
        header.hideSection(COLUMN_KEYS.index("approach"))
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._choose_columns)
        rows = self.table.verticalHeader()
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)  # compact, readable rows
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row measuring

        self.count_label = QLabel(self)
        self.count_label.setObjectName("clientCount")
        self._last_selected: int | None = None

        top = QHBoxLayout()
        top.addWidget(show_label)
        top.addWidget(self.status_filter)
        top.addSpacing(12)
        top.addWidget(find_label)
        top.addWidget(self.filter_edit, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)

        self.filter_edit.textChanged.connect(self._text_changed)
        self.status_filter.currentIndexChanged.connect(self._status_changed)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.activated.connect(self._activated)
        self.proxy.modelReset.connect(self._update_count)

    def _choose_columns(self, position: QPoint) -> None:
        """The header's menu: tick the columns to show (Code and Name always show)."""
        header = self.table.horizontalHeader()
        menu = QMenu(self)
        menu.setObjectName("clientColumnsMenu")
        for column, (key, title) in enumerate(COLUMNS):
            if key in ("code", "name"):
                continue
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.toggled.connect(lambda shown, c=column: header.setSectionHidden(c, not shown))
        menu.popup(header.mapToGlobal(position))

    # -- public --------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[ClientListRow]) -> None:
        """Show these clients, keeping the selected client selected when still there."""
        selected = self.selected_client_id()
        header = self.table.horizontalHeader()
        self.model.set_rows(rows)
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self._update_count()
        if selected is not None:
            self.select_client(selected)

    def selected_client_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        value = rows[0].data(CLIENT_ID_ROLE)
        return int(value) if value is not None else None

    def select_client(self, client_id: int, *, reveal: bool = False) -> bool:
        """Select a client; False when the filters hide them (or they do not exist).

        With ``reveal`` the find text and status filter are cleared when they hide the
        client; otherwise the therapist's filters are left as they set them.
        """
        if not self.model.has_client(client_id):
            return False
        source_row = self.model.row_for_client(client_id)
        if source_row is None:
            if not reveal:
                return False
            self.status_filter.setCurrentIndex(self.status_filter.count() - 1)
            self.filter_edit.clear()
            source_row = self.model.row_for_client(client_id)
            assert source_row is not None
        proxy_index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        self.table.selectRow(proxy_index.row())
        self.table.scrollTo(proxy_index)
        return True

    def status(self) -> ClientStatus | None:
        """The status shown, or None for all clients."""
        value = self.status_filter.currentData()
        return None if value == _ALL else ClientStatus(value)

    def set_status(self, status: ClientStatus | None) -> None:
        index = self.status_filter.findData(_ALL if status is None else status.value)
        self.status_filter.setCurrentIndex(index if index >= 0 else 0)

    # -- reactions -----------------------------------------------------------------------

    def _text_changed(self, text: str) -> None:
        self._refilter(text=text)

    def _status_changed(self, _index: int) -> None:
        self._refilter(status=self.status())

    def _refilter(self, **change: Any) -> None:
        # The model resets when filtering; keep the selected client selected if still shown.
        selected = self._last_selected
        self.proxy.set_filter(**change)
        if selected is not None and self.model.row_for_client(selected) is not None:
            self.select_client(selected)
        else:
            self._selection_changed()
        self._update_count()

    def _selection_changed(self, *_args: object) -> None:
        current = self.selected_client_id()
        if current != self._last_selected:  # a reset and reselect is not a new choice
            self._last_selected = current
            self.clientSelected.emit(current)

    def _activated(self, index: QModelIndex) -> None:
        value = index.data(CLIENT_ID_ROLE)
        if value is not None:
            self.clientActivated.emit(int(value))

    def _update_count(self, *_args: object) -> None:
        shown, total = self.proxy.rowCount(), self.model.total_count()
        self.count_label.setText(
            f"{shown:,} of {total:,} clients shown" if shown != total else f"{total:,} clients"
        )
