"""What a backup costs, and that making it cheaper kept every check and every old file.

The key is derived once per backup; a file changed on the drive between its write and its
read-back is still refused, as is a pipeline that does not give back the snapshot; every
backup in ``tests/fixtures`` still restores and a backup written now is, byte for byte, what
the one-call writer made (zlib, then one ``AESGCM.encrypt``); and the memory Python holds
while a backup is made stays within one database image plus one payload.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tracemalloc
import zlib
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import IO

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_desktop.storage import backup as backup_module
from alliance_desktop.storage.backup import (
    COMPRESSION_LEVEL,
    PARTIAL_SUFFIX,
    SUFFIX,
    BackupError,
    FileOps,
    KdfParams,
    decrypt,
    unpack,
    verify_bytes,
)
from tests.keyed import TEST_PASSPHRASE, make_backup, raw_connect
from tests.unit.storage.test_database import FIXTURES

FAST = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)  # tests only
PASS = TEST_PASSPHRASE
WHEN = datetime(2026, 11, 25, 18, 30, 0)
LATER = datetime(2026, 11, 26, 9, 0, 0)


@pytest.fixture
def stick(tmp_path: Path) -> Path:
    folder = tmp_path / "stick"
    folder.mkdir()
    return folder


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[KdfParams]:
    """Every key derivation from a passphrase the backup module makes, by its parameters."""
    made: list[KdfParams] = []
    real = backup_module._key

    def counted(passphrase: str, kdf: KdfParams) -> bytes:
        made.append(kdf)
        return real(passphrase, kdf)

    monkeypatch.setattr(backup_module, "_key", counted)
    return made


def _backup(db: Path, folder: Path, when: datetime = WHEN, **options: object) -> Path:
    made = make_backup(db, folder, PASS, app_version="0.test", now=when, kdf=FAST, **options)
    return Path(made.path)


def _change_a_note(db: Path) -> None:
    conn = raw_connect(db)
    conn.execute("UPDATE sessions SET notes = 'changed' WHERE id = (SELECT min(id) FROM sessions)")
    conn.commit()
    conn.close()


def test_the_key_is_derived_once_per_backup(
    demo_db_path: Path, stick: Path, derivations: list[KdfParams]
) -> None:
    path = _backup(demo_db_path, stick)
    assert len(derivations) == 1  # encryption, fingerprint and the read-back check share it
    header, _ = unpack(path.read_bytes())
    assert derivations == [header.kdf]  # with the parameters and salt the file carries
    verify_bytes(path.read_bytes(), PASS)  # and the reader, deriving it itself, opens it

    # "Nothing changed" opens the newest backup with its own key (its own salt) and uses
    # that one key for the fingerprint and for checking the file: one derivation, no file.
    derivations.clear()
    assert _backup(demo_db_path, stick, LATER, skip_unchanged=True) == path
    assert len(derivations) == 1 and derivations[0] == header.kdf

    # A change: the newest backup's key, to compare, then the new backup's own.
    _change_a_note(demo_db_path)
    derivations.clear()
    newer = _backup(demo_db_path, stick, LATER, skip_unchanged=True)
    assert newer != path and len(derivations) == 2
    assert derivations[0] == header.kdf and derivations[1] == unpack(newer.read_bytes())[0].kdf


class _ChangedOnTheDrive(FileOps):
    """The drive hands back something else than was written: ``change`` is applied to the
    file after it was written and synced, before it is read back."""

    def __init__(self, change: Callable[[bytes], bytes]) -> None:
        self.change = change
        self.path: Path | None = None

    def open_write(self, path: Path) -> IO[bytes]:
        self.path = path
        return super().open_write(path)

    def fsync(self, handle: IO[bytes]) -> None:
        super().fsync(handle)
        assert self.path is not None
        self.path.write_bytes(self.change(self.path.read_bytes()))


def _flip(offset: Callable[[bytes], int]) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        changed = bytearray(data)
        changed[offset(data)] ^= 0x01
        return bytes(changed)

    return change


def _payload_start(data: bytes) -> int:
    return len(data) - unpack(data)[0].payload_size


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_flip(lambda d: 3), id="magic"),
        pytest.param(_flip(lambda d: d.index(b'"clients": ') + 11), id="header"),
        pytest.param(_flip(lambda d: d.index(b'"salt": "') + 10), id="salt"),
        pytest.param(_flip(_payload_start), id="first-payload-byte"),
        pytest.param(_flip(lambda d: (_payload_start(d) + len(d)) // 2), id="mid-payload"),
        pytest.param(_flip(lambda d: len(d) - 1), id="tag"),
        pytest.param(lambda d: d[:-1000], id="cut-short"),
        pytest.param(lambda d: d + b"\x00", id="one-byte-more"),
        pytest.param(lambda d: d[: len(d) // 2] + bytes(len(d) - len(d) // 2), id="zeros"),
    ],
)
def test_a_backup_changed_on_the_drive_before_the_read_back_is_refused(
    demo_db_path: Path, stick: Path, change: Callable[[bytes], bytes]
) -> None:
    earlier = _backup(demo_db_path, stick)
    before = earlier.read_bytes()
    with pytest.raises(BackupError):
        _backup(demo_db_path, stick, LATER, ops=_ChangedOnTheDrive(change))
    assert list(stick.iterdir()) == [earlier]  # no partial file, nothing under a final name
    assert earlier.read_bytes() == before


def test_a_stale_but_whole_backup_read_back_is_refused(demo_db_path: Path, stick: Path) -> None:
    """The drive returns an earlier, perfectly good backup instead of the new file."""
    earlier = _backup(demo_db_path, stick)
    stale = earlier.read_bytes()
    with pytest.raises(BackupError, match="did not read back as it was written"):
        _backup(demo_db_path, stick, LATER, ops=_ChangedOnTheDrive(lambda _data: stale))
    assert list(stick.iterdir()) == [earlier]


def test_a_compression_that_does_not_give_back_the_snapshot_is_refused(
    demo_db_path: Path, stick: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-back check inflates what it decrypted and compares it with the snapshot's
    hash: a file that is whole, authentic and as written, but holds other bytes than the
    snapshot that was checked, never gets a name."""
    real = backup_module._hash_and_compress

    def wrong(pieces: Iterable[bytes]) -> tuple[int, bytes, object]:
        plain = b"".join(pieces)
        size, digest, _ = real([plain])
        _, _, other = real([plain[:-1] + bytes([plain[-1] ^ 0x01])])
        return size, digest, other

    monkeypatch.setattr(backup_module, "_hash_and_compress", wrong)
    with pytest.raises(BackupError, match="did not read back as it was written"):
        _backup(demo_db_path, stick)
    assert list(stick.iterdir()) == []


def test_the_read_back_asks_for_the_bytes_on_the_drive(
    demo_db_path: Path, stick: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not hasattr(os, "posix_fadvise"):
        pytest.skip("no posix_fadvise here")
    advised: list[tuple[str, int]] = []
    real = os.posix_fadvise

    def advise(fd: int, offset: int, length: int, advice: int) -> None:
        advised.append((os.readlink(f"/proc/self/fd/{fd}"), advice))
        real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", advise)
    _backup(demo_db_path, stick)
    assert [(Path(name).name.endswith(PARTIAL_SUFFIX), advice) for name, advice in advised] == [
        (True, os.POSIX_FADV_DONTNEED)
    ]


def test_a_damaged_newest_backup_does_not_stand_in_for_a_new_one(
    demo_db_path: Path, stick: Path
) -> None:
    earlier = _backup(demo_db_path, stick)
    damaged = bytearray(earlier.read_bytes())
    damaged[-200] ^= 0x01
    earlier.write_bytes(bytes(damaged))
    made = make_backup(
        demo_db_path, stick, PASS, app_version="0.test", now=LATER, kdf=FAST, skip_unchanged=True
    )
    assert not made.skipped and made.path != earlier
    verify_bytes(made.path.read_bytes(), PASS)


@pytest.mark.parametrize("chunk", [5, 1000, 64 * 1024 + 1])
def test_any_piece_size_writes_and_checks_the_same_file(
    demo_db_path: Path, stick: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Pieces that end inside the tag, or hold the header and the payload's start: the
    read-back check and the reader agree."""
    monkeypatch.setattr(backup_module, "CHUNK", chunk)
    data = _backup(demo_db_path, stick).read_bytes()
    verify_bytes(data, PASS)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_the_check_in_pieces_is_exactly_as_strict_as_the_reader(
    demo_db_path: Path, tmp_path: Path, data: st.DataObject
) -> None:
    """On a file cut short or changed anywhere, the piecewise check (the read-back's and
    "nothing changed"'s, with and without the image) refuses exactly when ``decrypt``
    refuses, and all accept only the file as written."""
    folder = tmp_path / "garble"
    folder.mkdir(exist_ok=True)
    path = folder / "alliance-backup-20261125-183000.allbak"
    if not path.exists():
        _backup(demo_db_path, folder)
    good = path.read_bytes()
    header, _ = unpack(good)
    key = backup_module._key(PASS, header.kdf)
    image = decrypt(good, PASS)[1]
    plain = (len(image), hashlib.sha256(image).digest())
    cut = data.draw(st.integers(0, len(good) + 2))
    garbled = bytearray(good[:cut] + b"\x00" * max(0, cut - len(good)))
    for i in data.draw(st.lists(st.integers(0, max(0, len(garbled) - 1)), max_size=3)):
        if garbled:
            garbled[i] ^= data.draw(st.integers(1, 255))
    verdicts = []
    for check in (
        lambda: decrypt(bytes(garbled), PASS),
        lambda: backup_module._check_stream(io.BytesIO(garbled), key, "f", expected=header),
        lambda: backup_module._check_stream(
            io.BytesIO(garbled), key, "f", expected=header, plain=plain
        ),
    ):
        try:
            check()
            verdicts.append(True)
        except BackupError:
            verdicts.append(False)
    assert verdicts in ([True, True, True], [False, False, False]), verdicts
    if verdicts[0]:  # the file as written (JSON may differ in spaces: the same header)
        assert unpack(bytes(garbled)) == unpack(good)


@pytest.mark.parametrize("old", sorted(FIXTURES.glob(f"*{SUFFIX}")), ids=lambda p: p.name)
def test_every_old_backup_in_the_fixtures_still_restores(old: Path, tmp_path: Path) -> None:
    from alliance_desktop.services.backups import restore_from, verify_backup

    header = verify_backup(old, PASS)
    fresh = tmp_path / "laptop" / "practice.db"
    fresh.parent.mkdir()
    restored, kept = restore_from(old, PASS, fresh)
    assert kept is None and restored == header
    conn = raw_connect(fresh)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM clients").fetchone()[0] == header.clients
    finally:
        conn.close()


def test_the_fixtures_hold_an_old_backup() -> None:
    assert list(FIXTURES.glob(f"*{SUFFIX}"))  # the test above is not vacuous


def test_a_backup_written_now_is_what_the_one_call_writer_made(
    demo_db_path: Path, stick: Path
) -> None:
    """Same format, same bytes: the payload is ``AESGCM.encrypt`` of ``zlib.compress`` of
    the image, as the writer before the pieces made it, so every reader, old or new, opens it."""
    data = _backup(demo_db_path, stick).read_bytes()
    header, payload = unpack(data)
    _, image = decrypt(data, PASS)
    key = backup_module._key(PASS, header.kdf)
    nonce = base64.b64decode(header.nonce)
    aad = backup_module._aad(header, with_hash=False)
    assert payload == AESGCM(key).encrypt(nonce, zlib.compress(image, COMPRESSION_LEVEL), aad)
    assert verify_bytes(data, PASS) == header


def test_python_memory_while_backing_up_stays_within_one_image_and_one_payload(
    demo_db_path: Path, stick: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What Python holds at its peak during ``make_backup`` (tracemalloc: Python objects, so
    not SQLite's own copy of the snapshot nor Argon2's work area; the benchmark measures the
    whole process) is at most one database image (the portable snapshot's ``serialize``
    returns it as one object; built in RAM it is never a Python object, see test_snapshot),
    the compressed stream or the payload (one at a time: each piece is dropped once
    encrypted, and once written), and a few pieces in flight. The writer before held the image, the
    compressed stream, the payload and the packed file at once, then the file read back and
    its decryption: 2.4 to 4.3 times the image on demo databases, against 1.4 to 1.6 times
    now (0.75 MB and 5.5 MB databases). Pieces are made small here, so that the bound is
    tight on a small database: ``slack`` is 16 of them (1 MiB).
    """
    monkeypatch.setattr(backup_module, "CHUNK", 64 * 1024)
    slack = 16 * backup_module.CHUNK
    tracemalloc.start()
    try:
        made = make_backup(demo_db_path, stick, PASS, app_version="0.test", now=WHEN, kdf=FAST)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    image = len(decrypt(made.path.read_bytes(), PASS)[1])
    payload = made.header.payload_size
    assert peak <= image + payload + slack, (peak, image, payload)
    database = demo_db_path.stat().st_size
    assert peak <= 2 * database, (peak, database)  # the demo compresses about 4.5 to 1
