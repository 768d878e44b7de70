"""Trends over the minutes a monitoring screen has been open: counters sampled at each refresh, turned into
rates and kept in memory, the last ``KEEP`` samples of each.

The PostgreSQL counters come with the activity read itself (its statement joins them in), and Redis' with
one INFO sent beside it: sampling costs the server no statement of its own and the console no round trip of
its own. A sample that cannot be read is told in its line (``error``); the other source still samples.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import redis.exceptions

from rcmd_tui.data.infra.failures import first_line

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

KEEP = 300  # at a 2 s refresh, ten minutes
BARS = "▁▂▃▄▅▆▇█"

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
    _redis_sample: asyncio.Task[None] | None = None

    def record_pg(self, xacts: int, hits: int, reads: int, connections: int) -> None:
        """The database's counters as the activity read saw them (and its count of client sessions)."""
        self.pg_error = None
        now = time.monotonic()
        self.connections.values.append(connections)
        if self._last is not None:
            then, x0, h0, r0 = self._last
            if now > then and xacts >= x0:  # a stats reset makes the counters go back: skip that step
                self.tps.values.append((xacts - x0) / (now - then))
                touched = (hits - h0) + (reads - r0)
                if touched > 0:
                    self.hit.values.append(100.0 * (hits - h0) / touched)
        self._last = (now, xacts, hits, reads)

    def pg_failed(self, exc: BaseException) -> None:
        self.pg_error = first_line(exc)

    def start_redis_sample(self, services: Services) -> asyncio.Task[None] | None:
        """An INFO on its way (None without Redis); one at a time, a slow Redis does not pile them up."""
        if services.redis is None:
            return None
        if self._redis_sample is None or self._redis_sample.done():
            self._redis_sample = asyncio.ensure_future(self.sample_redis(services))
        return self._redis_sample

    async def sample_redis(self, services: Services) -> None:
        """Operations per second and memory from one INFO; a failure is kept in ``redis_error``, never raised."""
        if services.redis is None:
            return
        try:
            info: dict[str, Any] = await services.redis.info("stats", "memory")
        except (redis.exceptions.RedisError, OSError) as exc:
            self.redis_error = first_line(exc)
            return
        self.redis_error = None
        self.ops.values.append(float(info.get("instantaneous_ops_per_sec", 0)))
        self.memory.values.append(float(info.get("used_memory", 0)))


_KEPT: weakref.WeakKeyDictionary[Services, dict[str, Trends]] = weakref.WeakKeyDictionary()


def samples_for(services: Services, system: str) -> Trends:
    """The trends of ``system`` for as long as the console runs: leaving the activity screen for locks and
    coming back keeps the minutes already sampled."""
    return _KEPT.setdefault(services, {}).setdefault(system, Trends())


def watched(services: Services, system: str) -> Trends | None:
    """The trends of ``system`` if a screen shows them (a report or a list without them samples nothing)."""
    return _KEPT.get(services, {}).get(system)
