"""Who holds the lock a statement gave up waiting for: the lead an on-call engineer needs after a lock timeout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
import psycopg_pool
from psycopg import sql

# Relation locks that block a plain SELECT or an UPDATE; a reader's own AccessShareLock blocks nobody here.
_HOLDERS = sql.SQL("""
SELECT DISTINCT a.pid, a.usename, a.application_name, a.state, now() - coalesce(a.xact_start, a.backend_start)
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.granted AND l.locktype = 'relation' AND l.relation = to_regclass(%s)
  AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
  AND a.pid <> pg_backend_pid()
ORDER BY 5 DESC NULLS LAST
LIMIT 3
""")


@dataclass(frozen=True, slots=True)
class LockHolder:
    pid: int
    user: str | None
    application: str | None
    state: str | None
    held_for: timedelta | None

    def describe(self) -> str:
        who = ", ".join(p for p in (self.application or None, f"user {self.user}" if self.user else None,
                                    self.state) if p)
        seconds = int(self.held_for.total_seconds()) if self.held_for is not None else None
        since = f" for {seconds // 60}m{seconds % 60:02d}s" if seconds is not None else ""
        return f"pid {self.pid} ({who}{since})" if who or since else f"pid {self.pid}"


async def holders(pool: psycopg_pool.AsyncConnectionPool[Any], table: str) -> list[LockHolder]:
    """The sessions holding a blocking lock on ``table`` (resolved on the pool's search_path), longest first;
    none when they cannot be asked: this is a lead, the failure it follows is already told."""
    try:
        async with pool.connection() as conn:
            rows = await (await conn.execute(_HOLDERS, (table,))).fetchall()
    except (psycopg.Error, psycopg_pool.PoolTimeout, OSError):
        return []
    return [LockHolder(*row) for row in rows]
