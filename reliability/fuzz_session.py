"""Row 4: mutated session JSON files given to ``session add --json``, in this process.

The base is a real session of a demo client (measures, goal ratings, a rupture), moved to a
free start. Each mutation runs against a fresh copy of the database through
``alliance_desktop.cli.main``; the exit code must be 0 or 2. After exit 0 the database must
hold exactly what the file said (start, fields, every item value, rating and rupture), one
session more; after exit 2, the sessions as they were.
"""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from reliability import RowResult
from reliability.common import copy_database, run_main
from reliability.mutate import Mutator

_MOMENT = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::00)?", re.ASCII)
_COMPUTED = ("number", "total", "subscales", "prorated", "incomplete")


class Unsayable(Exception):
    """The file does not say this field in any way a session could hold."""


def _measure_order(m: tuple[Any, ...]) -> tuple[str, str]:
    return (str(m[0]), str(m[3]))


def _moment(value: Any) -> str:
    if not isinstance(value, str) or not (match := _MOMENT.fullmatch(value.strip())):
        raise Unsayable(f"{value!r} is not a date and time")
    y, mo, d, h, mi = (int(g) for g in match.groups())
    return datetime(y, mo, d, h, mi).strftime("%Y-%m-%dT%H:%M")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unsayable(f"{value!r} is not a number")
    return float(value)


def _text(value: Any, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise Unsayable(f"{value!r} is not text")
    return value


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Unsayable(f"{value!r} is not a list")
    return value


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Unsayable(f"{value!r} is not an object")
    return value


def said(doc: Any, approach: str) -> dict[str, Any]:
    """What a session file says, in the shape ``session list --json`` gives it back."""
    doc = _object(doc)
    start = _moment(doc.get("start"))
    duration = doc.get("duration_minutes")
    measurements = []
    for given in _list(doc.get("measurements")):
        m = _object(given)
        version = _text(m.get("instrument_version"))
        measurements.append(
            (
                _text(m.get("instrument_id")).strip().casefold(),
                version or None,
                _text(m.get("respondent"), "client"),
                start if m.get("taken_at") is None else _moment(m.get("taken_at")),
                tuple(None if v is None else _number(v) for v in _list(m.get("item_values"))),
            )
        )
    ratings = sorted(
        (int(_number(_object(r).get("goal"))), _number(_object(r).get("rating")))
        for r in _list(doc.get("goal_ratings"))
    )
    ruptures = []
    for item in _list(doc.get("ruptures")):
        r = _object(item)
        resolved = r.get("resolved")
        if resolved is not None and not isinstance(resolved, bool):
            raise Unsayable(f"resolved {resolved!r} is not true or false")
        ruptures.append(
            (_text(r.get("kind")), _text(r.get("description")), _text(r.get("repair")),
             bool(resolved))
        )  # fmt: skip
    return {
        "start": start,
        "duration_minutes": 50 if duration is None else _number(duration),
        "format": _text(doc.get("format"), "in_person"),
        "attendance": _text(doc.get("attendance"), "attended"),
        "approach": _text(doc.get("approach"), approach),
        "notes": _text(doc.get("notes")),
        "tasks_agreed": _text(doc.get("tasks_agreed")),
        "client_feedback": _text(doc.get("client_feedback")),
        "measurements": sorted(measurements, key=_measure_order),
        "goal_ratings": ratings,
        "ruptures": sorted(ruptures),
    }


def held(row: dict[str, Any]) -> dict[str, Any]:
    """A listed session in the shape ``said`` gives."""
    return {
        "start": row["start"],
        "duration_minutes": float(row["duration_minutes"]),
        "format": row["format"],
        "attendance": row["attendance"],
        "approach": row["approach"],
        "notes": row["notes"],
        "tasks_agreed": row["tasks_agreed"],
        "client_feedback": row["client_feedback"],
        "measurements": sorted(
            (
                (
                    str(m["instrument_id"]).casefold(),
                    m["instrument_version"],
                    m["respondent"],
                    m["taken_at"],
                    tuple(None if v is None else float(v) for v in m["item_values"]),
                )
                for m in row["measurements"]
            ),
            key=_measure_order,
        ),
        "goal_ratings": sorted((int(r["goal"]), float(r["rating"])) for r in row["goal_ratings"]),
        "ruptures": sorted(
            (r["kind"], r["description"], r["repair"], bool(r["resolved"])) for r in row["ruptures"]
        ),
    }


def _differences(expected: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    out = []
    for key, value in expected.items():
        got = stored[key]
        if key == "measurements" and len(got) == len(value):
            # A version the file left out is the instrument's own: compare only those given.
            got = [
                (m[0], None if e[1] is None else m[1], *m[2:])
                for m, e in zip(got, value, strict=True)
            ]
        if got != value:
            out.append(f"{key}: file said {ascii(value)[:150]}, database holds {ascii(got)[:150]}")
    return out


def _listed(database: Path, code: str) -> list[dict[str, Any]]:
    listed = run_main(["--db", str(database), "session", "list", code, "--json"])
    if listed.returncode != 0:
        raise RuntimeError(f"session list failed: {listed.describe()}")
    rows: list[dict[str, Any]] = json.loads(listed.stdout)
    return rows


def _base_document(database: Path) -> tuple[str, str, dict[str, Any]]:
    """A demo client's latest attended session with measures and goal ratings, as a file
    would give it, moved a day later (a free start before the demo's last day)."""
    from alliance_desktop.domain.vocabulary import RuptureKind

    clients = json.loads(run_main(["--db", str(database), "clients", "--json"]).stdout)
    for client in clients:
        if client["status"] != "active":
            continue
        rows = _listed(database, client["code"])
        rich = [r for r in rows if r["attendance"] == "attended" and r["measurements"]
                and r["goal_ratings"]]  # fmt: skip
        if not rich:
            continue
        doc = {k: v for k, v in rich[-1].items() if k not in _COMPUTED}
        old = datetime.fromisoformat(doc["start"])
        new = old + timedelta(days=1)
        doc["start"] = new.isoformat(timespec="minutes")
        for m in doc["measurements"]:
            for key in _COMPUTED:
                m.pop(key, None)
            taken = datetime.fromisoformat(m["taken_at"]) - old + new
            m["taken_at"] = taken.isoformat(timespec="minutes")
        doc["notes"] = "Reviewed the week; agreed to try the diary again. Zoë: «ça va».\n2nd line"
        doc["ruptures"] = [
            {"kind": str(next(iter(RuptureKind))), "description": "Went quiet after the "
             "homework came up", "repair": "Named it; asked what felt off", "resolved": True}
        ]  # fmt: skip
        return client["code"], client["approach"], doc
    raise RuntimeError("no active demo client with measured, rated sessions")


def run(template: Path, work: Path, *, runs: int, seed: int) -> RowResult:
    """``runs`` mutated session files through ``session add --json``."""
    result = RowResult("fuzzed `session add --json` files (in-process)")
    folder = work / "fuzz-session"
    base_db = copy_database(template, folder / "base.db")
    code, approach, base = _base_document(base_db)
    rows_before = _listed(base_db, code)
    database = folder / "practice.db"
    session_file = folder / "session.json"
    saved = folder / "failing"

    def fresh() -> None:
        for suffix in ("-wal", "-shm"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
        copy_database(base_db, database)

    # The unmutated file is accepted and stored exactly (else the row tests nothing).
    fresh()
    session_file.write_text(json.dumps(base, ensure_ascii=False), encoding="utf-8")
    argv = ["--db", str(database), "session", "add", code, "--json", str(session_file)]
    first = run_main(argv)
    problem = (
        ""
        if first.returncode != 0
        else _check_accepted(database, code, approach, session_file.read_bytes(), rows_before)
    )
    if first.returncode != 0 or problem:
        result.fail("wrong", f"the unmutated session: {problem or first.describe()}",
                    json.dumps(base))  # fmt: skip
        return result
    mutator = Mutator(random.Random(seed))
    accepted = 0
    for index in range(runs):
        what, data = mutator.json_document(base)
        fresh()
        session_file.write_bytes(data)
        done = run_main(argv)
        result.runs += 1
        problem, column = "", ""
        if done.hung:
            problem, column = "ran over 30 s", "hangs"
        elif done.internal_error:
            problem, column = done.describe(), "internal"
        elif done.returncode not in (0, 2):
            problem, column = f"exit {done.returncode}, not 0 or 2: {done.describe()}", "wrong"
        elif done.returncode == 0:
            accepted += 1
            problem = _check_accepted(database, code, approach, data, rows_before)
            column = "wrong" if problem else ""
        elif _listed(database, code) != rows_before:
            problem, column = "refused (exit 2), yet the sessions changed", "wrong"
        if problem:
            saved.mkdir(exist_ok=True)
            kept = saved / f"session-{index}.json"
            kept.write_bytes(data)
            result.fail(column, f"mutation {index} ({what[:200]}): {problem}",
                        f"session add {code} --json {kept}  # on a copy of {base_db}")  # fmt: skip
    result.notes.append(f"{accepted} of {runs} mutations accepted and checked field by field")
    return result


def _check_accepted(
    database: Path, code: str, approach: str, data: bytes, rows_before: list[dict[str, Any]]
) -> str:
    """'' when the database holds exactly one new session, exactly as the file said."""
    rows = _listed(database, code)
    before = {r["start"] for r in rows_before}
    new = [r for r in rows if r["start"] not in before]
    if len(rows) != len(rows_before) + 1 or len(new) != 1:
        return f"accepted, but {len(rows) - len(rows_before)} sessions were added"
    try:
        doc = json.loads(data.decode("utf-8-sig"))
        expected = said(doc, approach)
    except (ValueError, RecursionError, Unsayable) as exc:
        return f"accepted a file that does not say a session: {str(exc)[:200]}"
    differences = _differences(expected, held(new[0]))
    return "; ".join(differences)
