"""The recovery dialog: what the window offers when SQLite's check finds the database damaged.

Shown at start, before anything is written to the file (``unlock.opened_in_window`` checks
and writes nothing to a damaged database). Three choices, each saying what it keeps:
restore the newest backup that verifies from a chosen folder, salvage what can be read into
a new database, or quit and change nothing. Restoring and salvaging first copy the damaged
file, its log and its key file aside byte for byte (``services.recovery``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop import APP_NAME
from alliance_desktop.services import recovery
from alliance_desktop.services.database import Database, StorageError, open_database
from alliance_desktop.services.errors import ServiceError

RESTORE, SALVAGE = "restore", "salvage"
_T = TypeVar("_T")


class RecoveryDialog(QDialog):
    """Says the database is damaged and asks what to do; ``choice`` is the answer."""

    def __init__(self, parent: QWidget | None, database: Path, damage: list[str]) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryDialog")
        self.setWindowTitle(f"{APP_NAME}: the database is damaged")
        self.choice: str | None = None
        found = damage[0][:160] if damage else "damaged pages"
        more = f" (and {len(damage) - 1:,} more problems)" if len(damage) > 1 else ""
        text = QLabel(
            f"<p><b>{database.name} is damaged.</b> SQLite's check of the file found: "
            f"{found}{more}.</p>"
            "<p>Nothing has been written to it. Choose what to do; before either repair the "
            "damaged file, its log and its key file are copied aside, byte for byte, so "
            "nothing that is there now can be lost.</p>"
            "<ul><li><b>Restore from a backup</b>: choose the folder or stick with your "
            "backups; the newest one that verifies takes the database's place. What was "
            "recorded after that backup is not in it.</li>"
            "<li><b>Salvage what can be read</b>: every record that can still be read is "
            "copied into a new database, which takes the damaged one's place; you are told "
            "how many of each kind were saved.</li></ul>"
        )
        text.setObjectName("recoveryText")
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        restore = QPushButton("&Restore from a backup…")
        restore.setObjectName("recoveryRestoreButton")
        salvage = QPushButton("&Salvage what can be read…")
        salvage.setObjectName("recoverySalvageButton")
        leave = QPushButton("&Quit, changing nothing")
        leave.setObjectName("recoveryQuitButton")
        restore.clicked.connect(lambda: self._choose(RESTORE))
        salvage.clicked.connect(lambda: self._choose(SALVAGE))
        leave.clicked.connect(self.reject)
        restore.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(restore)
        buttons.addWidget(salvage)
        buttons.addStretch(1)
        buttons.addWidget(leave)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(buttons)
        self.setMinimumWidth(560)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()


def _choose_backup_folder(parent: QWidget | None) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(
        parent, "Choose the folder (or USB stick) holding your backups"
    )
    return Path(chosen) if chosen else None


def recover(
    db: Database,
    parent: QWidget | None = None,
    *,
    now: Callable[[], datetime] = datetime.now,
    choose_folder: Callable[[QWidget | None], Path | None] = _choose_backup_folder,
) -> Database | None:
    """Offer recovery for the damaged ``db``; return the database to work on, or None when
    the therapist quits (everything left as it was). ``db`` is closed either way."""
    from alliance_desktop.ui.unlock import opened_in_window

    path, key, passphrase = db.path, db.key, db.passphrase or ""
    damage = list(db.damage)
    db.close()
    while True:
        dialog = RecoveryDialog(parent, path, damage)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.choice is None:
            return None
        try:
            if dialog.choice == RESTORE:
                folder = choose_folder(parent)
                if folder is None:
                    continue
                done = _busy(
                    functools.partial(recovery.restore_newest, path, folder, passphrase, key, now())
                )
                said = (
                    f"Restored the backup {done.backup.name} (made {done.header.created_at[:16]}"
                    f", {done.header.clients:,} clients). The damaged database is kept at "
                    f"{done.kept_aside}."
                )
            else:
                salvaged = _busy(
                    functools.partial(recovery.salvage_into_place, path, key, passphrase, now())
                )
                said = (
                    "Salvaged what could be read into a new database, now in use:\n\n"
                    + "\n".join(salvaged.report.lines())
                    + f"\n\nThe damaged database is kept at {salvaged.kept_aside}."
                )
        except (StorageError, ServiceError) as exc:
            QMessageBox.warning(parent, APP_NAME, str(exc))
            continue
        reopened = opened_in_window(open_database(path, key=key, passphrase=passphrase), 0)
        if reopened.damage:  # the backup or the salvage is damaged too: say so, offer again
            damage = list(reopened.damage)
            reopened.close()
            QMessageBox.warning(
                parent, APP_NAME, "The database is still damaged after that; try another way."
            )
            continue
        QMessageBox.information(parent, APP_NAME, said)
        return reopened


def _busy(work: Callable[[], _T]) -> _T:
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        return work()
    finally:
        QGuiApplication.restoreOverrideCursor()
