"""The app skeleton, driven by Pilot against real servers."""

from __future__ import annotations

from dataclasses import replace

from rcmd_tui.app import make_app
from rcmd_tui.config import PgTarget, Profile
from rcmd_tui.data import launcher
from rcmd_tui.screens.home import HomeScreen
from rcmd_tui.widgets.health_table import HealthTable


async def test_home_screen_shows_each_target_health(profile: Profile) -> None:
    app = make_app(profile)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = screen.query_one(HealthTable)
        assert table.row_count == 3
        statuses = {str(table.get_row(k)[0]): str(table.get_row(k)[1]) for k in ("rcmd", "ordersync", "rcmd-redis")}
        assert statuses == {"rcmd": "up", "ordersync": "up", "rcmd-redis": "up"}


async def test_a_down_target_shows_as_down_with_a_hint(profile: Profile) -> None:
    down = replace(profile, ordersync=PgTarget(dsn=f"postgresql://x:y@127.0.0.1:{launcher.free_port()}/os"))
    app = make_app(down, read_only=True)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(HealthTable)
        assert str(table.get_row("ordersync")[1]) == "DOWN"
        assert str(table.get_row("rcmd")[1]) == "up"
        assert "read-only" in app.sub_title
