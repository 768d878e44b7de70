"""Redis health against real Redis servers: INFO essentials, SLOWLOG, prefix counts by SCAN (exact, or sampled
and scaled), Bull queue lengths, blocked login IPs and unblocking them; a Redis with INFO renamed or an ACL user
without +info and +slowlog still shows the rest."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
import redis.asyncio

from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.data.actions.plan import TargetChanged
from rcmd_tui.data.actions.run import run
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.filters import compile_filter
from rcmd_tui.data.lists.snapshot import read_snapshot
from rcmd_tui.data.monitor import redis_health
from rcmd_tui.data.monitor.redis_health import LOGIN_BLOCK_AT, REDIS_HEALTH, SECTIONS, blocked_rows, prefix_rows, scan_sample
from tests.helpers import private_redis, run_cli

BLOCKED = b"rate:login:203.0.113.7"
HOSTILE = b"rate:login:\x1b[2J\xff"  # a key an attacker chose: not UTF-8, with an escape sequence


def plant(url: str) -> None:
    client = redis.Redis.from_url(url)
    with client.pipeline(transaction=False) as pipe:
        pipe.set(BLOCKED, 7, ex=300)
        pipe.set(HOSTILE, 12, ex=120)
        pipe.set(b"rate:login:198.51.100.2", LOGIN_BLOCK_AT - 1, ex=300)  # under the limit: not blocked
        for i in range(4):
            pipe.set(f"session:s{i}", "{}", ex=600)
        pipe.set("cache:files:gdrive:ab", "[]")
        pipe.set("not-in-the-seed", "x")
        pipe.lpush("bull:jobs:wait", "j1", "j2", "j3")
        pipe.zadd("bull:jobs:completed", {"j4": 1, "j5": 2})
        pipe.sadd("bull:jobs:failed", "j6")  # the seed's notation: a set
        pipe.execute()
    client.close()


def by_item(rows: Sequence[dict[str, Any]], section: str) -> dict[str, dict[str, Any]]:
    return {r["item"]: r for r in rows if r["section"] == section}


async def health(services: Services) -> list[dict[str, Any]]:
    names, rows = await read_snapshot(services, REDIS_HEALTH)
    return [dict(zip(names, r, strict=True)) for r in rows]


@contextlib.asynccontextmanager
async def on_private_redis(profile: Profile, *args: str, user: tuple[str, str] | None = None) -> AsyncIterator[tuple[Services, str]]:
    """Services on a Redis of the test's own, started with ``args`` (as ``user``, an ACL user without +info and
    +slowlog, if given), with the planted keys."""
    with private_redis(*args) as (server, _proc):
        url = server
        if user is not None:
            admin = redis.Redis.from_url(server)
            admin.execute_command("ACL", "SETUSER", user[0], "on", f">{user[1]}", "~*", "&*", "+@all", "-info", "-slowlog")
            admin.close()
            url = server.replace("redis://", f"redis://{user[0]}:{user[1]}@")
        plant(url)
        services = Services(dataclasses.replace(profile, rcmd_redis_url=url))
        await services.open()
        try:
            yield services, url
        finally:
            await services.close()


async def test_the_view_shows_info_exact_prefix_counts_queues_and_blocked_ips(services: Services) -> None:
    assert services.profile.rcmd_redis_url is not None
    plant(services.profile.rcmd_redis_url)
    rows = await health(services)
    assert [r["seq"] for r in rows] == list(range(len(rows)))
    assert list(dict.fromkeys(r["section"] for r in rows)) == list(SECTIONS)  # every section, in order
    info = by_item(rows, "info")
    assert {"version", "uptime", "memory", "fragmentation", "clients connected", "clients blocked", "ops/s", "hit ratio",
            "evicted keys", "expired keys"} <= set(info)
    assert info["memory"]["number"] > 0 and "peak" in info["memory"]["detail"]
    db = services.profile.rcmd_redis_url.rsplit("/", 1)[1]
    assert info[f"keys db{db}"]["number"] == 12
    prefixes = by_item(rows, "prefix")
    assert prefixes["session:"]["number"] == 4 and prefixes["session:"]["value"] == "4"
    assert prefixes["rate:login:"]["number"] == 3 and prefixes["bull:jobs:"]["number"] == 3
    assert prefixes["cache:files:"]["number"] == 1 and prefixes["(other)"]["number"] == 1
    assert prefixes["lock:job:"]["number"] == 0  # every seed prefix shows, an empty one too
    assert all(r["detail"].startswith("exact") for r in prefixes.values())
    queue = by_item(rows, "queue")
    assert (queue["bull:jobs:wait"]["number"], queue["bull:jobs:completed"]["number"], queue["bull:jobs:failed"]["number"]) == (3, 2, 1)
    assert "LLEN" in queue["bull:jobs:wait"]["detail"] and "ZCARD" in queue["bull:jobs:completed"]["detail"]
    assert "SCARD" in queue["bull:jobs:failed"]["detail"] and queue["bull:jobs:active"]["detail"].startswith("absent")
    blocked = {r["key"]: r for r in rows if r["section"] == "blocked"}
    assert set(blocked) == {BLOCKED, HOSTILE}
    ip = blocked[BLOCKED]
    assert (ip["item"], ip["value"], ip["raw"]) == ("203.0.113.7", "7", b"7")
    assert timedelta(seconds=250) < ip["ttl"] <= timedelta(seconds=300) and "unblocks in" in ip["detail"]
    assert blocked[HOSTILE]["item"] == repr(b"\x1b[2J\xff")  # shown as a bytes literal, never as an escape sequence
    assert not any("\x1b" in str(r[c]) for r in rows for c in ("item", "value", "detail"))


async def test_the_snapshot_source_sorts_and_filters_the_rows(services: Services) -> None:
    assert services.profile.rcmd_redis_url is not None
    plant(services.profile.rcmd_redis_url)
    page = await open_source(REDIS_HEALTH, services, flt=compile_filter(REDIS_HEALTH, "section=blocked number>=10")).first()
    assert [r.get("key") for r in page.records] == [HOSTILE]
    page = await open_source(REDIS_HEALTH, services, REDIS_HEALTH.ordering("number"),
                             compile_filter(REDIS_HEALTH, "section=queue")).first()
    assert [r.get("item") for r in page.records][:3] == ["bull:jobs:wait", "bull:jobs:completed", "bull:jobs:failed"]


async def test_a_partial_scan_is_scaled_by_dbsize_and_blocked_ips_are_still_all_found(services: Services) -> None:
    assert services.redis is not None and services.profile.rcmd_redis_url is not None
    client = redis.Redis.from_url(services.profile.rcmd_redis_url)
    with client.pipeline(transaction=False) as pipe:
        for i in range(3000):
            pipe.set(f"session:{i}", "{}")
            pipe.set(f"cache:remotes:{i}", "[]")
        pipe.set(BLOCKED, 9)
        pipe.execute()
    client.close()
    sample = await scan_sample(services.redis, calls=1)
    assert not sample.finished and 0 < len(sample.keys) < 6001
    prefixes = {r[1]: r for r in await prefix_rows(services.redis, sample)}
    value, detail, number = prefixes["session:"][2], prefixes["session:"][3], prefixes["session:"][4]
    assert value.startswith("~") and detail.startswith("sampled") and "of 6,001 keys (DBSIZE)" in detail
    assert 2000 <= number <= 4000  # a fair sample of a 50/50 keyspace
    blocked = await blocked_rows(services.redis, sample)  # by SCAN MATCH, the prefix scan having stopped early
    assert [(r[1], r[2]) for r in blocked] == [("203.0.113.7", "9")]
    assert blocked[0][5] is None and "no TTL" in blocked[0][3]


async def test_slowlog_entries_with_their_words_escaped(profile: Profile) -> None:
    async with on_private_redis(profile, "--slowlog-log-slower-than", "0") as (services, url):
        client = redis.Redis.from_url(url)
        client.set(b"evil\x1b]0;title\x07", b"v")
        client.close()
        rows = await health(services)
    slow = by_item(rows, "slowlog")
    assert 0 < len(slow) <= 10 and all(item.startswith("#") for item in slow)
    entry = next(r for r in slow.values() if r["detail"].startswith("SET "))
    assert "evil\\x1b]0;title\\x07" in entry["detail"] and "\x1b" not in entry["detail"]
    assert "127.0.0.1:" in entry["detail"] and entry["value"].endswith(("µs", "ms"))


async def test_info_renamed_away_leaves_one_row_saying_so_and_the_rest_shows(profile: Profile) -> None:
    async with on_private_redis(profile, "--rename-command", "INFO", "") as (services, _url):
        rows = await health(services)
        page = await open_source(REDIS_HEALTH, services).first()  # the source, as the screen opens it
    info = by_item(rows, "info")
    assert list(info) == ["unavailable"]
    detail = info["unavailable"]["detail"]
    assert "INFO is renamed or disabled" in detail and "+info" in detail and "ACL SETUSER" in detail
    assert by_item(rows, "prefix")["session:"]["number"] == 4
    assert {r["key"] for r in rows if r["section"] == "blocked"} == {BLOCKED, HOSTILE}
    assert "slowlog" in {r["section"] for r in rows} and len(page.records) == len(rows)


async def test_an_acl_user_without_info_and_slowlog_gets_what_to_grant(profile: Profile) -> None:
    async with on_private_redis(profile, user=("watcher", "pw-watch")) as (services, _url):
        rows = await health(services)
    for section, grant in (("info", "+info"), ("slowlog", "+slowlog")):
        row = by_item(rows, section)["unavailable"]
        assert "not allowed for this Redis user" in row["detail"] and f"ACL SETUSER <user> {grant}" in row["detail"]
    assert by_item(rows, "queue")["bull:jobs:wait"]["number"] == 3
    assert {r["key"] for r in rows if r["section"] == "blocked"} == {BLOCKED, HOSTILE}


def _unblock_audits(profile: Profile) -> list[tuple[Any, ...]]:
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn) as conn:
        return conn.execute("SELECT resource_type, resource_id, details->>'ip', details->>'attempts', result "
                            "FROM rcmd.audit_logs WHERE action = 'console.redis.unblock' ORDER BY id").fetchall()


async def test_unblock_deletes_the_counter_shown_audited_and_refuses_a_changed_one(services: Services) -> None:
    assert services.profile.rcmd_redis_url is not None
    plant(services.profile.rcmd_redis_url)
    row = next(r for r in await health(services) if r["key"] == BLOCKED)
    plan = redis_health.unblock_ip(row["key"], row["raw"], services.profile)
    assert plan.redis is not None and plan.redis.commands == (("DEL", BLOCKED),) and plan.typed is None
    await run(services, plan)
    client = redis.Redis.from_url(services.profile.rcmd_redis_url)
    assert client.exists(BLOCKED) == 0
    assert _unblock_audits(services.profile) == [("redis", "rate:login:203.0.113.7", "203.0.113.7", "7", "success")]

    client.set(BLOCKED, 7, ex=300)
    stale = redis_health.unblock_ip(BLOCKED, b"7", services.profile)
    client.incr(BLOCKED)  # the attack went on after the row was shown
    with pytest.raises(TargetChanged):
        await run(services, stale)
    assert client.get(BLOCKED) == b"8"
    assert len(_unblock_audits(services.profile)) == 1  # refused before anything was written
    client.close()


def test_report_redis_health_as_json(seeded: Profile, tmp_path: Path) -> None:
    client = redis.Redis.from_url(str(seeded.rcmd_redis_url))  # the seeded keys, and one blocked IP of ours
    client.set(BLOCKED, 7, ex=300)
    client.close()
    path = tmp_path / "config.toml"
    path.write_text(profile_to_toml(seeded), encoding="utf-8")
    done = run_cli(["report", "redis-health", "--format", "json"], {"RCMD_TUI_CONFIG": str(path)})
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert all(list(r) == ["section", "item", "value", "detail"] for r in rows)
    assert all(isinstance(r[k], str) for r in rows for k in r)
    assert [r["section"] for r in rows] == sorted((r["section"] for r in rows), key=SECTIONS.index)
    assert {"version", "memory", "hit ratio", "ops/s"} <= {r["item"] for r in rows if r["section"] == "info"}
    assert {"item": "203.0.113.7", "value": "7"}.items() <= next(r for r in rows if r["item"] == "203.0.113.7").items()
    assert next(r for r in rows if r["item"] == "bull:jobs:wait")["section"] == "queue"
    assert "\x1b" not in done.stdout
    rcmd = run_cli(["report", "redis-health", "rcmd", "--format", "json", "--filter", "section=blocked"],
                   {"RCMD_TUI_CONFIG": str(path)})
    assert rcmd.returncode == 0 and {r["section"] for r in json.loads(rcmd.stdout)} == {"blocked"}
