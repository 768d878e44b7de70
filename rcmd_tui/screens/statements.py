"""Slow queries: the list, a statement's detail with its plan, and reset (this database's statistics only)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from rcmd_tui.data.actions.plan import Plan, Privilege
from rcmd_tui.data.actions.run import Result
from rcmd_tui.data.monitor.backend_actions import reset_statements
from rcmd_tui.data.monitor.statements import extension_schema
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.screens.statement_detail import StatementDetail


class StatementsScreen(ListScreen):
    DETAIL = StatementDetail
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"reset"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("R", "reset", "Reset stats", id="statements.reset",
                tooltip="Reset pg_stat_statements for this database (asks first, audited)"),
    ]

    def privileges_needed(self) -> tuple[Privilege, ...]:
        return reset_statements(self.spec.system, None, self.services.profile).privileges

    def action_reset(self) -> None:
        if self.refuse("Reset"):
            return
        schema = extension_schema(self.services, self.spec.system)
        if schema is None:
            self.notify("Nothing to reset: pg_stat_statements has not been read here (the panel above says why)",
                        severity="warning", timeout=4)
            return
        database = self.services.where(self.spec.system).rsplit("/", 1)[-1]
        self.propose(reset_statements(self.spec.system, schema, self.services.profile, database))

    def after_action(self, plan: Plan, result: Result) -> None:
        self.reload()  # the list starts again from nothing
