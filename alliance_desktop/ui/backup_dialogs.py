"""Backup and restore dialogs: pick a drive and a passphrase; list, verify and restore backups.

The dialogs only gather input and show what the services say; the main window runs the
backup or restore off the UI thread. Drives come from QStorageInfo: mounted volumes that
look removable (under /media, /run/media, /mnt or /Volumes, or a Windows drive other than
the system one), with their name and free space.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStorageInfo, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alliance_desktop import APP_NAME
from alliance_desktop.services.backups import MIN_PASSPHRASE, BackupHeader, BackupInfo
from alliance_desktop.services.errors import clients_phrase, count_phrase, sessions_phrase
from alliance_desktop.ui.dialogs import confirm_destructive
from alliance_desktop.ui.security_dialogs import secret_field
from alliance_desktop.ui.widgets import fit_to_screen

_REMOVABLE_ROOTS = ("/media/", "/run/media/", "/mnt/", "/Volumes/")


@dataclass(frozen=True)
class Drive:
    """A mounted volume a backup could go to."""

    root: Path
    name: str
    free_bytes: int

    def label(self) -> str:
        return f"{self.name} — {format_size(self.free_bytes)} free — {self.root}"


def format_size(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size / 1e3:,.0f} KB"


def looks_removable(root: str, *, system_drive: str | None = None) -> bool:
    """Whether a volume mounted at ``root`` is likely a USB stick or external disk."""
    if sys.platform == "win32" or system_drive is not None:
        system = (system_drive or os.environ.get("SYSTEMDRIVE", "C:")).rstrip("\\/").upper()
        return not root.upper().startswith(system)
    return root.startswith(_REMOVABLE_ROOTS)


def removable_drives() -> list[Drive]:
    """The writable, ready, removable-looking volumes mounted now."""
    drives = []
    for volume in QStorageInfo.mountedVolumes():
        root = volume.rootPath()
        if not (volume.isValid() and volume.isReady()) or volume.isReadOnly():
            continue
        if not looks_removable(root if root.endswith("/") else root + "/"):
            continue
        name = volume.displayName() or volume.name() or root
        drives.append(Drive(Path(root), name, int(volume.bytesAvailable())))
    return sorted(drives, key=lambda d: d.name.lower())


class BackupDialog(QDialog):
    """Back up now: where to (a drive or any folder) and the passphrase; validates both."""

    def __init__(
        self,
        parent: QWidget | None,
        drives: list[Drive],
        last_folder: Path | None,
        *,
        app_passphrase: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("backupDialog")
        self._app_passphrase = app_passphrase
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # the passphrase goes with it
        self.setWindowTitle("Back up now")
        self.setMinimumWidth(520)

        intro = QLabel(
            "The backup is one encrypted file. It is checked after writing, and older backups "
            "on the drive are thinned out (7 daily, 4 weekly, 12 monthly by default; see "
            "Preferences).",
            self,
        )
        intro.setWordWrap(True)
        self.drive_list = QListWidget(self)
        self.drive_list.setObjectName("driveList")
        self.drive_list.setAccessibleName("Drives found")
        for drive in drives:
            item = QListWidgetItem(drive.label(), self.drive_list)
            item.setData(Qt.ItemDataRole.UserRole, str(drive.root))
        if not drives:
            item = QListWidgetItem("No USB drive found — plug one in, or choose a folder.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.drive_list.addItem(item)
        self.drive_list.setMaximumHeight(110)
        self.drive_list.currentItemChanged.connect(self._drive_chosen)

        self.folder = QLineEdit(str(last_folder) if last_folder else "", self)
        self.folder.setObjectName("backupFolderEdit")
        self.folder.setAccessibleName("Backup folder")
        self.folder.setPlaceholderText("a folder on the USB drive")
        browse = QPushButton("C&hoose folder…", self)
        browse.setObjectName("chooseFolderButton")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)

        self.passphrase = secret_field(self, "backupPassphraseEdit", "Backup passphrase")
        self.confirm = secret_field(self, "backupConfirmEdit", "Backup passphrase again")
        self.use_app_passphrase = QCheckBox(
            "Use the passphrase that unlocks the app (one secret for records and backups)",
            self,
        )
        self.use_app_passphrase.setObjectName("useAppPassphraseCheck")
        self.use_app_passphrase.setVisible(bool(app_passphrase))
        self.use_app_passphrase.toggled.connect(self._passphrase_choice_changed)
        self.use_app_passphrase.setChecked(bool(app_passphrase))
        self._passphrase_choice_changed(bool(app_passphrase))
        self.force = QCheckBox("Write a backup even if nothing has changed", self)
        self.force.setObjectName("forceBackupCheck")
        warning = QLabel(
            "Without the passphrase nobody can open the backup, including you: keep it "
            "somewhere safe, never on the drive itself.",
            self,
        )
        warning.setWordWrap(True)

        form = QFormLayout()
        form.addRow("&Drives:", self.drive_list)
        form.addRow(_buddy(self, "&Folder:", self.folder), folder_row)
        form.addRow("", self.use_app_passphrase)
        form.addRow("&Passphrase:", self.passphrase)
        form.addRow("&Again:", self.confirm)
        self.error = QLabel("", self)
        self.error.setObjectName("backupError")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.backup_button = buttons.addButton("&Back up", QDialogButtonBox.ButtonRole.AcceptRole)
        self.backup_button.setObjectName("backupButton")
        self.backup_button.setDefault(True)
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.force)
        layout.addWidget(warning)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        if last_folder is None and drives:
            self.drive_list.setCurrentRow(0)
        typing = self.folder.text() and not self.use_app_passphrase.isChecked()
        (self.passphrase if typing else self.drive_list).setFocus()

    def _passphrase_choice_changed(self, use_app: bool) -> None:
        self.passphrase.setEnabled(not use_app)
        self.confirm.setEnabled(not use_app)

    def chosen_passphrase(self) -> str:
        """The app's passphrase (the default) or the one typed for this backup."""
        if self._app_passphrase and self.use_app_passphrase.isChecked():
            return self._app_passphrase
        return self.passphrase.text()

    def _drive_chosen(self, item: QListWidgetItem | None) -> None:
        if item is None or item.data(Qt.ItemDataRole.UserRole) is None:
            return
        root = Path(str(item.data(Qt.ItemDataRole.UserRole)))
        current = Path(self.folder.text()) if self.folder.text() else None
        if current is None or root not in (current, *current.parents):
            self.folder.setText(str(root))

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Back up to folder", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def chosen_folder(self) -> Path:
        return Path(self.folder.text().strip()).expanduser()

    def problem(self) -> str:
        """What keeps the backup from starting, in one sentence; empty when nothing does."""
        text = self.folder.text().strip()
        if not text:
            return "Choose a drive or a folder for the backup."
        if not self.chosen_folder().is_dir():
            return f"The folder {text} does not exist; is the drive plugged in?"
        if self._app_passphrase and self.use_app_passphrase.isChecked():
            return ""
        if len(self.passphrase.text()) < MIN_PASSPHRASE:
            return f"Use a passphrase of at least {MIN_PASSPHRASE} characters."
        if self.passphrase.text() != self.confirm.text():
            return "The two passphrases differ; type the same one twice."
        return ""

    def _accept_if_valid(self) -> None:
        problem = self.problem()
        self.error.setText(f"⚠ {problem}" if problem else "")
        if not problem:
            self.accept()


def _buddy(parent: QWidget, text: str, field: QWidget) -> QLabel:
    """A form label whose Alt shortcut focuses ``field`` (a row holding a layout has none)."""
    label = QLabel(text, parent)
    label.setBuddy(field)
    return label


class RestoreDialog(QDialog):
    """Lists the backups in a folder; Verify or Restore the chosen one with its passphrase.

    The main window supplies the work through ``on_list``, ``on_verify`` and ``on_restore``.
    """

    COLUMNS = ("Made", "Size", "Clients", "Sessions", "Made with")

    def __init__(self, parent: QWidget | None, folder: Path | None) -> None:
        super().__init__(parent)
        self.setObjectName("restoreDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # the passphrase goes with it
        self.setWindowTitle("Restore from a backup")
        fit_to_screen(self, 720, 420)
        self.backups: list[BackupInfo] = []
        self._busy = False
        # Set by the caller: list a folder (raising with a message), verify, restore.
        self.on_list: Callable[[Path], list[BackupInfo]] | None = None
        #: Whether a backup (its header) was made from another database than the open one.
        self.is_other_database: Callable[[BackupHeader | None], bool] | None = None
        self.on_verify: Callable[[BackupInfo, str], None] | None = None
        self.on_restore: Callable[[BackupInfo, str], None] | None = None

        self.folder = QLineEdit(str(folder) if folder else "", self)
        self.folder.setObjectName("restoreFolderEdit")
        self.folder.setAccessibleName("Folder with backups")
        self.folder.returnPressed.connect(self.refresh)
        browse = QPushButton("C&hoose folder…", self)
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)

        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setObjectName("backupTable")
        self.table.setAccessibleName("Backups in the folder")
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.passphrase = secret_field(self, "restorePassphraseEdit", "Backup passphrase")
        self.message = QLabel("", self)
        self.message.setObjectName("restoreMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.verify_button = buttons.addButton("&Verify", QDialogButtonBox.ButtonRole.ActionRole)
        self.verify_button.setObjectName("verifyButton")
        self.restore_button = buttons.addButton("&Restore…", QDialogButtonBox.ButtonRole.ActionRole)
        self.restore_button.setObjectName("restoreButton")
        self.verify_button.clicked.connect(lambda: self._act(self.on_verify))
        self.restore_button.clicked.connect(lambda: self._act(self.on_restore))
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(_buddy(self, "&Folder:", self.folder), folder_row)
        form.addRow("&Passphrase:", self.passphrase)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        note = QLabel(
            "Restoring replaces the practice database with the backup. A copy of the database "
            "as it is now is kept beside it first, so nothing saved is lost.",
            self,
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._selection_changed()

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder with backups", self.folder.text())
        if chosen:
            self.folder.setText(chosen)
            self.refresh()

    def refresh(self) -> None:
        """List the backups in the folder (newest first)."""
        self.table.setRowCount(0)
        self.backups = []
        text = self.folder.text().strip()
        if not text or self.on_list is None:
            self.show_message("Choose the folder (the USB drive) that holds your backups.")
            return
        try:
            self.backups = self.on_list(Path(text).expanduser())
        except Exception as exc:  # the services' one-sentence message
            self.show_message(str(exc))
            return
        self.table.setRowCount(len(self.backups))
        for row, info in enumerate(self.backups):
            header = info.header
            if header is None:
                cells = [info.path.name, format_size(info.size), "", "", "cannot be read"]
            else:
                cells = [
                    header.created_at.replace("T", " "),
                    format_size(info.size),
                    f"{header.clients:,}",
                    f"{header.sessions:,}",
                    f"{APP_NAME} {header.app_version}",  # (its schema is ours to know)
                ]
            other = self.is_other_database is not None and self.is_other_database(header)
            if other:
                cells[0] += " (another database)"
            for column, text_value in enumerate(cells):
                item = QTableWidgetItem(text_value)
                if column in (1, 2, 3):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if info.problem:
                    item.setToolTip(info.problem)
                elif other:
                    item.setToolTip("Made from a different database than the one open now")
                self.table.setItem(row, column, item)
        if self.backups:
            self.table.selectRow(0)
            self.show_message(f"{count_phrase(len(self.backups), 'backup')} in {text}.")
        else:
            self.show_message(f"There are no backups in {text}.")

    def set_busy(self, busy: bool) -> None:
        """While a verify or restore runs, the dialog takes no input and stays open."""
        self._busy = busy
        self.setEnabled(not busy)

    def reject(self) -> None:
        if not self._busy:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._busy:  # the result still has to be shown here
            event.ignore()
            return
        super().closeEvent(event)

    def selected(self) -> BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.backups[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        info = self.selected()
        usable = info is not None and info.header is not None
        self.verify_button.setEnabled(usable)
        self.restore_button.setEnabled(usable)
        if info is not None and info.problem:
            self.show_message(f"⚠ {info.problem}")

    def _act(self, handler: Callable[[BackupInfo, str], None] | None) -> None:
        info = self.selected()
        if info is None or handler is None:
            return
        if not self.passphrase.text():
            self.show_message("⚠ Type the passphrase the backup was made with.")
            self.passphrase.setFocus()
            return
        handler(info, self.passphrase.text())

    def show_message(self, text: str) -> None:
        self.message.setText(text)


def confirm_restore(
    parent: QWidget | None, info: BackupInfo, database: Path, *, other_database: bool = False
) -> bool:
    """Ask before replacing the database; Cancel is the default and Escape cancels. A backup
    of another database (the demo's, another practice's) says so first."""
    header = info.header
    made = header.created_at.replace("T", " ") if header else info.path.name
    counts = (
        f" ({clients_phrase(header.clients)}, {sessions_phrase(header.sessions)})" if header else ""
    )
    warning = (
        "⚠ This backup was made from a different database, not from the one open now: "
        "restoring replaces your records with that database's. "
        if other_database
        else ""
    )
    return confirm_destructive(
        parent,
        "confirmRestoreBox",
        "Restore from a backup",
        f"Replace the open database, {database.name}, with the backup made {made}?",
        f"{warning}Everything in {database} now is replaced by the backup{counts}. A copy of "
        "the database as it is now is kept beside it first; open session windows are closed.",
        action="Restore",
    )
