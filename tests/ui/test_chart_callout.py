"""Chart hover and keyboard, driven with real mouse moves and key presses (issue 15).

The hovered point's text shows in a callout drawn inside the chart (issue 15 reported that
a tooltip window did not appear on X11), the keys step through the sessions and open one,
and every chart of a client keeps the same plot width so a session is one pixel column
down the page.
"""

from __future__ import annotations

from PySide6.QtCharts import QXYSeries
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QScrollArea
from pytestqt.qtbot import QtBot

from alliance_desktop.ui.charts import ChartsPage, InstrumentChartView
from alliance_desktop.ui.main_window import MainWindow
from tests.ui.test_charts import client_id, open_charts, richest, trees

FOUR = {"SRS", "WAI-SR", "ORS", "CORE-10"}


def settle() -> None:
    for _ in range(5):  # layouts, then the page's alignment, then the layouts it starts
        QApplication.processEvents()


def scene_point(view: InstrumentChartView, series: QXYSeries, index: int) -> QPointF:
    """Where a point is drawn, in the chart's (and here the scene's) coordinates."""
    chart = view.chart()
    return chart.mapToScene(chart.mapToPosition(series.at(index), series))


def on_screen(view: InstrumentChartView, series: QXYSeries, index: int) -> QPoint:
    """Where a point is drawn, in the view's viewport (where the mouse events go)."""
    return view.mapFromScene(scene_point(view, series, index))


def hover(qtbot: QtBot, view: InstrumentChartView, pos: QPoint) -> None:
    qtbot.mouseMove(view.viewport(), pos)
    QApplication.processEvents()


def share_of(image: QImage, box: QRectF, colour: QColor) -> float:
    """Share of the pixels inside ``box`` (a few pixels in from its edge) in ``colour``."""
    inner = box.adjusted(4, 4, -4, -4).toRect()
    hits = total = 0
    for x in range(inner.left(), inner.right(), 2):
        for y in range(inner.top(), inner.bottom(), 2):
            total += 1
            hits += QColor(image.pixel(x, y)) == colour
    return hits / max(total, 1)


def test_hovering_a_point_shows_its_text_in_the_chart_and_moving_away_hides_it(
    qtbot: QtBot, demo_window: MainWindow
) -> None:
    window = demo_window
    view = open_charts(window, client_id(window, richest(window)))["SRS"]
    settle()
    # A theme of its own, to see the callout take the tooltip colours from the palette.
    palette = QPalette(view.palette())
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor("#203040"))
    palette.setColor(QPalette.ColorRole.ToolTipText, QColor("#f0e6c8"))
    view.setPalette(palette)
    series = view.line_series["SRS"]
    callout = view.callout
    assert callout is not None and not callout.isVisible()
    area = view.chart().plotArea()

    middle = len(series.points()) // 2
    hover(qtbot, view, on_screen(view, series, middle))
    assert callout.isVisible()
    text = view.hover_text(series, middle)
    assert callout.text() == text  # the words the tooltip had, from the same function
    assert text.startswith(f"Session {int(series.at(middle).x())} · ") and "SRS total" in text
    assert area.contains(callout.box())
    image = view.viewport().grab().toImage()
    assert share_of(image, callout.box(), QColor("#203040")) > 0.6  # drawn, in the theme
    assert any(
        QColor(image.pixel(x, y)) == QColor("#f0e6c8")
        for x in range(round(callout.box().left()), round(callout.box().right()))
        for y in range(round(callout.box().top()), round(callout.box().bottom()))
    )

    # Along the line to the next point: the callout follows to the point nearest the mouse.
    here, after = on_screen(view, series, middle), on_screen(view, series, middle + 1)
    hover(qtbot, view, here + (after - here) * 0.85)
    assert callout.isVisible() and callout.text() == view.hover_text(series, middle + 1)

    # Off the line, into empty plot: gone.
    hover(qtbot, view, QPoint(here.x(), round(view.mapFromScene(area.bottomLeft()).y()) - 60))
    assert not callout.isVisible()


def test_the_callout_goes_beside_each_point_and_stays_in_the_plot(
    qtbot: QtBot, demo_window: MainWindow
) -> None:
    window = demo_window
    view = open_charts(window, client_id(window, richest(window)))["SRS"]
    settle()
    series, stars = view.line_series["SRS"], view.rupture_series
    callout = view.callout
    assert stars is not None and callout is not None
    area = view.chart().plotArea()
    last = len(series.points()) - 1
    sides = set()
    # Every rating and every star, straight from one to the next as a hand would go: the
    # callout over the last point must not catch the pointer on its way to the next one.
    for target, index in [(series, i) for i in range(last + 1)] + [(stars, 0)]:
        hover(qtbot, view, on_screen(view, target, index))
        anchor = scene_point(view, target, index)
        box = callout.box()
        assert callout.isVisible() and callout.text() == view.hover_text(target, index)
        assert area.contains(box)  # inside the plot, so not clipped
        assert not box.contains(anchor)  # beside the point it tells about, not over it
        assert view.viewport().rect().contains(view.mapFromScene(box).boundingRect())
        if index in (0, last) and target is series:
            sides.add("right" if box.left() > anchor.x() else "left")
    assert sides == {"right", "left"}  # right of the first point, flipped left of the last
    hover(qtbot, view, QPoint(3, 3))
    assert not callout.isVisible()


def test_hovering_a_rupture_star_tells_what_happened_and_the_repair(
    qtbot: QtBot, demo_window: MainWindow
) -> None:
    window = demo_window
    tree = richest(window)
    view = open_charts(window, client_id(window, tree))["SRS"]
    settle()
    stars = view.rupture_series
    assert stars is not None and stars.count() > 0
    callout = view.callout
    assert callout is not None
    hover(qtbot, view, on_screen(view, stars, 0))
    assert callout.isVisible()
    ruptured = min((s for s in tree.sessions if s.ruptures), key=lambda s: s.number)
    note = ruptured.ruptures[0]
    assert callout.text() == view.hover_text(stars, 0)
    assert callout.text().startswith(f"Session {ruptured.number} · ")
    assert note.description[:30] in callout.text() and "Repair:" in callout.text()
    assert ("Resolved." in callout.text()) or ("Not resolved." in callout.text())
    assert view.chart().plotArea().contains(callout.box())
    hover(qtbot, view, QPoint(3, 3))
    assert not callout.isVisible()


def test_a_long_text_in_a_small_chart_is_never_clipped(
    qtbot: QtBot, demo_window: MainWindow
) -> None:
    window = demo_window
    view = open_charts(window, client_id(window, richest(window)))["SRS"]
    settle()
    stars = view.rupture_series
    callout = view.callout
    assert stars is not None and callout is not None
    long_text = "\n".join(["Session 1 · 2026-01-05 09:00", *["word " * 60] * 4])
    view._hover[id(stars)].describe[0] = lambda: long_text
    view.resize(420, 300)  # the smallest a chart gets on the page
    settle()
    hover(qtbot, view, on_screen(view, stars, 0))
    assert callout.isVisible() and callout.text() == long_text
    # Taller than the plot: it may use the whole chart, never more.
    inside = view.chart().rect()
    assert inside.contains(callout.box())
    assert view.viewport().rect().contains(view.mapFromScene(callout.box()).boundingRect())


def test_keys_step_through_the_sessions_and_enter_opens_one(
    qtbot: QtBot, demo_window: MainWindow
) -> None:
    window = demo_window
    tree = richest(window)
    cid = client_id(window, tree)
    views = open_charts(window, cid)
    settle()
    page = window.detail.charts_page
    first = next(iter(views.values()))

    # One Tab from the last control above the charts reaches the first chart, and brings
    # it into view when the page was scrolled down.
    scroll = page.findChild(QScrollArea, "chartsScroll")
    assert scroll is not None
    bar = scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert bar.value() > 0, "the demo window shows only some of the charts at once"
    highlight = first.palette().color(QPalette.ColorRole.Highlight)

    def frame_pixels() -> int:
        edge = first.viewport().grab().toImage()
        return sum(QColor(edge.pixel(x, 1)) == highlight for x in range(20, edge.width() - 20))

    assert frame_pixels() == 0
    page.export_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(page.export_button, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is first
    assert bar.value() == 0

    assert frame_pixels() > 100  # the focus frame: a highlight-coloured edge
    view = views["SRS"]
    assert view is first and view.current_point() is None

    series, stars = view.line_series["SRS"], view.rupture_series
    assert stars is not None
    callout = view.callout
    assert callout is not None
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert view.current_point() == (series, 0)
    assert callout.isVisible() and callout.text() == view.hover_text(series, 0)
    assert view.hover_text(series, 0).split("\n")[0] in view.accessibleName()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.current_point() == (series, 1)
    assert callout.text() == view.hover_text(series, 1)
    qtbot.keyClick(view, Qt.Key.Key_Left)
    qtbot.keyClick(view, Qt.Key.Key_Left)  # at the first already: stays
    assert view.current_point() == (series, 0)
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.current_point() == (series, len(series.points()) - 1)

    # Ratings and ruptures in session order: the first star comes right after its session.
    star_x = stars.at(0).x()
    qtbot.keyClick(view, Qt.Key.Key_Home)
    while view.current_point() != (stars, 0):
        before = view.current_point()
        qtbot.keyClick(view, Qt.Key.Key_Right)
        assert view.current_point() != before, "stepped past the end without meeting the star"
    assert before is not None and before[0] is series and series.at(before[1]).x() <= star_x
    assert "Repair:" in callout.text() and "Repair:" in view.accessibleName()

    # Enter opens the current session: the same signal and editor a click gives.
    qtbot.keyClick(view, Qt.Key.Key_Right)
    current = view.current_point()
    assert current is not None and current[0] is series
    number = int(series.at(current[1]).x())
    session = next(s for s in tree.sessions if s.number == number)
    with qtbot.waitSignal(view.sessionActivated) as opened:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert opened.args == [session.session_id]
    qtbot.waitUntil(lambda: bool(window.editors))
    (editor,) = window.editors
    assert (editor.context.client_id, editor.context.session_id) == (cid, session.session_id)


def test_the_callout_goes_with_the_focus_and_stays_out_of_exports(
    qtbot: QtBot, demo_window: MainWindow
) -> None:
    window = demo_window
    view = open_charts(window, client_id(window, richest(window)))["SRS"]
    settle()
    callout = view.callout
    assert callout is not None
    view.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert callout.isVisible()
    latest = callout.text()
    # A redraw (here: dates on the x axis) keeps the keyboard's place and its callout.
    window.detail.charts_page.by_date.click()
    callout = view.callout
    assert callout is not None and callout.isVisible() and callout.text() == latest
    png = QImage.fromData(view.render_png(scale=1.0))
    assert share_of(png, callout.box(), view.palette().color(QPalette.ColorRole.ToolTipBase)) < 0.1
    assert callout.isVisible()  # shown again after the export
    window.detail.charts_page.by_number.setFocus()
    assert not callout.isVisible()
    view.setFocus(Qt.FocusReason.TabFocusReason)
    assert callout.isVisible()  # the same point as before
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert not callout.isVisible() and view.current_point() is None


def plot_edges(page: ChartsPage, view: InstrumentChartView) -> tuple[float, float]:
    """Left and right edge of a chart's plot area, in the page's coordinates."""
    area = view.chart().mapRectToScene(view.chart().plotArea())
    in_view = view.viewportTransform().mapRect(area)
    offset = QPointF(view.viewport().mapTo(page, QPoint(0, 0)))
    return in_view.left() + offset.x(), in_view.right() + offset.x()


def assert_lined_up(page: ChartsPage) -> None:
    edges = {key: plot_edges(page, view) for key, view in page.views.items()}
    lefts = [left for left, _ in edges.values()]
    rights = [right for _, right in edges.values()]
    assert max(lefts) - min(lefts) <= 1, edges
    assert max(rights) - min(rights) <= 1, edges


def test_every_chart_of_a_client_has_the_same_plot_width(
    qtbot: QtBot, demo_window: MainWindow
) -> None:
    window = demo_window
    tree = next(
        t
        for t in trees(window)
        if {m.instrument_id for s in t.sessions for m in s.measurements} >= FOUR
    )
    views = open_charts(window, client_id(window, tree))
    page = window.detail.charts_page
    assert set(views) == FOUR
    settle()
    assert_lined_up(page)
    # The WAI-SR subscale axis takes room on the right; the other charts leave it empty.
    wai_right = views["WAI-SR"].chart().margins().right()
    assert all(v.chart().margins().right() > wai_right for k, v in views.items() if k != "WAI-SR")
    # A session sits in one pixel column on every chart it is in.
    wai, srs = views["WAI-SR"], views["SRS"]
    wai_total = wai.line_series["WAI-SR"]
    number = wai_total.at(0).x()
    srs_index = next(i for i, p in enumerate(srs.line_series["SRS"].points()) if p.x() == number)
    columns = [
        view.viewport().mapTo(page, on_screen(view, series, index)).x()
        for view, series, index in ((wai, wai_total, 0), (srs, srs.line_series["SRS"], srs_index))
    ]
    assert abs(columns[0] - columns[1]) <= 1

    # Still so by date, with the subscales (and their axis) hidden and back, and resized.
    page.by_date.click()
    settle()
    assert_lined_up(page)
    for key in ("goal", "task", "bond"):
        page.subscale_boxes[key].click()
    settle()
    assert_lined_up(page)
    assert len({v.chart().margins().right() for v in page.views.values()}) == 1  # no padding
    page.subscale_boxes["bond"].click()
    window.resize(1100, 800)
    settle()
    assert_lined_up(page)
