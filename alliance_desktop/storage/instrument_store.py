"""The practice's own instruments, from their stored rows into the domain's registry.

Every open of a database does this (``database.open_database``, from the rows its first,
read-only look at the file found), and so does every change to them (``repository``). A
version whose stored definition no longer reads (a damaged row, a definition this version
of the app refuses) is left out and named in the returned problems; its measurements then
show as an unknown instrument instead of stopping the database from opening.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    CustomInstrument,
    Instrument,
    is_built_in,
    use_custom_instruments,
)
from alliance_desktop.storage.records import InstrumentDefinitionRow

#: The rows in the order versions were added (the last of an instrument's is its current).
SELECT_ROWS = (
    "SELECT instrument_id, version, document, added_at, retired_at "
    "FROM instrument_definitions ORDER BY instrument_id, added_at, version"
)


def rows_from_sql(raw: Iterable[tuple[Any, ...]]) -> list[InstrumentDefinitionRow]:
    """Rows as plain SQLite returns them (JSON and times as text)."""
    rows = []
    for instrument_id, version, document, added_at, retired_at in raw:
        rows.append(
            InstrumentDefinitionRow(
                str(instrument_id),
                str(version),
                json.loads(document) if isinstance(document, str | bytes) else document,
                datetime.fromisoformat(str(added_at)),
                None if retired_at is None else datetime.fromisoformat(str(retired_at)),
            )
        )
    return rows


def install(rows: Iterable[InstrumentDefinitionRow]) -> list[str]:
    """Make these the registry's own instruments; the problems with rows left out."""
    problems: list[str] = []
    rows = list(rows)
    if rows:  # (the strict reader is loaded only by a practice that has some)
        from alliance_desktop.domain.definitions import definition_from_json
    versions: dict[str, list[Instrument]] = {}
    retired: dict[str, bool] = {}
    for row in rows:
        try:
            instrument = definition_from_json(row.document)
        except DomainError as exc:
            problems.append(f"{row.instrument_id} version {row.version}: {exc}")
            continue
        if (instrument.id, instrument.version) != (row.instrument_id, row.version):
            problems.append(f"{row.instrument_id} version {row.version}: its id or version differs")
            continue
        versions.setdefault(instrument.id, []).append(instrument)
        retired[instrument.id] = retired.get(instrument.id, False) or row.retired_at is not None
    use_custom_instruments(
        {
            i: CustomInstrument(tuple(v), retired[i])
            for i, v in versions.items()
            if not is_built_in(i)
        }
    )
    return problems
