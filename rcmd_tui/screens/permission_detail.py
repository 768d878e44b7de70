"""A permissions row: its fields, then its path rules as a table (glob, allow, deny); a malformed rule is shown
as stored, with what is wrong with it."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from rcmd_tui.data.rcmd.permissions_view import rule_lines
from rcmd_tui.screens.detail import DetailScreen, JsonTree
from rcmd_tui.widgets.safe_text import escape_controls

GLOB_WIDTH = 40  # the glob column; a longer glob is cut there (the whole rule is what `y` copies)


def wrapped(text: str, style: str = "") -> Text:
    """Untrusted text made inert, wrapped rather than cut (a problem's message must be read whole); each line
    made inert on its own, so the lines we break stay breaks."""
    return Text("\n".join(escape_controls(line, 1000) for line in text.split("\n")), style=style)


def _cell(text: str, width: int) -> str:
    return set_cell_size(text, width - 1) + "…" if cell_len(text) > width else set_cell_size(text, width)


class PermissionDetail(DetailScreen):
    """Every field of the row, then its path rules as a table (glob, allow, deny) in the order that breaks ties."""

    def fill(self) -> None:
        super().fill()
        tree = self.query_one(JsonTree)
        lines = rule_lines(self.record.get("path_rules"))
        node = tree.root.add(Text("Path rules, in order (the most specific that names the action decides)", style="bold"),
                             expand=True)
        if not lines:
            node.add_leaf(Text("none: the base permissions decide at every path", style="dim"))
            return
        globs = [escape_controls(r.glob, 500) for r in lines]
        widths = (max(3, *(len(str(r.index)) for r in lines)), min(GLOB_WIDTH, max(4, *map(cell_len, globs))),
                  max(5, *(cell_len(r.allow) for r in lines)))
        heading = "  ".join(_cell(h, w) for h, w in zip(("#", "glob", "allow"), widths, strict=True)) + "  deny"
        node.add_leaf(Text(heading, style="bold underline"))
        for rule, glob in zip(lines, globs, strict=True):
            cells = (str(rule.index), glob, escape_controls(rule.allow), escape_controls(rule.deny))
            if rule.problem is None:
                text = "  ".join(_cell(c, w) for c, w in zip(cells[:3], widths, strict=True)) + "  " + cells[3]
                node.add_leaf(Text(text), data=f"{rule.glob}\tallow {rule.allow}\tdeny {rule.deny}")
            else:  # not in the documented shape: shown as stored, with what is wrong
                leaf = node.add(Text(_cell(cells[0], widths[0]) + "  " + glob, style="red"), data=rule.glob, expand=True)
                leaf.add_leaf(wrapped(f"not a valid rule: {rule.problem}", "italic red"), data=rule.problem)
