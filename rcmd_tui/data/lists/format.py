"""One value of a list, as text (what a cell, a clipboard and a table report show) and as a typed value
(what a JSON or CSV export or report holds). Encrypted fields are masked in both unless revealed.

The text is not yet escaped: widgets and reports make control characters visible at the last step.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rcmd_tui.data.crypto.decrypt import Failure, Plain
from rcmd_tui.data.crypto.masking import mask
from rcmd_tui.data.lists.spec import Column, Kind
from rcmd_tui.text import bytes_text, human_bytes

NULL = "∅"


def duration(value: timedelta) -> str:
    """Compact: the two largest units (six cells at most under 100 days).

    >>> duration(timedelta(days=1, hours=2, minutes=3))
    '1d2h'
    >>> duration(timedelta(minutes=5, seconds=3)), duration(timedelta(hours=2, seconds=9)), duration(timedelta(seconds=2))
    ('5m3s', '2h0m', '2s')

    Under ten seconds a fraction matters (a query's 0.35 s):

    >>> duration(timedelta(milliseconds=350)), duration(timedelta(seconds=2, milliseconds=50))
    ('0.35s', '2.05s')
    """
    total = value.total_seconds()
    if 0 < total < 10 and total != int(total):
        return f"{total:.2f}s"
    seconds = int(total)
    if seconds >= 86400:
        return f"{seconds // 86400}d{seconds % 86400 // 3600}h"
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60}s"
    return f"{seconds}s"


def progress_bar(percent: int, width: int) -> str:
    """A bar and its number in ``width`` cells; eighths of a cell, so 1 % moves it at 20 cells.

    >>> progress_bar(45, 10), progress_bar(100, 10), progress_bar(0, 10)
    ('██▎    45%', '█████ 100%', '        0%')
    >>> progress_bar(150, 4), progress_bar(-3, 4)
    ('100%', '  0%')
    """
    percent = max(0, min(100, percent))
    number = f"{percent}%"
    cells = width - 5
    if cells <= 0:
        return number.rjust(width)
    eighths = round(percent * cells * 8 / 100)
    bar = "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]
    return f"{bar.ljust(cells)} {number.rjust(4)}"


def shown(column: Column, value: Any, revealed: str | None = None) -> str:
    """The text a cell shows, before escaping: masked, formatted, never markup.

    A size in bytes reads as people read it (exports keep the number):

    >>> shown(Column("total_bytes", "Size", Kind.BYTES), 3 * 1024**2), shown(Column("pid", "Pid", Kind.INT), 3 * 1024**2)
    ('3.0 MB', '3145728')
    >>> shown(Column("est_rows", "Rows~", Kind.COUNT), 3 * 1024**2)
    '3,145,728'
    """
    if value is None:
        return NULL
    if isinstance(value, Failure):
        return f"⚠ {value.kind.value}"
    if isinstance(value, Plain):
        if revealed is not None:
            return revealed
        if column.encrypted is not None and not value.unencrypted:
            return mask(column.encrypted.kind, value.text)
        return value.text
    if column.kind is Kind.TIME and isinstance(value, datetime):
        # A column narrower than the seconds keeps the minute whole rather than cut it (the detail has seconds).
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M" if column.width is not None and column.width < 19 else
                                              "%Y-%m-%d %H:%M:%S")
    if column.kind is Kind.BOOL and isinstance(value, bool):
        return "yes" if value else "no"
    if column.kind is Kind.JSON:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    if isinstance(value, timedelta):
        return duration(value)
    if column.kind is Kind.BYTES and isinstance(value, int) and not isinstance(value, bool):
        return human_bytes(value)
    if column.kind is Kind.MONEY and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if column.kind is Kind.COUNT and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return f"{round(value):,}"  # an estimate summed from reltuples arrives as a float
    if column.kind is Kind.PROGRESS and isinstance(value, int) and not isinstance(value, bool):
        return progress_bar(value, column.width or 10)
    if column.kind is Kind.FLOAT and isinstance(value, float | int | Decimal) and not isinstance(value, bool):
        return f"{value:,.1f}" if abs(float(value)) >= 10 else f"{value:.2f}"
    if isinstance(value, bytes):
        return bytes_text(value)
    return str(value)


def typed(column: Column, value: Any) -> Any:
    """A JSON-ready value: masked if encrypted, ISO 8601 UTC for times, structure kept for JSON columns."""
    if isinstance(value, Failure):
        return f"<{value.kind.value}>"
    if isinstance(value, Plain):
        if column.encrypted is not None and not value.unencrypted:
            return mask(column.encrypted.kind, value.text)
        return value.text
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value.tzinfo else value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):  # a numeric: a JSON number
        return float(value)
    if isinstance(value, bytes):
        return bytes_text(value)
    if isinstance(value, str | int | float | bool | dict | list) or value is None:
        return value
    return str(value)
