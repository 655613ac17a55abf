"""Helpers for driving modal dialogs, which block the test until they are closed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QTimer
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QProgressDialog, QWidget


def handle_modals(handlers: Sequence[Callable[[QWidget], None]]) -> list[str]:
    """Answer the next modal windows in turn; returns a log of their class names.

    Each handler receives the modal widget once it is shown and must close it (accept,
    reject or click a button). A dialog that re-opens itself after a failed save is a new
    modal session and gets the next handler.
    """
    queue = list(handlers)
    seen: list[str] = []

    def poll() -> None:
        if not queue:
            return
        modal = QApplication.activeModalWidget()
        # A progress window of work on a background thread closes itself; it shows only when
        # the work is slow (a loaded machine), so it is never one of the modals answered.
        if modal is None or modal.property("handledByTest") or isinstance(modal, QProgressDialog):
            QTimer.singleShot(10, poll)
            return
        handler = queue.pop(0)
        seen.append(type(modal).__name__)

        def run() -> None:
            handler(modal)
            QTimer.singleShot(10, poll)

        QTimer.singleShot(0, run)

    QTimer.singleShot(0, poll)
    return seen


def read_message(into: list[str]) -> Callable[[QWidget], None]:
    """A handler that records a message box's text and accepts it."""

    def handler(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        into.append(box.text() + "\n" + box.informativeText())
        box.accept()

    return handler


def press(label: str) -> Callable[[QWidget], None]:
    """A handler that clicks the message box button labelled ``label``."""

    def handler(box: QWidget) -> None:
        assert isinstance(box, QMessageBox)
        (button,) = [b for b in box.buttons() if b.text() == label]
        button.click()

    return handler


def shown_text(label: QLabel) -> str:
    """What a rich-text label reads as on screen (tags gone, entities decoded)."""
    return QTextDocumentFragment.fromHtml(label.text()).toPlainText()
