"""Connections to every target, configured the same way, and their errors told in one line.

Every PostgreSQL session is opened with ``application_name``, ``statement_timeout``,
``idle_in_transaction_session_timeout``, ``default_transaction_read_only = on`` and the system's
schema first in ``search_path``, as libpq startup options, so no query can run without them.
Writes go through :func:`write_transaction`, the one place a session turns read-write.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg_pool
import redis
import redis.asyncio
import redis.exceptions
from psycopg import sql

from rcmd_tui.config import DSN_FIX, REDIS_FIX, PgTarget, Profile, Timeouts, dsn_parts, redis_url_parts
from rcmd_tui.data.infra.redact import redact
from rcmd_tui.errors import TargetError

APPLICATION_NAME = "rcmd-tui"
# What messages show for a DSN or URL that cannot be parsed: none of it, since any part may be a piece of a
# password (the configuration refuses such values when it is read; a profile built in code may still hold one).
UNPARSABLE_DSN = "DSN not shown"
UNPARSABLE_URL = "URL not shown"


def _escape_option(value: str) -> str:
    # libpq options are split on spaces; a backslash protects one.
    return value.replace("\\", "\\\\").replace(" ", "\\ ")


def session_options(schema: str, timeouts: Timeouts, read_only: bool = True) -> str:
    settings = {
        "statement_timeout": str(timeouts.statement_ms),
        "idle_in_transaction_session_timeout": str(timeouts.idle_in_transaction_ms),
        "lock_timeout": str(timeouts.lock_ms),
        "search_path": f"{sql.Identifier(schema).as_string(None)},public",
    }
    if read_only:
        settings["default_transaction_read_only"] = "on"
    return " ".join(f"-c {k}={_escape_option(v)}" for k, v in settings.items())


def connect_kwargs(target: str, dsn: str, schema: str, timeouts: Timeouts, *, read_only: bool = True,
                   app_suffix: str = "") -> dict[str, Any]:
    """Keyword arguments for psycopg: our settings added to whatever ``options`` the DSN holds."""
    parts = dsn_parts(dsn)
    if parts is None:  # libpq's message quotes the text it could not read: not shown either
        raise TargetError(target, UNPARSABLE_DSN, "invalid DSN: cannot be parsed as a libpq connection string",
                          DSN_FIX)
    existing = parts.get("options") or ""
    options = f"{existing} {session_options(schema, timeouts, read_only)}".strip()
    return {
        "application_name": APPLICATION_NAME + app_suffix,
        "connect_timeout": timeouts.connect_s,
        "options": options,
    }


def where(dsn: str) -> str:
    """host:port/db for messages: parsed parts only, never the DSN itself (nor its password)."""
    parts = dsn_parts(dsn)
    if parts is None:
        return UNPARSABLE_DSN
    host = str(parts.get("host") or "local socket")
    port = str(parts.get("port") or "5432")
    db = str(parts.get("dbname") or parts.get("user") or "")
    return f"{host}:{port}/{db}"


def pg_error(target: str, dsn: str, exc: BaseException) -> TargetError:
    text = redact(str(exc)).strip()
    lowered = text.lower()
    first = text.splitlines()[0] if text else type(exc).__name__
    loc = where(dsn)
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return TargetError(target, loc, "password authentication failed",
                           "check the user and password (DSN, PGPASSWORD or ~/.pgpass)")
    if "connection refused" in lowered:
        return TargetError(target, loc, "connection refused", "check that PostgreSQL is running there and the host and port are right")
    if "could not translate host name" in lowered or "name or service not known" in lowered:
        return TargetError(target, loc, "unknown host", "check the host name in the DSN")
    if "timeout expired" in lowered or "timed out" in lowered:
        return TargetError(target, loc, "connection timed out", "check the network path and firewall, or raise timeouts.connect_s")
    if "does not exist" in lowered and "database" in lowered:
        return TargetError(target, loc, first.removeprefix("connection failed: "), "check the database name in the DSN")
    if "invalid" in lowered and ("dsn" in lowered or "connection option" in lowered or "missing" in lowered):
        return TargetError(target, loc, f"invalid DSN: {first}", "use postgresql://user@host:port/dbname or key=value pairs")
    return TargetError(target, loc, first, "check the DSN and that the server accepts connections from here")


def redis_where(url: str) -> str:
    """host:port/db (or the socket's path) for messages: parsed parts only, never the URL itself."""
    if redis_url_parts(url) is None:
        return UNPARSABLE_URL
    try:
        kw = redis.ConnectionPool.from_url(url).connection_kwargs
    except ValueError:  # a query option redis-py refuses
        return UNPARSABLE_URL
    if "path" in kw:
        return f"{kw['path']}/{kw.get('db', 0)}"
    return f"{kw.get('host', 'localhost')}:{kw.get('port', 6379)}/{kw.get('db', 0)}"


def redis_error(target: str, url: str, exc: BaseException) -> TargetError:
    loc = redis_where(url)
    text = redact(str(exc))
    if isinstance(exc, redis.exceptions.AuthenticationError) or "WRONGPASS" in text or "NOAUTH" in text:
        return TargetError(target, loc, "authentication failed", "check the password in the Redis URL")
    if isinstance(exc, redis.exceptions.TimeoutError):
        return TargetError(target, loc, "timed out", "check the network path, or raise timeouts.redis_ms")
    if isinstance(exc, ValueError):  # redis-py's message can quote the URL: not shown
        return TargetError(target, loc, "invalid Redis URL: cannot be parsed", REDIS_FIX)
    if "refused" in text.lower():
        return TargetError(target, loc, "connection refused", "check that Redis is running there and the host and port are right")
    return TargetError(target, loc, text.splitlines()[0] if text else type(exc).__name__,
                       "check the Redis URL and that the server is reachable")


def redis_kwargs(timeouts: Timeouts) -> dict[str, Any]:
    return {"socket_connect_timeout": timeouts.redis_s, "socket_timeout": timeouts.redis_s,
            "client_name": APPLICATION_NAME, "health_check_interval": 30}


def sync_redis(url: str, timeouts: Timeouts, target: str = "rcmd-redis") -> redis.Redis:
    try:
        return redis.Redis.from_url(url, **redis_kwargs(timeouts))
    except ValueError as exc:
        raise redis_error(target, url, exc) from None


def async_redis(url: str, timeouts: Timeouts, target: str = "rcmd-redis") -> redis.asyncio.Redis:
    try:
        return redis.asyncio.Redis.from_url(url, **redis_kwargs(timeouts))
    except ValueError as exc:
        raise redis_error(target, url, exc) from None


def connect(target: str, pg: PgTarget, timeouts: Timeouts, *, read_only: bool = True,
            app_suffix: str = "") -> psycopg.Connection[tuple[Any, ...]]:
    """A plain synchronous connection for the CLI (migrate, seed, checks)."""
    kwargs = connect_kwargs(target, pg.dsn, pg.schema, timeouts, read_only=read_only, app_suffix=app_suffix)
    try:
        return psycopg.connect(pg.dsn, **kwargs)
    except (psycopg.Error, OSError) as exc:
        raise pg_error(target, pg.dsn, exc) from None


@dataclass(frozen=True, slots=True)
class PoolSpec:
    target: str
    dsn: str
    schema: str


class Pools:
    """One async pool per PostgreSQL target, opened and closed explicitly by the app."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._pools: dict[str, psycopg_pool.AsyncConnectionPool[Any]] = {}
        self.specs: dict[str, PoolSpec] = {}
        # The server pids of our own sessions, so that activity can leave the console itself out.
        self.backend_pids: set[int] = set()
        for name, target in (("rcmd", profile.rcmd), ("ordersync", profile.ordersync)):
            if target is None:
                continue
            self.specs[name] = PoolSpec(name, target.dsn, target.schema)
            if target.replica_dsn:
                self.specs[f"{name}-replica"] = PoolSpec(f"{name}-replica", target.replica_dsn, target.schema)
        for name, spec in self.specs.items():
            # Autocommit: a read is one round trip, not the query and then a COMMIT when the connection goes back
            # to the pool; writes and server-side cursors open their transaction explicitly (conn.transaction()).
            self._pools[name] = psycopg_pool.AsyncConnectionPool(
                spec.dsn, open=False, min_size=0, max_size=4, name=name, timeout=profile.timeouts.connect_s + 1,
                kwargs={**connect_kwargs(name, spec.dsn, spec.schema, profile.timeouts), "autocommit": True},
                configure=self._remember_pid,
            )

    async def _remember_pid(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.backend_pids.add(conn.info.backend_pid)

    def names(self) -> list[str]:
        return list(self._pools)

    def reader(self, system: str) -> psycopg_pool.AsyncConnectionPool[Any]:
        """Browsing and monitoring read from the replica where one is configured."""
        return self._pools.get(f"{system}-replica") or self._pools[system]

    def primary(self, system: str) -> psycopg_pool.AsyncConnectionPool[Any]:
        return self._pools[system]

    def get(self, name: str) -> psycopg_pool.AsyncConnectionPool[Any]:
        return self._pools[name]

    async def open(self) -> None:
        for pool in self._pools.values():
            await pool.open(wait=False)

    async def close(self) -> None:
        for pool in self._pools.values():
            await pool.close(timeout=2)


def _write_settings(lock_timeout_ms: int, statement_timeout_ms: int | None) -> list[sql.Composed | sql.SQL]:
    settings: list[sql.Composed | sql.SQL] = [
        sql.SQL("SET TRANSACTION READ WRITE"),
        sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(f"{int(lock_timeout_ms)}ms")),
    ]
    if statement_timeout_ms is not None:
        settings.append(sql.SQL("SET LOCAL statement_timeout = {}").format(sql.Literal(f"{int(statement_timeout_ms)}ms")))
    return settings


@contextlib.asynccontextmanager
async def write_transaction(pool: psycopg_pool.AsyncConnectionPool[Any], lock_timeout_ms: int,
                            statement_timeout_ms: int | None = None) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """The one way to write: a short explicit read-write transaction that gives up on locks quickly."""
    async with pool.connection() as conn, conn.transaction():
        for statement in _write_settings(lock_timeout_ms, statement_timeout_ms):
            await conn.execute(statement)
        yield conn


@contextlib.contextmanager
def write_transaction_sync(conn: psycopg.Connection[Any], lock_timeout_ms: int,
                           statement_timeout_ms: int | None = None) -> Iterator[psycopg.Connection[Any]]:
    """The same, for the command line's synchronous connections."""
    with conn.transaction():
        for statement in _write_settings(lock_timeout_ms, statement_timeout_ms):
            conn.execute(statement)
        yield conn


def tcp_reachable(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
