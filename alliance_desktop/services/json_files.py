"""Reading a JSON file the user chose (an export, a session, a text pack), with plain messages.

Each failure (missing, a folder, unreadable, not UTF-8, not JSON, too large) becomes one
InvalidInput sentence naming the file and what to do; callers then check the shape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alliance_desktop.services.errors import InvalidInput


def read_json_file(path: Path, kind: str, *, max_bytes: int | None = None) -> Any:
    """The parsed content of ``path``; ``kind`` names what it should be ("a text pack")."""
    try:
        if max_bytes is not None and path.stat().st_size > max_bytes:
            raise InvalidInput(
                f"{path} is larger than {max_bytes // 1024:,} KB, too large for {kind}; check "
                "you chose the right file."
            )
        # utf-8-sig: Windows editors (Notepad) save UTF-8 with a byte-order mark.
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InvalidInput(f"There is no file at {path}.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder; choose {kind} (a .json file).") from None
    except PermissionError:
        raise InvalidInput(f"{path} cannot be read: permission refused.") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text, so it is not {kind}.") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}), "
            f"so it is not {kind}."
        ) from None
