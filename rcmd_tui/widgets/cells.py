"""How one value of a list looks in a cell, and what copying it puts on the clipboard.

Both go through the same function, so what is copied is what is shown: a masked value stays masked
unless it has been revealed (and that reveal was audited).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from rcmd_tui.data.crypto.decrypt import Failure, Plain
from rcmd_tui.data.lists.format import shown
from rcmd_tui.data.lists.spec import Column, Kind
from rcmd_tui.widgets.safe_text import escape_controls, inert

__all__ = ["CELL_CHARS", "cell", "copied", "shown"]

CELL_CHARS = 200  # a cell never needs more; the detail panel shows the whole value


def cell(column: Column, value: Any, revealed: str | None = None) -> Text:
    if value is None:
        return Text("∅", style="dim")
    if isinstance(value, Failure):
        return Text(f"⚠ {value.kind.value}", style="bold red")
    style = ""
    if isinstance(value, Plain) and revealed is None and column.encrypted is not None and not value.unencrypted:
        style = "italic"
    elif isinstance(value, Plain) and value.retired:
        style = "yellow"
    elif column.kind is Kind.BOOL:
        style = "green" if value else "red"
    return inert(shown(column, value, revealed)[:CELL_CHARS * 4], style, limit=CELL_CHARS)


def copied(column: Column, value: Any, revealed: str | None = None) -> str:
    """The clipboard text: what the cell shows, control characters escaped, never cut."""
    return escape_controls(shown(column, value, revealed), limit=1_000_000)
