"""A key's value preview is bounded by bytes, not only by items, and says what it cut; bytes that are not
UTF-8 never look like text that is."""

from __future__ import annotations

import redis
import redis.asyncio

from rcmd_tui.data.rcmd.redis_keys import ITEM_BYTES, PREVIEW_BYTES, read_value
from rcmd_tui.text import bytes_text
from rcmd_tui.widgets.safe_text import inert
from tests.helpers import private_redis

MB = 1024 * 1024


async def test_large_members_are_read_within_a_byte_budget_and_cut() -> None:
    with private_redis() as (url, _proc):
        sync = redis.Redis.from_url(url)
        big = "é" * (MB // 2)  # 1 MB of two-byte characters
        sync.rpush("big:list", *([big] * 200))
        sync.hset("big:hash", mapping={f"f{i}": big for i in range(50)})
        sync.set("big:string", big)
        client = redis.asyncio.Redis.from_url(url)
        try:
            for key in (b"big:list", b"big:hash"):
                value = await read_value(client, key)
                assert value.cut and value.values_cut and value.total in (200, 50)
                # about BUDGET_BYTES read, never all 200 MB; each kept value cut on a character
                assert 0 < len(value.items) <= (2 if key == b"big:list" else 10)  # HSCAN's COUNT is a hint
                assert all(len(v) <= ITEM_BYTES and v.decode("utf-8") for _f, v in value.items)
            string = await read_value(client, b"big:string")
            assert string.cut and string.total == MB and string.shown <= PREVIEW_BYTES
            assert string.items[0][1].decode("utf-8")  # cut between characters, still text
            small = await read_value(client, b"nothing:here")
            assert small.items == () and not small.cut
        finally:
            await client.aclose()
            sync.close()


async def test_the_status_names_bytes_for_a_string_and_the_cut(profile: object) -> None:
    from dataclasses import replace

    from tests.helpers import open_console

    with private_redis() as (url, _proc):
        sync = redis.Redis.from_url(url)
        sync.set("big:string", "x" * MB)
        async with open_console(replace(profile, rcmd_redis_url=url), "redis") as c:  # type: ignore[type-var]
            await c.press("enter")
            await c.settle()
            status = str(c.screen.query_one("#status").render())
            assert f"{MB:,} bytes" in status and f"the first {PREVIEW_BYTES:,} bytes shown" in status
        sync.close()


def test_invalid_utf8_is_told_apart_from_the_text_backslash_x_ff() -> None:
    literal, invalid = b"a\\xff", b"a\xff"
    assert bytes_text(literal) == "a\\xff"
    assert bytes_text(invalid) == "b'a\\xff'"
    assert inert(literal).plain != inert(invalid).plain
