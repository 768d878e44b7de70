"""Browsing RCMD's Redis: each key's type and TTL (an enricher of the key list, which SCANs), and a bounded
preview of one key's value.

Keys and values stay bytes (they need not be UTF-8); the screen makes them inert. Every read is bounded:
values by range or by *SCAN, so a huge list or hash never comes over whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio

from rcmd_tui.data.lists.enrich import GONE, Command, RedisPipeline, Row

PREVIEW_ITEMS = 200
PREVIEW_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class RedisValue:
    key: bytes
    type: str
    items: tuple[tuple[bytes | None, bytes], ...]  # (field, member or score, value); strings have one item
    total: int | None  # how many items the key holds, when Redis says cheaply
    cut: bool
    ttl: timedelta | None = None  # None: no expiry


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


async def read_value(client: redis.asyncio.Redis, key: bytes, limit: int = PREVIEW_ITEMS) -> RedisValue:
    ttl_ms = int(await client.pttl(key))
    ttl = timedelta(milliseconds=ttl_ms) if ttl_ms >= 0 else None
    kind = _text(await client.type(key))
    items: list[tuple[bytes | None, bytes]] = []
    total: int | None = None
    if kind == "string":
        total = int(await client.strlen(key))
        data = await client.getrange(key, 0, PREVIEW_BYTES - 1)
        return RedisValue(key, kind, ((None, _b(data)),), total, total > PREVIEW_BYTES, ttl)
    answer: Any
    if kind == "hash":
        total = int(await client.hlen(key))
        _, answer = await client.hscan(key, 0, count=limit)
        items = [(_b(f), _b(v)) for f, v in list(answer.items())[:limit]]
    elif kind == "list":
        total = int(await client.llen(key))
        answer = await client.lrange(key, 0, limit - 1)
        items = [(str(i).encode(), _b(v)) for i, v in enumerate(answer)]
    elif kind == "set":
        total = int(await client.scard(key))
        _, answer = await client.sscan(key, 0, count=limit)
        items = [(None, _b(m)) for m in list(answer)[:limit]]
    elif kind == "zset":
        total = int(await client.zcard(key))
        answer = await client.zrange(key, 0, limit - 1, withscores=True)
        items = [(repr(float(s)).encode(), _b(m)) for m, s in answer]
    elif kind == "stream":
        total = int(await client.xlen(key))
        answer = await client.xrevrange(key, count=limit)
        for entry_id, fields in answer:
            items += [(_b(entry_id) + b" " + _b(f), _b(v)) for f, v in fields.items()]
    return RedisValue(key, kind, tuple(items), total, total is not None and total > len(items), ttl)
