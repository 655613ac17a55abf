"""Preferences: the practice and clinician printed on reports, default measures, alert rules."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop.domain.alerts import AlertSettings
from alliance_desktop.domain.instruments import INSTRUMENTS, CutoffComparison
from alliance_desktop.services.settings import MAX_FIELD, MAX_KEEP, BackupSettings, PracticeSettings


class PreferencesDialog(QDialog):
    """Edits practice settings and the SRS cut-off comparison; the caller saves them."""

    def __init__(
        self,
        parent: QWidget | None,
        practice: PracticeSettings,
        alerts: AlertSettings,
        backup: BackupSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("preferencesDialog")
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(440)
        self._alerts = alerts
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

        alert_form = QFormLayout()
        self.srs_comparison = QComboBox(self)
        self.srs_comparison.setObjectName("srsComparisonCombo")
        self.srs_comparison.setAccessibleName("When the SRS counts as under the cut-off")
        cutoff = f"{alerts.srs_cutoff:g}"
        self.srs_comparison.addItem(f"Under {cutoff} (< {cutoff})", CutoffComparison.LT.value)
        self.srs_comparison.addItem(f"{cutoff} or under (≤ {cutoff})", CutoffComparison.LE.value)
        self.srs_comparison.setCurrentIndex(
            self.srs_comparison.findData(alerts.srs_cutoff_comparison.value)
        )
        alert_form.addRow("SRS &alert when the total is:", self.srs_comparison)
        note = QLabel(
            "Sources differ on whether an SRS of exactly 36 is under the cut-off; choose the "
            "rule your service uses. Alerts for every client are recomputed.",
            self,
        )
        note.setWordWrap(True)

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
        layout = QVBoxLayout(self)
        layout.addLayout(practice_form)
        layout.addWidget(measures)
        layout.addLayout(alert_form)
        layout.addWidget(note)
        layout.addWidget(backups)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

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
        comparison = CutoffComparison(self.srs_comparison.currentData())
        return replace(self._alerts, srs_cutoff_comparison=comparison)

    def backup(self) -> BackupSettings:
        return BackupSettings(
            self.keep_daily.value(),
            self.keep_weekly.value(),
            self.keep_monthly.value(),
            self.remind_days.value(),
        )


def _count(parent: QWidget, name: str, value: int, accessible: str) -> QSpinBox:
    spin = QSpinBox(parent)
    spin.setObjectName(name)
    spin.setAccessibleName(accessible)
    spin.setRange(0, MAX_KEEP)
    spin.setValue(value)
    return spin
