"""Backups and moving data: back up now, restore, the last-backup line, the offer on exit,
and export or import of the whole caseload (JSON, CSV).

A backup, a verification and a restore run on the database thread with a progress dialog;
the outcome is one sentence in the status bar (or in the restore dialog). A restore closes
every editor and the database first, and afterwards announces ``Change.database(replaced=
True)`` so every view shows the restored records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox

from alliance_desktop import APP_NAME
from alliance_desktop.services import backups as backup_service
from alliance_desktop.services import settings as settings_service
from alliance_desktop.services.backups import BackupInfo
from alliance_desktop.services.changes import Change
from alliance_desktop.services.database import StorageError, open_database
from alliance_desktop.services.errors import (
    ServiceError,
    clients_phrase,
    count_phrase,
    sessions_phrase,
)
from alliance_desktop.ui.background import wait_for_background_work
from alliance_desktop.ui.backup_dialogs import (
    BackupDialog,
    RestoreDialog,
    confirm_restore,
    removable_drives,
)
from alliance_desktop.ui.controllers.workspace import Workspace


class BackupsController(QObject):
    """Runs backups and restores, keeps the last-backup line current, moves data in and out."""

    def __init__(
        self,
        workspace: Workspace,
        status: QLabel,
        *,
        close_editors: Callable[[], bool],
        is_locked: Callable[[], bool],
        is_demo: Callable[[], bool],
    ) -> None:
        super().__init__(workspace)
        self.workspace = workspace
        self.status = status
        self._close_editors = close_editors
        self._is_locked = is_locked
        self._is_demo = is_demo
        self.backup_running = False
        self.restore_running = False
        #: Set when the window should close once the backup it offered is done.
        self.close_after_backup: Callable[[], object] | None = None
        # The age of the last backup grows while the window stays open for days.
        self._clock = QTimer(self)
        self._clock.setInterval(60 * 60 * 1000)
        self._clock.timeout.connect(self.update_status)
        self._clock.start()

    @property
    def running(self) -> bool:
        return self.backup_running or self.restore_running

    def _remembered_folder(self) -> Path | None:
        last = backup_service.last_backup(self.workspace.db.path)
        if last is not None:
            return last.folder
        remembered = self.workspace.setting("backup/folder")
        return Path(str(remembered)) if remembered else None

    # -- the status line -----------------------------------------------------------------

    def update_status(self, now: datetime | None = None) -> None:
        """Say in the status bar how old the last backup is; warn after the set days."""
        if self.restore_running:
            return  # the database is closed while a restore replaces it
        if self._is_locked():
            self.status.setText("")
            return  # the hourly clock ticks on behind the lock screen; the database is closed
        db = self.workspace.unchecked_db  # reading only (at launch the check may be running)
        last = backup_service.last_backup(db.path)
        try:
            limit = settings_service.load_backup_settings(db).remind_after_days
        except (ServiceError, StorageError):
            return
        if last is None:
            text, warn = "⚠ Never backed up — Backup → Back up now (Ctrl+B)", True
        else:
            days = last.age_days(now)
            age = "today" if days < 1 else "yesterday" if days < 2 else f"{int(days)} days ago"
            text = f"Last backup {age} ({last.folder.name or last.folder})"
            warn = days >= limit
            if warn:
                text = f"⚠ {text} — back up now (Ctrl+B)"
        self.status.setText(text)
        self.status.setProperty("warning", warn)
        self.status.setToolTip(
            f"Back up at least every {limit} days (Preferences). "
            + (f"Last backup: {last.folder / last.file}" if last else "")
        )

    # -- backing up ----------------------------------------------------------------------

    def back_up_now(self) -> BackupDialog | None:
        """Ask for the drive and passphrase, then back up in the background."""
        if self.backup_running:
            return None
        dialog = BackupDialog(
            self.workspace.window,
            removable_drives(),
            self._remembered_folder(),
            app_passphrase=self.workspace.db.passphrase,
        )
        dialog.accepted.connect(
            lambda: self.run_backup(
                dialog.chosen_folder(), dialog.chosen_passphrase(), force=dialog.force.isChecked()
            )
        )
        dialog.open()
        return dialog

    def run_backup(self, folder: Path, passphrase: str, *, force: bool = False) -> None:
        """Back up to ``folder`` off the UI thread with a progress dialog; report the outcome."""
        workspace = self.workspace
        db = workspace.db
        self.backup_running = True
        self.backup_running_changed()

        def finish() -> None:
            self.backup_running = False
            self.backup_running_changed()
            self.update_status()

        def done(made: backup_service.MadeBackup) -> None:
            finish()
            workspace.remember("backup/folder", str(folder))
            header = made.header
            where = folder.name or str(folder)
            if made.skipped:
                message = (
                    f"Nothing changed since the last backup ({made.path.name} on {where}); it "
                    "already holds everything."
                )
            else:
                message = (
                    f"Backed up {clients_phrase(header.clients)} and "
                    f"{sessions_phrase(header.sessions)} to "
                    f"{where}, verified ({made.path.name})."
                )
                if made.removed:
                    removed = count_phrase(len(made.removed), "older backup")
                    message += f" {removed} removed by rotation."
            workspace.say(message, 30)
            if self.close_after_backup is not None:
                try:
                    self.close_after_backup()  # the window closes without asking again
                finally:
                    self.close_after_backup = None

        def failed(exc: BaseException) -> None:
            finish()
            self.close_after_backup = None
            workspace.report(exc)

        workspace.run(
            lambda: backup_service.back_up(db, folder, passphrase, force=force),
            done,
            failed,
            progress=(
                f"Backing up to {folder}…\nTaking a snapshot, encrypting, writing and checking it."
            ),
            name="backupProgress",
        )

    def backup_running_changed(self) -> None:
        """Hook for the window: the Back up action is off while a backup runs."""

    # -- restoring -----------------------------------------------------------------------

    def open_restore_dialog(self) -> RestoreDialog:
        """List the backups in the last backup folder; verify or restore one."""
        dialog = RestoreDialog(self.workspace.window, self._remembered_folder())
        dialog.passphrase.setText(self.workspace.db.passphrase or "")  # backups use it
        dialog.on_list = backup_service.list_backups
        dialog.is_other_database = lambda header: backup_service.of_another_database(
            self.workspace.db, header
        )
        dialog.on_verify = lambda info, passphrase: self._verify(dialog, info, passphrase)
        dialog.on_restore = lambda info, passphrase: self._restore(dialog, info, passphrase)
        dialog.refresh()
        dialog.open()
        return dialog

    def _verify(self, dialog: RestoreDialog, info: BackupInfo, passphrase: str) -> None:
        dialog.show_message(f"Checking {info.path.name}…")
        dialog.set_busy(True)

        def done(header: backup_service.BackupHeader) -> None:
            dialog.set_busy(False)
            dialog.show_message(
                f"✓ {info.path.name} is complete and opens: {clients_phrase(header.clients)}, "
                f"{sessions_phrase(header.sessions)}, "
                f"made {header.created_at.replace('T', ' ')}."
            )

        def failed(exc: BaseException) -> None:
            dialog.set_busy(False)
            dialog.show_message(f"⚠ {exc}")

        self.workspace.run(
            lambda: backup_service.verify_backup(info.path, passphrase), done, failed
        )

    def _restore(self, dialog: RestoreDialog, info: BackupInfo, passphrase: str) -> None:
        workspace = self.workspace
        if self.running:
            dialog.show_message("⚠ A backup is still being written; restore when it has finished.")
            return
        other = backup_service.of_another_database(workspace.db, info.header)
        if not confirm_restore(dialog, info, workspace.db.path, other_database=other):
            return
        if not self._close_editors():
            return
        path, key, app_passphrase = workspace.db.path, workspace.db.key, workspace.db.passphrase
        # From here nothing may read the database: views skip their refreshes while this
        # is set, work already queued finishes, and its results are delivered (and skipped)
        # before the file is closed and replaced.
        self.restore_running = True
        workspace.window.setEnabled(False)
        wait_for_background_work()
        QCoreApplication.processEvents()
        wait_for_background_work()
        workspace.db.close()  # any later read is refused, never quietly reconnected
        dialog.show_message(f"Restoring {info.path.name}…")
        dialog.set_busy(True)

        def reopen() -> bool:
            self.restore_running = False
            workspace.window.setEnabled(True)
            dialog.set_busy(False)
            try:
                workspace.db = open_database(path, key=key, passphrase=app_passphrase)
            except (StorageError, ServiceError) as exc:
                workspace.report(exc)
                return False
            # Every view shows the restored records (or leaves a client who is not in them).
            workspace.announce(Change.database(replaced=True))
            return True

        def done(result: tuple[backup_service.BackupHeader, Path | None]) -> None:
            header, kept = result
            if reopen():  # showing the restored records was logged, which is no change
                backup_service.settled_by_restore(path)
            message = (
                f"✓ Restored {clients_phrase(header.clients)} and "
                f"{sessions_phrase(header.sessions)} "
                f"from the backup made {header.created_at.replace('T', ' ')}."
            )
            said = message  # the status bar's one line; the dialog names the kept copy
            if kept is not None:
                message += f" The database as it was is kept in {kept}."
                said += " The database as it was is kept beside it."
            dialog.show_message(message)
            workspace.say(said, 30)

        def failed(exc: BaseException) -> None:
            reopen()
            dialog.show_message(f"⚠ {exc}")

        workspace.run(
            lambda: backup_service.restore_from(info.path, passphrase, path, key=key),
            done,
            failed,
        )

    # -- on exit -------------------------------------------------------------------------

    def offer_before_closing(self, close: Callable[[], object]) -> bool:
        """On exit with the backup drive plugged in and changes since: offer a backup.

        Returns True when closing should wait (a backup was started or the user cancelled);
        ``close`` is called when the backup it started is done.
        """
        db = self.workspace.db
        last = backup_service.last_backup(db.path)
        if last is None or self._is_demo() or not last.folder.is_dir():
            return False
        if not backup_service.changed_since(db.path, last):
            return False
        box = QMessageBox(self.workspace.window)
        box.setObjectName("backupOnExitBox")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Back up before closing?")
        box.setText(f"The backup drive ({last.folder}) is plugged in. Back up before closing?")
        box.setInformativeText("Records changed since the last backup.")
        box.setStandardButtons(
            QMessageBox.StandardButton.Yes
            | QMessageBox.StandardButton.No
            | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.No:
            return False
        if answer == QMessageBox.StandardButton.Yes:
            dialog = self.back_up_now()
            if dialog is not None:
                dialog.accepted.connect(lambda: setattr(self, "close_after_backup", close))
        return True

    # -- export and import ---------------------------------------------------------------

    def export_data(self) -> Path | None:
        """Export every client as JSON (re-importable) or CSV (one row per measurement)."""
        from alliance_desktop.services import transfer  # loaded when first used

        workspace = self.workspace
        suggested = workspace.folder("export/folder") / "alliance-export.json"
        path, chosen = QFileDialog.getSaveFileName(
            workspace.window,
            "Export all clients",
            str(suggested),
            "JSON, can be imported again (*.json);;CSV for a spreadsheet (*.csv)",
        )
        if not path:
            return None
        target = Path(path)
        as_csv = target.suffix.lower() == ".csv" or (
            target.suffix.lower() != ".json" and "CSV" in chosen
        )
        if target.suffix.lower() not in (".json", ".csv"):
            target = target.with_name(target.name + (".csv" if as_csv else ".json"))
        db = workspace.db

        def work() -> int:
            if as_csv:
                return transfer.export_csv(db, target)
            return transfer.export_json(db, target, overwrite=True)

        def done(count: int) -> None:
            workspace.remember("export/folder", str(target.parent))
            QMessageBox.information(
                workspace.window,
                APP_NAME,
                f"Exported {clients_phrase(count)} to {target}. This file is not encrypted: "
                "keep it safe, and delete it when it has served its purpose.",
            )

        workspace.run(work, done, progress="Exporting all clients…", name="exportProgress")
        return target

    def import_data(self) -> None:
        """Read an export file into this database, which must have no clients yet."""
        from alliance_desktop.services import transfer

        workspace = self.workspace
        if not transfer.can_import_into(workspace.db):
            workspace.complain(
                "Import reads an export file into a database with no clients yet, so nothing "
                "is mixed or doubled; this database already has clients. To bring in a "
                "whole practice, import into a new database (on the command line: "
                "alliance-desktop --db NEW.db import FILE)."
            )
            return
        path, _ = QFileDialog.getOpenFileName(
            workspace.window,
            "Import clients from an export file",
            str(workspace.folder("export/folder")),
            "Alliance Desktop export (*.json)",
        )
        if not path:
            return
        source = Path(path)
        db = workspace.db

        def work() -> int:
            contents = transfer.read_export(source)  # the whole file is checked first
            return transfer.import_contents(db, contents)

        def done(count: int) -> None:
            workspace.announce(
                Change.database(), f"Imported {clients_phrase(count)} from {source.name}."
            )

        workspace.run(work, done, progress=f"Importing {source.name}…", name="importProgress")
