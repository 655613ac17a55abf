"""Row 5: mutated export files given to ``import`` into a new database, in this process.

The base is a real ``export --format json`` of a small demo caseload. Each mutation is
imported into a database that does not exist yet; the exit code must be 0 or 2. After exit
2 there are no clients (the import checks the whole file before it creates anything); after
exit 0 there are as many clients as the file holds.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from reliability import RowResult
from reliability.common import connect, run_main
from reliability.mutate import Mutator


def _clients_in(database: Path) -> int:
    """How many clients a database holds (0 when it was never made)."""
    if not database.exists() or database.stat().st_size == 0:
        return 0
    conn = connect(database)
    try:
        return int(conn.execute("SELECT count(*) FROM clients").fetchone()[0])
    finally:
        conn.close()


def _clear(database: Path) -> None:
    for path in database.parent.glob(f"*{database.name}*"):
        path.unlink(missing_ok=True)


def run(source_db: Path, work: Path, *, runs: int, seed: int) -> RowResult:
    """``runs`` mutated exports through ``import``."""
    result = RowResult("fuzzed export files to `import` (in-process)")
    folder = work / "fuzz-export"
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / "export.json"
    made = run_main(["--db", str(source_db), "export", "--format", "json", "--out", str(export)])
    if made.returncode != 0:
        result.fail("wrong", f"the export failed: {made.describe()}", "export --format json")
        return result
    base: Any = json.loads(export.read_text(encoding="utf-8"))
    database = folder / "new" / "practice.db"
    database.parent.mkdir(exist_ok=True)
    mutated = folder / "mutated.json"
    saved = folder / "failing"
    argv = ["--db", str(database), "import", str(mutated)]

    # The unmutated export imports (else the row tests nothing).
    mutated.write_bytes(export.read_bytes())
    first = run_main(argv)
    if first.returncode != 0 or _clients_in(database) != len(base["clients"]):
        result.fail("wrong", f"the unmutated export did not import: {first.describe()}",
                    f"import {export}")  # fmt: skip
        return result
    mutator = Mutator(random.Random(seed))
    accepted = 0
    for index in range(runs):
        what, data = mutator.json_document(base)
        _clear(database)
        mutated.write_bytes(data)
        done = run_main(argv)
        result.runs += 1
        problem, column = "", ""
        if done.hung:
            problem, column = "ran over 30 s", "hangs"
        elif done.internal_error:
            problem, column = done.describe(), "internal"
        elif done.returncode not in (0, 2):
            problem, column = f"exit {done.returncode}, not 0 or 2: {done.describe()}", "wrong"
        else:
            try:
                held = _clients_in(database)
            except Exception as exc:  # a database left unreadable
                problem, column = f"the database cannot be read: {exc}", "worse"
            else:
                if done.returncode == 2 and held:
                    problem, column = f"refused (exit 2), yet {held} clients are in it", "wrong"
                elif done.returncode == 0:
                    accepted += 1
                    problem = _check_count(data, held)
                    column = "wrong" if problem else ""
        if problem:
            saved.mkdir(exist_ok=True)
            kept = saved / f"export-{index}.json"
            kept.write_bytes(data)
            result.fail(column, f"mutation {index} ({what[:200]}): {problem}",
                        f"--db NEW.db import {kept}")  # fmt: skip
    result.notes.append(f"base: {len(base['clients'])} clients; {accepted} of {runs} accepted")
    return result


def _check_count(data: bytes, held: int) -> str:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
        said = len(doc["clients"])
    except (ValueError, RecursionError, TypeError, KeyError) as exc:
        return f"accepted a file that is not an export: {str(exc)[:200]}"
    return "" if said == held else f"accepted; the file holds {said} clients, the database {held}"
