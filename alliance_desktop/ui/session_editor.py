"""The session editor: record (or edit) one session with its measures, rupture and feedback.

The editor is a view over a ``SessionForm`` (``services/session_form.py``): every widget is
registered under its field key, which is also its object name and the key of its error
message, so the service's messages land beside the right field. Nothing here scores or
checks anything; the service does, with the domain functions the rest of the app uses.

Four things make sure nothing typed is lost:
- a draft is written to the database one second after the last change (``AUTOSAVE_MS``)
  and offered again by the main window after a crash; saving the session deletes it in the
  same transaction;
- undo and redo run on the whole form (Ctrl+Z / Ctrl+Shift+Z or Ctrl+Y in any field),
  typing in one field merging into one step;
- closing with changes asks Save / Discard / Cancel;
- marking a session with typed ratings Cancelled or No-show asks first; the ratings are
  kept in the editor (not saved) and come back with Attended;
- a session saved elsewhere (another window, the command line) after it was opened here is
  not overwritten: the save is refused with one message, and the typing stays in the editor
  (and in its draft) to be copied into the session opened again.

Nothing changes by accident either: the wheel scrolls the form and changes a drop-down, a
spin box or the date only once it has focus. Ctrl+S saves; the session's one-page summary
can be printed (Ctrl+P) or saved as a PDF, with the same options as the command line.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDateTime, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop import APP_NAME, documents
from alliance_desktop.domain._format import join_words, ordinal
from alliance_desktop.domain.instruments import INSTRUMENTS, OFFERED_IDS, Instrument
from alliance_desktop.domain.vocabulary import (
    APPROACH_LABELS,
    Attendance,
    RuptureKind,
    SessionFormat,
)
from alliance_desktop.services import drafts as draft_service
from alliance_desktop.services import sessions as session_service
from alliance_desktop.services.alerts import refresh_alert_records
from alliance_desktop.services.database import Database, EditConflict, StorageError
from alliance_desktop.services.errors import InvalidInput, ServiceError
from alliance_desktop.services.session_form import (
    GOALS,
    QUESTIONNAIRES,
    EditorContext,
    FormPreview,
    SessionForm,
    goal_key,
    item_key,
    parse_start,
    preview_form,
    ratable_goals,
    read_form,
    save_measure_plan,
)
from alliance_desktop.ui.alert_dialogs import severity_html
from alliance_desktop.ui.printing import PrintFailed, ask_and_print
from alliance_desktop.ui.report_dialog import ask_pdf_path
from alliance_desktop.ui.widgets import fit_to_screen, wheel_only_when_focused

log = logging.getLogger(__name__)

_BOXES_PER_ROW = 7  # the built-in measures on one line at 1280 pixels
AUTOSAVE_MS = 1000  # a draft at most this long (plus one write) after the last change
PREVIEW_MS = 120  # scores and alerts follow typing without re-scoring every keystroke
FORMAT_LABELS = {
    SessionFormat.IN_PERSON: "In person",
    SessionFormat.VIDEO: "Video",
    SessionFormat.PHONE: "Phone",
}
ATTENDANCE_LABELS = {
    Attendance.ATTENDED: "Attended",
    Attendance.CANCELLED: "Cancelled",
    Attendance.NO_SHOW: "No-show",
}
RUPTURE_LABELS = {
    RuptureKind.WITHDRAWAL: "Withdrawal (went quiet, deflected, agreed too quickly)",
    RuptureKind.CONFRONTATION: "Confrontation (complained, challenged, pushed back)",
}
#: Said when the save is refused because the session was saved elsewhere since it was opened.
CHANGED_ELSEWHERE = (
    "This session was changed elsewhere (in another window or on the command line) after "
    "you opened it. Your changes were not saved; they are still in the editor — copy what "
    "you need, close it and open the session again."
)
#: What the live preview says of a questionnaire with a value it cannot read; true only
#: once Save has marked that value, so before that the editor says it in other words.
PREVIEW_CHECK_MARKED = "Check the marked value."


class _FormChange(QUndoCommand):
    """One step of the form's history: the whole form before and after it."""

    def __init__(
        self, editor: SessionEditor, key: str, before: dict[str, Any], after: dict[str, Any]
    ) -> None:
        super().__init__(f"Change {key}")
        self._editor = editor
        self.key = key
        self.before = before
        self.after = after
        self._pushed = False

    def id(self) -> int:
        return 1

    def mergeWith(self, other: QUndoCommand) -> bool:
        # Typing in one field is one step; moving to another field starts a new one.
        if not isinstance(other, _FormChange) or other.key != self.key:
            return False
        self.after = other.after
        return True

    def redo(self) -> None:
        if self._pushed:  # the first redo is the change the user just made
            self._editor._apply(self.after, focus=self.key)
        self._pushed = True

    def undo(self) -> None:
        self._editor._apply(self.before, focus=self.key)


class _UndoKeys(QObject):
    """Sends Undo/Redo keys in any field to the editor's history, not the field's own."""

    def __init__(self, stack: QUndoStack, parent: QObject) -> None:
        super().__init__(parent)
        self._stack = stack

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            assert isinstance(event, QKeyEvent)
            if event.matches(QKeySequence.StandardKey.Undo):
                if event.type() == QEvent.Type.KeyPress:
                    self._stack.undo()
                event.accept()
                return True
            if event.matches(QKeySequence.StandardKey.Redo) or (
                event.key() == Qt.Key.Key_Y
                and event.modifiers() == Qt.KeyboardModifier.ControlModifier
            ):
                if event.type() == QEvent.Type.KeyPress:
                    self._stack.redo()
                event.accept()
                return True
        return False


class _Field:
    """How to read, write and watch one registered widget."""

    def __init__(
        self,
        widget: QWidget,
        get: Callable[[], Any],
        put: Callable[[Any], None],
        changed: Any,
    ) -> None:
        self.widget = widget
        self.get = get
        self.put = put
        self.changed = changed


class SessionEditor(QDialog):
    """Record a new session or edit a stored one. ``saved`` carries the service's Change."""

    saved = Signal(object)
    riskReviewRequested = Signal(int)  # client id: record a review (after saving the session)

    def __init__(
        self,
        parent: QWidget | None,
        db: Database,
        context: EditorContext,
        *,
        draft: draft_service.Draft | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sessionEditor")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.db = db
        self.saved_session_id: int | None = None
        self.context = context
        self._fields: dict[str, _Field] = {}
        self._errors: dict[str, QLabel] = {}
        # What the last save attempt found wrong, by field key (a key without a label is
        # shown in the problem line); each goes as soon as its field reads right.
        self._marks: dict[str, str] = {}
        self._failure = ""  # why the last save (or plan) failed, for the problem line
        self._preview: FormPreview | None = None
        #: Where "Save summary as PDF…" suggests saving (the window may set its last folder).
        self.pdf_folder = Path.home()
        self._applying = False
        self._closing_decided = False
        self._draft_id = draft.draft_id if draft else None
        #: The stored session's version this typing was made on (a restored draft's own):
        #: the save names it, and is refused if the session was saved elsewhere since.
        self.loaded_version = (
            draft.session_version
            if draft is not None and draft.session_version is not None
            else context.version
        )
        self._risk_in_form = False
        #: While "Change the attendance?" is open: the attendance before the change.
        self._undecided_attendance: str | None = None
        self._passthrough: dict[str, Any] = {}
        self._baseline: dict[str, Any] = {}
        self._last: dict[str, Any] = {}
        # Every goal that can be rated now, plus any the stored session or the draft rated
        # (a goal closed since then): a rating without a field would be lost on save.
        rated = set(context.form.goal_ratings) | set(draft.form.goal_ratings if draft else ())
        known = {g.number for g in context.client.goals}
        self.goal_numbers = sorted(
            set(ratable_goals(context.client, None))
            | {int(k) for k in rated if k.isdigit() and int(k) in known}
        )
        self.undo_stack = QUndoStack(self)
        self._undo_keys = _UndoKeys(self.undo_stack, self)
        self._autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save_draft)
        self._preview_timer = QTimer(self, singleShot=True, interval=PREVIEW_MS)
        self._preview_timer.timeout.connect(self.refresh_preview)

        client = context.client
        what = "New session" if context.session_id is None else f"Session {context.number}"
        self.setWindowTitle(f"{what}: {client.code} {client.display_name}")
        # Shrunk to the screen (1280x720 with a task bar, 200 % on 2560x1440): the form
        # scrolls inside, and Save, Close and Undo stay on screen.
        fit_to_screen(self, 1040, 760)
        self._build()
        # The baseline is the stored (or blank) form as the widgets show it, so an editor
        # that was opened and not touched is unchanged.
        self._apply(context.form.to_dict())
        self._baseline = self._last
        if draft is not None:
            self._apply(draft.form.to_dict())
        self._update_enabled()
        self._update_title()  # filling the form marked it changed before the baseline was set
        self.refresh_preview()
        if draft is not None:
            saved_at = f"{draft.saved_at:%Y-%m-%d %H:%M}"
            self.draft_status.setText(f"Restored the unsaved draft from {saved_at}.")

    # -- building ------------------------------------------------------------------------

    def _build(self) -> None:
        client = self.context.client
        header = QLabel(self)
        header.setObjectName("sessionHeader")
        number = self.context.number
        header.setText(
            f"<b>{client.code}</b> {client.display_name} · session {number}"
            + (" (new)" if self.context.session_id is None else "")
        )
        self.problem = QLabel("", self)
        self.problem.setObjectName("saveProblem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)

        body = QWidget(self)
        columns = QHBoxLayout(body)
        left = QVBoxLayout()
        right = QVBoxLayout()
        columns.addLayout(left, 3)
        columns.addSpacing(16)
        columns.addLayout(right, 2)
        left.addWidget(self._heading("Session"))
        left.addLayout(self._build_details())
        left.addSpacing(8)
        left.addWidget(self._heading("Measures"))
        left.addLayout(self._build_measure_choice())
        self.measure_groups: dict[str, QWidget] = {}
        self.results: dict[str, QLabel] = {}
        for instrument_id in QUESTIONNAIRES:
            group = self._build_questionnaire(self.context.instruments[instrument_id])
            self.measure_groups[instrument_id] = group
            left.addWidget(group)
        self.measure_groups[GOALS] = self._build_goals()
        left.addWidget(self.measure_groups[GOALS])
        # The alerts sit above the form, outside its scroll area, so an urgent one is seen
        # while any part of the form is being filled in.
        self.alerts_box = QLabel("", self)
        self.alerts_box.setObjectName("sessionAlerts")
        self.alerts_box.setAccessibleName("Alerts this session raises")
        self.alerts_box.setWordWrap(True)
        self.alerts_box.setTextFormat(Qt.TextFormat.RichText)
        self.review_button = QPushButton("Record risk review…", self)
        self.review_button.setObjectName("editorReviewButton")
        self.review_button.setToolTip(
            "Record the date, what was done and whether risk is ongoing (a risk answer in this "
            "form is saved first)"
        )
        self.review_button.clicked.connect(self.request_risk_review)
        self.review_button.setVisible(False)
        left.addStretch(1)
        right.addWidget(self._heading("In the session"))
        right.addLayout(self._build_texts())
        right.addSpacing(8)
        right.addWidget(self._heading("Rupture and repair"))
        right.addLayout(self._build_rupture())
        right.addStretch(1)

        self.form_scroll = scroll = QScrollArea(self)
        scroll.setObjectName("sessionEditorScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        self.draft_status = QLabel("", self)
        self.draft_status.setObjectName("draftStatus")
        self.undo_button = QPushButton("&Undo", self)
        self.undo_button.setObjectName("undoButton")
        self.undo_button.clicked.connect(self.undo_stack.undo)
        self.redo_button = QPushButton("&Redo", self)
        self.redo_button.setObjectName("redoButton")
        self.redo_button.clicked.connect(self.undo_stack.redo)
        self.undo_stack.canUndoChanged.connect(self.undo_button.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_button.setEnabled)
        self.undo_button.setEnabled(False)
        self.redo_button.setEnabled(False)
        self.save_button = QPushButton("&Save session", self)
        self.save_button.setObjectName("saveSessionButton")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.save_action = QAction("Save session", self)
        self.save_action.setObjectName("saveSessionAction")
        # The platform's Save keys (Ctrl+S nearly everywhere), beside the button's Alt+S.
        save_keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Save)
        self.save_action.setShortcuts(save_keys or [QKeySequence("Ctrl+S")])
        self.save_action.triggered.connect(self.save)
        self.addAction(self.save_action)
        shown_key = self.save_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.save_button.setToolTip(f"Check and save the session ({shown_key})")
        self.print_button = QPushButton("Print summary…", self)
        self.print_button.setObjectName("printSessionButton")
        self.print_button.setToolTip("Print this session on one page (Ctrl+P)")
        self.print_button.clicked.connect(self.print_summary)
        print_action = QAction("Print session summary", self)
        print_action.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Print))
        print_action.triggered.connect(self.print_summary)
        self.addAction(print_action)
        self.pdf_button = QPushButton("Save summary as PDF…", self)
        self.pdf_button.setObjectName("pdfSessionButton")
        self.pdf_button.setToolTip(
            "Save this session's one-page summary as a PDF file, with or without the notes "
            "and the client's name"
        )
        self.pdf_button.clicked.connect(self.save_summary_pdf)
        self.cancel_button = QPushButton("Close", self)
        self.cancel_button.setObjectName("closeSessionButton")
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.redo_button)
        buttons.addWidget(self.draft_status, 1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)

        alert_row = QHBoxLayout()
        alert_row.addWidget(self.alerts_box, 1)
        alert_row.addWidget(self.review_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addLayout(alert_row)
        layout.addWidget(self.problem)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        # The wheel scrolls the form; it changes a drop-down, a spin box or the date only
        # once that field has focus (two notches over item 6 must never erase a risk answer).
        wheel_only_when_focused(*self.findChildren(QComboBox), *self.findChildren(QAbstractSpinBox))

    def _heading(self, text: str) -> QLabel:
        label = QLabel(f"<b>{text}</b>", self)
        label.setAccessibleName(text)
        return label

    def _register(
        self,
        key: str,
        widget: QWidget,
        get: Callable[[], Any],
        put: Callable[[Any], None],
        changed: Any,
    ) -> None:
        widget.setObjectName(key)
        self._fields[key] = _Field(widget, get, put, changed)
        changed.connect(lambda *_: self._changed(key))
        widget.installEventFilter(self._undo_keys)
        inner = widget.findChild(QLineEdit) if isinstance(widget, QAbstractSpinBox) else None
        if inner is not None:  # a spin box's keys reach its line edit first
            inner.installEventFilter(self._undo_keys)

    def _error_label(self, key: str, parent_layout: Any, *args: Any) -> QLabel:
        label = QLabel("", self)
        label.setObjectName(f"{key}Error")
        label.setWordWrap(True)
        label.setVisible(False)
        self._errors[key] = label
        parent_layout.addWidget(label, *args)
        return label

    def _combo(self, key: str, labels: dict[Any, str]) -> QComboBox:
        combo = QComboBox(self)
        for value, text in labels.items():
            combo.addItem(text, str(value))  # PySide hands StrEnum data back as plain str

        def put(value: Any) -> None:
            index = combo.findData(value)
            combo.setCurrentIndex(max(index, 0))

        self._register(key, combo, combo.currentData, put, combo.currentIndexChanged)
        return combo

    def _line(self, key: str, *, width: int | None = None) -> QLineEdit:
        edit = QLineEdit(self)
        if width:
            edit.setMaximumWidth(width)
        self._register(key, edit, edit.text, edit.setText, edit.textChanged)
        return edit

    def _text(self, key: str, placeholder: str) -> QPlainTextEdit:
        edit = QPlainTextEdit(self)
        edit.setPlaceholderText(placeholder)
        edit.setUndoRedoEnabled(False)  # the editor's history covers every field
        edit.setTabChangesFocus(True)
        edit.setMinimumHeight(60)
        edit.setMaximumHeight(130)  # room for the rupture below without scrolling

        def put(value: str) -> None:
            if edit.toPlainText() != value:
                edit.setPlainText(value)
                edit.moveCursor(edit.textCursor().MoveOperation.End)

        self._register(key, edit, edit.toPlainText, put, edit.textChanged)
        return edit

    def _check(self, key: str, text: str) -> QCheckBox:
        box = QCheckBox(text, self)
        self._register(key, box, box.isChecked, box.setChecked, box.toggled)
        return box

    def _build_details(self) -> QFormLayout:
        form = QFormLayout()
        self.start_edit = QDateTimeEdit(self)
        self.start_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.start_edit.setCalendarPopup(True)

        def get_start() -> str:
            return str(self.start_edit.dateTime().toString("yyyy-MM-dd HH:mm"))

        def put_start(value: str) -> None:
            moment = QDateTime.fromString(value, "yyyy-MM-dd HH:mm")
            if moment.isValid():
                self.start_edit.setDateTime(moment)

        self._register(
            "start", self.start_edit, get_start, put_start, self.start_edit.dateTimeChanged
        )
        form.addRow("Da&te and time", self.start_edit)
        self._error_row(form, "start")
        self.duration_edit = QSpinBox(self)
        self.duration_edit.setRange(1, 600)
        self.duration_edit.setSuffix(" min")
        self._register(
            "duration",
            self.duration_edit,
            lambda: str(self.duration_edit.value()),
            lambda v: self.duration_edit.setValue(int(v) if str(v).isdigit() else 50),
            self.duration_edit.valueChanged,
        )
        form.addRow("&Length", self.duration_edit)
        self._error_row(form, "duration")
        form.addRow("&Format", self._combo("format", FORMAT_LABELS))
        self.attendance_combo = self._combo("attendance", ATTENDANCE_LABELS)
        form.addRow("Atte&ndance", self.attendance_combo)
        self._error_row(form, "attendance")
        form.addRow("Appro&ach", self._combo("approach", APPROACH_LABELS))
        return form

    def _error_row(self, form: QFormLayout, key: str) -> None:
        label = QLabel("", self)
        label.setObjectName(f"{key}Error")
        label.setWordWrap(True)
        label.setVisible(False)
        self._errors[key] = label
        form.addRow("", label)

    def _build_measure_choice(self) -> QVBoxLayout:
        layout = QVBoxLayout()
        row = QHBoxLayout()
        grid = QGridLayout()  # wraps after a row's worth: the practice may have its own
        grid.setContentsMargins(0, 0, 0, 0)
        row.addLayout(grid)
        self.instrument_boxes: dict[str, QCheckBox] = {}
        stored = set(self.context.form.instruments)
        # A retired instrument is offered only to a session that already has it.
        shown = [i for i in INSTRUMENTS if i in OFFERED_IDS or i in stored]
        for index, instrument_id in enumerate(shown):
            text = f"Goals ({instrument_id})" if instrument_id == GOALS else instrument_id
            box = QCheckBox(text, self)
            box.setObjectName(f"use_{instrument_id}")
            box.setAccessibleName(f"Record {text}")
            box.toggled.connect(lambda *_: self._changed("instruments"))
            box.installEventFilter(self._undo_keys)
            self.instrument_boxes[instrument_id] = box
            grid.addWidget(box, index // _BOXES_PER_ROW, index % _BOXES_PER_ROW)
        row.addStretch(1)
        self.remember_plan_button = QPushButton("Use for this client's next sessions", self)
        self.remember_plan_button.setObjectName("rememberPlanButton")
        spaced = [
            f"the {i.id} every {ordinal(i.offer_every)} session"
            for i in INSTRUMENTS.values()
            if i.offer_every > 1
        ]
        self.remember_plan_button.setToolTip(
            "New sessions for this client will offer these measures"
            + (f" ({join_words(spaced)})." if spaced else ".")
        )
        self.remember_plan_button.clicked.connect(self.remember_plan)
        row.addWidget(self.remember_plan_button)
        layout.addLayout(row)
        self.measures_off = QLabel(
            "Measures are not recorded for a cancelled or missed session. Ratings typed "
            "before are kept here, unsaved: choose Attended to see them again."
        )
        self.measures_off.setWordWrap(True)
        self.measures_off.setObjectName("measuresOffNote")
        self.measures_off.setVisible(False)
        layout.addWidget(self.measures_off)
        return layout

    def _build_questionnaire(self, instrument: Instrument) -> QWidget:
        group = QWidget(self)
        group.setObjectName(f"group_{instrument.id}")
        layout = QVBoxLayout(group)
        layout.setContentsMargins(0, 6, 0, 6)
        title = QLabel(f"<b>{instrument.title}</b>", group)
        layout.addWidget(title)
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        for row, item in enumerate(instrument.items):
            key = item_key(instrument.id, item.number)
            wording = item.text or item.label
            shown = f"{item.number}. {wording}" + ("" if item.scored else " (not scored)")
            label = QLabel(shown.replace("&", "&&"), group)
            label.setWordWrap(True)
            anchors = item.anchors or instrument.anchors
            if anchors:
                field: QWidget = self._likert(key, anchors, item.minimum)
            else:
                edit = self._line(key, width=70)
                edit.setPlaceholderText(
                    f"{item.minimum:g}–{item.maximum:g}"  # noqa: RUF001 (a range dash)
                )
                # Room for what is pasted, so the rule sees it whole (6 cut "9.00001"
                # to "9.0000", which was then accepted as 9).
                edit.setMaxLength(40)
                edit.setAlignment(Qt.AlignmentFlag.AlignRight)
                field = edit
            field.setAccessibleName(f"{instrument.id} {wording}")
            label.setBuddy(field)
            grid.addWidget(label, 2 * row, 0, 1, 2)
            grid.addWidget(field, 2 * row, 2)
            self._error_label(key, grid, 2 * row + 1, 0, 1, 3)
        layout.addLayout(grid)
        if instrument.attribution:
            note = QLabel(instrument.attribution, group)
            note.setWordWrap(True)
            note.setObjectName(f"attribution_{instrument.id}")
            layout.addWidget(note)
        result = QLabel("", group)
        result.setObjectName(f"result_{instrument.id}")
        result.setWordWrap(True)
        result.setAccessibleName(f"{instrument.id} result")
        self.results[instrument.id] = result
        layout.addWidget(result)
        return group

    def _likert(self, key: str, anchors: Sequence[str], minimum: float) -> QComboBox:
        labels = {"": "–"}  # noqa: RUF001 (a dash for "not answered")
        for offset, anchor in enumerate(anchors):
            value = f"{minimum + offset:g}"
            labels[value] = f"{value} · {anchor}"
        combo = self._combo(key, labels)
        combo.setMinimumWidth(190)
        return combo

    def _build_goals(self) -> QWidget:
        group = QWidget(self)
        group.setObjectName(f"group_{GOALS}")
        layout = QVBoxLayout(group)
        layout.setContentsMargins(0, 6, 0, 6)
        layout.addWidget(QLabel(f"<b>{INSTRUMENTS[GOALS].title}</b>", group))
        grid = QGridLayout()
        grid.setColumnStretch(0, 1)
        goals = {g.number: g for g in self.context.client.goals}
        for row, number in enumerate(self.goal_numbers):
            key = goal_key(number)
            label = QLabel(f"Goal {number}: {goals[number].description}".replace("&", "&&"), group)
            label.setWordWrap(True)
            edit = self._line(key, width=70)
            edit.setPlaceholderText("0–10")  # noqa: RUF001 (a range dash)
            edit.setMaxLength(40)  # as the items: the rule sees what was pasted, whole
            edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            edit.setAccessibleName(f"Rating of goal {number}")
            label.setBuddy(edit)
            grid.addWidget(label, 2 * row, 0)
            grid.addWidget(edit, 2 * row, 1)
            self._error_label(key, grid, 2 * row + 1, 0, 1, 2)
        if not self.goal_numbers:
            grid.addWidget(QLabel("No goals to rate: agree one on the Goals tab.", group), 0, 0)
        layout.addLayout(grid)
        return group

    def _build_texts(self) -> QFormLayout:
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.notes_edit = self._text("notes", "What happened; private to you.")
        form.addRow("N&otes", self.notes_edit)
        self.tasks_edit = self._text("tasks_agreed", "Tasks or homework agreed for next time.")
        form.addRow("Tas&ks agreed", self.tasks_edit)
        self.feedback_edit = self._text(
            "client_feedback", "What helped and what did not, in the client's own words."
        )
        form.addRow("Client's feed&back", self.feedback_edit)
        return form

    def _build_rupture(self) -> QFormLayout:
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.rupture_box = self._check("rupture", "A rupture happened in this session")
        form.addRow(self.rupture_box)
        self.rupture_kind = self._combo("rupture_kind", RUPTURE_LABELS)
        form.addRow("Kin&d", self.rupture_kind)
        self.rupture_description = self._text("rupture_description", "What happened.")
        self.rupture_description.setMinimumHeight(60)
        form.addRow("Descr&iption", self.rupture_description)
        self.rupture_repair = self._text("rupture_repair", "How it was addressed.")
        self.rupture_repair.setMinimumHeight(60)
        form.addRow("Re&pair", self.rupture_repair)
        self.rupture_resolved = self._check("rupture_resolved", "Resolved in the session")
        form.addRow(self.rupture_resolved)
        return form

    # -- the form ------------------------------------------------------------------------

    def current_form(self) -> SessionForm:
        """The form as the widgets hold it now (the attendance as it was while the question
        about changing it is still open)."""
        value = {key: f.get() for key, f in self._fields.items()}
        if self._undecided_attendance is not None:
            value["attendance"] = self._undecided_attendance
        form = SessionForm(
            start=value["start"],
            duration=value["duration"],
            format=value["format"],
            attendance=value["attendance"],
            approach=value["approach"],
            notes=value["notes"],
            tasks_agreed=value["tasks_agreed"],
            client_feedback=value["client_feedback"],
            instruments=[i for i, box in self.instrument_boxes.items() if box.isChecked()],
            rupture=value["rupture"],
            rupture_kind=value["rupture_kind"],
            rupture_description=value["rupture_description"],
            rupture_repair=value["rupture_repair"],
            rupture_resolved=value["rupture_resolved"],
            more_ruptures=list(self._passthrough.get("more_ruptures", [])),
            measure_offsets=dict(self._passthrough.get("measure_offsets", {})),
            measure_respondents=dict(self._passthrough.get("measure_respondents", {})),
            kept_measurements=list(self._passthrough.get("kept_measurements", [])),
        )
        for instrument_id in QUESTIONNAIRES:
            instrument = self.context.instruments[instrument_id]
            form.items[instrument_id] = [
                value[item_key(instrument_id, item.number)] or "" for item in instrument.items
            ]
        form.goal_ratings = {
            str(n): value[goal_key(n)] for n in self.goal_numbers if value[goal_key(n)]
        }
        return form

    def _apply(self, data: dict[str, Any], *, focus: str | None = None) -> None:
        """Show a form (from the record, a draft, or the history) in the widgets."""
        form = SessionForm.from_dict(data)
        # Kept as they came: the editor has no fields for them, and must not drop them.
        self._passthrough = {
            "more_ruptures": form.more_ruptures,
            "measure_offsets": form.measure_offsets,
            "measure_respondents": form.measure_respondents,
            "kept_measurements": form.kept_measurements,
        }
        values: dict[str, Any] = {
            "start": form.start,
            "duration": form.duration,
            "format": form.format,
            "attendance": form.attendance,
            "approach": form.approach,
            "notes": form.notes,
            "tasks_agreed": form.tasks_agreed,
            "client_feedback": form.client_feedback,
            "rupture": form.rupture,
            "rupture_kind": form.rupture_kind,
            "rupture_description": form.rupture_description,
            "rupture_repair": form.rupture_repair,
            "rupture_resolved": form.rupture_resolved,
        }
        for instrument_id in QUESTIONNAIRES:
            texts = form.items.get(instrument_id, [])
            for item in self.context.instruments[instrument_id].items:
                index = item.number - 1
                values[item_key(instrument_id, item.number)] = (
                    texts[index] if index < len(texts) else ""
                )
        for number in self.goal_numbers:
            values[goal_key(number)] = form.goal_ratings.get(str(number), "")
        with self._quietly():
            for key, value in values.items():
                field = self._fields[key]
                if field.get() != value:
                    field.put(value)
            for instrument_id, box in self.instrument_boxes.items():
                box.setChecked(instrument_id in form.instruments)
        self._last = self.current_form().to_dict()
        self._update_enabled()
        self._after_change()
        if focus and focus in self._fields:
            self._fields[focus].widget.setFocus(Qt.FocusReason.OtherFocusReason)

    @contextlib.contextmanager
    def _quietly(self) -> Iterator[None]:
        self._applying = True
        try:
            yield
        finally:
            self._applying = False

    def _changed(self, key: str) -> None:
        if self._applying:
            return
        if key == "attendance" and not self._attendance_change_agreed():
            return
        now = self.current_form().to_dict()
        if now == self._last:
            return
        before, self._last = self._last, now
        self.undo_stack.push(_FormChange(self, key, before, now))
        self._update_enabled()
        self._after_change()

    def _after_change(self) -> None:
        self._preview_timer.start()
        if self.is_dirty():
            self._autosave.start()
        self._update_title()
        if self._marks:  # a message goes the moment its field reads right
            self._recheck_marks()

    # -- attendance ----------------------------------------------------------------------

    def _not_saved_unless_attended(self) -> list[str]:
        """What in the form is saved only with an attended session: measures with something
        typed, goal ratings, stored measures the editor has no fields for, the rupture."""
        form = self.current_form()
        words = []
        for instrument_id in form.instruments:
            if instrument_id == GOALS:
                if any(v.strip() for v in form.goal_ratings.values()):
                    words.append("the goal ratings")
            elif any(v.strip() for v in form.items.get(instrument_id, [])):
                words.append(f"the {instrument_id}")
        words += [f"the stored {m.get('instrument_id', 'measure')}" for m in form.kept_measurements]
        if form.rupture:
            words.append("the rupture")
        return words

    def _attendance_change_agreed(self) -> bool:
        """Ask before a session with typed measures is marked Cancelled or No-show.

        The user's own change to the drop-down comes here (undo, redo and restoring a draft
        apply quietly and never ask). Keeping reverts the drop-down with no step in the
        history; changing hides the measures, whose typing stays in the form.
        """
        field = self._fields["attendance"]
        previous = self._last.get("attendance")
        chosen = field.get()
        if previous != Attendance.ATTENDED.value or chosen == previous:
            return True  # from Cancelled to No-show, or back to Attended: nothing is hidden
        lost = self._not_saved_unless_attended()
        if not lost:
            return True
        word = ATTENDANCE_LABELS.get(Attendance(chosen), chosen).lower()
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Change the attendance?",
            f"Mark this session as {word}?",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("attendanceChangeBox")
        box.setInformativeText(
            f"A session that did not take place keeps no ratings: {join_words(lost)} typed "
            "here will not be saved. They stay in this editor until you save, and come back "
            "if you choose Attended again."
        )
        change = box.addButton(f"Change to {word}", QMessageBox.ButtonRole.AcceptRole)
        change.setObjectName("changeAttendanceButton")
        keep = box.addButton("Keep attended", QMessageBox.ButtonRole.RejectRole)
        keep.setObjectName("keepAttendedButton")
        box.setDefaultButton(keep)  # destructive choices default to the safe one
        box.setEscapeButton(keep)
        # No draft of the undecided choice while the question is open (its event loop runs),
        # and a draft written meanwhile (the window locking) keeps the session attended.
        self._autosave.stop()
        self._undecided_attendance = previous
        try:
            box.exec()
        finally:
            self._undecided_attendance = None
        if box.clickedButton() is change:
            return True
        with self._quietly():
            field.put(previous)
        self._after_change()  # the preview and a pending draft pick up where they were
        return False

    def _update_title(self) -> None:
        title = self.windowTitle().removesuffix(" *")
        self.setWindowTitle(title + (" *" if self.is_dirty() else ""))

    def _update_enabled(self) -> None:
        form_attended = self._fields["attendance"].get() == Attendance.ATTENDED.value
        for instrument_id, box in self.instrument_boxes.items():
            box.setEnabled(form_attended)
            self.measure_groups[instrument_id].setVisible(form_attended and box.isChecked())
        self.measures_off.setVisible(not form_attended)
        self.remember_plan_button.setEnabled(form_attended)
        self.rupture_box.setEnabled(form_attended)
        rupture_on = form_attended and self.rupture_box.isChecked()
        for widget in (
            self.rupture_kind,
            self.rupture_description,
            self.rupture_repair,
            self.rupture_resolved,
        ):
            widget.setEnabled(rupture_on)

    def is_dirty(self) -> bool:
        """True when the form differs from the stored session (or the blank new one)."""
        return self._last != self._baseline

    # -- live results --------------------------------------------------------------------

    def refresh_preview(self) -> None:
        """Recompute scores, subscales, change and alerts from what is typed."""
        self._preview_timer.stop()
        form = self.current_form()
        try:
            preview = preview_form(form, self.context.client, self.context.settings)
        except Exception:  # a preview must never take the typing down with it
            log.exception("session preview failed")
            return
        self._preview = preview
        self._show_results()
        if preview.alerts:
            lines = [severity_html(severity, reason) for severity, reason in preview.alerts]
            self.alerts_box.setText("<br>".join(lines))
        else:
            self.alerts_box.setText("")
        self.alerts_box.setVisible(bool(preview.alerts))
        self.review_button.setVisible(preview.needs_review)
        self._risk_in_form = preview.risk_in_form

    def _show_results(self) -> None:
        """Each questionnaire's live result; "check the marked value" only once one is."""
        preview = self._preview
        for instrument_id, label in self.results.items():
            result = preview.measures.get(instrument_id) if preview else None
            text = result.text if result else ""
            if text == PREVIEW_CHECK_MARKED and not self._has_marked_item(instrument_id):
                items = self.context.instruments[instrument_id].items
                typed = sum(
                    1 for i in items if self._fields[item_key(instrument_id, i.number)].get()
                )
                text = f"{typed} of {len(items)} entered; a value is not one this item takes."
            label.setText(text)

    def _has_marked_item(self, instrument_id: str) -> bool:
        prefix = item_key(instrument_id, 0)[:-1]  # measure_SRS_
        return any(key.startswith(prefix) for key in self._marks if key in self._errors)

    def reload_alert_records(self) -> None:
        """Read the client's risk reviews again (one was just recorded) and redo the preview."""
        try:
            refresh_alert_records(self.db, self.context.client_id, self.context.client)
        except (ServiceError, StorageError):
            log.warning("the client's reviews could not be read again")
            return
        self.refresh_preview()

    # -- drafts --------------------------------------------------------------------------

    def save_draft(self) -> None:
        """Write what is typed to the database as a draft (the crash insurance)."""
        self._autosave.stop()
        if not self.is_dirty():  # undone back to what is stored: nothing to restore
            self._forget_draft()
            return
        try:
            self._draft_id = draft_service.save_draft(
                self.db,
                self._draft_id,
                self.context.client_id,
                self.context.session_id,
                self.current_form(),
                session_version=self.loaded_version,
            )
        except (ServiceError, StorageError) as exc:
            self.draft_status.setText(f"⚠ The draft could not be saved: {exc}")
            return
        self.draft_status.setText(f"Draft saved at {datetime.now():%H:%M:%S}")

    def _forget_draft(self) -> None:
        if self._draft_id is not None:
            try:
                draft_service.discard_draft(self.db, self._draft_id)
            except (ServiceError, StorageError):
                log.warning("a draft could not be removed; it will be offered again")
            self._draft_id = None

    # -- saving and closing --------------------------------------------------------------

    def show_errors(self, errors: dict[str, str]) -> None:
        """Mark each field with its message; focus (and scroll to) the first marked field.

        The marks then follow the typing: each goes as soon as its field reads right (a
        field not marked is not marked while typing, where "9." is only half of "9.5").
        """
        self._marks = dict(errors)
        self._show_marks()
        first = next((self._fields[k].widget for k in self._errors if k in errors), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)
            self.form_scroll.ensureWidgetVisible(first)

    def _recheck_marks(self) -> None:
        """Drop the marks whose fields now read right; keep the others' messages current."""
        now = self._problems_now()
        self._marks = {key: now[key] for key in self._marks if key in now}
        self._show_marks()

    def _problems_now(self) -> dict[str, str]:
        """Every problem the form has now, by field key.

        ``read_form`` checks the session as a whole only once every field reads, so while
        one value is broken the rest is checked again without it: a start in the future
        stays marked while an SRS item is being corrected.
        """
        form = self.current_form()
        client, instruments = self.context.client, self.context.instruments
        problems = dict(read_form(form, client, instruments=instruments).errors)
        broken = {
            i
            for i in QUESTIONNAIRES
            if any(k.startswith(item_key(i, 0)[:-1]) for k in problems)  # measure_SRS_…
        }
        if problems and (broken or any(k.startswith("goal_") for k in problems)):
            form.instruments = [i for i in form.instruments if i not in broken]
            form.goal_ratings = {
                n: v
                for n, v in form.goal_ratings.items()
                if not (n.isdigit() and goal_key(int(n)) in problems)
            }
            rest = read_form(form, client, instruments=instruments).errors
            problems.update({k: v for k, v in rest.items() if k not in problems})
        return problems

    def _show_marks(self) -> None:
        """The marks beside their fields, and the problem line above the form."""
        for key, label in self._errors.items():
            text = self._marks.get(key, "")
            label.setText(f"⚠ {text}" if text else "")
            label.setVisible(bool(text))
        marked = sum(1 for key in self._marks if key in self._errors)
        parts = [self._failure] if self._failure else []
        if marked:  # the marks may be scrolled out of sight: say there are some
            parts.append(
                "Check the marked value." if marked == 1 else f"Check the {marked} marked values."
            )
        parts += [m for k, m in self._marks.items() if k not in self._errors]
        text = " ".join(parts)
        self.problem.setText(f"⚠ {text}" if text else "")
        self.problem.setVisible(bool(text))
        self._show_results()

    def _show_problem(self, text: str) -> None:
        """Say why the last save (or remembering the plan) failed, above the form."""
        self._failure = text
        self._show_marks()

    def _stored_session_id(self, title: str, question: str) -> int | None:
        """The id of the session as stored; an unsaved one is saved first, if the user agrees.

        The summary shows what is stored, so a therapist never files a page that differs
        from the record.
        """
        if self.context.session_id is not None and not self.is_dirty():
            return self.context.session_id
        if not self._save_first(title, question):
            return None
        return self.saved_session_id

    def session_summary_pdf(self) -> bytes | None:
        """The stored session on one page; an unsaved one is saved first, if the user agrees."""
        session_id = self._stored_session_id(
            "Print the session summary",
            "The summary prints the session as it is stored. Save the session now and print it?",
        )
        if session_id is None:
            return None
        request = documents.SessionSummary(self.context.client.code, session_id=session_id)
        try:
            return documents.build(self.db, request).pdf
        except (ServiceError, StorageError) as exc:
            QMessageBox.warning(self, APP_NAME, str(exc))
            return None

    def save_summary_pdf(self) -> Path | None:
        """Save this session's one-page summary as a PDF: options, save first, where, write.

        The options are the command line's ``report CODE --session N [--notes]
        [--pseudonymise]``. Returns the file written, or None.
        """
        options = SummaryOptionsDialog(self)
        if options.exec() != QDialog.DialogCode.Accepted:
            return None
        session_id = self._stored_session_id(
            "Save the session summary",
            "The summary shows the session as it is stored. Save the session now and save "
            "its summary?",
        )
        if session_id is None:
            return None
        # After "save first" this editor has closed: what follows sits on the main window.
        owner = self if self.isVisible() else (self.parentWidget() or self)
        try:  # the start as the session was last read (the one rule: services/input_rules)
            day: date | None = parse_start(str(self._last.get("start", ""))).date()
        except InvalidInput:
            day = None
        suggested = self.pdf_folder / documents.file_name(self.context.client.code, "session", day)
        target = ask_pdf_path(owner, "Save the session summary", suggested)
        if target is None:
            return None
        try:
            self.write_summary_pdf(
                target,
                session_id,
                pseudonymise=options.pseudonymise.isChecked(),
                include_notes=options.include_notes.isChecked(),
            )
        except ServiceError as exc:
            QMessageBox.warning(owner, APP_NAME, f"The summary was not saved. {exc}")
            return None
        self.pdf_folder = target.parent
        done = f"Saved the session summary to {target}."
        if self.isVisible():  # beside the buttons, where the eye is
            self.draft_status.setText(done)
        else:
            QMessageBox.information(owner, APP_NAME, done)
        return target

    def write_summary_pdf(
        self, target: Path, session_id: int, *, pseudonymise: bool, include_notes: bool
    ) -> None:
        """Gather the stored session, build its summary and write it to ``target`` whole
        (``documents``, as the command line's ``report CODE --session N`` does).

        Raises ServiceError (no such session, a folder that cannot be written).
        """
        request = documents.SessionSummary(
            self.context.client.code,
            session_id=session_id,
            pseudonymise=pseudonymise,
            include_notes=include_notes,
        )
        documents.write(self.db, request, target)

    def print_summary(self) -> None:
        """Print this session's one-page summary through the system's print dialog."""
        pdf = self.session_summary_pdf()
        if pdf is None:
            return
        # After "save and print" this editor has closed: the print dialog sits on the window.
        owner = self if self.isVisible() else (self.parentWidget() or self)
        try:
            ask_and_print(owner, pdf, f"session summary {self.context.client.code}")
        except PrintFailed as exc:
            QMessageBox.warning(self, APP_NAME, str(exc))

    def request_risk_review(self) -> None:
        """Record a risk review. A review covers what is stored, so a risk answer typed in
        this form is saved first; an earlier session's answer needs no save."""
        self.refresh_preview()
        unsaved = self.context.session_id is None or self.is_dirty()
        if (
            self._risk_in_form
            and unsaved
            and not self._save_first(
                "Record a risk review",
                "A risk review covers the answers as they are stored. Save the session now "
                "and record the review?",
            )
        ):
            return
        self.riskReviewRequested.emit(self.context.client_id)

    def _save_first(self, title: str, question: str) -> bool:
        """Ask to save before an action that works on what is stored; True once saved."""
        answer = QMessageBox.question(
            self,
            title,
            question,
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        return answer == QMessageBox.StandardButton.Save and self.save()

    def save(self) -> bool:
        """Check and store the session whole; True when it was saved (the editor closes)."""
        self._failure = ""  # a new attempt: the last one's failure is history
        reading = read_form(
            self.current_form(), self.context.client, instruments=self.context.instruments
        )
        if reading.session is None:
            self.show_errors(reading.errors)
            return False
        self.show_errors({})
        for warning in reading.warnings:
            answer = QMessageBox.question(
                self,
                "Save this session?",
                warning + "\n\nSave the session anyway?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Save:
                return False
        try:
            # The draft goes in the same transaction: kept if the session is not stored,
            # never left behind (to be offered again) once it is.
            change = session_service.save_session(
                self.db,
                self.context.client_id,
                reading.session,
                session_id=self.context.session_id,
                expected_version=self.loaded_version,
                draft_id=self._draft_id,
            )
        except EditConflict:
            self._changed_elsewhere()
            return False
        except (ServiceError, StorageError) as exc:
            self._show_problem(f"{exc} Nothing was saved; what you typed is still here.")
            return False
        self._draft_id = None
        self._baseline = self._last = self.current_form().to_dict()
        self._autosave.stop()
        self._closing_decided = True
        self.saved_session_id = change.session_id
        self.saved.emit(change)
        self.accept()
        return True

    def _changed_elsewhere(self) -> None:
        """The session was saved elsewhere after this editor opened it: nothing was saved.

        The typing stays in the fields, and is written as a draft now (the failed save left
        the draft as it was), so even a crash before it is copied loses nothing. Said once,
        in a message box, and kept in the problem line above the form.
        """
        self.save_draft()
        self._show_problem(CHANGED_ELSEWHERE)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            APP_NAME,
            CHANGED_ELSEWHERE,
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setObjectName("changedElsewhereBox")
        box.exec()

    def remember_plan(self) -> None:
        """Offer the ticked measures for this client's next sessions."""
        chosen = [i for i, box in self.instrument_boxes.items() if box.isChecked()]
        try:
            save_measure_plan(self.db, self.context.client_id, chosen)
        except (ServiceError, StorageError) as exc:
            self._show_problem(str(exc))
            return
        names = ", ".join(chosen) or "no measures"
        self.draft_status.setText(
            f"New sessions for {self.context.client.code} will offer {names}."
        )

    @property
    def draft_id(self) -> int | None:
        return self._draft_id

    def keep_draft_for_lock(self) -> bool:
        """Write what is typed as a draft now (the window is locking); False if that failed."""
        if not self.is_dirty():
            return True
        self.save_draft()
        return self._draft_id is not None and not self.draft_status.text().startswith("⚠")

    def close_for_lock(self) -> None:
        """Close without asking and without forgetting the draft (unlocking reopens it)."""
        self._closing_decided = True
        self._finish()
        super().reject()

    def discard_and_close(self) -> None:
        """Close without asking, forgetting the draft (its session was deleted)."""
        self._forget_draft()
        self._closing_decided = True
        self.reject()

    def reject(self) -> None:
        """Escape, Close and the window's close box all come here (QDialog's closeEvent too)."""
        if self._may_close() and self.isVisible():
            self._finish()
            super().reject()

    def _may_close(self) -> bool:
        """True when nothing unsaved is left: unchanged, saved just now, or discarded."""
        if self._closing_decided:
            return True
        if not self.is_dirty():
            self._forget_draft()  # a draft of typing that was undone again
            return True
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved session",
            f"Save the session for {self.context.client.code} before closing?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("unsavedSessionBox")
        box.setInformativeText("Discard throws away what you typed in this editor.")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()  # closes the editor itself when it saved
        if answer == QMessageBox.StandardButton.Discard:
            self._forget_draft()
            self._closing_decided = True
            return True
        return False

    def _finish(self) -> None:
        self._autosave.stop()
        self._preview_timer.stop()
        self._closing_decided = True


class SummaryOptionsDialog(QDialog):
    """What the session summary PDF holds: the notes, the client's name (``--notes``,
    ``--pseudonymise`` on the command line)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("summaryOptionsDialog")
        self.setWindowTitle("Save the session summary as PDF")
        self.include_notes = QCheckBox("Include the session &notes", self)
        self.include_notes.setObjectName("includeNotesBox")
        self.include_notes.setToolTip("The notes are private to you; leave them out of a letter")
        self.pseudonymise = QCheckBox("&Pseudonymise (the client's code, not the name)", self)
        self.pseudonymise.setObjectName("pseudonymiseBox")
        self.pseudonymise.setToolTip(
            "Leave out the client's name; words typed in the notes are printed as typed"
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Choose where…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.include_notes)
        layout.addWidget(self.pseudonymise)
        layout.addWidget(buttons)
