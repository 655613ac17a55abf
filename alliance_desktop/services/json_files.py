"""Reading a JSON file the user chose (an export, a session, a text pack), with plain messages.

Each failure (missing, a folder, a pipe or device, unreadable, too large, not UTF-8, not
JSON, nested absurdly deep, a number no file of ours holds) becomes one InvalidInput
sentence naming the file and what to do; callers then check the shape.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.storage.files import FileTooLarge, NotAFile, read_regular_file

#: The cap for an export file, the largest JSON the app reads. An export of 2,000 demo
#: clients with 42,000 sessions is 56 MB (measured); 1 GiB leaves room for a long career
#: with long notes, while a disk image or a device chosen by mistake is refused before it
#: is read (parsing takes several times the file's size in memory).
MAX_EXPORT_BYTES = 1024**3


class _BadNumber(ValueError):
    """NaN, Infinity or a number too large for a float: no value the app stores.

    Its message completes "holds …", e.g. "NaN, which is not a number".
    """


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 reads as infinity
        raise _BadNumber("a number too large to be a measure or a setting")
    return value


def _no_constant(text: str) -> Any:
    # Python's json accepts these JavaScript words; the JSON standard and the app do not.
    raise _BadNumber(f"{text}, which is not a number")


def _size(limit: int) -> str:
    if limit >= 1024**2:
        return f"{limit / 1024**2:,.0f} MB"
    return f"{limit / 1024:,.0f} KB"


def read_json_file(path: Path, kind: str, *, max_bytes: int = MAX_EXPORT_BYTES) -> Any:
    """The parsed content of ``path``; ``kind`` names what it should be ("a text pack").

    Only a regular file is read (a named pipe would wait for ever, a device such as
    /dev/zero never ends), and only when it is at most ``max_bytes`` long.
    """
    try:
        data = read_regular_file(path, max_bytes)
    except FileNotFoundError:
        raise InvalidInput(f"There is no file at {path}.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder; choose {kind} (a .json file).") from None
    except NotAFile as exc:
        raise InvalidInput(
            f"{path} is {exc.what}, not a file, so it is never read; choose {kind} (a .json file)."
        ) from None
    except FileTooLarge:
        raise InvalidInput(
            f"{path} is larger than {_size(max_bytes)}, too large for {kind}; check you chose "
            "the right file."
        ) from None
    except PermissionError:
        raise InvalidInput(f"{path} cannot be read: permission refused.") from None
    except OSError as exc:  # name too long, a drive gone, a loop of links
        raise InvalidInput(f"{path} cannot be read: {exc.strerror or exc}.") from None
    try:
        # utf-8-sig: Windows editors (Notepad) save UTF-8 with a byte-order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text, so it is not {kind}.") from None
    del data
    try:
        return json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}), "
            f"so it is not {kind}."
        ) from None
    except RecursionError:
        # Python's parser gives up about a thousand levels down; our files are a few deep.
        raise InvalidInput(
            f"{path} nests its data about a thousand levels deep or more, far deeper than any "
            f"file of Alliance Desktop, so it is not {kind}; check you chose the right file."
        ) from None
    except _BadNumber as exc:
        raise InvalidInput(
            f"{path} holds {exc}, so it is not {kind}; check the file's numbers."
        ) from None
    except ValueError:  # Python refuses to convert integers of more than 4,300 digits
        raise InvalidInput(
            f"{path} holds a number of more than {sys.get_int_max_str_digits():,} digits, "
            f"which no Alliance Desktop file does, so it is not {kind}."
        ) from None
