"""Mutations of JSON documents and binary files, as a hostile tester makes them.

Every mutation is drawn from a seeded ``random.Random`` and described in words, so a
failing case can be made again from the seed (and is saved to a file as well).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from typing import Any

Path_ = tuple[str | int, ...]

#: Raw JSON number texts no ordinary file holds (inserted verbatim, unquoted).
HUGE_NUMBERS = (
    "1e999",
    "-1e999",
    "1e-400",
    "-0",
    "-0.0",
    "1" + "0" * 400,
    "9" * 5000,  # more digits than Python's int() accepts by default (4,300)
    "0." + "0" * 400 + "1",
    "123456789012345678901234567890",
    "9.0000000000000001",
    "1.7976931348623157e308",
    "4.9e-324",
    "9223372036854775807",
    "-9223372036854775809",
    "18446744073709551616",
    "NaN",
    "Infinity",
    "-Infinity",
    "1E2",
    "0.1e1",
)

#: Strings a user's data (or a broken editor) could hold.
ODD_STRINGS = (
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\ud800",  # a lone surrogate: valid as a JSON escape, not encodable as UTF-8
    "\udfff\ud800",
    "\u202eevil",
    "e\u0301",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
    "\U0001f600" * 3,
    "\u2028\u2029",
    "\u200b",
    "\u0663\u0662",  # Arabic-Indic digits
    "\uff12\uff10\uff12\uff16-\uff11\uff11-\uff12\uff10T\uff11\uff10:\uff10\uff10",
    "\U0001d7d8\U0001d7d9",
    "\u017f",
    "İ",
    "\x1b[2J\x1b[31mred",
    "line one\nline two\r\n",
    "\t",
    "'; DROP TABLE sessions; --",
    "%s%n%x",
    "{}",
    "null",
    "x" * 100_000,
)

#: Values of every JSON type, for swapping one node's type.
TYPE_SWAPS: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    1,
    -1,
    0.5,
    -0.0,
    10**6,
    "",
    "9",
    "2026-11-20T10:00",
    [],
    [None],
    {},
    {"a": 1},
)

_INVALID_UTF8 = (b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\x80", b"\xf4\x90\x80\x80", b"\xe2\x82")


def _nodes(doc: Any, path: Path_ = ()) -> list[tuple[Path_, Any]]:
    found: list[tuple[Path_, Any]] = [(path, doc)]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found.extend(_nodes(value, (*path, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found.extend(_nodes(value, (*path, index)))
    return found


def _set(doc: Any, path: Path_, value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return doc


def _where(path: Path_) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path) or "(root)"


class Mutator:
    """Makes one mutation at a time from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._raw: dict[str, str] = {}

    # --- JSON ----------------------------------------------------------------------------

    def _raw_marker(self, text: str) -> str:
        marker = f"@@RAW{len(self._raw)}@@"
        self._raw[marker] = text
        return marker

    def _dump(self, doc: Any) -> bytes:
        text = json.dumps(doc, ensure_ascii=self.rng.random() < 0.5, allow_nan=True)
        for marker, raw in reversed(list(self._raw.items())):  # inner markers last
            text = text.replace(json.dumps(marker), raw)
        self._raw.clear()
        # A lone surrogate survives ensure_ascii as an escape; written raw it cannot be UTF-8.
        return text.encode("utf-8", "surrogatepass")

    def _pick(self, doc: Any, want: Callable[[Any], bool] = lambda _v: True) -> Path_ | None:
        choices = [p for p, v in _nodes(doc) if want(v)]
        return self.rng.choice(choices) if choices else None

    def _structural(self, doc: Any) -> tuple[str, Any]:
        """One change to the tree; returns its description and the new tree."""
        rng = self.rng
        kind = rng.choice(
            ["type", "type", "number", "number", "string", "string", "nest", "drop", "add",
             "dup-key", "list", "swap", "rename"]
        )  # fmt: skip
        if kind in ("type", "number", "string", "nest"):
            return self._change_value(doc, kind)
        return self._change_shape(doc, kind)

    def _change_value(self, doc: Any, kind: str) -> tuple[str, Any]:
        """Replace one value: another type, an odd number or string, deep nesting."""
        rng = self.rng
        if kind == "type":
            path = self._pick(doc)
            value = copy.deepcopy(rng.choice(TYPE_SWAPS))
            return f"{_where(path or ())} := {json.dumps(value)}", _set(doc, path or (), value)
        if kind == "number":
            path = self._pick(doc, lambda v: isinstance(v, int | float) or rng.random() < 0.1)
            raw = rng.choice(HUGE_NUMBERS)
            shown = raw if len(raw) < 40 else f"{raw[:12]}…({len(raw)} chars)"
            return f"{_where(path or ())} := {shown}", _set(doc, path or (), self._raw_marker(raw))
        if kind == "string":
            path = self._pick(doc, lambda v: isinstance(v, str) or rng.random() < 0.1)
            odd = rng.choice(ODD_STRINGS)
            if rng.random() < 0.3 and path is not None:
                old = self._get(doc, path)
                odd = (old if isinstance(old, str) else "") + odd
            return f"{_where(path or ())} := {ascii(odd)[:60]}", _set(doc, path or (), odd)
        path = self._pick(doc)
        depth = rng.choice([64, 1000, 5000, 100_000])
        opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
        raw = opener * depth + "1" + closer * depth
        return f"{_where(path or ())} := nested {depth} deep", _set(
            doc, path or (), self._raw_marker(raw)
        )

    def _change_shape(self, doc: Any, kind: str) -> tuple[str, Any]:
        """Change the tree's shape: a key dropped, added, repeated or renamed, an item
        doubled, two values swapped."""
        rng = self.rng
        if kind == "drop":
            path = self._pick(doc, lambda v: isinstance(v, dict | list) and len(v) > 0)
            if path is None:
                return "nothing to drop", doc
            container = self._get(doc, path)
            key = rng.choice(
                list(container) if isinstance(container, dict) else range(len(container))
            )
            del container[key]
            return f"{_where((*path, key))} deleted", doc
        if kind == "add":
            path = self._pick(doc, lambda v: isinstance(v, dict))
            if path is None:
                return "nothing to add to", doc
            name = rng.choice(
                ["extra", "Start", "start\u200b", "\u017ftart", "", "__proto__", "number"]
            )
            self._get(doc, path)[name] = copy.deepcopy(rng.choice(TYPE_SWAPS))
            return f"{_where(path)} gets key {name!r}", doc
        if kind == "dup-key":
            path = self._pick(doc, lambda v: isinstance(v, dict) and len(v) > 0)
            if path is None:
                return "no object", doc
            container = self._get(doc, path)
            key = rng.choice(list(container))
            other = copy.deepcopy(rng.choice(TYPE_SWAPS))
            inner = json.dumps(container, allow_nan=True)
            raw = inner[:-1] + (", " if container else "") + f"{json.dumps(key)}: "
            raw += json.dumps(other) + "}"
            return f"{_where(path)} repeats key {key!r} as {json.dumps(other)}", _set(
                doc, path, self._raw_marker(raw)
            )
        if kind == "list":
            path = self._pick(doc, lambda v: isinstance(v, list) and len(v) > 0)
            if path is None:
                return "no list", doc
            items = self._get(doc, path)
            index = rng.randrange(len(items))
            items.insert(index, copy.deepcopy(items[index]))
            return f"{_where((*path, index))} doubled", doc
        if kind == "swap":
            a, b = self._pick(doc), self._pick(doc)
            if not a or not b or a[: len(b)] == b or b[: len(a)] == a:
                return "swap skipped", doc
            va, vb = copy.deepcopy(self._get(doc, a)), copy.deepcopy(self._get(doc, b))
            _set(doc, a, vb)
            _set(doc, b, va)
            return f"{_where(a)} <-> {_where(b)}", doc
        path = self._pick(doc, lambda v: isinstance(v, dict) and len(v) > 0)
        if path is None:
            return "no object", doc
        container = self._get(doc, path)
        key = rng.choice(list(container))
        new = rng.choice([key.upper(), key.title(), f" {key}", key.replace("_", "-"), key[:-1]])
        container[new] = container.pop(key)
        return f"{_where(path)} key {key!r} renamed {new!r}", doc

    @staticmethod
    def _get(doc: Any, path: Path_) -> Any:
        for step in path:
            doc = doc[step]
        return doc

    def _bytes(self, data: bytes) -> tuple[str, bytes]:
        """One change to the bytes."""
        rng = self.rng
        kind = rng.choice(["flip", "flip", "truncate", "set", "insert", "encoding", "whole"])
        if kind == "flip" and data:
            out = bytearray(data)
            spots = [rng.randrange(len(out)) for _ in range(rng.randint(1, 4))]
            for spot in spots:
                out[spot] ^= 1 << rng.randrange(8)
            return f"bits flipped at {spots}", bytes(out)
        if kind == "truncate" and data:
            cut = rng.randrange(len(data))
            return f"truncated to {cut} bytes", data[:cut]
        if kind == "set" and data:
            out = bytearray(data)
            spot = rng.randrange(len(out))
            value = rng.choice(b'\x00\xff"\\{}[],:0\x80\xc0 \n')
            out[spot] = value
            return f"byte {spot} := {value:#04x}", bytes(out)
        if kind == "insert":
            spot = rng.randrange(len(data) + 1)
            junk = rng.choice(_INVALID_UTF8)
            return f"{junk!r} inserted at {spot}", data[:spot] + junk + data[spot:]
        if kind == "encoding":
            text = data.decode("utf-8", "surrogatepass")
            codec = rng.choice(["utf-16", "utf-16-be", "utf-32", "latin-1", "utf-8-sig"])
            return f"re-encoded as {codec}", text.encode(codec, "replace")
        whole = rng.choice(
            [b"", b" ", b"\xef\xbb\xbf", b"null", b"[]", b"{}", b"NaN", b'"text"', b"0",
             b"\n\n", b"\x00" * 64, b"[" * 100_000]
        )  # fmt: skip
        return f"whole file := {whole[:20]!r}", whole

    def json_document(self, base: Any) -> tuple[str, bytes]:
        """A mutation of ``base`` (a parsed JSON document): 1-3 tree changes, byte changes,
        or both; returns the description and the file's bytes."""
        rng = self.rng
        doc = copy.deepcopy(base)
        steps: list[str] = []
        mode = rng.random()
        if mode < 0.75:
            for _ in range(rng.choice([1, 1, 1, 2, 3])):
                what, doc = self._structural(doc)
                steps.append(what)
        data = self._dump(doc)
        if mode >= 0.6:
            what, data = self._bytes(data)
            steps.append(what)
        return "; ".join(steps), data

    # --- binary files --------------------------------------------------------------------

    def binary(self, data: bytes, regions: dict[str, tuple[int, int]]) -> tuple[str, bytes]:
        """A mutation of a binary file; ``regions`` names spans (start, end) to aim at."""
        rng = self.rng
        kind = rng.choice(["flip", "flip", "flip", "truncate", "append", "zero", "dup", "whole"])
        name, (low, high) = rng.choice(list(regions.items()))
        high = max(high, low + 1)
        if kind == "flip":
            out = bytearray(data)
            spots = [rng.randrange(low, min(high, len(out))) for _ in range(rng.randint(1, 3))]
            for spot in spots:
                out[spot] ^= 1 << rng.randrange(8)
            return f"bits flipped in {name} at {spots}", bytes(out)
        if kind == "truncate":
            cut = rng.randrange(low, min(high, len(data)))
            return f"truncated to {cut} bytes (in {name})", data[:cut]
        if kind == "append":
            junk = rng.choice([b"\x00", b"\n", rng.randbytes(rng.randint(1, 4096)), data[:4096]])
            return f"{len(junk)} bytes appended", data + junk
        if kind == "zero":
            start = rng.randrange(low, min(high, len(data)))
            length = rng.choice([1, 16, 512, 4096])
            end = min(len(data), start + length)
            return f"bytes {start}-{end} zeroed (in {name})", (
                data[:start] + bytes(end - start) + data[end:]
            )
        if kind == "dup":
            start = rng.randrange(low, min(high, len(data)))
            chunk = data[start : start + rng.choice([1, 64, 4096])]
            return f"{len(chunk)} bytes at {start} doubled", data[:start] + chunk + data[start:]
        whole = rng.choice([b"", data[:1], data[: len(data) // 2], rng.randbytes(1024)])
        return f"whole file := its {len(whole)}-byte variant", whole
