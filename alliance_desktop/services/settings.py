"""Practice-wide preferences stored in the database, shared by the GUI, the CLI and reports.

Window layout and other per-computer state live in QSettings instead (``ui/``).

Reading is forgiving: a stored value of the wrong type (from an old import, or edited by
hand) gives that setting its default instead of failing every report. Importing is strict:
``check_imported_settings`` refuses a file whose settings have the wrong types, naming the
first bad setting, so nothing wrong is stored in the first place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alliance_desktop.domain.alerts import AlertSettings
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import DEFAULT_PLAN, INSTRUMENTS
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.summaries import ALERT_SETTINGS_KEY, load_alert_settings
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database

PRACTICE_KEY = "practice"
MAX_FIELD = 200
DEFAULT_INSTRUMENTS = DEFAULT_PLAN  # the instruments marked planned_by_default


@dataclass(frozen=True)
class PracticeSettings:
    """Who the practice is (printed on reports) and what is measured by default."""

    practice_name: str = ""
    clinician_name: str = ""
    credentials: str = ""
    default_instruments: tuple[str, ...] = field(default=DEFAULT_INSTRUMENTS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "practice_name": self.practice_name,
            "clinician_name": self.clinician_name,
            "credentials": self.credentials,
            "default_instruments": list(self.default_instruments),
        }


_PRACTICE_TEXTS = ("practice_name", "clinician_name", "credentials")


def load_practice(db: Database) -> PracticeSettings:
    """The stored practice settings (defaults for anything not stored or not understood)."""
    return practice_from_stored(repository.get_setting(db, PRACTICE_KEY))


def practice_from_stored(stored: Any) -> PracticeSettings:
    """Practice settings from a stored value, each field that is not understood taking its
    default (a number where a name belongs, a list of lists for the instruments)."""
    if not isinstance(stored, dict):
        return PracticeSettings()
    texts = {
        name: value if isinstance(value := stored.get(name), str) else ""
        for name in _PRACTICE_TEXTS
    }
    instruments = stored.get("default_instruments", DEFAULT_INSTRUMENTS)
    if isinstance(instruments, list | tuple):
        chosen = tuple(i for i in instruments if isinstance(i, str) and i in INSTRUMENTS)
    else:
        chosen = DEFAULT_INSTRUMENTS
    return PracticeSettings(**texts, default_instruments=chosen)


def save_practice(db: Database, settings: PracticeSettings) -> None:
    """Check and store the practice settings."""
    repository.set_setting(db, PRACTICE_KEY, _checked_practice(settings))


def _checked_practice(settings: PracticeSettings) -> dict[str, Any]:
    for label, value in (
        ("practice name", settings.practice_name),
        ("clinician name", settings.clinician_name),
        ("credentials", settings.credentials),
    ):
        if len(value) > MAX_FIELD:
            raise InvalidInput(f"Keep the {label} to {MAX_FIELD} characters or fewer.")
    unknown = [i for i in settings.default_instruments if i not in INSTRUMENTS]
    if unknown:
        raise InvalidInput(
            f"Unknown instrument {unknown[0]}; choose from {', '.join(INSTRUMENTS)}."
        )
    cleaned = PracticeSettings(
        settings.practice_name.strip(),
        settings.clinician_name.strip(),
        settings.credentials.strip(),
        tuple(dict.fromkeys(settings.default_instruments)),
    )
    return cleaned.to_dict()


BACKUP_KEY = "backup"
MAX_KEEP = 1000


@dataclass(frozen=True)
class BackupSettings:
    """How many backups rotation keeps, and when the status bar starts to warn."""

    keep_daily: int = 7
    keep_weekly: int = 4
    keep_monthly: int = 12
    remind_after_days: int = 7

    def to_dict(self) -> dict[str, int]:
        return {
            "keep_daily": self.keep_daily,
            "keep_weekly": self.keep_weekly,
            "keep_monthly": self.keep_monthly,
            "remind_after_days": self.remind_after_days,
        }


def load_backup_settings(db: Database) -> BackupSettings:
    """The stored backup settings (defaults for anything not stored or not understood)."""
    return backup_settings_from_stored(repository.get_setting(db, BACKUP_KEY))


def backup_settings_from_stored(stored: Any) -> BackupSettings:
    """Backup settings from a stored value: each count that is not a whole number in range
    takes its default, and a combination that would keep nothing gives the defaults."""
    if not isinstance(stored, dict):
        return BackupSettings()
    defaults = BackupSettings().to_dict()
    values = {
        name: value if _whole(value := stored.get(name, default), 0, MAX_KEEP) else default
        for name, default in defaults.items()
    }
    try:
        return BackupSettings(**_checked_backup(BackupSettings(**values)))
    except InvalidInput:
        return BackupSettings()


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _checked_backup(settings: BackupSettings) -> dict[str, int]:
    values = settings.to_dict()
    for name, value in values.items():
        if not _whole(value, 0, MAX_KEEP):
            raise InvalidInput(
                f"{name.replace('_', ' ').capitalize()} must be a whole number from 0 to "
                f"{MAX_KEEP}."
            )
    if settings.keep_daily + settings.keep_weekly + settings.keep_monthly == 0:
        raise InvalidInput("Keep at least one backup (daily, weekly or monthly).")
    if settings.remind_after_days == 0:
        raise InvalidInput("Remind after at least 1 day without a backup.")
    return values


def save_preferences(
    db: Database,
    practice: PracticeSettings,
    alerts: AlertSettings,
    backup: BackupSettings | None = None,
) -> None:
    """Check all, then store all in one transaction (all or nothing)."""
    values = {
        PRACTICE_KEY: _checked_practice(practice),
        ALERT_SETTINGS_KEY: _checked_alerts(alerts),
    }
    if backup is not None:
        values[BACKUP_KEY] = _checked_backup(backup)
    repository.set_settings(db, values)


def save_alert_settings(db: Database, settings: AlertSettings) -> None:
    """Store alert settings; client summaries are recomputed on the next list load."""
    repository.set_setting(db, ALERT_SETTINGS_KEY, _checked_alerts(settings))


def _checked_alerts(settings: AlertSettings) -> dict[str, Any]:
    try:
        return AlertSettings.from_dict(settings.to_dict()).to_dict()
    except DomainError as exc:
        raise InvalidInput(str(exc)) from None


#: How deep a setting's value may nest. The app's own are two levels deep; a deeper value
#: (from a hand-made import) could be stored but not read back at every later start.
MAX_SETTING_DEPTH = 16


def check_imported_settings(settings: dict[str, Any]) -> None:
    """Refuse practice, backup and alert settings of the wrong type or range (an import).

    Settings this version does not know are left to the caller. Messages name the setting
    as the export file spells it (``settings.practice.default_instruments``) and never
    repeat its value.

    Raises:
        InvalidInput: Naming the first bad setting and what it must be.
    """
    for key, value in settings.items():
        if _depth(value) > MAX_SETTING_DEPTH:
            raise InvalidInput(
                f"settings.{_key_shown(key)} nests more than {MAX_SETTING_DEPTH} levels deep; "
                "no setting of Alliance Desktop does. Remove it from the file."
            )
    if settings.get(PRACTICE_KEY) is not None:  # null: not set, the defaults apply
        _check_imported_practice(settings[PRACTICE_KEY])
    if settings.get(BACKUP_KEY) is not None:
        _check_imported_backup(settings[BACKUP_KEY])
    if settings.get(ALERT_SETTINGS_KEY) is not None:
        try:
            AlertSettings.from_dict(settings[ALERT_SETTINGS_KEY])
        except (DomainError, TypeError, ValueError) as exc:
            detail = str(exc) if isinstance(exc, DomainError) else "a setting is of the wrong type"
            raise InvalidInput(f"settings.{ALERT_SETTINGS_KEY}: {detail}") from None


def _key_shown(key: str) -> str:
    return key if len(key) <= 40 else f"{key[:30]}…"


def _kind(value: object) -> str:
    """A JSON value's kind in words, for "it is …" (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _check_imported_practice(value: Any) -> None:
    where = f"settings.{PRACTICE_KEY}"
    if not isinstance(value, dict):
        raise InvalidInput(
            f"{where} must be an object with the practice name and the like; it is {_kind(value)}."
        )
    for name in _PRACTICE_TEXTS:
        text = value.get(name)
        if text is None:
            continue
        if not isinstance(text, str):
            raise InvalidInput(f"{where}.{name} must be text; it is {_kind(text)}.")
        if len(text) > MAX_FIELD:
            raise InvalidInput(f"{where}.{name} is longer than {MAX_FIELD} characters.")
    instruments = value.get("default_instruments")
    if instruments is None:
        return
    if not isinstance(instruments, list):
        raise InvalidInput(
            f"{where}.default_instruments must be a list of instruments (any of "
            f"{', '.join(INSTRUMENTS)}); it is {_kind(instruments)}."
        )
    if not all(isinstance(i, str) and i in INSTRUMENTS for i in instruments):
        raise InvalidInput(
            f"{where}.default_instruments may name only {', '.join(INSTRUMENTS)}; it holds "
            "something else."
        )


def _check_imported_backup(value: Any) -> None:
    where = f"settings.{BACKUP_KEY}"
    if not isinstance(value, dict):
        raise InvalidInput(
            f"{where} must be an object with keep_daily, keep_weekly, keep_monthly and "
            f"remind_after_days; it is {_kind(value)}."
        )
    counts = {}
    for name, default in BackupSettings().to_dict().items():
        count = value.get(name, default)
        if not _whole(count, 0, MAX_KEEP):
            whole_number = isinstance(count, int) and not isinstance(count, bool)
            raise InvalidInput(
                f"{where}.{name} must be a whole number from 0 to {MAX_KEEP}; it is "
                f"{'out of range' if whole_number else _kind(count)}."
            )
        counts[name] = count
    try:
        _checked_backup(BackupSettings(**counts))
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc}") from None


def _depth(value: Any) -> int:
    """How deep ``value`` nests (without recursion: the value itself may be hostile)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_SETTING_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


__all__ = [
    "BackupSettings",
    "PracticeSettings",
    "check_imported_settings",
    "load_alert_settings",
    "load_backup_settings",
    "load_practice",
    "save_alert_settings",
    "save_practice",
    "save_preferences",
]
