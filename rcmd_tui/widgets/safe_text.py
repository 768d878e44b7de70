"""Untrusted text made inert: never markup, control characters shown as visible escapes.

Everything from PostgreSQL or Redis reaches the screen through :func:`inert`, which returns a Rich
``Text`` (a plain ``str`` in a DataTable cell would be parsed as markup).
"""

from __future__ import annotations

import unicodedata

from rich.text import Text

MAX_CHARS = 2000
_BIDI_AND_INVISIBLE = {0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, *range(0x202A, 0x202F),
                       *range(0x2066, 0x206A)}


def escape_controls(value: str, limit: int = MAX_CHARS) -> str:
    cut = len(value) > limit
    value = value[:limit]
    out: list[str] = []
    for ch in value:
        code = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif code in _BIDI_AND_INVISIBLE or unicodedata.category(ch) in ("Cf", "Co", "Cs"):
            out.append(f"<U+{code:04X}>")
        else:
            out.append(ch)
    if cut:
        out.append("…")
    return "".join(out)


def inert(value: object, style: str = "", limit: int = MAX_CHARS) -> Text:
    if value is None:
        return Text("∅", style="dim")
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="backslashreplace")
    return Text(escape_controls(str(value), limit), style=style, no_wrap=True, overflow="ellipsis")
