"""Measures → Instruments…: the list of every instrument, and the editor of the practice's own.

``InstrumentsDialog`` lists the built-in measures and the therapist's own (with their
version, items, kind, respondent and whether they are built in, own or retired) and asks
for what the buttons stand for with signals; ``controllers.measures`` does the work.
``DefinitionEditor`` is a form that writes the same document an instrument definition file
holds (``domain.definitions``), so a therapist defines or edits a questionnaire without
writing JSON: the measure's details, an item table, anchors, subscales, scoring and,
optionally, a cut-off and reliable change with the source of those figures. It shows the
first problem the definition's reader finds in one sentence, in the form's words ("Item 3,
maximum: …"), and the caller's ``store`` saves it; a refused save keeps everything typed.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# The reader's own rule for the total range a definition must declare: the form shows (and
# writes) exactly that range, so it can never disagree with the reader.
from alliance_desktop.domain.definitions import possible_total_range
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    Instrument,
    Item,
    ScoreMethod,
    instrument_to_dict,
)
from alliance_desktop.services.database import StorageError
from alliance_desktop.services.errors import InvalidInput, ServiceError
from alliance_desktop.services.instruments import InstrumentEntry, parse_definition
from alliance_desktop.ui.widgets import fit_to_screen, wheel_only_when_focused

# -- the list of instruments -----------------------------------------------------------------

_LIST_COLUMNS = ("Id", "Version", "Name", "Items", "Kind", "Respondent", "Status")
_ID_ROLE = Qt.ItemDataRole.UserRole


def entry_status(entry: InstrumentEntry) -> str:
    """How the list names where an instrument comes from: built in, own, or retired."""
    if entry.built_in:
        return "built in"
    return "retired" if entry.retired else "own"


class InstrumentsDialog(QDialog):
    """Every instrument in a table, with buttons that ask the controller to act on one."""

    newRequested = Signal()
    editRequested = Signal(str)
    importRequested = Signal()
    exportRequested = Signal(str)
    retireRequested = Signal(str)  # retire, or offer again when retired
    deleteRequested = Signal(str)

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("instrumentsDialog")
        self.setWindowTitle("Instruments")
        self.entries: list[InstrumentEntry] = []

        intro = QLabel(
            "The built-in measures and your practice's own. Your own can be edited (a "
            "changed definition becomes a new version; measurements keep the version they "
            "were taken with), retired from new sessions, or deleted while they have no data.",
            self,
        )
        intro.setObjectName("instrumentsIntro")
        intro.setWordWrap(True)

        self.table = QTableWidget(0, len(_LIST_COLUMNS), self)
        self.table.setObjectName("instrumentsTable")
        self.table.setAccessibleName("Instruments")
        self.table.setHorizontalHeaderLabels(list(_LIST_COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab goes on to the buttons
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemActivated.connect(lambda *_: self._edit())

        self.message = QLabel("", self)
        self.message.setObjectName("instrumentsMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        def button(text: str, name: str, tip: str) -> QPushButton:
            made = QPushButton(text, self)
            made.setObjectName(name)
            made.setToolTip(tip)
            made.setAutoDefault(False)
            return made

        self.new_button = button(
            "&New…", "newInstrumentButton", "Define a questionnaire of your own"
        )
        self.edit_button = button(
            "&Edit…",
            "editInstrumentButton",
            "Change one of your own instruments (saved as a new version)",
        )
        self.import_button = button(
            "&Import…", "importInstrumentButton", "Add an instrument from a definition file"
        )
        self.export_button = button(
            "E&xport…",
            "exportInstrumentButton",
            "Save the instrument's definition as a file, to share or keep",
        )
        self.retire_button = button(
            "&Retire",
            "retireInstrumentButton",
            "Stop offering it for new sessions; its measurements stay",
        )
        self.delete_button = button(
            "&Delete…",
            "deleteInstrumentButton",
            "Remove one of your own instruments that has no measurements",
        )
        self.close_button = button("&Close", "closeInstrumentsButton", "")
        self.new_button.clicked.connect(self.newRequested.emit)
        self.edit_button.clicked.connect(self._edit)
        self.import_button.clicked.connect(self.importRequested.emit)
        self.export_button.clicked.connect(lambda: self._ask(self.exportRequested))
        self.retire_button.clicked.connect(lambda: self._ask(self.retireRequested))
        self.delete_button.clicked.connect(lambda: self._ask(self.deleteRequested))
        self.close_button.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        for widget in (
            self.new_button,
            self.edit_button,
            self.import_button,
            self.export_button,
            self.retire_button,
            self.delete_button,
        ):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        chain = [
            self.table,
            self.new_button,
            self.edit_button,
            self.import_button,
            self.export_button,
            self.retire_button,
            self.delete_button,
            self.close_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        fit_to_screen(self, 900, 520)
        self._update_buttons()

    # -- showing -------------------------------------------------------------------------

    def show_entries(self, entries: Sequence[InstrumentEntry], select: str | None = None) -> None:
        """Fill the table (``select``: the instrument to select, else the one selected)."""
        keep = select or self.selected_id()
        self.entries = list(entries)
        table = self.table
        table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            cells = (
                entry.id,
                entry.version,
                entry.name,
                str(entry.items),
                entry.kind,
                entry.respondent,
                entry_status(entry),
            )
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setData(_ID_ROLE, entry.id)
                if column in (1, 3):
                    cell.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if column == 1 and len(entry.versions) > 1:
                    cell.setToolTip(f"Versions {', '.join(entry.versions)}; the last is used now")
                table.setItem(row, column, cell)
        rows = [r for r, e in enumerate(self.entries) if e.id == keep]
        if rows:
            table.selectRow(rows[0])
            first = table.item(rows[0], 0)
            if first is not None:
                table.scrollToItem(first)
        else:
            table.clearSelection()
        self._update_buttons()

    def say(self, text: str) -> None:
        """Say what was just done, under the table (where the eye is)."""
        self.message.setText(text)

    def selected_entry(self) -> InstrumentEntry | None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        if len(rows) != 1:
            return None
        row = rows.pop()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def selected_id(self) -> str | None:
        entry = self.selected_entry()
        return entry.id if entry is not None else None

    def select(self, instrument_id: str) -> None:
        """Select an instrument's row (tests, and after a change)."""
        for row, entry in enumerate(self.entries):
            if entry.id == instrument_id:
                self.table.selectRow(row)
                return

    # -- acting --------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        entry = self.selected_entry()
        own = entry is not None and not entry.built_in
        self.edit_button.setEnabled(own)
        self.retire_button.setEnabled(own)
        self.delete_button.setEnabled(own)
        self.export_button.setEnabled(entry is not None and entry.kind != "goals")
        retired = entry is not None and entry.retired
        self.retire_button.setText("&Offer again" if retired else "&Retire")
        self.retire_button.setToolTip(
            "Offer it for new sessions again"
            if retired
            else "Stop offering it for new sessions; its measurements stay"
        )

    def _edit(self) -> None:
        entry = self.selected_entry()
        if entry is not None and not entry.built_in:
            self.editRequested.emit(entry.id)

    def _ask(self, signal: Any) -> None:
        instrument_id = self.selected_id()
        if instrument_id is not None:
            signal.emit(instrument_id)


# -- the definition editor -------------------------------------------------------------------

# Item table columns.
_LABEL, _WORDING, _MIN, _MAX, _STEP, _REVERSE, _OPTIONAL, _RISK = range(8)
_ITEM_COLUMNS = (
    "Label",
    "Wording (optional)",
    "Minimum",
    "Maximum",
    "Step",
    "Reversed",
    "Optional",
    "Risk",
)
_FLAG_KEYS = {_REVERSE: "reverse", _OPTIONAL: "optional", _RISK: "risk"}
#: On an item's label cell: what a file set for the item that the table has no column for
#: (recorded but not scored; the item's own anchors, with the range they were written for).
_ITEM_KEPT_ROLE = Qt.ItemDataRole.UserRole + 1
# Subscale table columns.
_KEY, _NAME, _ITEMS, _METHOD, _TAG = range(5)
_SUBSCALE_COLUMNS = ("Key", "Name", "Items", "Method", "Tag")

_METHODS: tuple[tuple[str, str], ...] = (
    (ScoreMethod.SUM.value, "sum"),
    (ScoreMethod.MEAN.value, "mean"),
    (ScoreMethod.MEAN_X10.value, "mean × 10"),  # noqa: RUF001 (a multiplication sign)
)
_METHOD_WORDS = {
    ScoreMethod.SUM: "the sum of the item scores",
    ScoreMethod.MEAN: "the mean item score",
    ScoreMethod.MEAN_X10: "ten times the mean item score",
}
_TAGS: tuple[tuple[str, str], ...] = (
    ("", "none"),
    ("goal", "goal"),
    ("task", "task"),
    ("bond", "bond"),
)
_KINDS = (("alliance", "Alliance"), ("outcome", "Outcome"))
_RESPONDENTS = (("client", "Client"), ("therapist", "Therapist"))
_MOMENTS = (("start", "Start of the session"), ("end", "End of the session"))
_COMPARISONS = (("lt", "does not count as below it"), ("le", "counts as below it"))
_DIRECTIONS = (("higher", "Higher is better"), ("lower", "Lower is better"))

#: The ``where`` given to ``parse_definition``, taken off again before the form shows it.
_WHERE = "This definition"
_PATH = re.compile(r"(instrument(?:\.[A-Za-z_]+|\[\d+\])*): ")
_PART = re.compile(r"\.([A-Za-z_]+)|\[(\d+)\]")
_ITEM_FIELDS = {
    "label": ("label", _LABEL),
    "text": ("wording", _WORDING),
    "minimum": ("minimum", _MIN),
    "maximum": ("maximum", _MAX),
    "step": ("step", _STEP),
    "reverse": ("reversed", _REVERSE),
    "optional": ("optional", _OPTIONAL),
    "risk": ("risk", _RISK),
}
_SUBSCALE_FIELDS = {
    "key": ("key", _KEY),
    "name": ("name", _NAME),
    "items": ("items", _ITEMS),
    "method": ("method", _METHOD),
    "tag": ("tag", _TAG),
}
_TOP_WORDS = {
    "id": "Id",
    "version": "Version",
    "name": "Name",
    "kind": "Kind",
    "respondent": "Respondent",
    "when": "When",
    "timeframe": "Timeframe",
    "licence": "Licence",
    "items": "Items",
    "anchors": "Anchors",
    "subscales": "Subscales",
    "total_method": "Total method",
    "total_min": "Total range",
    "total_max": "Total range",
    "max_prorated_items": "Items that may be missing",
    "norms": "Cut-off and change",
    "bands": "Score bands (kept from the file; not editable here)",
    "axis": "The chart's axis (kept from the file)",
}
_NORM_WORDS = {
    "cutoff": "Cut-off",
    "cutoff_comparison": "Exactly at the cut-off",
    "higher_is_better": "Which way is better",
    "reliability": "Reliability",
    "reliable_change_points": "Reliable change",
    "source": "Figures quoted from",
}
#: Names the reader uses inside its sentences, in the form's words.
_INNER_WORDS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"\bitems\[(\d+)\]"), lambda m: f"item {int(m[1]) + 1}"),
    (re.compile(r"\bsubscales\[(\d+)\]"), lambda m: f"subscale {int(m[1]) + 1}"),
    (re.compile(r"\bmax_prorated_items\b"), lambda m: "the number of items that may be missing"),
    (re.compile(r"\btotal_min\b"), lambda m: "the lowest total"),
    (re.compile(r"\btotal_max\b"), lambda m: "the highest total"),
)

Focus: TypeAlias = "QWidget | tuple[QTableWidget, int, int] | None"


class _FormProblem(Exception):
    """A field the form itself cannot turn into the definition (a number that is not one)."""

    def __init__(self, message: str, focus: Focus = None) -> None:
        super().__init__(message)
        self.focus = focus


class _ChoiceDelegate(QStyledItemDelegate):
    """A table column whose cells hold one of a few choices, picked from a drop-down.

    The cell keeps the choice's value under ``Qt.UserRole`` and its words as its text.
    """

    def __init__(self, choices: Sequence[tuple[str, str]], parent: QWidget) -> None:
        super().__init__(parent)
        self.choices = tuple(choices)

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        combo = QComboBox(parent)
        for value, words in self.choices:
            combo.addItem(words, value)
        return combo

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QComboBox):
            value = str(index.data(_ID_ROLE) or "")
            editor.setCurrentIndex(max(0, editor.findData(value)))

    def setModelData(
        self,
        editor: QWidget,
        model: QAbstractItemModel,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, str(editor.currentData()), _ID_ROLE)
            model.setData(index, editor.currentText(), Qt.ItemDataRole.DisplayRole)


def _choice_cell(choices: Sequence[tuple[str, str]], value: str) -> QTableWidgetItem:
    words = dict(choices)
    cell = QTableWidgetItem(words.get(value, choices[0][1]))
    cell.setData(_ID_ROLE, value if value in words else choices[0][0])
    return cell


def _flag_cell(checked: bool, what: str) -> QTableWidgetItem:
    cell = QTableWidgetItem("")
    cell.setFlags(
        Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable
    )
    cell.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
    cell.setToolTip(what)
    return cell


def _kept_words(item: Item) -> str:
    """The item's tooltip for what its file set and the table has no column for."""
    said = []
    if not item.scored:
        said.append(
            "Recorded but not scored (set in the definition file): it stays optional, and is "
            "neither reversed nor a risk item."
        )
    if item.anchors:
        said.append(
            f"Its own answers: {', '.join(item.anchors)} (dropped if its range is changed)."
        )
    return "\n".join(said)


def _number_text(value: float) -> str:
    """A number as the therapist would type it: 7, 0.5 (never 7.0)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


def _json_number(value: float) -> int | float:
    """Whole numbers as integers, so the definition reads 7, not 7.0."""
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _read_number(text: str) -> float | None:
    """The number typed (a comma taken as the decimal point), None when it is not one."""
    cleaned = text.strip().replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


def _item_numbers(text: str) -> list[int] | None:
    """Item numbers as typed: "1, 2", "1 2" or "1-3"; None when something is not one."""
    numbers: list[int] = []
    for token in re.split(r"[,;\s]+", text.strip()):
        if not token:
            continue
        span = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", token)  # noqa: RUF001 (a range dash)
        if span:
            low, high = int(span[1]), int(span[2])
            if high < low or high - low > 1000:
                return None
            numbers.extend(range(low, high + 1))
        elif token.isdigit():
            numbers.append(int(token))
        else:
            return None
    return numbers


def _one_line(text: str) -> str:
    """Several lines as one (a definition's text fields hold no line breaks or tabs)."""
    return " ".join(line.strip() for line in text.replace("\t", " ").splitlines() if line.strip())


class DefinitionEditor(QDialog):
    """Defines a new instrument, or edits one of the practice's own as a new version.

    ``store`` saves the checked instrument (it raises ``ServiceError`` or ``StorageError``
    to refuse, and the editor then shows why and keeps everything typed).
    """

    def __init__(
        self,
        parent: QWidget | None,
        *,
        store: Callable[[Instrument], object],
        instrument: Instrument | None = None,
        version: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("definitionEditor")
        self._store = store
        self.original = instrument
        editing = instrument is not None
        self.setWindowTitle(f"Edit {instrument.id}" if instrument is not None else "New instrument")
        #: What the last successful save did, in a sentence (the store's answer).
        self.result_sentence = ""

        page = QWidget(self)
        page.setObjectName("definitionPage")
        self._build_details(page)
        self._build_items(page)
        self._build_subscales(page)
        self._build_scoring(page)
        self._build_norms(page)

        column = QVBoxLayout(page)
        column.addWidget(self._heading(page, "The measure"))
        column.addLayout(self.details_form)
        column.addSpacing(10)
        column.addWidget(self._heading(page, "Items", self.items_table, "It&ems"))
        column.addWidget(self.items_table)
        column.addLayout(self.item_buttons)
        column.addWidget(self.anchors_label)
        column.addWidget(self.anchors)
        column.addSpacing(10)
        column.addWidget(self._heading(page, "Subscales", self.subscales_table, "Su&bscales"))
        column.addWidget(self.subscales_table)
        column.addLayout(self.subscale_buttons)
        column.addSpacing(10)
        column.addWidget(self._heading(page, "Scoring"))
        column.addLayout(self.scoring_form)
        column.addSpacing(10)
        column.addWidget(self.norms)
        column.addStretch(1)

        scroll = QScrollArea(self)
        scroll.setObjectName("definitionScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # no tab stop of its own
        scroll.setWidget(page)
        self.scroll_area = scroll

        self.error = QLabel("", self)
        self.error.setObjectName("defError")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Problem with this definition")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bold = self.error.font()
        bold.setBold(True)
        self.error.setFont(bold)
        self.error.hide()
        buttons = QDialogButtonBox(self)
        self.save_button = buttons.addButton("&Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setObjectName("defSave")
        self.save_button.setDefault(True)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("defCancel")
        self.cancel_button.setText("Cancel")  # Escape cancels; its letter is taken
        # Save checks and stores first; the dialog closes only when that worked.
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

        wheel_only_when_focused(
            self.kind,
            self.respondent,
            self.when,
            self.total_method,
            self.prorate,
            self.comparison,
            self.direction,
        )
        self._set_tab_order()
        if instrument is not None:
            self._show(instrument, version or instrument.version)
        else:
            self.version.setText("1")
            self._add_item()
        self.id_edit.setReadOnly(editing)
        if editing:
            self.id_edit.setToolTip("An instrument keeps its id; export it to start a variant.")
            self.version.setToolTip(
                "Measurements keep the version they were taken with: a changed definition is "
                "saved under a new version once the old one has measurements."
            )
            self.name_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self._update_range()
        fit_to_screen(self, 1000, 760)

    # -- building ------------------------------------------------------------------------

    def _heading(
        self, parent: QWidget, text: str, buddy: QWidget | None = None, mnemonic: str = ""
    ) -> QLabel:
        label = QLabel(mnemonic or text, parent)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        if buddy is not None:
            label.setBuddy(buddy)
        return label

    def _line(
        self, parent: QWidget, name: str, accessible: str, placeholder: str = ""
    ) -> QLineEdit:
        edit = QLineEdit(parent)
        edit.setObjectName(name)
        edit.setAccessibleName(accessible)
        edit.setPlaceholderText(placeholder)
        return edit

    def _combo(
        self, parent: QWidget, name: str, accessible: str, choices: Sequence[tuple[str, str]]
    ) -> QComboBox:
        combo = QComboBox(parent)
        combo.setObjectName(name)
        combo.setAccessibleName(accessible)
        for value, words in choices:
            combo.addItem(words, value)
        return combo

    def _label(self, parent: QWidget, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, parent)
        label.setBuddy(buddy)
        return label

    def _build_details(self, page: QWidget) -> None:
        self.id_edit = self._line(
            page, "defId", "Id", "e.g. my-alliance-6 (letters, digits, - or _)"
        )
        self.id_edit.setMaxLength(60)  # longer than allowed, so the message can say so
        self.version = self._line(page, "defVersion", "Version", "e.g. 1")
        self.version.setMaxLength(40)
        self.version.setMaximumWidth(120)
        self.name_edit = self._line(page, "defName", "Name", "the measure's full name")
        self.kind = self._combo(page, "defKind", "Kind", _KINDS)
        self.respondent = self._combo(page, "defRespondent", "Respondent", _RESPONDENTS)
        self.when = self._combo(page, "defWhen", "When", _MOMENTS)
        self.timeframe = self._line(
            page, "defTimeframe", "Timeframe", "what the answers refer to, e.g. today's session"
        )
        self.licence = QPlainTextEdit(page)
        self.licence.setObjectName("defLicence")
        self.licence.setAccessibleName("Licence, or the text you are licensed to use")
        self.licence.setPlaceholderText(
            "The terms you use the measure on, e.g. 'Written by the practice; free to share.' "
            "or the licence that lets you show its wording."
        )
        self.licence.setTabChangesFocus(True)
        self.licence.setFixedHeight(self.licence.fontMetrics().lineSpacing() * 3 + 14)

        id_row = QHBoxLayout()
        id_row.addWidget(self.id_edit, 1)
        id_row.addSpacing(12)
        id_row.addWidget(self._label(page, "&Version:", self.version))
        id_row.addWidget(self.version)
        choice_row = QHBoxLayout()
        choice_row.addWidget(self.kind)
        choice_row.addSpacing(12)
        choice_row.addWidget(self._label(page, "Res&pondent:", self.respondent))
        choice_row.addWidget(self.respondent)
        choice_row.addSpacing(12)
        choice_row.addWidget(self._label(page, "W&hen:", self.when))
        choice_row.addWidget(self.when)
        choice_row.addStretch(1)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(self._label(page, "&Id:", self.id_edit), id_row)
        form.addRow(self._label(page, "&Name:", self.name_edit), self.name_edit)
        form.addRow(self._label(page, "&Kind:", self.kind), choice_row)
        form.addRow(self._label(page, "&Timeframe:", self.timeframe), self.timeframe)
        licence_label = self._label(page, "&Licence / text you\nare licensed to use:", self.licence)
        form.addRow(licence_label, self.licence)
        self.details_form = form

    def _build_items(self, page: QWidget) -> None:
        table = QTableWidget(0, len(_ITEM_COLUMNS), page)
        table.setObjectName("defItems")
        table.setAccessibleName("Items")
        table.setHorizontalHeaderLabels(list(_ITEM_COLUMNS))
        table.setTabKeyNavigation(False)  # arrows move between cells; Tab leaves the table
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        header = table.horizontalHeader()
        metrics = table.fontMetrics()
        for column, title in enumerate(_ITEM_COLUMNS):
            if column == _WORDING:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
            else:
                wanted = 150 if column == _LABEL else metrics.horizontalAdvance(title) + 24
                table.setColumnWidth(column, wanted)
        table.verticalHeader().setDefaultSectionSize(metrics.height() + 10)
        row_height = metrics.height() + 10
        # Room for seven items before it scrolls (the form around it scrolls too).
        table.setFixedHeight(table.horizontalHeader().sizeHint().height() + 7 * row_height + 4)
        table.itemChanged.connect(lambda *_: self._update_range())
        self.items_table = table

        self.add_item_button = QPushButton("&Add item", page)
        self.add_item_button.setObjectName("defAddItem")
        self.add_item_button.setToolTip("Add an item at the end, with the last item's range")
        self.add_item_button.setAutoDefault(False)
        self.add_item_button.clicked.connect(self._add_blank_item)
        self.remove_item_button = QPushButton("&Remove item", page)
        self.remove_item_button.setObjectName("defRemoveItem")
        self.remove_item_button.setToolTip("Remove the selected item; later items move up")
        self.remove_item_button.setAutoDefault(False)
        self.remove_item_button.clicked.connect(self._remove_item)
        note = QLabel(
            "Wording: only text you are licensed to use; without it the form shows the label. "
            "Reversed items are scored maximum + minimum - answer; a risk item is shown at once "
            "when answered above its minimum.",
            page,
        )
        note.setWordWrap(True)
        note.setObjectName("defItemsNote")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_item_button)
        buttons.addWidget(self.remove_item_button)
        buttons.addSpacing(12)
        buttons.addWidget(note, 1)
        self.item_buttons = buttons

        self.anchors = QPlainTextEdit(page)
        self.anchors.setObjectName("defAnchors")
        self.anchors.setAccessibleName("Anchors, one per line")
        self.anchors.setPlaceholderText(
            "Optional. One per line, lowest first, one for each point of the items' scale "
            "(e.g. seven lines for items 1 to 7). Without anchors the form takes numbers."
        )
        self.anchors.setTabChangesFocus(True)
        self.anchors.setFixedHeight(self.anchors.fontMetrics().lineSpacing() * 5 + 14)
        self.anchors_label = QLabel("Anch&ors (one per line):", page)
        self.anchors_label.setBuddy(self.anchors)

    def _build_subscales(self, page: QWidget) -> None:
        table = QTableWidget(0, len(_SUBSCALE_COLUMNS), page)
        table.setObjectName("defSubscales")
        table.setAccessibleName("Subscales")
        table.setHorizontalHeaderLabels(list(_SUBSCALE_COLUMNS))
        table.setTabKeyNavigation(False)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        table.setItemDelegateForColumn(_METHOD, _ChoiceDelegate(_METHODS, table))
        table.setItemDelegateForColumn(_TAG, _ChoiceDelegate(_TAGS, table))
        header = table.horizontalHeader()
        metrics = table.fontMetrics()
        table.setColumnWidth(_KEY, 110)
        header.setSectionResizeMode(_NAME, QHeaderView.ResizeMode.Stretch)
        table.setColumnWidth(_ITEMS, 150)
        table.setColumnWidth(_METHOD, metrics.horizontalAdvance("mean × 10") + 44)  # noqa: RUF001
        table.setColumnWidth(_TAG, metrics.horizontalAdvance("none") + 60)
        table.verticalHeader().setDefaultSectionSize(metrics.height() + 10)
        row_height = metrics.height() + 10
        table.setFixedHeight(table.horizontalHeader().sizeHint().height() + 4 * row_height + 4)
        self.subscales_table = table
        self.add_subscale_button = QPushButton("A&dd subscale", page)
        self.add_subscale_button.setObjectName("defAddSubscale")
        self.add_subscale_button.setAutoDefault(False)
        self.add_subscale_button.clicked.connect(self._add_blank_subscale)
        self.remove_subscale_button = QPushButton("Remove s&ubscale", page)
        self.remove_subscale_button.setObjectName("defRemoveSubscale")
        self.remove_subscale_button.setAutoDefault(False)
        self.remove_subscale_button.clicked.connect(self._remove_subscale)
        note = QLabel(
            "Items: their numbers, e.g. 1, 2 or 1-3. Tag an alliance measure's subscales "
            "goal, task and bond to chart them in their colours and alert when one falls.",
            page,
        )
        note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_subscale_button)
        buttons.addWidget(self.remove_subscale_button)
        buttons.addSpacing(12)
        buttons.addWidget(note, 1)
        self.subscale_buttons = buttons

    def _build_scoring(self, page: QWidget) -> None:
        self.total_method = self._combo(page, "defTotalMethod", "Total method", _METHODS)
        self.total_method.setCurrentIndex(0)
        self.total_method.currentIndexChanged.connect(lambda *_: self._update_range())
        self.prorate = QSpinBox(page)
        self.prorate.setObjectName("defProrate")
        self.prorate.setAccessibleName("Pro-rate the total when up to this many items are missing")
        self.prorate.setRange(0, 99)
        self.prorate.setMinimumWidth(self.prorate.fontMetrics().horizontalAdvance("none") + 60)
        self.prorate.setSpecialValueText("none")
        self.prorate.valueChanged.connect(lambda *_: self._update_range())
        self.total_range_label = QLabel("", page)
        self.total_range_label.setObjectName("defTotalRange")
        self.total_range_label.setAccessibleName("Total range")
        self.total_range_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow(self._label(page, "Total &method:", self.total_method), self.total_method)
        form.addRow(
            self._label(page, "Items that may be missin&g (pro-rated):", self.prorate),
            self.prorate,
        )
        range_label = QLabel("Total range:", page)
        range_label.setBuddy(self.total_range_label)
        form.addRow(range_label, self.total_range_label)
        self.scoring_form = form

    def _build_norms(self, page: QWidget) -> None:
        group = QGroupBox("&Cut-off and change (published figures)", page)
        group.setObjectName("defNorms")
        group.setAccessibleName("Cut-off and change")
        group.setCheckable(True)
        group.setChecked(False)
        self.norms = group
        self.cutoff = self._line(group, "defCutoff", "Cut-off", "none")
        self.comparison = self._combo(
            group, "defComparison", "A score exactly at the cut-off", _COMPARISONS
        )
        self.direction = self._combo(group, "defDirection", "Which way is better", _DIRECTIONS)
        self.reliability = self._line(group, "defReliability", "Reliability (alpha)", "e.g. 0.85")
        self.reliable_change = self._line(
            group, "defReliableChange", "Reliable change in points", "optional"
        )
        self.source = self._line(
            group, "defSource", "Figures quoted from", "where the figures come from (required)"
        )
        for edit in (self.cutoff, self.reliability, self.reliable_change):
            edit.setMaximumWidth(160)
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(self._label(group, "Cut-o&ff:", self.cutoff), self.cutoff)
        form.addRow(
            self._label(group, "A score e&xactly at the cut-off:", self.comparison),
            self.comparison,
        )
        form.addRow(self._label(group, "Which &way is better:", self.direction), self.direction)
        form.addRow(self._label(group, "Reliabilit&y (alpha):", self.reliability), self.reliability)
        form.addRow(
            self._label(group, "Reliable change si&ze (points):", self.reliable_change),
            self.reliable_change,
        )
        form.addRow(self._label(group, "Figures &quoted from:", self.source), self.source)

    def _set_tab_order(self) -> None:
        chain: list[QWidget] = [
            self.id_edit,
            self.version,
            self.name_edit,
            self.kind,
            self.respondent,
            self.when,
            self.timeframe,
            self.licence,
            self.items_table,
            self.add_item_button,
            self.remove_item_button,
            self.anchors,
            self.subscales_table,
            self.add_subscale_button,
            self.remove_subscale_button,
            self.total_method,
            self.prorate,
            self.norms,
            self.cutoff,
            self.comparison,
            self.direction,
            self.reliability,
            self.reliable_change,
            self.source,
            self.save_button,
            self.cancel_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- rows ----------------------------------------------------------------------------

    def _add_blank_item(self) -> None:
        self._add_item()
        self.items_table.setFocus(Qt.FocusReason.OtherFocusReason)  # to type its label

    def _add_blank_subscale(self) -> None:
        self._add_subscale()
        self.subscales_table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _add_item(self, item: Item | None = None) -> int:
        table = self.items_table
        row = table.rowCount()
        if item is None:
            # The last item's range and step: a questionnaire's items usually share them.
            above = [self._cell(table, row - 1, c) for c in (_MIN, _MAX, _STEP)] if row else []
            low, high, step = above or ["1", "5", "1"]
            values = [f"Item {row + 1}", "", low, high, step]
            flags = (False, False, False)
        else:
            values = [
                item.label,
                item.text or "",
                _number_text(item.minimum),
                _number_text(item.maximum),
                _number_text(item.step),
            ]
            flags = (item.reverse, item.optional, item.risk)
        table.blockSignals(True)
        table.insertRow(row)
        for column, text in enumerate(values):
            cell = QTableWidgetItem(text)
            if column in (_MIN, _MAX, _STEP):
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if column == _LABEL and item is not None and (not item.scored or item.anchors):
                cell.setData(
                    _ITEM_KEPT_ROLE,
                    {
                        "scored": item.scored,
                        "anchors": list(item.anchors),
                        "range": [item.minimum, item.maximum, item.step],
                    },
                )
                cell.setToolTip(_kept_words(item))
            table.setItem(row, column, cell)
        for column, checked in zip((_REVERSE, _OPTIONAL, _RISK), flags, strict=True):
            table.setItem(row, column, _flag_cell(checked, _ITEM_COLUMNS[column]))
        table.blockSignals(False)
        table.setCurrentCell(row, _LABEL)
        self._update_range()
        return row

    def _remove_item(self) -> None:
        table = self.items_table
        row = table.currentRow()
        if row < 0:
            return
        table.blockSignals(True)
        table.removeRow(row)
        # Labels still saying "Item N" follow their item's new number.
        for later in range(row, table.rowCount()):
            cell = table.item(later, _LABEL)
            if cell is not None and cell.text().strip() == f"Item {later + 2}":
                cell.setText(f"Item {later + 1}")
        table.blockSignals(False)
        if table.rowCount():
            table.setCurrentCell(min(row, table.rowCount() - 1), _LABEL)
        self._update_range()

    def _add_subscale(
        self,
        key: str = "",
        name: str = "",
        items: str = "",
        method: str | None = None,
        tag: str = "",
    ) -> int:
        table = self.subscales_table
        row = table.rowCount()
        table.insertRow(row)
        for column, text in ((_KEY, key), (_NAME, name), (_ITEMS, items)):
            table.setItem(row, column, QTableWidgetItem(text))
        chosen = method or str(self.total_method.currentData())
        table.setItem(row, _METHOD, _choice_cell(_METHODS, chosen))
        table.setItem(row, _TAG, _choice_cell(_TAGS, tag))
        table.setCurrentCell(row, _KEY)
        return row

    def _remove_subscale(self) -> None:
        row = self.subscales_table.currentRow()
        if row >= 0:
            self.subscales_table.removeRow(row)

    # -- showing an instrument -----------------------------------------------------------

    def _show(self, instrument: Instrument, version: str) -> None:
        self.id_edit.setText(instrument.id)
        self.version.setText(version)
        self.name_edit.setText(instrument.name)
        self.kind.setCurrentIndex(max(0, self.kind.findData(instrument.kind)))
        self.respondent.setCurrentIndex(max(0, self.respondent.findData(instrument.respondent)))
        self.when.setCurrentIndex(max(0, self.when.findData(instrument.when)))
        self.timeframe.setText(instrument.timeframe)
        self.licence.setPlainText(instrument.licence)
        for item in instrument.items:
            self._add_item(item)
        self.anchors.setPlainText("\n".join(instrument.anchors))
        self.total_method.setCurrentIndex(
            max(0, self.total_method.findData(instrument.total_method.value))
        )
        for scale in instrument.subscales:
            self._add_subscale(
                scale.key,
                scale.name,
                ", ".join(str(n) for n in scale.items),
                scale.method.value,
                scale.tag or "",
            )
        self.prorate.setValue(instrument.max_prorated_items)
        norms = instrument.norms
        self.norms.setChecked(norms is not None)
        if norms is not None:
            self.cutoff.setText("" if norms.cutoff is None else _number_text(norms.cutoff))
            self.comparison.setCurrentIndex(
                max(0, self.comparison.findData(norms.cutoff_comparison.value))
            )
            self.direction.setCurrentIndex(0 if norms.higher_is_better else 1)
            self.reliability.setText(f"{norms.reliability:g}")
            points = norms.reliable_change_points
            self.reliable_change.setText("" if points is None else _number_text(points))
            self.source.setText(norms.source)
        if self.items_table.rowCount():
            self.items_table.setCurrentCell(0, _LABEL)

    # -- the total range -----------------------------------------------------------------

    def _decimals(self) -> int:
        return self.original.total_decimals if self.original is not None else 1

    def total_range(self) -> tuple[float, float] | None:
        """The lowest and highest total the items allow, as the definition must declare
        them; None while an item cannot be scored (its problem is shown on saving)."""
        table = self.items_table
        items: list[Item] = []
        try:
            for row in range(table.rowCount()):
                bounds = [_read_number(self._cell(table, row, c)) for c in (_MIN, _MAX, _STEP)]
                low, high, step = bounds
                if low is None or high is None or step is None:
                    return None
                items.append(
                    Item(
                        row + 1,
                        f"Item {row + 1}",
                        low,
                        high,
                        step,
                        optional=self._checked(table, row, _OPTIONAL),
                        scored=self._kept(row).get("scored", True),
                    )
                )
        except DomainError:
            return None
        required = sum(not item.optional for item in items)
        prorated = self.prorate.value()
        if not items or not required or prorated >= required:
            return None
        method = ScoreMethod(str(self.total_method.currentData()))
        try:
            return possible_total_range(items, method, prorated, self._decimals())
        except (ArithmeticError, ValueError):
            return None

    def _update_range(self) -> None:
        if not hasattr(self, "total_range_label"):  # (not yet built)
            return
        found = self.total_range()
        if found is None:
            self.total_range_label.setText("— (worked out once every item has a valid range)")
            return
        method = ScoreMethod(str(self.total_method.currentData()))
        low, high = found
        self.total_range_label.setText(
            f"{_number_text(low)} to {_number_text(high)} ({_METHOD_WORDS[method]})"
        )

    # -- the document --------------------------------------------------------------------

    @staticmethod
    def _cell(table: QTableWidget, row: int, column: int) -> str:
        cell = table.item(row, column)
        return cell.text() if cell is not None else ""

    @staticmethod
    def _checked(table: QTableWidget, row: int, column: int) -> bool:
        cell = table.item(row, column)
        return cell is not None and cell.checkState() == Qt.CheckState.Checked

    def _number(self, text: str, where: str, focus: Focus, example: str) -> int | float:
        value = _read_number(text)
        if value is None:
            shown = text.strip()
            problem = f"'{shown[:30]}' is not a number" if shown else "it is empty"
            raise _FormProblem(f"{where}: {problem}; type a number such as {example}.", focus)
        return _json_number(value)

    def _optional_number(self, edit: QLineEdit, where: str, example: str) -> int | float | None:
        if not edit.text().strip():
            return None
        return self._number(edit.text(), where, edit, example)

    def _items(self) -> list[dict[str, Any]]:
        table = self.items_table
        items = []
        for row in range(table.rowCount()):
            where = f"Item {row + 1}"
            bounds = [
                self._number(
                    self._cell(table, row, column),
                    f"{where}, {_ITEM_COLUMNS[column].lower()}",
                    (table, row, column),
                    example,
                )
                for column, example in ((_MIN, "1"), (_MAX, "7"), (_STEP, "1 or 0.5"))
            ]
            wording = _one_line(self._cell(table, row, _WORDING))
            item: dict[str, Any] = {
                "number": row + 1,
                "label": self._cell(table, row, _LABEL).strip(),
                "minimum": bounds[0],
                "maximum": bounds[1],
                "step": bounds[2],
                "text": wording or None,
            }
            for column, key in _FLAG_KEYS.items():
                item[key] = self._checked(table, row, column)
            kept = self._kept(row)
            if not kept.get("scored", True):
                item["scored"] = False  # (refused by the reader if made risk or required)
            if kept.get("anchors") and all(
                math.isclose(a, b, rel_tol=1e-9) for a, b in zip(kept["range"], bounds, strict=True)
            ):
                item["anchors"] = list(kept["anchors"])  # words for the answers it was given
            items.append(item)
        return items

    def _kept(self, row: int) -> dict[str, Any]:
        """What the file set for item ``row`` that the table shows no column for."""
        cell = self.items_table.item(row, _LABEL)
        kept = cell.data(_ITEM_KEPT_ROLE) if cell is not None else None
        return kept if isinstance(kept, dict) else {}

    def _subscales(self) -> list[dict[str, Any]]:
        table = self.subscales_table
        scales = []
        for row in range(table.rowCount()):
            typed = self._cell(table, row, _ITEMS)
            numbers = _item_numbers(typed)
            if numbers is None:
                raise _FormProblem(
                    f"Subscale {row + 1}, items: '{typed.strip()[:30]}' is not a list of item "
                    "numbers; type them as 1, 2 or 1-3.",
                    (table, row, _ITEMS),
                )
            method = table.item(row, _METHOD)
            tag = table.item(row, _TAG)
            scales.append(
                {
                    "key": self._cell(table, row, _KEY).strip(),
                    "name": self._cell(table, row, _NAME).strip(),
                    "items": numbers,
                    "method": str(method.data(_ID_ROLE)) if method is not None else "sum",
                    "tag": (str(tag.data(_ID_ROLE)) or None) if tag is not None else None,
                }
            )
        return scales

    def _norms(self) -> dict[str, Any] | None:
        if not self.norms.isChecked():
            return None
        kept: dict[str, Any] = {}
        if self.original is not None:
            original = instrument_to_dict(self.original)["norms"]
            if original is not None:
                kept = dict(original)  # the figures this form does not show stay as they were
        reliability = self._optional_number(self.reliability, "Reliability", "0.85")
        if reliability is None:
            raise _FormProblem(
                "Reliability: it is empty; type the reliability the figures were published "
                "with (Cronbach's alpha, e.g. 0.85).",
                self.reliability,
            )
        kept.update(
            {
                "cutoff": self._optional_number(self.cutoff, "Cut-off", "25"),
                "cutoff_comparison": str(self.comparison.currentData()),
                "higher_is_better": self.direction.currentData() == "higher",
                "reliability": reliability,
                "reliable_change_points": self._optional_number(
                    self.reliable_change, "Reliable change", "5"
                ),
                "source": self.source.text().strip(),
            }
        )
        return kept

    def document(self) -> dict[str, Any]:
        """The definition as typed: the document a definition file holds.

        Raises:
            _FormProblem: A number or a list of item numbers that is not one.
        """
        instrument: dict[str, Any] = {}
        if self.original is not None:
            # What the form does not show (wording credits, bands, chart style…) is kept.
            instrument = instrument_to_dict(self.original)
        anchors = [line.strip() for line in self.anchors.toPlainText().splitlines()]
        instrument.update(
            {
                "id": self.id_edit.text().strip(),
                "version": self.version.text().strip(),
                "name": self.name_edit.text().strip(),
                "kind": str(self.kind.currentData()),
                "respondent": str(self.respondent.currentData()),
                "when": str(self.when.currentData()),
                "timeframe": self.timeframe.text().strip(),
                "licence": _one_line(self.licence.toPlainText()),
                "items": self._items(),
                "anchors": [a for a in anchors if a],
                "subscales": self._subscales(),
                "total_method": str(self.total_method.currentData()),
                "max_prorated_items": self.prorate.value(),
                "norms": self._norms(),
            }
        )
        found = self.total_range()
        low, high = found if found is not None else (0, 1)  # (the items' problem shows first)
        instrument["total_min"], instrument["total_max"] = _json_number(low), _json_number(high)
        # Kept rules and bands that the edit no longer fits are dropped, not refused: the
        # form has no place to change them (a measure made outcome, its tags removed).
        subscales = instrument["subscales"]
        tagged = any(s.get("tag") for s in subscales) if isinstance(subscales, list) else False
        fits = {
            "session_rating": instrument["kind"] == "alliance",
            "alliance_subscales": instrument["kind"] == "alliance" and tagged,
            "not_on_track": instrument["kind"] == "outcome"
            and isinstance(instrument["norms"], dict)
            and (
                instrument["norms"].get("reliable_change_points") is not None
                or instrument["norms"].get("sd") is not None
            ),
            "overdue": True,
        }
        if "alert_rules" in instrument:
            instrument["alert_rules"] = [r for r in instrument["alert_rules"] if fits.get(r)]
        if found is not None:
            instrument["bands"] = [
                b for b in instrument.get("bands", []) if low <= b["lower"] and b["upper"] <= high
            ]
        axis = instrument.get("axis")
        if axis is not None and found is not None:
            # A chart axis kept from the file still shows the whole (new) range.
            instrument["axis"] = [
                _json_number(min(axis[0], low)),
                _json_number(max(axis[1], high)),
                axis[2],
            ]
        return {
            "format": "alliance-desktop-instrument",
            "format_version": 1,
            "instrument": instrument,
        }

    # -- saving --------------------------------------------------------------------------

    def checked_instrument(self) -> Instrument:
        """The definition as typed, checked as a definition file is.

        Raises:
            _FormProblem: The first problem, in the form's words, and where it is.
        """
        document = self.document()
        try:
            return parse_definition(document, _WHERE)
        except InvalidInput as exc:
            message, focus = self._in_words(str(exc))
            raise _FormProblem(message, focus) from None

    def save(self) -> bool:
        """Check the definition and store it; close when stored. A refusal shows its one
        sentence under the form and keeps everything typed. True when saved."""
        try:
            instrument = self.checked_instrument()
            said = self._store(instrument)
        except _FormProblem as problem:
            self.show_error(str(problem), problem.focus)
            return False
        except (ServiceError, StorageError) as exc:
            self.show_error(f"{exc}")
            return False
        self.result_sentence = str(said or "")
        self.show_error("")
        self.accept()
        return True

    def show_error(self, message: str, focus: Focus = None) -> None:
        """Show one sentence under the form (empty: none) and go to the field it is about."""
        self.error.setText(f"⚠ {message}" if message else "")
        self.error.setVisible(bool(message))
        if isinstance(focus, tuple):
            table, row, column = focus
            if 0 <= row < table.rowCount():
                table.setCurrentCell(row, column)
                cell = table.item(row, column)
                if cell is not None:
                    table.scrollToItem(cell)
            table.setFocus(Qt.FocusReason.OtherFocusReason)
            self.scroll_area.ensureWidgetVisible(table)
        elif isinstance(focus, QWidget):
            if focus is self.norms:
                self.scroll_area.ensureWidgetVisible(focus)
            else:
                focus.setFocus(Qt.FocusReason.OtherFocusReason)
                self.scroll_area.ensureWidgetVisible(focus)

    def _in_words(self, message: str) -> tuple[str, Focus]:
        """The reader's sentence with its place named as the form names it, and where that is
        ("instrument.items[2].maximum: …" → "Item 3, maximum: …" and that cell)."""
        text = message.removeprefix(f"{_WHERE}: ")
        focus: Focus = None
        found = _PATH.match(text)
        if found is not None:
            place, focus = self._place(found[1])
            text = f"{place}: {text[found.end() :]}" if place else text[found.end() :]
        elif text.startswith(("the version", "The version")):
            focus = self.version
        elif "built-in instrument" in text:
            focus = self.id_edit
        for pattern, words in _INNER_WORDS:
            text = pattern.sub(words, text)
        return text, focus

    def _place(self, path: str) -> tuple[str, Focus]:
        parts: list[str | int] = [
            m[1] if m[1] is not None else int(m[2]) for m in _PART.finditer(path)
        ]
        fields: dict[str, QWidget] = {
            "id": self.id_edit,
            "version": self.version,
            "name": self.name_edit,
            "kind": self.kind,
            "respondent": self.respondent,
            "when": self.when,
            "timeframe": self.timeframe,
            "licence": self.licence,
            "items": self.items_table,
            "anchors": self.anchors,
            "subscales": self.subscales_table,
            "total_method": self.total_method,
            "total_min": self.total_method,
            "total_max": self.total_method,
            "max_prorated_items": self.prorate,
            "norms": self.norms,
        }
        if not parts:
            return "", None
        head = parts[0]
        if head in ("items", "subscales") and len(parts) >= 2 and isinstance(parts[1], int):
            row = parts[1]
            table = self.items_table if head == "items" else self.subscales_table
            words = _ITEM_FIELDS if head == "items" else _SUBSCALE_FIELDS
            noun = "Item" if head == "items" else "Subscale"
            if len(parts) >= 3 and isinstance(parts[2], str) and parts[2] in words:
                field, column = words[parts[2]]
                return f"{noun} {row + 1}, {field}", (table, row, column)
            return f"{noun} {row + 1}", (table, row, _LABEL if head == "items" else _KEY)
        if head == "anchors" and len(parts) >= 2 and isinstance(parts[1], int):
            return f"Anchor {parts[1] + 1}", self.anchors
        if head == "norms" and len(parts) >= 2 and isinstance(parts[1], str):
            norm_fields: dict[str, QWidget] = {
                "cutoff": self.cutoff,
                "cutoff_comparison": self.comparison,
                "higher_is_better": self.direction,
                "reliability": self.reliability,
                "reliable_change_points": self.reliable_change,
                "source": self.source,
            }
            key = parts[1]
            return _NORM_WORDS.get(key, f"Cut-off and change, {key}"), norm_fields.get(
                key, self.norms
            )
        if isinstance(head, str):
            return _TOP_WORDS.get(head, head), fields.get(head)
        return "", None
