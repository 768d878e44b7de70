"""The form that edits a permissions row or makes one: a box per value and per path rule, checked before
anything is written, each problem shown under the box it is about."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Static

from rcmd_tui.data.rcmd.permission_edit import (
    ACTIONS_TEXT,
    RULE_EXAMPLE,
    PermissionEdit,
    Problem,
)
from rcmd_tui.data.rcmd.permissions_view import FormValues, check_form, rule_index
from rcmd_tui.screens.permission_detail import wrapped
from rcmd_tui.widgets.safe_text import inert
from rcmd_tui.widgets.text_box import TextBox

NEW_RULE = f"a new rule, such as {RULE_EXAMPLE}"  # said so: in a dim placeholder an example could pass for a rule
# Where a problem is shown, by the field it names (a rule's own problems go under its box).
FIELD_BOXES = {"user": "user", "user_id": "user", "remote_id": "remote", "permissions": "permissions",
               "is_active": "is_active", "path_rules": "path_rules"}

# Priority keys: the focus moves before the keys typed after them are handed on, so that text sent in one burst
# with them (a paste, tmux send-keys) lands in the box it was meant for.
MOVES: list[BindingType] = [
    Binding(key, f"app.{action}", label, id=f"permissions.box.{name}", show=False, priority=True, tooltip=f"The {name} box")
    for key, action, label, name in (("down,tab", "focus_next", "Next box", "next"),
                                     ("up,shift+tab", "focus_previous", "Previous box", "previous"))
]



@dataclass(frozen=True, slots=True)
class FormAnswer:
    values: FormValues
    edit: PermissionEdit  # checked: what the plan will write


class PermissionForm(ModalScreen[FormAnswer | None]):
    """The values of one row in one-line boxes (each rule's JSON in a box of its own, a blank box at the end for
    a new rule). Enter checks everything with check_form and names each problem under its box; only values
    without a problem leave the form."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="permissions.form.cancel", tooltip="Close the form; nothing is written"),
        *MOVES,
    ]
    DEFAULT_CSS = """
    PermissionForm { align: center middle; }
    PermissionForm > VerticalScroll { width: 100; max-width: 100%; height: auto; max-height: 100%; background: $panel;
                                      border: thick $accent; padding: 0 1; }
    PermissionForm .form-row { height: 1; }
    PermissionForm .form-label { width: 13; }
    PermissionForm Input, PermissionForm Input:focus { border: none; height: 1; width: 1fr; padding: 0; background: $boost; }
    PermissionForm Input:focus { background: $accent 30%; }
    PermissionForm Input.-problem { background: $error 25%; }
    PermissionForm .form-error { color: $error; height: auto; display: none; padding-left: 13; }
    PermissionForm .form-error.-shown { display: block; }
    PermissionForm .form-help { color: $text-muted; height: auto; }
    """

    def __init__(self, heading: str, values: FormValues, *, new: bool = False, problems: Sequence[Problem] = (),
                 note: str = "") -> None:
        super().__init__()
        self.heading, self.values, self.new, self.problems, self.note = heading, values, new, tuple(problems), note
        self._rules_made = 0

    def _field(self, name: str, label: str, value: str, placeholder: str) -> Iterator[Widget]:
        yield Horizontal(Static(label, classes="form-label", markup=False),
                         TextBox(value=value, placeholder=placeholder, id=f"box-{name}"), classes="form-row")
        yield Static(classes="form-error", id=f"error-{name}")

    def _rule(self, text: str) -> tuple[Widget, Widget]:
        n = self._rules_made
        self._rules_made += 1
        row = Horizontal(Static(f"rule {n}", classes="form-label", markup=False),
                         TextBox(value=text, placeholder=NEW_RULE, classes="rule-box", id=f"rule-{n}"), classes="form-row")
        return row, Static(classes="form-error rule-error", id=f"error-rule-{n}")

    def compose(self) -> ComposeResult:
        with VerticalScroll(can_focus=False):  # the boxes take the focus; it scrolls to the one that has it
            yield Static(inert(self.heading, "bold"))
            if self.note:
                yield Static(wrapped(self.note, "italic"))
            if self.new:
                yield from self._field("user", "User", self.values.user, "a username or a user id")
                yield from self._field("remote", "Remote", self.values.remote, "the rclone remote, such as gdrive")
            yield from self._field("permissions", "Permissions", self.values.permissions, ACTIONS_TEXT)
            yield from self._field("is_active", "Active", self.values.active, "yes or no")
            yield Static("Path rules, one JSON object per box, in order (on a tie the earlier decides); "
                         "an empty box is dropped:", classes="form-help", markup=False)
            yield Static(classes="form-error", id="error-path_rules")
            rules = list(self.values.rules)
            while rules and not rules[-1].strip():  # one blank box at the end, also for values given back to fix
                rules.pop()
            for text in (*rules, ""):
                yield from self._rule(text)
            yield Static("Enter checks it and shows the change · ↓ ↑ or Tab move · Esc cancels", classes="form-help",
                         id="form-help", markup=False)

    def on_mount(self) -> None:
        self.show_problems(self.problems)
        first = self.query(".-problem").first(Input) if self.problems and self.query(".-problem") else None
        (first or self.query(Input).first()).focus()

    def current(self) -> FormValues:
        def box(name: str) -> str:
            found = self.query(f"#box-{name}")
            return found.first(Input).value if found else ""

        return FormValues(box("permissions"), tuple(b.value for b in self.query(".rule-box").results(Input)),
                          box("is_active"), box("user"), box("remote"))

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Each problem under the box it is about; a rule's under that rule's box (blank boxes are not rules)."""
        for each in self.query(Input):
            each.remove_class("-problem")
        boxes = list(self.query(".rule-box").results(Input))
        written = [b for b in boxes if b.value.strip()]
        said: dict[str, list[str]] = {}
        for problem in problems:
            box: Input | None  # the box to mark; a problem about the rules as a whole marks none
            at = rule_index(problem.field)
            if at is not None and at < len(written):
                box, where = written[at], f"error-{written[at].id}"
            else:
                name = FIELD_BOXES.get(problem.field, "path_rules")
                where = f"error-{name}"
                box = next(iter(self.query(f"#box-{name}").results(Input)), None)
            if box is not None:
                box.add_class("-problem")
            said.setdefault(where, []).append(str(problem))
        for message in self.query(".form-error").results(Static):
            lines = said.get(message.id or "", [])
            message.update(wrapped("\n".join(lines)))
            message.set_class(bool(lines), "-shown")

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """A box left shows its start again: a long rule reads from its path, not from where the cursor was."""
        if isinstance(event.widget, Input):
            event.widget.cursor_position = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        """Typing in the last rule box makes a new blank one below it, for the next rule."""
        # By the id the last box was made with: a burst of keys changes it again before the new box is mounted.
        if event.input.id == f"rule-{self._rules_made - 1}" and event.value.strip():
            row, error = self._rule("")
            self.query_one(VerticalScroll).mount(row, error, before=self.query_one("#form-help"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        values = self.current()
        checked = check_form(values, new=self.new)
        if checked.edit is None:
            self.show_problems(checked.problems)
            invalid = self.query(".-problem")
            if invalid:
                invalid.first(Input).focus()
            return
        self.dismiss(FormAnswer(values, checked.edit))

    def action_cancel(self) -> None:
        self.dismiss(None)


# The access check ------------------------------------------------------------------------------------
