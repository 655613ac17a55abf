"""The session editor reads a start and typed values by the rule the command line uses.

The sentences beside the fields are ``services.input_rules``' own, word for word, so the
editor, ``session add --date/--srs`` and ``session add --json`` refuse alike; what the
editor accepts is stored exactly as meant. Every date is given; none is "now".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from alliance_desktop.domain.instruments import INSTRUMENTS
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.input_rules import parse_item_text, parse_moment
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.main_window import MainWindow
from tests.ui.conftest import shown_window
from tests.ui.test_session_editor import (
    field,
    make_client,
    open_new,
    stored_sessions,
    type_into,
    use_only,
)

SRS = INSTRUMENTS["SRS"]
LATER = datetime(2026, 11, 25, 10, 0)  # after the client's session, long past


@pytest.fixture
def window(qtbot: QtBot, db_path: Path) -> Iterator[MainWindow]:
    make_client(db_path)
    with shown_window(qtbot, db_path) as main:
        yield main


def sentence(read: object, *args: object) -> str:
    """The shared rule's sentence for this input, as the editor marks it."""
    with pytest.raises(InvalidInput) as refused:
        read(*args)  # type: ignore[operator]
    return f"⚠ {refused.value}"


def test_a_start_out_of_the_apps_range_is_refused_in_the_shared_words(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = open_new(window, qtbot)
    use_only(editor, "SRS")
    for number in range(1, 5):
        type_into(qtbot, editor, f"measure_SRS_{number}", "9")
    editor.start_edit.setDateTime(QDateTime(datetime(1949, 12, 31, 10, 0)))
    assert editor.current_form().start == "1949-12-31 10:00"  # the widget lets it through
    editor.save_button.click()
    start_error = field(editor, "startError")
    assert isinstance(start_error, QLabel) and start_error.isVisible()
    # Word for word what --date 1949-12-31T10:00 and a JSON "start" say.
    assert start_error.text() == sentence(parse_moment, "1949-12-31T10:00")
    assert start_error.text() == sentence(parse_moment, "1949-12-31 10:00")
    assert len(stored_sessions(window)) == 1  # only the client's earlier session


def test_typed_values_are_refused_in_the_shared_words_and_stored_exactly(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = open_new(window, qtbot)
    use_only(editor, "SRS")
    editor.start_edit.setDateTime(QDateTime(LATER))
    for number, value in enumerate(("8.55", "-0", "9", "9"), start=1):
        type_into(qtbot, editor, f"measure_SRS_{number}", value)
    editor.save_button.click()
    first = field(editor, "measure_SRS_1Error")
    assert isinstance(first, QLabel) and first.isVisible()
    assert first.text() == sentence(parse_item_text, "8.55", SRS, SRS.items[0])
    assert not field(editor, "measure_SRS_2Error").isVisible()  # -0 is zero
    # A digit from another script looks right and is not read as one.
    item_1 = field(editor, "measure_SRS_1")
    assert isinstance(item_1, QLineEdit)
    item_1.setText("\u0663")  # Arabic-Indic three
    editor.save_button.click()
    assert first.text() == sentence(parse_item_text, "\u0663", SRS, SRS.items[0])
    assert "(type the digits 0 to 9)" in first.text()
    assert len(stored_sessions(window)) == 1
    type_into(qtbot, editor, "measure_SRS_1", "8.50")
    editor.save_button.click()
    assert window.editors == []  # saved and closed
    wait_for_background_work()
    (srs,) = stored_sessions(window)[-1].measurements
    assert srs.item_values == [8.5, 0.0, 9.0, 9.0]
    assert repr(srs.item_values[1]) == "0.0"  # stored without the sign typed
