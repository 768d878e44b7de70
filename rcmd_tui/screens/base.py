"""The standard screen: the frame every screen shares, the one route failures take, and the one path an
action takes from proposal to result.

The frame: a header (the screen's name, profile, role, READ-ONLY, target dots), an error panel, the screen's
body, a status line and the key footer. A screen gives its name and its body; it is handed the console's
services when it is made and never reaches for the app.

Failures: every worker of the screen, and every widget that forwards its own (``WorkerFailed``), ends in
:meth:`StandardScreen.failed`, which maps the exception by type (``data.infra.failures.describe``) to a
title, a message and a fix in the error panel. Nothing else in screens or widgets catches ``Exception``.

Actions: :meth:`StandardScreen.propose` renders a plan, asks for confirmation (typed words where the plan
says so), runs it with the one runner, reports the result and calls :meth:`after_action`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker

from rcmd_tui.config import ConsoleRole
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.actions.plan import Plan, Privilege
from rcmd_tui.data.infra.failures import describe
from rcmd_tui.data.infra.services import Services
from rcmd_tui.errors import RcmdError
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.text import escape_controls
from rcmd_tui.widgets.error_panel import ErrorPanel
from rcmd_tui.widgets.key_footer import KeyFooter
from rcmd_tui.widgets.status_header import StatusHeader
from rcmd_tui.widgets.status_line import StatusLine
from rcmd_tui.widgets.worker_failed import WorkerFailed, failure_of


class StandardScreen(Screen[None]):
    # Bars that open over the body (filter, prompts) sit on the overlay layer, so opening or closing one never
    # changes the size of the list under it (which would render every row again).
    DEFAULT_CSS = """
    StandardScreen { layers: base overlay; }
    StandardScreen #status { height: 1; padding: 0 1; background: $boost; }
    """
    # Actions this screen offers: who may (console roles) and what the database role must hold
    # (privileges_needed). Checked once when the screen opens; until then, and if any check fails, the actions
    # are hidden.
    ACTION_ROLES: ClassVar[tuple[ConsoleRole, ...]] = ("admin",)
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset()  # binding actions shown only when offered

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.actions_offered = False

    @dataclass
    class OpenView(Message):
        """Open another view, filtered (a user's detail leads to their sessions); the app finds its screen."""

        view: str
        system: str
        filter_text: str

    # -- what a screen says about itself ----------------------------------------------------------------

    @property
    def screen_name(self) -> str:
        """Shown first in the header; stays visible at 80 columns."""
        return type(self).__name__

    @property
    def target(self) -> str:
        """The target a failure is about, when the exception does not name one (rcmd, ordersync, …)."""
        return "console"

    def compose_body(self) -> ComposeResult:
        yield from ()

    # -- the frame ------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusHeader(self.services, self.screen_name)
        yield ErrorPanel()
        yield from self.compose_body()
        yield StatusLine(id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        if self.privileges_needed():
            self.check_actions()

    @property
    def status_line(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    def set_status(self, text: Text) -> None:
        self.status_line.set(text)

    # -- failures -------------------------------------------------------------------------------------------

    def show_error(self, error: RcmdError) -> None:
        self.query_one(ErrorPanel).show(error)

    def clear_error(self) -> None:
        self.query_one(ErrorPanel).clear()

    def failed(self, error: BaseException, group: str = "") -> None:
        """The one route: any failure of this screen's work, told with its fix."""
        described = describe(error, self.target, self.services.where(self.target))
        self.show_error(described)
        self.after_failure(described, group)

    def after_failure(self, error: RcmdError, group: str) -> None:
        """What a screen does besides showing the error (a list stops saying "loading…")."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        failed = failure_of(event)
        if failed is not None:
            self.failed(failed.error, failed.group)

    def on_worker_failed(self, event: WorkerFailed) -> None:
        event.stop()
        self.failed(event.error, event.group)

    # -- actions --------------------------------------------------------------------------------------------

    @property
    def action_system(self) -> str:
        return "rcmd"

    def privileges_needed(self) -> tuple[Privilege, ...]:
        """What the database role must hold for this screen's actions: its plans' own needs, read off their
        statements (so the check and the statements cannot disagree)."""
        return ()

    @work(exclusive=True, group="privileges", exit_on_error=False)
    async def check_actions(self) -> None:
        self.actions_offered = await actions.action_is_offered(self.services, self.action_system, self.ACTION_ROLES,
                                                               self.privileges_needed())
        self.refresh_bindings()

    @work(exclusive=True, group="action", exit_on_error=False)
    async def propose(self, plan: Plan) -> None:
        statements = await actions.render(self.services, plan)
        where = self.services.where(plan.system)
        how = f"On {plan.system} ({where}), lock_timeout {self.services.profile.timeouts.lock_ms} ms: {plan.how}."
        shown = (["The change:\n" + "\n".join(plan.preview)] if plan.preview else []) + statements
        confirmed = await self.app.push_screen_wait(ConfirmScreen(plan.title, plan.targets, shown, how, plan.typed))
        if not confirmed:
            self.notify("Cancelled; nothing was changed", timeout=2)
            return
        try:
            result = await actions.run(self.services, plan)
        except RcmdError as error:  # refused or changed: told here and as a toast, the screen stays as it is
            self.show_error(error)
            self.notify(escape_controls(error.message), title=error.title, severity="error", markup=False)
            return
        self.clear_error()
        changed = f", {plan.outcome(result.changed)}" if plan.statements else ""
        self.notify(escape_controls(f"{plan.title}: done{changed} (audited)"), timeout=4, markup=False)
        self.after_action(plan, result)

    def after_action(self, plan: Plan, result: actions.Result) -> None:
        """Show the change (a list re-reads its rows in place)."""

    def is_offered(self, action: str) -> bool:
        """Whether the footer and `?` show ``action``: guarded actions only when this session may run them."""
        return action.split("(", 1)[0] not in self.GUARDED_ACTIONS or self.actions_offered

    def why_not_offered(self) -> str:
        services = self.services
        if services.read_only:
            return "this session is read-only (--read-only or read_only = true)"
        if services.profile.role not in self.ACTION_ROLES:
            return f"the {services.profile.role} console role may not (it needs: {', '.join(self.ACTION_ROLES)})"
        if not self.actions_offered:
            return "the database role lacks a privilege it needs (docs/roles.md), or the check has not answered yet"
        return ""

    def refuse(self, what: str) -> bool:
        """True, after saying why, when a guarded action is pressed but not offered."""
        if self.actions_offered:
            return False
        self.notify(f"{what} is not offered: {self.why_not_offered()}", severity="warning", timeout=4, markup=False)
        return True

