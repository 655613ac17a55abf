"""Small widget helpers shared by the window's forms: the wheel guard and screen fitting."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

#: Room left for the window manager's frame around a window (title bar and borders), which
#: Qt cannot know before the window is first shown.
FRAME_ALLOWANCE = (16, 48)


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


def available_area(widget: QWidget) -> QRect:
    """The part of the widget's screen (its parent's, before it is shown) that windows may
    use: the whole screen minus task bars and docks."""
    parent = widget.parentWidget()
    screen = (
        (parent.screen() if parent is not None else None)
        or widget.screen()
        or QGuiApplication.primaryScreen()
    )
    return screen.availableGeometry()


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Give ``window`` its preferred size, shrunk to what the screen has room for.

    On a 1280x720 laptop with a task bar (or 2560x1440 at 200 %), a dialog that asks for more
    than the screen would have its buttons below the bottom edge; shrunk, its long form
    scrolls inside instead and Save, Close and Undo stay on screen.
    """
    area = available_area(window)
    frame_w, frame_h = FRAME_ALLOWANCE
    window.resize(
        max(200, min(width, area.width() - frame_w)),
        max(150, min(height, area.height() - frame_h)),
    )
