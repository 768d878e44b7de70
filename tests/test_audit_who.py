"""Issue 16, who not which id: both audit logs name the user (RCMD's username, OrderSync's e-mail masked) with one
batched look-up per page, counted in pg_stat_statements, and the console's own rows name their operator, also for
an action done on another screen."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from rcmd_tui.config import Profile
from tests.helpers import open_console, until, until_confirm
from tests.listdata import fill_ordersync_user, fill_rcmd, user_id

NAMES = "SELECT id, username FROM users WHERE id = ANY%"


def _calls(profile: Profile, like: str) -> int:
    """How often this database ran statements like ``like`` (pg_stat_statements, this database only: the other
    tests' clones run the same statements beside it)."""
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn) as conn:
        row = conn.execute("SELECT coalesce(sum(calls), 0) FROM public.pg_stat_statements WHERE query LIKE %s "
                           "AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())", [like]).fetchone()
    return int(row[0]) if row else 0


async def test_rcmd_names_users_with_one_look_up_per_page(profile: Profile) -> None:
    fill_rcmd(profile)
    before = _calls(profile, NAMES)
    async with open_console(profile, "audit") as c:
        assert {r.get("who") for r in c.table.window} == {"alice", "bob", "carol"}
        assert _calls(profile, NAMES) - before == 1  # 100 rows, 3 users: one query
        await c.press("right_square_bracket")
        await c.settle()
        assert _calls(profile, NAMES) - before == 2  # the next page: one more
        cells = [cell.plain for cell in c.table.get_row_at(0)]
        assert "alice" in cells or "bob" in cells or "carol" in cells
        assert user_id(0) not in " ".join(cells)  # the id stays in the detail
        await c.press("slash", "ctrl+u", *"user=bob", "enter")
        await c.settle()
        assert {r.get("who") for r in c.table.window} == {"bob"}


async def test_an_action_on_another_screen_shows_here_with_its_operator(profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "kim")
    fill_rcmd(profile, rows=5)
    async with open_console(profile, "users") as c:
        await c.press("D")  # deactivate alice
        await until_confirm(c.pilot, c.app)
        await c.press(*"deactivate 1", "enter")
        await c.settle()
        await c.goto("audit")
        first = c.table.window[0]
        assert first.get("action") == "console.user.deactivate" and first.get("who") == "⚙ kim (admin)"
        for text, actions in (("operator=kim", {"console.user.deactivate"}), ("console:yes", {"console.user.deactivate"}),
                              ("operator=nobody", set())):
            await c.press("slash", "ctrl+u", *text, "enter")
            await c.settle()
            assert {r.get("action") for r in c.table.window} == actions, text
        await c.press("slash", "ctrl+u", *"console:no", "enter")
        await c.settle()
        assert c.table.window and "console.user.deactivate" not in {r.get("action") for r in c.table.window}


async def test_ordersync_names_users_by_masked_email_and_the_console_by_operator(profile: Profile,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "kim")
    fill_ordersync_user(profile)
    assert profile.ordersync is not None
    with psycopg.connect(profile.ordersync.dsn, options="-c search_path=ordersync", autocommit=True) as conn:
        conn.execute("SELECT ensure_audit_partitions(CURRENT_DATE, 1)")
        conn.execute("INSERT INTO audit_logs (trace_id, action, resource_type, resource_id, user_id, success) "
                     "VALUES ('t1', 'LOGIN', 'User', %s, %s, true)", [user_id(9), user_id(9)])
    async with open_console(profile, "users os") as c:
        await c.press("enter")
        await c.press("v")
        await c.press(*"SUP-1 check", "enter")  # a reveal: the console's own audit row
        await c.settle()
        await c.goto("audit os")
        await until(lambda: len(c.table.window) >= 2, c.pilot)
        who: dict[str, Any] = {str(r.get("action")): r.get("who") for r in c.table.window}
        assert who["LOGIN"] == "a***@e***.com" and who["REVEAL_FIELD"] == "⚙ kim (admin)"
        notes = {r.get("note") for r in c.table.window if r.get("action") == "REVEAL_FIELD"}
        assert "reveal email: SUP-1 check" in notes  # the field and the reason, in the list
        for text in ("operator=kim", "console:yes"):
            await c.press("slash", "ctrl+u", *text, "enter")
            await c.settle()
            assert c.table.window and {r.get("action") for r in c.table.window} == {"REVEAL_FIELD"}, text
