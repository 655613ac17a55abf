"""The headless commands as a user runs them: a real process on a real database file."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_AS_OF
from tests.keyed import copy_database, raw_connect


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alliance_desktop", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def one_client_export(**client: object) -> str:
    """An export file's text holding one client (Zoë, CBT, C-1) with ``client`` overriding."""
    fields = {"code": "C-1", "given_name": "Zoë", "approach": "cbt", "intake_date": "2026-10-01"}
    document = {
        "format": "alliance-desktop-export",
        "format_version": 1,
        "clients": [{**fields, **client}],
    }
    return json.dumps(document, ensure_ascii=False)


def test_init_then_check(db_path: Path) -> None:
    created = run("--db", str(db_path), "init")
    assert created.returncode == 0, created.stderr
    assert f"Created a new database at {db_path}" in created.stdout
    again = run("init", "--db", str(db_path))  # --db after the command works too
    assert again.returncode == 0 and "is ready (0 clients)" in again.stdout
    check = run("check", "--db", str(db_path))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Integrity:    (quick) ok" in check.stdout and "Healthy." in check.stdout
    assert run("--db", str(db_path), "clients", "--json").stdout == "[]\n"


def test_db_from_environment_variable(db_path: Path) -> None:
    result = run("init", env={"ALLIANCE_DB": str(db_path)})
    assert result.returncode == 0, result.stderr
    assert db_path.exists()


def test_default_database_lives_in_the_data_folder(isolated_home: Path) -> None:
    result = run("init")
    assert result.returncode == 0, result.stderr
    database = isolated_home / "data" / "practice.db"
    assert database.exists()
    assert database.stat().st_mode & 0o077 == 0  # health records: owner-only
    assert database.parent.stat().st_mode & 0o077 == 0


def test_check_reports_a_damaged_database(demo_db_path: Path) -> None:

    # Break a foreign key behind the app's back (foreign keys are off in a plain connection).
    with raw_connect(demo_db_path) as conn:
        conn.execute("UPDATE sessions SET client_id = 999999 WHERE id = 1")
    conn.close()
    result = run("check", "--db", str(demo_db_path))
    assert result.returncode == 1
    assert "Foreign keys: table sessions row 1 points to a missing row in clients" in result.stdout
    assert "NOT healthy" in result.stdout


def test_check_on_missing_file_does_not_create_it(db_path: Path) -> None:
    result = run("check", "--db", str(db_path))
    assert_one_line_error(result, "There is no database at", "alliance-desktop init")
    assert not db_path.exists()


def test_demo_clients_json_contract(db_path: Path) -> None:
    demo = run(
        "--db",
        str(db_path),
        "demo",
        "--clients",
        "25",
        "--seed",
        "3",
        "--as-of",
        DEMO_AS_OF.isoformat(),
    )
    assert demo.returncode == 0, demo.stderr
    assert "Added 25 demo clients" in demo.stdout
    listing = run("--db", str(db_path), "clients", "--json")
    assert listing.returncode == 0, listing.stderr
    rows = json.loads(listing.stdout)
    assert len(rows) == 25
    # One client per line between the brackets (grep-able; written by the C encoder).
    lines = listing.stdout.splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 27
    assert [json.loads(line.rstrip(",")) for line in lines[1:-1]] == rows
    for row in rows:
        assert {
            "code",
            "name",
            "status",
            "sessions",
            "last_session",
            "alliance_latest",
            "alerts",
        } <= row.keys()
        assert row["status"] in {"active", "paused", "discharged"}
    with_alliance = [r for r in rows if r["alliance_latest"]]
    assert with_alliance
    assert all(r["alliance_latest"]["instrument"] in {"SRS", "WAI-SR"} for r in with_alliance)
    alerts = [a for r in rows for a in r["alerts"]]
    assert alerts and all(a["reason"] and a["kind"] for a in alerts)
    none_paused = run("--db", str(db_path), "clients", "--status", "paused", "--json")
    assert json.loads(none_paused.stdout) == [r for r in rows if r["status"] == "paused"]
    table = run("--db", str(db_path), "clients", "--status", "active")
    assert table.returncode == 0 and table.stdout.startswith("CODE")


def test_demo_refuses_a_database_with_clients(db_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "real.json"
    source.write_text(one_client_export(), encoding="utf-8")
    assert run("--db", str(db_path), "import", str(source)).returncode == 0
    before = digest(db_path)
    result = run("--db", str(db_path), "demo", "--clients", "5")
    assert_one_line_error(result, "already holds 1 client;", "never mixes with real records")
    assert digest(db_path) == before


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["demo", "--clients", "0"], "0 is out of range"),
        (["demo", "--clients", "many"], "'many' is not a whole number"),
        (["demo", "--clients", "5", "--as-of", "2026-13-01"], "'2026-13-01' is not a date"),
        (["export", "--format", "xml", "--out", "x"], "invalid choice: 'xml'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_arguments_get_one_line(args: list[str], fragment: str, db_path: Path) -> None:
    result = run("--db", str(db_path), *args)
    assert result.returncode == 2
    assert_one_line_error(result, fragment)
    assert not db_path.exists()


def test_export_import_round_trip(demo_db_path: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    result = run("--db", str(demo_db_path), "export", "--format", "json", "--out", str(export))
    assert result.returncode == 0, result.stderr
    copy = tmp_path / "copy.db"
    imported = run("--db", str(copy), "import", str(export))
    assert imported.returncode == 0, imported.stderr
    assert "Imported 40 clients" in imported.stdout
    export2 = tmp_path / "export2.json"
    assert run("--db", str(copy), "export", "--out", str(export2)).returncode == 0
    first, second = json.loads(export.read_text("utf-8")), json.loads(export2.read_text("utf-8"))
    first.pop("exported_at"), second.pop("exported_at")
    assert first == second
    assert run("--db", str(copy), "check").returncode == 0


def test_csv_export_writes_a_folder_of_tables(demo_db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "tables"
    result = run("--db", str(demo_db_path), "export", "--format", "csv", "--out", str(out))
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "clients.csv",
            "goals.csv",
            "sessions.csv",
            "measurements.csv",
            "goal_ratings.csv",
            "ruptures.csv",
            "risk_reviews.csv",
            "alert_acknowledgements.csv",
            "removed_risk_answers.csv",
        ]
    )
    clients = (out / "clients.csv").read_text("utf-8-sig").splitlines()
    assert len(clients) == 41 and clients[0].startswith("code,given_name")
    again = run("--db", str(demo_db_path), "export", "--format", "csv", "--out", str(out))
    assert_one_line_error(again, "already exists")


def test_import_refuses_bad_files_and_leaves_no_database(tmp_path: Path) -> None:
    target = tmp_path / "new.db"
    cases = {
        "missing.json": (None, "There is no file at"),
        "garbage.json": ("this is not json", "not valid JSON"),
        "other.json": ('{"hello": 1}', "is not an Alliance Desktop export"),
        "date.json": (
            one_client_export(intake_date="2026-02-30"),
            "clients[0].intake_date is '2026-02-30', not a date",
        ),
    }
    for name, (content, fragment) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_text(content, encoding="utf-8")
        result = run("--db", str(target), "import", str(path))
        assert_one_line_error(result, fragment)
        assert not target.exists(), name


def test_import_into_non_empty_database_is_refused(demo_db_path: Path, tmp_path: Path) -> None:
    export = tmp_path / "e.json"
    assert run("--db", str(demo_db_path), "export", "--out", str(export)).returncode == 0
    before = digest(demo_db_path)
    result = run("--db", str(demo_db_path), "import", str(export))
    assert_one_line_error(result, "already holds 40 clients", "empty database")
    assert digest(demo_db_path) == before


def test_export_to_unwritable_place(demo_db_path: Path, tmp_path: Path) -> None:
    result = run("--db", str(demo_db_path), "export", "--out", str(tmp_path / "no" / "x.json"))
    assert_one_line_error(result, "does not exist")


def test_not_a_database_file(tmp_path: Path) -> None:
    path = tmp_path / "letter.txt"
    path.write_text("hello", encoding="utf-8")
    result = run("--db", str(path), "clients")
    assert_one_line_error(result, "is not an Alliance Desktop database")
    assert path.read_text(encoding="utf-8") == "hello"


def test_headless_commands_never_import_pyside6(db_path: Path) -> None:
    code = (
        "import sys\n"
        "from alliance_desktop import cli\n"
        f"assert cli.main(['--db', {str(db_path)!r}, 'demo', '--clients', '3']) == 0\n"
        f"assert cli.main(['--db', {str(db_path)!r}, 'clients', '--json']) == 0\n"
        f"assert cli.main(['--db', {str(db_path)!r}, 'check']) == 0\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_version() -> None:
    from alliance_desktop import __version__

    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"alliance-desktop {__version__}"


def test_internal_error_is_one_line_and_logged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    from alliance_desktop import cli

    def broken(_args: object) -> int:
        raise RuntimeError("simulated bug\nwith a second line")

    monkeypatch.setitem(cli._COMMANDS, "clients", broken)
    assert cli.main(["clients"]) == cli.EXIT_INTERNAL_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError: simulated bug)" in err
    assert "please report it" in err
    log_text = (isolated_home / "logs" / "alliance-desktop.log").read_text("utf-8")
    assert "Traceback" in log_text and "with a second line" in log_text


def test_export_never_overwrites_the_database(demo_db_path: Path) -> None:
    before = digest(demo_db_path)
    for target in (demo_db_path, Path(f"{demo_db_path}-wal")):
        result = run("--db", str(demo_db_path), "export", "--out", str(target), "--force")
        assert_one_line_error(result, "is the practice database itself")
    assert digest(demo_db_path) == before
    assert run("--db", str(demo_db_path), "check").returncode == 0


def test_export_never_overwrites_another_database(demo_db_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    assert run("--db", str(other), "init").returncode == 0
    before = digest(other)
    result = run("--db", str(demo_db_path), "export", "--out", str(other), "--force")
    assert_one_line_error(result, "is a database file")
    assert digest(other) == before


def test_export_replaces_an_old_export_only_with_force(demo_db_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    target.write_text("last week's export", encoding="utf-8")
    refused = run("--db", str(demo_db_path), "export", "--out", str(target))
    assert_one_line_error(refused, "already exists", "--force")
    assert target.read_text(encoding="utf-8") == "last week's export"
    forced = run("--db", str(demo_db_path), "export", "--out", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(target.read_text("utf-8"))["format"] == "alliance-desktop-export"
    assert target.stat().st_mode & 0o077 == 0  # health records: owner-only


def test_interrupted_demo_leaves_a_healthy_marked_database(db_path: Path) -> None:
    import signal
    import time

    from alliance_desktop.storage import cipher
    from alliance_desktop.storage.errors import StorageError

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "alliance_desktop",
            "--db",
            str(db_path),
            "demo",
            "--clients",
            "20000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until some clients are committed
        time.sleep(0.3)
        try:
            with raw_connect(db_path) as conn:
                if conn.execute("SELECT count(*) FROM clients").fetchone()[0] > 0:
                    break
        except (StorageError, cipher.DatabaseError):  # not created (or keyed) yet
            continue
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.count("\n") == 1 and "interrupted" in err
    check = run("--db", str(db_path), "check")
    assert check.returncode == 0, check.stdout
    listing = json.loads(run("--db", str(db_path), "clients", "--json").stdout)
    assert 0 < len(listing) < 20000 and len(listing) % 250 == 0  # whole batches only
    with raw_connect(db_path) as conn:
        assert conn.execute("SELECT value FROM settings WHERE key='demo_caseload'").fetchone()
    conn.close()


def test_full_disk_gives_one_line_and_a_healthy_database(tmpfs: Any) -> None:
    volume = tmpfs("full", "400k")
    path = volume / "practice.db"
    result = run("--db", str(path), "demo", "--clients", "400")
    assert_one_line_error(result, "is full")
    if path.exists():  # the schema fitted; whatever else was saved is whole
        check = run("--db", str(path), "check")
        assert check.returncode == 0, check.stdout + check.stderr


def test_full_disk_during_import_leaves_no_half_database(tmpfs: Any, demo_db_path: Path) -> None:
    export = demo_db_path.parent / "e.json"
    assert run("--db", str(demo_db_path), "export", "--out", str(export)).returncode == 0
    volume = tmpfs("full", "300k")
    path = volume / "practice.db"
    result = run("--db", str(path), "import", str(export))
    assert_one_line_error(result, "full")
    if path.exists():
        listing = run("--db", str(path), "clients", "--json")
        assert listing.returncode == 0 and json.loads(listing.stdout) == []


def test_export_to_a_full_or_read_only_drive(tmpfs: Any, demo_db_path: Path) -> None:
    full = tmpfs("stick", "64k")
    result = run("--db", str(demo_db_path), "export", "--out", str(full / "e.json"))
    assert_one_line_error(result, "the disk is full")
    assert list(full.iterdir()) == []  # no partial file left behind
    read_only = tmpfs("locked", "1m", read_only=True)
    result = run("--db", str(demo_db_path), "export", "--out", str(read_only / "e.json"))
    assert_one_line_error(result, "is not writable")


def test_export_while_demo_is_writing_is_consistent(db_path: Path, tmp_path: Path) -> None:
    """Each export sees one snapshot of the database, even while another process writes."""
    import time

    assert run("--db", str(db_path), "init").returncode == 0
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "alliance_desktop",
            "--db",
            str(db_path),
            "demo",
            "--clients",
            "3000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    exports = 0
    try:
        while writer.poll() is None and exports < 6:
            out = tmp_path / f"e{exports}.json"
            result = run("--db", str(db_path), "export", "--out", str(out))
            assert result.returncode == 0, result.stderr
            document = json.loads(out.read_text("utf-8"))
            for client in document["clients"]:
                numbers = {g["number"] for g in client["goals"]}
                for session in client["sessions"]:
                    assert {r["goal"] for r in session["goal_ratings"]} <= numbers
            exports += 1
            time.sleep(0.2)
    finally:
        writer.communicate(timeout=120)
    assert exports >= 1
    assert writer.returncode == 0


def test_check_names_a_newer_schema(db_path: Path) -> None:

    assert run("--db", str(db_path), "init").returncode == 0
    with raw_connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    conn.close()
    result = run("--db", str(db_path), "check")
    assert "0099_future (written by a newer version of Alliance Desktop" in result.stdout
    assert "older" not in result.stdout


def test_check_reports_a_corrupted_file_as_unhealthy(demo_db_path: Path) -> None:
    data = bytearray(demo_db_path.read_bytes())
    data[20480 : 20480 + 3000] = b"\xa5" * 3000  # scribble over a few pages
    demo_db_path.write_bytes(bytes(data))
    result = run("--db", str(demo_db_path), "check")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "NOT healthy" in result.stdout and "Traceback" not in result.stderr


def test_database_on_read_only_drive_is_explained(tmpfs: Any, demo_db_path: Path) -> None:

    from tests.e2e.conftest import remount_read_only

    volume = tmpfs("stick", "4m")
    copy_database(demo_db_path, volume / "practice.db")
    remount_read_only(volume)
    result = run("--db", str(volume / "practice.db"), "clients")
    assert_one_line_error(result, "read-only drive or folder", "Copy it to a writable folder")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--db", "", "demo", "--clients", "2"], "--db: needs a file name"),
        (["demo", "--db", " ", "--clients", "2"], "--db: needs a file name"),
        (["demo", "--clients", "2", "--as-of", "0001-01-01"], "out of range"),
        (["demo", "--clients", "2", "--as-of", "9999-12-31"], "out of range"),
    ],
)
def test_more_bad_arguments(args: list[str], fragment: str, isolated_home: Path) -> None:
    result = run(*args)
    assert_one_line_error(result, fragment)
    assert not (isolated_home / "data" / "practice.db").exists()


def test_export_out_naming_a_folder(demo_db_path: Path, tmp_path: Path) -> None:
    result = run("--db", str(demo_db_path), "export", "--out", f"{tmp_path}/newname/")
    assert_one_line_error(result, "names a folder")
    assert not (tmp_path / "newname").exists()


def test_second_demo_on_a_demo_database_explains(demo_db_path: Path) -> None:
    result = run("--db", str(demo_db_path), "demo", "--clients", "3")
    assert_one_line_error(result, "already holds a demo caseload", "Delete that file")


def test_plural_and_singular_in_messages(db_path: Path, tmp_path: Path) -> None:
    result = run("--db", str(db_path), "demo", "--clients", "1")
    assert result.returncode == 0 and "Added 1 demo client with" in result.stdout
    out = tmp_path / "one.json"
    result = run("--db", str(db_path), "export", "--out", str(out))
    assert "Exported 1 client to" in result.stdout


def test_session_add_and_list_from_the_command_line(db_path: Path, tmp_path: Path) -> None:
    goal = {"number": 1, "description": "Sleep", "agreed_on": "2026-10-01"}
    source = tmp_path / "c.json"
    source.write_text(one_client_export(goals=[goal]), encoding="utf-8")
    assert run("--db", str(db_path), "import", str(source)).returncode == 0
    added = run(
        "--db",
        str(db_path),
        "session",
        "add",
        "C-1",
        "--date",
        "2026-11-02T10:00",
        "--srs",
        "9,9,8.5,9",
        "--ors",
        "5,6,5.5,6",
        "--notes",
        "Zoë talked about sleep",
    )
    assert added.returncode == 0, added.stderr
    assert "Recorded session 1 for C-1 on 2026-11-02 10:00." in added.stdout
    session_file = tmp_path / "s.json"
    session_file.write_text(
        json.dumps(
            {
                "start": "2026-11-09T10:00",
                "goal_ratings": [{"goal": 1, "rating": 4}],
                "ruptures": [{"kind": "confrontation", "repair": "named it"}],
            }
        ),
        encoding="utf-8",
    )
    assert (
        run(
            "--db",
            str(db_path),
            "session",
            "add",
            "C-1",
            "--json",
            str(session_file),
            "--srs",
            "8,8,8,8",
        ).returncode
        == 0
    )
    listing = run("--db", str(db_path), "session", "list", "C-1", "--json")
    rows = json.loads(listing.stdout)
    assert [r["number"] for r in rows] == [1, 2]
    (srs,) = [m for m in rows[0]["measurements"] if m["instrument_id"] == "SRS"]
    assert srs["total"] == 35.5
    assert set(srs["subscales"]) == {"goal", "task", "bond"}
    assert rows[1]["goal_ratings"] == [{"goal": 1, "rating": 4.0}]
    assert rows[1]["ruptures"][0]["kind"] == "confrontation"
    before = digest(db_path)
    for args, fragment in (
        (["--srs", "9,11,9,9", "--date", "2026-11-16T10:00"], "between 0 and 10"),
        (["--date", "2026-11-02T10:00"], "at the same time; check the date and time"),
        (["--date", "2026-13-01T10:00"], "not a date and time"),
        (["--date", "2026-09-01T10:00"], "before C-1's intake"),
        (["--date", "2026-11-16"], "has no time of day; add it, e.g. 2026-11-16T10:00"),
        (["--date", "2026-11-02T10:20"], "which overlaps this one"),
    ):
        result = run("--db", str(db_path), "session", "add", "C-1", *args)
        assert_one_line_error(result, fragment)
    assert_one_line_error(
        run("--db", str(db_path), "session", "list", "C-404"), "no client with the code 'C-404'"
    )
    assert digest(db_path) == before
