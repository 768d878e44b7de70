"""Trends over the minutes a monitoring screen has been open: counters sampled at each refresh (one statement
and one Redis INFO), turned into rates and kept in memory, the last ``KEEP`` samples of each.

A sample that cannot be read is told in its line (``error``); the other source still samples.
"""

from __future__ import annotations

import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg
import psycopg_pool
import redis.exceptions

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

KEEP = 300  # at a 2 s refresh, ten minutes
BARS = "▁▂▃▄▅▆▇█"

COUNTERS_SQL = """
SELECT xact_commit + xact_rollback, blks_hit, blks_read,
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')
FROM pg_stat_database WHERE datname = current_database()
"""


def sparkline(values: list[float], width: int) -> str:
    """The last ``width`` values as bars scaled between their own minimum and maximum.

    >>> sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8)
    '▁▂▃▄▅▆▇█'
    >>> sparkline([5, 5], 4), sparkline([], 3)
    ('▁▁', '')
    """
    shown = values[-width:]
    if not shown:
        return ""
    low, high = min(shown), max(shown)
    span = high - low
    return "".join(BARS[0] if span == 0 else BARS[min(len(BARS) - 1, int((v - low) / span * (len(BARS) - 1) + 0.5))]
                   for v in shown)


@dataclass
class Series:
    name: str
    unit: str = ""
    values: deque[float] = field(default_factory=lambda: deque(maxlen=KEEP))

    @property
    def last(self) -> float | None:
        return self.values[-1] if self.values else None


@dataclass
class Trends:
    """The samples of one PostgreSQL target and RCMD's Redis."""

    tps: Series = field(default_factory=lambda: Series("tx/s"))
    connections: Series = field(default_factory=lambda: Series("conns"))
    hit: Series = field(default_factory=lambda: Series("hit", "%"))
    ops: Series = field(default_factory=lambda: Series("redis ops/s"))
    memory: Series = field(default_factory=lambda: Series("mem", "B"))
    pg_error: str | None = None
    redis_error: str | None = None
    _last: tuple[float, int, int, int] | None = None  # time, transactions, hits, reads

    async def sample(self, services: Services, system: str) -> None:
        await self._sample_pg(services, system)
        if services.redis is not None:
            await self._sample_redis(services)

    async def _sample_pg(self, services: Services, system: str) -> None:
        try:
            async with services.reader(system).connection() as conn:
                row = await (await conn.execute(COUNTERS_SQL)).fetchone()
        except (psycopg.Error, psycopg_pool.PoolTimeout, OSError) as exc:
            self.pg_error = _first(exc)
            return
        self.pg_error = None
        if row is None:
            return
        now = time.monotonic()
        xacts, hits, reads, conns = (int(v or 0) for v in row)
        self.connections.values.append(conns)
        if self._last is not None:
            then, x0, h0, r0 = self._last
            if now > then and xacts >= x0:  # a stats reset makes the counters go back: skip that step
                self.tps.values.append((xacts - x0) / (now - then))
                touched = (hits - h0) + (reads - r0)
                if touched > 0:
                    self.hit.values.append(100.0 * (hits - h0) / touched)
        self._last = (now, xacts, hits, reads)

    async def _sample_redis(self, services: Services) -> None:
        assert services.redis is not None
        try:
            info: dict[str, Any] = await services.redis.info("stats", "memory")
        except (redis.exceptions.RedisError, OSError) as exc:
            self.redis_error = _first(exc)
            return
        self.redis_error = None
        self.ops.values.append(float(info.get("instantaneous_ops_per_sec", 0)))
        self.memory.values.append(float(info.get("used_memory", 0)))


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_KEPT: weakref.WeakKeyDictionary[Services, dict[str, Trends]] = weakref.WeakKeyDictionary()


def samples_for(services: Services, system: str) -> Trends:
    """The trends of ``system`` for as long as the console runs: leaving the activity screen for locks and
    coming back keeps the minutes already sampled."""
    return _KEPT.setdefault(services, {}).setdefault(system, Trends())
