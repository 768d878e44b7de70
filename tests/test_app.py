"""The app skeleton, driven by Pilot against real servers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from textual.widgets import Static

from rcmd_tui.app import make_app
from rcmd_tui.config import PgTarget, Profile
from rcmd_tui.data.infra import launcher
from rcmd_tui.screens.home import HomeScreen
from rcmd_tui.widgets.health_table import HealthTable


@dataclass(frozen=True)
class Home:
    rows: dict[str, list[str]]
    problems: str
    sub_title: str
    is_home: bool


async def _home(profile: Profile, read_only: bool = False) -> Home:
    """The home screen once every health check has finished."""
    app = make_app(profile, read_only=read_only)
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(HealthTable)
        rows = dict(table.values)  # Target, Status, Latency, Conns, Keys, Size, Version, Where
        return Home(rows, str(app.screen.query_one("#problems", Static).render()), app.sub_title,
                    isinstance(app.screen, HomeScreen))


async def _home_rows(profile: Profile) -> tuple[dict[str, list[str]], str]:
    home = await _home(profile, read_only=True)
    return home.rows, home.problems


async def test_home_screen_shows_each_target_health(profile: Profile) -> None:
    home = await _home(profile)
    assert home.is_home
    assert len(home.rows) == 4
    statuses = {k: home.rows[k][1] for k in ("rcmd", "ordersync", "rcmd-redis", "keyring")}
    assert statuses == {"rcmd": "up", "ordersync": "up", "rcmd-redis": "up", "keyring": "up"}  # no keys yet, none missing


async def test_a_down_target_shows_as_down_with_a_hint(profile: Profile) -> None:
    down = replace(profile, ordersync=PgTarget(dsn=f"postgresql://x:y@127.0.0.1:{launcher.free_port()}/os"))
    home = await _home(down, read_only=True)
    assert home.rows["ordersync"][1] == "DOWN"
    assert home.rows["rcmd"][1] == "up"
    assert "read-only" in home.sub_title


async def test_home_shows_the_keyring_with_its_keys(seeded: Profile) -> None:
    rows, problems = await _home_rows(seeded)
    assert rows["keyring"][1] == "up" and rows["keyring"][6] == "DemoFileKeyring" and rows["keyring"][4] == "7"
    assert "keyring" not in problems


async def test_without_a_keyring_the_console_runs_and_says_how_to_fix_it(seeded: Profile, tmp_path: Path) -> None:
    missing = replace(seeded, keyring=replace(seeded.keyring, file=str(tmp_path / "empty.cfg")))
    rows, problems = await _home_rows(missing)
    assert rows["ordersync"][1] == "up" and rows["keyring"][1] == "DOWN"
    assert "7 of 7 keys missing" in problems and "rcmd-tui keys import" in problems
    broken = replace(seeded, keyring=replace(seeded.keyring, backend="no.such.Backend"))
    rows, problems = await _home_rows(broken)
    assert rows["keyring"][1] == "DOWN"
    assert "cannot load keyring backend" in problems and "keyring.backend" in problems
