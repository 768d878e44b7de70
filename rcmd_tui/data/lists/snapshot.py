"""A catalogue snapshot: one query read whole (``pg_stat_activity``, ``pg_locks``, ``pg_stat_statements`` …),
then filtered and sorted in memory.

One statement per refresh, whatever the person does between refreshes: sorting by another column, filtering,
paging and exporting all work on the rows already read, so a monitoring screen costs the server the same
however it is used. ``first()`` and ``around()`` read a new snapshot; ``after()``, ``before()`` and
``last()`` page through the one already read, so a page never mixes two moments.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from psycopg import sql

from rcmd_tui.data.lists.filters import NO_FILTER, Filter, matches_words
from rcmd_tui.data.lists.sources import PAGE_SIZE, Estimate, Page, SourceBase, assemble
from rcmd_tui.data.lists.spec import ListSpec, Ordering, Record, Snapshot
from rcmd_tui.text import bytes_text

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services


WITHHELD = "<insufficient privilege>"  # what the statistics views show a role without pg_monitor (or pg_read_all_stats)


def _sort_value(value: Any) -> tuple[int, Any]:
    # None sorts after everything (before, descending); values of one column share a type.
    if value is None:
        return (1, 0)
    if isinstance(value, dict | list):
        return (0, str(value))
    return (0, value)


def _key(record: Record, columns: Sequence[str]) -> tuple[tuple[int, Any], ...]:
    return tuple(_sort_value(record.get(c)) for c in columns)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return bytes_text(value)
    return str(value)


async def read_snapshot(services: Services, spec: ListSpec) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    """The field names and rows of one snapshot, at most ``max_rows + 1`` of them (the one more tells a cut)."""
    snapshot = spec.source
    assert isinstance(snapshot, Snapshot)
    if snapshot.read is not None:
        names, rows = await snapshot.read(services, spec.system)
        return names, rows[: snapshot.max_rows + 1]
    query = sql.SQL("SELECT * FROM ({}) AS snapshot LIMIT {}").format(sql.SQL(snapshot.query),
                                                                      sql.Literal(snapshot.max_rows + 1))
    async with services.reader(spec.system).connection() as conn:
        cur = await conn.execute(query)
        return [d.name for d in cur.description or ()], await cur.fetchall()


class SnapshotSource(SourceBase):
    def __init__(self, services: Services, spec: ListSpec, ordering: Ordering | None = None, flt: Filter = NO_FILTER,
                 page_size: int = PAGE_SIZE) -> None:
        if not isinstance(spec.source, Snapshot):
            raise TypeError(f"{spec.title} is not a snapshot view")
        super().__init__(services, spec, ordering, flt, page_size)
        self.snapshot: Snapshot = spec.source
        self.read: list[Record] = []  # as read
        self.rows: list[Record] = []  # filtered and sorted
        self._adopted = False
        self.read_at: float | None = None  # time.time() of the snapshot
        self.truncated = False
        self.withheld = 0  # rows whose statement the server withheld from this role

    @property
    def can_jump(self) -> bool:
        return self.spec.time_column is not None and self.ordering.columns[0] == self.spec.time_column

    @property
    def note(self) -> str:
        notes = []
        if self.truncated:
            notes.append(f"first {self.snapshot.max_rows:,} rows of the snapshot")
        if self.withheld:
            notes.append(f"{self.withheld:,} statements withheld from this role: grant it pg_monitor")
        return "; ".join(notes)

    async def why_empty(self) -> str | None:
        if self.snapshot.empty is None or self.read:  # rows were read: the filter left none, and says so itself
            return None
        return await self.snapshot.empty(self.services, self.spec.system)

    async def refresh(self) -> None:
        """Read the snapshot again: one statement (or the view's own reader)."""
        names, rows = await read_snapshot(self.services, self.spec)
        self.truncated = len(rows) > self.snapshot.max_rows
        at = list(names).index("query") if "query" in names else None
        self.withheld = 0 if at is None else sum(1 for r in rows if r[at] == WITHHELD)
        records = await assemble(self.spec, self.ordering, self.services, names, rows[: self.snapshot.max_rows])
        self.read_at = time.time()
        self.read = records
        self.rows = self._arrange(records)

    def adopt(self, other: SnapshotSource) -> None:
        """Take ``other``'s snapshot, sorted and filtered this source's way: a new ordering or filter costs no
        query, and a paused view shows the same moment sorted anew. The next first() uses it; refreshes read."""
        self.read, self.read_at, self.truncated, self.withheld = other.read, other.read_at, other.truncated, other.withheld
        self.rows = self._arrange(self.read)
        self._adopted = self.read_at is not None

    def _arrange(self, records: list[Record]) -> list[Record]:
        kept = [r for r in records if self.filter.test(r)]
        if self.filter.words:
            names = [c.name for c in self.spec.columns]
            kept = [r for r in kept if matches_words(self.filter.words, [_text(r.get(n)) for n in names])]
        columns = self.ordering.columns
        kept.sort(key=lambda r: _key(r, columns), reverse=self.ordering.descending)
        return kept

    def _index(self, record: Record) -> int | None:
        ident = record.identity(self.spec)
        return next((i for i, r in enumerate(self.rows) if r.identity(self.spec) == ident), None)

    def _slice(self, start: int) -> Page:
        start = max(0, min(start, len(self.rows)))
        end = start + self.page_size
        return Page(tuple(self.rows[start:end]), more_after=end < len(self.rows), more_before=start > 0)

    async def _ensure(self) -> None:
        if self.read_at is None:
            await self.refresh()

    async def first(self) -> Page:
        if self._adopted:
            self._adopted = False
        else:
            await self.refresh()
        return self._slice(0)

    async def last(self) -> Page:
        await self._ensure()
        return self._slice(max(0, len(self.rows) - self.page_size))

    async def after(self, record: Record) -> Page:
        await self._ensure()
        at = self._index(record)
        return self._slice(at + 1 if at is not None else len(self.rows))

    async def before(self, record: Record) -> Page:
        await self._ensure()
        at = self._index(record)
        at = at if at is not None else 0
        start = max(0, at - self.page_size)
        return Page(tuple(self.rows[start:at]), more_after=at < len(self.rows), more_before=start > 0)

    async def around(self, record: Record) -> Page:
        """A new snapshot, from the same row (or where it would be, if it is gone)."""
        await self.refresh()
        at = self._index(record)
        if at is None:  # gone: the first row past where it was
            columns = self.ordering.columns
            key = _key(record, columns)
            past = [i for i, r in enumerate(self.rows)
                    if (_key(r, columns) < key if self.ordering.descending else _key(r, columns) > key)]
            at = past[0] if past else len(self.rows)
        return self._slice(at)

    async def at(self, moment: datetime) -> Page:
        await self._ensure()
        name = self.ordering.columns[0]
        for i, r in enumerate(self.rows):
            value = r.get(name)
            if value is not None and (value <= moment if self.ordering.descending else value >= moment):
                return self._slice(i)
        return self._slice(len(self.rows))

    async def rows_before(self, record: Record) -> tuple[int, bool]:
        await self._ensure()
        at = self._index(record)
        return (at if at is not None else 0), True

    async def estimate(self) -> Estimate:
        await self._ensure()
        return Estimate(len(self.rows), exact=True, source="snapshot")

    async def exact_count(self) -> Estimate:
        return await self.estimate()

    async def batches(self, size: int) -> AsyncGenerator[Sequence[Record], None]:
        await self._ensure()
        for start in range(0, len(self.rows), size):
            yield self.rows[start:start + size]
