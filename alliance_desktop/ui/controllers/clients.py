"""The client list, the record beside it and everything done to a client or their goals.

Owns the list's loading (off the UI thread, with the dashboard built in the same pass), the
record shown on the right, and the client and goal dialogs. It listens to every ``Change``:
the list reloads when what it shows changed, the open record when it concerns that client
(or the whole database: after a restore the record shows the restored data, or the
overview if the client is gone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QStackedWidget

from alliance_desktop.domain.vocabulary import ClientStatus, GoalStatus
from alliance_desktop.services import audit
from alliance_desktop.services import clients as client_service
from alliance_desktop.services import sessions as session_service
from alliance_desktop.services.changes import Change, Changed, ChangeKind
from alliance_desktop.services.clients import ClientInvalid, ClientRecord
from alliance_desktop.services.dashboard import Dashboard, load_caseload
from alliance_desktop.services.database import ClientListRow, EditConflict, StorageError
from alliance_desktop.services.errors import Conflict, ServiceError, clients_phrase
from alliance_desktop.ui.client_detail import ClientDetail
from alliance_desktop.ui.client_list import ClientListPanel
from alliance_desktop.ui.controllers.workspace import Workspace
from alliance_desktop.ui.dashboard import CaseloadDashboard
from alliance_desktop.ui.dialogs import (
    ClientDialog,
    DateDialog,
    GoalDialog,
    confirm_delete,
    exec_until_saved,
)

log = logging.getLogger(__name__)

PAGE_FIRST_RUN, PAGE_OVERVIEW, PAGE_CLIENT = range(3)
#: Said when an edit is refused because the client was changed elsewhere since the form opened.
CLIENT_CHANGED_ELSEWHERE = (
    "This client was changed elsewhere (in another window or on the command line) after "
    "you opened it. Your changes were not saved; they are still in the form — copy what "
    "you need, close it and open the client again."
)


class ClientsController(QObject):
    """Loads the list, shows the selected record and runs the client and goal dialogs."""

    def __init__(
        self,
        workspace: Workspace,
        client_list: ClientListPanel,
        detail: ClientDetail,
        *,
        dashboard: CaseloadDashboard,
        pages: QStackedWidget,
        counts: QLabel,
        is_locked: Callable[[], bool],
        close_editors_of: Callable[[int], None],
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(workspace)
        self.workspace = workspace
        self.client_list = client_list
        self.detail = detail
        self.dashboard = dashboard
        self.pages = pages
        self.counts = counts
        self._is_locked = is_locked
        self._close_editors_of = close_editors_of
        #: Where "today" comes from (discharge and goal dates); tests pass a fixed day.
        self.today = today
        self.loading = False
        self._reload_again = False
        self._listed_once = False
        self._pending_select: tuple[int, bool] | None = None
        client_list.clientSelected.connect(self._client_selected)
        client_list.clientActivated.connect(self.edit_client)
        detail.editRequested.connect(self.edit_client)
        detail.dischargeRequested.connect(self.discharge_client)
        detail.deleteRequested.connect(self.delete_client)
        detail.addGoalRequested.connect(self.new_goal)
        detail.editGoalRequested.connect(self.edit_goal)
        detail.goalStatusRequested.connect(self.set_goal_status)
        dashboard.clientRequested.connect(self.reveal_client)
        workspace.dataChanged.connect(self.on_change)

    # -- the list ------------------------------------------------------------------------

    def reload(self, select: int | None = None, *, reveal: bool = False) -> None:
        """Reload the list and dashboard off the UI thread (coalescing requests while one
        runs). ``select`` is selected afterwards if the filters show it; with ``reveal`` (a
        new client) the filters are cleared when they would hide it."""
        if self._is_locked():
            return  # nothing is loaded behind the lock screen; unlocking reloads
        if select is not None:
            self._pending_select = (select, reveal)
        if self.loading:
            self._reload_again = True
            return
        self.loading = True
        first_load = self.client_list.model.total_count() == 0
        db = self.workspace.db
        if first_load:
            self.counts.setText("Loading clients…")
        self.workspace.run(lambda: load_caseload(db, self.today()), self._loaded, self._failed)

    def _loaded(self, loaded: tuple[list[ClientListRow], Dashboard]) -> None:
        rows, dashboard = loaded
        self.loading = False
        if self._is_locked():  # finished after the lock: show nothing of it
            self._reload_again = False
            return
        if self._reload_again:
            self._reload_again = False
            self.reload()
            return
        first_load = not self._listed_once
        self._listed_once = True
        self.client_list.set_rows(rows)
        self.dashboard.show_dashboard(dashboard)
        if first_load:
            # The moment a therapist can start work: `make bench` and the bundle tests wait
            # for this line to time a launch (a number, no client data).
            log.info("client list shown: %d clients", len(rows))
        if self._pending_select is not None:
            client_id, reveal = self._pending_select
            self.client_list.select_client(client_id, reveal=reveal)
            self._pending_select = None
        active = sum(1 for r in rows if r.status is ClientStatus.ACTIVE)
        self.counts.setText(f"{clients_phrase(len(rows))} ({active:,} active)")
        self.show_right_side()

    def _failed(self, exc: BaseException) -> None:
        self.loading = False
        if not self._is_locked():
            self.counts.setText("")
            self.workspace.report(exc)

    def show_right_side(self) -> None:
        """The start page with no clients, the overview with none selected."""
        if self.client_list.model.total_count() == 0:
            self.pages.setCurrentIndex(PAGE_FIRST_RUN)
        elif self.client_list.selected_client_id() is None:
            self.pages.setCurrentIndex(PAGE_OVERVIEW)

    def selected(self) -> int | None:
        return self.client_list.selected_client_id()

    def select_after_load(self, client_id: int) -> None:
        """Select ``client_id`` once the list has (re)loaded (after an unlock, say)."""
        self._pending_select = (client_id, True)

    # -- the record ----------------------------------------------------------------------

    def _client_selected(self, client_id: int | None) -> None:
        if client_id is None:
            self.show_right_side()
            return
        self.show_client(client_id)

    def show_client(self, client_id: int) -> bool:
        """Show a client's record (logged when it is newly opened); False if it is gone."""
        shown_before = self.detail.record
        try:
            record = client_service.client_record(self.workspace.db, client_id)
            if shown_before is None or shown_before.client_id != client_id:
                # Opening a record is logged; showing it again after a change is not.
                audit.record(self.workspace.db, "client_opened", client_code=record.fields.code)
        except (ServiceError, StorageError) as exc:
            self.workspace.complain(str(exc))
            return False
        self.detail.show_record(record)
        self.pages.setCurrentIndex(PAGE_CLIENT)
        return True

    def leave_record(self) -> None:
        """Show no record (its client was deleted, or is not in a restored database)."""
        self.client_list.table.clearSelection()
        self.detail.record = None
        self.pages.setCurrentIndex(PAGE_OVERVIEW)

    def reveal_client(self, client_id: int) -> None:
        """Select a client in the list (clearing filters that hide them) and show them."""
        if not self.client_list.select_client(client_id, reveal=True):
            self.show_client(client_id)  # not in the list yet: show the record anyway

    def on_change(self, change: Change) -> None:
        """Refresh what ``change`` touched: the list, the open record, or both."""
        if self._is_locked():
            return
        what = change.what
        shown = self.detail.record
        if change.kind is ChangeKind.CLIENT_DELETED:
            if shown is not None and shown.client_id == change.client_id:
                self.leave_record()  # at once, before the list has reloaded
            self.reload()
            return
        if what & Changed.DATABASE:
            self._database_changed(change, shown)
            return
        on_dashboard = self.pages.currentWidget() is self.dashboard
        if change.kind is ChangeKind.CLIENT_ADDED and change.client_id is not None:
            # A new client is selected and shown wherever it was added from (the filters
            # cleared if they would hide it).
            self.reload(select=change.client_id, reveal=True)
            self.show_client(change.client_id)
        elif change.client_id is not None and not on_dashboard:
            # Follow the change: the client whose session, goal or details were saved.
            self.reload(select=change.client_id)
            if shown is None or shown.client_id == change.client_id:
                self.show_client(change.client_id)
        elif what & Changed.CLIENT_LIST:
            self.reload()  # acted on from the dashboard: stay there, with the line gone
        if shown is not None and change.touches(shown.client_id) and change.client_id is None:
            self.show_client(shown.client_id)  # settings re-word the open record's alerts

    def _database_changed(self, change: Change, shown: ClientRecord | None) -> None:
        """Another database, a restored one, or the same one unlocked: ids mean nothing
        across databases (and are reused after a delete), so a record is never carried
        over by id; after a restore the same client is found again by their code."""
        self._pending_select = None
        if shown is not None:
            self.leave_record()
        if change.kind is ChangeKind.DATABASE_REPLACED and shown is not None:
            again = self._client_with_code(shown.fields.code)
            if again is not None and self.show_client(again):  # logged as newly opened
                self._pending_select = (again, False)
        self.reload()

    def _client_with_code(self, code: str) -> int | None:
        try:
            return session_service.client_for_code(self.workspace.db, code)
        except (ServiceError, StorageError):
            return None

    def clear_for_lock(self) -> None:
        """Names and records leave memory and screen while locked."""
        self.detail.record = None
        self.client_list.model.set_rows([])
        self.counts.setText("Locked")

    # -- client actions ------------------------------------------------------------------

    def new_client(self) -> None:
        with self.workspace.guarded():
            code = client_service.next_client_code(self.workspace.db)
            self._run_client_dialog(
                ClientDialog(self.workspace.window, suggested_code=code, today=self.today()), None
            )

    def edit_client(self, client_id: int) -> None:
        with self.workspace.guarded():
            record = client_service.client_record(self.workspace.db, client_id)
            dialog = ClientDialog(self.workspace.window, initial=record.fields, today=self.today())
            self._run_client_dialog(dialog, client_id, record.fields.version)

    def _run_client_dialog(
        self, dialog: ClientDialog, client_id: int | None, version: int | None = None
    ) -> None:
        """Run the client form until saved or cancelled. ``version`` is the client's version
        the form was filled from: a change saved elsewhere since then is refused, not
        overwritten, and the form stays open with what was typed."""

        def save() -> Change:
            fields, problems = dialog.fields()
            if fields is None:
                raise ClientInvalid(problems)
            db = self.workspace.db  # (the one open now: a lock meanwhile opens it anew)
            if client_id is None:
                return client_service.create_client(db, fields)
            try:
                return client_service.update_client(db, client_id, fields, expected_version=version)
            except EditConflict:
                raise Conflict(CLIENT_CHANGED_ELSEWHERE) from None

        change = exec_until_saved(
            dialog,
            save,
            lambda text: self.workspace.complain(text, dialog),
            dialog.errors.show,
        )
        if change is not None:
            code = dialog.code.text().strip()
            added = change.kind is ChangeKind.CLIENT_ADDED
            self.workspace.announce(change, f"{'Added' if added else 'Saved'} client {code}.")

    def discharge_client(self, client_id: int) -> None:
        with self.workspace.guarded():
            record = client_service.client_record(self.workspace.db, client_id)
            f = record.fields
            name = f"{f.code} {f.given_name} {f.family_name}".strip()
            dialog = DateDialog(
                self.workspace.window,
                "Discharge client",
                f"Discharge {name}? The record is kept; to reopen it, edit the status.",
                self.today(),
            )
            change = exec_until_saved(
                dialog,
                lambda: client_service.discharge_client(
                    self.workspace.db, client_id, dialog.value()
                ),
                dialog.show_error,
            )
            if change is not None:
                self.workspace.announce(change, f"Discharged {f.code} on {dialog.value()}.")

    def delete_client(self, client_id: int) -> None:
        with self.workspace.guarded():
            db = self.workspace.db
            record = client_service.client_record(db, client_id)
            f = record.fields
            name = f"{f.given_name} {f.family_name}".strip()
            until = client_service.backups_hold_until(db, self.today())
            if not confirm_delete(self.workspace.window, f.code, name, len(record.sessions), until):
                return
            self._close_editors_of(client_id)  # their sessions go with the client
            change = client_service.delete_client(db, client_id)
            self.workspace.announce(change, f"Deleted {f.code} {name}.".replace("  ", " "))

    # -- goals ---------------------------------------------------------------------------

    def new_goal(self, client_id: int) -> None:
        dialog = GoalDialog(self.workspace.window, agreed_on=self.today())
        change = exec_until_saved(
            dialog,
            lambda: client_service.add_goal(self.workspace.db, client_id, *dialog.values()),
            dialog.show_error,
        )
        if change is not None:
            self.workspace.announce(change, "Goal added.")

    def edit_goal(self, goal_id: int) -> None:
        record = self.detail.record
        goal = next((g for g in record.goals if g.goal_id == goal_id), None) if record else None
        if goal is None:
            return
        dialog = GoalDialog(
            self.workspace.window, description=goal.description, agreed_on=goal.agreed_on
        )
        change = exec_until_saved(
            dialog,
            lambda: client_service.edit_goal(self.workspace.db, goal_id, *dialog.values()),
            dialog.show_error,
        )
        if change is not None:
            self.workspace.announce(change, "Goal saved.")

    def set_goal_status(self, goal_id: int, status: GoalStatus) -> None:
        with self.workspace.guarded():
            change = client_service.set_goal_status(
                self.workspace.db, goal_id, status, self.today()
            )
            self.workspace.announce(change)

    def focus_filter(self) -> None:
        """Put the cursor in the list's filter (Ctrl+F), its text selected."""
        edit = self.client_list.filter_edit
        edit.setFocus()
        edit.selectAll()
