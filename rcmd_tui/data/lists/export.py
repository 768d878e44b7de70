"""Export every row of a list that matches its filter, streamed from its row source so memory stays flat
however many rows there are. Encrypted fields are exported masked, never in clear.

The file is written as NAME.partial and renamed when complete; a cancelled or failed export leaves
nothing behind. It is created 0600: audit trails and user lists are not for every local account.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from rcmd_tui.data.lists.format import typed
from rcmd_tui.data.lists.sources import RowSource
from rcmd_tui.data.lists.spec import ListSpec, Record
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
    return typed(spec.column(name), value)


def csv_cell(value: Any) -> str:
    """A spreadsheet must not run a cell as a formula (OWASP CSV injection): such text gets a leading '.
    Booleans read as the screen shows them (yes, no)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class RowWriter:
    """CSV (a header of labels) or a JSON array of objects (field names as keys, typed values)."""

    def __init__(self, out: IO[str], fmt: Format, spec: ListSpec, columns: Sequence[str]) -> None:
        self.out, self.fmt, self.spec, self.columns = out, fmt, spec, list(columns)
        self.first = True
        if fmt == "csv":
            self.csv = csv.writer(out)
            self.csv.writerow([spec.column(c).label for c in self.columns])
        else:
            out.write("[")

    def rows(self, records: Sequence[Record]) -> None:
        for r in records:
            values = [exported(self.spec, c, r.get(c)) for c in self.columns]
            if self.fmt == "csv":
                self.csv.writerow([csv_cell(v) for v in values])
            else:
                self.out.write(("\n" if self.first else ",\n") + json.dumps(dict(zip(self.columns, values, strict=True)),
                                                                           ensure_ascii=False, default=str))
                self.first = False

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n" if not self.first else "]\n")


async def export(source: RowSource, columns: Sequence[str], path: Path, fmt: Format,
                 progress: Callable[[int], None] = lambda _n: None, cancelled: Callable[[], bool] = lambda: False,
                 batch: int = BATCH) -> ExportResult:
    partial = path.with_name(path.name + ".partial")
    written = 0
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}", "choose a directory you may write to") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            writer = RowWriter(out, fmt, source.spec, columns)
            async with contextlib.aclosing(source.batches(batch)) as batches:
                async for records in batches:
                    writer.rows(records)
                    written += len(records)
                    progress(written)
                    if cancelled():
                        break
            writer.close()
        if cancelled():
            partial.unlink(missing_ok=True)
            return ExportResult(path, written, cancelled=True)
        partial.replace(path)
        return ExportResult(path, written, cancelled=False)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
