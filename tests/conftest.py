"""Real servers for the whole suite: started once by the demo's launcher, or named by environment.

RCMD_TUI_TEST_PG_DSN (a role that may CREATE DATABASE) and RCMD_TUI_TEST_REDIS_URL point the suite at
existing servers instead; it then creates and drops only databases it names itself, and uses Redis
logical databases 1-15 (flushing each before use).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg import sql

from rcmd_tui.config import KeyringSettings, PgTarget, Profile
from rcmd_tui.data.crypto.keystore import DemoFileKeyring
from rcmd_tui.data.demo.seed import seed_profile
from rcmd_tui.data.infra import launcher, migrate
from rcmd_tui.data.infra.services import Services
from tests.helpers import Console, open_console
from tests.listdata import fill_rcmd

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


def _test_redis_dbs(cluster: Cluster) -> range:
    return cluster.redis_dbs[:-1]  # the last one holds the seeded template's keys


@pytest.fixture
def redis_url(cluster: Cluster) -> Iterator[str]:
    """A flushed Redis logical database of our own."""
    dbs = _test_redis_dbs(cluster)
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


@dataclass(frozen=True)
class SeededTemplate:
    database: str
    redis_db: int
    keyring: KeyringSettings


@pytest.fixture(scope="session")
def seeded_template(cluster: Cluster, template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededTemplate]:
    """Small demo data seeded once per run; tests get clones of it (seeding takes seconds, cloning less)."""
    name = f"rcmd_tui_seeded_{uuid.uuid4().hex[:8]}"
    _create_db(cluster, name, template_db)
    redis_db = cluster.redis_dbs[-1]
    redis.Redis.from_url(cluster.redis_url(redis_db)).flushdb()
    keyring = KeyringSettings(service=f"rcmd-tui-seeded-{uuid.uuid4().hex[:6]}",
                              backend=f"{DemoFileKeyring.__module__}.DemoFileKeyring",
                              file=str(tmp_path_factory.mktemp("seeded") / "keyring.cfg"))
    dsn = cluster.dsn(name)
    seed_profile(Profile(name="seeded", rcmd=PgTarget(dsn, schema=SCHEMAS["rcmd"]), rcmd_redis_url=cluster.redis_url(redis_db),
                         ordersync=PgTarget(dsn, schema=SCHEMAS["ordersync"]), keyring=keyring),
                 "small", now=datetime.now(UTC), parallel=True)
    yield SeededTemplate(name, redis_db, keyring)
    _drop_db(cluster, name)


@pytest.fixture
def seeded(cluster: Cluster, seeded_template: SeededTemplate, redis_url: str, tmp_path: Path) -> Iterator[Profile]:
    """A clone of the seeded template: its own database, Redis database and keyring file."""
    name = f"rcmd_tui_t_{uuid.uuid4().hex[:10]}"
    _create_db(cluster, name, seeded_template.database)
    source = redis.Redis.from_url(cluster.redis_url(seeded_template.redis_db))
    target_db = int(redis_url.rsplit("/", 1)[1])
    with source.pipeline(transaction=False) as pipe:
        for key in source.scan_iter(count=1000):
            pipe.copy(key, key, destination_db=target_db)  # keeps each key's TTL
        pipe.execute()
    source.close()
    keyring_file = tmp_path / "keyring.cfg"
    shutil.copyfile(str(seeded_template.keyring.file), keyring_file)
    dsn = cluster.dsn(name)
    yield Profile(name="test", rcmd=PgTarget(dsn, schema=SCHEMAS["rcmd"]), rcmd_redis_url=redis_url,
                  ordersync=PgTarget(dsn, schema=SCHEMAS["ordersync"]), role="admin",
                  keyring=dataclasses.replace(seeded_template.keyring, file=str(keyring_file)))
    _drop_db(cluster, name)


@pytest.fixture
def console() -> Callable[..., contextlib.AbstractAsyncContextManager[Console]]:
    """Opens the console on a screen: ``async with console(profile, "audit") as c: ...``."""
    return open_console


@pytest.fixture
async def services(profile: Profile) -> AsyncIterator[Services]:
    """The console's services, opened, on RCMD data from tests/listdata.py (250 audit rows, three users)."""
    fill_rcmd(profile)
    services = Services(profile)
    await services.open()
    yield services
    await services.close()


@pytest.fixture
def redis_client(profile: Profile) -> Iterator[redis.Redis]:
    """A plain client on the profile's (throwaway) Redis, for planting and reading back keys."""
    assert profile.rcmd_redis_url is not None
    client = redis.Redis.from_url(profile.rcmd_redis_url)
    yield client
    client.close()
