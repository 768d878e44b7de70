"""The console shell, driven by Pilot against real servers: the `:` prompt, Esc, `?`, filters, paging."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Input

from rcmd_tui.app import make_app
from rcmd_tui.config import Profile
from rcmd_tui.screens.command_prompt import CommandPrompt
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.screens.help import HelpScreen
from rcmd_tui.screens.home import HomeScreen
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.widgets.error_panel import ErrorPanel
from tests.helpers import goto, open_console, settle, table_of
from tests.listdata import fill_rcmd


async def test_colon_prompt_completes_and_opens_a_list_and_escape_goes_back(profile: Profile) -> None:
    fill_rcmd(profile)
    app = make_app(profile)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("colon", "a", "u", "tab")
        assert app.screen.query_one("#prompt-input").value == "audit rcmd"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ListScreen) and app.screen.spec.title == "RCMD audit log"
        assert len(table_of(app).shown_records) == 100
        await goto(pilot, app, "nosuch")
        assert isinstance(app.screen, CommandPrompt)
        assert "no screen named 'nosuch'" in str(app.screen.query_one("#prompt-error").render())
        await pilot.press("escape")
        await goto(pilot, app, "home rcmd")
        assert "home is not per system; type :home alone" in str(app.screen.query_one("#prompt-error").render())
        await pilot.press("escape")
        await goto(pilot, app, "users os")
        assert isinstance(app.screen, ListScreen) and app.screen.spec.title == "OrderSync users"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ListScreen) and app.screen.spec.title == "RCMD audit log"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        ids = {str(row[2]) for row in (app.screen.query_one("DataTable").get_row_at(i)  # type: ignore[attr-defined]
                                        for i in range(app.screen.query_one("DataTable").row_count))}  # type: ignore[attr-defined]
        assert {"list.filter", "app.goto", "list.export", "app.quit"} <= ids
        assert "list.mark" not in ids  # marks are for actions, and the audit log has none
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)  # home is the last stop


async def test_paging_across_page_boundaries_keeps_a_bounded_window(profile: Profile) -> None:
    fill_rcmd(profile, rows=650)
    app = make_app(profile)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await goto(pilot, app, "audit")
        table = table_of(app)
        first_page = [r.get("id") for r in table.window]
        assert len(first_page) == 100 and table.more_after and not table.more_before
        last_of_first = table.window[-1]
        await pilot.press("right_square_bracket")
        await settle(pilot, app)
        assert len(table.window) == 200
        assert table.current() is table.window[100]  # the first row of the new page
        assert table.window[99] is last_of_first and table.window[100].sort_key < last_of_first.sort_key
        for _ in range(4):
            await pilot.press("right_square_bracket")
            await settle(pilot, app)
        assert len(table.window) == 300 and table.more_before  # bounded: the oldest pages were dropped
        assert table.window[0].get("id") not in first_page
        for _ in range(5):
            await pilot.press("down")
        await pilot.press("left_square_bracket")
        await settle(pilot, app)
        assert table.more_before
        await pilot.press("g")
        await settle(pilot, app)
        assert [r.get("id") for r in table.window] == first_page
        await pilot.press("G")
        await settle(pilot, app)
        assert not table.more_after and table.current() is table.window[-1]
        await pilot.press("pageup")
        for _ in range(120):
            await pilot.press("up")
        await settle(pilot, app)
        assert len(table.window) > 100  # moving the cursor near the top fetched the page before


async def test_filters_good_and_bad(profile: Profile) -> None:
    fill_rcmd(profile)
    app = make_app(profile)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await goto(pilot, app, "audit")
        screen = app.screen
        assert isinstance(screen, ListScreen)
        await pilot.press("slash", *"user=bob status:failed", "enter")
        await settle(pilot, app)
        rows = table_of(app).shown_records
        assert rows and all(str(r.get("user_id")).endswith("1") and r.get("result") == "failure" for r in rows)
        assert "filter user=bob status:failed" in str(screen.query_one("#status").render())
        assert table_of(app).scroll_offset.x == 0  # the bar closing must not scroll the first columns away
        await pilot.press("slash", "backspace", "backspace")  # the cursor at the end: Backspace takes a letter, not all
        assert screen.query_one("#filter-input", Input).value == "user=bob status:fail"
        await pilot.press("ctrl+u", *"colour=red", "enter")
        await pilot.pause()
        error = str(screen.query_one("#filter-message").render())
        assert "this list has no field 'colour'" in error and "action" in error
        assert table_of(app).shown_records == rows  # nothing ran; the old rows stay
        await pilot.press("ctrl+u", *"since:soon", "enter")
        await pilot.pause()
        assert "'soon' is not a time" in str(screen.query_one("#filter-message").render())
        await pilot.press("ctrl+u", *"r13", "enter")  # free text: on the loaded rows only
        await settle(pilot, app)
        assert [r.get("resource_id") for r in table_of(app).shown_records] == ["r13"]
        assert "1 of 1 with these words in the" in str(screen.query_one("#status").render())  # not the whole table
        assert not screen.query_one(ErrorPanel).has_class("-shown")


def _recorder(told: list[str]) -> Callable[..., None]:
    return lambda message, **_: told.append(message)


async def test_read_only_hides_actions_and_a_support_role_sees_none(profile: Profile) -> None:
    from rcmd_tui.widgets.key_footer import shown_bindings

    fill_rcmd(profile)
    for p, read_only, why in ((profile, True, "read-only"), (replace(profile, role="support"), False, "support console role")):
        async with open_console(p, "users", read_only=read_only) as c:
            shown = {b.action for b in shown_bindings(c.screen)}
            assert not shown & {"set_active(False)", "set_active(True)", "mark"}  # neither in the footer nor in ?
            told: list[str] = []
            c.screen.notify = _recorder(told)  # type: ignore[method-assign]
            await c.press("D")  # pressed anyway: told why, nothing runs
            await c.settle()
            assert any(why in m for m in told) and not isinstance(c.screen, ConfirmScreen)
    async with open_console(profile, "users") as c:
        assert {"set_active(False)", "mark"} <= {b.action for b in shown_bindings(c.screen)}


async def test_bindings_are_remapped_by_id_from_the_profile(profile: Profile) -> None:
    fill_rcmd(profile)
    app = make_app(replace(profile, keymap={"list.mark": "m", "app.goto": "ctrl+g"}))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert isinstance(app.screen, CommandPrompt)
        await pilot.press(*"users", "enter")  # a list with an action, so marks are offered
        await settle(pilot, app)
        await pilot.press("space")
        assert not table_of(app).marked
        await pilot.press("m")
        assert len(table_of(app).marked) == 1


async def test_screenshot_key_saves_an_svg(profile: Profile, tmp_path: Path) -> None:
    app = make_app(profile, screenshot_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+s")
        await pilot.pause()
    shots = list(tmp_path.glob("*.svg"))
    assert len(shots) == 1 and "rcmd-tui" in shots[0].read_text(encoding="utf-8")


async def test_no_color_is_respected(profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert app.no_color


async def test_the_header_names_the_screen_first_and_keeps_it_at_80_columns(profile: Profile) -> None:
    from rcmd_tui.widgets.status_header import StatusHeader

    fill_rcmd(profile, rows=5)
    async with open_console(replace(profile, name="production-eu-west"), "audit", size=(80, 24)) as c:
        line = c.screen.query_one(StatusHeader).text.plain
        assert line.startswith("RCMD audit log │") and "production-eu-west" in line and "admin" in line
        assert len(line) <= 78 and "r●" in line and "keys●" in line  # targets shortened to fit, none dropped
        await c.goto("users os")
        assert c.screen.query_one(StatusHeader).text.plain.startswith("OrderSync users │")
    async with open_console(profile, "audit", size=(160, 50), read_only=True) as c:
        line = c.screen.query_one(StatusHeader).text.plain
        assert line.startswith("RCMD audit log │ rcmd-tui │") and "READ-ONLY" in line and "rcmd-redis ●" in line


async def test_what_was_said_on_a_screen_left_goes_with_it_and_a_detail_pages(profile: Profile) -> None:
    from rcmd_tui.screens.detail import JsonTree

    fill_rcmd(profile)
    async with open_console(profile, "audit", size=(80, 24)) as c:
        c.app.notify("about the audit log", timeout=30)
        await c.goto("users")
        assert not [n for n in c.app._notifications if "about the audit log" in str(n.message)]  # not over the users
        await c.goto("audit")
        await c.press("enter")
        await c.settle()
        tree = c.app.screen.query_one(JsonTree)
        tree.cursor_line = 0
        await c.press("pagedown")  # a page, not a line
        await c.settle()
        assert tree.cursor_line > 5, tree.cursor_line
