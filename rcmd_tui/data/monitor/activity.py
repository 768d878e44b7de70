"""Activity: ``pg_stat_activity``, one statement per refresh, the console's own sessions marked so they can be
left out. The same statement brings the database's counters for the trends, and a Redis INFO goes beside it.

Only the system's own database is listed (and the server's processes tied to no database): where both systems
share a server, OrderSync's activity must not offer to cancel RCMD's statements.

Idle sessions and the console's own are hidden by the view's default filter (``state!=idle own=no``), which
the screen shows like any other filter: clearing it (ctrl+l) shows everything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rcmd_tui.data.lists.spec import Column, FilterField, Kind, ListSpec, Ordering, Shorthand, Snapshot
from rcmd_tui.data.monitor.trends import watched

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

K = Kind
SYSTEMS = ("rcmd", "ordersync")
STATES = ("active", "idle", "idle in transaction", "idle in transaction (aborted)", "fastpath function call", "disabled")
# Client sessions and the server's workers that hold locks or run long (autovacuum); not the checkpointer & co.
BACKEND_TYPES = ("client backend", "autovacuum worker", "parallel worker", "walsender", "background worker")

ACTIVITY_SQL = """
SELECT a.pid, a.datname, a.usename, a.application_name, host(a.client_addr) AS client, a.state,
       CASE WHEN a.wait_event IS NOT NULL THEN a.wait_event_type || ':' || a.wait_event END AS wait,
       now() - a.xact_start AS xact_age, now() - a.query_start AS query_age, a.query, a.backend_start,
       a.backend_type, a.query_id, a.xact_start, a.query_start,
       CASE WHEN a.wait_event_type = 'Lock' THEN pg_blocking_pids(a.pid) END AS blocked_by,
       d.xacts AS trend_xacts, d.hits AS trend_hits, d.reads AS trend_reads
FROM pg_stat_activity a
LEFT JOIN (SELECT xact_commit + xact_rollback AS xacts, blks_hit AS hits, blks_read AS reads
           FROM pg_stat_database WHERE datname = current_database()) d ON true
WHERE (a.datname = current_database() OR a.datname IS NULL)  -- NULL: a server process tied to no database
  AND (a.backend_type = ANY(%s) OR a.backend_type IS NULL)  -- NULL: another role's session, details withheld
ORDER BY a.pid
LIMIT %s
"""
MAX_ROWS = 5000
TREND_COLUMNS = ("trend_xacts", "trend_hits", "trend_reads")
REDIS_WAIT_S = 0.05  # how long the rows wait for the Redis sample; a slower one shows at the next refresh


def titled(system: str, what: str) -> str:
    """A view's title: the system as people call it, then what it shows."""
    return f"{'RCMD' if system == 'rcmd' else 'OrderSync'} {what}"


def one_line(query: str | None) -> str | None:
    """A statement on one line for the list (the detail shows it whole); whitespace runs become one space."""
    return " ".join(query.split()) if query is not None else None


async def read_activity(services: Services, system: str) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    """The sessions, and, where a screen shows the trends, a sample for them: the database's counters from the
    same statement, Redis' from an INFO sent meanwhile (a Redis that is slow or down never holds the rows back)."""
    trends = watched(services, system)
    redis_sample = trends.start_redis_sample(services) if trends is not None else None
    own = services.pools.backend_pids
    try:
        async with services.reader(system).connection() as conn:
            cur = await conn.execute(ACTIVITY_SQL, (list(BACKEND_TYPES), MAX_ROWS + 1))
            names = [d.name for d in cur.description or ()]
            rows = await cur.fetchall()
    except Exception as exc:
        if trends is not None:
            trends.pg_failed(exc)
        raise
    finally:
        if redis_sample is not None:
            await asyncio.wait([redis_sample], timeout=REDIS_WAIT_S)
    at_pid, at_query, at_blocked = names.index("pid"), names.index("query"), names.index("blocked_by")
    at_type, kept = names.index("backend_type"), len(names) - len(TREND_COLUMNS)
    out = []
    for row in rows:
        blocked = row[at_blocked] or []
        out.append((*row[:kept], one_line(row[at_query]), row[at_pid] in own, bool(blocked), len(blocked) or None))
    if trends is not None and rows and rows[0][kept] is not None:
        xacts, hits, reads = (int(v or 0) for v in rows[0][kept:])
        trends.record_pg(xacts, hits, reads, sum(1 for r in rows if r[at_type] == "client backend"))
    return [*names[:kept], "query_line", "own", "waiting", "blockers"], out


def activity_view(system: str) -> ListSpec:
    return ListSpec(
        key="activity", system=system, title=titled(system, "activity"),
        source=Snapshot(read=read_activity, refresh_s=2.0, max_rows=MAX_ROWS),
        columns=(
            # At 80 columns the statement keeps about twenty: the user is one key (c) away.
            Column("pid", "Pid", K.INT, width=6),
            Column("application_name", "Application", width=12),
            Column("state", "State", K.ENUM, width=8),
            Column("wait", "Wait", width=12),
            Column("xact_age", "Xact", K.DURATION, width=6),
            Column("query_age", "Query", K.DURATION, width=6),
            Column("blockers", "Blk", K.INT, width=3),
            Column("query_line", "Statement", width=None),
            Column("usename", "User", width=12, shown=False),
            Column("datname", "Database", width=10, shown=False),
            Column("client", "Client", K.INET, width=15, shown=False),
            Column("backend_type", "Backend", width=14, shown=False),
            Column("backend_start", "Connected (UTC)", K.TIME, width=19, shown=False),
            Column("xact_start", "Xact start (UTC)", K.TIME, width=19, shown=False),
            Column("query_start", "Query start (UTC)", K.TIME, width=19, shown=False),
            Column("query_id", "Query id", K.INT, shown=False),
            Column("blocked_by", "Blocked by", K.JSON, shown=False),
            Column("own", "Console", K.BOOL, width=7, shown=False),
            Column("waiting", "Waiting", K.BOOL, width=7, shown=False),
            Column("query", "Statement (whole)", shown=False),
        ),
        orderings=(Ordering("query age", ("query_age", "pid", "backend_start")),
                   Ordering("transaction age", ("xact_age", "pid", "backend_start"))),
        filters=(
            FilterField("pid", "pid", K.INT),
            FilterField("user", "usename"),
            FilterField("app", "application_name", help="an application_name, e.g. psql"),
            FilterField("db", "datname"),
            FilterField("client", "client", K.INET, help="an address or a network such as 10.0.0.0/8"),
            FilterField("state", "state", K.ENUM, values=STATES),
            FilterField("wait", "wait", help="Lock:transactionid, IO:DataFileRead …"),
            FilterField("query", "query", help="~text in the statement"),
            FilterField("xact", "xact_age", K.DURATION, help="a duration, e.g. xact>30s"),
            FilterField("age", "query_age", K.DURATION, help="a duration, e.g. age>5s"),
            FilterField("own", "own", K.BOOL, help="yes: the console's own sessions"),
            FilterField("waiting", "waiting", K.BOOL, help="yes: waiting for a lock"),
            FilterField("backend", "backend_type"),
        ),
        shorthands=(Shorthand("state", "state", {"active": ("active",), "idle": ("idle",),
                                                 "idletx": ("idle in transaction", "idle in transaction (aborted)")}),),
        id_columns=("pid", "backend_start"),
        default_filter="state!=idle own=no",
        aliases=("monitor",),
        family="monitor",
    )


VIEWS = tuple(activity_view(s) for s in SYSTEMS)
