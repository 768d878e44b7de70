"""Storage and indexes: the list, and the audit partition of a missing month created (asks first, audited)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from textual.binding import Binding, BindingType

from rcmd_tui.data.actions.plan import Privilege
from rcmd_tui.data.monitor.storage import create_partition
from rcmd_tui.screens.list_screen import ListScreen

AUDIT_TABLE = "audit_logs"


class StorageScreen(ListScreen):
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"create_partition"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("N", "create_partition", "Create partition", id="storage.create_partition",
                tooltip="On a missing month: create its audit partition as the migrations do (asks first, audited)"),
    ]

    def privileges_needed(self) -> tuple[Privilege, ...]:
        return create_partition(self.spec.system, AUDIT_TABLE, date(2000, 1, 1), self.services.profile).privileges

    def action_create_partition(self) -> None:
        if self.refuse("Create partition"):
            return
        record = self.table.current()
        month = record.get("month_start") if record is not None else None
        if record is None or record.get("kind") != "missing" or not isinstance(month, date):
            self.notify("Move to a missing month first (/kind=missing lists them)", severity="warning", timeout=4)
            return
        self.propose(create_partition(self.spec.system, str(record.get("parent") or AUDIT_TABLE), month, self.services.profile))
