"""The desktop integration files agree with the app and with the freedesktop validators.

Icons (PNG sizes, .ico, .icns) open and show something; the desktop entry and the rendered
AppStream metainfo pass ``desktop-file-validate`` and ``appstreamcli validate`` (skipped,
naming the Debian package, only where the tool is missing); the app id, version and names
are the same in the package, the desktop entry, the metainfo, the Inno Setup script and the
macOS Info.plist values; and the running app has a window icon.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import plistlib
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from xml.etree import ElementTree

import pytest
from PIL import Image, ImageChops, ImageStat
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage

import alliance_desktop
from alliance_desktop import APP_ID, APP_NAME, __version__

ROOT = Path(__file__).resolve().parents[3]
PACKAGING = ROOT / "packaging"
DESKTOP_SCRIPT = PACKAGING / "desktop.py"
RESOURCES = ROOT / "alliance_desktop" / "resources"
ICONS = RESOURCES / "icons"
DESKTOP_ENTRY = RESOURCES / f"{APP_ID}.desktop"
ISS = PACKAGING / "windows" / "alliance-desktop.iss"
INFO_PLIST = PACKAGING / "macos" / "info_plist.json"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: 2025-12-31T23:59:59Z: a release date that a local-time conversion would move a day.
EPOCH = 1767225599
EPOCH_DAY = "2025-12-31"


@pytest.fixture(scope="module")
def desktop_script() -> ModuleType:
    """``packaging/desktop.py`` loaded by path (``packaging`` is never an importable package)."""
    spec = importlib.util.spec_from_file_location("alliance_packaging_desktop", DESKTOP_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``packaging/desktop.py`` with this interpreter, as the build does."""
    return subprocess.run(
        [sys.executable, str(DESKTOP_SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def require_tool(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (Debian package {package})")


def desktop_entry() -> dict[str, str]:
    parser = configparser.ConfigParser(
        interpolation=None, comment_prefixes=("#",), delimiters=("=",)
    )
    parser.optionxform = str  # desktop entry keys are case-sensitive
    parser.read(DESKTOP_ENTRY, encoding="utf-8")
    return dict(parser["Desktop Entry"])


@pytest.fixture
def rendered_metainfo(tmp_path: Path) -> Path:
    """The metainfo as the build renders it, released at ``EPOCH`` (never the wall clock)."""
    out = tmp_path / "share" / "metainfo" / f"{APP_ID}.metainfo.xml"
    # A time zone far east of UTC: the date must still be the UTC day of SOURCE_DATE_EPOCH.
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH), "TZ": "Pacific/Kiritimati"}
    result = run_script("metainfo", "--out", out, env=env)
    assert result.returncode == 0, result.stderr
    return out


# --- icons -------------------------------------------------------------------------------


def alpha_bytes(image: QImage) -> bytes:
    alpha = image.convertToFormat(QImage.Format.Format_Alpha8)
    row = alpha.width()
    stride = alpha.bytesPerLine()
    data = bytes(alpha.constBits())
    return b"".join(data[y * stride : y * stride + row] for y in range(alpha.height()))


@pytest.mark.parametrize("size", PNG_SIZES)
def test_each_png_opens_with_qt_at_its_size_and_shows_the_rings(qapp: object, size: int) -> None:
    path = ICONS / f"alliance-desktop-{size}.png"
    image = QImage(str(path))
    assert not image.isNull(), f"Qt cannot read {path}"
    assert (image.width(), image.height()) == (size, size)
    assert image.hasAlphaChannel()
    alpha = alpha_bytes(image)
    assert alpha[0] == 0, "the corner should be transparent (no background square)"
    assert max(alpha) == 255, "nothing is fully opaque: the rings are missing"
    covered = sum(1 for value in alpha if value > 0) / len(alpha)
    assert 0.15 < covered < 0.8, f"{covered:.0%} of the icon is drawn"


@pytest.mark.parametrize("size", PNG_SIZES)
def test_each_png_matches_a_fresh_render_of_its_svg(
    qapp: object, desktop_script: ModuleType, size: int
) -> None:
    """An SVG changed without ``packaging/desktop.py icons`` leaves stale PNGs: caught here."""
    fresh = desktop_script._to_pillow(desktop_script.render_icon(size))
    with Image.open(ICONS / f"alliance-desktop-{size}.png") as stored:
        difference = ImageChops.difference(fresh, stored.convert("RGBA"))
    worst_channel_mean = max(ImageStat.Stat(difference).mean)
    assert worst_channel_mean < 1.0, f"the {size} px PNG is not the current SVG's rendering"


def test_the_small_sizes_use_the_small_drawing(desktop_script: ModuleType) -> None:
    assert set(desktop_script.SMALL_SIZES) == {16, 24}
    assert desktop_script.SMALL_SVG.is_file()
    assert tuple(desktop_script.PNG_SIZES) == PNG_SIZES
    assert tuple(desktop_script.ICO_SIZES) == ICO_SIZES


def test_the_ico_holds_every_windows_size_with_transparency() -> None:
    with Image.open(ICONS / "alliance-desktop.ico") as ico:
        assert ico.format == "ICO"
        assert sorted(ico.info["sizes"]) == [(s, s) for s in ICO_SIZES]
        for size in ICO_SIZES:
            ico.size = (size, size)
            frame = ico.convert("RGBA")
            assert frame.size == (size, size)
            low, high = frame.getextrema()[3]
            assert (low, high) == (0, 255), f"the {size} px frame lost its transparency"


def test_the_icns_holds_16_to_512_points() -> None:
    with Image.open(ICONS / "alliance-desktop.icns") as icns:
        assert icns.format == "ICNS"
        entries = set(icns.info["sizes"])
    points = {width for width, _, _ in entries}
    assert {16, 32, 128, 256, 512} <= points
    # Pillow writes 16 and 32 points at 2x only (see packaging/macos/README.md).
    assert {(16, 16, 2), (32, 32, 2), (128, 128, 1), (256, 256, 1), (512, 512, 1)} <= entries
    for width, height, scale in sorted(entries):
        with Image.open(ICONS / "alliance-desktop.icns") as icns:
            icns.size = (width, height)
            icns.load(scale=scale)
            frame = icns.convert("RGBA")
        assert frame.size == (width * scale, height * scale)
        assert frame.getextrema()[3] == (0, 255)


# --- app icon in the running app -----------------------------------------------------------


def test_app_icon_has_every_png_size(qapp: object) -> None:
    from alliance_desktop.app import APP_ICON_SIZES, app_icon

    assert tuple(APP_ICON_SIZES) == PNG_SIZES
    icon = app_icon()
    assert not icon.isNull()
    assert {(s.width(), s.height()) for s in icon.availableSizes()} == {(n, n) for n in PNG_SIZES}
    pixmap = icon.pixmap(QSize(48, 48))
    assert not pixmap.isNull() and pixmap.width() == 48


def test_a_fresh_application_gets_the_window_icon(tmp_path: Path) -> None:
    """``application()`` makes a QApplication only in a fresh process (pytest-qt has one)."""
    code = (
        "from alliance_desktop.app import application\n"
        "app = application()\n"
        "icon = app.windowIcon()\n"
        "print(icon.isNull(), sorted(s.width() for s in icon.availableSizes()))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ALLIANCE_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"False {sorted(PNG_SIZES)}"


def test_x11_wm_class_matches_startup_wm_class(tmp_path: Path) -> None:
    """On X11 the desktop matches windows to the entry by WM_CLASS: check what Qt really sets."""
    require_tool("xvfb-run", "xvfb")
    require_tool("xprop", "x11-utils")
    code = (
        "import subprocess\n"
        "from PySide6.QtWidgets import QWidget\n"
        "from alliance_desktop.app import application\n"
        "app = application()\n"
        "window = QWidget()\n"
        "window.show()\n"
        "app.processEvents()\n"
        "print(subprocess.run(['xprop', '-id', str(int(window.winId())), 'WM_CLASS'],\n"
        "      capture_output=True, text=True, check=True).stdout)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "ALLIANCE_HOME": str(tmp_path)}
    result = subprocess.run(
        ["xvfb-run", "-a", sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if 'could not load the qt platform plugin "xcb"' in result.stderr.lower():
        pytest.skip(
            "Qt's xcb platform cannot load: Debian packages libxcb-cursor0 libxcb-icccm4 "
            "libxcb-keysyms1 libxcb-shape0 libxkbcommon-x11-0 (ARCHITECTURE.md)"
        )
    assert result.returncode == 0, result.stderr
    match = re.search(r'WM_CLASS\(STRING\) = "([^"]*)", "([^"]*)"', result.stdout)
    assert match, result.stdout
    assert match.group(2) == desktop_entry()["StartupWMClass"] == APP_NAME


# --- desktop entry and metainfo ------------------------------------------------------------


def test_the_desktop_entry_passes_desktop_file_validate() -> None:
    require_tool("desktop-file-validate", "desktop-file-utils")
    result = run_script("validate", DESKTOP_ENTRY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok (desktop-file-validate)" in result.stdout
    assert "error:" not in result.stdout


def test_the_rendered_metainfo_passes_appstreamcli(rendered_metainfo: Path) -> None:
    require_tool("appstreamcli", "appstream")
    result = run_script("validate", rendered_metainfo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok (appstreamcli)" in result.stdout


def test_validate_fails_on_a_broken_desktop_entry(tmp_path: Path) -> None:
    require_tool("desktop-file-validate", "desktop-file-utils")
    broken = tmp_path / f"{APP_ID}.desktop"
    broken.write_text("[Desktop Entry]\nType=Application\nExec=alliance-desktop\n", "utf-8")
    result = run_script("validate", broken)
    assert result.returncode == 1
    assert "FAILED" in result.stdout and "Name" in result.stdout


def test_the_metainfo_release_is_this_version_on_the_source_date(rendered_metainfo: Path) -> None:
    root = ElementTree.parse(rendered_metainfo).getroot()
    releases = root.findall("releases/release")
    assert len(releases) == 1
    assert releases[0].get("version") == __version__ == alliance_desktop.__version__
    assert releases[0].get("date") == EPOCH_DAY
    assert "@" not in rendered_metainfo.read_text(encoding="utf-8")


def test_one_app_id_and_one_command_everywhere(rendered_metainfo: Path) -> None:
    entry = desktop_entry()
    root = ElementTree.parse(rendered_metainfo).getroot()
    assert root.get("type") == "desktop-application"
    assert entry["Icon"] == root.findtext("id") == APP_ID
    assert root.findtext("launchable[@type='desktop-id']") == DESKTOP_ENTRY.name
    assert root.findtext("project_license") == "GPL-3.0-or-later"
    rating = root.find("content_rating")
    assert rating is not None and rating.get("type") == "oars-1.1"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert root.findtext("provides/binary") == entry["Exec"] == "alliance-desktop"
    assert "alliance-desktop" in scripts
    assert entry["Name"] == root.findtext("name") == APP_NAME
    # Qt names the X11 window class after the application name (proved under Xvfb below).
    assert entry["StartupWMClass"] == APP_NAME


def test_release_date_prefers_source_date_epoch_then_commit_then_today(
    desktop_script: ModuleType,
) -> None:
    commit, today = date(2026, 3, 4), date(2026, 5, 6)
    release_date = desktop_script.release_date
    assert release_date(
        {"SOURCE_DATE_EPOCH": str(EPOCH)}, last_commit=lambda: commit, today=lambda: today
    ) == date(2025, 12, 31)
    assert release_date({}, last_commit=lambda: commit, today=lambda: today) == commit
    assert release_date({}, last_commit=lambda: None, today=lambda: today) == today
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        release_date({"SOURCE_DATE_EPOCH": "yesterday"}, last_commit=lambda: commit)


def test_render_metainfo_refuses_leftovers_and_broken_xml(desktop_script: ModuleType) -> None:
    day = date(2026, 1, 2)
    render = desktop_script.render_metainfo
    assert render("<r v='@VERSION@' d='@DATE@'/>", version="1.2.3", released=day) == (
        "<r v='1.2.3' d='2026-01-02'/>"
    )
    with pytest.raises(ValueError, match="@NAME@"):
        render("<r n='@NAME@'/>", version="1.2.3", released=day)
    with pytest.raises(ValueError, match="well-formed"):
        render("<r v='@VERSION@'>", version="1.2.3", released=day)
    with pytest.raises(ValueError, match="XML"):
        render("<r v='@VERSION@'/>", version="1<2", released=day)


# --- Windows installer script --------------------------------------------------------------


def iss_sections() -> Iterator[tuple[str, str]]:
    """(section, line) for each line of the .iss that is not a comment or preprocessor line."""
    section = ""
    for raw in ISS.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith((";", "#", "//")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        yield section, line


def test_the_installer_script_requires_the_version_and_holds_none() -> None:
    text = ISS.read_text(encoding="utf-8")
    assert re.search(r"^#ifndef AppVersion\n\s*#error ", text, re.M)
    setup = dict(line.split("=", 1) for section, line in iss_sections() if section == "Setup")
    assert setup["AppVersion"] == "{#AppVersion}"
    assert __version__ not in text
    assert not re.search(r"\b\d+\.\d+\.\d+\b(?!\.)", text.replace("10.0.17763", ""))


def test_the_installer_keeps_its_identity_and_installs_per_user() -> None:
    setup = dict(line.split("=", 1) for section, line in iss_sections() if section == "Setup")
    assert re.fullmatch(r"\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", setup["AppId"])
    # The GUID is the installed app's identity: changing it makes upgrades side-by-side.
    assert setup["AppId"] == "{{D110F9C5-CFBD-4939-AAA5-072FA3A157AC}"
    assert setup["PrivilegesRequired"] == "lowest"
    assert setup["PrivilegesRequiredOverridesAllowed"] == "dialog"
    assert setup["DefaultDirName"] == r"{autopf}\{#AppName}"
    assert setup["CloseApplications"] == "yes"
    assert setup["ArchitecturesAllowed"] == "x64compatible"
    assert setup["MinVersion"] == "10.0.17763"  # Qt 6.11: Windows 10 1809 or later


def test_the_uninstaller_never_names_the_data_folder() -> None:
    data_constants = ("{localappdata}", "{userappdata}", "{autoappdata}", "{commonappdata}")
    for section, line in iss_sections():
        if section in {"UninstallDelete", "InstallDelete", "UninstallRun"}:
            assert not any(c in line.lower() for c in data_constants), line
            assert "Alliance Desktop\\Alliance Desktop" not in line, line
    install_deletes = [line for section, line in iss_sections() if section == "InstallDelete"]
    assert install_deletes == [r'Type: filesandordirs; Name: "{app}\_internal"']


def test_the_files_the_installer_script_names_exist() -> None:
    setup = dict(line.split("=", 1) for section, line in iss_sections() if section == "Setup")
    for key in ("SetupIconFile", "LicenseFile"):
        relative = setup[key].removeprefix("{#RepoRoot}\\").replace("\\", "/")
        assert (ROOT / relative).is_file(), f"{key} names a missing file: {setup[key]}"
    files = [line for section, line in iss_sections() if section == "Files"]
    assert files == [
        r'Source: "{#BundleDir}\*"; DestDir: "{app}"; '
        "Flags: ignoreversion recursesubdirs createallsubdirs"
    ]


# --- macOS bundle settings -----------------------------------------------------------------


def test_the_info_plist_values_name_this_app_and_leave_the_version_to_the_build() -> None:
    values = json.loads(INFO_PLIST.read_text(encoding="utf-8"))
    assert values["CFBundleIdentifier"] == APP_ID
    assert values["CFBundleShortVersionString"] == values["CFBundleVersion"] == "@VERSION@"
    assert values["CFBundleDisplayName"] == APP_NAME
    assert 0 < len(values["CFBundleName"]) <= 15  # Apple's limit for CFBundleName
    assert values["LSMinimumSystemVersion"] == "13.0"  # Qt 6.11: macOS 13 or later
    assert values["NSHighResolutionCapable"] is True
    assert values["LSUIElement"] is False
    assert values["LSApplicationCategoryType"] == "public.app-category.medical"
    assert plistlib.loads(plistlib.dumps(values)) == values  # every value is plist-typed
