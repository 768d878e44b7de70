"""The list engine's row sources and enrichers against real servers: a catalogue snapshot filtered and sorted
in memory, Redis keys by SCAN, ids to names in one query per page, Redis state in one pipeline per page, and
a snapshot view on the standard list screen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
import pytest
import redis

from rcmd_tui.config import Profile
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.enrich import Lookup, RedisPipeline, Row
from rcmd_tui.data.lists.filters import FilterError, compile_filter
from rcmd_tui.data.lists.snapshot import SnapshotSource
from rcmd_tui.data.lists.spec import Column, FilterField, Kind, ListSpec, Ordering, Snapshot, Table
from rcmd_tui.data.rcmd.views import REDIS_KEYS
from rcmd_tui.screens.list_screen import ListScreen
from tests.helpers import open_console
from tests.listdata import USERS, fill_rcmd, user_id

USERS_SNAPSHOT = ListSpec(
    key="users-snapshot", system="rcmd", title="Users (snapshot)",
    columns=(Column("username", "Username"), Column("role", "Role", Kind.ENUM), Column("created_at", "Created", Kind.TIME),
             Column("id", "Id", Kind.UUID, shown=False)),
    orderings=(Ordering("username", ("username", "id"), descending=False),),
    source=Snapshot("SELECT id, username, role, created_at FROM users", refresh_s=0.2),
    filters=(FilterField("role", "role", Kind.ENUM, values=("admin", "user", "power_user")), FilterField("name", "username")),
    time_column="created_at",
)


def _sessions(row: Row) -> Sequence[tuple[str, ...]]:
    return [("SCARD", f"user:sessions:{row['user_id']}")]


def _session_count(_row: Row, replies: Sequence[Any]) -> Row:
    return {"sessions": replies[0]}


AUDIT_WITH_NAMES = ListSpec(
    key="audit-named", system="rcmd", title="Audit with names",
    columns=(Column("created_at", "Time", Kind.TIME), Column("user_name", "User", enriched=True),
             Column("sessions", "Sessions", Kind.INT, enriched=True), Column("id", "Id", Kind.INT)),
    orderings=(Ordering("newest", ("created_at", "id")),),
    source=Table("audit_logs", partitioned=True),
    enrichers=(Lookup("user_id", "user_name", "users", "username"), RedisPipeline(("user_id",), ("sessions",), _sessions, _session_count)),
)


async def test_a_snapshot_filters_sorts_and_pages_in_memory(services: Services, profile: Profile) -> None:
    source = open_source(USERS_SNAPSHOT, services, page_size=2)
    assert isinstance(source, SnapshotSource)
    first = await source.first()
    assert [r.get("username") for r in first.records] == ["alice", "bob"] and first.more_after and not first.more_before
    second = await source.after(first.records[-1])
    assert [r.get("username") for r in second.records] == ["carol"] and not second.more_after
    back = await source.before(second.records[0])
    assert [r.get("username") for r in back.records] == ["alice", "bob"]
    assert (await source.estimate()).exact and (await source.estimate()).rows == 3

    newest = open_source(USERS_SNAPSHOT, services, Ordering("created", ("created_at", "id"), descending=True))
    assert [r.get("username") for r in (await newest.first()).records] == ["alice", "bob", "carol"]  # alice is newest
    admins = open_source(USERS_SNAPSHOT, services, flt=compile_filter(USERS_SNAPSHOT, "role=admin"))
    assert [r.get("username") for r in (await admins.first()).records] == ["alice"]
    words = open_source(USERS_SNAPSHOT, services, flt=compile_filter(USERS_SNAPSHOT, "aro"))  # free words: all rows
    assert [r.get("username") for r in (await words.first()).records] == ["carol"]
    not_alice = open_source(USERS_SNAPSHOT, services, flt=compile_filter(USERS_SNAPSHOT, "name!=alice name~o"))
    assert [r.get("username") for r in (await not_alice.first()).records] == ["bob", "carol"]

    users = open_source(USERS_SNAPSHOT, services, flt=compile_filter(USERS_SNAPSHOT, "role=user"))
    bob = (await users.first()).records[0]
    assert bob.get("username") == "bob"
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}", autocommit=True) as conn:
        conn.execute("UPDATE users SET role = 'admin' WHERE username = 'bob'")
    again = await users.around(bob)  # bob left the filter: the next snapshot goes on from where he was
    assert [r.get("username") for r in again.records] == ["carol"]


async def test_redis_keys_page_forward_and_back_by_scan(services: Services, profile: Profile) -> None:
    assert profile.rcmd_redis_url is not None
    client = redis.Redis.from_url(profile.rcmd_redis_url)
    client.mset({f"session:{i:03d}": "x" for i in range(230)})
    client.hset("bull:jobs:1", mapping={"a": "b"})
    client.expire("session:007", 600)
    source = open_source(REDIS_KEYS, services, page_size=100)
    seen = []
    page = await source.first()
    while True:
        seen += [r.get("key") for r in page.records]
        if not page.more_after:
            break
        page = await source.after(page.records[-1])
    assert len(seen) == 231 and len(set(seen)) == 231
    back = await source.before(page.records[0])
    assert len(back.records) == 100 and back.records[-1].get("key") == seen[len(seen) - len(page.records) - 1]
    estimate = await source.estimate()
    assert estimate.exact and estimate.rows == 231 and estimate.source == "DBSIZE"
    hashes = open_source(REDIS_KEYS, services, flt=compile_filter(REDIS_KEYS, "* type=hash"))
    assert [(r.get("key"), r.get("type")) for r in (await hashes.first()).records] == [(b"bull:jobs:1", "hash")]
    one = open_source(REDIS_KEYS, services, flt=compile_filter(REDIS_KEYS, "session:007"))
    record = (await one.first()).records[0]
    assert record.get("type") == "string" and 590 < record.get("ttl").total_seconds() <= 600
    with pytest.raises(FilterError, match="one glob pattern"):
        compile_filter(REDIS_KEYS, "session:* bull:*")
    client.close()


async def test_enrichers_add_names_and_redis_state_once_per_page(services: Services, profile: Profile) -> None:
    assert profile.rcmd_redis_url is not None
    client = redis.Redis.from_url(profile.rcmd_redis_url)
    client.sadd(f"user:sessions:{user_id(1)}", "s1", "s2")
    client.close()
    source = open_source(AUDIT_WITH_NAMES, services, page_size=50)
    page = await source.first()
    names = {str(r.get("user_name")) for r in page.records}
    assert names == set(USERS)
    for r in page.records:
        bob = r.get("user_name") == "bob"
        assert r.get("sessions") == (2 if bob else 0)
    following = await source.after(page.records[-1])
    assert following.records and all(r.get("user_name") in USERS for r in following.records)


async def test_a_snapshot_view_on_the_list_screen_sorts_by_the_cursor_column(profile: Profile) -> None:
    fill_rcmd(profile, rows=5)
    async with open_console(profile) as c:
        c.app.push_screen(ListScreen(c.app.services, USERS_SNAPSHOT))
        await c.settle()
        assert [r.get("username") for r in c.table.shown_records] == ["alice", "bob", "carol"]
        c.table.move_cursor(column=3, moved=False)  # Created (after the mark column, Username and Role)
        await c.press("s")
        await c.settle()
        assert [r.get("username") for r in c.table.shown_records] == ["alice", "bob", "carol"]  # newest first
        await c.press("s")
        await c.settle()
        assert [r.get("username") for r in c.table.shown_records] == ["carol", "bob", "alice"]
        await c.press("slash", *"role=user", "enter")
        await c.settle()
        assert [r.get("username") for r in c.table.shown_records] == ["carol", "bob"]
        status = str(c.screen.query_one("#status").render())
        assert status.startswith("row 1 of 2 │ filter role=user") and "auto 0.2s" in status  # counted exactly, live
