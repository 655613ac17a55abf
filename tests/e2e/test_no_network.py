"""The app opens no socket: a whole working session under an audit hook that refuses them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

# The child installs an audit hook before importing the app: any socket it tries to create,
# connect or resolve a name with ends the process with a non-zero code naming it.
SESSION = textwrap.dedent(
    """
    import sys
    def refuse(event, args):
        if event.startswith(("socket.", "urllib.")) and event != "socket.__new__" or (
            event == "socket.__new__" and args and args[1] not in (1,)  # AF_UNIX is local
        ):
            sys.stderr.write(f"NETWORK: {event} {args!r}\\n")
            sys.stderr.flush()
            import os
            os._exit(99)
    sys.addaudithook(refuse)
    import os
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from pathlib import Path
    from alliance_desktop.cli import main
    db, stick, out = sys.argv[1:4]
    assert main(["--db", db, "demo", "--clients", "3", "--as-of", "2026-11-20"]) == 0
    code = "C-0001"
    assert main(["--db", db, "session", "add", code, "--date", "2026-11-21T10:00",
                 "--srs", "9,9,9,9"]) == 0
    assert main(["--db", db, "report", code, "--out", out]) == 0
    assert main(["--db", db, "backup", "--to", stick]) == 0
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from alliance_desktop import app as gui
    window = gui.build_main_window(Path(db), passphrase=os.environ["ALLIANCE_PASSPHRASE"])
    window.show()
    app.processEvents()
    window.lock()
    window.close()
    print("SESSION DONE")
    """
)


def test_the_harness_catches_a_socket(tmp_path: Path) -> None:
    """The hook is not a check that cannot fail: a connection attempt is caught."""
    hook = SESSION.split("import os\nos.environ")[0]
    probe = hook + "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)\n"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 99 and "NETWORK: socket." in result.stderr, result.stderr


def test_a_whole_session_opens_no_socket(tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            SESSION,
            str(tmp_path / "p.db"),
            str(stick),
            str(tmp_path / "r.pdf"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "NETWORK:" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert "SESSION DONE" in result.stdout
