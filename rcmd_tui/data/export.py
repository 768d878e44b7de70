"""Export every row of a list that matches its filter, streamed through a server-side cursor so memory
stays flat however many rows there are. Encrypted fields are exported masked, never in clear.

The file is written as NAME.partial and renamed when complete; a cancelled or failed export leaves
nothing behind. It is created 0600: audit trails and user lists are not for every local account.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

from rcmd_tui.data.decrypt import Failure, Plain
from rcmd_tui.data.listing import ListSpec, Record
from rcmd_tui.data.masking import mask
from rcmd_tui.data.pager import Pager, page_query
from rcmd_tui.errors import RcmdError

Format = Literal["csv", "json"]
BATCH = 2000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(RcmdError):
    title = "Export"


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    rows: int
    cancelled: bool


def exported(spec: ListSpec, name: str, value: Any) -> Any:
    """A JSON-ready value: masked if encrypted, ISO 8601 for times, structure kept for JSON columns."""
    column = spec.column(name)
    if isinstance(value, Failure):
        return f"<{value.kind.value}>"
    if isinstance(value, Plain):
        if column.encrypted is not None and not value.unencrypted:
            return mask(column.encrypted.kind, value.text)
        return value.text
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool | dict | list) or value is None:
        return value
    return str(value)


def csv_cell(value: Any) -> str:
    """A spreadsheet must not run a cell as a formula (OWASP CSV injection): such text gets a leading '."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Writer:
    def __init__(self, out: IO[str], fmt: Format, spec: ListSpec, columns: Sequence[str]) -> None:
        self.out, self.fmt, self.spec, self.columns = out, fmt, spec, list(columns)
        self.first = True
        if fmt == "csv":
            self.csv = csv.writer(out)
            self.csv.writerow([spec.column(c).label for c in self.columns])
        else:
            out.write("[\n")

    def rows(self, records: Sequence[Record]) -> None:
        for r in records:
            values = [exported(self.spec, c, r.get(c)) for c in self.columns]
            if self.fmt == "csv":
                self.csv.writerow([csv_cell(v) for v in values])
            else:
                self.out.write(("" if self.first else ",\n") + json.dumps(dict(zip(self.columns, values, strict=True)),
                                                                        ensure_ascii=False, default=str))
                self.first = False

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n")


async def export(pager: Pager, columns: Sequence[str], path: Path, fmt: Format,
                 progress: Callable[[int], None] = lambda _n: None, cancelled: Callable[[], bool] = lambda: False,
                 batch: int = BATCH) -> ExportResult:
    partial = path.with_name(path.name + ".partial")
    query, params = page_query(pager.spec, pager.ordering, pager.filter, None, None)
    written = 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}", "choose a directory you may write to") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            writer = _Writer(out, fmt, pager.spec, columns)
            async with pager.pool.connection() as conn, conn.transaction():
                cursor = conn.cursor(name=f"rcmd_tui_export_{uuid.uuid4().hex[:8]}")
                await cursor.execute(query, params)
                while not cancelled():
                    rows = [tuple(r) for r in await cursor.fetchmany(batch)]
                    if not rows:
                        break
                    records = await asyncio.to_thread(pager.records, rows) if pager.decryptor else pager.records(rows)
                    writer.rows(records)
                    written += len(rows)
                    progress(written)
                await cursor.close()
            writer.close()
        if cancelled():
            partial.unlink(missing_ok=True)
            return ExportResult(path, written, cancelled=True)
        partial.replace(path)
        return ExportResult(path, written, cancelled=False)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
