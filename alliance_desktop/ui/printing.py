"""Print a PDF report through Qt, page for page, so the paper equals the saved file.

The report is always made as a PDF first (``reports/``); printing renders those same pages
with QtPdf onto the printer at its resolution, rather than laying the report out again.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget


class PrintFailed(Exception):
    """The PDF could not be read back or the printer refused to start."""


def print_pdf(pdf: bytes, printer: QPrinter) -> int:
    """Print every page of ``pdf`` on ``printer``; return how many pages were printed."""
    data = QByteArray(pdf)
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    if document.status() != QPdfDocument.Status.Ready or document.pageCount() == 0:
        raise PrintFailed("The report could not be prepared for printing; save it as PDF instead.")
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintFailed(
            "The printer did not start. Check it is switched on and connected, or save the "
            "report as PDF and print that."
        )
    try:
        for index in range(document.pageCount()):
            if index:
                printer.newPage()
            target = printer.pageLayout().paintRectPixels(printer.resolution())
            page_points = document.pagePointSize(index)
            # Keep the page's proportions inside the printable area.
            scale = min(
                target.width() / page_points.width(), target.height() / page_points.height()
            )
            size = QSize(round(page_points.width() * scale), round(page_points.height() * scale))
            image = document.render(index, size)
            painter.drawImage(QRect(0, 0, size.width(), size.height()), image)
    finally:
        painter.end()
    return document.pageCount()


def ask_and_print(parent: QWidget, pdf: bytes, title: str) -> int:
    """Show the system print dialog and print ``pdf``; 0 when the user cancels."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(title)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print {title}")
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return 0
    return print_pdf(pdf, printer)
