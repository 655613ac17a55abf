"""PDF report benchmark: ``python -m benchmarks.reports`` (also part of ``make bench``).

Three figures, each in a fresh process: the progress summary of one client with 200 weekly
sessions (reading the record, building the series and writing the PDF with its charts and
score table; target <= 0.5 s), and the caseload summary of a 1,000-client demo caseload
with every client set active, so all 1,000 are listed (target <= 5 s); each the median of
five runs after one warm-up (fonts, imports). The third is how the caseload summary's
layout grows (issue 18): milliseconds per line for 1,000 and for 10,000 synthetic lines
(``synthetic_caseload``, shaped like the demo's, so no 10,000-client database is needed),
the median of five and of three runs, and their ratio; linear layout keeps it near 1.
"""

from __future__ import annotations

import random
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks import print_table, run_child
from benchmarks.big_client import SETUP

if TYPE_CHECKING:
    from alliance_desktop.services.reports import CaseloadLine, CaseloadReportData

CLIENT_SESSIONS = 200
CASELOAD_CLIENTS = 1_000
SCALING_LINES = (1_000, 10_000)

# Alert sentences as the rules write them (domain/alerts.py), numbers filled in per line.
_REASONS = (
    "SRS was {a:.1f} at session {n}, with Goals and Topics 8.9 under 9 — ask what would have "
    "made it fit better.",
    "SRS fell {d:.1f} points from {a:.1f} at session {m} to {b:.1f} at session {n} (the alert "
    "is set at a drop of 1 point), under the cut-off of 36, with Relationship 8.1, Goals and "
    "Topics 8.6, Approach or Method 8.2 and Overall 7.9 under 9 — ask about the session.",
    "ORS has gone from {o:.1f} at session 1 to {p:.1f} at session {n} ({d:+.1f} points): "
    "after 4 or more ratings that is short of a reliable improvement (5 points or more) — "
    "discuss whether therapy is on track.",
    "ORS has gone from {o:.1f} at session 1 to {p:.1f} at session {n} (-{d:.1f} points), a "
    "reliable deterioration (reliable change is 5 points or more) — review the work and the "
    "alliance with the client.",
    "WAI-SR at session {n}: Goal fell 4 points from 20 at session {m} to 16 — check you still "
    "agree on what the therapy is for; Task fell 2 points from 19 at session {m} to 17 — "
    "check you still agree on how you are working together; Bond fell 3 points from 19 at "
    "session {m} to 16 — ask how the client is feeling about the relationship.",
    "WAI-SR at session {n}: Bond fell 2 points from 20 at session {m} to 18 — ask how the "
    "client is feeling about the relationship.",
    "The last 3 SRS ratings were all 40 out of 40 — a client who cannot criticise may be "
    "hiding a rupture; invite honest feedback.",
)
_URGENT = (
    "CORE-10 item 6 (plans to end my life) was rated 1 (Only occasionally) at session {n} "
    "({day}) — check risk today and record a risk review."
)


def synthetic_caseload(
    count: int, seed: int = 1, as_of: date = date(2026, 11, 20)
) -> CaseloadReportData:
    """``count`` caseload lines shaped like a demo caseload's (``caseload_report_data``).

    Names from ``services.demo`` (one in thirteen a long double-barrelled one), latest
    scores of three or four measures (now and then pro-rated or incomplete), and the mix of
    alerts the 300-client demo has: about 40 % none, 40 % one, 17 % two, 3 % three, with
    1 % urgent risk answers listed first.
    """
    from alliance_desktop.services.demo import FAMILY_NAMES, GIVEN_NAMES
    from alliance_desktop.services.reports import CaseloadLine, CaseloadReportData, ReportHeader

    rng = random.Random(f"caseload-scaling:{seed}")
    urgent: list[CaseloadLine] = []
    rest: list[CaseloadLine] = []
    for i in range(count):
        name = f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}"
        if i % 13 == 0:
            name = (
                f"{rng.choice(GIVEN_NAMES)} {rng.choice(GIVEN_NAMES)} "
                f"{rng.choice(FAMILY_NAMES)}-{rng.choice(FAMILY_NAMES)}"
            )
        last = as_of - timedelta(days=rng.randint(0, 500))
        n = rng.randint(2, 60)
        values = {
            "a": rng.uniform(25, 40), "b": rng.uniform(20, 38), "d": rng.uniform(1, 9),
            "o": rng.uniform(5, 30), "p": rng.uniform(2, 34), "n": n, "m": max(1, n - 5),
            "day": (last - timedelta(weeks=2)).isoformat(),
        }  # fmt: skip
        alerts = [
            ("warning" if "40 out of 40" not in r else "info", r.format(**values))
            for r in rng.sample(_REASONS, rng.choices((0, 1, 2, 3), (40, 40, 17, 3))[0])
        ]
        is_urgent = rng.random() < 0.01
        if is_urgent:
            alerts.insert(0, ("urgent", _URGENT.format(**values)))
        latest = {"ORS": f"{values['p']:.1f}", "SRS": f"{values['a']:.1f}"}
        latest["WAI-SR"] = str(rng.randint(24, 60))
        if rng.random() < 0.4:
            latest["CORE-10"] = rng.choice(("3", "9", "14", "20", "11.1*", "incomplete"))
        line = CaseloadLine(f"C-{i + 1:05d}", name, last, latest, tuple(alerts))
        (urgent if is_urgent else rest).append(line)
    header = ReportHeader("Demo practice (made-up clients)", "Demo Clinician", "", as_of)
    return CaseloadReportData(header, tuple(urgent + rest))


_CLIENT = (
    SETUP
    + """
from alliance_desktop.reports.client_report import client_report_pdf
from alliance_desktop.services.reports import client_report_data

def once():
    return client_report_pdf(client_report_data(db, "B-500"))

once()
samples = []
for _ in range(5):
    t = time.perf_counter()
    pdf = once()
    samples.append(time.perf_counter() - t)
print(json.dumps({{"seconds": statistics.median(samples), "max": max(samples), "bytes": len(pdf)}}))
"""
)

_CASELOAD = """
import json, statistics, time
from datetime import date
from pathlib import Path
from alliance_desktop.services.demo import generate_demo
from alliance_desktop.storage.database import open_database
from benchmarks import PASSPHRASE
from alliance_desktop.reports.caseload_report import caseload_report_pdf
from alliance_desktop.services.reports import caseload_report_data
db = open_database(Path({path!r}), passphrase=PASSPHRASE)
generate_demo(db, {clients}, seed=1, as_of=date(2026, 11, 20))
# Every client in therapy, so the summary has all 1,000 lines (the demo discharges most).
with db.write() as raw:
    raw.exec_driver_sql("UPDATE clients SET status = 'active', discharge_date = NULL")
db.close()
db = open_database(Path({path!r}), passphrase=PASSPHRASE)

def once():
    data = caseload_report_data(db)
    return data, caseload_report_pdf(data)

once()
samples = []
for _ in range(5):
    t = time.perf_counter()
    data, pdf = once()
    samples.append(time.perf_counter() - t)
db.close()
print(json.dumps({{"seconds": statistics.median(samples), "max": max(samples),
                  "lines": len(data.lines), "bytes": len(pdf)}}))
"""


_SCALING = """
import json, statistics, time
from alliance_desktop.reports.caseload_report import caseload_report_pdf
from benchmarks.reports import synthetic_caseload

caseload_report_pdf(synthetic_caseload(200))  # warm-up: fonts, imports
figures = {{}}
for lines, repeats in zip({lines!r}, (5, 3)):
    data = synthetic_caseload(lines)
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        pdf = caseload_report_pdf(data)
        samples.append(time.perf_counter() - t)
    figures[f"ms_per_line_{{lines}}"] = statistics.median(samples) * 1000 / lines
    figures[f"bytes_{{lines}}"] = len(pdf)
print(json.dumps(figures))
"""


def scaling_row(code: str = _SCALING) -> tuple[str, str, str]:
    """The caseload summary's ms per line at 1,000 and 10,000 lines, and their ratio."""
    small, large = SCALING_LINES
    figures = run_child(code.format(lines=SCALING_LINES))
    at_small, at_large = figures[f"ms_per_line_{small}"], figures[f"ms_per_line_{large}"]
    return (
        f"PDF caseload summary, ms per line at {small:,} / {large:,} synthetic lines "
        "(median of 5 / 3; ratio)",
        f"{at_small:.2f} / {at_large:.2f} ms ({at_large / at_small:.2f}x)",
        "same ms per line (ratio <= 1.1)",
    )


def measure() -> list[tuple[str, str, str]]:
    """Rows for the README table."""
    with tempfile.TemporaryDirectory(prefix="alliance-bench-reports-") as folder:
        one = run_child(
            _CLIENT.format(
                path=str(Path(folder) / "client.db"),
                home=str(Path(folder) / "home"),
                sessions=CLIENT_SESSIONS,
            )
        )
        many = run_child(
            _CASELOAD.format(path=str(Path(folder) / "caseload.db"), clients=CASELOAD_CLIENTS)
        )
    return [
        (
            f"PDF progress summary, one client with {CLIENT_SESSIONS} sessions "
            f"({one['bytes'] / 1000:.0f} kB), median of 5 (max)",
            f"{one['seconds']:.2f} s ({one['max']:.2f} s)",
            "<= 0.5 s",
        ),
        (
            f"PDF caseload summary, {many['lines']:,.0f} clients in therapy, one line each, "
            "median of 5 (max)",
            f"{many['seconds']:.2f} s ({many['max']:.2f} s)",
            "<= 5 s",
        ),
        scaling_row(),
    ]


def main() -> None:
    print_table(measure())


if __name__ == "__main__":
    main()
