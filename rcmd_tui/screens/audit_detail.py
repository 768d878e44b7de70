"""An OrderSync audit row: above its fields, what it changed, field by field (added, removed, changed; nested objects
folded under their key), each value masked by what it holds until `v` reveals the row (asks why, audited); a side
that cannot be decrypted says so, and the other side still shows."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets.tree import TreeNode

from rcmd_tui.data.crypto.decrypt import Plain
from rcmd_tui.data.ordersync.audit_diff import Change, Side, diff, masked, revealed, side
from rcmd_tui.screens.detail import DetailScreen, JsonTree
from rcmd_tui.widgets.safe_text import inert

MARKS = {"added": ("+", "green"), "removed": ("-", "red"), "changed": ("~", "yellow")}


class AuditDetail(DetailScreen):
    def _side(self, name: str) -> Side:
        text = self.revealed.get(name)
        return side(Plain(text, "revealed") if text is not None else self.record.get(name))

    def fill_head(self, tree: JsonTree) -> None:
        new_value = self.record.get("new_value")
        if isinstance(new_value, Plain) and new_value.key_id == "plain:console":
            return  # the console's own payload, not a change: shown as it is below
        old, new = self._side("old_value"), self._side("new_value")
        if not (old.present or new.present or old.problem or new.problem):
            return
        node = tree.root.add(Text("Changes", style="bold"), expand=True)
        for label, problem in (("old value", old.problem), ("new value", new.problem)):
            if problem:
                node.add_leaf(Text.assemble((f"{label}: ", "bold"), inert(problem, "bold red")), data=problem)
        before = old.document if old.present else {}
        after = new.document if new.present else {}
        changes = diff(before, after)
        if not changes:
            node.add_leaf(Text("no field differs", style="dim italic"))
        shown_in_full = "old_value" in self.revealed or "new_value" in self.revealed
        branches: dict[str, TreeNode[str]] = {}
        for change in changes:
            parent = self._branch(node, branches, change.path)
            parent.add_leaf(self._line(change, shown_in_full), data=change.path)

    def _branch(self, root: TreeNode[str], branches: dict[str, TreeNode[str]], path: str) -> TreeNode[str]:
        """Nested fields under their keys, folded: a.b.c goes under a, then b."""
        parent = root
        parts = path.split(".")[:-1]
        for depth in range(len(parts)):
            key = ".".join(parts[: depth + 1])
            if key not in branches:
                branches[key] = parent.add(inert(parts[depth], "bold blue"), expand=False)
            parent = branches[key]
        return parent

    def _line(self, change: Change, full: bool) -> Text:
        mark, style = MARKS[change.kind]
        name = change.path.rsplit(".", 1)[-1]

        def value(v: Any) -> str:
            return revealed(change.path, v) if full else masked(change.path, v)

        if change.kind == "changed":
            words = f"{value(change.old)} → {value(change.new)}"
        else:
            words = value(change.new if change.kind == "added" else change.old)
        return Text.assemble((f"{mark} ", style), (f"{name}: ", "bold"), inert(words, "" if full else "italic"))
