"""`demo --live`: the simulator, run briefly at a fast pace against seeded servers, leaves every
effect the monitoring screens rely on (read back through the views' own readers), keeps Redis and
PostgreSQL in agreement, and stops promptly."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from typing import Any

import psycopg
import redis

from rcmd_tui.config import Profile
from rcmd_tui.data.crypto.masking import mask_ip
from rcmd_tui.data.demo.live import RATE_LOGIN_TTL_S, Pace, Simulator
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.catalog import all_views
from rcmd_tui.data.lists.snapshot import read_snapshot

FAST = Pace(job_tick=0.2, order_tick=0.2, first=(0.3, 0.6), slow_every=(0.3, 0.6), slow_query=(1.5, 1.5),
            lock_every=(0.3, 0.6), lock_hold=(1.5, 1.5))
# Every incident once, at once, briefly; the next ones long after the test.
ONCE = Pace(job_tick=0.5, order_tick=0.5, first=(0.1, 0.3), slow_every=(60, 60), slow_query=(0.3, 0.3),
            lock_every=(60, 60), lock_hold=(2, 2), idle_every=(60, 60), idle_hold=(3, 3), burst_every=(60, 60),
            burst_tick=(0.01, 0.03))


def _counts(conn: psycopg.Connection[tuple[object, ...]]) -> dict[str, object]:
    row = conn.execute("SELECT (SELECT count(*) FROM ordersync.orders), (SELECT count(*) FROM ordersync.login_attempts), "
                       "(SELECT count(*) FROM ordersync.login_attempts WHERE NOT success), "
                       "(SELECT count(*) FROM rcmd.jobs WHERE status = 'completed'), "
                       "(SELECT coalesce(sum(progress), 0) FROM rcmd.jobs WHERE status = 'running')").fetchone()
    assert row is not None
    return dict(zip(("orders", "logins", "failures", "completed", "progress"), row, strict=True))


def test_live_simulator_produces_activity(seeded: Profile) -> None:
    assert seeded.rcmd is not None and seeded.rcmd_redis_url is not None
    client = redis.Redis.from_url(seeded.rcmd_redis_url, decode_responses=True)
    pubsub = client.pubsub()
    pubsub.subscribe("pubsub:jobs")
    seen = {"slow query": False, "lock wait": False}
    with psycopg.connect(seeded.rcmd.dsn, autocommit=True) as watch:
        before = _counts(watch)
        simulator = Simulator(seeded, pace=FAST)
        simulator.start()
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not all(seen.values()):
                for app, query, wait_type in watch.execute(
                        "SELECT application_name, query, wait_event_type FROM pg_stat_activity "
                        "WHERE state = 'active' AND pid <> pg_backend_pid()").fetchall():
                    if app == "rcmd-tui-live" and "pg_sleep" in query:
                        seen["slow query"] = True
                    if app == "rcmd-tui-live" and wait_type == "Lock":
                        seen["lock wait"] = True
                time.sleep(0.05)
            time.sleep(1)
        finally:
            simulator.stop()
        after = _counts(watch)
    assert simulator.errors == []
    assert seen == {"slow query": True, "lock wait": True}
    assert after["orders"] > before["orders"]  # type: ignore[operator]
    assert after["logins"] > before["logins"] and after["failures"] > before["failures"]  # type: ignore[operator]
    assert after["progress"] != before["progress"] or after["completed"] != before["completed"]

    messages = []
    while (message := pubsub.get_message(timeout=0.2)) is not None:  # the subscribe confirmation comes first
        if message["type"] == "message":
            messages.append(json.loads(message["data"]))
    assert messages and all({"jobId", "progress"} <= set(m) for m in messages)

    # The mirror still holds after the simulator moved jobs along.
    with psycopg.connect(seeded.rcmd.dsn) as conn:
        by_status: dict[str, set[str]] = {"queued": set(), "running": set(), "completed": set()}
        for job_id, status in conn.execute("SELECT id::text, status FROM rcmd.jobs").fetchall():
            by_status.setdefault(status, set()).add(job_id)
    assert set(client.lrange("bull:jobs:active", 0, -1)) == by_status["running"]
    assert set(client.lrange("bull:jobs:wait", 0, -1)) == by_status["queued"]
    assert set(client.zrange("bull:jobs:completed", 0, -1)) <= by_status["completed"]
    for message in messages[-3:]:
        assert int(client.hget(f"bull:jobs:{message['jobId']}", "progress") or -1) >= int(message["progress"])
    pubsub.close()
    client.close()


async def rows_of(services: Services, key: str, system: str) -> list[dict[str, Any]]:
    spec = next(v for v in all_views() if (v.key, v.system) == (key, system))
    names, rows = await read_snapshot(services, spec)
    return [dict(zip(names, r, strict=True)) for r in rows]


async def test_live_incidents_show_on_the_activity_locks_slow_security_and_redis_views(seeded: Profile) -> None:
    services = Services(seeded)
    await services.open()
    simulator = Simulator(seeded, pace=ONCE)
    simulator.start()
    idle_seen: set[str] = set()
    waited = timedelta(0)
    try:
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline and not (idle_seen and waited >= timedelta(seconds=1.5) and simulator.bursts):
            for r in await rows_of(services, "activity", "rcmd"):
                if r["application_name"] == "rcmd-tui-live-idle" and r["state"] == "idle in transaction":
                    idle_seen.add(r["query_line"])
            tree = [r for r in await rows_of(services, "locks", "rcmd") if r["section"] == "blocking"]
            roots = {r["pid"] for r in tree if r["application_name"] == "rcmd-tui-live" and r["who"] == str(r["pid"])
                     and r["waiters"]}
            for r in tree:  # a waiter of the simulator's, drawn under the simulator's holder
                if r["who"].lstrip().startswith("└") and set(r["blocked_by"] or ()) & roots and r["waiting_for"]:
                    waited = max(waited, r["waiting_for"])
            await asyncio.sleep(0.05)
        assert idle_seen and all("FROM users" in q or "FROM orders" in q for q in idle_seen)
        assert waited >= timedelta(seconds=1.5)  # the hold is timed from the waiter's UPDATE: it waits all of it
        assert simulator.bursts, simulator.errors
        burst = simulator.bursts[0]
        assert burst.victim_failures >= 5 and burst.accounts > 10

        security = await rows_of(services, "security", "ordersync")
        found = [r for r in security if r["signal"] == "login-burst" and r["ref"] == f"hash:{burst.email_hash}"]
        assert len(found) == 1, security
        assert found[0]["count"] >= burst.victim_failures and "INVALID_PASSWORD" in found[0]["detail"]
        assert any(r["signal"] == "shared-ip" and r["who"] == mask_ip(burst.ip) and r["users"] >= burst.accounts
                   for r in security), security
        assert not [r for r in security if r["signal"] == "undecryptable"]  # sealed as the seeder seals

        blocked = {r["item"]: r for r in await rows_of(services, "redis-health", "rcmd") if r["section"] == "blocked"}
        assert burst.ip in blocked, blocked
        assert blocked[burst.ip]["number"] >= burst.attempts
        assert timedelta(0) < blocked[burst.ip]["ttl"] <= timedelta(seconds=RATE_LOGIN_TTL_S)

        slow = [r for r in await rows_of(services, "statements", "rcmd") if "pg_sleep" in r["query"]]
        assert slow and all(r["slow"] and r["mean_ms"] > 100 for r in slow)
    finally:
        began = time.monotonic()
        simulator.stop()
        stopped_in = time.monotonic() - began
        await services.close()
    assert simulator.errors == []
    assert stopped_in < 3, stopped_in  # a statement still running is cancelled, not waited for
    assert seeded.rcmd is not None
    with psycopg.connect(seeded.rcmd.dsn, autocommit=True) as watch:  # every session of the simulator is gone
        for _ in range(40):
            left = watch.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'rcmd-tui-live%'").fetchone()
            if left == (0,):
                break
            time.sleep(0.05)
        assert left == (0,)


async def test_a_drifting_session_shows_as_its_kind_of_mismatch(seeded: Profile) -> None:
    from rcmd_tui.data.lists.engine import open_source
    from rcmd_tui.data.lists.filters import compile_filter
    from rcmd_tui.data.rcmd.sessions import RCMD_SESSIONS

    simulator = Simulator(seeded, pace=Pace(job_tick=60, order_tick=60, first=(0.1, 0.2), drift_every=(0.1, 0.2)))
    simulator.start()
    try:
        deadline = time.monotonic() + 20
        while len({kind for kind, _ in simulator.drifts}) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        simulator.stop()
    assert simulator.errors == [] and simulator.drifts
    services = Services(seeded)
    await services.open()
    try:
        for kind, session_id in simulator.drifts[-2:]:
            source = open_source(RCMD_SESSIONS, services, flt=compile_filter(RCMD_SESSIONS, f"id={session_id}"))
            records = (await source.first()).records
            assert records and kind in str(records[0].get("mismatch") or "").split(), (kind, records[0].as_dict())
    finally:
        await services.close()
