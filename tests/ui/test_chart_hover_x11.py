"""Chart hover and keys on a real X display with a window manager (Xvfb + openbox).

The offscreen platform has no pointer and no window manager, and tooltips, focus and
geometry differ there (issue 15). This test starts its own Xvfb and openbox, opens the
charts of a demo client in a child process on the xcb platform, moves the real pointer
with xdotool over a point and a rupture star, then away, and presses Tab, End and Return.
Skipped where those programs are missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

NEEDED = ("Xvfb", "openbox", "xdotool", "xprop")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        any(shutil.which(tool) is None for tool in NEEDED),
        reason="needs " + ", ".join(NEEDED),
    ),
]

CHILD = """
import json, subprocess, sys
from pathlib import Path
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
app = QApplication([])
app.setStyle("Fusion")
from alliance_desktop.services.charts import charts_for_client
from alliance_desktop.storage import repository
from alliance_desktop.ui.charts import ChartsPage
from tests.keyed import open_database

db = open_database(Path(sys.argv[1]))
rows = repository.list_client_rows(db)
charts = next(
    c for c in (charts_for_client(db, r.client_id) for r in rows)
    if c.ruptures and c.chart("SRS") is not None
)
page = ChartsPage()
page.resize(1100, 650)
opened = []
page.sessionActivated.connect(opened.append)
page.show()
page.set_charts(charts)
QTest.qWaitForWindowExposed(page)
subprocess.run(["xdotool", "windowactivate", "--sync", str(int(page.winId()))], check=True)
QTest.qWait(500)
view = page.views["SRS"]
chart = view.chart()
seen = {}

def pointer_to(local):
    spot = view.viewport().mapToGlobal(local)
    subprocess.run(["xdotool", "mousemove", str(spot.x()), str(spot.y())], check=True)
    QTest.qWait(400)

def at(series, index):
    return view.mapFromScene(chart.mapToScene(chart.mapToPosition(series.at(index), series)))

def callout():
    box = view.mapFromScene(view.callout.box()).boundingRect()
    return {
        "visible": view.callout.isVisible(),
        "text": view.callout.text(),
        "inside": view.viewport().rect().contains(box),
    }

series = view.line_series["SRS"]
middle = len(series.points()) // 2
pointer_to(at(series, middle))
seen["point"] = {**callout(), "expected": view.hover_text(series, middle)}
pointer_to(at(view.rupture_series, 0))
seen["star"] = {**callout(), "expected": view.hover_text(view.rupture_series, 0)}
area = chart.plotArea()
pointer_to(view.mapFromScene(area.center().x(), area.top() + area.height() * 0.55))
seen["away"] = callout()
page.export_button.setFocus(Qt.FocusReason.TabFocusReason)
subprocess.run(["xdotool", "key", "--delay", "100", "Tab", "End"], check=True)
QTest.qWait(400)
# End goes to the latest session: its rating, or its rupture star if it had one.
latest = max(
    [(series.at(len(series.points()) - 1).x(), 0, series)]
    + [(view.rupture_series.at(view.rupture_series.count() - 1).x(), 1, view.rupture_series)]
)[2]
current = view.current_point()
seen["keys"] = {
    **callout(),
    "focused": QApplication.focusWidget() is view,
    "is_latest": current == (latest, latest.count() - 1),
    "expected": view.hover_text(latest, latest.count() - 1),
}
subprocess.run(["xdotool", "key", "Return"], check=True)
QTest.qWait(400)
session_id = view._hover[id(latest)].session_ids[-1]  # what a click on that point emits
seen["enter"] = {"opened": opened, "expected": [session_id]}
screen = app.primaryScreen().grabWindow(0)
screen.save(sys.argv[2])
print(json.dumps(seen))
page.close()
db.close()
"""


@pytest.fixture
def x_display(tmp_path: Path) -> Iterator[str]:
    """A private Xvfb display (it picks a free number) with openbox running on it."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as numbers:
        display = f":{numbers.readline().strip()}"
    env = {**os.environ, "DISPLAY": display}
    openbox = subprocess.Popen(
        ["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        # openbox is ready once it has announced itself on the root window.
        while time.monotonic() < deadline:
            probe = subprocess.run(
                ["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if "window id" in probe.stdout:
                break
            time.sleep(0.1)
        else:
            pytest.fail("openbox did not start on the Xvfb display")
        yield display
    finally:
        for process in (openbox, xvfb):
            process.terminate()
            process.wait(timeout=10)


def test_hover_and_keys_show_the_callout_on_x11(
    x_display: str, demo_db_path: Path, artifacts: Path
) -> None:
    screenshot = artifacts / "chart_callout_x11.png"
    env = {**os.environ, "DISPLAY": x_display, "QT_QPA_PLATFORM": "xcb"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(demo_db_path), str(screenshot)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    for step in ("point", "star"):
        assert seen[step]["visible"], step
        assert seen[step]["text"] == seen[step]["expected"], step
        assert seen[step]["inside"], step
    assert "Repair:" in seen["star"]["text"]
    assert not seen["away"]["visible"]
    keys = seen["keys"]
    assert keys["focused"] and keys["is_latest"]
    assert keys["visible"] and keys["text"] == keys["expected"]
    assert seen["enter"]["opened"] == seen["enter"]["expected"]
    assert screenshot.exists()
