"""The progress summary dialog: choose the period and what to include, then save or print.

Save PDF… writes the file whole or not at all and can open it in the system's viewer;
Print… sends the very same pages to a printer. The PDF itself comes from ``reports/`` and
its data from ``services.reports``, as on the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop import APP_NAME, documents
from alliance_desktop.documents import ProgressSummary
from alliance_desktop.services.atomic import save_export
from alliance_desktop.services.database import Database, StorageError
from alliance_desktop.services.errors import ServiceError
from alliance_desktop.services.reports import SECTIONS
from alliance_desktop.ui.background import report_error
from alliance_desktop.ui.printing import PrintFailed, ask_and_print, print_pdf
from alliance_desktop.ui.widgets import wheel_only_when_focused

MAX_NARRATIVE = 5_000
#: ``run(work, on_done, on_error)``: the window's operations runner.
Runner = Callable[
    [Callable[[], Any], Callable[[Any], None], Callable[[BaseException], None]], object
]


def confirm_replace(parent: QWidget, target: Path) -> bool:
    """Ask before replacing ``target`` (Cancel is the default)."""
    answer = QMessageBox.question(
        parent,
        "Replace the file?",
        f"{target.name} already exists in {target.parent}. Replace it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


def ask_pdf_path(parent: QWidget, title: str, suggested: Path) -> Path | None:
    """Ask where to save a PDF; None when cancelled. ``.pdf`` is added when missing, and
    then a replace is asked about here (the save dialog saw the name as typed)."""
    path, _ = QFileDialog.getSaveFileName(parent, title, str(suggested), "PDF (*.pdf)")
    if not path:
        return None
    target = Path(path)
    if target.suffix.lower() != ".pdf":
        target = target.with_name(target.name + ".pdf")
        if target.exists() and not confirm_replace(parent, target):
            return None
    return target


def _open_in_viewer(path: Path, _what: str) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


class ReportDialog(QDialog):
    """A client's progress summary: period, sections, narrative; Save PDF… and Print…."""

    def __init__(
        self,
        parent: QWidget | None,
        db: Database,
        code: str,
        intake: date,
        *,
        folder: Path | None = None,
        today: date | None = None,
        open_file: Callable[[Path, str], None] | None = None,
        run: Runner | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reportDialog")
        self.setWindowTitle(f"Progress summary — {code}")
        self.setMinimumWidth(520)
        self.db = db
        self.code = code
        self.folder = folder or Path.home()
        self.saved_to: Path | None = None
        #: Opens a saved PDF in the system's viewer (the window's says when there is none).
        self.open_file = open_file or _open_in_viewer
        #: Runs work off the UI thread (the window's operations runner); None: here and now.
        self.run = run
        today = today or date.today()

        self.from_date = QDateEdit(_qdate(intake), self)
        self.to_date = QDateEdit(_qdate(max(today, intake)), self)
        for edit, name in ((self.from_date, "reportFrom"), (self.to_date, "reportTo")):
            wheel_only_when_focused(edit)
            edit.setObjectName(name)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.pseudonymise = QCheckBox(
            "&Pseudonymise: the code only, no name or date of birth", self
        )
        self.pseudonymise.setObjectName("reportPseudonymise")
        self.pseudonymise_note = QLabel(
            "Your own words are printed as written: check the presenting concern, goals, "
            "ruptures and narrative do not name the client.",
            self,
        )
        self.pseudonymise_note.setObjectName("reportPseudonymiseNote")
        self.pseudonymise_note.setWordWrap(True)
        self.pseudonymise_note.hide()
        self.pseudonymise.toggled.connect(self.pseudonymise_note.setVisible)
        self.feedback = QCheckBox("&Include the client's feedback (excerpts)", self)
        self.feedback.setObjectName("reportFeedback")
        self.section_boxes: dict[str, QCheckBox] = {}
        sections = QGroupBox("Sections", self)
        sections.setObjectName("reportSections")
        grid = QGridLayout(sections)
        for index, (key, label) in enumerate(SECTIONS.items()):
            box = QCheckBox(label, sections)  # Tab reaches them; Alt letters are taken
            box.setObjectName(f"reportSection_{key}")
            box.setChecked(True)
            self.section_boxes[key] = box
            grid.addWidget(box, index // 2, index % 2)
        self.narrative = QPlainTextEdit(self)
        self.narrative.setObjectName("reportNarrative")
        self.narrative.setAccessibleName("Your summary, printed in the report")
        self.narrative.setPlaceholderText("Your summary of the work so far (printed as typed).")
        self.open_after = QCheckBox("&Open the PDF when it is saved", self)
        self.open_after.setObjectName("reportOpenAfter")
        self.open_after.setChecked(True)
        self.error = QLabel("", self)
        self.error.setObjectName("reportError")
        self.error.setWordWrap(True)
        self.error.hide()

        form = QFormLayout()
        form.addRow("&From:", self.from_date)
        form.addRow("&To:", self.to_date)
        form.addRow("", self.pseudonymise)
        form.addRow("", self.pseudonymise_note)
        form.addRow("", self.feedback)
        form.addRow(sections)
        form.addRow("&Narrative:", self.narrative)

        self.save_button = QPushButton("&Save PDF…", self)
        self.save_button.setObjectName("saveReportButton")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.print_button = QPushButton("P&rint…", self)
        self.print_button.setObjectName("printReportButton")
        self.print_button.clicked.connect(self.print_report)
        close = QPushButton("Close", self)
        close.setObjectName("closeReportButton")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_after)
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

    # -- making the report ---------------------------------------------------------------

    def request(self) -> ProgressSummary:
        """The report as chosen in the dialog."""
        return ProgressSummary(
            self.code,
            period_from=_pydate(self.from_date.date()),
            period_to=_pydate(self.to_date.date()),
            pseudonymise=self.pseudonymise.isChecked(),
            include_feedback=self.feedback.isChecked(),
            narrative=self.narrative.toPlainText(),
            sections=frozenset(k for k, box in self.section_boxes.items() if box.isChecked()),
        )

    def _narrative_problem(self) -> str:
        narrative = self.narrative.toPlainText()
        if len(narrative) > MAX_NARRATIVE:
            return f"Keep the narrative to {MAX_NARRATIVE:,} characters; it has {len(narrative):,}."
        return ""

    def build_pdf(self) -> bytes | None:
        """The report as chosen, or None with the problem shown in the dialog."""
        problem = self._narrative_problem()
        if problem:
            self._problem(problem)
            return None
        try:
            document = documents.build(self.db, self.request())
        except (ServiceError, StorageError) as exc:
            self._problem(str(exc))
            return None
        self.error.hide()
        return document.pdf

    def _problem(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    # -- saving and printing -------------------------------------------------------------

    def suggested_path(self) -> Path:
        return self.folder / documents.file_name(
            self.code, "progress", _pydate(self.to_date.date())
        )

    def save(self) -> None:
        """Ask where, then write the report on the database thread (a long record takes a
        while) with the dialog waiting; without a runner, here and now."""
        target = ask_pdf_path(self, "Save the progress summary", self.suggested_path())
        if target is None:
            return
        if self.run is None:
            self.save_to(target)
            return
        problem = self._narrative_problem()
        if problem:
            self._problem(problem)
            return
        db, request = self.db, self.request()
        self.setEnabled(False)

        def done(_written: documents.Document) -> None:
            self.setEnabled(True)
            self._saved(target)

        def failed(exc: BaseException) -> None:
            self.setEnabled(True)
            if isinstance(exc, (ServiceError, StorageError)):
                self._problem(str(exc))  # in the dialog, which stays open as it was
            else:
                report_error(self, exc)

        self.run(lambda: documents.write(db, request, target), done, failed)

    def save_to(self, target: Path) -> bool:
        """Write the report to ``target`` now (the save dialog has asked about replacing it)."""
        pdf = self.build_pdf()
        if pdf is None:
            return False
        try:
            save_export(target, pdf, [self.db.path])
        except (ServiceError, StorageError) as exc:
            self._problem(str(exc))
            return False
        self._saved(target)
        return True

    def _saved(self, target: Path) -> None:
        self.error.hide()
        self.saved_to = target
        if self.open_after.isChecked():
            self.open_file(target, "The progress summary")

    def print_report(self) -> None:
        pdf = self.build_pdf()
        if pdf is None:
            return
        try:
            ask_and_print(self, pdf, f"progress summary {self.code}", save_instead=self.save)
        except PrintFailed as exc:
            QMessageBox.warning(self, APP_NAME, str(exc))

    def print_on(self, printer: object) -> int:
        """Print the report as chosen on ``printer`` (a QPrinter); the pages printed."""
        pdf = self.build_pdf()
        return 0 if pdf is None else print_pdf(pdf, printer)  # type: ignore[arg-type]
