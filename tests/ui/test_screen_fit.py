"""Every window fits a 1280x720 laptop screen and 2560x1440 at 200 % (issue 15): the main
window, the dialogs and the session editor open inside the screen's available area, with
Save, Close, Undo and the status bar on screen; long forms scroll inside instead; the client
list and the Sessions table show all their columns without scrolling sideways.

Each screen is a real Qt screen of that size (the offscreen platform's configuration file),
in a child process, since a Qt application has its screens for life.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "tests" / "screens"


def _inside(rect: list[int], area: list[int]) -> bool:
    x, y, w, h = rect
    ax, ay, aw, ah = area
    return x >= ax and y >= ay and x + w <= ax + aw and y + h <= ay + ah


@pytest.mark.parametrize(
    ("screen", "scale"),
    [("laptop.json", "1"), ("hidpi.json", "2")],
    ids=["1280x720", "2560x1440-at-200"],
)
def test_every_window_fits_the_screen(screen: str, scale: str) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={SCREENS / screen}",
        "QT_SCALE_FACTOR": scale,
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.screen_fit_probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    windows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    (tables,) = [w for w in windows if w["name"] == "tables"]
    windows.remove(tables)
    # The client list shows Alliance and Alerts, the Sessions table Ruptures, unscrolled.
    assert (tables["client_list"], tables["sessions"]) == (0, 0), tables
    names = [w["name"] for w in windows]
    assert names == [
        "main window",
        "client form",
        "preferences",
        "progress summary",
        "back up",
        "restore",
        "session editor",
    ]
    for window in windows:
        area = window["area"]
        assert area[2:] == [1280, 720]  # logical pixels, both screens
        assert _inside(window["window"], area), window
        assert window["buttons"] or window["name"] == "main window", window
        for button in window["buttons"]:
            assert _inside(button["rect"], area), (window["name"], button)
        for bar in window["status_bars"]:
            assert _inside(bar, area), (window["name"], bar)
    main = windows[0]
    assert main["status_bars"], "the main window's status bar is shown"
