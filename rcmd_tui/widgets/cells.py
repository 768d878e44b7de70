"""How one value of a list looks in a cell, and what copying it puts on the clipboard.

Both go through the same function, so what is copied is what is shown: a masked value stays masked
unless it has been revealed (and that reveal was audited).
"""

from __future__ import annotations

from typing import Any

from rcmd_tui.data.crypto.decrypt import Failure, Plain
from rcmd_tui.data.lists.format import shown
from rcmd_tui.data.lists.spec import Column, Kind
from rcmd_tui.widgets.row_grid import Cell
from rcmd_tui.widgets.safe_text import escape_controls

__all__ = ["CELL_CHARS", "cell", "copied", "shown"]

CELL_CHARS = 200  # a cell never needs more; the detail panel shows the whole value


NULL = Cell("∅", "dim")


def cell(column: Column, value: Any, revealed: str | None = None) -> Cell:
    """A list cell: inert text and one style (masked, formatted, cut at CELL_CHARS)."""
    if value is None:
        return NULL
    if value.__class__ is str and column.kind is Kind.TEXT:  # the most common cell, on the shortest path
        return Cell(escape_controls(value[:CELL_CHARS * 4], CELL_CHARS))
    if isinstance(value, Failure):
        return Cell(f"⚠ {value.kind.value}", "bold red")
    style = ""
    if isinstance(value, Plain) and revealed is None and column.masked and not value.unencrypted:
        style = "italic"
    elif isinstance(value, Plain) and value.retired:
        style = "yellow"
    elif column.kind is Kind.BOOL:
        style = "green" if value else "red"
    return Cell(escape_controls(shown(column, value, revealed)[:CELL_CHARS * 4], CELL_CHARS), style)


def copied(column: Column, value: Any, revealed: str | None = None) -> str:
    """The clipboard text: what the cell shows, control characters escaped, never cut."""
    return escape_controls(shown(column, value, revealed), limit=1_000_000)
