"""RCMD users: the list, plus activate and deactivate (admin, read-write sessions only)."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType

from rcmd_tui.data import actions
from rcmd_tui.data.actions import Plan, Privilege
from rcmd_tui.data.connections import where
from rcmd_tui.data.listing import Record
from rcmd_tui.data.rcmd_actions import USERS_ACTIVE_PRIVILEGES, set_users_active
from rcmd_tui.errors import describe_error
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.screens.list_screen import ListScreen


class ActionListScreen(ListScreen):
    """A list with actions, offered only where the console role, the session and the database role allow them."""

    allowed = False  # until the check says otherwise
    privileges: tuple[Privilege, ...] = ()

    def on_mount(self) -> None:
        super().on_mount()
        self.check_allowed()

    @work(exclusive=True, group="privileges", exit_on_error=False)
    async def check_allowed(self) -> None:
        app = self.rcmd_app
        self.allowed = await actions.offered(app.pools.primary(self.spec.system), app.profile, app.read_only, ("admin",),
                                             self.privileges)
        self.refresh_bindings()

    def actions_allowed(self) -> bool:
        return self.allowed

    def targets(self) -> list[Record]:
        marked = self.table.marked_records()
        current = self.table.current()
        return marked or ([current] if current is not None else [])

    @work(exclusive=True, group="action", exit_on_error=False)
    async def propose(self, plan: Plan) -> None:
        app = self.rcmd_app
        pool = app.pools.primary(plan.system)
        try:
            statements = await actions.render(pool, plan)
        except Exception as exc:
            self.show_error(describe_error(exc, plan.system))
            return
        spec = app.pools.specs[plan.system]
        confirmed = await app.push_screen_wait(ConfirmScreen.for_plan(plan, statements, where(spec.dsn), app.profile.timeouts.lock_ms))
        if not confirmed:
            self.notify("Cancelled; nothing was changed", timeout=2)
            return
        try:
            changed = await actions.run(pool, plan, app.profile.timeouts.lock_ms)
        except Exception as exc:
            error = describe_error(exc, plan.system)
            self.show_error(error)
            self.notify(error.message, title=error.title, severity="error", markup=False)
            return
        self.notify(f"{plan.title}: done, {changed} row{'s' if changed != 1 else ''} changed (audited)", timeout=4, markup=False)
        self.table.marked.clear()
        self.reload()


class RcmdUsersScreen(ActionListScreen):
    privileges = USERS_ACTIVE_PRIVILEGES

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("D", "set_active(False)", "Deactivate", id="users.deactivate",
                tooltip="Deactivate the marked users (or this one); asks first, audited"),
        Binding("A", "set_active(True)", "Activate", id="users.activate",
                tooltip="Activate the marked users (or this one); asks first, audited"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "set_active":
            return self.actions_allowed()
        return super().check_action(action, parameters)

    def action_set_active(self, active: bool) -> None:
        if not self.actions_allowed():
            return
        chosen = [r for r in self.targets() if r.get("is_active") is not active]
        if not chosen:
            self.notify(f"Nothing to {'activate' if active else 'deactivate'}: the chosen users already are", timeout=3)
            return
        users = [(str(r.get("id")), str(r.get("username"))) for r in chosen]
        self.propose(set_users_active(users, active, self.rcmd_app.profile))
