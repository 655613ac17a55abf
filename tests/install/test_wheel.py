"""The wheel carries everything the app reads at run time.

Built from the checkout, installed into a fresh virtual environment outside it, and used
from another folder: a PDF written that way proves the fonts travel as package data (before
issue 17 they lived in a ``resources/`` folder beside the package and a wheel could not print).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from pypdf import PdfReader

from tests.keyed import TEST_PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{command}: {result.stdout}\n{result.stderr}"
    return result.stdout


def test_a_wheel_installed_outside_the_checkout_writes_a_pdf_with_its_fonts(
    tmp_path: Path,
) -> None:
    # Nothing of the checkout may leak in: the suite puts it on PYTHONPATH for its own child
    # processes, and pip would then take its egg-info for an installed copy and skip the wheel.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "ALLIANCE_DB", "ALLIANCE_HOME"}
    }
    env.update(ALLIANCE_HOME=str(tmp_path / "home"), ALLIANCE_PASSPHRASE=TEST_PASSPHRASE)
    # Built from a copy of the sources: pip would otherwise leave build/ in the checkout.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "alliance_desktop", source / "alliance_desktop",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, source,
         cwd=tmp_path, env=env)  # fmt: skip
    (wheel,) = wheels.glob("alliance_desktop-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "alliance_desktop/resources/fonts/DejaVuSans.ttf",
        "alliance_desktop/resources/fonts/DejaVuSans-Bold.ttf",
        "alliance_desktop/resources/fonts/LICENSE-DejaVu.txt",
        "alliance_desktop/resources/icons/alliance-desktop.svg",
        "alliance_desktop/resources/org.alliancedesktop.AllianceDesktop.desktop",
        "alliance_desktop/storage/migrations/script.py.mako",
    ):
        assert needed in names, f"{needed} is missing from the wheel"

    venv = tmp_path / "fresh"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path, env=env)
    _run(venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel,
         cwd=tmp_path, env=env)  # fmt: skip
    # The dependencies (PySide6, reportlab, …: hundreds of MB) come from this test run's own
    # environment through a path file; only a plain directory is added, so the checkout's
    # editable install (a finder hooked in by a .pth there) is not.
    site = Path(_run(venv / "bin" / "python", "-c",
                     "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path,
                     env=env).strip())  # fmt: skip
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run(venv / "bin" / "python", "-c",
                 "import alliance_desktop, os; print(os.path.dirname(alliance_desktop.__file__))",
                 cwd=elsewhere, env=env)  # fmt: skip
    assert Path(where.strip()).is_relative_to(venv), where

    command = venv / "bin" / "alliance-desktop"
    database = tmp_path / "practice.db"
    _run(command, "--db", database, "demo", "--clients", "3", "--as-of", "2026-11-20",
         cwd=elsewhere, env=env)  # fmt: skip
    listed = _run(command, "--db", database, "clients", "--json", cwd=elsewhere, env=env)
    code = listed.split('"code": "')[1].split('"')[0]
    pdf = tmp_path / "summary.pdf"
    _run(command, "--db", database, "report", code, "--to", "2026-11-20", "--out", pdf,
         cwd=elsewhere, env=env)  # fmt: skip

    reader = PdfReader(pdf)
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()
            base = str(descriptor["/BaseFont"])
            if "/FontDescriptor" in descriptor:
                embedded = descriptor["/FontDescriptor"].get_object()
                assert "/FontFile2" in embedded, f"{base} is not embedded"
            fonts.add(base.rsplit("+", maxsplit=1)[-1])
    assert "DejaVuSans" in fonts
    assert code in reader.pages[0].extract_text()
