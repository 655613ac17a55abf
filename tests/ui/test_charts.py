"""The client charts driven as a therapist would: read, hover, click, toggle, export."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCharts import QDateTimeAxis, QLineSeries, QValueAxis
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QWidget,
)
from pytestqt.qtbot import QtBot

from alliance_desktop.domain.alerts import AlertSettings
from alliance_desktop.domain.instruments import INSTRUMENTS
from alliance_desktop.domain.scoring import score
from alliance_desktop.domain.vocabulary import Approach, Attendance
from alliance_desktop.services import clients, sessions
from alliance_desktop.storage import repository
from alliance_desktop.storage.records import ClientData, ClientFields
from alliance_desktop.ui.charts import X_DATE, InstrumentChartView, XRange, _msecs
from alliance_desktop.ui.main_window import MainWindow
from alliance_desktop.ui.preferences import PreferencesDialog
from tests.ui.helpers import handle_modals, read_message


@pytest.fixture
def window(demo_window: MainWindow) -> MainWindow:
    return demo_window


def trees(window: MainWindow) -> list[ClientData]:
    found = []
    for row in repository.list_client_rows(window.db):
        tree = repository.load_client_tree(window.db, row.client_id)
        assert tree is not None
        found.append(tree)
    return found


def client_id(window: MainWindow, tree: ClientData) -> int:
    return next(r.client_id for r in repository.list_client_rows(window.db) if r.code == tree.code)


def expected_totals(tree: ClientData, instrument_id: str) -> list[tuple[float, float]]:
    """(session number, total) of every scoreable rating, computed here, not by the chart."""
    points = []
    for s in sorted(tree.sessions, key=lambda s: s.number):
        if s.attendance is not Attendance.ATTENDED:
            continue
        forms = [m for m in s.measurements if m.instrument_id == instrument_id]
        if forms:
            total = score(INSTRUMENTS[instrument_id], forms[-1].item_values).total
            if total is not None:
                points.append((float(s.number), total))
    return points


def ink_matched(large: QImage, reference: QImage) -> float:
    """Share of the reference's inked pixels that ``large``, scaled down to it, also inks.

    Thin lines and text soften when scaled down, so a faithful picture scores about 0.4;
    one that is cropped, shifted or drawn at another scale scores near 0.
    """
    small = large.scaled(reference.size()).convertToFormat(QImage.Format.Format_RGB32)
    reference = reference.convertToFormat(QImage.Format.Format_RGB32)
    backdrop = QColor(reference.pixel(1, 1))

    def far(a: QColor, b: QColor) -> bool:
        return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) > 90

    inked = matched = 0
    for x in range(0, reference.width(), 2):
        for y in range(0, reference.height(), 2):
            shown = QColor(reference.pixel(x, y))
            if far(shown, backdrop):
                inked += 1
                matched += not far(shown, QColor(small.pixel(x, y)))
    assert inked > 500, "the reference picture is nearly blank"
    return matched / inked


def xy(series: QLineSeries) -> list[tuple[float, float]]:
    return [(p.x(), p.y()) for p in series.points()]


def open_charts(window: MainWindow, cid: int) -> dict[str, InstrumentChartView]:
    window.clients.show_client(cid)
    window.detail.tabs.setCurrentWidget(window.detail.charts_page)
    return window.detail.charts_page.views


def richest(window: MainWindow) -> ClientData:
    """The demo client with the most ruptures and instruments (the busiest chart)."""

    def weight(t: ClientData) -> tuple[int, int, int]:
        ruptures = sum(len(s.ruptures) for s in t.sessions)
        kinds = {m.instrument_id for s in t.sessions for m in s.measurements}
        return (ruptures > 0, len(kinds), len(t.sessions))

    return max(trees(window), key=weight)


def test_every_demo_chart_shows_the_domain_scores_cutoffs_and_ruptures(
    window: MainWindow, artifacts: Path
) -> None:
    drawn = 0
    for tree in trees(window):
        views = open_charts(window, client_id(window, tree))
        rated = {m.instrument_id for s in tree.sessions for m in s.measurements}
        assert set(views) == rated & {"SRS", "WAI-SR", "ORS", "CORE-10"}
        rupture_numbers = [float(s.number) for s in tree.sessions if s.ruptures]
        for instrument_id, view in views.items():
            assert view.isVisible()
            totals = expected_totals(tree, instrument_id)
            assert xy(view.line_series[instrument_id]) == totals
            norms = INSTRUMENTS[instrument_id].norms
            if norms is not None and norms.cutoff is not None:
                assert view.cutoff_series is not None
                assert {p.y() for p in view.cutoff_series.points()} == {norms.cutoff}
            else:
                assert view.cutoff_series is None  # WAI-SR has no published cut-off
            if instrument_id in ("SRS", "WAI-SR"):
                assert view.rupture_series is not None
                assert [p.x() for p in view.rupture_series.points()] == rupture_numbers
            if instrument_id == "SRS":
                assert view.flagged_series is not None
                under = [(x, y) for x, y in totals if y < AlertSettings().srs_cutoff]
                assert xy(view.flagged_series) == under  # type: ignore[arg-type]
            if instrument_id in ("ORS", "CORE-10"):
                assert view.band_series is not None
        if views:
            drawn += 1
            for _ in range(3):  # let the layout settle and the cut-off labels find their place
                QApplication.processEvents()
            window.detail.charts_page.stack_widget.grab().save(
                str(artifacts / f"charts_{tree.code}.png")
            )
    assert drawn >= 20  # the demo caseload gives most clients ratings


def test_wai_sr_subscales_sit_on_their_own_axis_and_can_be_hidden(
    qtbot: QtBot, window: MainWindow
) -> None:
    tree = next(
        t
        for t in trees(window)
        if any(m.instrument_id == "WAI-SR" for s in t.sessions for m in s.measurements)
    )
    view = open_charts(window, client_id(window, tree))["WAI-SR"]
    assert set(view.line_series) == {"WAI-SR", "goal", "task", "bond"}
    goal_axis = view.line_series["goal"].attachedAxes()
    assert any(isinstance(a, QValueAxis) and (a.min(), a.max()) == (4, 20) for a in goal_axis)
    total_axis = view.line_series["WAI-SR"].attachedAxes()
    assert any(isinstance(a, QValueAxis) and (a.min(), a.max()) == (12, 60) for a in total_axis)
    page = window.detail.charts_page
    page.subscale_boxes["goal"].click()
    view = page.views["WAI-SR"]
    assert set(view.line_series) == {"WAI-SR", "task", "bond"}
    page.subscale_boxes["goal"].click()
    assert "goal" in page.views["WAI-SR"].line_series


def test_date_axis_places_points_at_the_session_dates(window: MainWindow) -> None:
    tree = richest(window)
    views = open_charts(window, client_id(window, tree))
    window.detail.charts_page.by_date.click()
    view = views["SRS"]
    axes = view.line_series["SRS"].attachedAxes()
    assert any(isinstance(a, QDateTimeAxis) for a in axes)
    attended = [
        s
        for s in sorted(tree.sessions, key=lambda s: s.number)
        if s.attendance is Attendance.ATTENDED
        and any(m.instrument_id == "SRS" for m in s.measurements)
    ]
    xs = [p.x() for p in view.line_series["SRS"].points()]
    assert xs == [s.start.timestamp() * 1000 for s in attended]
    window.detail.charts_page.by_number.click()
    assert window.detail.charts_page.x_mode != X_DATE


def test_hover_tells_the_scores_and_a_click_opens_that_session(
    qtbot: QtBot, window: MainWindow
) -> None:
    tree = richest(window)
    cid = client_id(window, tree)
    view = open_charts(window, cid)["SRS"]
    series = view.line_series["SRS"]
    index = len(series.points()) // 2
    text = view.hover_text(series, index)
    number = int(series.points()[index].x())
    session = next(s for s in tree.sessions if s.number == number)
    assert f"Session {number} · {session.start.date().isoformat()}" in text
    srs = next(m for m in session.measurements if m.instrument_id == "SRS")
    total = score(INSTRUMENTS["SRS"], srs.item_values).total
    assert f"SRS total {total:g}" in text
    assert "Relationship" in text  # the dimension values, by name
    series.hovered.emit(series.points()[index], True)
    # In a callout inside the chart, not a tooltip window (issue 15).
    assert view.callout is not None and view.callout.isVisible()
    assert view.callout.text() == text
    series.hovered.emit(series.points()[index], False)
    assert not view.callout.isVisible()

    # Click the point where it is drawn on screen: the session opens in an editor.
    chart = view.chart()
    scene_pos = chart.mapToPosition(series.points()[index], series)
    pos = view.mapFromScene(chart.mapToScene(scene_pos))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(pos.x(), pos.y()))
    qtbot.waitUntil(lambda: bool(window.editors))
    (editor,) = window.editors
    assert (editor.context.client_id, editor.context.session_id) == (cid, session.session_id)


def test_rupture_marks_tell_what_happened_and_the_repair(window: MainWindow) -> None:
    tree = richest(window)
    view = open_charts(window, client_id(window, tree))["SRS"]
    assert view.rupture_series is not None
    ruptured = [s for s in sorted(tree.sessions, key=lambda s: s.number) if s.ruptures]
    assert ruptured, "the demo caseload has ruptures"
    text = view.hover_text(view.rupture_series, 0)
    first = ruptured[0].ruptures[0]
    assert f"Session {ruptured[0].number}" in text
    assert first.description[:40] in text and "Repair:" in text


def test_export_png_and_svg_and_a_refused_folder(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    artifacts: Path,
) -> None:
    tree = richest(window)
    view = open_charts(window, client_id(window, tree))["SRS"]
    png = tmp_path / "srs.png"
    assert window.reports.export_chart_to(view, png)
    exported = QImage(str(png))
    exported.save(str(artifacts / "chart_export_srs.png"))
    screen = view.grab().toImage()
    assert (exported.width(), exported.height()) == (2 * screen.width(), 2 * screen.height())
    # The file is the whole chart, as on screen; a cropped picture would not match.
    assert ink_matched(exported, screen) > 0.25
    colours = {
        QColor(exported.pixel(x, y)).name()
        for x in range(0, exported.width(), 3)
        for y in range(0, exported.height(), 3)
    }
    assert INSTRUMENTS["SRS"].line_style.colour.lower() in colours  # the SRS line is in the picture

    # Through the menu and the save dialog, choosing SVG without typing the suffix.
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        lambda *a, **k: (str(tmp_path / "srs"), "SVG drawing (*.svg)"),
    )
    window.detail.charts_page.export_menu.actions()[0].trigger()
    svg = tmp_path / "srs.svg"
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert "Session Rating Scale" in svg.read_text(encoding="utf-8")
    assert not list(tmp_path.glob("*.partial"))

    # A folder that is gone (a pulled stick) and the database itself are refused in words.
    seen: list[str] = []
    handle_modals([read_message(seen), read_message(seen)])
    assert not window.reports.export_chart_to(view, tmp_path / "gone" / "srs.png")
    before = window.db.path.read_bytes()
    assert not window.reports.export_chart_to(view, window.db.path)
    assert "does not exist" in seen[0] and "practice database itself" in seen[1]
    assert window.db.path.read_bytes() == before


def test_a_client_without_ratings_gets_a_hint_not_an_empty_chart(window: MainWindow) -> None:
    bare = next(t for t in trees(window) if not any(s.measurements for s in t.sessions))
    views = open_charts(window, client_id(window, bare))
    assert views == {}
    assert window.detail.charts_page.empty.isVisible()
    assert "Ctrl+Shift+N" in window.detail.charts_page.empty.text()


def test_legible_at_200_percent(tmp_path: Path, demo_db_path: Path, artifacts: Path) -> None:
    """The same chart rendered with QT_SCALE_FACTOR=2: twice the pixels, the same picture."""
    script = f"""
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
app.setStyle("Fusion")
from alliance_desktop.services.charts import charts_for_client
from alliance_desktop.storage import repository
from tests.keyed import open_database
from alliance_desktop.ui.charts import X_NUMBER, InstrumentChartView, XRange
db = open_database(Path({str(demo_db_path)!r}))
rows = repository.list_client_rows(db)
best = max(rows, key=lambda r: r.summary.sessions_total if r.summary else 0)
charts = charts_for_client(db, best.client_id)
view = InstrumentChartView()
view.resize(640, 360)  # in points: the window's own size would depend on the screen's
view.show()
view.show_chart(charts.chart("SRS"), charts.ruptures, XRange.of(charts), X_NUMBER)
for _ in range(3):
    app.processEvents()
view.grab().save(sys.argv[1])
print(view.width(), view.height())
db.close()
"""
    sizes = {}
    for factor in ("1", "2"):
        out = artifacts / f"chart_scale_{factor}00.png"
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": factor}
        done = subprocess.run(
            [sys.executable, "-c", script, str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        logical = tuple(int(v) for v in done.stdout.split())
        image = QImage(str(out))
        sizes[factor] = (logical, (image.width(), image.height()))
    (logical_1, pixels_1), (logical_2, pixels_2) = sizes["1"], sizes["2"]
    assert pixels_1 == logical_1
    assert logical_2 == logical_1  # the same layout in points
    assert pixels_2 == (2 * logical_2[0], 2 * logical_2[1])  # drawn at full density
    # Everything grew with the scale: text, lines and marks land where they do at 100%.
    # Anything drawn in fixed pixels (a font, a marker, a label's place) would not.
    at_100 = QImage(str(artifacts / "chart_scale_100.png"))
    at_200 = QImage(str(artifacts / "chart_scale_200.png"))
    assert ink_matched(at_200, at_100) > 0.25


def test_charts_follow_new_sessions_and_the_alert_settings(
    qtbot: QtBot, window: MainWindow
) -> None:
    tree = richest(window)
    cid = client_id(window, tree)
    view = open_charts(window, cid)["SRS"]
    before = len(view.line_series["SRS"].points())
    assert view.cutoff_label is not None and "alert when under" in view.cutoff_label.text()

    # A session recorded elsewhere (another editor, the CLI) shows once the data changes.
    fresh = repository.load_client_tree(window.db, cid)
    assert fresh is not None
    last = max(s.start for s in fresh.sessions)
    document = {
        "start": (last + timedelta(days=1)).isoformat(timespec="minutes"),
        "measurements": [{"instrument_id": "SRS", "item_values": [8, 8, 8, 8]}],
    }
    change = sessions.record_session(window.db, cid, sessions.parse_session(document, fresh))
    window.events.dataChanged.emit(change)
    view = window.detail.charts_page.views["SRS"]
    points = view.line_series["SRS"].points()
    assert len(points) == before + 1 and points[-1].y() == 32
    assert view.flagged_series is not None and view.flagged_series.points()[-1].y() == 32

    def count_equal(dialog: QWidget) -> None:
        assert isinstance(dialog, PreferencesDialog)
        combo = dialog.alert_fields["srs_cutoff_comparison"]
        assert isinstance(combo, QComboBox)
        combo.setCurrentIndex(combo.findData("le"))
        buttons = dialog.findChild(QDialogButtonBox)
        assert buttons is not None
        buttons.button(QDialogButtonBox.StandardButton.Save).click()

    handle_modals([count_equal])
    window.preferences_action.trigger()
    view = window.detail.charts_page.views["SRS"]
    assert view.cutoff_label is not None
    assert "alert when at or under" in view.cutoff_label.text()
    assert view.flagged_series is not None
    assert view.flagged_series.name() == "At or under the cut-off"  # the legend
    assert "at or under the cut-off of 36" in view.accessibleName()  # for screen readers


def _client_with_srs(window: MainWindow, items: list[float]) -> int:
    """A new client with a weekly SRS whose four items are each ``items[week]``."""
    intake = date(2026, 6, 1)  # fixed and in the past: the test passes at any hour
    fields = ClientFields("C-9001", "Łukasz", "Ёлка", Approach.CBT, intake)
    cid = clients.create_client(window.db, fields).client_id
    for week, item in enumerate(items):
        tree = repository.load_client_tree(window.db, cid)
        assert tree is not None
        start = datetime.combine(intake, datetime.min.time()) + timedelta(weeks=week, hours=10)
        document = {
            "start": start.isoformat(timespec="minutes"),
            "measurements": [{"instrument_id": "SRS", "item_values": [item] * 4}],
        }
        sessions.record_session(window.db, cid, sessions.parse_session(document, tree))
    return cid


def test_the_cut_off_label_keeps_clear_of_the_ratings(window: MainWindow) -> None:
    # Ratings just under the cut-off all along the right: where the label would go first.
    cid = _client_with_srs(window, [9.8, 9.6, 9.8, 9.5, 9.2, 8.8, 8.6, 8.5, 8.6, 8.5, 8.8, 8.5])
    view = open_charts(window, cid)["SRS"]
    for _ in range(3):
        QApplication.processEvents()
    assert view.cutoff_label is not None
    label = view.cutoff_label.sceneBoundingRect()
    chart = view.chart()
    series = view.line_series["SRS"]
    marks = [chart.mapToPosition(p, series) for p in series.points()]
    assert not any(label.contains(m) for m in marks)
    assert label.width() > 50 and chart.plotArea().intersects(label)


def test_date_ticks_fall_on_whole_days_and_hidden_subscales_take_their_axis(
    window: MainWindow,
) -> None:
    tree = next(
        t
        for t in trees(window)
        if any(m.instrument_id == "WAI-SR" for s in t.sessions for m in s.measurements)
    )
    views = open_charts(window, client_id(window, tree))
    window.detail.charts_page.by_date.click()
    (axis,) = [
        a
        for a in views["SRS"].chart().axes(Qt.Orientation.Horizontal)
        if isinstance(a, QDateTimeAxis)
    ]
    first, last = axis.min(), axis.max()
    assert first.time().hour() == 12 and last.time().hour() == 12
    assert first.daysTo(last) % (axis.tickCount() - 1) == 0
    page = window.detail.charts_page
    for key in ("goal", "task", "bond"):
        page.subscale_boxes[key].click()
    right = page.views["WAI-SR"].chart().axes(Qt.Orientation.Vertical)
    assert len(right) == 1  # only the total's axis is left


def test_charts_take_a_new_theme_at_once(qtbot: QtBot, window: MainWindow) -> None:
    tree = richest(window)
    open_charts(window, client_id(window, tree))
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    dark = QPalette(before)
    dark.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e8eaed"))
    try:
        app.setPalette(dark)
        qtbot.waitUntil(
            lambda: (
                window.detail.charts_page.views["SRS"].chart().titleBrush().color().name()
                == "#e8eaed"
            )
        )
    finally:
        app.setPalette(before)


class _WindowsDatetime(datetime):
    """A datetime that fails to convert before 1970, as ``timestamp()`` does on Windows."""

    def timestamp(self) -> float:
        if self.year < 1970:
            raise OSError(22, "Invalid argument")
        return super().timestamp()


def test_dates_before_1970_and_at_the_calendars_ends_still_chart() -> None:
    mistyped = _WindowsDatetime(1965, 3, 2, 10, 30)
    assert _msecs(mistyped) == datetime(1965, 3, 2, 10, 30).timestamp() * 1000
    for first, last in (
        (datetime(1, 1, 1, 9), datetime(1, 1, 8, 9)),
        (datetime(9999, 12, 20, 9), datetime(9999, 12, 31, 9)),
    ):
        low, high = InstrumentChartView._x_limits(XRange(1, 2, first, last), X_DATE)
        assert low < _msecs(first) and _msecs(last) < high  # both points inside the axis
