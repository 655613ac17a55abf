"""``alliance-desktop --self-test``: the whole run in a real process, and a failing step."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from alliance_desktop.selftest import STEPS, Step, Workspace, run_self_test
from alliance_desktop.services.database import DatabaseClosed


def test_the_self_test_passes_and_leaves_nothing_behind(tmp_path: Path) -> None:
    given_home, user_home, temp = (tmp_path / name for name in ("alliance", "user", "tmp"))
    for folder in (given_home, user_home, temp):
        folder.mkdir()
    env = {
        # No locale, as in a bare terminal or a CI container: Qt's note about it is not an error.
        **{k: v for k, v in os.environ.items() if k not in {"LANG", "LC_ALL", "LC_CTYPE"}},
        "ALLIANCE_HOME": str(given_home),
        "HOME": str(user_home),
        "TMPDIR": str(temp),
        "ALLIANCE_DB": str(given_home / "practice.db"),  # must be ignored, never opened
    }
    result = subprocess.run(
        [sys.executable, "-m", "alliance_desktop", "--self-test"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Alliance Desktop ") and " self-test (Python " in lines[0]
    assert "Qt 6." in lines[0] and "SQLCipher 4." in lines[0]
    working = Path(lines[1].removeprefix("working in ").removesuffix(" (removed at the end)"))
    assert working.parent == temp  # TMPDIR is honoured
    ok = [line for line in lines if line.startswith("ok    ")]
    assert [line.removeprefix("ok    ").rsplit(" (", 1)[0] for line in ok] == [
        step.name for step in STEPS
    ]
    assert len(ok) == 8 and "print the summary (to a PDF printer)" in ok[5]
    assert lines[-1].startswith("self-test passed: 8 steps in ")
    assert len(lines) == 2 + len(STEPS) + 1
    # Its own temporary folder is gone, and nothing was written where the user's are.
    assert not working.exists()
    assert list(temp.iterdir()) == []
    assert list(given_home.iterdir()) == []
    assert list(user_home.iterdir()) == []


def test_a_failing_step_stops_the_run_and_removes_the_folder(
    tmp_path: Path, isolated_home: Path
) -> None:
    seen: list[Workspace] = []

    def broken(work: Workspace) -> None:
        seen.append(work)
        raise RuntimeError("broken on purpose\nsecond line")

    never_run: list[Workspace] = []
    steps = [STEPS[0], Step("break on purpose", broken), Step("after", never_run.append)]
    parent = tmp_path / "tmp"
    parent.mkdir()
    environment = dict(os.environ)
    out, err = io.StringIO(), io.StringIO()

    assert run_self_test(steps, out=out, err=err, parent=parent) == 1

    errors = err.getvalue().splitlines()
    assert errors[0] == "FAILED break on purpose: RuntimeError: broken on purpose"
    assert errors[1] == "Traceback (most recent call last):"
    assert "in broken" in err.getvalue()
    printed = out.getvalue()
    assert f"ok    {STEPS[0].name} (" in printed
    assert "self-test passed" not in printed and "ok    after" not in printed
    assert never_run == []
    # The database the first step opened was closed, and the folder with it removed.
    assert seen[0].folder.parent == parent
    with pytest.raises(DatabaseClosed):
        _ = seen[0].db.key
    assert list(parent.iterdir()) == []
    assert dict(os.environ) == environment  # ALLIANCE_HOME, QT_QPA_PLATFORM restored
    assert not isolated_home.exists()


def test_the_self_test_takes_no_command_or_database() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "alliance_desktop", "--self-test", "--db", "x.db"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "alliance-desktop: --self-test takes no command, --db or --passphrase-file "
        "(see 'alliance-desktop --help')"
    ]
