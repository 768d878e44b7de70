"""Untrusted text made visible: control characters, escape sequences, bidirectional overrides and
invisible characters become escapes a person can read; nothing reaches a terminal as a control."""

from __future__ import annotations

import unicodedata

MAX_CHARS = 2000
_BIDI_AND_INVISIBLE = {0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, *range(0x202A, 0x202F),
                       *range(0x2066, 0x206A)}


def escape_controls(value: str, limit: int = MAX_CHARS) -> str:
    cut = len(value) > limit
    value = value[:limit]
    # Every character escaped below is non-printable to Python (Cc, Cf, Co, Cs, and separators), so a
    # printable string, the usual case, needs no look at each character.
    if value.isprintable():
        return value + "…" if cut else value
    out: list[str] = []
    for ch in value:
        code = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif code in _BIDI_AND_INVISIBLE or unicodedata.category(ch) in ("Cf", "Co", "Cs"):
            out.append(f"<U+{code:04X}>")
        else:
            out.append(ch)
    if cut:
        out.append("…")
    return "".join(out)


def bytes_text(value: bytes) -> str:
    r"""Bytes as text: UTF-8 as it reads; anything else as a Python bytes literal, so an invalid byte never
    looks like the four characters \xff of a valid value (the literal also doubles every backslash).

    >>> print(bytes_text("café".encode()), bytes_text(b"a\\xff"), bytes_text(bytes([0x61, 0xFF])))
    café a\xff b'a\xff'
    """
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return repr(value)


def human_bytes(size: float) -> str:
    """A size as people read it: at most three digits, so a column of sizes lines up ('1008.0 kB' would not).

    >>> human_bytes(512), human_bytes(1536), human_bytes(1008 * 1024), human_bytes(3 * 1024**3), human_bytes(131072)
    ('512 B', '1.5 kB', '1.0 MB', '3.0 GB', '128 kB')
    """
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 999.5:
            return f"{value:.0f} {unit}" if unit == "B" or value >= 99.5 else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB" if value < 99.5 else f"{value:.0f} TB"
