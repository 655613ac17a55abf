"""Reports from the window: the progress summary dialog, printing, the caseload, Ctrl+P."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from alliance_desktop.domain.vocabulary import ClientStatus
from alliance_desktop.storage import repository
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.main_window import MainWindow
from alliance_desktop.ui.printing import print_pdf
from alliance_desktop.ui.report_dialog import ReportDialog
from tests.ui.helpers import handle_modals


def _text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _busy_client(window: MainWindow) -> tuple[int, str, str]:
    rows = repository.list_client_rows(window.db, ClientStatus.ACTIVE)
    row = max(rows, key=lambda r: r.summary.sessions_total if r.summary else 0)
    return row.client_id, row.code, row.family_name


def test_progress_summary_saved_and_printed_from_the_dialog(
    qtbot: QtBot, demo_window: MainWindow, tmp_path: Path, artifacts: Path
) -> None:
    client_id, code, family = _busy_client(demo_window)
    demo_window.clients.reveal_client(client_id)
    assert demo_window.progress_report_action.shortcut() == QKeySequence(
        QKeySequence.StandardKey.Print
    )
    saved, printed = tmp_path / "summary.pdf", tmp_path / "printed.pdf"
    pages: list[int] = []

    def fill(dialog: QWidget) -> None:
        assert isinstance(dialog, ReportDialog)
        dialog.grab().save(str(artifacts / "report-dialog.png"))
        # First a period the wrong way round: refused in words, nothing written.
        dialog.to_date.setDate(dialog.from_date.date().addDays(-1))
        assert not dialog.save_to(tmp_path / "wrong.pdf")
        assert "swap the dates" in dialog.error.text() and dialog.error.isVisible()
        dialog.to_date.setDate(QDate.currentDate())
        assert not dialog.pseudonymise_note.isVisible()
        dialog.pseudonymise.setChecked(True)
        assert dialog.pseudonymise_note.isVisible()  # a word about the therapist's own text
        dialog.section_boxes["scores"].setChecked(False)
        dialog.narrative.setPlainText("Zoë's sleep is better; the alliance held after session 12.")
        dialog.open_after.setChecked(False)
        assert dialog.save_to(saved)
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed))
        pages.append(dialog.print_on(printer))
        dialog.reject()

    handle_modals([fill])
    demo_window.progress_report_action.trigger()
    assert not (tmp_path / "wrong.pdf").exists()
    text = _text(saved)
    assert code in text and family not in text and "the alliance held after session 12" in text
    assert "Scores per session" not in text and "Alliance and outcome" in text
    # Paper equals file: the printer received the same number of pages.
    assert pages == [len(PdfReader(saved).pages)] and len(PdfReader(printed).pages) == pages[0]


def test_print_refuses_an_unreadable_pdf() -> None:
    from alliance_desktop.ui.printing import PrintFailed

    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    with pytest.raises(PrintFailed, match="save it as PDF instead"):
        print_pdf(b"%PDF-1.4 not really", printer)


def test_caseload_summary_from_the_reports_menu(
    qtbot: QtBot, demo_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "caseload"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "PDF"))
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    demo_window.caseload_report_action.trigger()
    wait_for_background_work()
    qtbot.waitUntil(lambda: bool(opened))
    written = tmp_path / "caseload.pdf"
    assert opened[0].toLocalFile() == str(written)
    text = _text(written)
    active = repository.list_client_rows(demo_window.db, ClientStatus.ACTIVE)
    assert "Caseload summary" in text and all(r.code in text for r in active)


def test_ctrl_p_in_the_session_editor_saves_then_prints_one_page(
    qtbot: QtBot, demo_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id, code, _ = _busy_client(demo_window)
    sessions_before = len(repository.list_sessions(demo_window.db, client_id))
    editor = demo_window.sessions.new_session(client_id)
    assert editor is not None
    for box_id, box in editor.instrument_boxes.items():
        box.setChecked(box_id == "SRS")
    for k in range(1, 5):
        editor._fields[f"measure_SRS_{k}"].put("7")
    printed: list[bytes] = []
    monkeypatch.setattr(
        "alliance_desktop.ui.session_editor.ask_and_print",
        lambda parent, pdf, title: printed.append(pdf) or 1,
    )

    def save_first(box: QWidget) -> None:
        assert isinstance(box, QMessageBox) and "Save the session now" in box.text()
        box.button(QMessageBox.StandardButton.Save).click()

    handle_modals([save_first])
    editor.activateWindow()  # Ctrl+P belongs to the active window: here the editor
    qtbot.waitUntil(editor.isActiveWindow)
    qtbot.keySequence(editor, QKeySequence(QKeySequence.StandardKey.Print))
    qtbot.waitUntil(lambda: bool(printed))
    assert len(repository.list_sessions(demo_window.db, client_id)) == sessions_before + 1
    reader_path = demo_window.db.path.parent / "session-summary-check.pdf"
    reader_path.write_bytes(printed[0])
    text = _text(reader_path)
    assert code in text and "Total 28 of 40" in text and "under the cut-off of 36" in text
    assert len(PdfReader(reader_path).pages) == 1
