"""Enrichers: what a page needs beyond its query, fetched once per page, batched.

A row source reads a page (SQL, a snapshot, SCAN), turns its rows into dicts and hands them to each of the
view's enrichers in turn; an enricher reads the fields it ``needs`` and fills the ones it ``provides``. One
page costs one extra round trip per enricher, never one per row:

- :class:`Decrypt` (added to every view with encrypted columns): plaintext or a typed failure per field,
  from keys held in memory (the keyring is asked once per key, off the event loop).
- :class:`Lookup`: ids to names with one ``= ANY(%s)`` query (user id -> username).
- :class:`DecryptLookup`: the same for another table's encrypted field (order -> its restaurant's name).
- :class:`Batch`: any fixed ``= ANY(%s)`` query over the page's ids (a payment's captured and refunded sums).
- :class:`RedisPipeline`: Redis state per row in one pipeline (a session key's TTL, a job's Bull state,
  a key's type).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from psycopg import sql

from rcmd_tui.data.crypto.columns import EncryptedColumn

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services
    from rcmd_tui.data.lists.spec import ListSpec

Row = dict[str, Any]
GONE = "__gone__"  # an enricher sets it on a row that vanished since it was read (a key expired after SCAN)


class Enricher(Protocol):
    @property
    def needs(self) -> tuple[str, ...]: ...  # fields the page must carry for it (added to the query)

    @property
    def provides(self) -> tuple[str, ...]: ...

    async def enrich(self, services: Services, spec: ListSpec, rows: list[Row]) -> None: ...


@dataclass(frozen=True, slots=True)
class Decrypt:
    columns: tuple[EncryptedColumn, ...]

    @property
    def needs(self) -> tuple[str, ...]:
        names = [n for c in self.columns for n in (c.ciphertext_column, c.key_id_column)]
        return tuple(dict.fromkeys([*names, *(c.id_column for c in self.columns)]))

    @property
    def provides(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    async def enrich(self, services: Services, spec: ListSpec, rows: list[Row]) -> None:
        if not rows:
            return
        decryptor = await services.decryptor(spec.system)
        # Off the event loop: the first use of a key may wait on the keyring.
        fields = await asyncio.to_thread(decryptor.page, self.columns, rows)
        for row, plain in zip(rows, fields, strict=True):
            row.update(plain)


async def for_ids(services: Services, system: str, query: sql.Composable, rows: list[Row], key: str) -> list[tuple[Any, ...]]:
    """``query`` (``… WHERE x = ANY(%s)``) over the page's distinct ``key`` values: one round trip, none for no ids."""
    ids = list({r[key] for r in rows if r.get(key) is not None})
    if not ids:
        return []
    async with services.reader(system).connection() as conn:
        return list(await (await conn.execute(query, [ids])).fetchall())


class _IdToField:
    """An enricher that reads one id per row (``key``) and fills one field (``provides_field``)."""

    __slots__ = ()
    key: str
    provides_field: str

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.key,)

    @property
    def provides(self) -> tuple[str, ...]:
        return (self.provides_field,)


@dataclass(frozen=True, slots=True)
class Lookup(_IdToField):
    """``provides`` = the name for ``key``'s id, from ``table``: ``SELECT id, name FROM table WHERE id = ANY(ids)``."""

    key: str
    provides_field: str
    table: str
    name_column: str
    id_column: str = "id"

    async def enrich(self, services: Services, spec: ListSpec, rows: list[Row]) -> None:
        query = sql.SQL("SELECT {}, {} FROM {} WHERE {} = ANY(%s)").format(
            sql.Identifier(self.id_column), sql.Identifier(self.name_column), sql.Identifier(self.table),
            sql.Identifier(self.id_column))
        names = {r[0]: r[1] for r in await for_ids(services, spec.system, query, rows, self.key)}
        for r in rows:
            r[self.provides_field] = names.get(r.get(self.key))


@dataclass(frozen=True, slots=True)
class DecryptLookup(_IdToField):
    """``provides`` = another table's encrypted field for ``key``'s id, decrypted (an order's restaurant name, its
    customer's e-mail): one ``= ANY(%s)`` query per page, then the keys in memory. A row whose id finds nothing
    gets None; one that does not decrypt gets its failure, like any encrypted field. ``absent``: what a row
    whose id is NULL says instead (an order without a customer is an anonymous one)."""

    key: str
    provides_field: str
    column: EncryptedColumn
    absent: str | None = None

    async def enrich(self, services: Services, spec: ListSpec, rows: list[Row]) -> None:
        c = self.column
        query = sql.SQL("SELECT {id}, {text}, {key} FROM {table} WHERE {id} = ANY(%s)").format(
            id=sql.Identifier(c.id_column), text=sql.Identifier(c.ciphertext_column), key=sql.Identifier(c.key_id_column),
            table=sql.Identifier(c.table))
        found = await for_ids(services, spec.system, query, rows, self.key)
        fields: dict[Any, Any] = {}
        if found:
            decryptor = await services.decryptor(spec.system)
            fields = await asyncio.to_thread(lambda: {r[0]: decryptor.field(c, r[1], r[2], r[0]) for r in found})
        for r in rows:
            r[self.provides_field] = self.absent if r.get(self.key) is None else fields.get(r.get(self.key))


@dataclass(frozen=True, slots=True)
class Batch:
    """Fields from one fixed query per page over the page's ids (sums of a payment's events, a count of
    menus): ``query`` takes the ids as its one parameter (``WHERE x = ANY(%s)``) and returns the id first,
    then ``provides`` in order. A row the query does not answer gets ``missing``."""

    key: str
    provides_fields: tuple[str, ...]
    query: str  # ours, fixed
    missing: tuple[Any, ...] = ()  # default: None for each field

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.key,)

    @property
    def provides(self) -> tuple[str, ...]:
        return self.provides_fields

    async def enrich(self, services: Services, spec: ListSpec, rows: list[Row]) -> None:
        answers: dict[Any, Sequence[Any]] = {
            r[0]: r[1:] for r in await for_ids(services, spec.system, sql.SQL(self.query), rows, self.key)}
        empty = self.missing or (None,) * len(self.provides_fields)
        for r in rows:
            r.update(zip(self.provides_fields, answers.get(r.get(self.key), empty), strict=True))


Command = tuple[bytes | str | int, ...]


@dataclass(frozen=True, slots=True)
class RedisPipeline:
    """Each row's Redis commands go into one pipeline per page; ``read`` turns a row's replies into fields.

    ``commands(row)`` returns the commands for one row (the same number for every row); ``read(row,
    replies)`` returns the fields it provides. Rows without a Redis get every field as None."""

    needs_fields: tuple[str, ...]
    provides_fields: tuple[str, ...]
    commands: Callable[[Row], Sequence[Command]]
    read: Callable[[Row, Sequence[Any]], Row]

    @property
    def needs(self) -> tuple[str, ...]:
        return self.needs_fields

    @property
    def provides(self) -> tuple[str, ...]:
        return self.provides_fields

    async def enrich(self, services: Services, spec: ListSpec, rows: list[Row]) -> None:
        client = services.redis
        if client is None or not rows:
            for r in rows:
                r.update(dict.fromkeys(self.provides_fields))
            return
        per_row = [list(self.commands(r)) for r in rows]
        async with client.pipeline(transaction=False) as pipe:
            for commands in per_row:
                for command in commands:
                    pipe.execute_command(*command)
            replies = await pipe.execute(raise_on_error=False)
        at = 0
        for r, commands in zip(rows, per_row, strict=True):
            answer = replies[at:at + len(commands)]
            at += len(commands)
            r.update(self.read(r, [None if isinstance(a, Exception) else a for a in answer]))


def enrichers_of(spec: ListSpec) -> tuple[Enricher, ...]:
    """Decryption first (other enrichers may read plaintext), then the view's own."""
    encrypted = spec.encrypted_columns
    return ((Decrypt(encrypted),) if encrypted else ()) + tuple(spec.enrichers)


def needed_fields(spec: ListSpec) -> tuple[str, ...]:
    """Fields a source must read for the enrichers, beyond the columns it reads anyway."""
    provided = {n for e in enrichers_of(spec) for n in e.provides}
    return tuple(dict.fromkeys(n for e in enrichers_of(spec) for n in e.needs if n not in provided))
