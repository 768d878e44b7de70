"""Wiring only: the profile, pools opened and closed, the first screen, error routing."""

from __future__ import annotations

import logging

import redis.asyncio
from textual.app import App

from rcmd_tui.config import Profile
from rcmd_tui.data.connections import Pools, async_redis
from rcmd_tui.data.keystore import KeyStore
from rcmd_tui.screens.home import HomeScreen


class RcmdApp(App[int]):
    TITLE = "rcmd-tui"

    def __init__(self, profile: Profile, *, read_only: bool = False) -> None:
        super().__init__()
        self.profile = profile
        self.read_only = read_only or profile.read_only
        self.pools = Pools(profile)
        self.keys = KeyStore(profile.keyring, timeout_s=profile.keyring_timeout_s)  # keys live in memory only
        self.redis: redis.asyncio.Redis | None = (
            async_redis(profile.rcmd_redis_url, profile.timeouts) if profile.rcmd_redis_url else None
        )
        self.sub_title = f"{profile.name} · {profile.role}" + (" · read-only" if self.read_only else "")

    async def on_mount(self) -> None:
        # The pool logs reconnect attempts to stderr, which would draw over the screen; the home
        # screen shows the same failure with a hint.
        pool_log = logging.getLogger("psycopg.pool")
        pool_log.addHandler(logging.NullHandler())
        pool_log.propagate = False
        await self.pools.open()
        await self.push_screen(HomeScreen())

    async def on_unmount(self) -> None:
        await self.pools.close()
        if self.redis is not None:
            await self.redis.aclose()


def make_app(profile: Profile, *, read_only: bool = False) -> RcmdApp:
    return RcmdApp(profile, read_only=read_only)
