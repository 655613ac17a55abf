"""A caseload summary of thousands of lines, laid out page by page, read back with pypdf.

The lines are synthetic ``CaseloadLine``s shaped like the demo caseload's (names from
``services.demo``, including long double-barrelled ones, and up to three alerts of the
lengths the alert rules write), so no database is needed. Every client appears exactly once
and in order, each page starts with the header, a tall line moves whole to the next page,
each page is a table of its own shaded from its first line, and the page count grows in
step with the lines. No test here reads the clock.
"""

from __future__ import annotations

import io
import random
import re
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from reportlab.lib import colors

from alliance_desktop.reports.caseload_report import (
    PagedTable,
    caseload_report_pdf,
    column_widths,
)
from alliance_desktop.services.demo import FAMILY_NAMES, GIVEN_NAMES
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.reports import (
    PRORATED_NOTE,
    CaseloadLine,
    CaseloadReportData,
    ReportHeader,
)

TODAY = date(2026, 11, 25)
LINES = 2_000
URGENT = 40  # the first lines carry an urgent alert, as caseload_report_data sorts them
#: The measures the synthetic lines use, in the order the table shows them.
MEASURES = ("SRS", "WAI-SR", "ORS", "CORE-10")
HEADER = ("Code", "Name", "Last session", *MEASURES, "Alerts")
CODE = re.compile(r"\bC-\d{5}\b")

_REASONS = (
    "SRS was {a:.1f} at session {n}, under the cut-off of 36, with Relationship 8.1, Goals "
    "and Topics 8.6, Approach or Method 8.2 and Overall 7.9 under 9 — ask about the session.",
    "ORS has gone from {a:.1f} at session 1 to {b:.1f} at session {n} (-4.6 points): after 4 "
    "or more ratings that is short of a reliable improvement (5 points or more) — discuss "
    "whether therapy is on track.",
    "WAI-SR at session {n}: Goal fell 4 points from 20 at session 3 to 16 — check you still "
    "agree on what the therapy is for; Bond fell 3 points from 19 at session 3 to 16 — ask "
    "how the client is feeling about the relationship.",
    "SRS fell 1 point from {a:.1f} at session {n} to {b:.1f} (the alert is set at a drop of "
    "1 point) — ask what was different this time.",
)
_URGENT = (
    "CORE-10 item 6 (plans to end my life) was rated 1 (Only occasionally) at session {n} "
    "— check risk today and record a risk review."
)


def synthetic_lines(
    count: int, seed: int = 18, *, urgent: int = URGENT, prorated: bool = True
) -> list[CaseloadLine]:
    """``count`` demo-like caseload lines: ``urgent`` urgent ones first, then the rest."""
    rng = random.Random(seed)
    lines = []
    for i in range(count):
        name = f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}"
        if i % 13 == 0:
            name = (
                f"{rng.choice(GIVEN_NAMES)} {rng.choice(GIVEN_NAMES)} "
                f"{rng.choice(FAMILY_NAMES)}-{rng.choice(FAMILY_NAMES)}"
            )
        values = {"a": rng.uniform(20, 39), "b": rng.uniform(5, 30), "n": rng.randint(2, 60)}
        alerts = [("urgent", _URGENT.format(**values))] if i < urgent else []
        for _ in range(rng.choices((0, 1, 2, 3), (40, 40, 17, 3))[0]):
            alerts.append(("warning", rng.choice(_REASONS).format(**values)))
        latest = {"SRS": f"{values['a']:.1f}", "ORS": f"{values['b']:.1f}"}
        if rng.random() < 0.6:
            latest["WAI-SR"] = str(rng.randint(20, 60))
        if rng.random() < 0.4:
            latest["CORE-10"] = rng.choice(("12", "7", "incomplete"))
        if prorated and i % 97 == 50:
            latest["CORE-10"] = "11.1*"
        last = TODAY - timedelta(days=rng.randint(0, 400)) if i % 31 else None
        lines.append(CaseloadLine(f"C-{i + 1:05d}", name, last, latest, tuple(alerts)))
    return lines


def _report(lines: list[CaseloadLine]) -> CaseloadReportData:
    return CaseloadReportData(ReportHeader("Practice", "Clinician", "", TODAY), tuple(lines))


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _flat(text: str) -> str:
    return " ".join(text.split())


Big = tuple[list[CaseloadLine], list[str]]


@pytest.fixture(scope="module")
def big() -> Big:
    """The lines of a big caseload and the text of each page of its PDF (made once)."""
    lines = synthetic_lines(LINES)
    return lines, _pages(caseload_report_pdf(_report(lines)))


def test_every_client_is_printed_exactly_once(big: Big) -> None:
    lines, pages = big
    printed = Counter(code for text in pages for code in CODE.findall(text))
    assert printed == Counter(line.code for line in lines)
    assert len(pages) > 50  # the caseload really does run over many page breaks


def test_every_page_starts_with_the_header_row(big: Big) -> None:
    _, pages = big
    for number, text in enumerate(pages, start=1):
        first_code = CODE.search(text)
        if first_code is None:  # only the note under the table may flow onto a page of its own
            assert number == len(pages) and _flat(PRORATED_NOTE) in _flat(text)
            continue
        above = _flat(text[: first_code.start()])
        assert above.endswith(" ".join(HEADER)), f"page {number}: {above[-120:]!r}"


def test_the_urgent_clients_come_first_and_the_order_is_kept(big: Big) -> None:
    lines, pages = big
    order = [code for text in pages for code in CODE.findall(text)]
    assert order == [line.code for line in lines]
    assert f"{URGENT} with a risk answer waiting for review come first" in _flat(pages[0])
    text = _flat("\n".join(pages))
    assert text.count("Urgent:") == URGENT
    last_urgent = text.index(
        _flat(_URGENT.split(" at session", maxsplit=1)[0]), text.index(lines[URGENT - 1].code)
    )
    assert last_urgent < text.index(lines[URGENT].code)  # ... and before the next client


def test_a_line_whose_alerts_wrap_is_never_cut_at_a_page_break(big: Big) -> None:
    lines, pages = big
    page_of = {code: n for n, text in enumerate(pages) for code in CODE.findall(text)}
    flat = [_flat(text) for text in pages]
    tall = [line for line in lines if len(line.alerts) >= 2]
    assert len(tall) > 200
    for line in tall:
        on_page = flat[page_of[line.code]]
        for _, reason in line.alerts:
            assert _flat(reason) in on_page, f"{line.code}: {reason[:40]}…"
    # Pages open with such a line: one that did not fit under the page before moved whole.
    tall_codes = {line.code for line in tall}
    opening = [codes[0] for codes in map(CODE.findall, pages[1:]) if codes]
    assert sum(code in tall_codes for code in opening) >= 5


def test_the_prorated_note_follows_the_table_only_when_a_score_is_prorated(big: Big) -> None:
    lines, pages = big
    text = _flat("\n".join(pages))
    assert text.count(_flat(PRORATED_NOTE)) == 1
    assert text.index(_flat(PRORATED_NOTE)) > text.index(lines[-1].code)
    plain = _pages(caseload_report_pdf(_report(synthetic_lines(200, prorated=False))))
    assert all(_flat(PRORATED_NOTE) not in _flat(text) for text in plain)


def _page_count(lines: list[CaseloadLine]) -> int:
    return len(PdfReader(io.BytesIO(caseload_report_pdf(_report(lines)))).pages)


def test_the_page_count_grows_in_step_with_the_lines() -> None:
    base = synthetic_lines(400, seed=5, urgent=4)
    five_times = [
        replace(line, code=f"C-{k * len(base) + i + 1:05d}")
        for k in range(5)
        for i, line in enumerate(base)
    ]
    # The same lines five times over fill five times the pages, give or take a page.
    assert _page_count(five_times) == pytest.approx(5 * _page_count(base), abs=5)


def test_an_empty_caseload_still_prints_the_header_row_without_measure_columns() -> None:
    (text,) = _pages(caseload_report_pdf(_report([])))
    assert "0 clients in therapy" in text
    # No measure has a score, so no measure takes a column.
    assert "Code Name Last session Alerts" in _flat(text)


def test_a_line_taller_than_a_page_is_refused_in_words() -> None:
    line = CaseloadLine("C-00001", "Zoë", None, {}, (("warning", "A very long alert. " * 20),) * 60)
    with pytest.raises(InvalidInput, match="too long to fit on a page"):
        caseload_report_pdf(_report([line]))


def test_each_page_is_a_table_of_its_own_with_the_header_and_the_shading() -> None:
    rows = [[f"C-{i:05d}", "x\n" * (1 + i % 3)] for i in range(200)]
    shading = ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.lightgrey])
    table = PagedTable(
        ["Code", "Text"], len(rows), lambda i: list(rows[i]), (100.0, 100.0), row_commands=[shading]
    )
    pages, next_row = 0, 0
    rest: PagedTable | None = table
    while rest is not None:
        parts = rest.split(200.0, 301.0)
        page, rest = parts[0], (parts[1] if len(parts) > 1 else None)
        values = page._cellvalues
        assert values[0] == ["Code", "Text"]  # the header tops every page
        assert [row[0] for row in values[1:]] == [
            f"C-{i:05d}" for i in range(next_row, next_row + len(values) - 1)
        ]  # nothing skipped, nothing twice
        # Shading starts again under each page's header, as reportlab's own split does it.
        assert [c[:3] for c in page._bkgrndcmds] == [shading[:3]]
        assert page.wrap(200.0, 301.0)[1] <= 301.0  # and the page's table fits its page
        pages, next_row = pages + 1, next_row + len(values) - 1
    assert next_row == len(rows) and pages > 5
    assert len(column_widths(MEASURES)) == len(HEADER)
