"""Preferences: the practice and clinician printed on reports, default measures, alert rules.

The Alerts tab shows every threshold and on/off switch of the alert rules, each with its
published default (or a plain "no threshold is published") and a one-line reason, all from
``domain.alerts`` (``SETTING_NOTES``, ``KIND_NOTES``), so the words live with the rules.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop.domain.alerts import (
    COMPARISON_SETTINGS,
    KIND_NOTES,
    REVIEW_ONLY_KINDS,
    SETTING_NOTES,
    SETTING_RANGES,
    AlertKind,
    AlertSettings,
)
from alliance_desktop.domain.instruments import INSTRUMENTS, CutoffComparison
from alliance_desktop.services.settings import MAX_FIELD, MAX_KEEP, BackupSettings, PracticeSettings
from alliance_desktop.ui.widgets import fit_to_screen, wheel_only_when_focused

_NUMBERS = SETTING_RANGES
_COMPARISONS = tuple(COMPARISON_SETTINGS)


class PreferencesDialog(QDialog):
    """Edits practice settings, every alert threshold and switch, and backups; the caller saves."""

    def __init__(
        self,
        parent: QWidget | None,
        practice: PracticeSettings,
        alerts: AlertSettings,
        backup: BackupSettings | None = None,
        lock_minutes: int = 10,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("preferencesDialog")
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(560)
        backup = backup or BackupSettings()

        practice_form = QFormLayout()
        self.practice_name = QLineEdit(practice.practice_name, self)
        self.practice_name.setObjectName("practiceNameEdit")
        self.practice_name.setAccessibleName("Practice name")
        self.clinician = QLineEdit(practice.clinician_name, self)
        self.clinician.setObjectName("clinicianEdit")
        self.clinician.setAccessibleName("Clinician name")
        self.credentials = QLineEdit(practice.credentials, self)
        self.credentials.setObjectName("credentialsEdit")
        self.credentials.setAccessibleName("Credentials")
        self.credentials.setPlaceholderText("e.g. MSc, UKCP registered psychotherapist")
        for edit in (self.practice_name, self.clinician, self.credentials):
            edit.setMaxLength(MAX_FIELD)
        practice_form.addRow("&Practice name:", self.practice_name)
        practice_form.addRow("&Clinician:", self.clinician)
        practice_form.addRow("C&redentials:", self.credentials)

        measures = QGroupBox("Measures recorded by default", self)
        row = QHBoxLayout(measures)
        self.instrument_boxes: dict[str, QCheckBox] = {}
        for instrument_id in INSTRUMENTS:
            box = QCheckBox(instrument_id, measures)
            box.setObjectName(f"default{instrument_id.replace('-', '')}Check")
            box.setChecked(instrument_id in practice.default_instruments)
            box.setToolTip(INSTRUMENTS[instrument_id].name)
            self.instrument_boxes[instrument_id] = box
            row.addWidget(box)

        backups = QGroupBox("Backups", self)
        backup_form = QFormLayout(backups)
        self.keep_daily = _count(backups, "keepDailySpin", backup.keep_daily, "Daily backups kept")
        self.keep_weekly = _count(
            backups, "keepWeeklySpin", backup.keep_weekly, "Weekly backups kept"
        )
        self.keep_monthly = _count(
            backups, "keepMonthlySpin", backup.keep_monthly, "Monthly backups kept"
        )
        self.remind_days = _count(
            backups, "remindDaysSpin", backup.remind_after_days, "Warn after days without backup"
        )
        self.remind_days.setMinimum(1)
        self.remind_days.setSuffix(" days")
        backup_form.addRow(QLabel("Keep the newest backup of each of the last", backups))
        backup_form.addRow("&days:", self.keep_daily)
        backup_form.addRow("wee&ks:", self.keep_weekly)
        backup_form.addRow("&months:", self.keep_monthly)
        backup_form.addRow("&Warn when the last backup is older than:", self.remind_days)

        self.error = QLabel("", self)
        self.error.setObjectName("preferencesError")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        practice_page = QWidget(self)
        practice_layout = QVBoxLayout(practice_page)
        practice_layout.addLayout(practice_form)
        practice_layout.addWidget(measures)
        practice_layout.addStretch(1)
        backup_page = QWidget(self)
        backup_layout = QVBoxLayout(backup_page)
        backup_layout.addWidget(backups)
        backup_layout.addStretch(1)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("preferencesTabs")
        self.tabs.addTab(practice_page, "Practice")
        self.tabs.addTab(self._build_alerts(alerts), "Alerts")
        self.tabs.addTab(backup_page, "Backups")
        self.tabs.addTab(self._build_security(lock_minutes), "Security")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        fit_to_screen(self, 640, 600)  # the Alerts tab scrolls

    def _build_security(self, lock_minutes: int) -> QWidget:
        page = QWidget(self)
        form = QFormLayout()
        self.lock_minutes = QSpinBox(page)
        self.lock_minutes.setObjectName("lockMinutesSpin")
        self.lock_minutes.setAccessibleName("Lock after minutes without use")
        self.lock_minutes.setRange(0, 240)
        self.lock_minutes.setSuffix(" min")
        self.lock_minutes.setSpecialValueText("never")
        self.lock_minutes.setValue(lock_minutes)
        wheel_only_when_focused(self.lock_minutes)
        form.addRow("&Lock after no use for:", self.lock_minutes)
        note = _reason(
            page,
            "Locking hides every record, closes the database and forgets its key until the "
            "passphrase is typed again; open sessions are kept as drafts and come back. "
            "Ctrl+L locks at once. This setting belongs to this computer's user.",
        )
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addStretch(1)
        return page

    def _build_alerts(self, alerts: AlertSettings) -> QWidget:
        """Every threshold and switch, each with its default and reason, in a scrolling page."""
        page = QWidget(self)
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        intro = QLabel(
            "Each rule below has its published default and the reason for it. Changing a "
            "rule recomputes every client's alerts.",
            page,
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        self.alert_fields: dict[str, QComboBox | QAbstractSpinBox] = {}
        values = alerts.to_dict()
        for name, note in SETTING_NOTES.items():
            field: QComboBox | QAbstractSpinBox
            if name in _COMPARISONS:
                field = self._comparison(name, values[name])
            else:
                field = self._number(name, values[name])
            field.setObjectName(f"{_camel(name)}Field")
            field.setAccessibleName(note.label)
            self.alert_fields[name] = field
            label = QLabel(f"{note.label}:", page)
            label.setBuddy(field)
            form.addRow(label, field)
            form.addRow(_reason(page, note.reason))  # the whole width, under its field
        switches = QGroupBox("Alerts shown", page)
        box_layout = QVBoxLayout(switches)
        self.alert_switches: dict[AlertKind, QCheckBox] = {}
        for kind, kind_note in KIND_NOTES.items():
            box = QCheckBox(kind_note.title, switches)
            box.setObjectName(f"{_camel(kind.value)}Switch")
            box.setChecked(kind not in alerts.disabled)
            box.setToolTip(kind_note.reason)
            if kind in REVIEW_ONLY_KINDS:
                box.setEnabled(False)  # a risk answer is always shown
            self.alert_switches[kind] = box
            box_layout.addWidget(box)
            box_layout.addWidget(_reason(switches, kind_note.reason))
        form.addRow(switches)
        defaults = QPushButton("Restore the published &defaults", page)
        defaults.setObjectName("alertDefaultsButton")
        defaults.clicked.connect(lambda: self._show_alerts(AlertSettings()))
        form.addRow(defaults)
        wheel_only_when_focused(*self.alert_fields.values())
        scroll = QScrollArea(self)
        scroll.setObjectName("alertSettingsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # The reasons wrap to the page's width; only the page scrolls, downwards.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(page)
        return scroll

    def _comparison(self, name: str, value: str) -> QComboBox:
        instrument = INSTRUMENTS[COMPARISON_SETTINGS[name]]
        cutoff = instrument.norms.cutoff if instrument.norms else 0
        combo = QComboBox(self)
        ages = instrument.norms is not None and bool(instrument.norms.age_cutoffs)
        adults = " for adults" if ages else ""
        combo.addItem(f"Under the cut-off ({cutoff:g}{adults}: < {cutoff:g})", "lt")
        combo.addItem(f"At or under the cut-off (≤ {cutoff:g})", "le")
        combo.setCurrentIndex(max(0, combo.findData(value)))
        return combo

    def _number(self, name: str, value: float) -> QAbstractSpinBox:
        decimals, low, high, step = _NUMBERS[name]
        if decimals == 0:
            spin: QAbstractSpinBox = QSpinBox(self)
            assert isinstance(spin, QSpinBox)
            spin.setRange(int(low), int(high))
            spin.setValue(int(value))
        else:
            double = QDoubleSpinBox(self)
            double.setDecimals(decimals)
            double.setRange(low, high)
            double.setSingleStep(step)
            double.setValue(float(value))
            spin = double
        return spin

    def _show_alerts(self, alerts: AlertSettings) -> None:
        values = alerts.to_dict()
        for name, field in self.alert_fields.items():
            if isinstance(field, QComboBox):
                field.setCurrentIndex(max(0, field.findData(values[name])))
            elif isinstance(field, QSpinBox):
                field.setValue(int(values[name]))
            elif isinstance(field, QDoubleSpinBox):
                field.setValue(float(values[name]))
        for kind, box in self.alert_switches.items():
            box.setChecked(kind not in alerts.disabled)

    def show_error(self, message: str) -> None:
        self.error.setText(f"⚠ {message}" if message else "")

    def practice(self) -> PracticeSettings:
        return PracticeSettings(
            practice_name=self.practice_name.text(),
            clinician_name=self.clinician.text(),
            credentials=self.credentials.text(),
            default_instruments=tuple(
                i for i, box in self.instrument_boxes.items() if box.isChecked()
            ),
        )

    def alerts(self) -> AlertSettings:
        """The alert settings as set here (validated by the domain when saved)."""
        values: dict[str, object] = {}
        for name, field in self.alert_fields.items():
            if isinstance(field, QComboBox):
                values[name] = CutoffComparison(field.currentData())
            elif isinstance(field, QSpinBox):
                values[name] = field.value()
            elif isinstance(field, QDoubleSpinBox):
                values[name] = round(field.value(), 2)
        disabled = tuple(
            kind
            for kind, box in self.alert_switches.items()
            if not box.isChecked() and kind not in REVIEW_ONLY_KINDS
        )
        return AlertSettings(**values, disabled=disabled)  # type: ignore[arg-type]

    def backup(self) -> BackupSettings:
        return BackupSettings(
            self.keep_daily.value(),
            self.keep_weekly.value(),
            self.keep_monthly.value(),
            self.remind_days.value(),
        )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _reason(parent: QWidget, text: str) -> QLabel:
    """A rule's default and why, in smaller type under it, wrapping to the page's width."""
    label = QLabel(text, parent)
    label.setObjectName("ruleReason")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setContentsMargins(16, 0, 0, 6)
    label.setMinimumWidth(1)  # let it wrap instead of widening the page
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.9)
    label.setFont(font)
    return label


def _count(parent: QWidget, name: str, value: int, accessible: str) -> QSpinBox:
    spin = QSpinBox(parent)
    spin.setObjectName(name)
    spin.setAccessibleName(accessible)
    spin.setRange(0, MAX_KEEP)
    spin.setValue(value)
    wheel_only_when_focused(spin)
    return spin
