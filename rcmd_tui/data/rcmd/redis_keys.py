"""Browsing RCMD's Redis: each key's type and TTL (an enricher of the key list, which SCANs), and a bounded
preview of one key's value.

Keys and values stay bytes (they need not be UTF-8); the screen makes them inert. Every read is bounded:
values by range or by *SCAN, so a huge list or hash never comes over whole.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio

from rcmd_tui.data.lists.enrich import GONE, Command, RedisPipeline, Row

PREVIEW_ITEMS = 200
PREVIEW_BYTES = 64 * 1024  # of a string
ITEM_BYTES = 4096  # of one member, field or element as kept for the preview
BUDGET_BYTES = 512 * 1024  # read at most about this much of a collection: 200 members of 1 MB must not all come
CHUNK = 20


@dataclass(frozen=True, slots=True)
class RedisValue:
    key: bytes
    type: str
    items: tuple[tuple[bytes | None, bytes], ...]  # (field, member or score, value); strings have one item
    total: int | None  # how many items the key holds (bytes for a string), when Redis says cheaply
    cut: bool  # not every item (or byte of a string) is shown
    ttl: timedelta | None = None  # None: no expiry
    values_cut: bool = False  # some members were longer than ITEM_BYTES and are shown cut

    @property
    def shown(self) -> int:
        """Items shown, or for a string the bytes shown."""
        return len(self.items[0][1]) if self.type == "string" and self.items else len(self.items)


EPOCH_MS_RANGE = (946_684_800_000, 4_102_444_800_000)  # 2000-01-01 .. 2100-01-01


def epoch_ms(value: bytes) -> datetime | None:
    """A value that reads as milliseconds since the epoch (Bull's timestamp, processedOn …), as a time.

    >>> epoch_ms(b"1793311995761").isoformat()
    '2026-10-29T22:13:15.761000+00:00'
    >>> epoch_ms(b"42") is None
    True
    """
    if len(value) != 13 or not value.isdigit():
        return None
    number = int(value)
    if not EPOCH_MS_RANGE[0] <= number < EPOCH_MS_RANGE[1]:
        return None
    return datetime.fromtimestamp(number / 1000, UTC)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _b(value: object) -> bytes:
    """redis-py answers bytes here (no decode_responses); its types say bytes or str."""
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def _key_state_commands(row: Row) -> list[Command]:
    return [("TYPE", row["key"]), ("PTTL", row["key"])]


def _key_state(row: Row, replies: Sequence[Any]) -> Row:
    kind = _text(replies[0]) if replies[0] is not None else "none"
    ttl = int(replies[1]) if replies[1] is not None else -1
    if kind == "none":
        return {GONE: True}  # expired between SCAN and TYPE
    return {"type": kind, "ttl": timedelta(milliseconds=ttl) if ttl >= 0 else None}


# A key's type and expiry: one pipeline per page of keys.
KEY_STATE = RedisPipeline(("key",), ("type", "ttl"), _key_state_commands, _key_state)
TYPES = ("string", "hash", "list", "set", "zset", "stream")


def cut_utf8(data: bytes, limit: int) -> bytes:
    """At most ``limit`` bytes, not ending inside a UTF-8 character (a cut must not make text look binary).

    >>> cut_utf8("héllo".encode(), 2).decode(), cut_utf8(b"\\x9b\\xc0", 9), cut_utf8(b"\\xff" * 8, 4)
    ('h', b'\\x9b\\xc0', b'\\xff\\xff\\xff\\xff')
    """
    if len(data) <= limit:
        return data
    cut = data[:limit]
    for back in range(1, 4):  # a character is at most four bytes: a cut inside one leaves one to three of them
        try:
            cut.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(cut) - 3:  # invalid before the end: binary, not a character cut in two
                return data[:limit]
            cut = data[: limit - back]
            continue
        return cut
    return data[:limit]


Chunk = tuple[list[tuple[bytes | None, bytes]], bool, int]  # items, more to read, where to go on


async def _chunks(read: Callable[[int, int], Awaitable[Chunk]], limit: int) -> tuple[list[tuple[bytes | None, bytes]], bool]:
    """Items from ``read(start, count)`` (which answers items and whether more remain) in chunks of CHUNK, until
    ``limit`` items or BUDGET_BYTES read; each value kept to ITEM_BYTES. Answers the items and whether any value
    was cut."""
    items: list[tuple[bytes | None, bytes]] = []
    read_bytes, values_cut, start, more = 0, False, 0, True
    n = 2  # then as many as the budget left holds at the size read so far: 1 MB members come one at a time
    while more and len(items) < limit and read_bytes < BUDGET_BYTES:
        chunk, more, start = await read(start, min(n, limit - len(items)))
        if not chunk and not more:
            break
        for field, value in chunk:
            read_bytes += len(value) + len(field or b"")
            values_cut = values_cut or len(value) > ITEM_BYTES
            items.append((field, cut_utf8(value, ITEM_BYTES)))
        average = read_bytes // max(1, len(items))
        n = max(1, min(CHUNK, (BUDGET_BYTES - read_bytes) // max(1, average)))
    return items[:limit], values_cut


async def read_value(client: redis.asyncio.Redis, key: bytes, limit: int = PREVIEW_ITEMS) -> RedisValue:
    ttl_ms = int(await client.pttl(key))
    ttl = timedelta(milliseconds=ttl_ms) if ttl_ms >= 0 else None
    kind = _text(await client.type(key))
    if kind == "string":
        total = int(await client.strlen(key))
        data = _b(await client.getrange(key, 0, PREVIEW_BYTES - 1))
        return RedisValue(key, kind, ((None, cut_utf8(data, PREVIEW_BYTES) if total > PREVIEW_BYTES else data),),
                          total, total > PREVIEW_BYTES, ttl)
    if kind not in _READERS:
        return RedisValue(key, kind, (), None, False, ttl)
    reader, size_command = _READERS[kind]
    count = int(await client.execute_command(size_command, key))  # type: ignore[no-untyped-call, unused-ignore]

    async def read(start: int, n: int) -> Chunk:
        return await reader(client, key, start, n)

    items, values_cut = await _chunks(read, limit)
    return RedisValue(key, kind, tuple(items), count, count > len(items), ttl, values_cut)


async def _hash(client: redis.asyncio.Redis, key: bytes, cursor: int, n: int) -> Chunk:
    after, answer = await client.hscan(key, cursor, count=n)
    pairs: dict[Any, Any] = answer if isinstance(answer, dict) else {}
    return [(_b(f), _b(v)) for f, v in pairs.items()], int(after) != 0, int(after)


async def _set(client: redis.asyncio.Redis, key: bytes, cursor: int, n: int) -> Chunk:
    after, answer = await client.sscan(key, cursor, count=n)
    return [(None, _b(m)) for m in answer], int(after) != 0, int(after)


async def _list(client: redis.asyncio.Redis, key: bytes, start: int, n: int) -> Chunk:
    answer = await client.lrange(key, start, start + n - 1)
    return [(str(start + i).encode(), _b(v)) for i, v in enumerate(answer)], len(answer) == n, start + n


async def _zset(client: redis.asyncio.Redis, key: bytes, start: int, n: int) -> Chunk:
    answer: list[Any] = list(await client.zrange(key, start, start + n - 1, withscores=True))
    return [(repr(float(sc)).encode(), _b(m)) for m, sc in answer], len(answer) == n, start + n


async def _stream(client: redis.asyncio.Redis, key: bytes, start: int, n: int) -> Chunk:
    # Newest first; ``start`` counts entries already read (XREVRANGE pages by id, so re-read and skip them).
    answer: list[Any] = list(await client.xrevrange(key, count=start + n) or [])
    items: list[tuple[bytes | None, bytes]] = [(_b(entry_id) + b" " + _b(f), _b(v)) for entry_id, fields in answer[start:]
                                               for f, v in dict(fields).items()]
    return items, len(answer) == start + n, start + n


_READERS: dict[str, tuple[Callable[[redis.asyncio.Redis, bytes, int, int], Awaitable[Chunk]], str]] = {
    "hash": (_hash, "HLEN"), "set": (_set, "SCARD"), "list": (_list, "LLEN"), "zset": (_zset, "ZCARD"), "stream": (_stream, "XLEN")}
