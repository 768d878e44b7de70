"""Audit retention: the partitions of a system's ``audit_logs`` in month order, with their planner row estimates
and sizes, the oldest and the newest, the months missing ahead, and which partitions lie beyond the retention
(OrderSync's ``archive_old_audit_logs()`` moves rows older than six months to ``audit_logs_archive``, which gets
a row of its own). The archive itself runs from :mod:`rcmd_tui.data.monitor.archive`.

One statement per refresh, every 30 s, on the primary (the archive writes there, so its figures are the ones
that matter). Choices, and why:

- **Rows** are ``reltuples``, what the planner believes after the last VACUUM or ANALYZE; never ``count(*)``,
  which would read every partition on each refresh. A partition never analysed shows none (∅), not 0.
- **Bounds** are read from the partitions' bound expressions (``PARTITION_BOUNDS``, shared with the storage
  view), and the missing months the same way storage finds them (``MISSING_MONTHS``), so a detached table named
  like a month does not count as its partition.
- **Month** is the month of the middle of a partition's range: whatever the session's time zone, the middle
  of a monthly range falls in its own month, where its first instant may read as the last day of the one before.
- **Archive**: ``due`` when the whole range is older than the cutoff (now minus the retention), ``partly`` when
  the cutoff falls inside it. Only OrderSync's seed sets a retention; RCMD's keeps its audit log and has no
  archive table, so there the column is hidden and the status line says why.
- **Order**: by the start of the range, the missing months among the partitions; the default partition and the
  archive (no range) last. Open ends (MINVALUE, MAXVALUE) show as no time: Python has no infinite datetime.
- **The archive table's oldest and newest rows** are not shown: its primary key leads with ``id``, so they
  would take a scan of the whole archive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rcmd_tui.data.lists.spec import Column, FilterField, Kind, ListSpec, Ordering, Snapshot
from rcmd_tui.data.monitor.activity import SYSTEMS, titled
from rcmd_tui.data.monitor.storage import AUDIT_TABLE, MISSING_MONTHS, MONTHS_AHEAD, PARTITION_BOUNDS, schema_of

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

K = Kind
KINDS = ("partition", "missing", "archive")
ARCHIVE_STATES = ("due", "partly")
EDGES = ("oldest", "newest", "only")
# The systems whose seed archives its audit log: the archive table and the months it keeps live rows.
ARCHIVE_TABLES = {"ordersync": "audit_logs_archive"}  # archive_old_audit_logs(), ordersync-schema.md (O10)
NO_ARCHIVE = "no archive: RCMD keeps its whole log"  # its seed has no archive table and no retention function
RETENTION_MONTHS = {"ordersync": 6}  # "WHERE created_at < NOW() - INTERVAL '6 months'"

RETENTION_SQL = r"""
WITH parent AS (
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relname = %(audit)s AND c.relkind = 'p'
), bounds AS ({bounds}
), cutoff AS (
    SELECT now() - make_interval(months => %(keep)s) AS at  -- NULL where the system keeps everything
), part AS (  -- every attached partition; the default one has no bounds
    SELECT pc.relname::text AS name, b.lo, b.hi, pc.reltuples, pg_total_relation_size(pc.oid) AS total_bytes
    FROM pg_inherits h JOIN pg_class pc ON pc.oid = h.inhrelid LEFT JOIN bounds b ON b.oid = h.inhrelid
    WHERE h.inhparent = (SELECT oid FROM parent)
), edge AS (
    SELECT min(lo) AS first, max(hi) AS last FROM part
)
SELECT 'partition' AS kind, p.name,
       CASE WHEN isfinite(p.lo) AND isfinite(p.hi) THEN to_char(p.lo + (p.hi - p.lo) / 2, 'YYYY-MM') END AS month,
       CASE WHEN p.reltuples >= 0 THEN p.reltuples::bigint END AS est_rows, p.total_bytes,
       CASE WHEN p.lo = e.first AND p.hi = e.last THEN 'only' WHEN p.lo = e.first THEN 'oldest'
            WHEN p.hi = e.last THEN 'newest' END AS edge,
       CASE WHEN p.hi <= c.at THEN 'due' WHEN p.lo < c.at THEN 'partly' END AS archive,
       CASE WHEN isfinite(p.lo) THEN p.lo END AS starts, CASE WHEN isfinite(p.hi) THEN p.hi END AS ends, c.at AS cutoff,
       CASE WHEN p.lo IS NOT NULL THEN greatest(p.lo, '0001-01-01 00:00+00') END AS at
FROM part p, edge e, cutoff c
UNION ALL
SELECT 'missing', %(audit)s || '_' || to_char(m.month_start, 'YYYY_MM'), to_char(m.month_start, 'YYYY-MM'), NULL, NULL,
       NULL, NULL, m.month_start, m.month_start + interval '1 month', c.at, m.month_start
FROM parent, ({missing}) AS m, cutoff c
UNION ALL
SELECT 'archive', a.relname::text, NULL, CASE WHEN a.reltuples >= 0 THEN a.reltuples::bigint END, pg_total_relation_size(a.oid),
       NULL, NULL, NULL, NULL, c.at, NULL
FROM pg_class a JOIN pg_namespace n ON n.oid = a.relnamespace, cutoff c
WHERE n.nspname = %(schema)s AND a.relname = %(archive)s AND a.relkind = 'r'
""".replace("{bounds}", PARTITION_BOUNDS.format(parent="(SELECT oid FROM parent)")).replace("{missing}", MISSING_MONTHS)


async def read_retention(services: Services, system: str) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    params = {"schema": schema_of(services.profile, system), "audit": AUDIT_TABLE, "ahead": MONTHS_AHEAD,
              "keep": RETENTION_MONTHS.get(system), "archive": ARCHIVE_TABLES.get(system)}
    async with services.primary(system).connection() as conn:
        cur = await conn.execute(RETENTION_SQL, params)
        return [d.name for d in cur.description or ()], await cur.fetchall()


def retention_view(system: str) -> ListSpec:
    return ListSpec(
        key="retention", system=system, title=titled(system, "audit retention"),
        source=Snapshot(read=read_retention, refresh_s=30.0),
        columns=(
            Column("kind", "Kind", K.ENUM, width=9),
            Column("name", "Name", width=18),
            Column("month", "Month", width=7),
            Column("est_rows", "Rows~", K.COUNT, width=10),
            Column("total_bytes", "Size", K.BYTES, width=9),
            Column("edge", "Edge", K.ENUM, width=6),
            Column("archive", "Archive", K.ENUM, width=7, shown=system in ARCHIVE_TABLES),
            Column("starts", "From (UTC)", K.TIME, width=19, shown=False),
            Column("ends", "To (UTC)", K.TIME, width=19, shown=False),
            Column("cutoff", "Cutoff (UTC)", K.TIME, width=19, shown=False),
            Column("at", "At", K.TIME, shown=False, internal=True),
        ),
        orderings=(Ordering("month", ("at", "name"), descending=False),
                   Ordering("largest", ("total_bytes", "name"))),
        filters=(
            FilterField("kind", "kind", K.ENUM, values=KINDS),
            FilterField("name", "name", help="~text in the name"),
            FilterField("month", "month", help="e.g. month=2026-05"),
            FilterField("archive", "archive", K.ENUM, values=ARCHIVE_STATES,
                        help="due: wholly older than the retention; partly: the cutoff falls inside it"),
            FilterField("edge", "edge", K.ENUM, values=EDGES),
            FilterField("size", "total_bytes", K.INT, help="bytes, e.g. size>100000000"),
            FilterField("rows", "est_rows", K.COUNT, help="the planner's estimate, e.g. rows>1000"),
        ),
        id_columns=("kind", "name"),
        about="" if system in ARCHIVE_TABLES else NO_ARCHIVE,
    )


VIEWS = tuple(retention_view(s) for s in SYSTEMS)
