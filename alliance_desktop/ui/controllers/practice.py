"""The practice as a whole: Preferences, and which database is open (the practice's or
the demo caseload beside it).

Opening another database closes the editors and the current one first, then announces
``Change.database()`` so the window's title and every view follow.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from alliance_desktop import paths
from alliance_desktop.services import settings as settings_service
from alliance_desktop.services.changes import Change
from alliance_desktop.services.database import (
    Database,
    StorageError,
    WrongPassphrase,
    open_database,
)
from alliance_desktop.services.errors import ServiceError
from alliance_desktop.ui.controllers.workspace import Workspace
from alliance_desktop.ui.dialogs import exec_until_saved
from alliance_desktop.ui.preferences import PreferencesDialog

DEMO_CLIENTS = 60


class PracticeController(QObject):
    """Preferences, and switching between the practice database and the demo."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        close_editors: Callable[[], bool],
        lock_minutes: Callable[[], int],
        apply_lock_minutes: Callable[[int], None],
    ) -> None:
        super().__init__(workspace)
        self.workspace = workspace
        self._close_editors = close_editors
        self._lock_minutes = lock_minutes
        self._apply_lock_minutes = apply_lock_minutes

    def edit_preferences(self) -> None:
        """Practice details, alerts, backups and security, saved together."""
        workspace = self.workspace
        with workspace.guarded():
            db = workspace.db
            dialog = PreferencesDialog(
                workspace.window,
                settings_service.load_practice(db),
                settings_service.load_alert_settings(db),
                settings_service.load_backup_settings(db),
                lock_minutes=self._lock_minutes(),
            )

            def save() -> bool:
                settings_service.save_preferences(
                    workspace.db, dialog.practice(), dialog.alerts(), dialog.backup()
                )
                return True

            saved = exec_until_saved(dialog, save, dialog.show_error)
            if saved:
                self._apply_lock_minutes(dialog.lock_minutes.value())
                # Alert thresholds re-word every summary; the practice name heads reports.
                workspace.announce(Change.settings(), "Preferences saved.")

    # -- which database ------------------------------------------------------------------

    def open_practice_database(self) -> None:
        """Go back from the demo (or another file) to the database the app was started on."""
        if self.workspace.db.path != self.workspace.practice_path:
            self.switch_database(self.workspace.practice_path)

    def open_demo_caseload(self) -> None:
        """Open (creating it the first time) a separate demo database beside the real one."""
        path = paths.data_dir() / "demo.db"
        if path.exists():
            self.switch_database(path)
            return
        paths.prepare_database_folder(paths.default_database_path())
        path.parent.mkdir(parents=True, exist_ok=True)
        passphrase = self.workspace.db.passphrase or ""
        from alliance_desktop.services.demo import generate_demo  # (loaded on first use)

        def work() -> Path:
            # The demo is encrypted too, with the practice's passphrase (one secret).
            # (beside the practice in use, whose instruments stay the registry's)
            demo_db = open_database(path, passphrase=passphrase, install_instruments=False)
            try:
                generate_demo(demo_db, DEMO_CLIENTS)
            finally:
                demo_db.close()
            return path

        def failed(exc: BaseException) -> None:
            path.unlink(missing_ok=True)
            self.workspace.report(exc)

        self.workspace.run(
            work,
            self.switch_database,
            failed,
            progress="Creating a demo caseload of made-up clients…",
            name="demoProgress",
        )

    def switch_database(self, path: Path) -> None:
        """Close the current database and open another (the demo caseload, say)."""
        if not self._close_editors():
            return
        try:
            new_db = self._open_with_my_passphrase(path)
        except (StorageError, ServiceError) as exc:
            self.workspace.complain(str(exc))
            return
        if new_db is None:
            return
        old = self.workspace.db
        self.workspace.db = new_db
        old.close()
        self.workspace.announce(Change.database())

    def _open_with_my_passphrase(self, path: Path) -> Database | None:
        """Open another database with this one's passphrase, or ask when that does not
        unlock it; None when the therapist cancels."""
        from alliance_desktop.ui.unlock import open_unlocked

        passphrase = self.workspace.db.passphrase
        if passphrase:
            try:
                return open_database(path, passphrase=passphrase, create=True)
            except WrongPassphrase:
                pass
        return open_unlocked(path, self.workspace.settings, parent=self.workspace.window)
