"""A person's timeline as a row source: every stream of both systems read by keyset, merged newest first.

A page is one query per system (the system's streams as ``UNION ALL`` of indexed range scans, each
``LIMIT page + 1``), the two run side by side, merged in Python by (time, stream rank, row id), and cut to the page.
The bound of the next page is the last row's key: for its own stream ``(at, id) < (t, id)``; for a stream ranked
before it ``at <= t``; after it ``at < t``. Each is a range of the stream's index, so any depth costs the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from psycopg import sql

from rcmd_tui.data.infra.failures import describe
from rcmd_tui.data.lists.filters import Filter
from rcmd_tui.data.lists.sources import Estimate, Page, SourceBase, assemble
from rcmd_tui.data.lists.spec import ListSpec, Ordering, Record
from rcmd_tui.data.timeline.person import Person, find_person
from rcmd_tui.data.timeline.streams import FIELDS, STREAMS, Stream

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

COUNT_CAP = 10_000  # per stream: beyond it the count says "at least"
# A cursor: (time, rank, row id). LAST_RANK with an empty row id stands for "everything at that moment".
Cursor = tuple[datetime, int, str]
LAST_RANK = 1_000


def _bound(stream: Stream, cursor: Cursor | None, descending: bool, inclusive: bool) -> tuple[sql.Composable, list[Any]]:
    if cursor is None:
        return sql.SQL("TRUE"), []
    at, rank, row_id = cursor
    less = "<" if descending else ">"
    if stream.rank == rank:
        op = less + ("=" if inclusive else "")
        return (sql.SQL("at {}= %s AND (at, key_id) {} (%s, %s::{})").format(
            sql.SQL(less), sql.SQL(op), sql.SQL(stream.key_type)), [at, at, _key(stream, row_id)])
    # A stream ranked before the cursor's comes first at the same moment (descending), so its rows at that
    # moment are still ahead; one ranked after it has shown them already.
    ahead = (stream.rank < rank) == descending
    return sql.SQL("at {} %s").format(sql.SQL(less + ("=" if ahead else ""))), [at]


def _key(stream: Stream, row_id: str) -> Any:
    return int(row_id) if stream.key_type == "bigint" else row_id


def stream_query(stream: Stream, person: Person, flt: Filter, cursor: Cursor | None, descending: bool,
                 inclusive: bool, limit: int | None) -> tuple[sql.Composed, list[Any]]:
    bound, bound_params = _bound(stream, cursor, descending, inclusive)
    direction = sql.SQL("DESC" if descending else "ASC")
    query = sql.SQL("(SELECT {fields} FROM ({select}) AS s WHERE {where} AND {bound} ORDER BY at {d}, key_id {d}{limit})").format(
        fields=sql.SQL(", ").join(sql.Identifier(f) for f in FIELDS), select=sql.SQL(stream.select),
        where=flt.where, bound=bound, d=direction,
        limit=sql.SQL(" LIMIT {}").format(sql.Literal(limit)) if limit is not None else sql.SQL(""))
    return query, [list(person.ids(stream.key)), *flt.params, *bound_params]


_RANK, _ROW_ID = FIELDS.index("rank"), FIELDS.index("row_id")


def sort_key(row: Sequence[Any]) -> tuple[Any, ...]:
    return (row[0], row[_RANK], row[_ROW_ID])


class TimelineSource(SourceBase):
    """Pages of one person's timeline. The person is looked up once, on the first read."""

    def __init__(self, services: Services, spec: ListSpec, ordering: Ordering | None, flt: Filter, page_size: int) -> None:
        super().__init__(services, spec, ordering, flt, page_size)
        self._person: Person | None = None
        self._lock = asyncio.Lock()
        self._failed: dict[str, str] = {}

    @property
    def can_jump(self) -> bool:
        return True

    @property
    def note(self) -> str:
        person = self._person
        if person is None:
            return ""
        down = {**dict(zip(person.unreachable, person.failures, strict=True)), **self._failed}
        return person.summary() + "".join(f" · {s}: {why}" for s, why in down.items() if s not in person.unreachable)

    @property
    def subject(self) -> str:
        return " ".join(self.filter.words)

    async def person(self) -> Person | None:
        if not self.subject:
            return None
        async with self._lock:
            if self._person is None:
                self._person = await find_person(self.services, self.subject)
        return self._person

    def _streams(self, person: Person) -> list[Stream]:
        return [s for s in STREAMS if person.ids(s.key) and s.system not in person.unreachable
                and self._configured(s.system)]

    def _configured(self, system: str) -> bool:
        profile = self.services.profile
        return (profile.rcmd if system == "rcmd" else profile.ordersync) is not None

    async def _each_system(self, person: Person, build: Callable[[list[Stream]], tuple[sql.Composable, list[Any]]]
                           ) -> list[list[tuple[Any, ...]] | None]:
        """One statement per system, ``build`` from its streams, the systems side by side: each one's rows, or None
        where it failed while another answered (its rows are missing; the status line says why)."""
        by_system: dict[str, list[Stream]] = {}
        for stream in self._streams(person):
            by_system.setdefault(stream.system, []).append(stream)

        async def one(system: str, streams: list[Stream]) -> list[tuple[Any, ...]] | None:
            query, params = build(streams)
            try:
                async with self.services.reader(system).connection() as conn:
                    rows: list[tuple[Any, ...]] = await (await conn.execute(query, params)).fetchall()
            except Exception as exc:
                if len(by_system) == 1:
                    raise
                self._failed[system] = describe(exc, system, self.services.where(system)).message
                return None
            self._failed.pop(system, None)
            return rows

        return list(await asyncio.gather(*(one(s, ss) for s, ss in by_system.items())))

    async def _read(self, person: Person, cursor: Cursor | None, descending: bool, inclusive: bool,
                    limit: int | None) -> list[tuple[Any, ...]]:
        def union(streams: list[Stream]) -> tuple[sql.Composable, list[Any]]:
            parts = [stream_query(s, person, self.filter, cursor, descending, inclusive, limit) for s in streams]
            return sql.SQL(" UNION ALL ").join(q for q, _ in parts), [p for _, ps in parts for p in ps]

        rows = [r for part in await self._each_system(person, union) for r in part or ()]
        rows.sort(key=sort_key, reverse=descending)
        return rows[:limit] if limit is not None else rows

    async def _page(self, cursor: Cursor | None, forward: bool, inclusive: bool = False) -> Page:
        person = await self.person()
        if person is None or (person.nobody and not person.email_hashes):
            return Page((), more_after=False, more_before=False)
        descending = self.ordering.descending == forward
        rows = await self._read(person, cursor, descending, inclusive, self.page_size + 1)
        more = len(rows) > self.page_size
        records = await assemble(self.spec, self.ordering, self.services, FIELDS, rows[: self.page_size])
        if forward:
            return Page(tuple(records), more_after=more, more_before=cursor is not None)
        return Page(tuple(reversed(records)), more_after=cursor is not None, more_before=more)

    @staticmethod
    def _cursor(record: Record) -> Cursor:
        return (record.get("at"), int(record.get("rank")), str(record.get("row_id")))

    async def first(self) -> Page:
        return await self._page(None, True)

    async def last(self) -> Page:
        return await self._page(None, False)

    async def after(self, record: Record) -> Page:
        return await self._page(self._cursor(record), True)

    async def before(self, record: Record) -> Page:
        return await self._page(self._cursor(record), False)

    async def around(self, record: Record) -> Page:
        return await self._page(self._cursor(record), True, inclusive=True)

    async def at(self, moment: datetime) -> Page:
        """The page from ``moment`` on, in the ordering's direction (newest first: that moment and older)."""
        edge = (moment, LAST_RANK, "") if self.ordering.descending else (moment, -1, "")
        page = await self._page(edge, True)
        return Page(page.records, page.more_after, more_before=True)

    async def _count(self, cursor: Cursor | None, before: bool) -> tuple[int, bool]:
        """Rows (before ``cursor``, or all), each stream counted up to COUNT_CAP: one row of counts per system."""
        person = await self.person()
        if person is None:
            return 0, True
        descending = not before if cursor else True

        def counts(streams: list[Stream]) -> tuple[sql.Composable, list[Any]]:
            parts = [stream_query(s, person, self.filter, cursor, descending, False, COUNT_CAP + 1) for s in streams]
            query = sql.SQL("SELECT {}").format(sql.SQL(", ").join(
                sql.SQL("(SELECT count(*) FROM {} AS rows)").format(q) for q, _ in parts))
            return query, [p for _, ps in parts for p in ps]

        found = await self._each_system(person, counts)
        numbers = [int(n) for rows in found for row in rows or () for n in row]
        total = sum(min(n, COUNT_CAP) for n in numbers)
        return total, None not in found and all(n <= COUNT_CAP for n in numbers)

    async def estimate(self) -> Estimate:
        rows, exact = await self._count(None, False)
        return Estimate(rows, exact, "count(*)" if exact else f"at least: each table counted up to {COUNT_CAP:,}")

    async def exact_count(self) -> Estimate:
        return await self.estimate()

    async def rows_before(self, record: Record) -> tuple[int, bool]:
        return await self._count(self._cursor(record), True)

    async def why_empty(self) -> str | None:
        if not self.subject:
            return "type / and a person: an e-mail, an RCMD username or a user id"
        person = await self.person()
        if person is not None and person.nobody:
            down = f" ({', '.join(person.unreachable)} down)" if person.unreachable else ""
            return f"nobody is {self.subject!r}{down}: type a whole e-mail, username or id"
        return None

    async def batches(self, size: int) -> AsyncGenerator[Sequence[Record], None]:
        self.page_size = size
        page = await self.first()
        while page.records:
            yield page.records
            if not page.more_after:
                break
            page = await self.after(page.records[-1])


def open_timeline(services: Services, spec: ListSpec, ordering: Ordering, flt: Filter, page_size: int) -> TimelineSource:
    return TimelineSource(services, spec, ordering, flt, page_size)
