"""PostgreSQL and Redis stopped and started again under an open console: the failure shows on the screen with
its fix, and the next key press once the server is back recovers, without restarting the console.

The servers are the test's own (the suite's are never stopped): the demo's launcher, stopped for real.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import redis

from rcmd_tui.config import PgTarget, Profile
from rcmd_tui.data.infra import launcher, migrate
from tests.helpers import open_console
from tests.listdata import fill_rcmd


@pytest.fixture(scope="module")
def own_servers() -> Iterator[launcher.Servers]:
    with launcher.running(prefix="rcmd-tui-fault-test-") as servers:
        with psycopg.connect(servers.pg.dsn("postgres")) as conn:
            migrate.migrate(conn, "rcmd", "rcmd")
        yield servers


@pytest.fixture
def own_profile(own_servers: launcher.Servers) -> Profile:
    profile = Profile(name="faults", rcmd=PgTarget(dsn=own_servers.pg.dsn("postgres"), schema="rcmd"),
                      rcmd_redis_url=own_servers.redis.url(0), role="admin")
    with psycopg.connect(own_servers.pg.dsn("postgres"), autocommit=True) as conn:
        conn.execute("TRUNCATE rcmd.audit_logs, rcmd.users CASCADE")
    fill_rcmd(profile, rows=20)
    return profile


async def test_postgresql_stopped_and_started_again_under_the_console(own_servers: launcher.Servers,
                                                                     own_profile: Profile) -> None:
    async with open_console(own_profile, "audit") as c:
        assert len(c.table.shown_records) == 20
        with own_servers.outage("postgres"):
            await c.press("r")
            await c.settle()
            assert c.error().startswith("Connection: rcmd (127.0.0.1:") and "press r to retry" in c.error()
            assert c.app.is_running
        await c.press("r")  # the server is back: this key press recovers
        await c.settle()
        assert c.error() == "" and len(c.table.shown_records) == 20


async def test_redis_stopped_and_started_again_under_the_console(own_servers: launcher.Servers,
                                                                own_profile: Profile) -> None:
    client = redis.Redis.from_url(own_servers.redis.url(0))
    client.set("lock:job:1", "x")
    async with open_console(own_profile, "redis") as c:
        assert len(c.table.shown_records) == 1
        with own_servers.outage("redis"):
            await c.press("r")
            await c.settle()
            assert c.error().startswith("Connection: rcmd-redis (127.0.0.1:") and "cannot reach Redis" in c.error()
            assert c.app.is_running
        client = redis.Redis.from_url(own_servers.redis.url(0))  # a new server: its keys are gone, plant one
        client.set("lock:job:2", "y")
        await c.press("r")
        await c.settle()
        assert c.error() == "" and [r.get("key") for r in c.table.shown_records] == [b"lock:job:2"]
    client.close()
