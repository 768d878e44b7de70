"""Every field of one row: JSON as a foldable, highlighted tree; encrypted fields masked until revealed
(with a reason, audited in OrderSync's log before the plaintext is shown)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from rcmd_tui.data.crypto.decrypt import Failure, Plain
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.spec import Column, Kind, Lead, ListSpec, Record
from rcmd_tui.data.ordersync.reveal import reveal
from rcmd_tui.screens.base import StandardScreen
from rcmd_tui.screens.text_prompt import TextPrompt
from rcmd_tui.text import escape_controls
from rcmd_tui.widgets.cells import copied, shown
from rcmd_tui.widgets.paged_table import PagedTable
from rcmd_tui.widgets.safe_text import inert

MAX_NODES = 5000  # a huge document is cut, not allowed to freeze the screen
OPEN_DEPTH = 2
WRAP_MARGIN = 3  # the tree's scrollbar and a column to spare
WRAP_INDENT = "  "  # a field's continuation lines


def _scalar(value: Any) -> Text:
    if value is None:
        return Text("null", style="dim italic")
    if isinstance(value, bool):
        return Text("true" if value else "false", style="bold magenta")
    if isinstance(value, int | float):
        return Text(repr(value), style="cyan")
    return inert(json.dumps(value, ensure_ascii=False), "green")


def _json_object(value: Any) -> dict[str, Any] | None:
    """A field stored unencrypted by design (plain:* key ids) that holds a JSON object, as that object."""
    if not isinstance(value, Plain) or not value.unencrypted or not value.text.startswith("{"):
        return None
    try:
        document = json.loads(value.text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


class JsonTree(Tree[str]):
    """A JSON value as a tree: objects and arrays fold, scalars are coloured by type, every key and string
    is inert. The node's data is what `y` copies."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        # The tree binds no page keys: a long row (an audit change, a statement's plan) was read a line at a time.
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("row"), id=id)
        self.nodes_added = 0
        self.show_root = False
        self.guide_depth = 2

    def add_value(self, parent: TreeNode[str], key: Text, value: Any, depth: int = 0) -> None:
        self.nodes_added += 1
        if self.nodes_added > MAX_NODES:
            if self.nodes_added == MAX_NODES + 1:
                parent.add_leaf(Text(f"… cut at {MAX_NODES} nodes", style="dim"))
            return
        if isinstance(value, dict):
            node = parent.add(Text.assemble(key, (f" {{{len(value)}}}", "dim")), data=json.dumps(value, ensure_ascii=False),
                              expand=depth < OPEN_DEPTH)
            for k, v in value.items():
                self.add_value(node, inert(k, "bold blue"), v, depth + 1)
        elif isinstance(value, list):
            node = parent.add(Text.assemble(key, (f" [{len(value)}]", "dim")), data=json.dumps(value, ensure_ascii=False),
                              expand=depth < OPEN_DEPTH)
            for i, v in enumerate(value):
                self.add_value(node, Text(f"{i}", style="dim"), v, depth + 1)
        else:
            parent.add_leaf(Text.assemble(key, ": ", _scalar(value)), data=value if isinstance(value, str) else json.dumps(value))


class ActsOnRows(Protocol):
    """The list a detail was opened from, as far as the detail uses it: its actions, on one row."""

    def is_offered(self, action: str) -> bool: ...

    async def act_on(self, action: str, record: Record) -> None: ...


# Every lead a view may name, its key and its label: each bound only where the view has it.
LEAD_KEYS = (("s", "sessions", "Sessions"), ("p", "permissions", "Permissions"), ("l", "logins", "Login attempts"),
             ("J", "jobs", "Jobs"), ("o", "orders", "Orders"), ("a", "audit", "Audit trail"), ("c", "changes", "Changes to it"),
             ("u", "user", "User"), ("r", "restaurant", "Restaurant"), ("b", "payment", "Payment"), ("m", "menus", "Menus"),
             ("T", "timeline", "Timeline"))


class DetailScreen(StandardScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        # Leads: each shown only where the view has it (ListSpec.leads), opening that list filtered to this row.
        # First: at 80 columns the footer keeps the first few, and where a row leads matters more than copying.
        *(Binding(key, f"lead('{name}')", label, id=f"detail.lead.{name}", tooltip=f"This row's {label.lower()}, as a list")
          for key, name, label in LEAD_KEYS),
        Binding("v", "reveal", "Reveal", id="detail.reveal", tooltip="Show encrypted fields in full (asks why; audited)"),
        Binding("y", "copy", "Copy", id="detail.copy", tooltip="Copy the highlighted value (masked stays masked)"),
        Binding("E", "expand_all", "Expand all", id="detail.expand", tooltip="Unfold every JSON node"),
    ]

    def __init__(self, services: Services, spec: ListSpec, record: Record, table: PagedTable | None = None) -> None:
        super().__init__(services)
        self.spec = spec
        self.record = record
        self.table = table
        self.owner: ActsOnRows | None = None  # the list it was opened from, whose action keys work here too
        self._owner_actions: dict[str, str] = {}  # binding id -> the list's action
        self.revealed: dict[str, str] = {}
        self._filled_width = 0  # the width long fields were wrapped at (a resize wraps them again)
        if table is not None:
            ident = record.identity(spec)
            self.revealed = {name: text for (row, name), text in table.revealed.items() if row == ident}

    def take_actions_of(self, owner: ActsOnRows, bindings: list[Binding]) -> None:
        """The list's action keys act on this row here (retry the failed job being read, revoke the session):
        each where this screen has no key of its own, offered as the list offers it, under the same binding id
        (so a keymap moves it here too)."""
        self.owner = owner
        taken = {b.key for found in self._bindings.key_to_bindings.values() for b in found}
        for b in bindings:
            if b.key not in taken and b.id:
                self._owner_actions[b.id] = b.action
                self._bindings._add_binding(Binding(b.key, f"list_action('{b.id}')", b.description, show=b.show,
                                                    id=b.id, tooltip=b.tooltip))

    async def action_list_action(self, binding_id: str) -> None:
        action = self._owner_actions.get(binding_id)
        if self.owner is not None and action is not None:
            await self.owner.act_on(action, self.record)

    @property
    def screen_name(self) -> str:
        return f"{self.spec.title} › row"

    @property
    def target(self) -> str:
        return self.spec.system

    @property
    def encrypted(self) -> bool:
        return any(c.masked and not c.enriched for c in self.spec.columns)

    def compose_body(self) -> ComposeResult:
        yield JsonTree(id="detail-tree")

    def on_mount(self) -> None:
        super().on_mount()
        self.fill()
        self.query_one(JsonTree).focus()
        # Where this row leads, on screen: the footer has no room for them at 80 columns.
        said = [" · ".join(f"{key} {name}" for key, name, _ in LEAD_KEYS
                           if (lead := self._lead(name)) is not None and lead.filter_for(self.record) is not None)]
        if self.encrypted:
            why_not = self.may_reveal()
            said.append("masked: v reveals (asks why, audited)" if why_not is None
                        else f"encrypted fields are masked; no reveal here: {why_not}")
        if any(said):
            self.set_status(Text(" │ ".join(p for p in said if p), style="dim"))

    def _label(self, column: Column) -> Text:
        return Text(column.label, style="bold")

    def fill(self) -> None:
        tree = self.query_one(JsonTree)
        tree.clear()
        tree.nodes_added = 0
        self.fill_head(tree)
        for column in (c for c in self.spec.columns if not c.internal):
            value = self.record.get(column.name)
            if column.kind is Kind.JSON and isinstance(value, dict | list):
                tree.add_value(tree.root, self._label(column), value)
                continue
            document = _json_object(value)
            if document is not None:  # the console's own audit rows keep their details as plain JSON
                tree.add_value(tree.root, self._label(column), document)
                continue
            # A time in full here, to the second, however narrow its list column is.
            text = shown(dataclasses.replace(column, width=None) if column.kind is Kind.TIME else column, value,
                         self.revealed.get(column.name))
            style = ""
            if isinstance(value, Failure):
                text, style = f"{value.kind.value}: {value.detail}", "bold red"
            elif isinstance(value, Plain) and column.masked and column.name not in self.revealed and not value.unencrypted:
                style = "italic"
                if column.enriched:  # another table's field: revealed on its own row, where the reveal names it
                    text += "   (masked; its own row reveals it)"
                else:
                    text += "   (v reveals)" if self.may_reveal() is None else "   (masked)"
            self._add_wrapped(tree, Text.assemble(self._label(column), ": ", inert(text, style)),
                              copied(column, value, self.revealed.get(column.name)))
        tree.root.expand()

    def _wrap_width(self) -> int:
        tree = self.query_one(JsonTree)
        return max(20, (tree.size.width or self.app.size.width) - WRAP_MARGIN)

    def _add_wrapped(self, tree: JsonTree, line: Text, data: str | None) -> None:
        """A field too long for the screen goes on over the next lines, indented: a tree line does not wrap, and a
        statement or a user agent cut at 80 columns could not be read. Each line copies the whole value."""
        self._filled_width = width = self._wrap_width()
        first, *rest = line.wrap(self.app.console, width, overflow="fold") if line.cell_len > width else [line]
        tree.root.add_leaf(first, data=data)
        for more in rest:
            tree.root.add_leaf(Text.assemble(WRAP_INDENT, more), data=data)

    def on_resize(self) -> None:
        if self._filled_width and self._wrap_width() != self._filled_width:
            tree = self.query_one(JsonTree)
            at = tree.cursor_line
            self.fill()
            tree.cursor_line = min(at, max(0, tree.last_line))

    def fill_head(self, tree: JsonTree) -> None:
        """What a detail shows above the row's fields (an order's amounts and items): nothing by default."""

    def may_reveal(self) -> str | None:
        """None when this session may reveal; else why not."""
        services = self.services
        if services.read_only:
            return "this session is read-only, and a reveal writes to OrderSync's audit log"
        if not services.profile.may_reveal():
            return f"the {services.profile.role} console role may not reveal (reveal_roles in the profile)"
        return None

    def is_offered(self, action: str) -> bool:
        if action == "reveal":
            return self.encrypted and self.may_reveal() is None
        if action.startswith("list_action("):
            owned = self._owner_actions.get(action[len("list_action('"):-2])
            return self.owner is not None and owned is not None and self.owner.is_offered(owned)
        return super().is_offered(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reveal":
            return self.encrypted
        if action == "lead":  # offered only where this row has what the lead finds it by
            lead = self._lead(str(parameters[0]))
            return lead is not None and lead.filter_for(self.record) is not None
        return super().check_action(action, parameters)

    def action_copy(self) -> None:
        node = self.query_one(JsonTree).cursor_node
        if node is not None and node.data is not None:
            # What is copied is what is shown: a raw escape on the clipboard would run when pasted into a terminal
            # (an ESC [201~ ends bracketed paste), and JSON text keeps C1 controls and bidi overrides raw.
            text = escape_controls(str(node.data), limit=1_000_000)
            self.app.copy_to_clipboard(text)
            self.notify(f"Copied ({len(text)} characters)", timeout=2)

    def _lead(self, name: str) -> Lead | None:
        """A view may name one lead twice, once per system (a timeline row is RCMD's or OrderSync's): the one this
        row has the fields for."""
        named = [lead for lead in self.spec.leads if lead.name == name]
        return next((lead for lead in named if lead.filter_for(self.record) is not None), named[0] if named else None)

    def action_lead(self, name: str) -> None:
        lead = self._lead(name)
        if lead is None:
            return
        text = lead.filter_for(self.record)
        if text is None:
            self.notify(f"This row has nothing to find its {name} by", timeout=3)
            return
        self.post_message(self.OpenView(lead.view, lead.system or self.spec.system, text))

    def action_expand_all(self) -> None:
        self.query_one(JsonTree).root.expand_all()

    def action_reveal(self) -> None:
        why_not = self.may_reveal()
        if why_not is not None:
            self.notify(f"Reveal is not offered: {why_not}", severity="warning", timeout=4, markup=False)
            return

        def asked(reason: str | None) -> None:
            if reason:
                self.do_reveal(reason)

        self.app.push_screen(TextPrompt("Why reveal this row's encrypted fields? (written to OrderSync's audit log)",
                                        "ticket or reason, e.g. SUP-1234 customer asked to confirm e-mail",
                                        required="A reason is required: type why (a ticket number will do), or press Esc to cancel."),
                             asked)

    @work(exclusive=True, group="reveal", exit_on_error=False)
    async def do_reveal(self, reason: str) -> None:
        services = self.services
        row_id = self.record.get(self.spec.id_columns[0])
        decryptor = await services.decryptor(self.spec.system)
        fields = await reveal(services.primary(self.spec.system), services.profile, decryptor, self.spec.table, row_id, reason,
                              read_only=services.read_only)
        self.clear_error()
        ident = self.record.identity(self.spec)
        for name, value in fields.items():
            if isinstance(value, Plain):
                self.revealed[name] = value.text
                if self.table is not None:
                    self.table.revealed[(ident, name)] = value.text
        if self.table is not None:
            self.table.forget_rendering()
            self.table.redraw(self.table.current())
        self.fill()
        self.set_status(Text("revealed for this list only; the reveal is in OrderSync's audit log", style="dim"))
        self.notify("Revealed; the reveal is in OrderSync's audit log", timeout=3)
