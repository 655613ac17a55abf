"""The client list: a table model that filters and sorts itself, and the panel around it.

Measured on 10,000 clients, QSortFilterProxyModel's own machinery is too slow when every
comparison or filter test calls back into Python: sorting took 250 ms, and a filter
keystroke 20-35 ms with ``filterAcceptsRow`` in Python. So the model sorts and filters its
rows itself, in one pass each (a few milliseconds), and resets. The view talks to the model
directly: a proxy in between, even one passing every row, tripled the Python calls behind
each painted cell (every role asked maps its index back through the model), and the repaint
after a keystroke took twice as long (9.4 ms against 4.5 ms at 50,000 clients).

At 50,000 clients a keystroke must still fit in a frame (16 ms), most of which the repaint
takes. So the folded search keys come with the rows (``summaries.search_keys``, made off the
UI thread), the rows each status shows are set aside once per load or sort, the test runs in
C (``compress`` over ``map(contains, …)``), a needle that extends the last one searches only
the last result, the results of recent needles are kept (Backspace searches nothing), and a
keystroke that changes nothing shown (``kowal`` → ``kowalc``) does not reset the model, so
the table is not repainted; nor is the rest of the window (``_Sheltered``).

Urgent is not a warning: a client with an urgent (risk) alert has its own icon, word and
colour in the Alerts column, and comes first in every sort order. Sorting by Alerts puts
urgent before warning before note, then more alerts before fewer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from itertools import compress, repeat
from operator import attrgetter, contains, not_
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
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
from alliance_desktop.services.summaries import search_keys, shown_alert_count
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
#: Rows the model keeps of recent filter results, in all (four times 50,000 clients).
_FOUND_LIMIT = 200_000
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


#: Rows and their search keys, side by side.
_Shown = tuple[list[ClientListRow], list[str]]


class ClientTableModel(QAbstractTableModel):
    """All clients as rows; the summary figures come from the stored client summaries."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all: list[ClientListRow] = []  # every client, in the current sort order
        self._all_keys: list[str] = []  # folded "code name" per client, for finding
        self._ids: set[int] = set()
        self._urgent: set[int] = set()  # clients with an urgent alert: shown whatever the filter
        self._rows: list[ClientListRow] = []  # the ones that pass the filter, shown
        self._row_keys: list[str] = []  # their keys (a longer needle searches only these)
        self._shown_ids: list[int] | None = None  # their ids, made when first asked for
        self._needle = ""
        self._status: ClientStatus | None = ClientStatus.ACTIVE
        # The rows (and keys) each status choice shows, set aside on first use after a load
        # or a sort: a keystroke then tests only the needle.
        self._by_status: dict[ClientStatus | None, _Shown] = {}
        # Results of recent needles (per status), so Backspace costs no search.
        self._found: dict[tuple[ClientStatus | None, str], _Shown] = {}
        self._found_rows = 0
        # Display strings per client, made on first paint and kept across filtering: a
        # repaint asks for every visible cell several times, and formatting cost milliseconds.
        self._cells: dict[int, tuple[str, ...]] = {}

    # -- loading -------------------------------------------------------------------------

    def set_rows(
        self,
        rows: Sequence[ClientListRow],
        keys: Sequence[str] | None = None,
        *,
        sort_by: tuple[int, Qt.SortOrder] | None = None,
    ) -> None:
        """Replace every client (after a load or a change); the filter stays as it was.

        ``keys`` are the rows' ``summaries.search_keys``, when the loader made them already;
        ``sort_by`` (column, order) sorts them in the same reset.
        """
        self.beginResetModel()
        self._all = list(rows)
        self._all_keys = list(keys) if keys is not None else search_keys(self._all)
        if len(self._all_keys) != len(self._all):
            raise ValueError("one search key per row")
        self._ids = {r.client_id for r in self._all}
        # ``shown_alert_count(row)[2] == "urgent"`` without building its answer for every
        # row: an urgent alert shows whatever the client's status.
        self._urgent = {
            r.client_id
            for r in self._all
            if (s := r.summary) is not None and s.top_severity == "urgent" and s.alert_count
        }
        self._cells.clear()  # new data: formatted cells are out of date
        if sort_by is not None and 0 <= sort_by[0] < len(COLUMNS):
            self._sort_all(*sort_by)
        self._forget_filters()
        self._apply_filter(self._needle, self._status)
        self.endResetModel()

    def _forget_filters(self) -> None:
        """The rows or their order changed: what was set aside for filtering is stale."""
        self._by_status.clear()
        self._found.clear()
        self._found_rows = 0

    def set_filter(self, needle: str, status: ClientStatus | None) -> None:
        """Show only clients whose folded code or name contains ``needle``, of ``status``."""
        if (needle, status) == (self._needle, self._status):
            return
        shown = self._rows
        narrower = status == self._status and self._needle in needle
        self._apply_filter(needle, status, narrower=narrower)
        if self._rows == shown:  # the same clients (identity decides fast): nothing to repaint
            self._rows = shown
            return
        self.beginResetModel()
        self.endResetModel()

    def _candidates(self, status: ClientStatus | None) -> _Shown:
        """The rows ``status`` shows whatever the needle, with their keys (kept until the
        next load or sort)."""
        found = self._by_status.get(status)
        if found is None:
            if status is None:
                found = (self._all, self._all_keys)
            else:
                # A client with an urgent alert (a risk answer waiting for review) is shown
                # whatever status is chosen: a paused or discharged client's risk never hides
                # behind "Active".
                urgent = self._urgent
                chosen = [r.status is status or r.client_id in urgent for r in self._all]
                found = (list(compress(self._all, chosen)), list(compress(self._all_keys, chosen)))
            self._by_status[status] = found
        return found

    def _apply_filter(
        self, needle: str, status: ClientStatus | None, *, narrower: bool = False
    ) -> None:
        # ``narrower``: the shown rows passed a needle that this one contains, so only they
        # can pass this one (typing on searches hundreds of rows, not every client).
        self._needle, self._status = needle, status
        found = self._found.get((status, needle))
        if found is not None:  # (Backspace: a needle typed a moment ago)
            rows, keys = found
        else:
            rows, keys = (self._rows, self._row_keys) if narrower else self._candidates(status)
            if needle:
                passing = list(map(contains, keys, repeat(needle)))  # ``needle in key``, in C
                rows, keys = list(compress(rows, passing)), list(compress(keys, passing))
                self._remember(status, needle, rows, keys)
        self._rows, self._row_keys = rows, keys
        self._shown_ids = None

    def _remember(
        self, status: ClientStatus | None, needle: str, rows: list[ClientListRow], keys: list[str]
    ) -> None:
        """Keep a filter's result until the next load or sort, the oldest going first once
        they hold more than ``_FOUND_LIMIT`` rows in all (a few megabytes)."""
        self._found[(status, needle)] = (rows, keys)
        self._found_rows += len(rows)
        while self._found_rows > _FOUND_LIMIT and len(self._found) > 1:
            oldest = next(iter(self._found))
            self._found_rows -= len(self._found.pop(oldest)[0])

    def total_count(self) -> int:
        """Clients loaded, whatever the filter."""
        return len(self._all)

    def has_client(self, client_id: int) -> bool:
        return client_id in self._ids

    def row_at(self, row: int) -> ClientListRow:
        return self._rows[row]

    def row_for_client(self, client_id: int) -> int | None:
        """The shown row of a client, or None when the filter hides them."""
        if client_id not in self._ids:
            return None
        if self._shown_ids is None:
            self._shown_ids = list(map(_CLIENT_ID, self._rows))
        try:
            return self._shown_ids.index(client_id)
        except ValueError:
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
        self.layoutAboutToBeChanged.emit()
        old_persistent = self.persistentIndexList()
        old_ids = [self._rows[i.row()].client_id for i in old_persistent]
        self._sort_all(column, order)
        self._forget_filters()
        self._apply_filter(self._needle, self._status)
        if old_persistent:  # (the selection): moved to where its clients are now
            where = {r.client_id: n for n, r in enumerate(self._rows)}
            self.changePersistentIndexList(
                old_persistent,
                [
                    self.index(where[cid], i.column())
                    for cid, i in zip(old_ids, old_persistent, strict=True)
                ],
            )
        self.layoutChanged.emit()

    def _sort_all(self, column: int, order: Qt.SortOrder) -> None:
        rows, keys = self._all, self._all_keys
        values = _sort_values(COLUMNS[column][0], rows)
        # Positions sorted by their values, then urgent first in every sort order (stable
        # sorts keep the order chosen within each part); the lookups all run in C.
        positions = sorted(
            range(len(rows)),
            key=values.__getitem__,
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        if self._urgent:
            urgent = self._urgent
            flags = [r.client_id in urgent for r in rows]
            first = list(map(flags.__getitem__, positions))
            positions = list(compress(positions, first)) + list(
                compress(positions, map(not_, first))
            )
        self._all = list(map(rows.__getitem__, positions))
        self._all_keys = list(map(keys.__getitem__, positions))


_CLIENT_ID = attrgetter("client_id")


def _summary_key(attribute: str, missing: Any) -> Callable[[ClientListRow], Any]:
    def key(row: ClientListRow) -> Any:
        value = getattr(row.summary, attribute, None) if row.summary else None
        return (value is None, missing if value is None else value)

    return key


def _alerts_key(row: ClientListRow) -> tuple[int, int]:
    """Most pressing first when ascending: urgent, warning, note, none; then more alerts."""
    count, _top, severity = shown_alert_count(row)
    return (severity_rank(severity) if count else len(SEVERITY_WORDS) + 1, -count)


def _folded_name(row: ClientListRow) -> str:
    name = row.display_name  # sorted as shown: given then family name
    return name.lower() if name.isascii() else fold(name)  # (the same, 20x faster)


def _sort_values(key: str, rows: list[ClientListRow]) -> list[Any]:
    """The value each row sorts by in column ``key``."""
    if key == "code":  # the default order: every step in C
        return list(map(str.casefold, map(_CODE, rows)))
    return list(map(_SORT_KEYS[key], rows))


_CODE = attrgetter("code")
_SORT_KEYS: dict[str, Callable[[ClientListRow], Any]] = {
    "code": lambda r: r.code.casefold(),
    "name": _folded_name,
    "approach": lambda r: APPROACH_LABELS[r.approach],
    "status": lambda r: list(ClientStatus).index(r.status),
    "sessions": _summary_key("attended", 0),
    "last": _summary_key("last_session", date.min),
    "alliance": _summary_key("alliance_latest", 0.0),
    "alerts": _alerts_key,
}


class _Sheltered(QWidget):
    """Holds one widget whose changes must not lay the whole window out again.

    A widget in a layout that changes its size hint or shows a child asks its parent for a
    new layout, and Qt passes that on up to the window: the splitter and the page beside the
    list are laid out and repainted too. The count under the list changes at every
    keystroke in the find box, and the find box's clear button comes and goes; each time
    that cost a third of the keystroke. Held here, outside any layout, their requests stop
    at this widget, which keeps the size it was first given.
    """

    def __init__(self, child: QWidget, parent: QWidget) -> None:
        super().__init__(parent)
        self._child = child
        self._hint = child.sizeHint()
        self._minimum = child.minimumSizeHint()
        self.setSizePolicy(child.sizePolicy())
        child.setParent(self)

    def sizeHint(self) -> QSize:
        return self._hint

    def minimumSizeHint(self) -> QSize:
        return self._minimum

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._child.setGeometry(self.rect())


class ClientListPanel(QWidget):
    """The left side of the main window: status filter, find box and the client table."""

    clientSelected = Signal(object)  # client id, or None when nothing is selected
    clientActivated = Signal(int)  # double-click or Enter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ClientTableModel(self)

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
        self.table.setModel(self.model)  # no proxy between (see the module docstring)
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

        self.count_label = QLabel("0 clients", self)
        self.count_label.setObjectName("clientCount")
        self.count_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._last_selected: int | None = None
        self._needle, self._status = "", self.status()  # what the model is filtered by
        self._after_paint: list[Callable[[], None]] = []
        #: How many clients there are while only the first screen of them is loaded.
        self.loading_total: int | None = None

        top = QHBoxLayout()
        top.addWidget(show_label)
        top.addWidget(self.status_filter)
        top.addSpacing(12)
        top.addWidget(find_label)
        top.addWidget(_Sheltered(self.filter_edit, self), 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(_Sheltered(self.count_label, self))

        self.filter_edit.textChanged.connect(self._text_changed)
        self.status_filter.currentIndexChanged.connect(self._status_changed)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.activated.connect(self._activated)
        self.model.modelReset.connect(self._lay_out_now)
        self.model.modelReset.connect(self._update_count)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            self._after_paint
            and event.type() == QEvent.Type.Paint
            and watched is self.table.viewport()
        ):
            waiting, self._after_paint = self._after_paint, []
            self.table.viewport().removeEventFilter(self)
            for then in waiting:  # after this paint has reached the screen
                QTimer.singleShot(0, then)
        return False

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

    @property
    def proxy(self) -> ClientTableModel:
        """What the view shows: the model itself (the name is from when a proxy stood
        between them; callers read rows through it)."""
        return self.model

    def set_rows(
        self,
        rows: Sequence[ClientListRow],
        keys: Sequence[str] | None = None,
        *,
        loading_total: int | None = None,
    ) -> None:
        """Show these clients, keeping the selected client selected when still there.

        ``keys``: the rows' ``summaries.search_keys`` when the loader made them already.
        ``loading_total``: these are only the first screen of that many clients (the rest
        are on their way; the count below the list says so).
        """
        selected = self.selected_client_id()
        header = self.table.horizontalHeader()
        self.loading_total = loading_total
        self.model.set_rows(
            rows, keys, sort_by=(header.sortIndicatorSection(), header.sortIndicatorOrder())
        )
        self._update_count()
        if selected is not None:
            self.select_client(selected)

    def when_painted(self, then: Callable[[], None]) -> None:
        """Call ``then`` once the table has next been painted on screen (the rows set now
        are then really visible), from the event loop right after that repaint."""
        if not self._after_paint:  # (watched only while someone waits: it sees every event)
            self.table.viewport().installEventFilter(self)
        self._after_paint.append(then)
        self.table.viewport().update()

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
        self.table.selectRow(source_row)
        self.table.scrollTo(self.model.index(source_row, 0))
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
        """Filter by the ``text`` and/or ``status`` given (the others stay as they are)."""
        # The model resets when filtering; keep the selected client selected if still shown.
        selected = self._last_selected
        if "text" in change:
            self._needle = fold(change["text"].strip())
        if "status" in change:
            self._status = change["status"]
        self.model.set_filter(self._needle, self._status)
        if selected is not None and self.model.row_for_client(selected) is not None:
            self.select_client(selected)
        else:
            self._selection_changed()
        self._update_count()

    def _lay_out_now(self) -> None:
        # After a reset the view lays its rows out on a timer, which fires after the first
        # repaint: each keystroke's table was painted twice (twice 7 ms at 50,000 clients).
        # Laid out at once, it is painted once, and with its new scroll range.
        self.table.doItemsLayout()

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
        shown, total = self.model.rowCount(), self.model.total_count()
        if self.loading_total is not None:  # only the first screen so far
            self.count_label.setText(
                f"The first {total:,} of {self.loading_total:,} clients; loading the rest…"
            )
            return
        self.count_label.setText(
            f"{shown:,} of {total:,} clients shown" if shown != total else f"{total:,} clients"
        )
