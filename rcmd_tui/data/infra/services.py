"""The console's services: one object holding what every screen, widget and report needs.

The profile, whether actions are off, the PostgreSQL pools, RCMD's Redis client, the key store (keys in
memory only), one decryptor per system, and each target's last known status. The app (or the `report`
command) makes it, opens it and closes it; screens and widgets are handed it when they are made and never
reach for the app.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import psycopg_pool
import redis.asyncio

from rcmd_tui.config import Profile
from rcmd_tui.data.crypto.decrypt import Decryptor, open_decryptor
from rcmd_tui.data.crypto.keystore import KeyStore
from rcmd_tui.data.infra import health
from rcmd_tui.data.infra.connections import Pools, async_redis, redis_where, where
from rcmd_tui.data.infra.health import Health


class Services:
    def __init__(self, profile: Profile, *, read_only: bool = False) -> None:
        self.profile = profile
        self.read_only = read_only or profile.read_only
        self.pools = Pools(profile)
        self.keys = KeyStore(profile.keyring, timeout_s=profile.keyring_timeout_s)
        self.redis: redis.asyncio.Redis | None = (
            async_redis(profile.rcmd_redis_url, profile.timeouts) if profile.rcmd_redis_url else None)
        self.status: dict[str, bool | None] = dict.fromkeys(
            [*self.pools.names(), *(["rcmd-redis"] if self.redis else []), *(["keyring"] if profile.ordersync else [])])
        self.checked_at: float | None = None
        self._decryptors: dict[str, Decryptor] = {}
        # The columns a person hid per view (key, system), kept for the session: a list opened again shows them so.
        self.hidden_columns: dict[tuple[str, str], set[str]] = {}
        self._status_listeners: list[Callable[[], None]] = []

    async def open(self) -> None:
        await self.pools.open()

    async def close(self) -> None:
        await self.pools.close()
        if self.redis is not None:
            await self.redis.aclose()

    # -- where things are ---------------------------------------------------------------------------

    def reader(self, system: str) -> psycopg_pool.AsyncConnectionPool[Any]:
        return self.pools.reader(system)

    def primary(self, system: str) -> psycopg_pool.AsyncConnectionPool[Any]:
        return self.pools.primary(system)

    def where(self, target: str) -> str:
        """host:port/db of a target, for messages (never a password)."""
        if target.endswith("-redis"):
            return redis_where(self.profile.rcmd_redis_url or "")
        spec = self.pools.specs.get(target)
        return where(spec.dsn) if spec else target

    # -- keys -----------------------------------------------------------------------------------------

    async def decryptor(self, system: str) -> Decryptor:
        """One per system: its key catalogue read once; keys fetched on first use and kept in memory."""
        found = self._decryptors.get(system)
        if found is None:
            found = await open_decryptor(self.reader(system), self.keys, self.profile.aad, self.profile.retired_keys)
            self._decryptors[system] = found
        return found

    def forget_keys(self) -> None:
        """After an unlock or an import: ask the keyring and the key catalogue again."""
        self.keys.forget()
        self._decryptors.clear()

    # -- target status --------------------------------------------------------------------------------

    def on_status(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after each check; returns the function that stops it."""
        self._status_listeners.append(listener)
        return lambda: self._status_listeners.remove(listener) if listener in self._status_listeners else None

    async def check_targets(self) -> list[Health]:
        checks = [health.check_pool(self.pools, name) for name in self.pools.names()]
        if self.redis is not None and self.profile.rcmd_redis_url:
            checks.append(health.check_redis(self.redis, self.profile.rcmd_redis_url))
        if self.profile.ordersync is not None:
            checks.append(health.check_keyring(self.pools, self.keys, self.profile))
        results = list(await asyncio.gather(*checks))
        self.status.update({h.target: h.ok for h in results})
        self.checked_at = time.time()
        for listener in list(self._status_listeners):
            listener()
        return results
