"""Acting on alerts: record a risk review, acknowledge an alert (record, dashboard, editor).

The views only ask (a signal with the client and the alert); this controller opens the
dialog, calls ``services.alerts`` and announces the change, so the list, the dashboard and
the record all show the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from alliance_desktop import APP_NAME
from alliance_desktop.services import alerts as alert_service
from alliance_desktop.services.changes import Change
from alliance_desktop.services.database import Database, StorageError
from alliance_desktop.services.errors import ServiceError
from alliance_desktop.ui.alert_dialogs import AcknowledgeDialog, RiskReviewDialog
from alliance_desktop.ui.controllers.workspace import Workspace
from alliance_desktop.ui.dialogs import exec_until_saved


class AlertsController(QObject):
    """Opens the review and acknowledge dialogs and saves what they gather."""

    def __init__(
        self,
        parent: QWidget,
        database: Callable[[], Database],
        events: Workspace,
        notify: Callable[[str], None],
        *,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._database = database
        self._events = events
        self._notify = notify
        #: Where "today" comes from (tests set a fixed one; nothing here reads it otherwise).
        self.clock = clock
        #: The dialog open now (tests drive it; None when none is open).
        self.dialog: RiskReviewDialog | AcknowledgeDialog | None = None

    def review_risk(self, client_id: int, parent: QWidget | None = None) -> Change | None:
        """Ask for a risk review of a client and record it; None when cancelled or refused."""
        db = self._database()
        try:
            context = alert_service.review_context(db, client_id)
        except (ServiceError, StorageError) as exc:
            self._complain(str(exc))
            return None
        dialog = RiskReviewDialog(
            parent or self._parent,
            client=context.client,
            waiting=list(context.waiting),
            today=self.clock().date(),
        )

        def save() -> Change:
            reviewed_on, action, ongoing = dialog.values()
            return alert_service.record_risk_review(
                self._database(),
                client_id,
                reviewed_on=reviewed_on,
                action=action,
                risk_ongoing=ongoing,
                now=self.clock(),
                shown=context.keys,
            )

        return self._run(dialog, save, f"Risk review recorded for {context.client}.")

    def acknowledge(
        self, client_id: int, alert: Mapping[str, Any], parent: QWidget | None = None
    ) -> Change | None:
        """Ask for an optional note and acknowledge the alert; None when cancelled."""
        if str(alert.get("kind")) in ("risk", "risk_ongoing"):
            return self.review_risk(client_id, parent)
        db = self._database()
        try:
            code = alert_service.review_context(db, client_id).client
        except (ServiceError, StorageError) as exc:
            self._complain(str(exc))
            return None
        dialog = AcknowledgeDialog(
            parent or self._parent,
            client=code,
            severity=str(alert.get("severity", "warning")),
            reason=str(alert.get("reason", "")),
        )
        ref = alert_service.AlertRef.from_dict(alert)

        def save() -> Change:
            return alert_service.acknowledge_alert(
                self._database(), client_id, ref, note=dialog.value(), now=self.clock()
            )

        return self._run(dialog, save, f"Alert acknowledged for {code}.")

    def _run(
        self,
        dialog: RiskReviewDialog | AcknowledgeDialog,
        save: Callable[[], Change],
        done: str,
    ) -> Change | None:
        """Keep ``dialog`` open until ``save`` succeeds or it is cancelled; announce the change."""
        self.dialog = dialog
        try:
            change = exec_until_saved(dialog, save, dialog.show_error)
        finally:
            self.dialog = None
            dialog.deleteLater()
        if change is not None:
            self._notify(done)
            self._events.dataChanged.emit(change)
        return change

    def _complain(self, message: str) -> None:
        QMessageBox.warning(self._parent, APP_NAME, message)
