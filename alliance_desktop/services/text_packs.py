"""Instrument text packs: licensed item wording a user imports for a restricted instrument.

The app ships scoring keys, not wording it may not ship (see ``domain/instruments.py``). A
licensed user can import the wording as a small JSON file::

    {"instrument_id": "WAI-SR", "language": "en",
     "item_texts": ["…", … one per item …], "anchors": ["…", …]}   (anchors optional)

It is checked whole before anything is stored; a bad file gets one sentence saying what is
wrong, and the stored packs stay as they were. Packs live in the practice database.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    INSTRUMENTS,
    Instrument,
    TextPack,
    get_instrument,
    with_text_pack,
)
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.json_files import read_json_file
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database

TEXT_PACK_KEY = "text_pack.{instrument_id}"
MAX_PACK_BYTES = 256 * 1024
MAX_TEXT = 500
_KEYS = {"instrument_id", "language", "item_texts", "anchors"}


def read_text_pack(path: Path) -> TextPack:
    """Read and check a text pack file; InvalidInput naming the problem."""
    name = path.name
    data = read_json_file(path, "a text pack", max_bytes=MAX_PACK_BYTES)
    return text_pack_from_json(data, name)


def text_pack_from_json(data: Any, name: str = "The text pack") -> TextPack:
    """Check the shape of a parsed text pack."""
    if not isinstance(data, dict):
        raise InvalidInput(f"{name} must hold one JSON object with {', '.join(sorted(_KEYS))}.")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise InvalidInput(f"{name} has an unknown field {unknown[0]!r}.")
    instrument_id = data.get("instrument_id")
    if not isinstance(instrument_id, str) or instrument_id not in INSTRUMENTS:
        raise InvalidInput(
            f"{name}: instrument_id must be one of {', '.join(INSTRUMENTS)}; "
            f"it is {instrument_id!r}."
        )
    language = data.get("language", "en")
    if not isinstance(language, str) or not 2 <= len(language) <= 20:
        raise InvalidInput(f'{name}: language must be a tag such as "en" or "de-CH".')
    texts = _strings(data.get("item_texts"), "item_texts", name)
    anchors = _strings(data.get("anchors", []), "anchors", name)
    return TextPack(instrument_id, language, tuple(texts), tuple(anchors))


def _strings(value: Any, key: str, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{name}: {key} must be a list of texts.")
    long = next((i for i, v in enumerate(value, 1) if len(v) > MAX_TEXT), None)
    if long is not None:
        raise InvalidInput(f"{name}: {key} entry {long} is longer than {MAX_TEXT} characters.")
    return [v.strip() for v in value]


def import_text_pack(db: Database, path: Path) -> Instrument:
    """Check a text pack against its instrument and store it; return the worded instrument."""
    pack = read_text_pack(path)
    try:
        instrument = get_instrument(pack.instrument_id)
    except DomainError as exc:
        raise InvalidInput(f"{path.name}: {exc}") from None
    # Licensing decides what text the app may show (INSTRUMENTS.md): the definition says.
    refusal = instrument.no_text_pack_because
    if refusal is not None:
        raise InvalidInput(f"{path.name}: {pack.instrument_id} takes no text pack: {refusal}.")
    try:
        worded = with_text_pack(instrument, pack)
    except DomainError as exc:
        raise InvalidInput(f"{path.name}: {exc}") from None
    repository.set_setting(
        db,
        TEXT_PACK_KEY.format(instrument_id=pack.instrument_id),
        {
            "instrument_id": pack.instrument_id,
            "language": pack.language,
            "item_texts": list(pack.item_texts),
            "anchors": list(pack.anchors),
        },
    )
    return worded


def worded_instruments(db: Database) -> Mapping[str, Instrument]:
    """Every instrument, with the wording of any imported text pack."""
    result = dict(INSTRUMENTS)
    for instrument_id, instrument in INSTRUMENTS.items():
        if instrument.no_text_pack_because is not None:
            continue
        stored = repository.get_setting(db, TEXT_PACK_KEY.format(instrument_id=instrument_id))
        if stored is None:
            continue
        try:
            result[instrument_id] = with_text_pack(instrument, text_pack_from_json(stored))
        except (InvalidInput, DomainError):
            continue  # a pack that no longer fits (a newer definition): show the labels
    return result
