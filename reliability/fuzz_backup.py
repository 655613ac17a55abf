"""Row 6: mutated backup files given to ``verify``, in this process.

The base is a real backup of a demo database made by ``storage.backup.make_backup`` with a
cheap key derivation (as tests/unit/storage/test_restore.py does; the app's own takes about
0.15 s per verify, too slow for a thousand). Mutations aim at each part of the file (the
magic, the header length, the JSON header, the encrypted payload) or rewrite the header as
JSON with a correct length. ``verify`` must exit 0 for the unmodified file and 2 for every
other, never 70.
"""

from __future__ import annotations

import json
import random
import struct
from datetime import datetime
from pathlib import Path
from typing import Any

from reliability import PASSPHRASE, RowResult
from reliability.common import run_main
from reliability.mutate import Mutator


def make_base(database: Path, folder: Path) -> Path:
    """A verified backup of ``database`` with a cheap key derivation (tests' parameters)."""
    from alliance_desktop import __version__
    from alliance_desktop.storage import keys
    from alliance_desktop.storage.backup import KdfParams, make_backup

    folder.mkdir(parents=True, exist_ok=True)
    made = make_backup(
        database,
        folder,
        PASSPHRASE,
        key=keys.unlock(database, PASSPHRASE),
        app_version=__version__,
        now=datetime(2026, 11, 20, 12, 0),
        kdf=KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1),
        database_id="reliability-fuzz-base",  # as a real backup carries one
    )
    return Path(made.path)


def _same_meaning(data: bytes, base: bytes, header: dict[str, Any], header_end: int) -> bool:
    """Whether ``data`` is the base file, or differs only in how its header is written
    (the header is authenticated by its values, as canonical JSON, not by its bytes)."""
    from alliance_desktop.storage.backup import MAGIC

    if data == base:
        return True
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
        return False
    (length,) = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])
    start = len(MAGIC) + 4
    if data[start + length :] != base[header_end:]:
        return False
    try:
        values = json.loads(data[start : start + length])
    except (ValueError, RecursionError):
        return False
    optional = {"content_mac": "", "database_id": ""}
    return isinstance(values, dict) and _typed({**optional, **values}) == _typed(
        {**optional, **header}
    )


def _typed(value: Any) -> Any:
    """A JSON value with its types made part of it (so 1, 1.0 and true differ)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


def run(database: Path, work: Path, *, runs: int, seed: int) -> RowResult:
    """``runs`` mutated backups through ``verify``."""
    from alliance_desktop.storage.backup import MAGIC

    result = RowResult("fuzzed backup files to `verify` (in-process)")
    folder = work / "fuzz-backup"
    base_path = make_base(database, folder / "base")
    base = base_path.read_bytes()
    (length,) = struct.unpack(">I", base[len(MAGIC) : len(MAGIC) + 4])
    header_start = len(MAGIC) + 4
    header_end = header_start + length
    header = json.loads(base[header_start:header_end])
    regions = {
        "magic": (0, len(MAGIC)),
        "length": (len(MAGIC), header_start),
        "header": (header_start, header_end),
        "payload start": (header_end, min(len(base), header_end + 64)),
        "payload": (header_end, len(base)),
        "payload end": (max(header_end, len(base) - 32), len(base)),
    }
    mutated = folder / "mutated.allbak"
    saved = folder / "failing"
    argv = ["verify", str(mutated)]
    mutated.write_bytes(base)
    first = run_main(argv)
    if first.returncode != 0:
        result.fail("wrong", f"the unmodified backup does not verify: {first.describe()}",
                    f"verify {base_path}")  # fmt: skip
        return result
    mutator = Mutator(random.Random(seed))
    unchanged = equivalent = 0
    for index in range(runs):
        if mutator.rng.random() < 0.25:
            what, text = mutator.json_document(header)
            what = f"header rewritten ({what})"
            data = base[: len(MAGIC)] + struct.pack(">I", len(text)) + text + base[header_end:]
        else:
            what, data = mutator.binary(base, regions)
        mutated.write_bytes(data)
        done = run_main(argv, timeout=60)
        result.runs += 1
        same = _same_meaning(data, base, header, header_end)
        wanted = 0 if same else 2
        unchanged += data == base
        equivalent += same and data != base
        problem, column = "", ""
        if done.hung:
            problem, column = "ran over 60 s", "hangs"
        elif done.internal_error:
            problem, column = done.describe(), "internal"
        elif done.returncode != wanted:
            problem = f"exit {done.returncode}, not {wanted}: {done.describe()}"
            column = "wrong"
        if problem:
            saved.mkdir(exist_ok=True)
            kept = saved / f"backup-{index}.allbak"
            kept.write_bytes(data)
            result.fail(column, f"mutation {index} ({what[:200]}): {problem}", f"verify {kept}")
    result.notes.append(
        f"{len(base):,}-byte base; {unchanged} mutations left it unchanged and {equivalent} "
        "changed only the header's bytes, not its values (re-encoded as UTF-16, keys "
        "reordered, an empty optional field left out): these must exit 0"
    )
    return result
