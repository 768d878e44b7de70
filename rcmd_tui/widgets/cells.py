"""How one value of a list looks in a cell, and what copying it puts on the clipboard.

Both go through the same function, so what is copied is what is shown: a masked value stays masked
unless it has been revealed (and that reveal was audited).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rich.text import Text

from rcmd_tui.data.decrypt import Failure, Plain
from rcmd_tui.data.listing import Column, Kind
from rcmd_tui.data.masking import mask
from rcmd_tui.widgets.safe_text import escape_controls, inert

CELL_CHARS = 200  # a cell never needs more; the detail panel shows the whole value


def shown(column: Column, value: Any, revealed: str | None = None) -> str:
    """The text a cell shows, before escaping: masked, formatted, never markup."""
    if value is None:
        return "∅"
    if isinstance(value, Failure):
        return f"⚠ {value.kind.value}"
    if isinstance(value, Plain):
        if revealed is not None:
            return revealed
        if column.encrypted is not None and not value.unencrypted:
            return mask(column.encrypted.kind, value.text)
        return value.text
    if column.kind is Kind.TIME and isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if column.kind is Kind.BOOL and isinstance(value, bool):
        return "yes" if value else "no"
    if column.kind is Kind.JSON:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    return str(value)


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
