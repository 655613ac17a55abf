"""The caseload summary: one line per client in therapy with latest scores and alerts.

A caseload can run to thousands of lines. reportlab splits one long ``Table`` page by page,
rebuilding and re-measuring the rest of the table at every page break, so a line cost
about 1.5x as much at 10,000 lines as at 1,000 (and ``LongTable`` was slower still).
``PagedTable`` lays the lines out one page at a time instead: each row is measured once, and
each page is its own small ``Table`` under the header row, so a page costs the same whatever
follows it. The pages come out as the one long table's did (issue 18).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from reportlab.lib import colors
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from alliance_desktop.domain.instruments import (
    ALLIANCE_INSTRUMENT_IDS,
    INSTRUMENTS,
    OUTCOME_INSTRUMENT_IDS,
)
from alliance_desktop.reports.document import TEXT_WIDTH, render, severity_markup, styles
from alliance_desktop.services.reports import PRORATED_NOTE, CaseloadLine, CaseloadReportData


def all_measures() -> tuple[str, ...]:
    """Every measure a caseload line can show, alliance first (the registry's order, with
    the practice's own)."""
    return (*ALLIANCE_INSTRUMENT_IDS, *OUTCOME_INSTRUMENT_IDS)


_LEADING = (52.0, 74.0, 52.0)  # code, name, last session
_MEASURE_WIDTH = 36.0
_INCOMPLETE_WIDTH = 52.0  # wide enough for "incomplete" (forms with a risk item)
_MIN_ALERTS_WIDTH = 180.0


def shown_measures(lines: Sequence[CaseloadLine]) -> tuple[str, ...]:
    """The measures with a score on at least one line, in the registry's order."""
    used = {m for line in lines for m in line.latest}
    return tuple(m for m in all_measures() if m in used)


def column_widths(measures: Sequence[str]) -> tuple[float, ...]:
    """Code, name, last session, one column per measure, and the alerts take the rest."""
    widths = [
        _INCOMPLETE_WIDTH if INSTRUMENTS[m].keeps_incomplete_forms else _MEASURE_WIDTH
        for m in measures
    ]
    spare = TEXT_WIDTH - sum(_LEADING) - sum(widths) - _MIN_ALERTS_WIDTH
    if spare < 0:  # many measures in use: narrow them alike rather than the alerts
        widths = [w + spare / len(widths) for w in widths]
    fixed = (*_LEADING, *widths)
    return (*fixed, TEXT_WIDTH - sum(fixed))


#: A reportlab table style command: ("NAME", (col, row), (col, row), *values).
StyleCommand = tuple[Any, ...]


class _Rows:
    """What every part of one ``PagedTable`` shares: the rows, their style and heights.

    Rows are made when first measured and handed over to their page's table, so only about
    a page of them is alive at a time (fewer objects for the garbage collector to walk).
    """

    def __init__(
        self,
        header: list[object],
        count: int,
        make_row: Callable[[int], list[object]],
        col_widths: list[float],
        cell_commands: list[StyleCommand],
        row_commands: list[StyleCommand],
        batch: int,
    ) -> None:
        self.header = header
        self.count = count
        self.make_row = make_row
        self.waiting: dict[int, list[object]] = {}  # made and measured, not yet on a page
        self.col_widths = col_widths
        self.cell_commands = cell_commands
        self.row_commands = row_commands
        self.batch = batch
        self.heights: list[float | None] = [None] * count
        self._header_height: float | None = None

    def _measured(self, rows: list[list[object]]) -> list[float]:
        table = Table(rows, colWidths=self.col_widths, style=TableStyle(self.cell_commands))
        table.wrap(sum(self.col_widths), float("inf"))
        return [float(h) for h in table._rowHeights]  # reportlab's own measure of each row

    def height(self, index: int) -> float:
        """Body row ``index``'s height, measuring it and the next rows on first use."""
        height = self.heights[index]
        if height is None:
            stop = min(self.count, index + self.batch)
            made = [self.make_row(i) for i in range(index, stop)]
            self.waiting.update(zip(range(index, stop), made, strict=True))
            self.heights[index:stop] = measured = self._measured(made)
            height = measured[0]
        return height

    def take(self, index: int) -> list[object]:
        """Body row ``index`` for its page table (made again if an earlier one was dropped)."""
        row = self.waiting.pop(index, None)
        return self.make_row(index) if row is None else row

    def header_height(self) -> float:
        """The header row's height."""
        if self._header_height is None:
            self._header_height = self._measured([self.header])[0]
        return self._header_height


class PagedTable(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """Body rows under a header row, laid out as one ``Table`` per page.

    Row heights are measured once, ``batch`` rows at a time, and shared with every later
    part, so splitting costs in proportion to the rows of one page, never of the rest of the
    table. A row is never split: it moves whole to the next page, and a row taller than a
    page is refused as a too-large flowable (as one long ``Table`` would refuse it).

    Each page's table gets ``row_commands`` afresh, so row-range commands such as
    ``ROWBACKGROUNDS`` start again under each page's header, as they do in the parts
    reportlab splits one long ``Table`` into: the pages look as they did before.

    Args:
        header: The header row, repeated at the top of every page.
        count: How many body rows there are.
        make_row: Makes body row ``i`` (cells are strings or flowables such as
            ``Paragraph``), called as the layout reaches it, not all at once.
        col_widths: Every column's width in points.
        cell_commands: Style commands for every cell (font, size, alignment, padding); they
            decide row heights, so they are applied when measuring too. Give cell ranges
            over the whole table, ``(0, 0)`` to ``(-1, -1)``.
        row_commands: Commands applied to each page's table after ``cell_commands``, with
            row 0 the header and rows 1 to -1 the body rows on that page.
        batch: How many rows are measured at once.
    """

    def __init__(
        self,
        header: Sequence[object],
        count: int,
        make_row: Callable[[int], list[object]],
        col_widths: Sequence[float],
        cell_commands: Sequence[StyleCommand] = (),
        row_commands: Sequence[StyleCommand] = (),
        batch: int = 64,
    ) -> None:
        super().__init__()
        self.hAlign = "CENTER"  # like Table: the frame places it where one table would go
        self._rows = _Rows(
            list(header),
            count,
            make_row,
            list(col_widths),
            list(cell_commands),
            list(row_commands),
            max(1, batch),
        )
        self._start = 0  # the first body row still to lay out
        self._table: Table | None = None  # the rest as one table, when wrap found it fits

    @classmethod
    def _continued(cls, rows: _Rows, start: int) -> PagedTable:
        """The part from body row ``start`` on (a fresh flowable: platypus marks the ones it
        has postponed, and that mark must not pass to the next part)."""
        rest: PagedTable = cls.__new__(cls)
        Flowable.__init__(rest)
        rest.hAlign = "CENTER"
        rest._rows, rest._start, rest._table = rows, start, None
        return rest

    def _fitting(self, avail_height: float) -> tuple[int, float]:
        """How many rows from ``_start`` fit under the header in ``avail_height``, and the
        height they take with it (when they do not all fit, a height over the space)."""
        rows = self._rows
        used = rows.header_height()
        count = 0
        for index in range(self._start, rows.count):
            height = rows.height(index)
            if used + height > avail_height:
                return count, used + height
            used += height
            count += 1
        return count, used

    def _page(self, count: int) -> Table:
        rows, start = self._rows, self._start
        stop = start + count
        table = Table(
            [rows.header, *(rows.take(i) for i in range(start, stop))],
            colWidths=rows.col_widths,
            rowHeights=[rows.header_height(), *(rows.height(i) for i in range(start, stop))],
            repeatRows=1,  # should a frame ever split it after all, the header still repeats
        )
        table.setStyle(TableStyle([*rows.cell_commands, *rows.row_commands]))
        return table

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        """The size of the rest of the table, or a height over ``avail_height`` if taller."""
        count, height = self._fitting(avail_height)
        if self._start + count == self._rows.count:
            self._table = self._page(count)
            return self._table.wrap(avail_width, avail_height)  # type: ignore[no-any-return]
        self._table = None
        return sum(self._rows.col_widths), height

    def draw(self) -> None:
        """Draw the rest of the table (platypus calls this only after ``wrap`` said it fits)."""
        assert self._table is not None, "draw() without a wrap() that fitted"
        self._table.drawOn(self.canv, 0, 0)

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        """This page's table and the rest; nothing when not even one row fits."""
        count, _ = self._fitting(avail_height)
        if count == 0 and self._start < self._rows.count:
            return []
        page = self._page(count)
        if self._start + count == self._rows.count:
            return [page]
        return [page, PagedTable._continued(self._rows, self._start + count)]


def caseload_report_pdf(data: CaseloadReportData) -> bytes:
    """The caseload summary as PDF bytes."""
    s = styles()
    h = data.header
    urgent_count = sum(1 for line in data.lines if any(sev == "urgent" for sev, _ in line.alerts))
    story: list[Flowable] = [
        Paragraph(escape(h.practice_name) or "Practice name not set (Preferences)", s["small"]),
        Paragraph("Caseload summary", s["title"]),
        Paragraph(
            f"{len(data.lines):,} clients in therapy (active or paused) on "
            f"{h.generated_on.isoformat()}; latest score of each measure and the alerts now "
            f"active. {urgent_count:,} with a risk answer waiting for review come first; a "
            "discharged client is listed only while one waits.",
            s["body"],
        ),
    ]
    measures = shown_measures(data.lines)
    header: list[object] = ["Code", "Name", "Last session", *measures, "Alerts"]

    def row(index: int) -> list[object]:
        line = data.lines[index]
        alerts = "<br/>".join(severity_markup(sev, reason) for sev, reason in line.alerts) or "—"
        return [
            Paragraph(escape(line.code), s["cell"]),  # codes of up to 20 characters wrap
            Paragraph(escape(line.name), s["cell"]),
            line.last_session.isoformat() if line.last_session else "—",
            *[line.latest.get(m, "") for m in measures],
            Paragraph(alerts, s["cell"]),
        ]

    story.append(
        PagedTable(
            header,
            len(data.lines),
            row,
            column_widths(measures),
            cell_commands=[
                ("FONTNAME", (0, 0), (-1, -1), s["cell"].fontName),
                ("FONTSIZE", (0, 0), (-1, -1), 7.5),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ],
            row_commands=[
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F2F2F2")]),
                ("ALIGN", (3, 1), (2 + len(measures), -1), "RIGHT"),
            ],
        )
    )
    cells = [cell for line in data.lines for cell in line.latest.values()]
    if any(cell.endswith("*") for cell in cells):
        story.append(Paragraph(escape(PRORATED_NOTE), s["small"]))
    author = h.clinician_name or h.practice_name or "Alliance Desktop"
    return render(story, title="Caseload summary", author=author, generated_on=h.generated_on)
