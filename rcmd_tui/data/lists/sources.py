"""The seam between a list and where its rows come from.

Every list on screen, in an export and in ``rcmd-tui report`` reads pages from a :class:`RowSource`:

- :class:`~rcmd_tui.data.lists.keyset.KeysetSource`: a table paged by keyset over an index (audit logs,
  users): any depth costs one indexed range scan; totals are estimates.
- :class:`~rcmd_tui.data.lists.snapshot.SnapshotSource`: a catalogue query read whole on an interval,
  filtered and sorted in memory (``pg_stat_activity``, locks, statements).
- :class:`~rcmd_tui.data.lists.redis_scan.RedisScanSource`: Redis keys by SCAN, kept as they are seen.

Each page passes through the view's enrichers (:mod:`rcmd_tui.data.lists.enrich`) before it is handed out.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from rcmd_tui.data.lists.enrich import GONE, enrichers_of
from rcmd_tui.data.lists.filters import Filter
from rcmd_tui.data.lists.spec import ListSpec, Ordering, Record

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Page:
    records: tuple[Record, ...]
    more_after: bool  # another page follows in the ordering's direction
    more_before: bool  # rows precede the first one


@dataclass(frozen=True, slots=True)
class Estimate:
    rows: int
    exact: bool
    source: str  # "planner statistics", "planner estimate for this filter", "count(*)", "snapshot" …


class RowSource(Protocol):
    """Pages of one view under one ordering and filter. Safe to share between workers."""

    spec: ListSpec
    ordering: Ordering
    filter: Filter
    page_size: int

    @property
    def can_jump(self) -> bool: ...  # at(moment) works

    @property
    def note(self) -> str: ...  # what the status line should add ("first 5,000 keys: narrow with /")

    async def first(self) -> Page: ...

    async def last(self) -> Page: ...

    async def after(self, record: Record) -> Page: ...

    async def before(self, record: Record) -> Page: ...

    async def at(self, moment: datetime) -> Page: ...

    async def around(self, record: Record) -> Page:
        """The page starting at ``record`` (inclusive), read again: a refresh that keeps the place."""
        ...

    async def estimate(self) -> Estimate: ...

    async def exact_count(self) -> Estimate: ...

    def batches(self, size: int) -> AsyncGenerator[Sequence[Record], None]:
        """Every row matching the filter, in order, ``size`` at a time (export, reports)."""
        ...

    async def why_empty(self) -> str | None:
        """When nothing matches: a reason a person can act on (no user named 'x'), if there is one."""
        ...

    async def rows_before(self, record: Record) -> tuple[int, bool]:
        """How many rows come before ``record`` in the ordering, and whether that is exact (else an estimate)."""
        ...


class SourceBase:
    """What every source keeps: the services, the view, its ordering and filter, the page size."""

    def __init__(self, services: Services, spec: ListSpec, ordering: Ordering | None, flt: Filter, page_size: int) -> None:
        self.services = services
        self.spec = spec
        self.ordering = ordering or spec.ordering()
        self.filter = flt
        self.page_size = page_size

    async def why_empty(self) -> str | None:
        return None


async def assemble(spec: ListSpec, ordering: Ordering, services: Services, names: Sequence[str],
                   rows: Sequence[Sequence[Any]]) -> list[Record]:
    """Rows as read (``names`` their fields) into records: enriched, in the view's field order."""
    out = spec.selected()
    positions = {n: i for i, n in enumerate(out)}
    enrichers = enrichers_of(spec)
    if not enrichers and tuple(names) == out:  # the usual case: no copy per row
        key_at = [positions[c] for c in ordering.columns]
        return [Record(tuple(r), out, tuple(r[i] for i in key_at), positions) for r in rows]
    dicts = [dict(zip(names, r, strict=True)) for r in rows]
    for enricher in enrichers:
        await enricher.enrich(services, spec, dicts)
        dicts = [d for d in dicts if not d.get(GONE)]
    return [Record(tuple(d.get(n) for n in out), out, tuple(d.get(c) for c in ordering.columns), positions)
            for d in dicts]

