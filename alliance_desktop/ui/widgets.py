"""Small widget helpers shared by the window's forms."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget


class _WheelOnlyWhenFocused(QObject):
    """Lets the mouse wheel scroll the page over a field that does not have keyboard focus.

    A drop-down or spin box that takes the wheel while the pointer merely passes over it
    changes a value nobody meant to change. Ignored here, the wheel event goes on to the
    scroll area around the form; once the field has focus (a click, Tab) the wheel works.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        wheel = event.type() == QEvent.Type.Wheel
        if wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            event.ignore()  # not accepted: Qt offers it to the parents, the scroll area
            return True
        return False


_FILTER: _WheelOnlyWhenFocused | None = None


def wheel_only_when_focused(*widgets: QWidget) -> None:
    """Install the guard on ``widgets`` (spin boxes, drop-downs, date fields)."""
    global _FILTER  # noqa: PLW0603 - one stateless filter object serves every widget
    if _FILTER is None:
        _FILTER = _WheelOnlyWhenFocused()
    for widget in widgets:
        # StrongFocus, not WheelFocus: the wheel alone never gives the field focus.
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        widget.installEventFilter(_FILTER)
