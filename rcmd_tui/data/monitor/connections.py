"""Connections: how full the server is, by state and by application, and the longest idle-in-transaction
sessions. One statement per refresh (every 2 s); ``pg_stat_activity`` of the whole server, because
``max_connections`` is the server's, not a database's.

Four groups of rows, in this order (``position``):

- **limit**: ``max_connections``; ``superuser_reserved_connections``; ``reserved_connections`` (PostgreSQL
  16+, for roles with ``pg_use_reserved_connections``; no row where the setting does not exist); ``in use``
  (client backends: autovacuum, WAL senders and background workers have slots of their own); ``free for
  ordinary roles`` (what is left once the reserved slots are set aside, never below 0). While no one is in the
  reserved slots the four add up to ``max_connections``.
- **state**: sessions per state, with the longest time any of them has been in it (``now() - state_change``,
  the seed's ``max_duration``). A process without a state (the checkpointer, autovacuum, …) is counted under
  its backend type, as is a client session whose state this role may not see (without ``pg_read_all_stats``).
- **application**: client sessions per ``application_name`` (∅: none given); ``longest`` is the oldest open
  transaction among them (``now() - xact_start``), what holds back VACUUM and may hold locks.
- **idle-tx**: the ``IDLE_TX`` longest idle-in-transaction sessions, named ``pid user application``;
  ``longest`` is the age of the transaction (``now() - xact_start``, what matters for locks and VACUUM, and
  what ``idle_in_transaction_session_timeout`` would not show), ``idle`` how long since its last statement.

``share`` is the percent of ``max_connections`` a row stands for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rcmd_tui.data.lists.spec import Column, FilterField, Kind, ListSpec, Ordering, Snapshot
from rcmd_tui.data.monitor.activity import SYSTEMS, titled

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

K = Kind
GROUPS = ("limit", "state", "application", "idle-tx")
IDLE_TX = 5
IN_USE, FREE = "in use", "free for ordinary roles"

CONNECTIONS_SQL = """
WITH setting AS (
    SELECT current_setting('max_connections')::int AS max_conn,
           current_setting('superuser_reserved_connections')::int AS su_reserved,
           current_setting('reserved_connections', true)::int AS reserved
), a AS (
    SELECT pid, coalesce(state, backend_type) AS state, backend_type = 'client backend' AS client, usename,
           nullif(application_name, '') AS app,
           -- now() is when this statement began: a moment later, this session's own times would be negative
           CASE WHEN state_change > now() THEN interval '0' ELSE now() - state_change END AS in_state,
           CASE WHEN xact_start > now() THEN interval '0' ELSE now() - xact_start END AS xact_age
    FROM pg_stat_activity
), used AS (
    SELECT count(*) FILTER (WHERE client)::int AS n FROM a
), found AS (
    SELECT 'limit' AS "group", 1 AS g, v.n AS o, v.name, v.connections, NULL::interval AS longest,
           NULL::int AS pid, NULL::text AS usename, NULL::text AS application_name, NULL::interval AS idle
    FROM setting s, used u, LATERAL (VALUES
        (1, 'max_connections', s.max_conn), (2, 'superuser_reserved_connections', s.su_reserved),
        (3, 'reserved_connections', s.reserved), (4, %(in_use)s, u.n),
        (5, %(free)s, greatest(s.max_conn - s.su_reserved - coalesce(s.reserved, 0) - u.n, 0))) AS v(n, name, connections)
    WHERE v.connections IS NOT NULL
    UNION ALL
    SELECT 'state', 2, row_number() OVER (ORDER BY count(*) DESC, state)::int, state, count(*)::int, max(in_state),
           NULL, NULL, NULL, NULL
    FROM a GROUP BY state
    UNION ALL
    SELECT 'application', 3, row_number() OVER (ORDER BY count(*) DESC, app NULLS LAST)::int, app, count(*)::int,
           max(xact_age), NULL, NULL, NULL, NULL
    FROM a WHERE client GROUP BY app
    UNION ALL
    (SELECT 'idle-tx', 4, row_number() OVER (ORDER BY xact_age DESC, pid)::int,
            concat_ws(' ', pid, usename, app), 1, xact_age, pid, usename, app, in_state
     FROM a WHERE state IN ('idle in transaction', 'idle in transaction (aborted)')
     ORDER BY xact_age DESC, pid LIMIT %(idle_tx)s)
)
SELECT "group", name, connections, round(100.0 * connections / (SELECT max_conn FROM setting), 1)::float8 AS share,
       longest, pid, usename, application_name, idle, row_number() OVER (ORDER BY g, o)::int AS position
FROM found
"""


async def read_connections(services: Services, system: str) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    async with services.reader(system).connection() as conn:
        cur = await conn.execute(CONNECTIONS_SQL, {"in_use": IN_USE, "free": FREE, "idle_tx": IDLE_TX})
        return [d.name for d in cur.description or ()], await cur.fetchall()


def connections_view(system: str) -> ListSpec:
    return ListSpec(
        key="connections", system=system, title=titled(system, "connections"),
        source=Snapshot(read=read_connections, refresh_s=2.0),
        columns=(
            Column("group", "Group", K.ENUM, width=11),
            Column("name", "Name", width=34),
            Column("connections", "Conns", K.INT, width=6),
            Column("share", "% max", K.FLOAT, width=6),
            Column("longest", "Longest", K.DURATION, width=8),
            Column("idle", "Idle", K.DURATION, width=8, shown=False),
            Column("pid", "Pid", K.INT, width=7, shown=False),
            Column("usename", "User", width=12, shown=False),
            Column("application_name", "Application", width=16, shown=False),
            Column("position", "#", K.INT, width=3, shown=False, internal=True),
        ),
        orderings=(Ordering("grouped", ("position",), descending=False),
                   Ordering("most", ("connections", "position"))),
        filters=(
            FilterField("group", "group", K.ENUM, values=GROUPS),
            FilterField("name", "name", help="a state, an application_name, or pid user application"),
            FilterField("conns", "connections", K.INT, help="e.g. conns>10"),
            FilterField("share", "share", K.FLOAT, help="percent of max_connections, e.g. share>50"),
            FilterField("longest", "longest", K.DURATION, help="a duration, e.g. longest>5m"),
            FilterField("pid", "pid", K.INT),
            FilterField("user", "usename"),
        ),
        id_columns=("group", "name"),
        family="monitor",
        tab="conns",
    )


VIEWS = tuple(connections_view(s) for s in SYSTEMS)
