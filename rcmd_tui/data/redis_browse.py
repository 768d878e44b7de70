"""Browsing RCMD's Redis: keys by SCAN (never KEYS), and a bounded preview of one key's value.

Keys and values stay bytes (they need not be UTF-8); the screen makes them inert. Every read is bounded:
SCAN with COUNT, values by range or by *SCAN, so a huge list or hash never comes over whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis.asyncio

SCAN_COUNT = 500
PREVIEW_ITEMS = 200
PREVIEW_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class RedisKey:
    name: bytes
    type: str
    ttl_ms: int | None  # None: no expiry


@dataclass(frozen=True, slots=True)
class KeyPage:
    keys: tuple[RedisKey, ...]
    cursor: int  # 0: the scan is complete


@dataclass(frozen=True, slots=True)
class RedisValue:
    key: bytes
    type: str
    items: tuple[tuple[bytes | None, bytes], ...]  # (field, member or score, value); strings have one item
    total: int | None  # how many items the key holds, when Redis says cheaply
    cut: bool


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _b(value: object) -> bytes:
    """redis-py answers bytes here (no decode_responses); its types say bytes or str."""
    if isinstance(value, bytes):
        return value
    return str(value).encode()


async def scan_keys(client: redis.asyncio.Redis, cursor: int = 0, match: str | None = None,
                    count: int = SCAN_COUNT) -> KeyPage:
    """One SCAN step (which may return no keys and a non-zero cursor), with each key's type and expiry."""
    next_cursor, names = await client.scan(cursor=cursor, match=match, count=count)
    if not names:
        return KeyPage((), int(next_cursor))
    async with client.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.type(name)
            pipe.pttl(name)
        answers = await pipe.execute()
    keys = []
    for i, name in enumerate(names):
        kind, ttl = _text(answers[2 * i]), int(answers[2 * i + 1])
        if kind == "none":
            continue  # expired between SCAN and TYPE
        keys.append(RedisKey(_b(name), kind, ttl if ttl >= 0 else None))
    return KeyPage(tuple(sorted(keys, key=lambda k: k.name)), int(next_cursor))


async def read_value(client: redis.asyncio.Redis, key: bytes, limit: int = PREVIEW_ITEMS) -> RedisValue:
    kind = _text(await client.type(key))
    items: list[tuple[bytes | None, bytes]] = []
    total: int | None = None
    if kind == "string":
        total = int(await client.strlen(key))
        data = await client.getrange(key, 0, PREVIEW_BYTES - 1)
        return RedisValue(key, kind, ((None, _b(data)),), total, total > PREVIEW_BYTES)
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
    return RedisValue(key, kind, tuple(items), total, total is not None and total > len(items))
