"""Redis keys as a list: SCAN (never KEYS) with the filter's word as the MATCH glob.

SCAN cannot go back, so the keys seen are kept (at most ``max_keys``) and earlier pages are served from them;
later pages scan on. Each batch passes through the view's enrichers (a key's type and TTL in one pipeline),
and the filter's terms (``type=hash``) are applied in memory.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import redis.asyncio

from rcmd_tui.data.lists.filters import NO_FILTER, Filter, FilterError
from rcmd_tui.data.lists.sources import PAGE_SIZE, Estimate, Page, SourceBase, assemble
from rcmd_tui.data.lists.spec import ListSpec, Ordering, Record, RedisKeys
from rcmd_tui.errors import RcmdError

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services


class RedisScanSource(SourceBase):
    def __init__(self, services: Services, spec: ListSpec, ordering: Ordering | None = None, flt: Filter = NO_FILTER,
                 page_size: int = PAGE_SIZE) -> None:
        if not isinstance(spec.source, RedisKeys):
            raise TypeError(f"{spec.title} is not a Redis key view")
        super().__init__(services, spec, ordering, flt, page_size)
        self.keys: RedisKeys = spec.source
        pattern = flt.words[0] if flt.words else None
        self.match = None if pattern in (None, "*") else pattern
        self.seen: list[Record] = []
        self.cursor = 0
        self.done = False
        self.capped = False

    @property
    def can_jump(self) -> bool:
        return False

    @property
    def note(self) -> str:
        if self.capped:
            return f"first {self.keys.max_keys:,} keys: narrow the pattern with /"
        return "" if self.done else "SCAN goes on as you scroll"

    def _client(self) -> redis.asyncio.Redis:
        if self.services.redis is None:
            raise RcmdError(f"profile {self.services.profile.name!r} has no Redis for {self.spec.system}",
                            "set redis_url under the rcmd target (docs/configuration.md)")
        return self.services.redis

    async def _scan_to(self, wanted: int) -> None:
        client = self._client()
        while len(self.seen) < wanted and not self.done:
            cursor, names = await client.scan(cursor=self.cursor, match=self.match, count=self.keys.scan_count)
            self.cursor = int(cursor)
            if names:
                rows = [(name if isinstance(name, bytes) else str(name).encode(),) for name in names]
                records = await assemble(self.spec, self.ordering, self.services, ("key",), rows)
                records = [r for r in records if self.filter.test(r)]
                records.sort(key=lambda r: r.sort_key, reverse=self.ordering.descending)
                self.seen += records[: self.keys.max_keys - len(self.seen)]
            if self.cursor == 0:
                self.done = True
            elif len(self.seen) >= self.keys.max_keys:
                self.done = self.capped = True

    def _index(self, record: Record) -> int | None:
        ident = record.identity(self.spec)
        return next((i for i, r in enumerate(self.seen) if r.identity(self.spec) == ident), None)

    def _slice(self, start: int) -> Page:
        end = start + self.page_size
        return Page(tuple(self.seen[start:end]), more_after=end < len(self.seen) or not self.done, more_before=start > 0)

    async def first(self) -> Page:
        await self._scan_to(self.page_size + 1)
        return self._slice(0)

    async def last(self) -> Page:
        await self._scan_to(self.keys.max_keys)
        return self._slice(max(0, len(self.seen) - self.page_size))

    async def after(self, record: Record) -> Page:
        at = self._index(record)
        start = at + 1 if at is not None else len(self.seen)
        await self._scan_to(start + self.page_size + 1)
        return self._slice(start)

    async def before(self, record: Record) -> Page:
        at = self._index(record) or 0
        start = max(0, at - self.page_size)
        return Page(tuple(self.seen[start:at]), more_after=True, more_before=start > 0)

    async def around(self, record: Record) -> Page:
        """Scan again from the start, up to the same key."""
        self.seen, self.cursor, self.done, self.capped = [], 0, False, False
        ident = record.identity(self.spec)
        while not self.done and all(r.identity(self.spec) != ident for r in self.seen):
            await self._scan_to(len(self.seen) + self.page_size)
        at = self._index(record)
        return self._slice(at if at is not None else 0)

    async def at(self, moment: datetime) -> Page:
        raise FilterError("Redis keys have no time order", "narrow the keys with a pattern (/) instead")

    async def rows_before(self, record: Record) -> tuple[int, bool]:
        at = self._index(record)
        return (at if at is not None else 0), True

    async def estimate(self) -> Estimate:
        if self.match is None and not self.filter.has_terms:
            return Estimate(int(await self._client().dbsize()), exact=True, source="DBSIZE")
        return Estimate(len(self.seen), exact=self.done and not self.capped,
                        source="SCAN complete" if self.done else "keys seen so far")

    async def exact_count(self) -> Estimate:
        await self._scan_to(self.keys.max_keys)
        return Estimate(len(self.seen), exact=not self.capped,
                        source=f"SCAN (first {self.keys.max_keys:,})" if self.capped else "SCAN complete")

    async def batches(self, size: int) -> AsyncGenerator[Sequence[Record], None]:
        start = 0
        while True:
            await self._scan_to(start + size)
            chunk = self.seen[start:start + size]
            if not chunk:
                return
            yield chunk
            start += len(chunk)
