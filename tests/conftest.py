"""Real servers for the whole suite: started once by the demo's launcher, or named by environment.

RCMD_TUI_TEST_PG_DSN (a role that may CREATE DATABASE) and RCMD_TUI_TEST_REDIS_URL point the suite at
existing servers instead; it then creates and drops only databases it names itself, and uses Redis
logical databases 1-15 (flushing each before use).
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg import sql

from rcmd_tui.config import KeyringSettings, PgTarget, Profile
from rcmd_tui.data import launcher, migrate
from rcmd_tui.data.keystore import DemoFileKeyring

SCHEMAS = {"rcmd": "rcmd", "ordersync": "ordersync"}


@dataclass(frozen=True)
class Cluster:
    admin_dsn: str  # connects to a maintenance database
    redis_base: str  # redis://...:port without the db number
    redis_dbs: range
    servers: launcher.Servers | None

    def dsn(self, dbname: str) -> str:
        info = psycopg.conninfo.conninfo_to_dict(self.admin_dsn)
        info["dbname"] = dbname
        return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]

    def redis_url(self, db: int) -> str:
        return f"{self.redis_base}/{db}"


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    pg_env, redis_env = os.environ.get("RCMD_TUI_TEST_PG_DSN"), os.environ.get("RCMD_TUI_TEST_REDIS_URL")
    if pg_env and redis_env:
        yield Cluster(pg_env, redis_env.rstrip("/").rsplit("/", 1)[0] if redis_env.count("/") > 2 else redis_env,
                      range(1, 16), None)
        return
    servers = launcher.start(prefix="rcmd-tui-test-")
    try:
        yield Cluster(servers.pg.dsn("postgres"), f"redis://:{servers.redis.password}@127.0.0.1:{servers.redis.port}",
                      range(1, 64), servers)
    finally:
        servers.stop()


def _create_db(cluster: Cluster, name: str, template: str | None = None) -> None:
    with psycopg.connect(cluster.admin_dsn, autocommit=True) as conn:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        conn.execute(statement)


def _drop_db(cluster: Cluster, name: str) -> None:
    with psycopg.connect(cluster.admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def template_db(cluster: Cluster) -> Iterator[str]:
    """Both systems migrated into one database, each in its own schema; never connected to by tests."""
    name = f"rcmd_tui_tmpl_{uuid.uuid4().hex[:8]}"
    _create_db(cluster, name)
    with psycopg.connect(cluster.dsn(name)) as conn:
        for system, schema in SCHEMAS.items():
            migrate.migrate(conn, system, schema)
    yield name
    _drop_db(cluster, name)


@pytest.fixture
def fresh_db(cluster: Cluster) -> Iterator[str]:
    """An empty database (no migrations), dropped afterwards."""
    name = f"rcmd_tui_t_{uuid.uuid4().hex[:10]}"
    _create_db(cluster, name)
    yield cluster.dsn(name)
    _drop_db(cluster, name)


@pytest.fixture
def db(cluster: Cluster, template_db: str) -> Iterator[str]:
    """A clean, migrated database cloned from the template; its DSN."""
    name = f"rcmd_tui_t_{uuid.uuid4().hex[:10]}"
    _create_db(cluster, name, template_db)
    yield cluster.dsn(name)
    _drop_db(cluster, name)


_redis_counter = itertools.count()


@pytest.fixture
def redis_url(cluster: Cluster) -> Iterator[str]:
    """A flushed Redis logical database of our own."""
    dbs = cluster.redis_dbs
    number = dbs[next(_redis_counter) % len(dbs)]
    url = cluster.redis_url(number)
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def profile(db: str, redis_url: str, tmp_path: Path) -> Profile:
    return Profile(
        name="test",
        rcmd=PgTarget(dsn=db, schema=SCHEMAS["rcmd"]),
        rcmd_redis_url=redis_url,
        ordersync=PgTarget(dsn=db, schema=SCHEMAS["ordersync"]),
        role="admin",
        keyring=KeyringSettings(service=f"rcmd-tui-test-{uuid.uuid4().hex[:6]}",
                                backend=f"{DemoFileKeyring.__module__}.DemoFileKeyring",
                                file=str(tmp_path / "keyring.cfg")),
    )
