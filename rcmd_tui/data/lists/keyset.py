"""Keyset pagination over a table view: a page after a row, before a row, or at a moment in time.

Every page is one indexed range scan of ``limit`` rows, however deep it is: no OFFSET, no count.
Totals are estimates from the planner (per partition for a partitioned table); an exact count is a
separate, explicit request that the statement timeout still bounds.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg
import psycopg_pool
from psycopg import sql

from rcmd_tui.data.lists.enrich import needed_fields
from rcmd_tui.data.lists.filters import NO_FILTER, Filter
from rcmd_tui.data.lists.sources import PAGE_SIZE, Estimate, Page, SourceBase, assemble
from rcmd_tui.data.lists.spec import ListSpec, Ordering, Record, Table

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services


def _select_list(spec: ListSpec) -> tuple[sql.Composable, tuple[str, ...]]:
    parts: list[sql.Composable] = []
    names: list[str] = []
    for name in spec.selected():
        col = spec.column_or_none(name)
        if col is not None and not col.selected:
            continue  # an enricher provides it
        if col is not None and col.expr is not None:
            parts.append(sql.SQL("{} AS {}").format(sql.SQL(col.expr), sql.Identifier(name)))
        else:
            parts.append(sql.Identifier(name))
        names.append(name)
    for name in needed_fields(spec):
        if name not in names:
            parts.append(sql.Identifier(name))
            names.append(name)
    return sql.SQL(", ").join(parts), tuple(names)


def _keyset(ordering: Ordering, forward: bool, inclusive: bool = False) -> sql.Composable:
    """``(a, b) < (%s, %s)``, with ``a <= %s`` in front so a single-column index on ``a`` is usable."""
    descending = ordering.descending == forward
    op = ("<=" if inclusive else "<") if descending else (">=" if inclusive else ">")
    cols = [sql.Identifier(c) for c in ordering.columns]
    row = sql.SQL("({}) {} ({})").format(sql.SQL(", ").join(cols), sql.SQL(op),
                                         sql.SQL(", ").join(sql.Placeholder() for _ in cols))
    lead = sql.SQL("{} {} %s").format(cols[0], sql.SQL("<=" if descending else ">="))
    return sql.SQL("{} AND {}").format(lead, row) if len(cols) > 1 else row


def _order_by(ordering: Ordering, forward: bool) -> sql.Composable:
    direction = sql.SQL("DESC" if ordering.descending == forward else "ASC")
    return sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), direction) for c in ordering.columns)


def page_query(spec: ListSpec, ordering: Ordering, flt: Filter, after: Sequence[Any] | None, limit: int | None,
               forward: bool = True, inclusive: bool = False) -> tuple[sql.Composed, list[Any]]:
    select, _ = _select_list(spec)
    where: list[sql.Composable] = [flt.where]
    params: list[Any] = list(flt.params)
    if after is not None:
        where.append(_keyset(ordering, forward, inclusive))
        params += ([after[0]] if len(ordering.columns) > 1 else []) + list(after)
    query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT {}").format(
        select, sql.Identifier(spec.table), sql.SQL(" AND ").join(where), _order_by(ordering, forward),
        sql.Literal(limit) if limit is not None else sql.SQL("ALL"))
    return query, params


def offset_query(spec: ListSpec, ordering: Ordering, flt: Filter, offset: int, limit: int) -> tuple[sql.Composed, list[Any]]:
    """The naive way, kept only so the benchmark can show what keyset paging saves."""
    select, _ = _select_list(spec)
    query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT {} OFFSET {}").format(
        select, sql.Identifier(spec.table), flt.where, _order_by(ordering, True), sql.Literal(limit), sql.Literal(offset))
    return query, list(flt.params)


def at_query(spec: ListSpec, ordering: Ordering, flt: Filter, moment: datetime, limit: int) -> tuple[sql.Composed, list[Any]]:
    lead = ordering.columns[0]
    if lead != spec.time_column:
        raise ValueError(f"ordering {ordering.name} does not lead with the time column")
    where = sql.SQL("{} AND {} {} %s").format(flt.where, sql.Identifier(lead), sql.SQL("<=" if ordering.descending else ">="))
    return page_query(spec, ordering, Filter(flt.text, where, (*flt.params, moment), flt.words), None, limit)


ROWS_BEFORE_EXACT = 10_000  # positions up to here are counted; deeper ones are the planner's estimate
UNANALYSED_COUNT_CAP = 100_000  # a table the planner knows nothing about is counted up to here
RECENT_SAMPLE = 5_000  # rows read to suggest spellings for a term that matched nothing


class KeysetSource(SourceBase):
    """Pages of one table view under one ordering and filter. Safe to share between workers: no cursor state."""

    def __init__(self, services: Services, spec: ListSpec, ordering: Ordering | None = None, flt: Filter = NO_FILTER,
                 page_size: int = PAGE_SIZE) -> None:
        if not isinstance(spec.source, Table):
            raise TypeError(f"{spec.title} is not a table view")
        super().__init__(services, spec, ordering, flt, page_size)
        self._names = _select_list(spec)[1]

    @property
    def pool(self) -> psycopg_pool.AsyncConnectionPool[Any]:
        return self.services.reader(self.spec.system)

    @property
    def can_jump(self) -> bool:
        return self.spec.time_column is not None

    @property
    def note(self) -> str:
        return ""

    async def _fetch(self, query: sql.Composed, params: list[Any]) -> list[tuple[Any, ...]]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(query, params)
            rows: list[tuple[Any, ...]] = await cur.fetchall()
        return rows

    async def records(self, rows: Sequence[Sequence[Any]]) -> list[Record]:
        return await assemble(self.spec, self.ordering, self.services, self._names, rows)

    async def _page(self, after: Sequence[Any] | None, forward: bool, inclusive: bool = False) -> Page:
        query, params = page_query(self.spec, self.ordering, self.filter, after, self.page_size + 1, forward, inclusive)
        rows = await self._fetch(query, params)
        more = len(rows) > self.page_size
        records = await self.records(rows[: self.page_size])
        if forward:
            return Page(tuple(records), more_after=more, more_before=after is not None)
        return Page(tuple(reversed(records)), more_after=after is not None, more_before=more)

    async def first(self) -> Page:
        return await self._page(None, True)

    async def last(self) -> Page:
        return await self._page(None, False)

    async def after(self, record: Record) -> Page:
        return await self._page(record.sort_key, True)

    async def before(self, record: Record) -> Page:
        return await self._page(record.sort_key, False)

    async def around(self, record: Record) -> Page:
        return await self._page(record.sort_key, True, inclusive=True)

    async def at(self, moment: datetime) -> Page:
        """The page starting at ``moment`` (the ordering must lead with the time column)."""
        rows = await self._fetch(*at_query(self.spec, self.ordering, self.filter, moment, self.page_size + 1))
        more = len(rows) > self.page_size
        return Page(tuple(await self.records(rows[: self.page_size])), more_after=more, more_before=True)

    async def estimate(self) -> Estimate:
        if self.filter.where is NO_FILTER.where:
            rows = await self._table_estimate()
            if rows > 0:
                return Estimate(rows, exact=False, source="planner statistics")
            # Never analysed (reltuples -1 or 0): the planner knows nothing, so count, up to a cap.
            capped = sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT {}) AS rows").format(
                sql.Identifier(self.spec.table), sql.Literal(UNANALYSED_COUNT_CAP + 1))
            counted = int((await self._fetch(capped, []))[0][0])
            if counted <= UNANALYSED_COUNT_CAP:
                return Estimate(counted, exact=True, source="count(*): the table has no statistics yet")
            return Estimate(counted, exact=False, source="at least; the table has no statistics yet")
        rows = await self._explain_rows(self.filter.where, self.filter.params)
        return Estimate(rows, exact=False, source="planner estimate for this filter")

    async def _table_estimate(self) -> int:
        # reltuples is -1 for a table never vacuumed or analyzed; count those as unknown (0).
        # Leaves only: ANALYZE on a partitioned parent also stores the total in the parent's row.
        query = sql.SQL(
            "SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint FROM pg_partition_tree({}::regclass) t "
            "JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf"
        ).format(sql.Literal(self.spec.table))
        rows = await self._fetch(sql.Composed([query]), [])
        return int(rows[0][0]) if rows else 0

    async def exact_count(self) -> Estimate:
        query = sql.SQL("SELECT count(*) FROM {} WHERE {}").format(sql.Identifier(self.spec.table), self.filter.where)
        rows = await self._fetch(query, list(self.filter.params))
        return Estimate(int(rows[0][0]), exact=True, source="count(*)")

    async def why_empty(self) -> str | None:
        """A name the filter looks up that matches nobody: the likeliest reason for no rows."""
        async with self.pool.connection() as conn:
            for lookup in self.filter.lookups:
                query = sql.SQL("SELECT EXISTS ({})").format(sql.SQL(lookup.query))
                row = await (await conn.execute(query, [lookup.value])).fetchone()
                if row is not None and not row[0]:
                    if lookup.value != lookup.raw:  # matched by what it becomes (an e-mail by its hash): whole, never a part
                        return (f"no {lookup.field} with the e-mail {lookup.raw!r}: the whole address is needed (any case), "
                                "it is matched by its hash" if "@" not in lookup.raw else
                                f"nobody has the e-mail {lookup.raw!r}: check it (it is matched whole, by its hash; any case)")
                    return f"no {lookup.field} {lookup.raw!r}: check the spelling (or give the id)"
            for spelling in self.filter.spellings:
                like = await self._recent_values_like(conn, spelling.column, spelling.raw)
                if like:
                    return (f"no {spelling.field} is {spelling.raw!r}; recent ones like it: {', '.join(like)} "
                            f"({spelling.field}~{spelling.raw} finds them all)")
        return None

    async def _recent_values_like(self, conn: psycopg.AsyncConnection[Any], column: str, text: str) -> list[str]:
        """Values of ``column`` among the newest rows (one index scan, never a DISTINCT over the table) that
        contain ``text``."""
        query = sql.SQL("SELECT DISTINCT {} FROM (SELECT {} FROM {} ORDER BY {} LIMIT {}) AS recent").format(
            sql.Identifier(column), sql.Identifier(column), sql.Identifier(self.spec.table),
            _order_by(self.spec.ordering(), True), sql.Literal(RECENT_SAMPLE))
        values = [str(r[0]) for r in await (await conn.execute(query)).fetchall() if r[0] is not None]
        return sorted(v for v in values if text.lower() in v.lower())[:5]

    async def rows_before(self, record: Record) -> tuple[int, bool]:
        """Counted up to ROWS_BEFORE_EXACT; beyond that the planner's estimate (a count would cost an OFFSET)."""
        where = sql.SQL("{} AND {}").format(self.filter.where, _keyset(self.ordering, False))
        params = [*self.filter.params, *([record.sort_key[0]] if len(self.ordering.columns) > 1 else []), *record.sort_key]
        capped = sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} WHERE {} LIMIT {}) AS before").format(
            sql.Identifier(self.spec.table), where, sql.Literal(ROWS_BEFORE_EXACT + 1))
        rows = await self._fetch(capped, params)
        counted = int(rows[0][0]) if rows else 0
        if counted <= ROWS_BEFORE_EXACT:
            return counted, True
        return max(await self._explain_rows(where, params), counted), False

    async def _explain_rows(self, where: sql.Composable, params: Sequence[Any]) -> int:
        query = sql.SQL("EXPLAIN (FORMAT JSON) SELECT 1 FROM {} WHERE {}").format(sql.Identifier(self.spec.table), where)
        async with self.pool.connection() as conn:
            cur = psycopg.AsyncClientCursor(conn)  # EXPLAIN takes no server-side parameters; psycopg quotes them
            await cur.execute(query, list(params))
            row = await cur.fetchone()
        plan = row[0] if row else None
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"]) if plan else 0

    async def batches(self, size: int) -> AsyncGenerator[Sequence[Record], None]:
        """Through a server-side cursor, so memory stays flat however many rows match."""
        query, params = page_query(self.spec, self.ordering, self.filter, None, None)
        async with self.pool.connection() as conn, conn.transaction():
            cursor = conn.cursor(name=f"rcmd_tui_batches_{uuid.uuid4().hex[:8]}")
            await cursor.execute(query, params)
            while True:
                rows = await cursor.fetchmany(size)
                if not rows:
                    break
                yield await self.records(rows)
            await cursor.close()
