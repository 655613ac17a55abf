"""The therapist's own instruments: import, list, export, edit (as a new version), retire.

A custom instrument is a definition file (``domain.definitions``, documented by
``resources/instrument-definition.schema.json``) stored in the practice database, one row
per version, so it travels with backups and exports. Stored measurements name the version
they were taken with, and that version is never changed or deleted once it has data: a
changed definition becomes a new version (``import_definition`` with ``new_version``), and
an instrument with data can only be retired (no longer offered for new sessions). Every
change puts the database's instruments back in the registry at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from alliance_desktop.domain.definitions import definition_from_json, definition_to_json
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import (
    BUILT_IN,
    INSTRUMENTS,
    Instrument,
    custom_instruments,
    get_instrument,
    is_built_in,
    is_retired,
    scale_difference,
)
from alliance_desktop.services.atomic import atomic_file, refuse_to_clobber
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.json_files import read_json_file
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database

#: A definition file is small: 1 MB holds a hundred items with long wording many times over.
MAX_DEFINITION_BYTES = 1024 * 1024
#: The measurements table keeps a version in 20 characters.
MAX_VERSION_LENGTH = 20


@dataclass(frozen=True)
class InstrumentEntry:
    """One line of ``instrument list``: an instrument at its current version."""

    id: str
    version: str
    name: str
    items: int
    built_in: bool
    retired: bool
    versions: tuple[str, ...]
    kind: str
    respondent: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "items": self.items,
            "built_in": self.built_in,
            "retired": self.retired,
            "versions": list(self.versions),
            "kind": self.kind,
            "respondent": self.respondent,
        }


@dataclass(frozen=True)
class ImportResult:
    """What an import did: added a new instrument or version, or found it already there."""

    instrument: Instrument
    outcome: str  # "added", "new version", "unchanged", "replaced"

    def sentence(self) -> str:
        i = self.instrument
        return {
            "added": f"Added {i.id} version {i.version} ({i.name}, {len(i.items)} items).",
            "new version": (
                f"Added version {i.version} of {i.id}; new sessions use it, and measurements "
                "already taken keep the version they were taken with."
            ),
            "unchanged": f"{i.id} version {i.version} is already there, unchanged; nothing to do.",
            "replaced": (
                f"Replaced {i.id} version {i.version}, which has no measurements yet, with the "
                "file's definition."
            ),
        }[self.outcome]


def list_instruments() -> list[InstrumentEntry]:
    """Every instrument in the registry's order: built in, then the practice's own."""
    custom = custom_instruments()
    entries = []
    for instrument in INSTRUMENTS.values():
        own = custom.get(instrument.id)
        entries.append(
            InstrumentEntry(
                instrument.id,
                instrument.version,
                instrument.name,
                len(instrument.items),
                is_built_in(instrument.id),
                is_retired(instrument.id),
                tuple(v.version for v in own.versions) if own else (instrument.version,),
                instrument.kind,
                instrument.respondent,
            )
        )
    return entries


def read_definition(path: Path) -> Instrument:
    """Read and check a definition file; InvalidInput naming the file and the problem."""
    document = read_json_file(path, "an instrument definition", max_bytes=MAX_DEFINITION_BYTES)
    return parse_definition(document, path.name)


def parse_definition(document: object, where: str = "The definition") -> Instrument:
    """Check a definition document (from a file, or from the dialog) for the registry."""
    try:
        instrument = definition_from_json(document)
    except DomainError as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    if is_built_in(instrument.id):
        raise InvalidInput(
            f"{where}: {instrument.id} is a built-in instrument; give your own instrument "
            "another id (for example with your practice's initials)."
        )
    if len(instrument.version) > MAX_VERSION_LENGTH:
        raise InvalidInput(
            f"{where}: the version {instrument.version[:40]!r} is longer than "
            f"{MAX_VERSION_LENGTH} characters; use a short one such as 2 or 2026-12."
        )
    return instrument


def import_definition(
    db: Database, instrument: Instrument, now: datetime, *, new_version: bool = False
) -> ImportResult:
    """Store a checked definition (``parse_definition``) as a new instrument or version.

    The same id and version again: nothing happens when it is the same definition; a
    different one replaces it only while it has no measurements (otherwise stored scores
    would change under the therapist's feet: give it a new version). With ``new_version``
    (the dialog's edit of an instrument with data) the version must be new.
    """
    own = custom_instruments().get(instrument.id)
    document = definition_to_json(instrument)
    outcome = "added" if own is None else "new version"
    replace = False
    if own is not None:
        same = next((v for v in own.versions if v.version == instrument.version), None)
        if same is not None:
            if same == instrument:
                return ImportResult(instrument, "unchanged")
            if new_version or repository.measurements_taken(db, instrument.id, instrument.version):
                raise InvalidInput(
                    f"{instrument.id} version {instrument.version} already has measurements "
                    "and differs from this definition; give the changed definition a new "
                    "version so the stored scores keep theirs. Nothing was changed."
                )
            outcome, replace = "replaced", True
        _refuse_another_scale(db, own.versions, instrument)
    repository.add_instrument_definition(
        db, instrument.id, instrument.version, document, now, replace=replace
    )
    _reload(db)
    return ImportResult(get_instrument(instrument.id), outcome)


def _refuse_another_scale(
    db: Database, versions: tuple[Instrument, ...], instrument: Instrument
) -> None:
    """Refuse a version whose scores could not share a chart with those already stored
    (another kind, total range, direction or subscale range; ``scale_difference``):
    charts, reliable change and alerts compare an instrument's scores across versions."""
    for earlier in versions:
        if earlier.version == instrument.version:
            continue  # the version being replaced (it has no measurements)
        taken = repository.measurements_taken(db, instrument.id, earlier.version)
        difference = scale_difference(earlier, instrument) if taken else None
        if difference is not None:
            raise InvalidInput(
                f"{instrument.id} has {taken:,} stored measurement{'s' * (taken != 1)} taken "
                f"with version {earlier.version}, and {difference}, so their scores could not "
                "be charted or compared together. Keep the scale as it was (wording, labels "
                "and anchors may change), or make the changed form a separate instrument "
                "with an id of its own (New… in Measures → Instruments…, or a definition "
                "file with another id). Nothing was changed."
            )


def next_version(instrument_id: str) -> str:
    """A version for an edit of a custom instrument: one more than the highest number
    among its versions (versions that are not whole numbers count as 1)."""
    own = custom_instruments().get(instrument_id)
    numbers = [int(v.version) if v.version.isdigit() else 1 for v in own.versions] if own else [0]
    return str(max(numbers) + 1)


def export_definition(
    db: Database, instrument_id: str, target: Path, *, force: bool = False
) -> Instrument:
    """Write an instrument's current definition to ``target`` (to share with a colleague).

    A built-in one can be exported too, as a starting point for an own variant (its id
    must then be changed before importing it).
    """
    try:
        instrument = get_instrument(instrument_id)
    except DomainError as exc:
        raise InvalidInput(str(exc)) from None
    if instrument.kind == "goals":
        raise InvalidInput(
            f"{instrument.id} rates the client's own goals; it has no definition file."
        )
    if is_built_in(instrument.id):  # a starting point: the file format has no CLI flags
        instrument = replace(instrument, cli_flag=None, planned_by_default=False)
    refuse_to_clobber(target, [db.path], overwrite=force)
    with atomic_file(target) as handle:
        json.dump(definition_to_json(instrument), handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    return instrument


def retire_instrument(db: Database, instrument_id: str, now: datetime) -> str:
    """Stop offering a custom instrument for new sessions; its data stay. A sentence."""
    if is_built_in(instrument_id):
        raise InvalidInput(
            f"{instrument_id} is built in and cannot be retired; leave it out of the measures "
            "recorded by default (Preferences) or of a client's plan instead."
        )
    if instrument_id not in custom_instruments():
        raise InvalidInput(_unknown(instrument_id))
    if is_retired(instrument_id):
        return f"{instrument_id} was already retired; nothing changed."
    repository.set_instrument_retired(db, instrument_id, now)
    _reload(db)
    taken = repository.measurements_taken(db, instrument_id)
    kept = f" Its {taken:,} measurements stay, scored and charted." if taken else ""
    return f"Retired {instrument_id}: new sessions no longer offer it.{kept}"


def restore_instrument(db: Database, instrument_id: str) -> str:
    """Offer a retired custom instrument for new sessions again. A sentence."""
    if is_built_in(instrument_id):
        raise InvalidInput(
            f"{instrument_id} is built in and never retired; choose the measures recorded by "
            "default in Preferences or in a client's plan."
        )
    if instrument_id not in custom_instruments():
        raise InvalidInput(_unknown(instrument_id))
    if not is_retired(instrument_id):
        return f"{instrument_id} is not retired; it is offered already, nothing changed."
    repository.set_instrument_retired(db, instrument_id, None)
    _reload(db)
    return f"{instrument_id} is offered for new sessions again."


def delete_instrument(db: Database, instrument_id: str) -> str:
    """Remove a custom instrument that has no measurements at all. A sentence."""
    deletable(db, instrument_id)
    repository.delete_instrument_definitions(db, instrument_id)
    _reload(db)
    return f"Deleted {instrument_id}; it had no measurements."


def deletable(db: Database, instrument_id: str) -> None:
    """Check that ``instrument_id`` may be deleted (before asking whether to).

    Raises:
        InvalidInput: It is built in, unknown, or has data or kept records naming it.
    """
    if is_built_in(instrument_id):
        raise InvalidInput(f"{instrument_id} is built in and cannot be deleted.")
    if instrument_id not in custom_instruments():
        raise InvalidInput(_unknown(instrument_id))
    taken = repository.measurements_taken(db, instrument_id)
    if taken:
        raise InvalidInput(
            f"{instrument_id} has {taken:,} stored measurements, so it cannot be deleted; "
            "retire it instead (new sessions stop offering it, the data stay)."
        )
    if repository.instrument_mentions(db, instrument_id):
        raise InvalidInput(
            f"{instrument_id} is named by kept records (a risk answer removed from a session, "
            "or an acknowledged alert), so it cannot be deleted; retire it instead."
        )


def stored_definitions(db: Database) -> list[dict[str, Any]]:
    """Every stored version as the export file carries it."""
    return [
        {
            "document": row.document,
            # (to the microsecond: the order versions were added says which is current)
            "added_at": row.added_at.isoformat(),
            "retired_at": None
            if row.retired_at is None
            else row.retired_at.isoformat(timespec="seconds"),
        }
        for row in repository.list_instrument_definitions(db)
    ]


def _unknown(instrument_id: str) -> str:
    own = sorted(custom_instruments())
    known = (
        f"the practice's own are {', '.join(own)}" if own else "the practice has none of its own"
    )
    return (
        f"There is no instrument of the practice's own called {instrument_id!r}; {known} "
        f"(built in: {', '.join(BUILT_IN)})."
    )


def _reload(db: Database) -> None:
    repository.install_custom_instruments(db)
