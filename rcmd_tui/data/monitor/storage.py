"""Storage and indexes: sizes, cache hit ratios, unused indexes, dead rows and missing audit partitions of the
system's own schema, as one tree: each table, then its indexes, then its partitions (each with its own
indexes); months the audit log has no partition for sit among the partitions, in month order.

One statement per refresh (CTEs), every 30 s: sizes change slowly, and reading them costs a ``stat()`` of
every relation file. Choices, and why:

- **Sizes** are ``pg_total_relation_size`` = ``pg_table_size`` (heap, TOAST, free-space and visibility maps) +
  ``pg_indexes_size``. A partitioned table has no storage of its own: its row adds up its leaf partitions, and
  a partitioned index its partitions' indexes. A partition's copy of its parent's index is counted there (it
  cannot be dropped on its own), so it gets no row; an index made on one partition alone does.
- **Cache hit ratio** is the seed's ``heap_blks_hit / (hit + read)`` from ``pg_statio_user_tables`` (for an
  index, ``idx_blks_*`` of ``pg_statio_user_indexes``), as a percent, NULL when never read, and
  ``below_target`` under the seed's 95 %. The ``total`` row is the seed's overall ratio, for this schema.
- **Unused**: never scanned since the statistics were last reset, and enforcing nothing (not a primary key,
  unique or exclusion index, which must stay whatever their scans).
- **Bloat** is estimated as dead rows over all rows (``n_dead_tup / (n_live_tup + n_dead_tup)`` of
  ``pg_stat_user_tables``), not ioguix's page estimate: that one reads ``pg_stats`` for every column (slower,
  and NULL for columns the role may not read) and is itself an estimate from average widths. Dead rows are what
  autovacuum itself decides on and cost nothing to read; what they do not show is space VACUUM has already
  freed inside pages, which only VACUUM FULL or a rewrite gives back.
- **Missing partitions**: the months from the current one to ``MONTHS_AHEAD`` ahead with no attached
  partition of ``audit_logs`` covering any part of them, read from the partitions' bounds (not their names, so
  a detached ``audit_logs_2026_05`` still counts as missing). :func:`create_partition` creates one the way the
  migrations' ``ensure_audit_partitions()`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from psycopg import sql

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import Plan, Privilege, Statement
from rcmd_tui.data.lists.spec import Column, FilterField, Kind, ListSpec, Ordering, Snapshot
from rcmd_tui.data.monitor.activity import SYSTEMS, titled
from rcmd_tui.data.monitor.console_audit import system_audit

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

K = Kind
KINDS = ("total", "table", "partition", "index", "missing")
AUDIT_TABLE = "audit_logs"  # both systems' monthly-partitioned audit log
MONTHS_AHEAD = 3  # the migrations keep the current month and three ahead
CACHE_TARGET_PCT = 95.0  # the seed's target (ordersync-schema.md, "캐시 히트율": 목표 95% 이상)
# The tree key joins names with these (a space sorts before every character of an unquoted name, so a table's
# rows come before the next table's): a table's indexes first, then its partitions.
INDEX_STEP, PARTITION_STEP = " 1 ", " 2 "

# The lower and upper bound of each range partition of a parent, read from its bound expression
# (FOR VALUES FROM ('…') TO ('…'); MINVALUE and MAXVALUE are open ends). The default partition has none.
# ``{parent}``: an expression giving the parent's oid. The retention view reads the same bounds.
PARTITION_BOUNDS = r"""
    SELECT h.inhrelid AS oid,
           coalesce(substring(b.expr FROM $re$FROM \('([^']*)'\)$re$)::timestamptz, '-infinity') AS lo,
           coalesce(substring(b.expr FROM $re$TO \('([^']*)'\)$re$)::timestamptz, 'infinity') AS hi
    FROM pg_inherits h
    CROSS JOIN LATERAL (SELECT pg_get_expr(pc.relpartbound, pc.oid) AS expr FROM pg_class pc WHERE pc.oid = h.inhrelid) b
    WHERE h.inhparent = {parent} AND starts_with(b.expr, 'FOR VALUES FROM')
"""

# The months from the current one to ``MONTHS_AHEAD`` (the ``ahead`` parameter) that no attached partition covers
# any part of; it reads a ``bounds`` CTE (PARTITION_BOUNDS) of the statement it is placed in.
MISSING_MONTHS = r"""
    SELECT m::date AS month_start
    FROM generate_series(date_trunc('month', now()), date_trunc('month', now()) + make_interval(months => %(ahead)s),
                         interval '1 month') AS m
    WHERE NOT EXISTS (SELECT 1 FROM bounds b WHERE b.lo < m + interval '1 month' AND b.hi > m)
"""

STORAGE_SQL = r"""
WITH rel AS (
    SELECT c.oid, c.relname::text AS relname, c.relkind, c.relispartition
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'm')
), leaf AS (  -- what a row adds up: itself, or a partitioned table's leaf partitions
    SELECT r.oid AS rel, r.oid AS leaf FROM rel r WHERE r.relkind <> 'p'
    UNION ALL
    SELECT r.oid, t.relid FROM rel r CROSS JOIN LATERAL pg_partition_tree(r.oid) t WHERE r.relkind = 'p' AND t.isleaf
), rel_num AS (
    SELECT l.rel, sum(pg_total_relation_size(l.leaf)) AS total_bytes, sum(pg_table_size(l.leaf)) AS table_bytes,
           sum(pg_indexes_size(l.leaf)) AS index_bytes, sum(lc.reltuples) FILTER (WHERE lc.reltuples >= 0) AS est_rows,
           sum(io.heap_blks_hit) AS hit, sum(io.heap_blks_read) AS read,
           sum(st.n_live_tup) AS live, sum(st.n_dead_tup) AS dead,
           max(greatest(st.last_vacuum, st.last_autovacuum)) AS vacuumed
    FROM leaf l JOIN pg_class lc ON lc.oid = l.leaf
    LEFT JOIN pg_statio_user_tables io ON io.relid = l.leaf
    LEFT JOIN pg_stat_user_tables st ON st.relid = l.leaf
    GROUP BY l.rel
), tree AS (  -- root partitioned table down to this one; its immediate parent
    SELECT r.oid,
           coalesce((SELECT string_agg(ac.relname, %(partition_step)s ORDER BY a.n DESC)
                     FROM pg_partition_ancestors(r.oid) WITH ORDINALITY AS a(relid, n)
                     JOIN pg_class ac ON ac.oid = a.relid), r.relname) AS key,
           (SELECT p.relname::text FROM pg_inherits h JOIN pg_class p ON p.oid = h.inhparent
            WHERE h.inhrelid = r.oid AND r.relispartition LIMIT 1) AS parent
    FROM rel r
), idx AS (  -- a partition's copy of its parent's index is counted in the parent's (relispartition)
    SELECT i.indexrelid AS oid, ic.relname::text AS relname, ic.relkind, i.indrelid,
           i.indisprimary OR i.indisunique OR i.indisexclusion AS enforces
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN rel r ON r.oid = i.indrelid
    WHERE NOT ic.relispartition
), idx_leaf AS (
    SELECT x.oid, x.oid AS leaf FROM idx x WHERE x.relkind = 'i'
    UNION ALL
    SELECT x.oid, t.relid FROM idx x CROSS JOIN LATERAL pg_partition_tree(x.oid) t WHERE x.relkind = 'I' AND t.isleaf
), idx_num AS (
    SELECT l.oid, sum(pg_total_relation_size(l.leaf)) AS bytes, sum(s.idx_scan) AS scans,  -- every fork (BRIN has a free-space map)
           sum(io.idx_blks_hit) AS hit, sum(io.idx_blks_read) AS read
    FROM idx_leaf l
    LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = l.leaf
    LEFT JOIN pg_statio_user_indexes io ON io.indexrelid = l.leaf
    GROUP BY l.oid
), audit AS (
    SELECT r.oid, t.key FROM rel r JOIN tree t ON t.oid = r.oid WHERE r.relname = %(audit)s AND r.relkind = 'p'
), bounds AS ({bounds}
), missing AS (
    SELECT m.month_start, a.key FROM audit a, ({missing}) AS m
), found AS (
    SELECT 'total' AS kind, %(schema)s::text AS name, NULL::text AS parent, sum(x.total_bytes) AS total_bytes,
           sum(x.table_bytes) AS table_bytes, sum(x.index_bytes) AS index_bytes, sum(x.est_rows) AS est_rows,
           sum(x.hit) AS hit, sum(x.read) AS read, NULL::numeric AS scans, NULL::boolean AS enforces,
           sum(x.live) AS live, sum(x.dead) AS dead, max(x.vacuumed) AS vacuumed, NULL::date AS month_start, '' AS tree
    FROM rel r JOIN rel_num x ON x.rel = r.oid WHERE r.relkind <> 'p'
    UNION ALL
    SELECT CASE WHEN r.relispartition THEN 'partition' ELSE 'table' END, r.relname, t.parent, x.total_bytes, x.table_bytes,
           x.index_bytes, x.est_rows, x.hit, x.read, NULL, NULL, x.live, x.dead, x.vacuumed, NULL, t.key
    FROM rel r JOIN tree t ON t.oid = r.oid LEFT JOIN rel_num x ON x.rel = r.oid
    UNION ALL
    SELECT 'index', x.relname, r.relname, coalesce(n.bytes, 0), NULL, coalesce(n.bytes, 0), NULL, n.hit, n.read, n.scans,
           x.enforces, NULL, NULL, NULL, NULL, t.key || %(index_step)s || x.relname
    FROM idx x JOIN rel r ON r.oid = x.indrelid JOIN tree t ON t.oid = r.oid LEFT JOIN idx_num n ON n.oid = x.oid
    UNION ALL
    SELECT 'missing', %(audit)s || '_' || to_char(m.month_start, 'YYYY_MM'), %(audit)s, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, m.month_start, m.key || %(partition_step)s || %(audit)s || '_' || to_char(m.month_start, 'YYYY_MM')
    FROM missing m
)
SELECT kind, name, parent, total_bytes::bigint, table_bytes::bigint, index_bytes::bigint, est_rows::bigint,
       round(100 * hit / nullif(hit + read, 0), 2)::float8 AS cache_hit_pct,
       round(100 * hit / nullif(hit + read, 0), 2) < %(target)s AS below_target,
       scans::bigint AS idx_scan, scans = 0 AND NOT enforces AS unused,
       round(100 * dead / nullif(live + dead, 0), 1)::float8 AS dead_pct, dead::bigint AS dead_rows,
       vacuumed AS last_vacuum, month_start, tree
FROM found
""".replace("{bounds}", PARTITION_BOUNDS.format(parent="(SELECT oid FROM audit)")).replace("{missing}", MISSING_MONTHS)


def schema_of(profile: Profile, system: str) -> str:
    """The schema a system's tables live in (G1: the suite keeps both systems in one database)."""
    target = profile.rcmd if system == "rcmd" else profile.ordersync
    if target is None:
        raise ValueError(f"the profile has no {system} target")
    return target.schema


async def read_storage(services: Services, system: str) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    params = {"schema": schema_of(services.profile, system), "audit": AUDIT_TABLE, "ahead": MONTHS_AHEAD, "target": CACHE_TARGET_PCT,
              "index_step": INDEX_STEP, "partition_step": PARTITION_STEP}
    # The primary, not a replica: scan and cache counters are each server's own, and an index a replica's
    # counters call unused may serve every query on the primary. (Queries sent only to a replica show there.)
    async with services.primary(system).connection() as conn:
        cur = await conn.execute(STORAGE_SQL, params)
        return [d.name for d in cur.description or ()], await cur.fetchall()


def storage_view(system: str) -> ListSpec:
    return ListSpec(
        key="storage", system=system, title=titled(system, "storage and indexes"),
        source=Snapshot(read=read_storage, refresh_s=30.0),
        columns=(
            Column("kind", "Kind", K.ENUM, width=9),
            Column("name", "Name", width=36),
            Column("parent", "Parent", width=16, shown=False),
            Column("total_bytes", "Total", K.BYTES, width=9),
            Column("table_bytes", "Table", K.BYTES, width=9),
            Column("index_bytes", "Indexes", K.BYTES, width=9),
            Column("est_rows", "Rows~", K.COUNT, width=10),
            Column("cache_hit_pct", "Hit %", K.FLOAT, width=6),
            Column("below_target", "<95%", K.BOOL, width=4),
            Column("idx_scan", "Scans", K.COUNT, width=9),
            Column("unused", "Unused", K.BOOL, width=6),
            Column("dead_pct", "Dead %", K.FLOAT, width=6),
            Column("dead_rows", "Dead rows", K.COUNT, width=10, shown=False),
            Column("last_vacuum", "Vacuumed (UTC)", K.TIME, width=19, shown=False),
            Column("month_start", "Month", width=10, shown=False),
            Column("tree", "Tree", shown=False, internal=True),
        ),
        orderings=(Ordering("tree", ("tree",), descending=False),
                   Ordering("largest", ("total_bytes", "tree"))),
        filters=(
            FilterField("kind", "kind", K.ENUM, values=KINDS),
            FilterField("name", "name", help="~text in the name"),
            FilterField("parent", "parent", help="a partitioned table, or the table of an index"),
            FilterField("size", "total_bytes", K.INT, help="bytes, e.g. size>100000000"),
            FilterField("hit", "cache_hit_pct", K.FLOAT, help="cache hit percent, e.g. hit<95"),
            FilterField("below", "below_target", K.BOOL, help="yes: cache hit under the seed's 95% target"),
            FilterField("scans", "idx_scan", K.COUNT),
            FilterField("unused", "unused", K.BOOL, help="yes: an index never scanned that enforces nothing"),
            FilterField("dead", "dead_pct", K.FLOAT, help="dead rows percent, e.g. dead>20"),
        ),
        id_columns=("kind", "name"),
        family="monitor",
        tab="storage",
    )


VIEWS = tuple(storage_view(s) for s in SYSTEMS)


# -- creating a missing partition ---------------------------------------------------------------------


def partition_name(table: str, month_start: date) -> str:
    """The name ``ensure_audit_partitions()`` gives a month's partition.

    >>> partition_name("audit_logs", date(2026, 5, 1))
    'audit_logs_2026_05'
    """
    return f"{table}_{month_start:%Y_%m}"


def month_after(month_start: date) -> date:
    """
    >>> month_after(date(2026, 12, 1)), month_after(date(2026, 1, 1))
    (datetime.date(2027, 1, 1), datetime.date(2026, 2, 1))
    """
    return date(month_start.year + month_start.month // 12, month_start.month % 12 + 1, 1)


# One row: whether the month still has no partition and its name is free, and if not, why.
_CHECK = r"""
WITH parent AS (
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND c.relname = %s AND c.relkind = 'p'
), taken AS (
    SELECT c.relispartition FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND c.relname = %s
), covering AS (
    SELECT pc.relname FROM ({bounds}) b JOIN pg_class pc ON pc.oid = b.oid
    WHERE b.lo < %s::date AND b.hi > %s::date
)
SELECT EXISTS (SELECT 1 FROM parent) AND NOT EXISTS (SELECT 1 FROM taken) AND NOT EXISTS (SELECT 1 FROM covering),
       CASE WHEN NOT EXISTS (SELECT 1 FROM parent) THEN %s || ' is not a partitioned table here'
            WHEN EXISTS (SELECT 1 FROM covering)
                 THEN 'the month has a partition now: ' || (SELECT string_agg(relname, ', ') FROM covering)
            WHEN EXISTS (SELECT 1 FROM taken) THEN %s || ' exists but is not attached to ' || %s
                 || ': attach it (ALTER TABLE … ATTACH PARTITION) or rename it, then refresh'
       END
""".replace("{bounds}", PARTITION_BOUNDS.format(parent="(SELECT oid FROM parent)"))


def create_partition(system: str, table: str, month_start: date, profile: Profile) -> Plan:
    """Create the partition of ``table`` for the month starting ``month_start``, as the migrations'
    ``ensure_audit_partitions()`` does: named ``<table>_YYYY_MM``, bounds the first of the month to the first
    of the next, in the system's schema; on OrderSync also its own ``trace_id`` index, as that function adds.

    Re-checked in the same transaction: still no partition covering the month, and the name still free (a
    detached table of that name is reported, not overwritten). Audited in the system's own log. The role
    must own ``table`` (``CREATE TABLE … PARTITION OF`` is its owner's to run) and may create in its schema.
    ``CREATE TABLE … PARTITION OF`` takes an ACCESS EXCLUSIVE lock on ``table`` for the moment it runs; the
    runner's ``lock_timeout`` keeps a busy log from waiting long."""
    schema = schema_of(profile, system)
    start = month_start.replace(day=1)
    end = month_after(start)
    name = partition_name(table, start)
    check = Statement(sql.SQL(_CHECK), (schema, table, schema, name, end, start, table, name, table))
    owner = (Privilege(table, "OWNER"),)
    create = Statement(sql.SQL("CREATE TABLE {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})").format(
        sql.Identifier(schema, name), sql.Identifier(schema, table), sql.Literal(start), sql.Literal(end)), (), owner)
    statements = [create]
    if system == "ordersync":  # create_audit_log_partition() in the seed; ensure_audit_partitions() in migration 0004
        statements.append(Statement(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (trace_id)").format(
            sql.Identifier(f"{name}_trace_id_idx"), sql.Identifier(schema, name)), (), owner))
    details = {"parent": table, "partition": name, "from": start.isoformat(), "to": end.isoformat()}
    return Plan(
        system=system, title=f"Create partition {name} of {table}", targets=(name,), check=check,
        audit=system_audit(system, ACTION, "partition", [name], profile, details), statements=tuple(statements), roles=("admin",),
    )


ACTION = "console.partition.create"
