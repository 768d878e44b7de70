"""Open the row source a view needs: a keyset table, a snapshot or a Redis SCAN."""

from __future__ import annotations

from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.filters import NO_FILTER, Filter
from rcmd_tui.data.lists.keyset import KeysetSource
from rcmd_tui.data.lists.redis_scan import RedisScanSource
from rcmd_tui.data.lists.snapshot import SnapshotSource
from rcmd_tui.data.lists.sources import PAGE_SIZE, RowSource
from rcmd_tui.data.lists.spec import ListSpec, Merged, Ordering, RedisKeys, Snapshot, Table


def open_source(spec: ListSpec, services: Services, ordering: Ordering | None = None, flt: Filter = NO_FILTER,
                page_size: int = PAGE_SIZE) -> RowSource:
    ordering = ordering or spec.ordering()
    if isinstance(spec.source, Table):
        return KeysetSource(services, spec, ordering, flt, page_size)
    if isinstance(spec.source, Snapshot):
        return SnapshotSource(services, spec, ordering, flt, page_size)
    if isinstance(spec.source, RedisKeys):
        return RedisScanSource(services, spec, ordering, flt, page_size)
    if isinstance(spec.source, Merged):
        return spec.source.open(services, spec, ordering, flt, page_size)
    raise TypeError(f"no row source for {spec.source!r}")
