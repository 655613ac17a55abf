"""Real small filesystems for end-to-end tests (a full disk, a read-only drive, a FAT32 stick)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mount tiny tmpfs volumes (root only; skipped where mounting is not allowed)."""
    mounted: list[Path] = []

    def mount(name: str, size: str, *, read_only: bool = False) -> Path:
        point = tmp_path / name
        point.mkdir()
        options = f"size={size},mode=0700" + (",ro" if read_only else "")
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


def remount_read_only(point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)


@pytest.fixture
def fat32_stick(tmp_path: Path) -> Iterator[Path]:
    """A FAT32 image mounted with fusefat, as a USB stick (skipped without /dev/fuse)."""
    tools = [shutil.which(t) for t in ("fusefat", "mkfs.vfat", "fusermount")]
    if not all(tools) or not os.access("/dev/fuse", os.R_OK | os.W_OK):
        pytest.skip("needs fusefat, dosfstools and a usable /dev/fuse (.ci/run installs them)")
    image = tmp_path / "stick.img"
    point = tmp_path / "THERAPY"
    point.mkdir()
    with image.open("wb") as handle:
        handle.truncate(40 * 1024 * 1024)
    subprocess.run(["mkfs.vfat", "-F", "32", "-n", "THERAPY", str(image)], check=True,
                   capture_output=True)  # fmt: skip
    mounted = subprocess.run(
        ["fusefat", "-o", "rw+", str(image), str(point)],
        check=False,
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"fusefat cannot mount here: {mounted.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["fusermount", "-u", str(point)], check=False, capture_output=True)
