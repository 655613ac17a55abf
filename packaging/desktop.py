"""Desktop integration files for Alliance Desktop: the app icons, the AppStream metainfo, checks.

A script, not a module: ``packaging/`` is deliberately not a Python package (the name belongs
to PyPI's ``packaging``), so never import this as ``packaging.desktop``. Run it from anywhere::

    .venv/bin/python packaging/desktop.py icons                 # PNGs, .ico, .icns from the SVGs
    .venv/bin/python packaging/desktop.py metainfo --out FILE   # render the AppStream template
    .venv/bin/python packaging/desktop.py validate FILE...      # desktop-file-validate/appstreamcli

``icons`` renders ``alliance-desktop.svg`` (and, for 16 and 24 px, the redrawn
``alliance-desktop-small.svg``) with Qt's SVG renderer on the offscreen platform and writes
the Windows ``.ico`` and macOS ``.icns`` with Pillow. ``metainfo`` takes the version from
``alliance_desktop.__version__`` (the one place it is written) and the release date from
``SOURCE_DATE_EPOCH``, else the last commit's date, else today. ``validate`` runs the
freedesktop validators where they are installed and says "skipped" where they are not.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

if TYPE_CHECKING:
    from PIL import Image
    from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parent.parent
ICONS_DIR = ROOT / "alliance_desktop" / "resources" / "icons"
SOURCE_SVG = ICONS_DIR / "alliance-desktop.svg"
#: The same drawing with two-pixel strokes; the full drawing's 1-px rings smudge below 32 px.
SMALL_SVG = ICONS_DIR / "alliance-desktop-small.svg"
ICON_BASENAME = "alliance-desktop"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SMALL_SIZES = frozenset({16, 24})
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: Pixel sizes Pillow's ICNS writer stores: 16@2x, 32@2x, 128, 256 (and 128@2x), 512 (and
#: 256@2x) and 512@2x. It writes no 1x entry for 16 or 32 points; macOS scales the 2x one.
ICNS_PIXEL_SIZES = (32, 64, 128, 256, 512, 1024)
METAINFO_TEMPLATE = (
    ROOT / "packaging" / "linux" / "org.alliancedesktop.AllianceDesktop.metainfo.xml.in"
)
#: Validators and the Debian package that provides each.
DESKTOP_VALIDATOR = ("desktop-file-validate", "desktop-file-utils")
METAINFO_VALIDATOR = ("appstreamcli", "appstream")


def png_path(size: int, folder: Path = ICONS_DIR) -> Path:
    """Where the ``size`` px PNG of the app icon lives."""
    return folder / f"{ICON_BASENAME}-{size}.png"


#: Holds the QGuiApplication this script creates, so it lives as long as the process.
_QT_APP: list[object] = []


def _qt_app() -> None:
    """Make sure a Qt GUI application exists (rendering needs one); offscreen if we create it."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        _QT_APP.append(QGuiApplication(["alliance-desktop-icons"]))


def render_svg(svg: Path, size: int) -> QImage:
    """Render ``svg`` into a transparent, antialiased ``size`` x ``size`` ARGB32 image."""
    _qt_app()
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"Qt cannot read the SVG {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def render_icon(size: int) -> QImage:
    """The app icon at ``size`` px, from the drawing meant for that size."""
    return render_svg(SMALL_SVG if size in SMALL_SIZES else SOURCE_SVG, size)


def _to_pillow(image: QImage) -> Image.Image:
    """The same pixels as a Pillow image (RGBA, not premultiplied)."""
    from PIL import Image
    from PySide6.QtGui import QImage

    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)  # R, G, B, A bytes on any CPU
    size = (rgba.width(), rgba.height())
    data = bytes(rgba.constBits())
    return Image.frombuffer("RGBA", size, data, "raw", "RGBA", rgba.bytesPerLine(), 1).copy()


def generate_icons(folder: Path = ICONS_DIR) -> list[Path]:
    """Write every PNG size, ``alliance-desktop.ico`` and ``alliance-desktop.icns``; return them."""
    written: list[Path] = []
    rendered: dict[int, Image.Image] = {}
    for size in sorted({*PNG_SIZES, *ICO_SIZES, *ICNS_PIXEL_SIZES}):
        image = render_icon(size)
        if size in PNG_SIZES:
            target = png_path(size, folder)
            if not image.save(str(target)):  # PNG, from the suffix
                raise RuntimeError(f"Qt could not write {target}")
            written.append(target)
        rendered[size] = _to_pillow(image)

    ico = folder / f"{ICON_BASENAME}.ico"
    largest_ico = rendered[max(ICO_SIZES)]
    largest_ico.save(
        ico,
        format="ICO",
        sizes=[(size, size) for size in ICO_SIZES],
        append_images=[rendered[size] for size in ICO_SIZES if size != max(ICO_SIZES)],
    )
    written.append(ico)

    icns = folder / f"{ICON_BASENAME}.icns"
    largest_icns = rendered[max(ICNS_PIXEL_SIZES)]
    largest_icns.save(
        icns,
        format="ICNS",
        append_images=[rendered[s] for s in ICNS_PIXEL_SIZES if s != max(ICNS_PIXEL_SIZES)],
    )
    written.append(icns)
    return written


def app_version() -> str:
    """``alliance_desktop.__version__`` from this checkout (the one place it is written)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import alliance_desktop

    return alliance_desktop.__version__


def _last_commit_date() -> date | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        result = subprocess.run(
            [git, "log", "-1", "--format=%cs"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = result.stdout.strip()
    if result.returncode != 0 or not text:
        return None
    return date.fromisoformat(text)


def release_date(
    environ: Mapping[str, str] = os.environ,
    *,
    last_commit: Callable[[], date | None] = _last_commit_date,
    today: Callable[[], date] = date.today,
) -> date:
    """The release date for the metainfo: ``SOURCE_DATE_EPOCH`` (UTC), else the last commit's
    date, else today. Reproducible builds set ``SOURCE_DATE_EPOCH``."""
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not epoch.isdigit():
            raise ValueError(f"SOURCE_DATE_EPOCH must be seconds since 1970, not {epoch!r}")
        return datetime.fromtimestamp(int(epoch), tz=UTC).date()
    return last_commit() or today()


def render_metainfo(template: str, *, version: str, released: date) -> str:
    """Fill ``@VERSION@`` and ``@DATE@`` in the metainfo template; refuse leftovers."""
    if not re.fullmatch(r"[0-9A-Za-z.+-]+", version):
        raise ValueError(f"version {version!r} does not belong in XML unescaped")
    text = template.replace("@VERSION@", version).replace("@DATE@", released.isoformat())
    leftover = re.search(r"@[A-Z_]+@", text)
    if leftover:
        raise ValueError(f"the template still holds {leftover.group(0)} after rendering")
    try:  # well-formed even where appstreamcli is not installed to say more
        ElementTree.fromstring(text.encode("utf-8"))
    except ElementTree.ParseError as exc:
        raise ValueError(f"the rendered metainfo is not well-formed XML: {exc}") from exc
    return text


def write_metainfo(out: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """Render ``METAINFO_TEMPLATE`` into ``out`` (folders created) and return ``out``."""
    text = render_metainfo(
        METAINFO_TEMPLATE.read_text(encoding="utf-8"),
        version=app_version(),
        released=release_date(environ),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


def _validator_for(path: Path) -> tuple[str, str, list[str]]:
    """(tool, Debian package, arguments before the file) for ``path``, by its name."""
    name = path.name
    if name.endswith(".desktop"):
        tool, package = DESKTOP_VALIDATOR
        return tool, package, []
    if name.endswith((".metainfo.xml", ".appdata.xml")):
        tool, package = METAINFO_VALIDATOR
        return tool, package, ["validate", "--no-net"]
    raise ValueError(f"{path}: not a .desktop or .metainfo.xml file")


def validate(files: Sequence[Path]) -> int:
    """Validate each file with its freedesktop tool; 0 when all pass or were skipped."""
    failed = 0
    checks = [(path, *_validator_for(path)) for path in files]  # unknown kinds fail first
    for path, tool, package, args in checks:
        executable = shutil.which(tool)
        if executable is None:
            print(f"{path}: skipped: {tool} not installed (Debian package {package})")
            continue
        result = subprocess.run(
            [executable, *args, str(path)], capture_output=True, text=True, check=False
        )
        output = (result.stdout + result.stderr).strip()
        if result.returncode != 0:
            failed += 1
            print(f"{path}: FAILED ({tool} exit {result.returncode})\n{output}")
        else:
            print(f"{path}: ok ({tool})" + (f"\n{output}" if output else ""))
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="packaging/desktop.py", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("icons", help="regenerate the PNG, .ico and .icns icons from the SVGs")
    metainfo = commands.add_parser("metainfo", help="render the AppStream metainfo template")
    metainfo.add_argument("--out", type=Path, required=True, help="the .metainfo.xml to write")
    check = commands.add_parser("validate", help="validate .desktop and .metainfo.xml files")
    check.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args(argv)

    try:
        if args.command == "icons":
            for path in generate_icons():
                print(path)
            return 0
        if args.command == "metainfo":
            print(write_metainfo(args.out))
            return 0
        return validate(args.files)
    except ValueError as exc:  # a bad file, SOURCE_DATE_EPOCH or template: say which
        print(f"packaging/desktop.py: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
