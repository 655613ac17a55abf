"""How many alerts a therapist meets: the share of active demo clients with an active alert.

``python -m benchmarks.alerts [--clients N]`` generates a demo caseload (1,000 clients as of
2026-11-25 by default, the same every run) and counts, under the default settings, the
active clients with at least one alert and the alert lines they carry; then the same with
one rule switched off at a time, so the cost of each rule in alerts is on the table.
"One line per rule" is how alerts read before one rating's rules were merged into one line.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

from benchmarks import Row, print_table

AS_OF = date(2026, 11, 25)


def measure(clients: int = 1000) -> list[Row]:
    """Rows for the README table (see the module docstring)."""
    from alliance_desktop.domain.alerts import KIND_NOTES, REVIEW_ONLY_KINDS, AlertSettings
    from alliance_desktop.domain.vocabulary import ClientStatus
    from alliance_desktop.services.demo import generate_demo
    from alliance_desktop.services.summaries import rules_key, summarise_tree
    from alliance_desktop.storage import repository
    from alliance_desktop.storage.database import open_database
    from benchmarks import PASSPHRASE

    with tempfile.TemporaryDirectory(prefix="alliance-alerts-") as folder:
        db = open_database(Path(folder) / "demo.db", passphrase=PASSPHRASE)
        try:
            generate_demo(db, clients, seed=1, as_of=AS_OF)
            trees = [t for t in repository.load_client_trees(db) if t.status is ClientStatus.ACTIVE]
        finally:
            db.close()

    def count(settings: AlertSettings) -> tuple[int, int, int]:
        """(clients with an alert, alert lines, lines if each rule had its own)."""
        key = rules_key(settings)
        with_alert = lines = per_rule = 0
        for tree in trees:
            alerts = summarise_tree(tree, settings, key).alerts or []
            with_alert += bool(alerts)
            lines += len(alerts)
            per_rule += sum(len(a.get("kinds") or [a["kind"]]) for a in alerts)
        return with_alert, lines, per_rule

    active = len(trees)
    defaults = AlertSettings()
    with_alert, lines, per_rule = count(defaults)

    def share(n: int) -> str:
        return f"{100 * n / active:.0f}% ({n:,} of {active:,})"

    caseload = f"{clients:,}-client demo as of {AS_OF.isoformat()}, {active:,} active"
    rows: list[Row] = [
        (
            f"Active clients with an active alert, default settings ({caseload})",
            share(with_alert),
            "-",
        ),
        (
            "Alert lines on those clients: one line per rating (now) / one per rule (before)",
            f"{lines:,} / {per_rule:,} ({lines / max(1, with_alert):.2f} / "
            f"{per_rule / max(1, with_alert):.2f} a client)",
            "-",
        ),
    ]
    for kind, note in KIND_NOTES.items():
        if kind in REVIEW_ONLY_KINDS:
            continue
        without, _, _ = count(replace(defaults, disabled=(kind,)))
        rows.append((f"… with “{note.title}” switched off", share(without), "-"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.alerts")
    parser.add_argument("--clients", type=int, default=1000)
    print_table(measure(parser.parse_args().clients))


if __name__ == "__main__":
    main()
