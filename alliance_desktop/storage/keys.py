"""The database key and the key file beside the database that unlocks it.

Every practice database is encrypted with SQLCipher under a random 256-bit *database key*.
That key is stored only wrapped (AES-256-GCM) in ``<database>.keys``, a small JSON file
beside the database, once per *slot*:

- ``passphrase``: wrapped under a key derived from the therapist's passphrase with Argon2id;
- ``recovery``: wrapped under a key derived from the recovery code printed on the recovery
  sheet, so the sheet unlocks the database when the passphrase is forgotten.

Wrapping, rather than deriving the database key from the passphrase directly, makes a
passphrase change one atomic rewrite of this small file: a kill leaves the old file or the
new one, and the old or the new passphrase works, never neither. A wrong passphrase is
detected by the GCM tag of its slot, before the database file is even opened, so a failed
unlock leaves every database file byte-identical.

The key file holds nothing readable about the records; without it the database cannot be
decrypted, which is why every copy the app makes of a database carries its key file along.
Neither the passphrase nor the key ever appears in a message, a log line or a ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2.exceptions import HashingError

from alliance_desktop.storage.errors import StorageError
from alliance_desktop.storage.files import fsync_dir

KEYS_SUFFIX = ".keys"
_FORMAT = "alliance-desktop-keys"
_VERSION = 1
KEY_BYTES = 32
#: Set to "1" by the test suite only: new key files then use a cheap Argon2id (tests open
#: thousands of databases). The parameters are stored in the key file, so this never
#: weakens a file made without it.
FAST_KDF_ENV = "ALLIANCE_TEST_FAST_KDF"
# Recovery codes: 30 characters of Crockford's base32 (150 bits) in groups of five.
_RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECOVERY_LENGTH = 30
MIN_PASSPHRASE_LENGTH = 8


class WrongPassphrase(StorageError):
    """The passphrase (or recovery code) does not open this database's key file."""


class KeyFileProblem(StorageError):
    """The key file is missing, damaged or does not belong to the database."""


@dataclass(frozen=True)
class KdfSettings:
    """Argon2id parameters of one slot; stored with the slot so they can grow over time."""

    time_cost: int
    memory_kib: int
    parallelism: int

    def to_dict(self) -> dict[str, int]:
        return {
            "time_cost": self.time_cost,
            "memory_kib": self.memory_kib,
            "parallelism": self.parallelism,
        }


#: About 0.4 s on the 2-core machines here and half a second on a typical laptop; 256 MiB
#: of memory makes guessing on graphics cards expensive (RFC 9106, section 4).
UNLOCK_KDF = KdfSettings(time_cost=3, memory_kib=256 * 1024, parallelism=4)
_FAST_KDF = KdfSettings(time_cost=1, memory_kib=8 * 1024, parallelism=1)


def new_kdf() -> KdfSettings:
    """The parameters for a new slot (cheap only in the test suite)."""
    return _FAST_KDF if os.environ.get(FAST_KDF_ENV) == "1" else UNLOCK_KDF


class DatabaseKey:
    """The raw database key. Its ``repr`` and ``str`` never show it."""

    __slots__ = ("_raw",)

    def __init__(self, raw: bytes) -> None:
        if len(raw) != KEY_BYTES:
            raise ValueError("a database key is 32 bytes")
        self._raw = raw

    @classmethod
    def generate(cls) -> DatabaseKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    @property
    def raw(self) -> bytes:
        return self._raw

    def pragma_value(self) -> str:
        """The key as SQLCipher's raw-key literal (``x'…'``), used in ``PRAGMA key``."""
        return f"x'{self._raw.hex()}'"

    def __repr__(self) -> str:
        return "DatabaseKey(hidden)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatabaseKey) and secrets.compare_digest(self._raw, other._raw)

    def __hash__(self) -> int:
        return hash(self._raw)


def keys_path(database: Path) -> Path:
    """The key file that belongs to ``database``."""
    return database.with_name(database.name + KEYS_SUFFIX)


#: Key derivations started early (``begin_unlock``), by their inputs; each is taken once.
_EARLY: dict[tuple[str, bytes, KdfSettings], _EarlyDerivation] = {}


class _EarlyDerivation(threading.Thread):
    """One Argon2id derivation on a thread of its own. Argon2 runs in C without the GIL,
    so the program goes on loading its modules on the main thread meanwhile."""

    def __init__(self, secret: str, salt: bytes, kdf: KdfSettings) -> None:
        super().__init__(name="key-derivation", daemon=True)
        self._inputs = (secret, salt, kdf)
        self._result: bytes | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        try:
            self._result = _compute(*self._inputs)
        except BaseException as exc:  # handed to the thread that needs the key
            self._error = exc

    def result(self) -> bytes:
        self.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


def begin_unlock(database: Path, passphrase: str) -> None:
    """Start deriving the passphrase slot's key on a thread, so a command's imports run
    beside the deliberate slowness of Argon2id; ``unlock`` later takes the result.

    Only ever an optimisation: it reads the key file and, when anything is off (no key file,
    a damaged one), does nothing, leaving the real unlock to report it. It is a memo of a
    pure function of its inputs, so a key file rewritten in between is simply derived anew.
    """
    try:
        entry = _read(database)["slots"]["passphrase"]
        salt = base64.b64decode(entry["salt"], validate=True)
        kdf = KdfSettings(
            int(entry["time_cost"]), int(entry["memory_kib"]), int(entry["parallelism"])
        )
    except (StorageError, KeyError, TypeError, ValueError, binascii.Error):
        return
    inputs = (passphrase, salt, kdf)
    if inputs not in _EARLY:
        derivation = _EarlyDerivation(*inputs)
        try:
            derivation.start()
        except RuntimeError:  # no thread to be had: the unlock derives as it always did
            return
        _EARLY[inputs] = derivation


def forget_early_unlocks() -> None:
    """Drop every early derivation not taken (with the passphrase it holds): one serves
    only the first unlock after it, and a lock must not leave a passphrase in memory."""
    _EARLY.clear()


def _derive(secret: str, salt: bytes, kdf: KdfSettings) -> bytes:
    early = _EARLY.pop((secret, salt, kdf), None)
    if early is not None:
        return early.result()
    return _compute(secret, salt, kdf)


def _compute(secret: str, salt: bytes, kdf: KdfSettings) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return bytes(
        hash_secret_raw(
            secret.encode("utf-8"),
            salt,
            time_cost=kdf.time_cost,
            memory_cost=kdf.memory_kib,
            parallelism=kdf.parallelism,
            hash_len=KEY_BYTES,
            type=Type.ID,
        )
    )


def _aad(slot: str) -> bytes:
    return f"{_FORMAT}/{_VERSION}/{slot}".encode()


def _wrap(slot: str, secret: str, key: DatabaseKey, kdf: KdfSettings) -> dict[str, Any]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    wrapped = AESGCM(_derive(secret, salt, kdf)).encrypt(nonce, key.raw, _aad(slot))
    return {
        "kdf": "argon2id",
        **kdf.to_dict(),
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "wrapped": base64.b64encode(wrapped).decode(),
    }


def _unwrap(slot: str, entry: dict[str, Any], secret: str) -> DatabaseKey | None:
    """The key from one slot, or None when ``secret`` is not the one it was wrapped under."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    kdf = KdfSettings(int(entry["time_cost"]), int(entry["memory_kib"]), int(entry["parallelism"]))
    salt = base64.b64decode(entry["salt"], validate=True)
    nonce = base64.b64decode(entry["nonce"], validate=True)
    wrapped = base64.b64decode(entry["wrapped"], validate=True)
    try:
        raw = AESGCM(_derive(secret, salt, kdf)).decrypt(nonce, wrapped, _aad(slot))
    except InvalidTag:
        return None
    return DatabaseKey(raw)


def _read(database: Path) -> dict[str, Any]:
    path = keys_path(database)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyFileProblem(
            f"The key file {path.name} beside {database.name} is missing, and the database "
            "cannot be opened without it. Put it back beside the database (it travels with "
            "every copy), or restore your latest backup."
        ) from None
    except OSError as exc:
        raise KeyFileProblem(f"Cannot read the key file {path}: {exc.strerror or exc}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        document = None
    if (
        not isinstance(document, dict)
        or document.get("format") != _FORMAT
        or not isinstance(document.get("slots"), dict)
    ):
        raise KeyFileProblem(
            f"The key file {path.name} is damaged, so {database.name} cannot be unlocked. "
            "Restore your latest backup."
        )
    if document.get("version") != _VERSION:
        raise KeyFileProblem(
            f"The key file {path.name} was written by a newer version of Alliance Desktop; "
            "install that version to open this database."
        )
    return document


def _write(database: Path, slots: dict[str, Any]) -> None:
    """Publish the key file atomically: temp file, fsync, rename, fsync the folder."""
    path = keys_path(database)
    document = {"format": _FORMAT, "version": _VERSION, "cipher": "sqlcipher4", "slots": slots}
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        fsync_dir(path.parent)
    except OSError as exc:
        raise KeyFileProblem(
            f"The key file {path} could not be written ({exc.strerror or exc}); nothing was "
            "changed. Free some space or check the folder is writable, then try again."
        ) from None


def set_aside(database: Path) -> Path | None:
    """Rename a key file left where a new one is about to be written; never delete it (the
    database it unlocks may have been moved, and is unreadable without it)."""
    from datetime import datetime

    old = keys_path(database)
    if not old.exists():
        return None
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    kept = old.with_name(f"{old.name}.orphaned-{stamp}")
    serial = 1
    while kept.exists():
        serial += 1
        kept = old.with_name(f"{old.name}.orphaned-{stamp}-{serial}")
    old.rename(kept)
    return kept


def has_key_file(database: Path) -> bool:
    return keys_path(database).exists()


def create_key_file(
    database: Path, passphrase: str, *, key: DatabaseKey | None = None
) -> DatabaseKey:
    """Write a key file for ``database`` with a passphrase slot; return the database key.

    ``key`` reuses an existing key (a restore into a new place); otherwise a new one is made.
    """
    check_new_passphrase(passphrase)
    forget_early_unlocks()  # (one started for a key file now set aside serves nothing)
    key = key or DatabaseKey.generate()
    _write(database, {"passphrase": _wrap("passphrase", passphrase, key, new_kdf())})
    return key


def check_new_passphrase(passphrase: str) -> None:
    """Refuse a passphrase too short to protect health records."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise WrongPassphrase(
            f"Choose a passphrase of at least {MIN_PASSPHRASE_LENGTH} characters; a few "
            "ordinary words in a row are easy to remember and hard to guess."
        )


def unlock(database: Path, passphrase: str) -> DatabaseKey:
    """The database key, from the passphrase slot.

    Raises:
        WrongPassphrase: The passphrase is not this database's.
        KeyFileProblem: The key file is missing or damaged.
    """
    try:
        return _unlock_slot(database, "passphrase", passphrase)
    finally:
        forget_early_unlocks()


def unlock_with_recovery(database: Path, code: str) -> DatabaseKey:
    """The database key, from the recovery slot (the code on the recovery sheet)."""
    document = _read(database)
    if "recovery" not in document["slots"]:
        raise WrongPassphrase(
            f"{database.name} has no recovery sheet yet; it can only be unlocked with its "
            "passphrase."
        )
    return _unlock_slot(database, "recovery", normalise_recovery_code(code), document)


def _unlock_slot(
    database: Path, slot: str, secret: str, document: dict[str, Any] | None = None
) -> DatabaseKey:
    document = document or _read(database)
    entry = document["slots"].get(slot)
    try:
        if not isinstance(entry, dict):
            raise ValueError("no such slot")
        key = _unwrap(slot, entry, secret)
    except (KeyError, TypeError, ValueError, binascii.Error, HashingError):
        raise KeyFileProblem(
            f"The key file {keys_path(database).name} is damaged, so {database.name} cannot "
            "be unlocked. Restore your latest backup."
        ) from None
    if key is None:
        what = "passphrase" if slot == "passphrase" else "recovery code"
        raise WrongPassphrase(
            f"That {what} does not unlock {database.name}. Check Caps Lock and the keyboard "
            "layout, and try again."
        )
    return key


def change_passphrase(database: Path, key: DatabaseKey, new_passphrase: str) -> None:
    """Re-wrap the key under a new passphrase (other slots kept); atomic."""
    check_new_passphrase(new_passphrase)
    slots = dict(_read(database)["slots"])
    slots["passphrase"] = _wrap("passphrase", new_passphrase, key, new_kdf())
    _write(database, slots)


def generate_recovery_code() -> str:
    """A new recovery code, grouped for printing (nothing is stored until ``set_recovery_code``,
    so a sheet that fails to print never replaces a working one)."""
    code = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return format_recovery_code(code)


def set_recovery_code(database: Path, key: DatabaseKey, code: str) -> None:
    """Make ``code`` the one that unlocks the recovery slot (an earlier sheet stops working)."""
    slots = dict(_read(database)["slots"])
    slots["recovery"] = _wrap("recovery", normalise_recovery_code(code), key, new_kdf())
    _write(database, slots)


def new_recovery_code(database: Path, key: DatabaseKey) -> str:
    """Generate a recovery code, store it in the recovery slot and return it."""
    code = generate_recovery_code()
    set_recovery_code(database, key, code)
    return code


def has_recovery(database: Path) -> bool:
    try:
        return "recovery" in _read(database)["slots"]
    except StorageError:
        return False


def format_recovery_code(code: str) -> str:
    """``ABCDE-FGHJK-…``: groups of five, as printed on the sheet."""
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))


def normalise_recovery_code(text: str) -> str:
    """The code as typed, read forgivingly: case, spaces and dashes ignored, O→0, I/L→1."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return cleaned.translate(str.maketrans("OIL", "011"))


def copy_key_file(database: Path, copy: Path) -> None:
    """Give a copy of ``database`` its own key file (the same key, so the same secrets)."""
    _write(copy, dict(_read(database)["slots"]))
