"""Reports and exported charts from the window: the progress summary dialog, the caseload
summary, and a chart saved as PNG or SVG.

Every PDF is gathered, laid out and written by ``documents`` (as on the command line); the
caseload summary, which reads every client, is written on the database thread with a
progress dialog. A report made while the practice has no name asks for it first, since the
name heads every page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from alliance_desktop.services import clients as client_service
from alliance_desktop.services import settings as settings_service
from alliance_desktop.services.database import StorageError
from alliance_desktop.services.errors import ServiceError
from alliance_desktop.ui.controllers.workspace import Workspace
from alliance_desktop.ui.dialogs import exec_resumable

# The report code (``documents``, its dialog, the exported files) loads on first use: the
# window starts without it (issue 18).
if TYPE_CHECKING:
    from alliance_desktop import documents
    from alliance_desktop.ui.charts import InstrumentChartView
    from alliance_desktop.ui.report_dialog import ReportDialog

CHART_EXPORT_FILTERS = "PNG image (*.png);;SVG drawing (*.svg)"
#: The therapist chose to make reports without a practice name (not asked again).
NO_PRACTICE_NAME_KEY = "reports/withoutPracticeName"


class ReportsController(QObject):
    """Opens the report dialogs, writes the caseload summary and exports charts."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        edit_preferences: Callable[[], object],
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(workspace)
        self.workspace = workspace
        self._edit_preferences = edit_preferences
        self.today = today

    # -- practice name -------------------------------------------------------------------

    def practice_named(self) -> bool:
        """True when reports may go ahead: the practice has a name, or the therapist has
        said to go on without one. Otherwise asks (and may open Preferences)."""
        workspace = self.workspace
        try:
            name = settings_service.load_practice(workspace.db).practice_name
        except (ServiceError, StorageError) as exc:
            workspace.complain(str(exc))
            return False
        if name.strip() or str(workspace.setting(NO_PRACTICE_NAME_KEY, "")) == "yes":
            return True
        box = QMessageBox(workspace.window)
        box.setObjectName("practiceNameBox")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Your practice name")
        box.setText("Reports are headed with your practice name, which is not set yet.")
        box.setInformativeText(
            "Enter your practice details (name, clinician, credentials) now? They are kept "
            "for every report after this one."
        )
        details = box.addButton("Enter practice details…", QMessageBox.ButtonRole.AcceptRole)
        without = box.addButton("Continue without", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(details)
        box.exec()
        if box.clickedButton() is without:
            workspace.remember(NO_PRACTICE_NAME_KEY, "yes")
            return True
        if box.clickedButton() is details:
            self._edit_preferences()
            try:
                return bool(settings_service.load_practice(workspace.db).practice_name.strip())
            except (ServiceError, StorageError):
                return False
        return False

    # -- progress summary ----------------------------------------------------------------

    def progress_report(self, client_id: int) -> ReportDialog | None:
        """Open the progress summary dialog for a client (returned for tests)."""
        from alliance_desktop.ui.report_dialog import ReportDialog

        workspace = self.workspace
        if not self.practice_named():
            return None
        with workspace.guarded():
            record = client_service.client_record(workspace.db, client_id)
            dialog = ReportDialog(
                workspace.window,
                workspace.db,
                record.fields.code,
                record.fields.intake_date,
                folder=workspace.folder("reports/folder"),
                today=self.today(),
                open_file=workspace.open_file,
                run=lambda work, done, failed: workspace.run(
                    work, done, failed, progress="Writing the progress summary…"
                ),
            )
            # A lock meanwhile hides it; it comes back after the unlock, on the database
            # the unlock opened.
            exec_resumable(dialog, on_resume=lambda: setattr(dialog, "db", workspace.db))
            if dialog.saved_to is not None:
                workspace.remember("reports/folder", str(dialog.saved_to.parent))
                workspace.say(f"Progress summary saved to {dialog.saved_to}")
            return dialog
        return None

    # -- caseload summary ----------------------------------------------------------------

    def caseload_report(self) -> None:
        """Ask where, then write the caseload summary off the UI thread."""
        from alliance_desktop.ui.report_dialog import ask_pdf_path

        if not self.practice_named():
            return
        suggested = self.workspace.folder("reports/folder") / (
            f"caseload-{self.today().isoformat()}.pdf"
        )
        target = ask_pdf_path(self.workspace.window, "Save the caseload summary", suggested)
        if target is not None:
            self.write_caseload_report(target)

    def write_caseload_report(self, target: Path) -> None:
        """Build and save the caseload summary in the background; say when it is done."""
        from alliance_desktop import documents

        workspace = self.workspace
        db = workspace.db
        request = documents.CaseloadSummary(self.today())

        def done(written: documents.Document) -> None:
            workspace.remember("reports/folder", str(target.parent))
            workspace.say(f"Saved {written.description} to {target}")
            workspace.open_file(target, "The caseload summary")

        workspace.run(
            lambda: documents.write(db, request, target),
            done,
            progress="Writing the caseload summary…",
            name="caseloadProgress",
        )

    # -- charts --------------------------------------------------------------------------

    def export_chart(self, view: InstrumentChartView, code: str) -> None:
        """Ask where to save a chart, as PNG or SVG by the chosen type, and save it."""
        from alliance_desktop import documents
        from alliance_desktop.ui.report_dialog import confirm_replace

        instrument = view.data.instrument_id if view.data else "chart"
        folder = self.workspace.folder("charts/exportFolder")
        suggested = folder / documents.file_name(code, instrument, self.today(), ".png")
        path, chosen = QFileDialog.getSaveFileName(
            self.workspace.window,
            f"Export the {instrument} chart",
            str(suggested),
            CHART_EXPORT_FILTERS,
        )
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() not in (".png", ".svg"):
            target = target.with_name(target.name + (".svg" if "SVG" in chosen else ".png"))
            if target.exists() and not confirm_replace(self.workspace.window, target):
                return
        if self.export_chart_to(view, target):
            self.workspace.remember("charts/exportFolder", str(target.parent))

    def export_chart_to(self, view: InstrumentChartView, target: Path) -> bool:
        """Write a chart to ``target`` (.svg gives a vector drawing, anything else PNG)."""
        from alliance_desktop.services.atomic import save_export

        data = view.render_svg() if target.suffix.lower() == ".svg" else view.render_png()
        try:
            save_export(target, data, [self.workspace.db.path])
        except (ServiceError, StorageError) as exc:
            self.workspace.complain(str(exc))
            return False
        self.workspace.say(f"Chart saved to {target}")
        return True
