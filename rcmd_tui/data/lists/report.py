"""Any list the console shows, headless: the same view, filter language, row source and masking, written
as a table, CSV or JSON (``rcmd-tui report``).

JSON is an array of objects, one per row, keyed by field name, with typed values (numbers, booleans, nested
JSON, times as ISO 8601 UTC with ``Z``); CSV has a header of column labels; the table is what the screen
shows, escaped. Control characters are escaped in CSV and JSON too unless ``raw``. Encrypted fields are
masked in every format.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import IO, Literal

from rich.cells import cell_len, set_cell_size

from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.export import RowWriter
from rcmd_tui.data.lists.filters import compile_filter, matches_words
from rcmd_tui.data.lists.format import shown
from rcmd_tui.data.lists.spec import Column, ListSpec, Record
from rcmd_tui.text import escape_controls

ReportFormat = Literal["table", "json", "csv"]
BATCH = 1000
TABLE_WIDTH = 64  # a table cell never grows past this (a Redis key or a UUID fits); JSON and CSV hold whole values


class TableWriter:
    """Aligned columns, widths fitted to the first batch (so a long report streams), values escaped."""

    def __init__(self, out: IO[str], columns: Sequence[Column]) -> None:
        self.out, self.columns = out, list(columns)
        self.widths: list[int] | None = None

    def _line(self, values: Sequence[str]) -> str:
        assert self.widths is not None
        parts = [set_cell_size(v, w) if cell_len(v) <= w else set_cell_size(v, w - 1) + "…"  # wide letters count 2
                 for v, w in zip(values, self.widths, strict=True)]
        return "  ".join(parts).rstrip() + "\n"

    def rows(self, records: Sequence[Record]) -> None:
        cells = [[escape_controls(shown(c, r.get(c.name)), TABLE_WIDTH * 4) for c in self.columns] for r in records]
        if self.widths is None:
            labels = [c.label for c in self.columns]
            self.widths = [min(TABLE_WIDTH, max([cell_len(label), *(cell_len(row[i]) for row in cells)]))
                           for i, label in enumerate(labels)]
            self.out.write(self._line(labels))
        for row in cells:
            self.out.write(self._line(row))

    def close(self) -> None:
        if self.widths is None:
            self.rows([])


async def report(services: Services, spec: ListSpec, filter_text: str, fmt: ReportFormat, limit: int,
                 out: IO[str], raw: bool = False) -> tuple[int, bool]:
    """Write up to ``limit`` rows (0: all) of ``spec`` matching ``filter_text``; returns the rows written and
    whether the limit cut more off. ``raw``: CSV and JSON keep control characters as stored (the table is
    for a terminal, so always escaped)."""
    flt = compile_filter(spec, filter_text)
    source = open_source(spec, services, spec.ordering(), flt, page_size=min(limit or BATCH, BATCH))
    columns = [c for c in spec.columns if c.shown]
    words_here = spec.source.words == "loaded" and flt.words  # a table's free words: applied to every row read
    writer = RowWriter(out, fmt, spec, [c.name for c in columns], raw) if fmt != "table" else TableWriter(out, columns)
    written = 0
    cut = False
    async with contextlib.aclosing(source.batches(min(limit or BATCH, BATCH) + 1)) as batches:
        async for batch in batches:
            records = [r for r in batch if not words_here or matches_words(
                flt.words, [shown(c, r.get(c.name)) for c in spec.columns])]
            if limit and written + len(records) > limit:
                records, cut = records[: limit - written], True
            writer.rows(records)
            written += len(records)
            if cut:
                break
    writer.close()
    return written, cut
