"""One instrument's chart as a vector reportlab drawing, from ``domain.series``.

The same series, cut-off, flags, rupture marks and no-reliable-change band as the screen
chart (``ui/charts.py``), with the same colour, dash and marker per line (``STYLES``), so the
page and the screen agree and the lines stay apart when printed in greyscale. The x axis is
the session number; axes keep the instrument's full range.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.shapes import Drawing, Group, Line, PolyLine, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from alliance_desktop.domain._format import fmt_number
from alliance_desktop.domain.series import (
    STYLES,
    ChartLine,
    InstrumentChart,
    LineStyle,
    RuptureMarker,
)
from alliance_desktop.reports.fonts import BOLD, REGULAR

_DASHES = {"solid": None, "dash": [5, 3], "dot": [1.2, 2.2], "dashdot": [5, 2, 1.2, 2]}
_MARKERS = {
    "circle": "FilledCircle",
    "square": "FilledSquare",
    "triangle": "FilledTriangle",
    "diamond": "FilledDiamond",
    "star": "FilledStarFive",
    "pentagon": "FilledPentagon",
}
_INK = colors.HexColor("#000000")
_GRID = colors.HexColor("#DDDDDD")


def _colour(style: LineStyle) -> colors.Color:
    return _INK if style.colour == "foreground" else colors.HexColor(style.colour)


def chart_drawing(
    chart: InstrumentChart,
    ruptures: Sequence[RuptureMarker],
    first_number: int,
    last_number: int,
    width: float,
    height: float = 170,
) -> Drawing:
    """A drawing of ``chart`` over sessions ``first_number`` to ``last_number``."""
    drawing = Drawing(width, height)
    left, right, bottom, top = (
        34.0,
        width - (34.0 if chart.subscale_range else 10.0),
        44.0,
        height - 16,
    )
    low, high = chart.y_range
    x_low, x_high = first_number - 0.5, last_number + 0.5

    def px(x: float) -> float:
        return left + (x - x_low) / (x_high - x_low) * (right - left)

    def py(y: float, span: tuple[float, float] = (low, high)) -> float:
        return bottom + (y - span[0]) / (span[1] - span[0]) * (top - bottom)

    drawing.add(String(left, height - 10, chart.title, fontName=BOLD, fontSize=8.5))
    # Grid and y labels at the definition's intervals (0-40 by 10; 12-60 by 12, lining up
    # with 4-20 by 4; PHQ-9 0-30 by 5).
    intervals = chart.y_intervals
    for i in range(intervals + 1):
        value = low + (high - low) * i / intervals
        y = py(value)
        drawing.add(Line(left, y, right, y, strokeColor=_GRID, strokeWidth=0.5))
        drawing.add(
            String(
                left - 3,
                y - 2.5,
                fmt_number(value),
                fontName=REGULAR,
                fontSize=6.5,
                textAnchor="end",
            )
        )
        if chart.subscale_range is not None:
            sub_low, sub_high = chart.subscale_range
            sub = sub_low + (sub_high - sub_low) * i / intervals
            drawing.add(String(right + 3, y - 2.5, fmt_number(sub), fontName=REGULAR, fontSize=6.5))
    drawing.add(Line(left, bottom, right, bottom, strokeColor=_INK, strokeWidth=0.6))
    drawing.add(Line(left, bottom, left, top, strokeColor=_INK, strokeWidth=0.6))
    span = last_number - first_number
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 10**9) if span / s <= 12)
    tick = (first_number + step - 1) // step * step if step > 1 else first_number
    while tick <= last_number:
        drawing.add(
            Line(px(tick), bottom, px(tick), bottom - 2.5, strokeColor=_INK, strokeWidth=0.5)
        )
        drawing.add(
            String(
                px(tick),
                bottom - 10,
                str(tick),
                fontName=REGULAR,
                fontSize=6.5,
                textAnchor="middle",
            )
        )
        tick += step
    drawing.add(
        String(
            (left + right) / 2,
            bottom - 19,
            "Session number",
            fontName=REGULAR,
            fontSize=6.5,
            textAnchor="middle",
        )
    )

    if chart.band is not None:
        band_colour = colors.HexColor(STYLES["band"].colour)
        drawing.add(
            Rect(
                left,
                py(chart.band[0]),
                right - left,
                py(chart.band[1]) - py(chart.band[0]),
                fillColor=colors.Color(
                    band_colour.red, band_colour.green, band_colour.blue, alpha=0.22
                ),
                strokeColor=band_colour,
                strokeWidth=0.6,
                strokeDashArray=[1.2, 2.2],
            )
        )
    if chart.cutoff is not None:
        y = py(chart.cutoff)
        grey = colors.HexColor(STYLES["cutoff"].colour)
        drawing.add(
            Line(left, y, right, y, strokeColor=grey, strokeWidth=0.9, strokeDashArray=[4, 2.5])
        )
        label = chart.cutoff_label or ""
        width_of_label = stringWidth(label, REGULAR, 6)
        marks = [
            (px(p.number), py(p.value, _axis_span(chart, line)))
            for line in chart.lines
            for p in line.points
        ]
        # Beside the line where the words cover the fewest ratings; first choice: right, under.
        spots = [(x, y + dy) for x in (right - 2 - width_of_label, left + 2) for dy in (-8.0, 2.0)]

        def covered(spot: tuple[float, float]) -> int:
            x, base = spot
            return sum(
                x - 3 <= mx <= x + width_of_label + 3 and base - 3 <= my <= base + 9
                for mx, my in marks
            )

        x, base = min(spots, key=covered)
        drawing.add(String(x, base, label, fontName=REGULAR, fontSize=6, fillColor=grey))

    for line in chart.lines:
        points = [(px(p.number), py(p.value, _axis_span(chart, line))) for p in line.points]
        colour = _colour(line.style)
        if len(points) > 1:
            drawing.add(
                PolyLine(
                    [c for point in points for c in point],
                    strokeColor=colour,
                    strokeWidth=1.3 if line.axis == "total" else 1.0,
                    strokeDashArray=_DASHES[line.style.dash],
                )
            )
        for x, y in points if len(points) <= 120 else []:  # markers only while they stay apart
            drawing.add(_marker(line.style.marker, x, y, 4.2, colour))
    if chart.kind == "alliance":
        flag = colors.HexColor(STYLES["flagged"].colour)
        for p in chart.total.points:
            if p.flagged:
                drawing.add(_marker("triangle", px(p.number), py(p.value), 7, flag))
        purple = colors.HexColor(STYLES["rupture"].colour)
        foot = py(low + (high - low) * 0.05)
        for m in ruptures:
            if first_number <= m.number <= last_number:
                drawing.add(_marker("star", px(m.number), foot, 8, purple))
    _legend(drawing, chart, left, 8)
    return drawing


def _axis_span(chart: InstrumentChart, line: ChartLine) -> tuple[float, float]:
    if line.axis == "subscale" and chart.subscale_range is not None:
        return chart.subscale_range
    return chart.y_range


def _marker(kind: str, x: float, y: float, size: float, colour: colors.Color) -> Group:
    marker = makeMarker(_MARKERS[kind])
    marker.x, marker.y, marker.size = x, y, size
    marker.fillColor = colour
    marker.strokeColor = colour
    group = Group()
    group.add(marker)
    return group


def _legend(drawing: Drawing, chart: InstrumentChart, x: float, y: float) -> None:
    entries: list[tuple[LineStyle, str]] = [(line.style, line.style.label) for line in chart.lines]
    if chart.cutoff is not None:
        entries.append((STYLES["cutoff"], f"Cut-off {fmt_number(chart.cutoff)}"))
    if chart.kind == "alliance":
        if any(p.flagged for p in chart.total.points):
            entries.append((STYLES["flagged"], chart.flag_words.capitalize()))
        entries.append((STYLES["rupture"], "Rupture"))
    if chart.band is not None:
        entries.append((STYLES["band"], "No reliable change"))
    for style, label in entries:
        colour = _colour(style)
        drawing.add(
            Line(
                x,
                y + 2.5,
                x + 14,
                y + 2.5,
                strokeColor=colour,
                strokeWidth=1.1,
                strokeDashArray=_DASHES[style.dash],
            )
        )
        if style.marker in _MARKERS:
            drawing.add(_marker(style.marker, x + 7, y + 2.5, 4.5, colour))
        drawing.add(String(x + 17, y, label, fontName=REGULAR, fontSize=6.5))
        x += 22 + len(label) * 3.3
