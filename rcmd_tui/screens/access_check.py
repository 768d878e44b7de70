"""Check access: may this row's user do an action at a path, and which rule (or fallback) decides. Writes
nothing, so it is offered in read-only sessions too."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from rcmd_tui.data.rcmd.access import ACTIONS, Grant, decide_access
from rcmd_tui.data.rcmd.permission_edit import (
    ACTIONS_TEXT,
)
from rcmd_tui.screens.permission_detail import wrapped
from rcmd_tui.screens.permission_form import MOVES
from rcmd_tui.widgets.safe_text import inert
from rcmd_tui.widgets.text_box import TextBox


class AccessCheck(ModalScreen[None]):
    """May the row's user do an action at a path: the answer and what decided it (docs/permissions.md), for as
    many paths as are asked. Reads nothing more and writes nothing."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="permissions.check.close", tooltip="Close the check"),
        *MOVES,
    ]
    DEFAULT_CSS = """
    AccessCheck { align: center middle; }
    AccessCheck > Vertical { width: 90; max-width: 100%; height: auto; background: $panel; border: tall $accent; padding: 0 1; }
    AccessCheck .form-row { height: 1; }
    AccessCheck .form-label { width: 8; }
    AccessCheck Input, AccessCheck Input:focus { border: none; height: 1; width: 1fr; padding: 0; background: $boost; }
    AccessCheck Input:focus { background: $accent 30%; }
    AccessCheck #check-answer { height: auto; margin-top: 1; }
    AccessCheck .form-help { color: $text-muted; height: auto; }
    """

    def __init__(self, who: str, grant: Grant | None, problem: str = "") -> None:
        super().__init__()
        self.who, self.grant, self.problem = who, grant, problem
        self.answer = ""  # the last answer, as shown

    def compose(self) -> ComposeResult:
        grant = self.grant
        if grant is None:
            about = f"this row cannot be evaluated: {self.problem}"
        else:
            rules = len(grant.path_rules)
            about = (f"{'active' if grant.is_active else 'INACTIVE'} · base {' '.join(grant.permissions) or 'none'} · "
                     f"{rules} path rule{'s' if rules != 1 else ''}")
        with Vertical():
            yield Static(inert(f"Check access: {self.who}", "bold"))
            yield Static(wrapped(about, "" if grant is not None else "bold red"))
            yield Horizontal(Static("Path", classes="form-label"), TextBox(placeholder="/private/report.pdf", id="check-path"),
                             classes="form-row")
            yield Horizontal(Static("Action", classes="form-label"), TextBox(placeholder=ACTIONS_TEXT, id="check-action"),
                             classes="form-row")
            yield Static(id="check-answer")
            yield Static("Enter answers (nothing is written) · ↓ ↑ or Tab move · Esc closes", classes="form-help",
                         markup=False)

    def on_mount(self) -> None:
        self.query_one("#check-path", Input).focus()

    def say(self, text: str, style: str) -> None:
        self.answer = text
        self.query_one("#check-answer", Static).update(wrapped(text, style))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = self.query_one("#check-path", Input).value.strip()
        action_box = self.query_one("#check-action", Input)
        action = action_box.value.strip().lower()
        if event.input.id == "check-path" and not action:  # the path typed: the action next
            action_box.focus()
            return
        if self.grant is None:
            self.say(f"no answer: {self.problem}", "bold red")
            return
        if not path:
            self.say("path: type one, such as /private/report.pdf", "bold red")
            return
        chosen = next((a for a in ACTIONS if a == action), None)
        if chosen is None:
            self.say(f"action: {action!r} is not an action; use {ACTIONS_TEXT}", "bold red")
            return
        decision = decide_access(self.grant, path, chosen)
        matched = f"\n(matched as {decision.path})" if decision.path != path else ""
        self.say(decision.explain() + matched, "bold green" if decision.allowed else "bold red")

    def action_close(self) -> None:
        self.dismiss(None)


# The list --------------------------------------------------------------------------------------------
