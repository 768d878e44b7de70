"""What a new user met at 80x24 (issue 10), each kept fixed: totals, keys, colour, defaults, live lists."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import redis
from rich.style import Style

from rcmd_tui.config import Profile
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.export import csv_cell
from rcmd_tui.data.lists.keyset import KeysetSource
from rcmd_tui.data.rcmd.views import RCMD_AUDIT, RCMD_USERS
from rcmd_tui.screens import list_screen
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.screens.detail import DetailScreen
from rcmd_tui.screens.export import default_path
from rcmd_tui.screens.redis_keys import RedisValueScreen
from tests.helpers import open_console, until_confirm
from tests.listdata import T0, fill_rcmd, user_id


async def test_a_table_never_analysed_is_counted_not_guessed_at_zero(services: Services) -> None:
    estimate = await KeysetSource(services, RCMD_USERS).estimate()
    assert estimate.exact and estimate.rows == 3 and "no statistics" in estimate.source
    analysed = await KeysetSource(services, RCMD_AUDIT).estimate()  # fill_rcmd analyses the audit log
    assert not analysed.exact and analysed.rows > 0


async def test_q_quits_and_asks_first_while_an_action_runs(profile: Profile) -> None:
    async with open_console(profile) as c:
        c.app.run_worker(asyncio.sleep(30), group="action")
        await c.press("q")
        await c.pilot.pause()
        assert isinstance(c.screen, ConfirmScreen) and "an action is still running" in c.screen.how.lower()
        await c.press("escape")
        await c.pilot.pause()
        assert c.app.is_running
        c.app.workers.cancel_group(c.app, "action")
        await c.settle()
        await c.press("q")
        await c.pilot.pause()
        assert not c.app.is_running or c.app._exit


async def test_j_and_k_move_like_the_arrows(profile: Profile) -> None:
    fill_rcmd(profile, rows=20)
    async with open_console(profile, "audit") as c:
        await c.press("j", "j", "k")
        assert c.table.cursor_row == 1


async def test_without_colour_the_cursor_row_is_reversed(profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    fill_rcmd(profile, rows=20)
    async with open_console(profile, "audit") as c:
        await c.press("down")
        y = c.table.cursor_row + 1 - c.table.scroll_offset.y
        styles = [s.style for s in c.table.render_line(y) if s.style]
        others = [s.style for s in c.table.render_line(y + 1) if s.style]
        assert any(isinstance(s, Style) and s.reverse for s in styles)
        assert not any(isinstance(s, Style) and s.reverse for s in others)


async def test_marking_users_already_in_that_state_says_they_are_left_out(profile: Profile) -> None:
    fill_rcmd(profile)
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}", autocommit=True) as conn:
        conn.execute("UPDATE users SET is_active = false WHERE username = 'bob'")
    async with open_console(profile, "users", size=(140, 40)) as c:
        await c.press("space", "space", "D")  # alice and bob; bob is inactive already
        confirm = await until_confirm(c.pilot, c.app)
        assert confirm.title_text == "Deactivate 1 user (1 already inactive, left out)" and confirm.targets == ("alice",)
        await c.press("escape")


def test_csv_reads_booleans_as_the_screen_does_and_exports_go_to_a_private_data_directory(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert (csv_cell(True), csv_cell(False)) == ("yes", "no")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_path(RCMD_AUDIT).parent == tmp_path / "rcmd-tui" / "exports"


async def test_a_redis_value_names_its_key_its_expiry_and_reads_epoch_milliseconds(profile: Profile) -> None:
    assert profile.rcmd_redis_url is not None
    client = redis.Redis.from_url(profile.rcmd_redis_url)
    client.hset("bull:jobs:7", mapping={"processedOn": "1793311995761", "name": "copy"})
    client.expire("bull:jobs:7", 3600)
    client.close()
    async with open_console(profile, "redis", size=(120, 30)) as c:
        await c.press("enter")
        await c.settle()
        assert isinstance(c.screen, RedisValueScreen)
        status = str(c.screen.query_one("#status").render())
        # what matters first (at 80 columns the end is cut), the key last (it is in the header too)
        assert status.startswith(("hash  2 items  expires in 59m", "hash  2 items  expires in 1h")), status
        assert status.endswith("  bull:jobs:7"), status
        cells = " ".join(str(row[1]) for row in c.screen.grid.rows)
        assert "1793311995761  2026-10-29 22:13:15 UTC" in cells


async def test_a_key_gone_since_the_list_was_read_says_so_and_offers_no_delete(profile: Profile) -> None:
    assert profile.rcmd_redis_url is not None
    client = redis.Redis.from_url(profile.rcmd_redis_url)
    client.set("lock:job:9", "token")
    async with open_console(profile, "redis", size=(80, 24)) as c:
        client.delete("lock:job:9")  # expired between the list and the value
        await c.press("enter")
        await c.settle()
        assert isinstance(c.screen, RedisValueScreen)
        status = str(c.screen.query_one("#status").render())
        assert status.startswith("the key is gone (it expired or was deleted)") and "no expiry" not in status
        assert c.screen.check_action("delete", ()) is False
        await c.press("D")
        await c.settle()
        assert isinstance(c.screen, RedisValueScreen)  # no confirmation of a delete of nothing
    client.close()


async def test_auto_refresh_brings_new_rows_in_and_keeps_the_cursor(profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(list_screen, "AUTO_REFRESH_S", 0.3)
    fill_rcmd(profile, rows=20)
    assert profile.rcmd is not None
    async with open_console(profile, "audit") as c:
        await c.press("down", "down", "a")
        chosen = c.table.current()
        assert chosen is not None and "auto 0.3s" in str(c.screen.query_one("#status").render())
        with psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}", autocommit=True) as conn:
            conn.execute("INSERT INTO audit_logs (user_id, action, resource_type, result, created_at) "
                         "VALUES (%s, 'LOGIN', 'session', 'success', %s)", [user_id(0), T0 + timedelta(minutes=5)])
        for _ in range(40):
            await c.pilot.pause(0.1)
            if len(c.table.shown_records) == 21:
                break
        assert len(c.table.shown_records) == 21 and c.table.shown_records[0].get("action") == "LOGIN"
        current = c.table.current()
        assert current is not None and current.get("id") == chosen.get("id")  # the same row, one further down
        await c.press("a")
        assert "auto" not in str(c.screen.query_one("#status").render())


async def test_a_reveal_row_shows_the_field_and_the_reason(seeded: Profile) -> None:
    async with open_console(seeded, "users os", size=(140, 40)) as c:
        await c.press("enter")
        await c.settle()
        await c.press("v", *"SUP-77 verify phone", "enter")
        await c.settle()
        await c.goto("audit os")
        await c.press("slash", *"action=reveal_field", "enter")
        await c.settle()
        assert c.table.shown_records and c.table.current() is not None
        await c.press("enter")
        await c.settle()
        assert isinstance(c.screen, DetailScreen)
        labels = []
        stack = [c.screen.query_one("JsonTree").root]  # type: ignore[attr-defined]
        while stack:
            node = stack.pop()
            labels.append(str(node.label))
            stack.extend(node.children)
        text = "\n".join(labels)
        assert "New value" in text and '"SUP-77 verify phone"' in text and "field" in text


async def test_help_lists_the_screens_own_keys_first_and_the_palette_offers_keys_once(profile: Profile) -> None:
    from rcmd_tui.screens.help import HelpScreen

    fill_rcmd(profile, rows=5)
    async with open_console(profile, "audit", size=(80, 24)) as c:
        titles = [cmd.title for cmd in c.app.get_system_commands(c.screen)]
        assert titles.count("Keys") == 1
        await c.press("question_mark")
        await c.pilot.pause()
        assert isinstance(c.screen, HelpScreen)
        table = c.screen.query_one("DataTable")
        ids = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]  # type: ignore[attr-defined]
        assert ids[0].startswith("list.") and ids.index("list.filter") < ids.index("app.goto") < ids.index("-")
        await c.press("end")
        assert table.cursor_row == table.row_count - 1  # type: ignore[attr-defined]
        await c.press("home")
        more = str(c.screen.query_one("#help-more").render())
        assert more  # the first key's longer help, below the table


async def test_the_column_chooser_says_shown_or_hidden_in_words(profile: Profile) -> None:
    from textual.widgets import SelectionList

    fill_rcmd(profile, rows=5)
    async with open_console(profile, "audit") as c:
        await c.press("c")
        await c.pilot.pause()
        options = c.screen.query_one(SelectionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert prompts[0] == "Time (UTC)  (shown)" and "User agent  (hidden)" in prompts
        await c.press("space")
        await c.pilot.pause()
        assert str(options.get_option_at_index(0).prompt) == "Time (UTC)  (hidden)"


async def test_columns_chosen_stay_chosen_when_the_list_is_opened_again(profile: Profile) -> None:
    fill_rcmd(profile, rows=5)
    async with open_console(profile, "audit") as c:
        assert "user_agent" in c.table.hidden
        await c.press("c")
        await c.pilot.pause()
        await c.press("space", "enter")  # the first column (Time) hidden
        await c.settle()
        assert "created_at" in c.table.hidden
        await c.press("escape")
        await c.settle()
        await c.goto("audit")
        assert "created_at" in c.table.hidden and "user_agent" in c.table.hidden


async def test_enter_on_a_home_target_tells_all_about_it(profile: Profile) -> None:
    async with open_console(profile) as c:
        await c.press("enter")
        status = str(c.screen.query_one("#status").render())
        assert status.startswith("rcmd · 127.0.0.1:") and "primary" in status
