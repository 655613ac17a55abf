"""`backup`, `backups` and `verify` in a real process, on real files and a tiny full drive."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from tests.e2e.conftest import remount_read_only
from tests.e2e.test_cli import assert_one_line_error, digest, run

PASS = {"ALLIANCE_PASSPHRASE": "correct horse battery"}


def test_backup_list_and_verify(demo_db_path: Path, tmp_path: Path, isolated_home: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    made = run("--db", str(demo_db_path), "backup", "--to", str(stick), env=PASS)
    assert made.returncode == 0, made.stderr
    assert "(verified)" in made.stdout
    (backup,) = stick.iterdir()
    # The first backup gives the database its identifier; after that a backup (here one
    # that finds nothing changed) never changes the database.
    before = digest(demo_db_path)
    again = run("--db", str(demo_db_path), "backup", "--to", str(stick), env=PASS)
    assert again.returncode == 0 and "Nothing changed" in again.stdout
    assert digest(demo_db_path) == before

    listed = run("backups", str(stick), "--json")  # no passphrase, no database needed
    assert listed.returncode == 0, listed.stderr
    (entry,) = json.loads(listed.stdout)
    assert entry["file"] == backup.name and entry["clients"] > 0 and entry["sessions"] > 0
    assert not list(isolated_home.rglob("*.db"))  # listing created no database anywhere

    secret = tmp_path / "pass.txt"
    secret.write_text("correct horse battery\n", encoding="utf-8")
    checked = run("verify", str(backup), "--passphrase-file", str(secret))
    assert checked.returncode == 0, checked.stderr
    assert "is complete and opens" in checked.stdout
    wrong = run("verify", str(backup), env={"ALLIANCE_PASSPHRASE": "wrong"})
    assert_one_line_error(wrong, "passphrase does not open")
    backup.write_bytes(backup.read_bytes()[:-10])
    cut = run("verify", str(backup), env=PASS)
    assert_one_line_error(cut, "incomplete")


def test_a_full_stick_gets_one_line_and_no_partial_file(demo_db_path: Path, tmpfs: object) -> None:
    stick = tmpfs("stick", "24k")  # type: ignore[operator]
    result = run("--db", str(demo_db_path), "backup", "--to", str(stick), env=PASS)
    assert_one_line_error(result, "full")
    assert list(stick.iterdir()) == []


def test_restore_from_the_command_line(demo_db_path: Path, tmp_path: Path) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    assert run("--db", str(demo_db_path), "backup", "--to", str(stick), env=PASS).returncode == 0
    (backup,) = stick.iterdir()

    fresh = tmp_path / "new-laptop" / "practice.db"  # a fresh install: only the file
    missing = run("--db", str(fresh), "restore", str(backup), env=PASS)
    assert_one_line_error(missing, "does not exist")  # a typo in --db is not a new practice
    fresh.parent.mkdir()
    restored = run("--db", str(fresh), "restore", str(backup), env=PASS)
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout and str(fresh) in restored.stdout
    original = run("--db", str(demo_db_path), "export", "--out", str(tmp_path / "a.json"))
    again = run("--db", str(fresh), "export", "--out", str(tmp_path / "b.json"))
    assert original.returncode == again.returncode == 0
    first, second = (json.loads((tmp_path / n).read_text("utf-8")) for n in ("a.json", "b.json"))
    first.pop("exported_at"), second.pop("exported_at")
    assert first == second

    before = digest(fresh)
    wrong = run("--db", str(fresh), "restore", str(backup), env={"ALLIANCE_PASSPHRASE": "no"})
    assert_one_line_error(wrong, "passphrase does not open")
    assert digest(fresh) == before
    again_ok = run("--db", str(fresh), "restore", str(backup), env=PASS)
    assert again_ok.returncode == 0 and "as it was is kept in" in again_ok.stdout


def test_an_unchanged_database_is_not_copied_again_unless_forced(
    demo_db_path: Path, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    args = ("--db", str(demo_db_path), "backup", "--to", str(stick))
    assert run(*args, env=PASS).returncode == 0
    again = run(*args, env=PASS)
    assert again.returncode == 0 and "Nothing changed since the last backup" in again.stdout
    assert len(list(stick.iterdir())) == 1
    (first,) = stick.iterdir()
    forced = run(*args, "--force", env=PASS)
    assert forced.returncode == 0 and "(verified)" in forced.stdout
    # Rotation keeps the newest backup of each day, so today's earlier one goes.
    assert "Removed 1 older backup" in forced.stdout
    (second,) = stick.iterdir()
    assert second != first


def test_a_fat32_stick_backs_up_fills_up_and_restores(
    demo_db_path: Path, tmp_path: Path, fat32_stick: Path
) -> None:
    from alliance_desktop.storage.backup import filesystem_type

    assert filesystem_type(fat32_stick) == "fuse.fusefat"
    made = run("--db", str(demo_db_path), "backup", "--to", str(fat32_stick), env=PASS)
    assert made.returncode == 0, made.stderr
    (backup,) = fat32_stick.glob("*.allbak")
    assert run("verify", str(backup), env=PASS).returncode == 0
    kept = backup.read_bytes()

    # Fill the stick: fusefat reports a full FAT as EPERM, and no free space beforehand.
    with contextlib.suppress(OSError), (fat32_stick / "filler").open("wb") as filler:
        for _ in range(1000):
            filler.write(bytes(1024 * 1024))
    listing = sorted(p.name for p in fat32_stick.iterdir())  # fusefat shows the label too
    full = run("--db", str(demo_db_path), "backup", "--to", str(fat32_stick), "--force", env=PASS)
    assert_one_line_error(full, "full")
    assert sorted(p.name for p in fat32_stick.iterdir()) == listing
    assert backup.read_bytes() == kept

    fresh = tmp_path / "laptop"
    fresh.mkdir()
    restored = run("--db", str(fresh / "practice.db"), "restore", str(backup), env=PASS)
    assert restored.returncode == 0, restored.stderr


def test_a_read_only_stick_gets_one_line(demo_db_path: Path, tmpfs: object) -> None:
    stick = tmpfs("stick", "4m")  # type: ignore[operator]
    assert run("--db", str(demo_db_path), "backup", "--to", str(stick), env=PASS).returncode == 0
    before = sorted(p.name for p in stick.iterdir())
    remount_read_only(stick)
    result = run("--db", str(demo_db_path), "backup", "--to", str(stick), "--force", env=PASS)
    assert_one_line_error(result, "read-only")
    assert sorted(p.name for p in stick.iterdir()) == before
