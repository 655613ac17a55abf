"""Practice-wide preferences stored in the database, shared by the GUI, the CLI and reports.

Window layout and other per-computer state live in QSettings instead (``ui/``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alliance_desktop.domain.alerts import AlertSettings
from alliance_desktop.domain.errors import DomainError
from alliance_desktop.domain.instruments import INSTRUMENTS
from alliance_desktop.services.errors import InvalidInput
from alliance_desktop.services.summaries import ALERT_SETTINGS_KEY, load_alert_settings
from alliance_desktop.storage import repository
from alliance_desktop.storage.database import Database

PRACTICE_KEY = "practice"
MAX_FIELD = 200
DEFAULT_INSTRUMENTS = ("ORS", "SRS", "WAI-SR", "GBO")


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


def load_practice(db: Database) -> PracticeSettings:
    """The stored practice settings (defaults for anything not stored or not understood)."""
    stored = repository.get_setting(db, PRACTICE_KEY)
    if not isinstance(stored, dict):
        return PracticeSettings()
    instruments = stored.get("default_instruments", DEFAULT_INSTRUMENTS)
    return PracticeSettings(
        practice_name=str(stored.get("practice_name", "")),
        clinician_name=str(stored.get("clinician_name", "")),
        credentials=str(stored.get("credentials", "")),
        default_instruments=tuple(i for i in instruments if i in INSTRUMENTS),
    )


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
    stored = repository.get_setting(db, BACKUP_KEY)
    if not isinstance(stored, dict):
        return BackupSettings()
    try:
        return BackupSettings(**_checked_backup(BackupSettings(**stored)))
    except (TypeError, InvalidInput):
        return BackupSettings()


def _checked_backup(settings: BackupSettings) -> dict[str, int]:
    values = settings.to_dict()
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_KEEP:
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


__all__ = [
    "BackupSettings",
    "PracticeSettings",
    "load_alert_settings",
    "load_backup_settings",
    "load_practice",
    "save_alert_settings",
    "save_practice",
    "save_preferences",
]
