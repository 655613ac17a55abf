"""``make package``: build the one-folder bundle and, on Linux, the tarball a therapist installs.

Run from the repository root with the project's virtual environment:

    .venv/bin/python packaging/build.py [--dist DIR]

1. PyInstaller builds ``DIR/alliance-desktop/`` from ``packaging/alliance-desktop.spec``.
2. On Linux, ``DIR/alliance-desktop-<version>-linux-<arch>/`` is staged: the bundle, the
   desktop entry, the AppStream metainfo (rendered with this version), the icons in the
   hicolor layout, ``install.sh``/``uninstall.sh`` and the licence; the desktop entry and
   metainfo are validated; then it is packed as ``….tar.gz`` with fixed owners (and, with
   ``SOURCE_DATE_EPOCH``, fixed times).
3. The sizes are printed, and written to ``DIR/package.json`` for the bundle tests and
   ``make bench``.

This is a script, not a module: the folder is called ``packaging`` like a PyPI package, so it
is never imported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alliance_desktop import APP_ID, __version__  # noqa: E402

PACKAGING = ROOT / "packaging"
RESOURCES = ROOT / "alliance_desktop" / "resources"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def folder_size(folder: Path) -> int:
    """Bytes in the regular files under ``folder`` (symlinks not followed)."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def build_bundle(dist: Path, work: Path) -> Path:
    """Run PyInstaller; return the bundle folder."""
    subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
            "--log-level", "WARN", "--distpath", str(dist), "--workpath", str(work),
            str(PACKAGING / "alliance-desktop.spec"),
        ],
        check=True,
        cwd=ROOT,
    )  # fmt: skip
    return dist / "alliance-desktop"


def _desktop(*arguments: str | Path) -> None:
    """Run ``packaging/desktop.py`` (metainfo rendering, validation)."""
    subprocess.run(
        [sys.executable, str(PACKAGING / "desktop.py"), *map(str, arguments)], check=True, cwd=ROOT
    )


def stage_linux(bundle: Path, dist: Path) -> Path:
    """Lay out the folder a therapist unpacks: bundle, desktop files, icons, scripts."""
    stage = dist / f"alliance-desktop-{__version__}-linux-{platform.machine()}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    shutil.copytree(bundle, stage / "alliance-desktop", symlinks=True)
    share = stage / "share"
    desktop_entry = share / "applications" / f"{APP_ID}.desktop"
    desktop_entry.parent.mkdir(parents=True)
    shutil.copy2(RESOURCES / f"{APP_ID}.desktop", desktop_entry)
    metainfo = share / "metainfo" / f"{APP_ID}.metainfo.xml"
    metainfo.parent.mkdir()
    _desktop("metainfo", "--out", metainfo)
    _desktop("validate", desktop_entry, metainfo)
    for size in ICON_SIZES:
        folder = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        shutil.copy2(RESOURCES / "icons" / f"alliance-desktop-{size}.png", folder / f"{APP_ID}.png")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy2(RESOURCES / "icons" / "alliance-desktop.svg", scalable / f"{APP_ID}.svg")
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy2(PACKAGING / "linux" / script, stage / script)
        (stage / script).chmod(0o755)
    shutil.copy2(PACKAGING / "linux" / "README.txt", stage / "README.txt")
    shutil.copy2(ROOT / "LICENSE", stage / "LICENSE")
    (stage / "VERSION").write_text(__version__ + "\n", encoding="utf-8")
    return stage


def pack(stage: Path) -> Path:
    """``stage`` as a .tar.gz with sorted names and root as owner."""
    when = int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0)
    archive = stage.with_name(stage.name + ".tar.gz")

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        if when:
            info.mtime = when
        return info

    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        for path in sorted([stage, *stage.rglob("*")]):
            tar.add(
                path,
                arcname=str(path.relative_to(stage.parent)),
                recursive=False,
                filter=normalise,
            )
    return archive


def main() -> int:
    """Build, stage, pack and report; exit non-zero (PyInstaller's or a validator's) on failure."""
    parser = argparse.ArgumentParser(prog="packaging/build.py", description=__doc__.split("\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller's work")
    args = parser.parse_args()
    dist: Path = args.dist.resolve()
    bundle = build_bundle(dist, args.work.resolve())
    # On Windows the windowed .exe prints nothing; its console twin runs commands and tests.
    executable = bundle / ("alliance-desktop-cli.exe" if os.name == "nt" else "alliance-desktop")
    figures: dict[str, object] = {
        "version": __version__,
        "bundle": str(bundle),
        "bundle_bytes": folder_size(bundle),
        "executable": str(executable),
    }
    print(f"bundle: {bundle} ({folder_size(bundle) / 1e6:.0f} MB)")
    if sys.platform.startswith("linux"):
        archive = pack(stage_linux(bundle, dist))
        figures.update(archive=str(archive), archive_bytes=archive.stat().st_size)
        print(f"tarball: {archive} ({archive.stat().st_size / 1e6:.0f} MB)")
    (dist / "package.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
