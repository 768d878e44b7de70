"""One health check per target: version, latency, role, size. Used by the home screen and preflight."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg_pool
import redis
import redis.asyncio
import redis.exceptions

from rcmd_tui.config import Profile
from rcmd_tui.data.crypto.decrypt import KEY_INFO_SQL, Decryptor, FailureKind, key_catalog
from rcmd_tui.data.crypto.keystore import KeyStore
from rcmd_tui.data.infra import connections
from rcmd_tui.errors import TargetError

PG_HEALTH_SQL = """
SELECT current_setting('server_version') AS version,
       pg_is_in_recovery() AS in_recovery,
       pg_database_size(current_database()) AS size_bytes,
       (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()) AS connections,
       current_setting('max_connections')::int AS max_connections,
       current_user AS db_user,
       current_database() AS database
"""


@dataclass(frozen=True, slots=True)
class Health:
    target: str
    kind: str  # "postgresql" or "redis"
    where: str
    ok: bool
    version: str = ""
    latency_ms: float = 0.0
    role: str = ""  # primary / replica / master / slave
    size_bytes: int = 0
    connections: int = 0
    max_connections: int = 0
    keys: int = 0
    detail: str = ""
    error: str = ""
    hint: str = ""


def _pg_row(target: str, where: str, row: tuple[Any, ...], latency_ms: float) -> Health:
    version, in_recovery, size, conns, max_conns, db_user, database = row
    return Health(target, "postgresql", where, True, version=str(version), latency_ms=latency_ms,
                  role="replica" if in_recovery else "primary", size_bytes=int(size), connections=int(conns),
                  max_connections=int(max_conns), detail=f"{db_user}@{database}")


def _failed(target: str, kind: str, err: TargetError) -> Health:
    # The reason alone: every line or row that shows a Health names its target and where already.
    return Health(target, kind, err.where, False, error=err.reason, hint=err.hint)


def _redis_health(target: str, where: str, info: dict[str, Any], keys: int, latency_ms: float) -> Health:
    return Health(target, "redis", where, True, version=str(info.get("redis_version", "?")), latency_ms=latency_ms,
                  role=str(info.get("role", "?")), size_bytes=int(info.get("used_memory", 0)),
                  connections=int(info.get("connected_clients", 0)), keys=keys,
                  detail=f"maxmemory {info.get('maxmemory_human', '?')}, policy {info.get('maxmemory_policy', '?')}")


def check_pg_sync(target: str, profile: Profile) -> Health:
    spec = profile.rcmd if target.startswith("rcmd") else profile.ordersync
    assert spec is not None
    dsn = spec.replica_dsn if target.endswith("-replica") and spec.replica_dsn else spec.dsn
    try:
        with connections.connect(target, spec.__class__(dsn=dsn, schema=spec.schema), profile.timeouts) as conn:
            started = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            latency = (time.perf_counter() - started) * 1000
            row = conn.execute(PG_HEALTH_SQL).fetchone()
            assert row is not None
            return _pg_row(target, connections.where(dsn), row, latency)
    except TargetError as err:
        return _failed(target, "postgresql", err)
    except psycopg.Error as exc:
        return _failed(target, "postgresql", connections.pg_error(target, dsn, exc))


def check_redis_sync(url: str, profile: Profile, target: str = "rcmd-redis") -> Health:
    try:
        client = connections.sync_redis(url, profile.timeouts, target)
        with client:
            started = time.perf_counter()
            client.ping()
            latency = (time.perf_counter() - started) * 1000
            try:
                info = client.info()
            except redis.exceptions.ResponseError:  # as in check_redis: refused INFO, yet up
                info = {}
            keys = int(client.dbsize())
        return _redis_health(target, connections.redis_where(url), info, keys, latency)
    except TargetError as err:
        return _failed(target, "redis", err)
    except (redis.exceptions.RedisError, OSError, ValueError) as exc:
        return _failed(target, "redis", connections.redis_error(target, url, exc))


def check_all_sync(profile: Profile) -> list[Health]:
    results = []
    for target in ("rcmd", "ordersync"):
        spec = profile.rcmd if target == "rcmd" else profile.ordersync
        if spec is not None:
            results.append(check_pg_sync(target, profile))
            if spec.replica_dsn:
                results.append(check_pg_sync(f"{target}-replica", profile))
        if target == "rcmd" and profile.rcmd_redis_url:
            results.append(check_redis_sync(profile.rcmd_redis_url, profile))
    return results


async def check_pool(pools: connections.Pools, name: str) -> Health:
    spec = pools.specs[name]
    loc = connections.where(spec.dsn)
    try:
        async with pools.get(name).connection(timeout=pools.profile.timeouts.connect_s) as conn:
            started = time.perf_counter()
            await conn.execute("SELECT 1")
            latency = (time.perf_counter() - started) * 1000
            cur = await conn.execute(PG_HEALTH_SQL)
            row = await cur.fetchone()
            assert row is not None
            return _pg_row(name, loc, row, latency)
    except Exception as exc:  # a pool timeout wraps the real cause; both read as "unreachable"
        return _failed(name, "postgresql", connections.pg_error(name, spec.dsn, exc))


async def check_redis(client: redis.asyncio.Redis, url: str, target: str = "rcmd-redis") -> Health:
    try:
        started = time.perf_counter()
        await client.ping()
        latency = (time.perf_counter() - started) * 1000
        try:
            info = await client.info()
        except redis.exceptions.ResponseError:  # INFO renamed away or not granted: the server answered, it is up
            info = {}
        keys = int(await client.dbsize())
        return _redis_health(target, connections.redis_where(url), info, keys, latency)
    except (redis.exceptions.RedisError, OSError) as exc:
        return _failed(target, "redis", connections.redis_error(target, url, exc))


async def check_keyring(pools: connections.Pools, store: KeyStore, profile: Profile) -> Health:
    """The keyring as one more target: usable or not (and how to fix it), and which OrderSync keys it lacks.
    Fetching the keys here also warms the key store, so no list ever waits on the keyring later."""
    where = f"service {profile.keyring.service}"
    try:
        async with pools.reader("ordersync").connection() as conn:
            catalog = key_catalog(await (await conn.execute(KEY_INFO_SQL)).fetchall())
    except (psycopg.Error, OSError, psycopg_pool.PoolTimeout) as exc:
        return Health("keyring", "keyring", where, False, error=f"cannot read encryption_keys: {type(exc).__name__}",
                      hint="see the ordersync row above")
    failures = await asyncio.to_thread(Decryptor(store, catalog, profile.aad).prefetch)
    problem = await asyncio.to_thread(store.status)
    if problem is not None or any(f.kind is FailureKind.KEYRING_LOCKED for f in failures):
        # A failure's detail already carries its fix in brackets: the hint then only says how to try again.
        message = problem.message if problem else next(f.detail for f in failures if f.kind is FailureKind.KEYRING_LOCKED)
        return Health("keyring", "keyring", where, False, error=f"{message}: encrypted fields stay locked",
                      hint=problem.hint if problem else "then refresh (r)")
    missing = sorted(str(f.key_id) for f in failures)
    backend = type(store.backend()).__name__
    if missing:
        return Health("keyring", "keyring", where, False, version=backend, keys=len(catalog) - len(missing),
                      error=f"{len(missing)} of {len(catalog)} keys missing ({', '.join(missing[:3])}): their fields stay locked",
                      hint="import them: rcmd-tui keys import FILE (exported with rcmd-tui keys export on a machine that has them)")
    return Health("keyring", "keyring", where, True, version=backend, keys=len(catalog), detail=f"{len(catalog)} keys")
