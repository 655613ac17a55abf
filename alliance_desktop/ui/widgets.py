"""Small widget helpers shared by the window's forms: the wheel guard and screen fitting."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QFocusEvent, QGuiApplication
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget

#: Room left for the window manager's frame around a window (title bar and borders), which
#: Qt cannot know before the window is first shown.
FRAME_ALLOWANCE = (16, 48)


#: How a field may have got its focus for the wheel to change it: the therapist clicked it
#: or moved to it with the keyboard. Focus a dialog gives its first field when it opens, or
#: a tab page to its first field, does not count: the pointer may be resting over that field.
_CHOSEN_FOCUS = {
    Qt.FocusReason.MouseFocusReason,
    Qt.FocusReason.TabFocusReason,
    Qt.FocusReason.BacktabFocusReason,
    Qt.FocusReason.ShortcutFocusReason,
}
#: Focus that leaves and comes back without the therapist choosing another field: the window
#: lost and regained activation, or the field's own drop-down list opened and closed.
_PASSING_FOCUS = {Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason}
_ARMED = "wheelArmed"  # property set on a field while the wheel may change it
_GUARDED = "wheelGuarded"  # set on every field the guard watches


class _WheelOnlyWhenFocused(QObject):
    """Lets the mouse wheel scroll the page over a field the therapist is not working in.

    A drop-down, spin box or date that takes the wheel while the pointer merely passes over
    it changes a value nobody meant to change. Ignored here, the wheel event goes on to the
    scroll area around the form; once the field has been clicked or reached with Tab (or a
    shortcut), the wheel works on it.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.FocusIn, QEvent.Type.FocusOut) and isinstance(event, QFocusEvent):
            reason = event.reason()
            if reason not in _PASSING_FOCUS:  # (back from a message box or the drop-down)
                watched.setProperty(_ARMED, kind == QEvent.Type.FocusIn and reason in _CHOSEN_FOCUS)
        elif kind == QEvent.Type.MouseButtonPress:
            # Clicked (the field or the text box inside a spin box): the therapist is
            # working in it, even if it had the focus already.
            field = watched if watched.property(_GUARDED) else watched.parent()
            if isinstance(field, QObject):
                field.setProperty(_ARMED, True)
        elif (
            kind == QEvent.Type.Wheel
            and isinstance(watched, QWidget)
            and not (watched.hasFocus() and watched.property(_ARMED))
        ):
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
        widget.setProperty(_GUARDED, True)
        widget.installEventFilter(_FILTER)
        inner = widget.lineEdit() if isinstance(widget, (QAbstractSpinBox, QComboBox)) else None
        if inner is not None:
            inner.installEventFilter(_FILTER)  # a click lands on the text box inside


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
