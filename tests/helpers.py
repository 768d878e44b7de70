"""What console tests share: settling, going to a screen, the list on screen, waiting for a dialog, and one
way to open the console on a screen (the ``console`` fixture in conftest.py)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg import sql
from textual.pilot import Pilot
from textual.screen import Screen
from textual.worker import WorkerFailed

from rcmd_tui.app import RcmdApp, make_app
from rcmd_tui.config import Profile
from rcmd_tui.data.infra import launcher
from rcmd_tui.data.infra.services import Services
from rcmd_tui.screens.command_prompt import CommandPrompt
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.widgets.paged_table import PagedTable


async def settle(pilot: Pilot[Any], app: RcmdApp) -> None:
    """Until every worker has finished and the screen has caught up."""
    for _ in range(3):
        await pilot.pause()
        with contextlib.suppress(WorkerFailed):  # a failed worker is the screen's to show; tests read the panel
            await app.workers.wait_for_complete()
    await pilot.pause()


async def goto(pilot: Pilot[Any], app: RcmdApp, text: str) -> None:
    await pilot.press("colon")
    await pilot.pause()
    assert isinstance(app.screen, CommandPrompt)
    await pilot.press(*text, "enter")
    await settle(pilot, app)


def table_of(app: RcmdApp) -> PagedTable:
    return app.screen.query_one(PagedTable)


async def until_screen(pilot: Pilot[Any], app: RcmdApp, kind: type[Screen[Any]], seconds: float = 5) -> Any:
    """A screen pushed by a worker that waits for it (waiting for every worker would wait forever)."""
    for _ in range(int(seconds / 0.05)):
        await pilot.pause(0.05)
        if isinstance(app.screen, kind):
            return app.screen
    raise AssertionError(f"no {kind.__name__} (on {type(app.screen).__name__})")


async def until(predicate: Callable[[], Any], pilot: Pilot[Any], seconds: float = 5) -> None:
    """Wait, the app running, until ``predicate()`` holds; fail after ``seconds``."""
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("not in time")


async def until_confirm(pilot: Pilot[Any], app: RcmdApp) -> ConfirmScreen:
    screen: ConfirmScreen = await until_screen(pilot, app, ConfirmScreen)
    return screen


@dataclass
class Console:
    app: RcmdApp
    pilot: Pilot[Any]

    async def settle(self) -> None:
        await settle(self.pilot, self.app)

    async def goto(self, text: str) -> None:
        await goto(self.pilot, self.app, text)

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)

    @property
    def screen(self) -> Screen[Any]:
        return self.app.screen

    @property
    def table(self) -> PagedTable:
        return table_of(self.app)

    def error(self) -> str:
        """What the error panel says ("" when it is hidden)."""
        return str(self.app.screen.query_one("ErrorPanel").text)  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def open_console(profile: Profile, screen: str | None = None, *, size: tuple[int, int] = (120, 30),
                       read_only: bool = False) -> AsyncIterator[Console]:
    """The console on real servers, settled on ``screen`` (a `:` command such as "audit" or "users os")."""
    app = make_app(profile, read_only=read_only)
    async with app.run_test(size=size) as pilot:
        console = Console(app, pilot)
        await console.settle()
        if screen is not None:
            await console.goto(screen)
        yield console


@contextlib.contextmanager
def private_redis(*args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis of the test's own (to stop, pause or restrict without touching the suite's): its URL and process."""
    port = launcher.free_port()
    proc = subprocess.Popen([str(launcher.find_redis_server()), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


@contextlib.contextmanager
def table_locked(dsn: str, schema: str, table: str) -> Iterator[None]:
    """Another session holds ACCESS EXCLUSIVE on ``table`` until the block ends."""
    with psycopg.connect(dsn, options=f"-c search_path={schema}", application_name="the-locker") as conn, conn.transaction():
        conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield


def run_cli(args: list[str], env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m rcmd_tui ARGS`` with none of the caller's RCMD_TUI_ or PG variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RCMD_TUI_", "PG"))}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "rcmd_tui", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


@contextlib.contextmanager
def login_as(profile: Profile, system: str, name: str, tier: str, grants: Sequence[str] = ()) -> Iterator[Profile]:
    """The profile, its ``system`` target logged in as a new role ``name`` holding the console tier ``tier`` and
    ``grants`` (``{schema}`` and ``{role}`` filled in); the role and what it owns are dropped afterwards."""
    target = profile.rcmd if system == "rcmd" else profile.ordersync
    assert target is not None
    with psycopg.connect(target.dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'pw' IN ROLE {}").format(sql.Identifier(name), sql.Identifier(tier)))
        for grant in grants:
            conn.execute(sql.SQL(grant.format(schema=target.schema, role=name)))  # type: ignore[arg-type]
    info = psycopg.conninfo.conninfo_to_dict(target.dsn)
    info.update(user=name, password="pw")
    logged_in = replace(target, dsn=psycopg.conninfo.make_conninfo(**info))  # type: ignore[arg-type]
    try:
        yield replace(profile, **{system: logged_in})
    finally:
        with psycopg.connect(target.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def rcmd_sql(profile: Profile) -> psycopg.Connection[Any]:
    """A plain autocommit connection to the profile's RCMD schema, for planting and reading back rows."""
    assert profile.rcmd is not None
    return psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}", autocommit=True)


@contextlib.asynccontextmanager
async def opened_services(profile: Profile) -> AsyncIterator[Services]:
    services = Services(profile)
    await services.open()
    try:
        yield services
    finally:
        await services.close()
