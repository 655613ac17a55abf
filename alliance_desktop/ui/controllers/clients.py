"""The client list, the record beside it and everything done to a client or their goals.

Owns the list's loading (off the UI thread, with the dashboard built in the same pass), the
record shown on the right, and the client and goal dialogs. It listens to every ``Change``:
the list reloads when what it shows changed, the open record when it concerns that client
(or the whole database: after a restore the record shows the restored data, or the
overview if the client is gone).

The window's first load comes in steps, so the therapist can start before all of it is
there: the first screen of the list in its order (``summaries.first_screen``: 200 rows, a
few milliseconds where the whole list takes half a second at 50,000 clients), logged
"client list shown" once it is painted; then every client; then every client's alerts and
the dashboard, logged "client list complete". All read only what is stored, since the
database's check may still be running (``Workspace``); when a stored summary is out of
date the list waits for the check and recomputes it, as every later reload may.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedWidget

from alliance_desktop.domain.vocabulary import ClientStatus, GoalStatus
from alliance_desktop.services import audit
from alliance_desktop.services import clients as client_service
from alliance_desktop.services import sessions as session_service
from alliance_desktop.services.changes import Change, Changed, ChangeKind
from alliance_desktop.services.clients import ClientInvalid, ClientRecord
from alliance_desktop.services.dashboard import Dashboard, load_caseload, load_stored_caseload
from alliance_desktop.services.database import (
    ClientListRow,
    Database,
    EditConflict,
    StorageError,
)
from alliance_desktop.services.errors import Conflict, ServiceError, clients_phrase
from alliance_desktop.services.summaries import (
    FirstScreen,
    first_screen,
    search_keys,
    stored_clients,
)
from alliance_desktop.ui.client_detail import ClientDetail
from alliance_desktop.ui.client_list import COLUMN_KEYS, ClientListPanel
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
FIRST_SCREEN_ROWS = 200
#: Said when an edit is refused because the client was changed elsewhere since the form opened.
CLIENT_CHANGED_ELSEWHERE = (
    "This client was changed elsewhere (in another window or on the command line) after "
    "you opened it. Your changes were not saved; they are still in the form — copy what "
    "you need, close it and open the client again."
)


#: A load's result: the rows with their search keys, and the dashboard (None: not yet).
Loaded = tuple[list[ClientListRow], list[str], Dashboard | None]


def _with_keys(loaded: tuple[list[ClientListRow], Dashboard]) -> Loaded:
    """Add the search keys to a load, on the database thread (not the UI's)."""
    rows, dashboard = loaded
    return rows, search_keys(rows), dashboard


def _whole_list(db: Database) -> Loaded | None:
    """The list alone as stored (writing nothing); None when a summary is out of date."""
    rows = stored_clients(db)
    return None if rows is None else (rows, search_keys(rows), None)


def _first_rows(
    db: Database, status: ClientStatus | None, order: str, descending: bool, limit: int
) -> tuple[FirstScreen, list[str]] | Loaded | None:
    """The first screen of the list with its search keys; the whole list instead when it
    is hardly longer, or in an order SQL cannot give (``summaries.first_screen``)."""
    page = first_screen(db, status=status, order=order, descending=descending, limit=limit)
    if page is None or page.total <= limit:
        return _whole_list(db)
    return page, search_keys(page.rows)


def _stored_caseload(db: Database, today: date) -> Loaded | None:
    """The list with alerts and the dashboard, as stored; None when a summary is out of date."""
    loaded = load_stored_caseload(db, today)
    return None if loaded is None else _with_keys(loaded)


class ClientsController(QObject):
    """Loads the list, shows the selected record and runs the client and goal dialogs."""

    #: The window's first load is over: every client, their alerts and the dashboard are
    #: shown (or it failed, and said why).
    firstLoadDone = Signal()

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
        self._listed_once = False  # the first screen of the list has been shown
        self._complete_once = False  # and everything after it
        #: Rows read for the first screen (enough for a tall screen at 200 %).
        self.first_screen_rows = FIRST_SCREEN_ROWS
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
        if not self._listed_once:
            self._load_first_screen()
            return
        if self.client_list.model.total_count() == 0:
            self.counts.setText("Loading clients…")
        self._load_all()

    def _load_all(self) -> None:
        """The list with alerts and the dashboard, recomputing out-of-date summaries (a
        write, so after the database's check: ``workspace.db`` waits for it)."""
        try:
            db = self.workspace.db
        except StorageError as exc:
            self._failed(exc)
            return
        today = self.today()
        self.workspace.run(lambda: _with_keys(load_caseload(db, today)), self._loaded, self._failed)

    def _load_first_screen(self) -> None:
        """The window's first load, step one: the first screen of the list, in the order
        and with the status filter the therapist left it in."""
        db = self.workspace.unchecked_db
        self.counts.setText("Loading clients…")
        self.dashboard.show_loading()
        self.pages.setCurrentIndex(PAGE_OVERVIEW)  # not the first-run page: clients may come
        header = self.client_list.table.horizontalHeader()
        order = (
            COLUMN_KEYS[header.sortIndicatorSection()]
            if header.sortIndicatorSection() >= 0
            else "code"
        )
        descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        status, limit = self.client_list.status(), self.first_screen_rows
        self.workspace.run(
            lambda: _first_rows(db, status, order, descending, limit),
            self._first_rows_loaded,
            self._failed,
        )

    def _first_rows_loaded(self, loaded: tuple[FirstScreen, list[str]] | Loaded | None) -> None:
        if self._is_locked():
            self.loading = self._reload_again = False
            return
        if loaded is None:  # out-of-date summaries: recomputing them writes
            self._load_all()
            return
        self._listed_once = True
        db = self.workspace.unchecked_db
        if isinstance(loaded[0], FirstScreen):
            page, keys = loaded
            self.client_list.set_rows(page.rows, keys, loading_total=page.total)
            count = page.total
            self.counts.setText(f"Loading {clients_phrase(page.total)}…")
            self.workspace.run(lambda: _whole_list(db), self._whole_list_loaded, self._failed)
        else:
            rows, keys, _ = loaded
            self.client_list.set_rows(rows, keys)
            count = len(rows)
            self._show_counts(rows)
            self._load_dashboard()
        # The moment a therapist can start work: `make bench` and the bundle tests wait
        # for this line to time a launch (a number, no client data). Logged once the rows
        # are painted.
        self.client_list.when_painted(lambda: self._first_screen_shown(count))
        self.show_right_side()

    def _whole_list_loaded(self, loaded: Loaded | None) -> None:
        """Step two (after a first screen): every client, the find box searches them all."""
        if self._is_locked():
            self.loading = self._reload_again = False
            return
        if loaded is None:
            self._load_all()
            return
        rows, keys, _ = loaded
        self.client_list.set_rows(rows, keys)
        self._show_counts(rows)
        self.show_right_side()
        self._load_dashboard()

    def _load_dashboard(self) -> None:
        """The last step: every client's alerts and the dashboard. A change saved meanwhile
        is in what it reads."""
        self._reload_again = False
        db, today = self.workspace.unchecked_db, self.today()
        self.workspace.run(lambda: _stored_caseload(db, today), self._loaded, self._failed)

    def _first_screen_shown(self, count: int) -> None:
        log.info("client list shown: %d clients", count)

    def _loaded(self, loaded: Loaded | None) -> None:
        if loaded is None:  # (step two found an out-of-date summary after all)
            self._load_all()
            return
        rows, keys, dashboard = loaded
        self.loading = False
        if self._is_locked():  # finished after the lock: show nothing of it
            self._reload_again = False
            return
        if self._reload_again:
            self._reload_again = False
            self.reload()
            return
        first_screen, first_load = not self._listed_once, not self._complete_once
        self._listed_once = self._complete_once = True
        self.client_list.set_rows(rows, keys)
        if dashboard is not None:
            self.dashboard.show_dashboard(dashboard)
        count = len(rows)
        if first_screen:  # (summaries had to be recomputed: no first screen came before)
            self.client_list.when_painted(lambda: self._first_screen_shown(count))
            self.client_list.when_painted(lambda: self._first_load_complete(count))
        elif first_load:
            self._first_load_complete(count)
        if self._pending_select is not None:
            client_id, reveal = self._pending_select
            self.client_list.select_client(client_id, reveal=reveal)
            self._pending_select = None
        self._show_counts(rows)
        self.show_right_side()

    def _first_load_complete(self, count: int) -> None:
        log.info("client list complete: %d clients", count)
        self.firstLoadDone.emit()
        # Now the database's check (it reads the whole file: five seconds at 50,000
        # clients, and alongside the loads it slowed them twofold without ending sooner).
        # A write wanted before it is over starts it at once (``Workspace.db``).
        self.workspace.check_soundness()

    def _show_counts(self, rows: list[ClientListRow]) -> None:
        active = sum(1 for r in rows if r.status is ClientStatus.ACTIVE)
        self.counts.setText(f"{clients_phrase(len(rows))} ({active:,} active)")

    def _failed(self, exc: BaseException) -> None:
        self.loading = False
        if not self._complete_once:
            self._complete_once = True
            self.firstLoadDone.emit()
        if self._is_locked() or self.workspace.closed_unchecked:
            return  # (closing before the check: the load was refused on purpose)
        self.counts.setText("")
        if self.workspace.checking:  # a database not checked yet: is it damaged?
            self.workspace.wait_for_check()
        if not self.workspace.damage:  # damage: the window offers recovery instead
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
        self.client_list.set_rows([])
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
