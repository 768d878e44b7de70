"""The monitoring screens' own keys on real servers: reset statistics, a statement's plan, a missing partition
created, a blocked IP unblocked; and a Redis that refuses INFO leaves its panels saying so while the rest works."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import psycopg
import redis

from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.screens.activity import ActivityScreen
from rcmd_tui.screens.redis_health import RedisHealthScreen
from rcmd_tui.screens.statement_detail import StatementDetail
from rcmd_tui.screens.statements import StatementsScreen
from rcmd_tui.screens.storage import StorageScreen
from rcmd_tui.screens.text_prompt import TextPrompt
from rcmd_tui.widgets.trends import Trends
from tests.helpers import open_console, private_redis, run_cli, until_confirm, until_screen


def _pg(profile: Profile) -> psycopg.Connection[tuple[object, ...]]:
    assert profile.rcmd is not None
    return psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}", autocommit=True)


def _audit_actions(profile: Profile) -> list[str]:
    with _pg(profile) as conn:
        return [r[0] for r in conn.execute("SELECT action FROM audit_logs WHERE action LIKE 'console.%' ORDER BY id")]


async def _filtered(c: object, text: str) -> None:
    await c.press("slash", "ctrl+u", *text, "enter")  # type: ignore[attr-defined]
    await c.settle()  # type: ignore[attr-defined]


async def test_reset_clears_this_databases_statistics_audited(profile: Profile) -> None:
    with _pg(profile) as conn:
        conn.execute("SELECT 1 AS screens_reset_marker")
    async with open_console(profile, "statements") as c:
        assert isinstance(c.screen, StatementsScreen)
        await _filtered(c, "query~screens_reset_marker")
        assert len(c.table.window) == 1
        await c.settle()
        await c.press("R")
        confirm = await until_confirm(c.pilot, c.app)
        assert confirm.typed == "reset" and any("pg_stat_statements_reset" in s for s in confirm.statements)
        await c.press(*"reset", "enter")
        await c.settle()
        assert c.table.window == []  # read again: gone
    assert "console.statements.reset" in _audit_actions(profile)


async def test_a_statements_plan_asks_for_its_values_on_15(profile: Profile) -> None:
    with _pg(profile) as conn:
        conn.execute("SELECT username AS screens_plan_marker FROM users WHERE username = 'bob'")
    async with open_console(profile, "statements") as c:
        await _filtered(c, "query~screens_plan_marker")
        await c.press("enter")
        detail = await until_screen(c.pilot, c.app, StatementDetail)
        await c.settle()
        tree = "\n".join(str(n.label) for n in detail.query_one("JsonTree").root.children)  # type: ignore[attr-defined]
        assert "Statement, laid out" in tree
        await c.press("e")
        await until_screen(c.pilot, c.app, TextPrompt)  # PostgreSQL 15 has no generic plan: the value is asked for
        await c.press(*"alice", "enter")
        await c.settle()
        sections = [str(n.label) for n in detail.query_one("JsonTree").root.children]  # type: ignore[attr-defined]
        assert sections[-1] == "Plan", sections
        plan = [str(n.label) for n in detail.query_one("JsonTree").root.children[-1].children]  # type: ignore[attr-defined]
        assert any("users" in line for line in plan)
        await c.press("A")  # EXPLAIN ANALYZE: the values, then a confirmation naming the statement and them
        await until_screen(c.pilot, c.app, TextPrompt)
        await c.press(*"bob", "enter")
        confirm = await until_confirm(c.pilot, c.app)
        assert "$1 = 'bob'" in confirm.statements and confirm.typed == "analyze"
        assert any(t.startswith("query id ") for t in confirm.targets)
        await c.press(*"analyze", "enter")
        await c.settle()
        assert str(detail.query_one("JsonTree").root.children[-1].label) == "Plan (EXPLAIN ANALYZE, rolled back)"  # type: ignore[attr-defined]


async def test_a_missing_month_is_created_from_the_storage_screen(profile: Profile) -> None:
    today = date.today()
    ahead = date(today.year + (today.month + 1) // 12, (today.month + 1) % 12 + 1, 1)  # two months ahead
    name = f"audit_logs_{ahead:%Y_%m}"
    with _pg(profile) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {name}")
    async with open_console(profile, "storage") as c:
        assert isinstance(c.screen, StorageScreen)
        await _filtered(c, "kind=missing")
        missing = [r.get("name") for r in c.table.window]
        assert name in missing
        c.table.move_cursor(row=missing.index(name))
        await c.settle()
        await c.press("N")
        confirm = await until_confirm(c.pilot, c.app)
        assert any("PARTITION OF" in s for s in confirm.statements)
        await c.press("enter")
        await c.settle()
        assert name not in [r.get("name") for r in c.table.window]
    with _pg(profile) as conn:
        assert conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone() == (True,)
    assert "console.partition.create" in _audit_actions(profile)


async def test_a_blocked_ip_is_unblocked_from_redis_health(profile: Profile) -> None:
    assert profile.rcmd_redis_url is not None
    client = redis.Redis.from_url(profile.rcmd_redis_url)
    client.set("rate:login:10.9.9.9", 7, ex=300)
    async with open_console(profile, "redis-health") as c:
        assert isinstance(c.screen, RedisHealthScreen)
        await _filtered(c, "section=blocked")
        items = [r.get("item") for r in c.table.window]
        assert "10.9.9.9" in items
        c.table.move_cursor(row=items.index("10.9.9.9"))
        await c.settle()
        await c.press("U")
        confirm = await until_confirm(c.pilot, c.app)
        assert any("rate:login:10.9.9.9" in s for s in confirm.statements)
        await c.press("enter")
        await c.settle()
    assert client.exists("rate:login:10.9.9.9") == 0
    client.close()
    assert "console.redis.unblock" in _audit_actions(profile)


async def test_a_redis_without_info_is_told_in_its_panels_and_activity_works(profile: Profile) -> None:
    with private_redis("--rename-command", "INFO", "") as (url, _proc):
        async with open_console(dataclasses.replace(profile, rcmd_redis_url=url), "monitor") as c:
            assert isinstance(c.screen, ActivityScreen)
            await c.settle()
            trends = c.screen.query_one(Trends)
            assert trends.samples.redis_error and not trends.samples.pg_error
            assert "redis trends not read" in str(trends.render())
            assert c.error() == ""  # the list itself is fine
            await c.press("6")  # Redis health: the INFO section says what to do, the other sections show
            await c.settle()
            sections = {r.get("section"): r for r in c.table.window}
            assert sections["info"].get("item") == "unavailable" and "queue" in sections


def test_a_redis_without_info_is_up_and_its_health_report_runs(profile: Profile, tmp_path: Path) -> None:
    with private_redis("--rename-command", "INFO", "") as (url, _proc):
        config = tmp_path / "config.toml"
        config.write_text(profile_to_toml(dataclasses.replace(profile, rcmd_redis_url=url)), encoding="utf-8")
        env = {"RCMD_TUI_CONFIG": str(config)}
        check = run_cli(["check"], env)
        assert check.returncode == 0, check.stdout + check.stderr
        done = run_cli(["report", "redis-health", "--format", "json", "--limit", "0"], env)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    info = [r for r in rows if r["section"] == "info"]
    assert [r["item"] for r in info] == ["unavailable"] and "+info" in info[0]["detail"]


async def test_the_trends_keep_their_minutes_across_the_tabs(profile: Profile) -> None:
    async with open_console(profile, "monitor") as c:
        await c.settle()
        before = c.screen.query_one(Trends).samples
        assert before.connections.values  # sampled on opening
        await c.press("2")
        await c.settle()
        await c.press("1")
        await c.settle()
        after = c.screen.query_one(Trends).samples
        assert after is before and len(after.connections.values) >= 1


async def test_help_lists_the_screens_own_keys_first(profile: Profile) -> None:
    from textual.widgets import DataTable

    from rcmd_tui.screens.help import HelpScreen

    async with open_console(profile, "monitor") as c:
        await c.settle()
        await c.press("question_mark")
        help_screen = await until_screen(c.pilot, c.app, HelpScreen)
        table = help_screen.query_one(DataTable)
        first = [str(table.get_row_at(i)[1]) for i in range(2)]
        assert first == ["Cancel query", "Terminate"], first


async def test_the_filter_bar_reopens_on_the_filter_in_force(profile: Profile) -> None:
    from textual.widgets import Input

    async with open_console(profile, "monitor") as c:
        await c.press("slash", "ctrl+u", *"colour=red", "enter")  # refused: the bar says why and stays open
        await c.settle()
        await c.press("escape", "slash")
        await c.settle()
        assert c.screen.query_one("#filter-input", Input).value == "state!=idle own=no"


async def test_explain_analyze_is_not_offered_in_a_read_only_session(profile: Profile) -> None:
    with _pg(profile) as conn:
        conn.execute("SELECT username AS screens_ro_marker FROM users WHERE username = 'bob'")
    async with open_console(profile, "statements", read_only=True) as c:
        await _filtered(c, "query~screens_ro_marker")
        await c.press("enter")
        detail = await until_screen(c.pilot, c.app, StatementDetail)
        await c.settle()
        assert not detail.is_offered("analyze") and detail.is_offered("explain(False)")
        await c.press("A")
        await c.settle()
        assert c.app.screen is detail  # no prompt, no confirmation: refused, and said so
    assert "console.statement.explain_analyze" not in _audit_actions(profile)
