"""What `make package` built, used as a therapist would (``make package-test``; marker ``bundle``).

Not in the default run: they need the bundle, which takes a minute to build. CI builds it
and runs them. Each test runs the built program, not the checkout's code.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from alliance_desktop import APP_ID, __version__
from alliance_desktop.storage.database import HEAD_REVISION
from tests.keyed import TEST_PASSPHRASE
from tests.unit.storage.test_database import FIXTURES

pytestmark = pytest.mark.bundle

ROOT = Path(__file__).resolve().parents[2]
STEPS = 8  # the self-test's steps


@pytest.fixture(scope="module")
def package() -> dict[str, str]:
    """What ``packaging/build.py`` wrote into ``dist/package.json``."""
    manifest = Path(os.environ.get("ALLIANCE_DIST", ROOT / "dist")) / "package.json"
    if not manifest.exists():
        pytest.fail(f"{manifest} is missing: run `make package` first")
    figures: dict[str, str] = json.loads(manifest.read_text(encoding="utf-8"))
    assert figures["version"] == __version__, "the bundle is older than the checkout"
    return figures


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """A therapist's environment: their own HOME, nothing of the test suite's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ALLIANCE_", "XDG_", "PYTHON")) and key != "HOME"
    }
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", **extra)
    return env


def run(
    command: list[str | Path], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], env=env, cwd=cwd, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_bundle_passes_its_self_test(package: dict[str, str], tmp_path: Path) -> None:
    result = run([package["executable"], "--self-test"], user_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.startswith("ok ") for line in lines) == STEPS, result.stdout
    assert "self-test passed" in lines[-1]
    assert not (tmp_path / ".local").exists(), "the self-test wrote into the user's folders"


def test_the_bundle_leaves_out_unused_qt_and_every_qt_library_it_needs_is_there(
    package: dict[str, str],
) -> None:
    bundle = Path(package["bundle"])
    names = [path.name for path in bundle.rglob("*")]
    for unused in ("WebEngine", "Qt6Quick", "Qt6Qml", "Multimedia", "Qt63D", "Designer", "qpdf"):
        assert not [name for name in names if unused in name], f"{unused} is in the bundle"
    dangling = [
        str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_symlink() and not p.exists()
    ]
    assert not dangling, f"links to files left out: {dangling}"
    internal = bundle / "_internal"
    library_path = f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}"
    missing = []
    for path in bundle.rglob("*.so*"):
        if path.is_symlink() or not path.is_file():
            continue
        linked = subprocess.run(
            ["ldd", str(path)], env={"LD_LIBRARY_PATH": library_path}, capture_output=True,
            text=True, check=False,
        )  # fmt: skip
        missing += [
            f"{path.relative_to(bundle)}: {line.strip()}"
            for line in linked.stdout.splitlines()
            if "not found" in line and ("libQt6" in line or "libpyside" in line)
        ]
    assert not missing, "\n".join(missing)


EARLIER_SCHEMAS = sorted(
    p.name for p in FIXTURES.glob("schema_*.db") if HEAD_REVISION not in p.name
)


@pytest.mark.parametrize("fixture", EARLIER_SCHEMAS)
def test_the_bundle_upgrades_a_database_of_an_earlier_release(
    package: dict[str, str], tmp_path: Path, fixture: str
) -> None:
    database = tmp_path / "practice.db"
    shutil.copyfile(FIXTURES / fixture, database)
    with sqlite3.connect(FIXTURES / fixture) as plain:
        (clients,) = plain.execute("SELECT count(*) FROM clients").fetchone()
    env = user_env(tmp_path, ALLIANCE_PASSPHRASE=TEST_PASSPHRASE)
    listed = run([package["executable"], "--db", database, "clients", "--json"], env, tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == clients
    assert list(tmp_path.glob("practice.db.before-migration-*")), "no copy kept before migrating"
    checked = run([package["executable"], "--db", database, "check"], env, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(encoding="utf-8", errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(f"the window closed (exit {process.returncode}) before '{text}'")
        time.sleep(0.05)
    pytest.fail(f"'{text}' not logged within {seconds} s")


def test_the_bundled_window_opens_an_older_database_and_upgrades_it_on_first_start(
    package: dict[str, str], tmp_path: Path
) -> None:
    database = tmp_path / "practice.db"
    shutil.copyfile(FIXTURES / EARLIER_SCHEMAS[-1], database)  # the release before this one
    env = user_env(tmp_path, ALLIANCE_PASSPHRASE=TEST_PASSPHRASE)
    window = subprocess.Popen(
        [package["executable"], "--db", str(database)], env=env, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,  # what goes wrong is in the log
    )  # fmt: skip
    try:
        # platformdirs' log folder under the user's HOME (~/.local/state/… on Linux)
        log = tmp_path / ".local" / "state" / "Alliance Desktop" / "log" / "alliance-desktop.log"
        wait_for_line(log, "client list shown", window, 60)
    finally:
        window.terminate()
        window.wait(timeout=30)
    assert list(tmp_path.glob("practice.db.before-migration-*"))
    checked = run([package["executable"], "--db", database, "check"], env, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def unpack(package: dict[str, str], folder: Path) -> Path:
    with tarfile.open(package["archive"]) as archive:
        archive.extractall(folder, filter="tar")
    (unpacked,) = folder.iterdir()
    return unpacked


def test_install_upgrade_and_uninstall_keep_the_records(
    package: dict[str, str], tmp_path: Path
) -> None:
    unpacked = unpack(package, tmp_path / "download")
    # A home folder a shell script could trip over: a space and an ampersand.
    home = tmp_path / "Smith & Jones practice"
    home.mkdir()
    env = user_env(home, ALLIANCE_PASSPHRASE=TEST_PASSPHRASE)

    installed = run(["sh", unpacked / "install.sh"], env, unpacked)
    assert installed.returncode == 0, installed.stderr
    assert f"Alliance Desktop {__version__} is installed" in installed.stdout
    command = home / ".local" / "bin" / "alliance-desktop"
    program = home / ".local" / "lib" / "alliance-desktop" / "alliance-desktop"
    assert command.resolve() == program.resolve()
    entry = (home / ".local" / "share" / "applications" / f"{APP_ID}.desktop").read_text()
    assert f'Exec="{program}"\n' in entry and f"TryExec={program}\n" in entry
    validated = subprocess.run(
        ["desktop-file-validate", str(home / ".local/share/applications" / f"{APP_ID}.desktop")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert validated.returncode == 0, validated.stdout
    assert (home / ".local" / "share" / "metainfo" / f"{APP_ID}.metainfo.xml").exists()
    for size in (16, 48, 256):
        icon = home / ".local/share/icons/hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert icon.exists()

    # The therapist's records: the default database, where the app keeps it.
    made = run([command, "demo", "--clients", "3", "--as-of", "2026-11-20"], env, home)
    assert made.returncode == 0, made.stderr
    data = home / ".local" / "share" / "Alliance Desktop"
    assert (data / "practice.db").exists()
    before = tree_digest(data)

    again = run(["sh", unpacked / "install.sh"], env, unpacked)  # the same version over it
    assert again.returncode == 0, again.stderr
    assert tree_digest(data) == before
    listed = run([command, "clients", "--json"], env, home)
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 3, listed.stderr
    before = tree_digest(data)

    # The download may be long gone: the program folder carries its own uninstaller.
    shutil.rmtree(unpacked)
    removed = run(["sh", program.parent / "uninstall.sh"], env, home)
    assert removed.returncode == 0, removed.stderr
    assert "Your records were NOT deleted" in removed.stdout and str(data) in removed.stdout
    assert not program.parent.exists() and not command.exists() and not command.is_symlink()
    assert not (home / ".local" / "share" / "applications" / f"{APP_ID}.desktop").exists()
    assert not list((home / ".local/share/icons").rglob(f"{APP_ID}.*"))
    assert tree_digest(data) == before


def test_install_refuses_while_the_program_runs_and_a_relative_prefix_works(
    package: dict[str, str], tmp_path: Path
) -> None:
    unpacked = unpack(package, tmp_path / "download")
    home = tmp_path / "home"
    home.mkdir()
    env = user_env(home, ALLIANCE_PASSPHRASE=TEST_PASSPHRASE)
    unnameable = tmp_path / "cost$1"  # a menu entry's Exec line cannot name it
    refused = run(["sh", unpacked / "install.sh", "--prefix", unnameable], env, tmp_path)
    assert refused.returncode == 1 and "Nothing was changed" in refused.stderr
    assert not unnameable.exists()
    installed = run(["sh", unpacked / "install.sh", "--prefix", "opt"], env, tmp_path)
    assert installed.returncode == 0, installed.stderr
    command = tmp_path / "opt" / "bin" / "alliance-desktop"
    program = tmp_path / "opt" / "lib" / "alliance-desktop"
    assert command.resolve() == (program / "alliance-desktop").resolve()
    assert run([command, "--version"], env, home).stdout.strip().endswith(__version__)

    window = subprocess.Popen(
        [str(command), "--db", str(tmp_path / "practice.db")], env=env, cwd=home,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        log = home / ".local" / "state" / "Alliance Desktop" / "log" / "alliance-desktop.log"
        wait_for_line(log, "client list shown", window, 60)
        before = tree_digest(program)
        refused = run(["sh", unpacked / "install.sh", "--prefix", "opt"], env, tmp_path)
        assert refused.returncode == 1
        assert "Alliance Desktop is running" in refused.stderr
        assert "Nothing was changed" in refused.stderr
        assert tree_digest(program) == before
        refused = run(["sh", program / "uninstall.sh", "--prefix", "opt"], env, tmp_path)
        assert refused.returncode == 1 and "is running" in refused.stderr
        assert tree_digest(program) == before
    finally:
        window.terminate()
        window.wait(timeout=30)
    again = run(["sh", unpacked / "install.sh", "--prefix", "opt"], env, tmp_path)
    assert again.returncode == 0, again.stderr
