"""RCMD sessions against real PostgreSQL and Redis: the Redis state beside each row, each kind of mismatch
(planted here, shown by the list, cleaned by its action), revoke (both stores; twice is harmless) and revoke all."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import redis

from rcmd_tui.config import Profile
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.rcmd.session_actions import Session, clean_mismatches, revoke_sessions, revoke_user_sessions
from rcmd_tui.data.rcmd.sessions import RCMD_SESSIONS, session_key, user_set_key
from rcmd_tui.screens.confirm import ConfirmScreen
from tests.helpers import open_console, rcmd_sql, until_confirm
from tests.listdata import user_id

ALICE, BOB = user_id(0), user_id(1)


def sid(n: int) -> str:
    return f"00000000-0000-4000-9000-{n:012d}"


def plant(profile: Profile, client: redis.Redis, n: int, user: str, *, active: bool = True, hours: float = 5,
          key: bool = True, ttl_s: int | None = None, member: bool = True) -> Session:
    """A session row, and in Redis what RCMD would keep of it (or, with the flags, where it would not)."""
    now = datetime.now(UTC)
    expires = now + timedelta(hours=hours)
    with rcmd_sql(profile) as conn:
        conn.execute("INSERT INTO sessions (id, user_id, token, ip_address, user_agent, expires_at, is_active, created_at) "
                     "VALUES (%s, %s, %s, '10.1.2.3', 'curl/8', %s, %s, %s)",
                     [sid(n), user, f"token-{n}", expires, active, now - timedelta(minutes=n)])
    if key:
        value = json.dumps({"userId": user})
        if ttl_s == -1:  # no expiry at all
            client.set(session_key(sid(n)), value)
        else:
            client.set(session_key(sid(n)), value, ex=ttl_s or max(1, int((expires - now).total_seconds())))
    if member:
        client.sadd(user_set_key(user), sid(n))
    return Session(sid(n), user, None, active, expires)


def _row(profile: Profile, n: int) -> tuple[Any, ...]:
    with rcmd_sql(profile) as conn:
        row = conn.execute("SELECT is_active FROM sessions WHERE id = %s", [sid(n)]).fetchone()
    assert row is not None
    return tuple(row)


def _audit(profile: Profile, action: str) -> list[tuple[str, str]]:
    with rcmd_sql(profile) as conn:
        return [(r[0], r[1]) for r in conn.execute(
            "SELECT resource_id, result FROM audit_logs WHERE action = %s ORDER BY id", [action])]


async def _shown(services: Services) -> dict[str, dict[str, Any]]:
    page = await open_source(RCMD_SESSIONS, services).first()
    return {str(r.get("id")): r.as_dict() for r in page.records}


async def test_each_row_shows_its_redis_state_and_each_mismatch_kind(services: Services, profile: Profile,
                                                                      redis_client: redis.Redis) -> None:
    plant(profile, redis_client, 1, ALICE)  # agrees
    plant(profile, redis_client, 2, ALICE, active=False)  # redis-only
    plant(profile, redis_client, 3, BOB, key=False, member=False)  # pg-only
    plant(profile, redis_client, 4, BOB, ttl_s=60)  # ttl: the key dies hours before the row
    plant(profile, redis_client, 5, BOB, key=False)  # pg-only and member-no-key
    shown = await _shown(services)
    assert shown[sid(1)]["mismatch"] is None and shown[sid(1)]["redis_key"] and shown[sid(1)]["in_set"]
    assert shown[sid(1)]["username"] == "alice" and len(shown[sid(1)]["token_fp"]) == 12
    assert "token" not in shown[sid(1)] and "token-1" not in json.dumps(shown, default=str)  # never read
    assert shown[sid(2)]["mismatch"] == "redis-only"
    assert shown[sid(3)]["mismatch"] == "pg-only" and shown[sid(3)]["redis_key"] is False
    assert shown[sid(4)]["mismatch"] == "ttl" and shown[sid(4)]["redis_ttl"] <= timedelta(seconds=60)
    assert shown[sid(5)]["mismatch"] == "pg-only member-no-key"
    assert shown[sid(5)]["mismatch_means"] == ("pg-only: active in PostgreSQL, but no session key in Redis (cleaning up: row "
                                              "made inactive); member-no-key: in the user's session set, but the key is gone "
                                              "(cleaning up: set member removed)")


@pytest.mark.parametrize("kind", ["redis-only", "pg-only", "ttl", "member-no-key"])
async def test_cleaning_up_a_kind_makes_the_stores_agree_and_is_audited(services: Services, profile: Profile,
                                                                        redis_client: redis.Redis, kind: str) -> None:
    planted = {
        "redis-only": lambda: plant(profile, redis_client, 7, ALICE, active=False),
        "pg-only": lambda: plant(profile, redis_client, 7, ALICE, key=False, member=False),
        "ttl": lambda: plant(profile, redis_client, 7, ALICE, ttl_s=-1),
        "member-no-key": lambda: plant(profile, redis_client, 7, ALICE, active=False, key=False),
    }[kind]()
    assert kind in ((await _shown(services))[sid(7)]["mismatch"] or "")
    await actions.run(services, clean_mismatches(kind, [planted], profile))
    assert (await _shown(services))[sid(7)]["mismatch"] is None
    assert _audit(profile, "console.session.reconcile") == [(sid(7), "success")]
    if kind == "ttl":
        assert abs(redis_client.pttl(session_key(sid(7))) / 1000 - 5 * 3600) < 120


async def test_revoke_changes_both_stores_and_twice_is_harmless(services: Services, profile: Profile,
                                                                redis_client: redis.Redis) -> None:
    session = plant(profile, redis_client, 1, ALICE)
    other = plant(profile, redis_client, 2, ALICE)
    for _ in range(2):
        await actions.run(services, revoke_sessions([session], profile))
        assert _row(profile, 1) == (False,)
        assert redis_client.exists(session_key(sid(1))) == 0
        assert not redis_client.sismember(user_set_key(ALICE), sid(1))
    assert _row(profile, 2) == (True,) and redis_client.exists(session_key(other.id)) == 1  # the other one lives
    assert _audit(profile, "console.session.revoke") == [(sid(1), "success"), (sid(1), "success")]
    assert (await _shown(services))[sid(1)]["mismatch"] is None


async def test_revoke_all_of_a_user_clears_rows_keys_and_the_set(services: Services, profile: Profile,
                                                                redis_client: redis.Redis) -> None:
    for n in (1, 2, 3):
        plant(profile, redis_client, n, ALICE)
    plant(profile, redis_client, 4, BOB)
    redis_client.sadd(user_set_key(ALICE), "orphan")  # a member with no row: its key goes too
    redis_client.set(session_key("orphan"), "{}")
    plan = revoke_user_sessions(ALICE, "alice", [sid(1), sid(2), sid(3)], ["orphan", sid(1)], profile)
    await actions.run(services, plan)
    assert [_row(profile, n) for n in (1, 2, 3, 4)] == [(False,), (False,), (False,), (True,)]
    assert redis_client.exists(user_set_key(ALICE), session_key("orphan"), *(session_key(sid(n)) for n in (1, 2, 3))) == 0
    assert redis_client.exists(session_key(sid(4))) == 1 and redis_client.sismember(user_set_key(BOB), sid(4))
    assert _audit(profile, "console.session.revoke_all") == [(ALICE, "success")]


async def test_revoke_from_the_screen_asks_then_changes_both_stores(profile: Profile, services: Services,
                                                                  redis_client: redis.Redis) -> None:
    plant(profile, redis_client, 1, ALICE)
    async with open_console(profile, "sessions") as c:
        await c.settle()
        assert c.table.current() is not None and str(c.table.current().get("id")) == sid(1)
        await c.press("R")
        confirm = await until_confirm(c.pilot, c.app)
        assert isinstance(confirm, ConfirmScreen)
        shown = "\n".join(confirm.statements)
        assert "UPDATE" in shown and "UNLINK session:" + sid(1) in shown and "SREM user:sessions:" + ALICE in shown
        await c.press("enter")
        await c.settle()
        await c.press("R")  # revoked already: said so, nothing proposed
        await c.settle()
        assert not isinstance(c.screen, ConfirmScreen)
    assert _row(profile, 1) == (False,) and redis_client.exists(session_key(sid(1))) == 0


async def test_an_ordersync_session_is_revoked_once_and_twice_is_harmless(services: Services, profile: Profile) -> None:
    from rcmd_tui.data.ordersync.session_actions import revoke_sessions as revoke_ordersync
    from tests.listdata import fill_ordersync_user

    fill_ordersync_user(profile)
    assert profile.ordersync is not None
    with psycopg.connect(profile.ordersync.dsn, options=f"-c search_path={profile.ordersync.schema}", autocommit=True) as conn:
        conn.execute("INSERT INTO user_sessions (id, user_id, access_token_hash, ip_address_encrypted, ip_key_id, expires_at) "
                     "VALUES (%s, %s, 'h', '10.0.0.1', 'plain:test', now() + interval '1 day')", [sid(1), user_id(9)])
        for _ in range(2):
            await actions.run(services, revoke_ordersync([(sid(1), False)], profile))
            assert conn.execute("SELECT is_revoked FROM user_sessions").fetchone() == (True,)
        audit = conn.execute("SELECT action, resource_id, new_value_encrypted::jsonb->>'action' FROM audit_logs "
                             "WHERE resource_type = 'user_sessions'").fetchall()
    assert audit == [("CONSOLE_ACTION", sid(1), "console.session.revoke")] * 2
