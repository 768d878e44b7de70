"""Keyset pagination over a :class:`ListSpec`: a page after a row, before a row, or at a moment in time.

Every page is one indexed range scan of ``limit`` rows, however deep it is: no OFFSET, no count.
Totals are estimates from the planner (per partition for a partitioned table); an exact count is a
separate, explicit request that the statement timeout still bounds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
import psycopg_pool
from psycopg import sql

from rcmd_tui.data.decrypt import Decryptor
from rcmd_tui.data.filters import NO_FILTER, Filter
from rcmd_tui.data.listing import Column, ListSpec, Ordering, Record

PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Page:
    records: tuple[Record, ...]
    more_after: bool  # another page follows in the ordering's direction
    more_before: bool  # rows precede the first one (known when paging backward or jumping)


@dataclass(frozen=True, slots=True)
class Estimate:
    rows: int
    exact: bool
    source: str  # "planner statistics", "planner estimate for this filter", "count(*)"


def _select_list(spec: ListSpec) -> tuple[sql.Composable, tuple[str, ...]]:
    parts: list[sql.Composable] = []
    names: list[str] = []
    for name in spec.selected():
        col = _column_or_none(spec, name)
        if col is not None and col.encrypted is not None:
            enc = col.encrypted
            parts += [sql.Identifier(enc.ciphertext_column), sql.Identifier(enc.key_id_column)]
            names += [enc.ciphertext_column, enc.key_id_column]
            continue
        if col is not None and col.expr is not None:
            parts.append(sql.SQL("{} AS {}").format(sql.SQL(col.expr), sql.Identifier(name)))
        else:
            parts.append(sql.Identifier(name))
        names.append(name)
    return sql.SQL(", ").join(parts), tuple(names)


def _column_or_none(spec: ListSpec, name: str) -> Column | None:
    try:
        return spec.column(name)
    except KeyError:
        return None


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


class Pager:
    """Pages of one list under one ordering and filter. Safe to share between workers: no cursor state."""

    def __init__(self, pool: psycopg_pool.AsyncConnectionPool[Any], spec: ListSpec, ordering: Ordering | None = None,
                 flt: Filter = NO_FILTER, page_size: int = PAGE_SIZE, decryptor: Decryptor | None = None) -> None:
        self.pool = pool
        self.spec = spec
        self.ordering = ordering or spec.ordering()
        self.filter = flt
        self.page_size = page_size
        self.decryptor = decryptor
        self._names = _select_list(spec)[1]

    async def _fetch(self, query: sql.Composed, params: list[Any]) -> list[tuple[Any, ...]]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(query, params)
            rows = await cur.fetchall()
        return [tuple(r) for r in rows]

    def records(self, rows: list[tuple[Any, ...]]) -> list[Record]:
        encrypted = [c for c in self.spec.columns if c.encrypted is not None]
        if not encrypted:
            names = self._names
            key_at = [names.index(c) for c in self.ordering.columns]
            positions = {n: i for i, n in enumerate(names)}
            return [Record(r, names, tuple(r[i] for i in key_at), positions) for r in rows]
        return self._decrypted(rows, encrypted)

    def _decrypted(self, rows: list[tuple[Any, ...]], encrypted: list[Column]) -> list[Record]:
        by_name = [dict(zip(self._names, r, strict=True)) for r in rows]
        enc_cols = [c.encrypted for c in encrypted if c.encrypted is not None]
        fields = self.decryptor.page(enc_cols, by_name) if self.decryptor else [dict.fromkeys(c.name for c in enc_cols) for _ in rows]
        names = self.spec.selected()
        positions = {n: i for i, n in enumerate(names)}
        out = []
        for row, plain in zip(by_name, fields, strict=True):
            values = tuple(plain.get(n) if n in plain else row.get(n) for n in names)
            out.append(Record(values, names, tuple(row[c] for c in self.ordering.columns), positions))
        return out

    async def _page(self, after: Sequence[Any] | None, forward: bool, inclusive: bool = False) -> Page:
        query, params = page_query(self.spec, self.ordering, self.filter, after, self.page_size + 1, forward, inclusive)
        rows = await self._fetch(query, params)
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if self.decryptor is not None and any(c.encrypted for c in self.spec.columns):
            records = await asyncio.to_thread(self.records, rows)  # the keyring may block
        else:
            records = self.records(rows)
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

    async def at(self, moment: datetime) -> Page:
        """The page starting at ``moment`` (the ordering must lead with the time column)."""
        rows = await self._fetch(*self.at_query(self.spec, self.ordering, self.filter, moment, self.page_size + 1))
        more = len(rows) > self.page_size
        page = self.records(rows[: self.page_size])
        return Page(tuple(page), more_after=more, more_before=True)

    @staticmethod
    def at_query(spec: ListSpec, ordering: Ordering, flt: Filter, moment: datetime, limit: int) -> tuple[sql.Composed, list[Any]]:
        lead = ordering.columns[0]
        if lead != spec.time_column:
            raise ValueError(f"ordering {ordering.name} does not lead with the time column")
        where = sql.SQL("{} AND {} {} %s").format(flt.where, sql.Identifier(lead), sql.SQL("<=" if ordering.descending else ">="))
        return page_query(spec, ordering, Filter(flt.text, where, (*flt.params, moment), flt.words), None, limit)

    async def estimate(self) -> Estimate:
        if self.filter.where is NO_FILTER.where:
            return Estimate(await self._table_estimate(), exact=False, source="planner statistics")
        query = sql.SQL("EXPLAIN (FORMAT JSON) SELECT 1 FROM {} WHERE {}").format(sql.Identifier(self.spec.table), self.filter.where)
        async with self.pool.connection() as conn:
            cur = psycopg.AsyncClientCursor(conn)  # EXPLAIN takes no server-side parameters; psycopg quotes them
            await cur.execute(query, list(self.filter.params))
            row = await cur.fetchone()
        plan = row[0] if row else None
        if isinstance(plan, str):
            plan = json.loads(plan)
        rows = int(plan[0]["Plan"]["Plan Rows"]) if plan else 0
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
