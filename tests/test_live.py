"""`demo --live`: the simulator, run briefly at a fast pace against seeded servers, leaves every
effect the monitoring screens rely on, and keeps Redis and PostgreSQL in agreement."""

from __future__ import annotations

import json
import time

import psycopg
import redis

from rcmd_tui.config import Profile
from rcmd_tui.data.demo.live import Pace, Simulator

FAST = Pace(job_tick=0.2, order_tick=0.2, slow_every=(0.3, 0.6), slow_query=(1.5, 1.5), lock_hold=(1.5, 1.5))


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
