"""Slow queries: ``pg_stat_statements`` for the target's database, one statement per refresh.

The seed's threshold (OrderSync's monitoring query: a mean over 100 ms) marks a statement slow. Where the
extension is missing, not preloaded, or its texts hidden from this role, the view says exactly what to do.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from rcmd_tui.data.lists.spec import Column, FilterField, Kind, ListSpec, Ordering, Snapshot
from rcmd_tui.data.monitor.activity import SYSTEMS, one_line, titled
from rcmd_tui.errors import RcmdError

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

K = Kind
SLOW_MEAN_MS = 100.0  # ordersync-schema.md, "느린 쿼리 분석": mean_exec_time > 100
MAX_ROWS = 2000
HIDDEN_TEXT = "<insufficient privilege>"

ENABLE = ("add pg_stat_statements to shared_preload_libraries in postgresql.conf, restart PostgreSQL, "
          "then run CREATE EXTENSION pg_stat_statements in this database")


class StatementsUnavailable(RcmdError):
    title = "Slow queries"


_FIND = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_stat_statements'"

# Ours and fixed, but the extension's schema is only known at run time: an identifier, composed safely.
_STATEMENTS = """
SELECT s.queryid, r.rolname AS role, s.query, s.calls, s.total_exec_time AS total_ms, s.mean_exec_time AS mean_ms,
       s.max_exec_time AS max_ms, s.stddev_exec_time AS stddev_ms, s.rows, s.shared_blks_hit, s.shared_blks_read,
       CASE WHEN s.shared_blks_hit + s.shared_blks_read > 0
            THEN (100.0 * s.shared_blks_hit / (s.shared_blks_hit + s.shared_blks_read))::float8 END AS hit_pct,
       s.mean_exec_time > {slow} AS slow, s.toplevel
FROM {schema}.pg_stat_statements AS s LEFT JOIN pg_roles r ON r.oid = s.userid
WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND {one}
ORDER BY s.total_exec_time DESC
LIMIT {limit}
"""

# Where the extension lives, per console and target: asked once, forgotten with the console's services.
_schemas: weakref.WeakKeyDictionary[Services, dict[str, str]] = weakref.WeakKeyDictionary()


async def _schema(services: Services, system: str, conn: psycopg.AsyncConnection[Any]) -> str:
    known = _schemas.setdefault(services, {})
    if system not in known:
        row = await (await conn.execute(_FIND)).fetchone()
        if row is None:
            raise StatementsUnavailable(f"{system}: pg_stat_statements is not installed in this database", ENABLE)
        known[system] = str(row[0])
    return known[system]


def extension_schema(services: Services, system: str) -> str | None:
    """Where pg_stat_statements was found on ``system``, once the view has been read."""
    return _schemas.get(services, {}).get(system)


async def read_statements(services: Services, system: str, queryid: int | None = None
                          ) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    """The view's rows; with ``queryid``, only that statement's (a backend's detail)."""
    async with services.reader(system).connection() as conn:
        schema = await _schema(services, system, conn)
        one = sql.SQL("true") if queryid is None else sql.SQL("s.queryid = {}").format(sql.Literal(queryid))
        query = sql.SQL(_STATEMENTS).format(schema=sql.Identifier(schema), slow=sql.Literal(SLOW_MEAN_MS),
                                            limit=sql.Literal(MAX_ROWS + 1), one=one)
        try:
            cur = await conn.execute(query)
        except psycopg.errors.ObjectNotInPrerequisiteState:
            raise StatementsUnavailable(f"{system}: pg_stat_statements is installed but not loaded", ENABLE) from None
        except psycopg.errors.UndefinedTable:  # dropped since it was found
            _schemas.get(services, {}).pop(system, None)
            raise StatementsUnavailable(f"{system}: pg_stat_statements is not installed in this database", ENABLE) from None
        names = [d.name for d in cur.description or ()]
        rows = await cur.fetchall()
    at = names.index("query")
    return [*names, "query_line"], [(*r, one_line(r[at])) for r in rows]


def statements_view(system: str) -> ListSpec:
    return ListSpec(
        key="statements", system=system, title=titled(system, "slow queries"),
        source=Snapshot(read=read_statements, refresh_s=5.0, max_rows=MAX_ROWS),
        columns=(
            Column("slow", "Slow", K.BOOL, width=4),
            Column("calls", "Calls", K.COUNT, width=8),
            Column("total_ms", "Total ms", K.FLOAT, width=10),
            Column("mean_ms", "Mean ms", K.FLOAT, width=8),
            Column("max_ms", "Max ms", K.FLOAT, width=8),
            Column("stddev_ms", "Stddev", K.FLOAT, width=7, shown=False),
            Column("rows", "Rows", K.COUNT, width=8, shown=False),
            Column("hit_pct", "Hit %", K.FLOAT, width=6),
            Column("query_line", "Statement", width=None),
            Column("shared_blks_hit", "Blocks hit", K.COUNT, shown=False),
            Column("shared_blks_read", "Blocks read", K.COUNT, shown=False),
            Column("role", "Role", width=12, shown=False),
            Column("toplevel", "Top level", K.BOOL, shown=False),
            Column("queryid", "Query id", K.INT, shown=False),
            Column("query", "Statement (whole)", shown=False),
        ),
        orderings=(Ordering("total time", ("total_ms", "queryid", "role", "toplevel")),
                   Ordering("mean time", ("mean_ms", "queryid", "role", "toplevel")),
                   Ordering("calls", ("calls", "queryid", "role", "toplevel"))),
        filters=(
            FilterField("slow", "slow", K.BOOL, help=f"yes: a mean over {SLOW_MEAN_MS:g} ms (the seed's threshold)"),
            FilterField("query", "query", help="~text in the statement"),
            FilterField("role", "role"),
            FilterField("calls", "calls", K.COUNT),
            FilterField("mean", "mean_ms", K.FLOAT, help="milliseconds, e.g. mean>100"),
            FilterField("total", "total_ms", K.FLOAT, help="milliseconds, e.g. total>1000"),
            FilterField("id", "queryid", K.INT),
        ),
        id_columns=("queryid", "role", "toplevel"),
        aliases=("slow",),
        family="monitor",
    )


VIEWS = tuple(statements_view(s) for s in SYSTEMS)
