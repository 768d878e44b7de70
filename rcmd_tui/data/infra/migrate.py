"""Apply each system's ordered SQL files, each in its own transaction, recorded with a checksum.

A file already applied is never run again; if its text has changed since, migrating stops before
doing anything, naming the file. The system's schema is the first entry of search_path while a file
runs, so the SQL is schema-agnostic and both layouts (two databases, or two schemas of one) work.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import sql

from rcmd_tui.errors import MigrationError

SYSTEMS = ("rcmd", "ordersync")
_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
# One lock key per schema name keeps two migrators of the same schema from interleaving.
_LOCK_NAMESPACE = 0x52434D44  # "RCMD"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()

    @property
    def filename(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"


@dataclass(frozen=True, slots=True)
class Applied:
    version: int
    name: str
    checksum: str


def load(system: str) -> list[Migration]:
    if system not in SYSTEMS:
        raise MigrationError(f"unknown system {system!r}", f"use one of {', '.join(SYSTEMS)}")
    folder = resources.files("rcmd_tui.data.infra.migrations") / system
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match["version"]), match["name"], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two {system} migrations share a version number", "renumber them")
    return found


_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    checksum VARCHAR(64) NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    execution_time_ms BIGINT NOT NULL
)
"""


def _lock_key(schema: str) -> int:
    return int.from_bytes(hashlib.sha256(schema.encode()).digest()[:4], "big", signed=True)


def applied(conn: psycopg.Connection[tuple[object, ...]], schema: str) -> list[Applied]:
    exists = conn.execute("SELECT to_regclass(%s)", [f"{_quote(schema)}.schema_migrations"]).fetchone()
    if not exists or exists[0] is None:
        return []
    rows = conn.execute(
        sql.SQL("SELECT version, name, checksum FROM {}.schema_migrations ORDER BY version").format(
            sql.Identifier(schema)
        )
    ).fetchall()
    return [Applied(int(str(v)), str(n), str(c)) for v, n, c in rows]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def check(migrations: list[Migration], done: list[Applied], system: str) -> None:
    """Refuse when an applied file changed or is unknown to this version of the console."""
    known = {m.version: m for m in migrations}
    for row in done:
        migration = known.get(row.version)
        if migration is None:
            raise MigrationError(
                f"{system}: the database has migration {row.version:04d}_{row.name} applied, "
                "which this version of rcmd-tui does not know",
                "upgrade rcmd-tui, or check that the profile points at the right database",
            )
        if migration.checksum != row.checksum:
            raise MigrationError(
                f"{system}: {migration.filename} changed after it was applied "
                f"(checksum {row.checksum[:12]} in the database, {migration.checksum[:12]} on disk)",
                "restore the original file and add the change as a new migration",
            )


def migrate(
    conn: psycopg.Connection[tuple[object, ...]],
    system: str,
    schema: str = "public",
    progress: Callable[[str], None] | None = None,
) -> list[Migration]:
    """Apply pending migrations of ``system`` into ``schema``; returns what was applied."""
    migrations = load(system)
    conn.autocommit = True
    with conn.transaction():
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, _lock_key(schema)])
        conn.execute(sql.SQL(_BOOTSTRAP).format(schema=sql.Identifier(schema)))
    newly: list[Migration] = []
    for migration in migrations:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, _lock_key(schema)])
            done = applied(conn, schema)
            check(migrations, done, system)
            if any(row.version == migration.version for row in done):
                continue
            conn.execute(sql.SQL("SET LOCAL search_path = {}, public").format(sql.Identifier(schema)))
            conn.execute("SET LOCAL lock_timeout = '10s'")
            started = time.monotonic()
            try:
                # No parameters: psycopg sends the file with the simple protocol, all statements at once.
                conn.execute(migration.sql.encode("utf-8"))
            except psycopg.Error as exc:
                raise MigrationError(
                    f"{system}: {migration.filename} failed: {exc.diag.message_primary or exc}",
                    "nothing of this file was applied; fix the cause and run 'rcmd-tui db migrate' again",
                ) from None
            elapsed_ms = int((time.monotonic() - started) * 1000)
            conn.execute(
                sql.SQL(
                    "INSERT INTO {}.schema_migrations (version, name, checksum, execution_time_ms) "
                    "VALUES (%s, %s, %s, %s)"
                ).format(sql.Identifier(schema)),
                [migration.version, migration.name, migration.checksum, elapsed_ms],
            )
        newly.append(migration)
        if progress:
            progress(f"{system}: applied {migration.filename} in {elapsed_ms} ms")
    return newly
