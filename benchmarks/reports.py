"""PDF report benchmark: ``python -m benchmarks.reports`` (also part of ``make bench``).

Two figures, each in a fresh process: the progress summary of one client with 200 weekly
sessions (reading the record, building the series and writing the PDF with its charts and
score table; target <= 0.5 s), and the caseload summary of a 1,000-client demo caseload
with every client set active, so all 1,000 are listed (target <= 5 s). Each is the median
of five runs after one warm-up (fonts, imports).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks import print_table, run_child
from benchmarks.big_client import SETUP

CLIENT_SESSIONS = 200
CASELOAD_CLIENTS = 1_000

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
    ]


def main() -> None:
    print_table(measure())


if __name__ == "__main__":
    main()
