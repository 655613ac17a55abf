"""The client's alliance and outcome charts (QtCharts), drawn from ``domain.series``.

``InstrumentChartView`` draws one ``InstrumentChart``: the total (and WAI-SR goal, task and
bond subscales) as lines with markers, the cut-off as a labelled dashed grey line, ratings
under the cut-off and ruptures as their own marks, and for outcome measures the band of no
reliable change around the first score. Axes keep the instrument's full range. Hovering a
point shows its date, scores and items in a callout drawn inside the chart; clicking it opens
the session. With the keyboard, Left/Right/Home/End step through the sessions and Enter opens
one. ``ChartsPage`` stacks the charts of one client on a shared x axis (session number or
date), with the same plot width in every chart so a session is one pixel column down the
page, and exports any of them as PNG or SVG.

Colours come from the Okabe-Ito palette in ``STYLES``; "foreground" lines and all text use
the palette, and nothing paints a background of its own, so dark mode works.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import partial

from PySide6.QtCharts import (
    QAbstractAxis,
    QAreaSeries,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLegend,
    QLineSeries,
    QScatterSeries,
    QValueAxis,
    QXYSeries,
)
from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QDate,
    QDateTime,
    QEvent,
    QIODevice,
    QMargins,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTime,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QFocusEvent,
    QFont,
    QFontMetricsF,
    QImage,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPolygonF,
    QShowEvent,
)
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
    QHBoxLayout,
    QLabel,
    QMenu,
    QRadioButton,
    QScrollArea,
    QStyleOptionGraphicsItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop.domain._format import fmt_number, join_words
from alliance_desktop.domain.instruments import ALLIANCE_INSTRUMENT_IDS, OUTCOME_INSTRUMENT_IDS
from alliance_desktop.domain.series import (
    STYLES,
    ChartLine,
    ClientCharts,
    InstrumentChart,
    LineStyle,
    RuptureMarker,
    describe_change,
    describe_point,
    when,
)

X_NUMBER, X_DATE = "number", "date"
SUBSCALE_KEYS = ("goal", "task", "bond")
CHART_MIN_HEIGHT = 300
_MARKER_SIZE = 9.0
DATE_TICKS = 5
_NUMBER_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 10**9)  # at most 12 ticks
_PEN_STYLES = {
    "solid": Qt.PenStyle.SolidLine,
    "dash": Qt.PenStyle.DashLine,
    "dot": Qt.PenStyle.DotLine,
    "dashdot": Qt.PenStyle.DashDotLine,
}
_SCATTER_SHAPES = {
    "circle": QScatterSeries.MarkerShape.MarkerShapeCircle,
    "square": QScatterSeries.MarkerShape.MarkerShapeRectangle,
    "triangle": QScatterSeries.MarkerShape.MarkerShapeTriangle,
    "diamond": QScatterSeries.MarkerShape.MarkerShapeRotatedRectangle,
    "star": QScatterSeries.MarkerShape.MarkerShapeStar,
    "pentagon": QScatterSeries.MarkerShape.MarkerShapePentagon,
}


def style_colour(style: LineStyle, palette: QPalette) -> QColor:
    """The colour of a style; "foreground" is the theme's text colour."""
    if style.colour == "foreground":
        return palette.color(QPalette.ColorRole.WindowText)
    return QColor(style.colour)


def _marker_image(shape: str, colour: QColor, size: float, scale: float = 2.0) -> QImage:
    """A marker drawn at ``scale`` x, so it stays crisp at 200% and in exports."""
    pixels = round(size * scale)
    image = QImage(pixels, pixels, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(colour.darker(130), 1.2 * scale))
    painter.setBrush(colour)
    r = QRectF(1.5 * scale, 1.5 * scale, pixels - 3 * scale, pixels - 3 * scale)
    if shape == "square":
        painter.drawRect(r)
    elif shape == "triangle":
        painter.drawPolygon(
            QPolygonF([QPointF(r.center().x(), r.top()), r.bottomRight(), r.bottomLeft()])
        )
    elif shape == "diamond":
        c = r.center()
        painter.drawPolygon(
            QPolygonF(
                [
                    QPointF(c.x(), r.top()),
                    QPointF(r.right(), c.y()),
                    QPointF(c.x(), r.bottom()),
                    QPointF(r.left(), c.y()),
                ]
            )
        )
    elif shape == "pentagon":
        path = QPainterPath()
        for i in range(5):
            angle = -math.pi / 2 + i * 2 * math.pi / 5
            point = QPointF(
                r.center().x() + r.width() / 2 * math.cos(angle),
                r.center().y() + r.height() / 2 * math.sin(angle),
            )
            if i == 0:
                path.moveTo(point)
            else:
                path.lineTo(point)
        path.closeSubpath()
        painter.drawPath(path)
    else:
        painter.drawEllipse(r)
    painter.end()
    return image


@dataclass(frozen=True)
class XRange:
    """The x extent shared by every chart of one client, so they line up."""

    first_number: int
    last_number: int
    first_start: datetime
    last_start: datetime

    @classmethod
    def of(cls, charts: ClientCharts) -> XRange | None:
        if charts.first_session is None or charts.last_session is None:
            return None
        return cls(
            charts.first_session.number,
            charts.last_session.number,
            charts.first_session.start,
            charts.last_session.start,
        )


def _msecs(moment: datetime) -> float:
    """Milliseconds since the epoch of a naive local time, as QDateTimeAxis reads them."""
    try:
        return moment.timestamp() * 1000.0
    except (OSError, OverflowError, ValueError):
        # Windows cannot convert times before 1970 (a mistyped year); Qt can, more slowly.
        day, clock = moment.date(), moment.time()
        qt_moment = QDateTime(
            QDate(day.year, day.month, day.day),
            QTime(clock.hour, clock.minute, clock.second, clock.microsecond // 1000),
        )
        return float(qt_moment.toMSecsSinceEpoch())


@dataclass
class _Hover:
    """The points of one series in x order, for hover text and clicks.

    Texts are written only when a point is hovered: composing 1,500 of them up front would
    cost more than drawing the chart.
    """

    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    describe: list[Callable[[], str]] = field(default_factory=list)
    session_ids: list[int | None] = field(default_factory=list)

    def add(self, x: float, y: float, describe: Callable[[], str], session_id: int | None) -> None:
        self.xs.append(x)
        self.ys.append(y)
        self.describe.append(describe)
        self.session_ids.append(session_id)

    def nearest(self, x: float) -> int | None:
        if not self.xs:
            return None
        i = bisect.bisect_left(self.xs, x)
        candidates = [j for j in (i - 1, i) if 0 <= j < len(self.xs)]
        return min(candidates, key=lambda j: abs(self.xs[j] - x))


# Above everything QtCharts draws (its layers use z values up to about 12).
_CALLOUT_Z = 100.0
_TEXT_FLAGS = (
    Qt.AlignmentFlag.AlignLeft.value
    | Qt.AlignmentFlag.AlignTop.value
    | Qt.TextFlag.TextWordWrap.value
)


class _Callout(QGraphicsItem):
    """A point's hover text in a small rounded box, drawn inside the chart's own scene.

    A QToolTip is a separate top-level window that the window manager places and stacks, and
    on X11 it was reported not to appear at all (issue 15); it also lands at the pointer, not
    at the point, often over the client list. A box in the chart's scene shows wherever the
    chart does, beside its point. It takes no clicks or hovers, so the points under it still
    answer the pointer.
    """

    PAD = 6.0
    GAP = 12.0  # from the point's centre to the box: clear of the largest marker
    LINE_CHARS = 50  # the widest line, in average characters (follows the font and scale)

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self._text = ""
        self._shown = ""  # the text as drawn: shortened only when even the chart is too small
        self._box = QRectF()  # in the parent's (the chart's) coordinates; the item sits at 0,0
        self._font = QFont()
        self._base = QColor()
        self._ink = QColor()
        self.setZValue(_CALLOUT_Z)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.hide()

    def text(self) -> str:
        """The full text last shown (the same as the old tooltip's)."""
        return self._text

    def box(self) -> QRectF:
        """Where the box is, in the chart's coordinates."""
        return QRectF(self._box)

    def show_text(
        self,
        text: str,
        anchor: QPointF,
        bounds: Sequence[QRectF],
        font: QFont,
        palette: QPalette,
    ) -> None:
        """Show ``text`` beside ``anchor``, inside the first of ``bounds`` it fits in.

        Args:
            text: The words, lines split by newlines; long lines wrap.
            anchor: The point the text is about, in the chart's coordinates.
            bounds: Where the box may go, best first (the plot area, then the whole chart);
                in the last one the text is shortened if it still does not fit.
            font: The font to write in.
            palette: Gives the theme's tooltip colours.
        """
        self.prepareGeometryChange()
        self._text = text
        self._font = QFont(font)
        self._base = palette.color(QPalette.ColorRole.ToolTipBase)
        self._ink = palette.color(QPalette.ColorRole.ToolTipText)
        metrics = QFontMetricsF(self._font)
        pad = 2 * self.PAD
        for n, room in enumerate(bounds):
            last = n == len(bounds) - 1
            width = min(metrics.averageCharWidth() * self.LINE_CHARS, room.width() - pad)
            shown, size = self._fit(metrics, text, width, room.height() - pad, shorten=False)
            if size is None and last:
                # Still too tall: use the whole width, then cut the end off.
                width = room.width() - pad
                shown, size = self._fit(metrics, text, width, room.height() - pad, shorten=True)
            if size is not None:
                self._shown = shown
                self._box = self._place(anchor, QRectF(0, 0, size[0] + pad, size[1] + pad), room)
                break
        self.update()
        self.show()

    @staticmethod
    def _fit(
        metrics: QFontMetricsF, text: str, width: float, height: float, *, shorten: bool
    ) -> tuple[str, tuple[float, float] | None]:
        """``text`` (shortened with an ellipsis if allowed) and its size, if it fits."""

        def size(words: str) -> tuple[float, float]:
            r = metrics.boundingRect(QRectF(0, 0, max(width, 1.0), 1e6), _TEXT_FLAGS, words)
            return math.ceil(r.width()), math.ceil(r.height())

        whole = size(text)
        if whole[1] <= height or not shorten:
            return text, whole if whole[1] <= height else None
        low, high = 0, len(text)  # the longest start of the text that fits, by halving
        while low < high:
            middle = (low + high + 1) // 2
            if size(text[:middle].rstrip() + "…")[1] <= height:
                low = middle
            else:
                high = middle - 1
        shown = text[:low].rstrip() + "…"
        return shown, size(shown)

    def _place(self, anchor: QPointF, box: QRectF, room: QRectF) -> QRectF:
        """Beside the point, never over it where there is room: right of it, else left (near
        the right edge), else under or over it (a narrow chart); always inside ``room``."""
        w, h, gap = box.width(), box.height(), self.GAP
        level = max(room.top(), min(anchor.y() - h / 2, room.bottom() - h))
        centred = max(room.left(), min(anchor.x() - w / 2, room.right() - w))
        for x, y in (
            (anchor.x() + gap, level),
            (anchor.x() - gap - w, level),
            (centred, anchor.y() + gap),
            (centred, anchor.y() - gap - h),
        ):
            if room.contains(box.translated(x, y)):
                return box.translated(x, y)
        # Too big to go beside the point anywhere: inside the room, over the point.
        return box.translated(centred, level)

    def boundingRect(self) -> QRectF:
        return self._box.adjusted(-1, -1, 1, 1)  # the border's half width, and rounding

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(_mix(self._base, self._ink, 0.45), 1.0))
        painter.setBrush(QBrush(self._base))
        painter.drawRoundedRect(self._box.adjusted(0.5, 0.5, -0.5, -0.5), 5.0, 5.0)
        painter.setPen(self._ink)
        painter.setFont(self._font)
        inner = self._box.adjusted(self.PAD, self.PAD, -self.PAD, -self.PAD)
        painter.drawText(inner, _TEXT_FLAGS, self._shown)


class InstrumentChartView(QChartView):
    """One instrument's chart. Emits ``sessionActivated`` with a session id on click.

    The hovered point's text shows in a callout inside the chart. With focus (Tab), the
    arrow keys, Home and End move a highlighted current point along the sessions (ratings
    and ruptures, in order) and show its callout; Enter opens its session, as a click does.
    """

    sessionActivated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(CHART_MIN_HEIGHT)
        self.setRubberBand(QChartView.RubberBand.NoRubberBand)
        self.data: InstrumentChart | None = None
        self.cutoff_series: QLineSeries | None = None
        self.cutoff_label: QGraphicsSimpleTextItem | None = None
        self.band_series: QAreaSeries | None = None
        self.flagged_series: QScatterSeries | None = None
        self.rupture_series: QScatterSeries | None = None
        self.line_series: dict[str, QLineSeries] = {}
        self._hover: dict[int, _Hover] = {}
        self._x_axis: QAbstractAxis | None = None
        self._exporter: Callable[[InstrumentChartView], None] | None = None
        # Said outright (QChartView's default): the keys step through points; the focus
        # frame is drawn in drawForeground.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.callout: _Callout | None = None
        self._ring: QGraphicsEllipseItem | None = None  # around the point the callout is about
        self._stops: list[tuple[QXYSeries, int]] = []  # what the keys step through, in x order
        self._current: int | None = None  # index into _stops of the keyboard's point
        self._hovering: tuple[QXYSeries, int] | None = None  # the point under the pointer
        self._summary_text = ""
        self._base_margins = QMargins()

    # -- building ------------------------------------------------------------------------

    def show_chart(
        self,
        data: InstrumentChart,
        ruptures: Sequence[RuptureMarker],
        x_range: XRange,
        x_mode: str,
        hidden: frozenset[str] = frozenset(),
    ) -> None:
        """Draw ``data`` (replacing what was drawn); ``hidden`` lists subscale keys to leave out."""
        # A redraw (new session, subscale toggled, x axis switched) keeps the keyboard's place.
        kept = self._current_key()
        self._hovering = None
        self.data = data
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        chart = QChart()
        chart.setBackgroundVisible(False)
        chart.setPlotAreaBackgroundVisible(False)
        chart.setTitle(data.title)
        chart.setTitleBrush(QBrush(text))
        title_font = QFont(self.font())
        title_font.setBold(True)
        chart.setTitleFont(title_font)
        self._base_margins = chart.margins()  # the default; ``pad_axes`` adds to it
        legend = chart.legend()
        legend.setAlignment(Qt.AlignmentFlag.AlignBottom)
        legend.setLabelColor(text)
        legend.setMarkerShape(QLegend.MarkerShape.MarkerShapeFromSeries)
        legend.setFont(self.font())
        self._hover = {}
        self.line_series = {}

        x_axis = self._x_axis_for(x_range, x_mode, palette)
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        self._x_axis = x_axis
        low, high = data.y_range
        y_axis = self._value_axis(low, high, self._y_title(data), palette, data.y_intervals)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        sub_axis: QValueAxis | None = None
        shown_subscales = [
            line for line in data.lines if line.axis == "subscale" and line.key not in hidden
        ]
        if data.subscale_range is not None and shown_subscales:
            sub_low, sub_high = data.subscale_range
            sub_axis = self._value_axis(
                sub_low, sub_high, "Goal, task, bond", palette, data.y_intervals
            )
            chart.addAxis(sub_axis, Qt.AlignmentFlag.AlignRight)
        x_first, x_last = self._x_limits(x_range, x_mode)

        def attach(series: QXYSeries | QAreaSeries, axis: QValueAxis = y_axis) -> None:
            chart.addSeries(series)
            series.attachAxis(x_axis)
            series.attachAxis(axis)

        # The band sits underneath everything else.
        self.band_series = None
        if data.band is not None:
            upper, lower = QLineSeries(), QLineSeries()
            for series, y in ((upper, data.band[1]), (lower, data.band[0])):
                series.append(x_first, y)
                series.append(x_last, y)
            band = QAreaSeries(upper, lower)
            # The area series does not own its edges; parenting keeps them alive with it.
            upper.setParent(band)
            lower.setParent(band)
            half = data.band_half_width or 0.0
            band.setName(f"No reliable change (less than {fmt_number(half)} from the first score)")
            # A light fill with dotted edges: visible in colour and in greyscale print.
            colour = QColor(STYLES["band"].colour)
            fill = QColor(colour)
            fill.setAlpha(60)
            band.setBrush(QBrush(fill))
            band_pen = QPen(colour.darker(120))
            band_pen.setWidthF(1.2)
            band_pen.setStyle(Qt.PenStyle.DotLine)
            band.setPen(band_pen)
            attach(band)
            self.band_series = band

        self.cutoff_series = None
        if data.cutoff is not None:
            cutoff = QLineSeries()
            cutoff.setName(f"Cut-off {fmt_number(data.cutoff)}")
            cutoff.append(x_first, data.cutoff)
            cutoff.append(x_last, data.cutoff)
            pen = QPen(QColor(STYLES["cutoff"].colour))
            pen.setStyle(Qt.PenStyle.DashLine)
            pen.setWidthF(1.5)
            cutoff.setPen(pen)
            attach(cutoff)
            self.cutoff_series = cutoff

        for line in data.lines:
            if line.key in hidden:
                continue
            series = self._line(line, x_mode, palette)
            attach(series, sub_axis if line.axis == "subscale" and sub_axis else y_axis)
            self.line_series[line.key] = series

        self.flagged_series = None
        flagged = [p for p in data.total.points if p.flagged]
        if data.kind == "alliance" and data.cutoff is not None:
            marks = self._scatter(STYLES["flagged"], data.flag_words.capitalize(), 15.0)
            hover = _Hover()
            for p in flagged:
                x = self._x(p.number, p.start, x_mode)
                marks.append(x, p.value)
                hover.add(x, p.value, partial(describe_point, data, p), p.session_id)
            attach(marks)
            self._wire(marks, hover)
            self.flagged_series = marks

        self.rupture_series = None
        if data.kind == "alliance":
            marks = self._scatter(STYLES["rupture"], STYLES["rupture"].label, 17.0)
            # Ruptures sit in a row along the foot of the plot, under the session they were
            # in, clear of the ratings (which are mostly high) and shown whether or not that
            # session has a rating on this instrument.
            foot = low + (high - low) * 0.05
            hover = _Hover()
            for marker in ruptures:
                x = self._x(marker.number, marker.start, x_mode)
                marks.append(x, foot)
                hover.add(x, foot, partial(_describe_rupture, marker), marker.session_id)
            attach(marks)
            self._wire(marks, hover)
            self.rupture_series = marks

        for extra in (self.flagged_series, self.rupture_series):
            if extra is not None and extra.count() == 0:  # no legend entry for a mark not shown
                for entry in legend.markers(extra):
                    entry.setVisible(False)
        old = self.chart()
        self.setChart(chart)
        if old is not None:
            old.deleteLater()  # setChart releases the old chart without deleting it
        self.cutoff_label = None
        if data.cutoff is not None:
            # A translucent patch of the theme's base colour keeps the words readable where
            # a line passes behind them.
            backing = QGraphicsRectItem(chart)
            base = palette.color(QPalette.ColorRole.Base)
            base.setAlpha(210)
            backing.setBrush(QBrush(base))
            backing.setPen(QPen(Qt.PenStyle.NoPen))
            # Above the grid and axes (z 2-3 in QtCharts), under the series (4): where the
            # words cannot avoid a rating, the rating stays visible.
            backing.setZValue(3.5)
            label = QGraphicsSimpleTextItem(data.cutoff_label or "", backing)
            label.setBrush(QBrush(text))
            label.setFont(self.font())
            self.cutoff_label = label
            chart.plotAreaChanged.connect(self._place_cutoff_label)
            # The plot area may come out the same as the last chart's, with no signal.
            QTimer.singleShot(0, self, self._place_cutoff_label)
        self._summary_text = self._summary(data)
        self._build_stops(data)
        self._current = None
        if kept is not None:
            self._current = next(
                (i for i, stop in enumerate(self._stops) if self._stop_key(stop) == kept), None
            )
        self._ring = QGraphicsEllipseItem(chart)
        self._ring.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2.5))
        self._ring.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        self._ring.setZValue(_CALLOUT_Z - 1)
        self._ring.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._ring.hide()
        self.callout = _Callout(chart)
        # A resize or a new layout moves the points: the callout follows its point.
        chart.plotAreaChanged.connect(self._refresh_callout)
        self._refresh_callout()
        self._update_accessible()

    def _line(self, line: ChartLine, x_mode: str, palette: QPalette) -> QLineSeries:
        series = QLineSeries()
        series.setName(line.style.label)
        colour = style_colour(line.style, palette)
        pen = QPen(colour)
        pen.setWidthF(2.0 if line.axis == "total" else 1.8)
        pen.setStyle(_PEN_STYLES[line.style.dash])
        series.setPen(pen)
        series.setMarkerSize(_MARKER_SIZE)
        series.setLightMarker(_marker_image(line.style.marker, colour, _MARKER_SIZE))
        hover = _Hover()
        assert self.data is not None
        for p in line.points:
            x = self._x(p.number, p.start, x_mode)
            series.append(x, p.value)
            hover.add(x, p.value, partial(describe_point, self.data, p), p.session_id)
        self._wire(series, hover)
        return series

    def _scatter(self, style: LineStyle, name: str, size: float) -> QScatterSeries:
        marks = QScatterSeries()
        marks.setName(name)
        marks.setMarkerShape(_SCATTER_SHAPES[style.marker])
        marks.setMarkerSize(size)
        colour = QColor(style.colour)
        marks.setColor(colour)
        marks.setBorderColor(colour.darker(150))
        return marks

    def _wire(self, series: QXYSeries, hover: _Hover) -> None:
        self._hover[id(series)] = hover
        series.hovered.connect(lambda point, state, s=series: self._hovered(s, point, state))
        series.clicked.connect(lambda point, h=hover: self._clicked(h, point))

    @staticmethod
    def _value_axis(
        low: float, high: float, title: str, palette: QPalette, intervals: int
    ) -> QValueAxis:
        axis = QValueAxis()
        axis.setRange(low, high)
        # The definition's intervals: 0-40 by 10; 12-60 by 12 and 4-20 by 4, which line up.
        axis.setTickCount(intervals + 1)
        axis.setLabelFormat("%g")
        axis.setTitleText(title)
        _theme_axis(axis, palette)
        return axis

    def _x_axis_for(self, x_range: XRange, x_mode: str, palette: QPalette) -> QAbstractAxis:
        first, last = self._x_limits(x_range, x_mode)
        axis: QAbstractAxis
        if x_mode == X_DATE:
            dates = QDateTimeAxis()
            dates.setFormat("yyyy-MM-dd")
            dates.setTitleText("Session date")
            dates.setTickCount(DATE_TICKS)
            dates.setRange(_qdatetime(first), _qdatetime(last))
            axis = dates
        else:
            numbers = QValueAxis()
            numbers.setTitleText("Session number")
            numbers.setLabelFormat("%d")
            numbers.setRange(first, last)
            span = x_range.last_number - x_range.first_number
            step = next(s for s in _NUMBER_STEPS if span / s <= 12)
            numbers.setTickType(QValueAxis.TickType.TicksDynamic)
            numbers.setTickAnchor(0)
            numbers.setTickInterval(step)
            axis = numbers
        _theme_axis(axis, palette)
        return axis

    @staticmethod
    def _x_limits(x_range: XRange, x_mode: str) -> tuple[float, float]:
        if x_mode == X_DATE:
            # From noon to noon over a whole number of days that the ticks divide evenly, so
            # every tick falls on a date (noon: a clock change never tips it into another day).
            pad = max(timedelta(days=3), (x_range.last_start - x_range.first_start) / 40)
            start, end = _shifted(x_range.first_start, -pad), _shifted(x_range.last_start, pad)
            first = datetime.combine(start.date(), time(12))
            if first > x_range.first_start:  # only at the calendar's very start
                first = start
            days = max(1, math.ceil((end - first) / timedelta(days=1)))
            days += -days % (DATE_TICKS - 1)
            return _msecs(first), _msecs(_shifted(first, timedelta(days=days)))
        return x_range.first_number - 0.5, x_range.last_number + 0.5

    @staticmethod
    def _x(number: int, start: datetime, x_mode: str) -> float:
        return _msecs(start) if x_mode == X_DATE else float(number)

    @staticmethod
    def _y_title(data: InstrumentChart) -> str:
        if data.kind == "alliance":
            return f"{data.instrument_id} total"
        # The title names the instrument; the axis has room for little more than this.
        return "Higher = better" if data.higher_is_better else "Lower = better"

    @staticmethod
    def _summary(data: InstrumentChart) -> str:
        points = data.total.points
        if not points:
            return f"{data.title}: no ratings"
        latest = points[-1]
        flagged = sum(1 for p in points if p.flagged)
        text = (
            f"{data.title}: {len(points)} rating{'s' if len(points) != 1 else ''}, latest "
            f"{fmt_number(latest.value)} in session {latest.number}"
        )
        if data.kind == "alliance" and data.cutoff is not None:
            text += f", {flagged} {data.flag_words} of {fmt_number(data.cutoff)}"
        return text

    def _place_cutoff_label(self) -> None:
        """Put the cut-off's words beside its line where they hide the fewest ratings."""
        chart = self.chart()
        if self.cutoff_label is None or self.cutoff_series is None or chart is None:
            return
        backing = self.cutoff_label.parentItem()
        ends = self.cutoff_series.points()
        if not isinstance(backing, QGraphicsRectItem) or len(ends) < 2:
            return
        left = chart.mapToPosition(ends[0], self.cutoff_series)
        right = chart.mapToPosition(ends[-1], self.cutoff_series)
        text = self.cutoff_label.boundingRect()
        box = QRectF(0, 0, text.width() + 4, text.height())
        candidates = []
        for x in (
            right.x() - box.width() - 2,
            left.x() + 2,
            (left.x() + right.x() - box.width()) / 2,
        ):
            for y in (right.y() + 2, right.y() - box.height() - 2):  # under, then over the line
                candidates.append(box.translated(x, y))
        # Fewest marks under the words; ties go to the first (right, under the line).
        best = min(candidates, key=lambda box: self._marks_under(chart, box))
        backing.setRect(QRectF(0, 0, box.width(), box.height()))
        backing.setPos(best.topLeft())
        self.cutoff_label.setPos(2, 0)

    def _marks_under(self, chart: QChart, box: QRectF) -> int:
        """How many plotted points fall within ``box`` (plus a marker's width around it).

        The box is turned into data values once per series and the points are compared
        there, found by their x with a binary search: a few calls into Qt rather than one
        per point of a 500-session chart.
        """
        padded = box.adjusted(-_MARKER_SIZE, -_MARKER_SIZE, _MARKER_SIZE, _MARKER_SIZE)
        count = 0
        for series in self._plotted():
            hover = self._hover.get(id(series))
            if hover is None:
                continue
            corner_a = chart.mapToValue(padded.topLeft(), series)
            corner_b = chart.mapToValue(padded.bottomRight(), series)
            x_low, x_high = sorted((corner_a.x(), corner_b.x()))
            y_low, y_high = sorted((corner_a.y(), corner_b.y()))
            first = bisect.bisect_left(hover.xs, x_low)
            last = bisect.bisect_right(hover.xs, x_high)
            count += sum(1 for y in hover.ys[first:last] if y_low <= y <= y_high)
        return count

    def _plotted(self) -> list[QXYSeries]:
        series: list[QXYSeries] = list(self.line_series.values())
        series += [s for s in (self.flagged_series, self.rupture_series) if s is not None]
        return series

    # -- lining up with the other charts -------------------------------------------------

    def axis_space(self) -> tuple[float, float]:
        """Room the axes take left and right of the plot area, not counting the margins.

        Measured from the last layout, so it is what the axes need whatever padding
        ``pad_axes`` added.
        """
        chart = self.chart()
        if chart is None:
            return 0.0, 0.0
        area, margins = chart.plotArea(), chart.margins()
        return area.left() - margins.left(), chart.size().width() - area.right() - margins.right()

    def pad_axes(self, left: float, right: float) -> None:
        """Widen the chart's left and right margins by ``left`` and ``right`` points."""
        chart = self.chart()
        if chart is None:
            return
        base = self._base_margins
        margins = QMargins(
            base.left() + round(left), base.top(), base.right() + round(right), base.bottom()
        )
        if margins != chart.margins():  # unchanged: no new layout, no new round of aligning
            chart.setMargins(margins)

    # -- hover, keys and click -----------------------------------------------------------

    def _build_stops(self, data: InstrumentChart) -> None:
        """The points the keys step through: every rating of the total and every rupture,
        in x order (a session's rupture after its rating)."""
        stops: list[tuple[float, int, QXYSeries, int]] = []
        total = self.line_series.get(data.total.key)
        for rank, series in enumerate((total, self.rupture_series)):
            hover = self._hover.get(id(series)) if series is not None else None
            if series is not None and hover is not None:
                stops += [(x, rank, series, i) for i, x in enumerate(hover.xs)]
        stops.sort(key=lambda stop: (stop[0], stop[1]))
        self._stops = [(series, i) for _, _, series, i in stops]

    def _stop_key(self, stop: tuple[QXYSeries, int]) -> tuple[bool, int | None]:
        series, i = stop
        return series is self.rupture_series, self._hover[id(series)].session_ids[i]

    def _current_key(self) -> tuple[bool, int | None] | None:
        if self._current is None or self._current >= len(self._stops):
            return None
        key = self._stop_key(self._stops[self._current])
        return key if key[1] is not None else None

    def _hovered(self, series: QXYSeries, point: QPointF, state: bool) -> None:
        if state:
            i = self._hover[id(series)].nearest(point.x())
            self._hovering = None if i is None else (series, i)
        elif self._hovering is not None and self._hovering[0] is series:
            # Only the series the pointer left: moving from a line onto a star, the star's
            # "entered" may come before the line's "left".
            self._hovering = None
        self._refresh_callout()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave and self._hovering is not None:
            self._hovering = None  # the pointer left the chart faster than QtCharts noticed
            self._refresh_callout()
        return super().viewportEvent(event)

    def _refresh_callout(self) -> None:
        """Show the hovered point, else the keyboard's point while the chart has focus."""
        shown = self._hovering
        if shown is None and self._current is not None and self.hasFocus():
            shown = self._stops[self._current]
        chart = self.chart()
        if self.callout is None or self._ring is None or chart is None:
            return
        if shown is None:
            self.callout.hide()
            self._ring.hide()
            return
        series, i = shown
        anchor = chart.mapToPosition(series.at(i), series)
        radius = series.markerSize() / 2 + 4
        self._ring.setRect(QRectF(-radius, -radius, 2 * radius, 2 * radius))
        self._ring.setPos(anchor)
        self._ring.show()
        room = chart.plotArea()
        whole = chart.rect().adjusted(2, 2, -2, -2)
        self.callout.show_text(
            self.hover_text(series, i), anchor, (room, whole), self.font(), self.palette()
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = Qt.Key(event.key())
        steps = {Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End}
        if key in steps and self._stops:
            last = len(self._stops) - 1
            here = self._current
            if key == Qt.Key.Key_Home or (key == Qt.Key.Key_Right and here is None):
                here = 0
            elif key == Qt.Key.Key_End or (key == Qt.Key.Key_Left and here is None):
                here = last
            elif here is not None:
                here = max(0, here - 1) if key == Qt.Key.Key_Left else min(last, here + 1)
            self.set_current(here)
            event.accept()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._current is not None:
            series, i = self._stops[self._current]
            self._activate(self._hover[id(series)], i)
            event.accept()
        elif key == Qt.Key.Key_Escape and self._current is not None:
            self.set_current(None)  # put the callout away; Escape again reaches the window
            event.accept()
        else:
            super().keyPressEvent(event)

    def set_current(self, index: int | None) -> None:
        """Make the ``index``-th stop (see ``current_point``) the keyboard's point."""
        self._current = index
        self._refresh_callout()
        self._update_accessible()

    def current_point(self) -> tuple[QXYSeries, int] | None:
        """The keyboard's point: a series and the index of the point in it."""
        return None if self._current is None else self._stops[self._current]

    def _update_accessible(self) -> None:
        """The name reads the keyboard's point, so a screen reader says each one in turn."""
        hint = "Left and Right arrow keys step through the sessions, Enter opens one."
        point = self.current_point()
        if point is None or self.data is None:
            self.setAccessibleName(self._summary_text)
            self.setAccessibleDescription(hint)
            return
        words = self.hover_text(*point).replace("\n", ". ")
        self.setAccessibleName(f"{self.data.title}: {words}")
        self.setAccessibleDescription(f"{self._summary_text}. {hint}")

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self._refresh_callout()
        self.viewport().update()  # the focus frame
        # Tab from the controls above does not pass through the scroll area, which would
        # bring the chart into view by itself; a chart with focus must be seen.
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if parent is not None:
            parent.ensureWidgetVisible(self, 0, 0)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self._refresh_callout()
        self.viewport().update()

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        super().drawForeground(painter, rect)
        if not self.hasFocus():
            return
        # Fusion draws no focus frame around a graphics view; a highlight-coloured edge
        # shows which chart the arrow keys move in. Painted by the view: never exported.
        frame = self.mapToScene(self.viewport().rect()).boundingRect().adjusted(1, 1, -1, -1)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(frame, 4.0, 4.0)
        painter.restore()

    def _clicked(self, hover: _Hover, point: QPointF) -> None:
        i = hover.nearest(point.x())
        if i is not None:
            self._activate(hover, i)

    def _activate(self, hover: _Hover, i: int) -> None:
        session_id = hover.session_ids[i]
        if session_id is not None:
            self.sessionActivated.emit(session_id)

    def hover_text(self, series: QXYSeries, index: int) -> str:
        """The hover text of a series' ``index``-th point (for tests and accessibility)."""
        return self._hover[id(series)].describe[index]()

    def click_point(self, series: QXYSeries, index: int) -> None:
        """Act as a click on a series' point (what QtCharts' ``clicked`` signal carries)."""
        series.clicked.emit(series.points()[index])

    # -- export --------------------------------------------------------------------------

    def render_png(self, scale: float = 2.0) -> bytes:
        """The chart as PNG bytes at ``scale`` x its on-screen size, on the theme's colour."""
        width, height = self.viewport().width(), self.viewport().height()
        image = QImage(round(width * scale), round(height * scale), QImage.Format.Format_ARGB32)
        image.fill(self._backdrop())
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._render_scene(painter, QRectF(0, 0, image.width(), image.height()))
        painter.end()
        return _encode(image)

    def render_svg(self) -> bytes:
        """The chart as an SVG drawing (vector, scales to any size), on the theme's colour."""
        width, height = self.viewport().width(), self.viewport().height()
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        generator = QSvgGenerator()
        generator.setOutputDevice(buffer)
        generator.setSize(QSize(width, height))
        generator.setViewBox(QRectF(0, 0, width, height))
        generator.setTitle(self.data.title if self.data else "Chart")
        generator.setDescription(self._summary_text)  # not the keyboard's current point
        painter = QPainter(generator)
        # Without a backdrop, dark-mode text would vanish when the drawing is put on paper.
        painter.fillRect(QRectF(0, 0, width, height), self._backdrop())
        self._render_scene(painter, QRectF(0, 0, width, height))
        painter.end()
        return bytes(buffer.data().data())

    def _backdrop(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Window)  # what shows behind the chart

    def _render_scene(self, painter: QPainter, target: QRectF) -> None:
        # The scene, not the widget: QWidget.render on a graphics view ignores the painter's
        # scale and crops a 2x picture to its top-left quarter.
        source = self.mapToScene(self.viewport().rect()).boundingRect()
        scene = self.scene()
        if scene is None:
            return
        # The callout and the highlight are for the person at the screen, not for the file.
        marks = [m for m in (self.callout, self._ring) if m is not None and m.isVisible()]
        for mark in marks:
            mark.hide()
        try:
            scene.render(painter, target, source)
        finally:
            for mark in marks:
                mark.show()

    def set_exporter(self, exporter: Callable[[InstrumentChartView], None]) -> None:
        self._exporter = exporter

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if self._exporter is None:
            return
        exporter = self._exporter
        menu = QMenu(self)
        menu.addAction("Export this chart…", lambda: exporter(self))
        menu.exec(event.globalPos())


def _theme_axis(axis: QAbstractAxis, palette: QPalette) -> None:
    """Axis words in the text colour; grid and axis lines a faint tint of it (any theme).

    The tints are mixed here rather than drawn translucent: blending every grid line costs
    the software renderer more than the data lines do.
    """
    text = palette.color(QPalette.ColorRole.WindowText)
    base = palette.color(QPalette.ColorRole.Window)  # what shows behind the chart
    axis.setTitleBrush(QBrush(text))
    axis.setLabelsColor(text)
    axis.setGridLineColor(_mix(base, text, 0.14))
    axis.setLinePenColor(_mix(base, text, 0.5))


def _mix(base: QColor, ink: QColor, amount: float) -> QColor:
    def channel(a: int, b: int) -> int:
        return round(a + (b - a) * amount)

    return QColor(
        channel(base.red(), ink.red()),
        channel(base.green(), ink.green()),
        channel(base.blue(), ink.blue()),
    )


def _shifted(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, stopping at the calendar's ends (a year typed as 0001 or 9999)."""
    try:
        return moment + delta
    except OverflowError:
        return datetime.min if delta < timedelta(0) else datetime.max


def _describe_rupture(marker: RuptureMarker) -> str:
    return f"Session {marker.number} · {when(marker.start)}\n{marker.describe()}"


def _qdatetime(msecs: float) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(round(msecs))


def _encode(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; str works
    buffer.close()
    return bytes(data.data())


class ChartsPage(QWidget):
    """The client's charts tab: controls on top, then one chart per instrument rated."""

    sessionActivated = Signal(int)
    exportRequested = Signal(object)  # the InstrumentChartView to export

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chartsTab")
        self.charts: ClientCharts | None = None
        self._dirty = False
        self._align_pending = False
        self.views: dict[str, InstrumentChartView] = {}
        self.change_labels: dict[str, QLabel] = {}

        # No Alt letter of its own (Alt+M is the Measures menu): Alt+Y reaches the pair and
        # the arrow keys switch between them, as in any group of radio buttons.
        self.by_number = QRadioButton("By session number", self)
        self.by_number.setObjectName("xBySessionNumber")
        self.by_date = QRadioButton("B&y date", self)
        self.by_date.setObjectName("xByDate")
        self.by_number.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.by_number)
        group.addButton(self.by_date)
        self.subscale_boxes: dict[str, QCheckBox] = {}
        # Two rows, so the tab is narrow enough to leave the client list its Alliance and
        # Alerts columns on a 1280-pixel screen.
        controls = QHBoxLayout()
        controls.addWidget(QLabel("X axis:", self))
        controls.addWidget(self.by_number)
        controls.addWidget(self.by_date)
        subscale_row = QHBoxLayout()
        subscale_row.addWidget(QLabel("Subscales:", self))
        # No Alt letters: those of "Bond" are all taken; Tab reaches the boxes.
        for key, label in (("goal", "Goal"), ("task", "Task"), ("bond", "Bond")):
            box = QCheckBox(label, self)
            box.setObjectName(f"show_{key}")
            box.setChecked(True)
            box.toggled.connect(self.redraw)
            self.subscale_boxes[key] = box
            subscale_row.addWidget(box)
        subscale_row.addStretch(1)
        controls.addStretch(1)
        self.export_button = QToolButton(self)
        self.export_button.setObjectName("exportChartButton")
        self.export_button.setText("E&xport chart")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self.export_button.setMenu(self.export_menu)
        controls.addWidget(self.export_button)
        self.by_number.toggled.connect(self.redraw)

        self.empty = QLabel(
            "No ratings to chart yet. Record a session with "
            + join_words([*ALLIANCE_INSTRUMENT_IDS, *OUTCOME_INSTRUMENT_IDS], "or")
            + " (Session → New session, Ctrl+Shift+N) and its chart appears here.",
            self,
        )
        self.empty.setObjectName("chartsEmpty")
        self.empty.setWordWrap(True)
        self.stack_widget = QWidget(self)
        self.stack_layout = QVBoxLayout(self.stack_widget)
        self.stack_layout.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setObjectName("chartsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # Not a Tab stop of its own: Tab goes from the controls straight to the first chart.
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidget(self.stack_widget)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addLayout(subscale_row)
        layout.addWidget(self.empty)
        layout.addWidget(scroll, 1)

    @property
    def x_mode(self) -> str:
        return X_DATE if self.by_date.isChecked() else X_NUMBER

    def set_x_mode(self, mode: str) -> None:
        (self.by_date if mode == X_DATE else self.by_number).setChecked(True)

    def hidden_subscales(self) -> frozenset[str]:
        return frozenset(k for k, box in self.subscale_boxes.items() if not box.isChecked())

    def set_hidden_subscales(self, keys: Sequence[str]) -> None:
        for key, box in self.subscale_boxes.items():
            box.setChecked(key not in keys)

    def set_charts(self, charts: ClientCharts) -> None:
        """Show a client's charts; drawn now if the tab is visible, else when it is shown."""
        self.charts = charts
        self._dirty = True
        if self.isVisible():
            self.redraw()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self.redraw()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.charts is not None:
            # The theme changed and colours come from the palette. The charts inside receive
            # the new palette after this page does, so redraw once they all have it.
            self._dirty = True
            QTimer.singleShot(0, self, self._redraw_if_shown)

    def _redraw_if_shown(self) -> None:
        if self._dirty and self.isVisible():
            self.redraw()

    def redraw(self) -> None:
        """Draw every chart of the current client with the current controls."""
        self._dirty = False
        charts = self.charts
        wanted = [*charts.alliance, *charts.outcome] if charts else []
        x_range = XRange.of(charts) if charts else None
        keep = {c.instrument_id for c in wanted}
        for instrument_id in list(self.views):
            if instrument_id not in keep:
                gone = self.views.pop(instrument_id)
                gone.hide()  # at once: deleteLater waits for the event loop
                gone.deleteLater()
                label = self.change_labels.pop(instrument_id, None)
                if label is not None:
                    label.hide()
                    label.deleteLater()
        self.empty.setVisible(not wanted)
        self.export_button.setEnabled(bool(wanted))
        self.export_menu.clear()
        if charts is None or x_range is None:
            return
        has_subscales = any(
            line.axis == "subscale" for chart in charts.alliance for line in chart.lines
        )
        for box in self.subscale_boxes.values():
            box.setEnabled(has_subscales)
        while self.stack_layout.count():  # re-lay out in order; the widgets stay children
            self.stack_layout.takeAt(0)
        for data in wanted:
            view = self.views.get(data.instrument_id)
            if view is None:
                view = InstrumentChartView(self.stack_widget)
                view.setObjectName(f"chart_{data.instrument_id}")
                view.sessionActivated.connect(self.sessionActivated)
                view.set_exporter(self.exportRequested.emit)
                self.views[data.instrument_id] = view
            self.stack_layout.addWidget(view, 1)  # every chart gets the same share
            view.show()  # a layout shows new children only later, from the event loop
            view.show_chart(data, charts.ruptures, x_range, self.x_mode, self.hidden_subscales())
            if data.kind == "outcome":
                label = self.change_labels.get(data.instrument_id)
                if label is None:
                    label = QLabel(self.stack_widget)
                    label.setObjectName(f"change_{data.instrument_id}")
                    label.setWordWrap(True)
                    self.change_labels[data.instrument_id] = label
                self.stack_layout.addWidget(label)
                label.show()
                label.setText(change_sentence(data))
            self.export_menu.addAction(f"{data.instrument_id} chart…", _emitter(self, view))
            # Each new layout (a resize, this redraw) may change what the axes need.
            view.chart().plotAreaChanged.connect(self._schedule_align)
        self._schedule_align()

    def _schedule_align(self) -> None:
        # Once after the charts' layouts have all run, not once per chart and signal.
        if not self._align_pending:
            self._align_pending = True
            QTimer.singleShot(0, self, self.align_plot_areas)

    def align_plot_areas(self) -> None:
        """Give every chart the same left and right plot edges.

        A chart whose axes need less room (no WAI-SR subscale axis on the right, narrower
        numbers on the left) gets wider margins instead, so a session sits in one pixel
        column down the page. The result is the same whatever the last padding was, so the
        new layout it starts ends the round.
        """
        self._align_pending = False
        views = [v for v in self.views.values() if v.chart() is not None]
        if not views:
            return
        spaces = [view.axis_space() for view in views]
        left = max(space[0] for space in spaces)
        right = max(space[1] for space in spaces)
        for view, (own_left, own_right) in zip(views, spaces, strict=True):
            view.pad_axes(left - own_left, right - own_right)


def _emitter(page: ChartsPage, view: InstrumentChartView) -> Callable[[], None]:
    return lambda: page.exportRequested.emit(view)


def change_sentence(data: InstrumentChart) -> str:
    """First-to-latest change in words, with the criterion and cut-off the class used."""
    return describe_change(data)
