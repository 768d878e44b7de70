"""Users that lead to everything about a person (a detail's keys open the user's sessions, logins and audit
trail, filtered), the user actions from the screens (RCMD role; OrderSync unlock, with its optimistic lock),
and pictures at 80x24 of the sessions list and a user's detail."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from textual.pilot import Pilot

from rcmd_tui.app import make_app
from rcmd_tui.config import Profile
from rcmd_tui.data.rcmd.sessions import session_key
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.screens.detail import DetailScreen
from rcmd_tui.screens.list_screen import ListScreen
from tests.helpers import open_console, until_confirm
from tests.listdata import fill_ordersync_user, fill_rcmd, user_id
from tests.terminal import console_in_terminal

FAR = datetime(2099, 1, 1, tzinfo=UTC)
T0 = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def _rcmd(profile: Profile) -> psycopg.Connection[Any]:
    assert profile.rcmd is not None
    return psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}", autocommit=True)


def _ordersync(profile: Profile) -> psycopg.Connection[Any]:
    assert profile.ordersync is not None
    return psycopg.connect(profile.ordersync.dsn, options=f"-c search_path={profile.ordersync.schema}", autocommit=True)


def _plant_sessions(profile: Profile) -> None:
    """Fixed sessions: alice's two (one live in Redis though inactive, one active with no key), bob's one."""
    assert profile.rcmd_redis_url is not None
    with _rcmd(profile) as conn:
        for n, user, active, expires in ((1, 0, False, T0), (2, 0, True, FAR), (3, 1, False, T0)):
            conn.execute("INSERT INTO sessions (id, user_id, token, ip_address, user_agent, expires_at, is_active, created_at) "
                         "VALUES (%s, %s, %s, %s, 'curl/8', %s, %s, %s)",
                         [f"00000000-0000-4000-9000-{n:012d}", user_id(user), f"t{n}", f"10.0.0.{n}", expires, active,
                          T0.replace(hour=n)])
    client = redis.Redis.from_url(profile.rcmd_redis_url)
    client.set(session_key("00000000-0000-4000-9000-000000000001"), "{}")  # no TTL: a fixed picture
    client.close()


async def test_a_users_detail_leads_to_their_sessions_and_audit_trail(profile: Profile) -> None:
    fill_rcmd(profile)
    _plant_sessions(profile)
    async with open_console(profile, "users") as c:
        assert str(c.table.current().get("username")) == "alice"
        await c.press("enter")
        await c.settle()
        assert isinstance(c.screen, DetailScreen)
        await c.press("s")
        await c.settle()
        assert isinstance(c.screen, ListScreen) and c.screen.spec.key == "sessions"
        assert c.screen.filter.text == f"user={user_id(0)}"
        assert {str(r.get("username")) for r in c.table.window} == {"alice"} and len(c.table.window) == 2
        await c.press("escape", "a")
        await c.settle()
        assert isinstance(c.screen, ListScreen) and c.screen.spec.key == "audit"
        assert c.table.window and {str(r.get("user_id")) for r in c.table.window} == {user_id(0)}


async def _follow(profile: Profile, users: str, user: str, key: str, view: str) -> list[Any]:
    """The rows the user's detail leads to with ``key``, after checking it opened ``view``."""
    async with open_console(profile, users) as c:
        await c.press("/", *f"id={user}", "enter")
        await c.settle()
        await c.press("enter")
        await c.settle()
        await c.press(key)
        await c.settle()
        assert isinstance(c.screen, ListScreen) and c.screen.spec.key == view
        return list(c.table.window)


async def test_a_users_detail_leads_to_their_jobs_and_an_ordersync_customers_to_their_orders(seeded: Profile) -> None:
    with _rcmd(seeded) as conn:
        row = conn.execute("SELECT user_id::text, count(*) FROM jobs GROUP BY user_id ORDER BY count(*) DESC LIMIT 1").fetchone()
    assert row is not None
    rows = await _follow(seeded, "users", row[0], "J", "jobs")
    assert {str(r.get("user_id")) for r in rows} == {row[0]} and len(rows) == min(row[1], 100)
    with _ordersync(seeded) as conn:
        row = conn.execute("SELECT customer_id::text, count(*) FROM orders WHERE customer_id IS NOT NULL "
                           "GROUP BY customer_id ORDER BY count(*) DESC LIMIT 1").fetchone()
    assert row is not None
    rows = await _follow(seeded, "users os", row[0], "o", "orders")
    assert {str(r.get("customer_id")) for r in rows} == {row[0]} and len(rows) == min(row[1], 100)


async def test_an_ordersync_users_detail_leads_to_their_login_attempts(profile: Profile) -> None:
    fill_ordersync_user(profile)
    with _ordersync(profile) as conn:
        for hash_, ok in (("x", False), ("x", True), ("someone-else", False)):
            conn.execute("INSERT INTO login_attempts (email_hash, ip_address_encrypted, ip_key_id, success) "
                         "VALUES (%s, '10.0.0.9', 'plain:test', %s)", [hash_, ok])
    async with open_console(profile, "users os") as c:
        await c.press("enter")
        await c.settle()
        await c.press("l")
        await c.settle()
        assert isinstance(c.screen, ListScreen) and c.screen.spec.key == "logins"
        assert sorted(bool(r.get("success")) for r in c.table.window) == [False, True]


async def test_role_change_from_the_users_screen(profile: Profile) -> None:
    fill_rcmd(profile)
    async with open_console(profile, "users") as c:
        await c.press("down", "R")  # bob, a user
        await c.settle()
        await c.press(*"superuser", "enter")  # not a role: told in the bar, which stays open
        await c.settle()
        assert not isinstance(c.screen, ConfirmScreen)
        await c.press("ctrl+u", *"power_user", "enter")
        await until_confirm(c.pilot, c.app)
        await c.press("enter")
        await c.settle()
        await c.press("enter", "c")  # what was done to bob: the change just made, whoever made it
        await c.settle()
        assert isinstance(c.screen, ListScreen) and c.screen.filter.text == f"resource_id={user_id(1)}"
        changes = [r.as_dict() for r in c.table.window]
        assert changes[0]["action"] == "console.user.role" and changes[0]["details"]["os_user"]
    with _rcmd(profile) as conn:
        assert conn.execute("SELECT role FROM users WHERE username = 'bob'").fetchone() == ("power_user",)
        assert conn.execute("SELECT count(*) FROM audit_logs WHERE action = 'console.user.role'").fetchone() == (1,)


@pytest.mark.parametrize("conflict", [False, True], ids=["unlocks", "refused-after-another-change"])
async def test_unlock_from_the_ordersync_users_screen_respects_the_version(profile: Profile, conflict: bool) -> None:
    fill_ordersync_user(profile)
    with _ordersync(profile) as conn:
        conn.execute("UPDATE users SET failed_login_count = 6, locked_until = now() + interval '1 hour'")
        shown_version = conn.execute("SELECT version FROM users").fetchone()
    assert shown_version is not None
    async with open_console(profile, "users os") as c:
        if not conflict:
            await c.press("/", *"locked>now", "enter")  # who is locked now
            await c.settle()
            assert len(c.table.window) == 1
        if conflict:  # someone else changes the user after the list showed it
            with _ordersync(profile) as conn:
                conn.execute("UPDATE users SET status = 'SUSPENDED', version = version + 1")
        await c.press("U")
        confirm = await until_confirm(c.pilot, c.app)
        assert "a***@e***.com" in " ".join(confirm.targets) and "ann@example.com" not in " ".join(confirm.targets)
        change = confirm.statements[0]  # the change in words, above the statements
        assert "failed_login_count: 6 → 0" in change and "→ none" in change and f"version: {shown_version[0]} →" in change
        await c.press("enter")
        await c.settle()
        if conflict:
            assert "changed since it was shown" in c.error()
        else:
            assert c.table.window == []  # the list was filtered to who is locked now: no one, once unlocked
    with _ordersync(profile) as conn:
        row = conn.execute("SELECT failed_login_count, locked_until IS NULL, version, status FROM users").fetchone()
    if conflict:
        assert row == (6, False, shown_version[0] + 1, "SUSPENDED")  # their change kept, nothing of ours written
    else:
        assert row == (0, True, shown_version[0] + 1, "ACTIVE")


def test_sessions_in_a_terminal_at_80x24(profile: Profile, tmp_path: Path) -> None:
    fill_rcmd(profile)
    _plant_sessions(profile)
    with console_in_terminal(profile, tmp_path, columns=80, lines=24) as term:
        term.wait_for("rcmd-tui │")
        term.press(":")
        term.send(b"sessions\r")
        term.wait_for("RCMD sessions")
        term.wait_for("redis-only")
        screen = term.text()
    assert "pg-only" in screen and "Mismatch" in screen and "alice" in screen
    assert "t1" not in screen.split()  # tokens never show


async def _steady(pilot: Pilot[Any]) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _open(pilot: Pilot[Any], command: str, *keys: str) -> None:
    await _steady(pilot)
    await pilot.press("colon")
    await pilot.pause()
    await pilot.press(*command, "enter")
    await _steady(pilot)
    if keys:
        await pilot.press(*keys)
        await _steady(pilot)


def test_sessions_at_80x24(snap_compare: Any, profile: Profile) -> None:
    fill_rcmd(profile)
    _plant_sessions(profile)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _open(pilot, "sessions")

    assert snap_compare(make_app(replace(profile, name="snapshot")), terminal_size=(80, 24), run_before=run_before)


def test_a_users_detail_at_80x24(snap_compare: Any, profile: Profile) -> None:
    fill_rcmd(profile)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _open(pilot, "users", "enter")

    assert snap_compare(make_app(replace(profile, name="snapshot")), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize(("screen", "keys"), [("sessions", ("R", "U", "X")), ("sessions os", ("R",)), ("users", ("R", "D")),
                                              ("users os", ("U", "S", "A", "F"))])
async def test_read_only_offers_none_of_the_actions(profile: Profile, screen: str, keys: tuple[str, ...]) -> None:
    fill_rcmd(profile)
    fill_ordersync_user(profile)
    _plant_sessions(profile)
    with _ordersync(profile) as conn:
        conn.execute("INSERT INTO user_sessions (user_id, access_token_hash, ip_address_encrypted, ip_key_id, expires_at) "
                     "VALUES (%s, 'h', '10.0.0.1', 'plain:test', now() + interval '1 day')", [user_id(9)])
    async with open_console(profile, screen, read_only=True) as c:
        for key in keys:
            await c.press(key)
            await c.settle()
            assert not isinstance(c.screen, ConfirmScreen), key
        assert c.screen.GUARDED_ACTIONS and not any(c.screen.is_offered(a) for a in c.screen.GUARDED_ACTIONS)  # not in the footer
