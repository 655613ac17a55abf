"""Print a PDF report through Qt, page for page, so the paper equals the saved file.

The report is always made as a PDF first (``reports/``); printing renders those same pages
with QtPdf onto the printer at its resolution, rather than laying the report out again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

if TYPE_CHECKING:  # QtPdf and QtPrintSupport load on the first print, not at start-up
    from PySide6.QtPrintSupport import QPrinter


class PrintFailed(Exception):
    """The PDF could not be read back or the printer refused to start."""


#: Pages are drawn as images at this resolution at most: sharp on paper, and a 4-page
#: report stays a few tens of megabytes rather than a gigabyte at a printer's 1200 dpi.
MAX_PRINT_DPI = 300


def print_pdf(pdf: bytes, printer: QPrinter) -> int:
    """Print every page of ``pdf`` on ``printer``, full size; return how many were printed."""
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPrintSupport import QPrinter

    data = QByteArray(pdf)
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    if document.status() != QPdfDocument.Status.Ready or document.pageCount() == 0:
        raise PrintFailed("The report could not be prepared for printing; save it as PDF instead.")
    # The whole sheet, not the printable area: the PDF's margins are already on the page, so
    # the paper matches the file at 100%.
    printer.setFullPage(True)
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintFailed(
            "The printer did not start. Check it is switched on and connected, or save the "
            "report as PDF and print that."
        )
    try:
        dpi = min(printer.resolution(), MAX_PRINT_DPI)
        for index in range(document.pageCount()):
            if index:
                printer.newPage()
            points = document.pagePointSize(index)
            image = document.render(
                index, QSize(round(points.width() / 72 * dpi), round(points.height() / 72 * dpi))
            )
            if image.isNull():
                raise PrintFailed(
                    "A page could not be drawn for printing (not enough memory?); save the "
                    "report as PDF and print that."
                )
            sheet = printer.paperRect(QPrinter.Unit.DevicePixel)
            scale = sheet.width() / points.width()  # device pixels per point
            target = QRectF(0, 0, points.width() * scale, points.height() * scale)
            painter.drawImage(target, image)
    finally:
        painter.end()
    return document.pageCount()


def printers_installed() -> bool:
    """Whether the system knows any printer (CUPS on Linux; none on a bare laptop)."""
    from PySide6.QtPrintSupport import QPrinterInfo

    return bool(QPrinterInfo.availablePrinters())


def say_no_printer(parent: QWidget, title: str, save_instead: Callable[[], object] | None) -> None:
    """No printer: say so and offer Save PDF, instead of letting the print dialog quietly
    "print" an image-only file into the home folder."""
    box = QMessageBox(parent)
    box.setObjectName("noPrinterBox")
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(f"Print {title}")
    box.setText("No printer is installed on this computer.")
    box.setInformativeText(
        "Save it as a PDF instead; you can print the PDF from another computer, or once a "
        "printer is set up in the system settings."
    )
    save = box.addButton("Save PDF…", QMessageBox.ButtonRole.AcceptRole) if save_instead else None
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    if save is not None and box.clickedButton() is save and save_instead is not None:
        save_instead()


def ask_and_print(
    parent: QWidget,
    pdf: bytes,
    title: str,
    save_instead: Callable[[], object] | None = None,
) -> int:
    """Show the system print dialog and print ``pdf``; 0 when cancelled or no printer.

    With no printer installed the therapist is told so and offered ``save_instead``.
    """
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    if not printers_installed():
        say_no_printer(parent, title, save_instead)
        return 0
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(title)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print {title}")
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return 0
    return print_pdf(pdf, printer)
