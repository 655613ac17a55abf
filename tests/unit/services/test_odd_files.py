"""Odd files met by the services (issue 16): JSON that no file of ours holds, a pipe or a
device where a file belongs, settings of the wrong type, and the atomic writer asked to
replace something that is not a regular file. Each ends in one InvalidInput sentence and
leaves everything as it was."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from alliance_desktop.services import settings as settings_service
from alliance_desktop.services.atomic import atomic_file, atomic_folder, save_export
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.json_files import read_json_file
from alliance_desktop.services.session_form import measure_plan
from alliance_desktop.services.text_packs import read_text_pack
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX pipes and devices")


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    yield path
    assert stat.S_ISFIFO(path.lstat().st_mode)  # never replaced, never removed


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ read_json_file


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 50_000 + "]" * 50_000, "a thousand levels deep or more"),
        ('{"a": ' + "9" * 5000 + "}", "more than 4,300 digits"),
        ('{"a": NaN}', "holds NaN, which is not a number"),
        ('{"a": -Infinity}', "holds -Infinity, which is not a number"),
        ('{"a": 1e999}', "a number too large"),
        ('{"a": 1', "is not valid JSON"),
    ],
    ids=["deep", "long-integer", "nan", "infinity", "overflow", "cut-short"],
)
def test_json_no_file_of_ours_holds_is_one_sentence(tmp_path: Path, text: str, words: str) -> None:
    path = _write(tmp_path / "odd.json", text)
    with pytest.raises(InvalidInput, match=words) as caught:
        read_json_file(path, "a session")
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_text_pack_nested_deep_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "pack.json", '{"item_texts": ' + "[" * 60_000 + "]" * 60_000 + "}")
    with pytest.raises(InvalidInput, match="not a text pack"):
        read_text_pack(path)


def test_a_pipe_is_never_opened(fifo: Path) -> None:
    # Opening it for reading would wait for a writer for ever; the pytest-timeout-free way
    # to prove it is not opened is that this returns at all.
    with pytest.raises(InvalidInput, match=r"is a named pipe \(FIFO\), not a file"):
        read_json_file(fifo, "an Alliance Desktop export")


def test_a_device_is_never_read() -> None:
    with pytest.raises(InvalidInput, match="is a device, not a file"):
        read_json_file(Path("/dev/zero"), "a session")


def test_a_file_over_the_cap_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024**2)  # sparse
    with pytest.raises(InvalidInput, match="larger than 1 MB, too large for a session"):
        read_json_file(path, "a session", max_bytes=1024**2)


def test_a_file_with_a_byte_order_mark_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "notepad.json"
    path.write_bytes(b'\xef\xbb\xbf{"a": [1, 2.5]}')
    assert read_json_file(path, "a session") == {"a": [1, 2.5]}


# ------------------------------------------------------------------ settings


def test_imported_settings_are_checked_and_named() -> None:
    check = settings_service.check_imported_settings
    check({})
    check({"practice": {"practice_name": "Hill Practice", "default_instruments": ["ORS"]}})
    check({"backup": {"keep_daily": 3}, "practice": None, "unknown.later": {"x": 1}})
    for bad, named in (
        ({"practice": {"default_instruments": "ORS"}}, "settings.practice.default_instruments"),
        ({"practice": {"credentials": ["a"]}}, "settings.practice.credentials must be text"),
        ({"practice": {"practice_name": "x" * 201}}, "longer than 200 characters"),
        ({"backup": {"remind_after_days": 3.5}}, "settings.backup.remind_after_days"),
        ({"backup": {"keep_weekly": True}}, "settings.backup.keep_weekly"),
        ({"backup": {"keep_monthly": 10**30}}, "it is out of range"),
        ({"backup": {"remind_after_days": 0}}, "Remind after at least 1 day"),
        ({"alert_settings": {"disabled": "all"}}, "settings.alert_settings"),
    ):
        with pytest.raises(InvalidInput, match=named):
            check(bad)


def test_stored_settings_of_the_wrong_type_fall_back_field_by_field() -> None:
    practice = settings_service.practice_from_stored(
        {"practice_name": "Hill Practice", "clinician_name": 5, "default_instruments": 3}
    )
    assert practice.practice_name == "Hill Practice"
    assert practice.clinician_name == ""
    assert practice.default_instruments == settings_service.DEFAULT_INSTRUMENTS
    nested = settings_service.practice_from_stored({"default_instruments": [["ORS"], "SRS"]})
    assert nested.default_instruments == ("SRS",)
    assert settings_service.practice_from_stored([1, 2]) == settings_service.PracticeSettings()

    backup = settings_service.backup_settings_from_stored(
        {"keep_daily": "7", "keep_weekly": 2, "extra": 1}
    )
    assert (backup.keep_daily, backup.keep_weekly) == (7, 2)
    nothing_kept = {"keep_daily": 0, "keep_weekly": 0, "keep_monthly": 0}
    assert (
        settings_service.backup_settings_from_stored(nothing_kept)
        == settings_service.BackupSettings()
    )


def test_a_bad_stored_practice_setting_does_not_stop_a_new_session(new_db: Database) -> None:
    """A new session's measures come from the practice's defaults (no client plan is
    stored for client 1): a number stored there used to raise TypeError."""
    repository.set_setting(new_db, "practice", {"default_instruments": 3})
    assert measure_plan(new_db, 1) == list(settings_service.DEFAULT_INSTRUMENTS)
    repository.set_setting(new_db, "practice", {"default_instruments": [["ORS"]]})
    assert measure_plan(new_db, 1) == []
    repository.set_setting(new_db, "backup", {"keep_daily": []})
    assert settings_service.load_backup_settings(new_db) == settings_service.BackupSettings()


# ------------------------------------------------------------------ atomic writer


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_the_atomic_writer_never_replaces_a_non_file(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "export.json"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    with pytest.raises(InvalidInput, match=r"not a file|is a folder"), atomic_file(target) as f:
        f.write("clinical data")
    assert (stat.S_ISFIFO if kind == "fifo" else stat.S_ISDIR)(target.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json"]  # no partial left


def test_the_atomic_writer_checks_again_before_the_rename(tmp_path: Path) -> None:
    """A pipe that appears while the file is written is not replaced either."""
    target = tmp_path / "export.json"
    with pytest.raises(InvalidInput, match="named pipe"), atomic_file(target) as f:
        f.write("clinical data")
        os.mkfifo(target)
    assert stat.S_ISFIFO(target.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json"]


def test_save_export_and_atomic_folder_refuse_a_pipe(fifo: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="never writes over one"):
        save_export(fifo, b"%PDF", [tmp_path / "practice.db"])
    with pytest.raises(InvalidInput, match="never writes over one"), atomic_folder(fifo):
        pass


@pytest.mark.parametrize("length", [256, 300])
def test_a_name_the_drive_cannot_hold_is_refused_before_writing(
    tmp_path: Path, length: int
) -> None:
    target = tmp_path / ("n" * length)
    with pytest.raises(InvalidInput, match="is too long"), atomic_file(target) as f:
        f.write("x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["n" * 250 + ".json", "Ж" * 120 + ".json"])
def test_the_longest_name_still_writes(tmp_path: Path, name: str) -> None:
    """The temporary name repeats only part of the final one (at most 100 bytes), so a
    name of 255 bytes, Latin or not, works."""
    target = tmp_path / name
    with atomic_file(target) as f:
        f.write("{}")
    assert target.read_text(encoding="utf-8") == "{}"
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_unusable_stored_alert_settings_fall_back_to_the_defaults(tmp_path: Path) -> None:
    from alliance_desktop.domain.alerts import AlertSettings
    from alliance_desktop.services.summaries import ALERT_SETTINGS_KEY, load_alert_settings
    from alliance_desktop.storage import repository
    from tests.keyed import open_database

    db = open_database(tmp_path / "practice.db")
    try:
        repository.set_setting(db, ALERT_SETTINGS_KEY, {"disabled": "all", "cutoffs": [1, 2]})
        assert load_alert_settings(db) == AlertSettings()
    finally:
        db.close()
