"""Untrusted text made inert: never markup, control characters shown as visible escapes.

Everything from PostgreSQL or Redis reaches the screen through :func:`inert`, which returns a Rich
``Text`` (a plain ``str`` in a DataTable cell would be parsed as markup).
"""

from __future__ import annotations

from rich.text import Text

from rcmd_tui.text import MAX_CHARS, bytes_text, escape_controls

__all__ = ["MAX_CHARS", "escape_controls", "inert"]


def inert(value: object, style: str = "", limit: int = MAX_CHARS) -> Text:
    if value is None:
        return Text("∅", style="dim")
    if isinstance(value, bytes):
        value = bytes_text(value)
    return Text(escape_controls(str(value), limit), style=style, no_wrap=True, overflow="ellipsis")
