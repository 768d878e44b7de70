"""Seed both systems of a profile: keys into the keyring, then RCMD and OrderSync in parallel."""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from rcmd_tui.config import Profile
from rcmd_tui.data.crypto import envelope, keystore
from rcmd_tui.data.demo import ordersync_seed, rcmd_seed
from rcmd_tui.data.demo.people import Person, link_people
from rcmd_tui.data.demo.scale import SCALES, Scale
from rcmd_tui.data.infra import connections
from rcmd_tui.errors import SeedError

RCMD_REDIS_PATTERNS = ("session:*", "user:sessions:*", "cache:*", "bull:jobs:*", "rate:*", "sse:*", "lock:*",
                       "stats:*", "timeseries:*")


@dataclass(frozen=True, slots=True)
class SeedResult:
    system: str
    counts: dict[str, int]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(v for k, v in self.counts.items() if k != "redis_keys")


def _has_rows(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM users)").fetchone()
    return bool(row and row[0])


def _truncate(conn: psycopg.Connection[tuple[object, ...]], schema: str) -> None:
    tables = [str(r[0]) for r in conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "AND c.relname <> 'schema_migrations'", [schema]).fetchall()]
    if tables:
        conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
            sql.SQL(", ").join([sql.Identifier(schema, t) for t in tables])))


def _make_empty(conn: psycopg.Connection[tuple[object, ...]], system: str, schema: str, reset: bool) -> None:
    conn.autocommit = True
    if _has_rows(conn):
        if not reset:
            raise SeedError(f"{system} already holds data", "pass --reset to empty it first (this deletes every row)")
        _truncate(conn, schema)


def _seed_rcmd(profile: Profile, scale: Scale, now: datetime, reset: bool) -> SeedResult:
    started = time.monotonic()
    assert profile.rcmd is not None and profile.rcmd_redis_url is not None
    client = connections.sync_redis(profile.rcmd_redis_url, profile.timeouts)
    seed_timeouts = profile.timeouts.__class__(statement_ms=0, lock_ms=30_000, idle_in_transaction_ms=0)
    with connections.connect("rcmd", profile.rcmd, seed_timeouts, read_only=False, app_suffix="-seed") as conn:
        _make_empty(conn, "rcmd", profile.rcmd.schema, reset)
        if reset:
            for pattern in RCMD_REDIS_PATTERNS:
                keys = list(client.scan_iter(match=pattern, count=1000))
                for i in range(0, len(keys), 1000):
                    client.delete(*keys[i:i + 1000])
        counts = rcmd_seed.seed(conn, client, scale, now)
    client.close()
    return SeedResult("rcmd", counts, time.monotonic() - started)


def _seed_ordersync(profile: Profile, keys: dict[str, bytes], scale: Scale, now: datetime, reset: bool) -> SeedResult:
    started = time.monotonic()
    assert profile.ordersync is not None
    seed_timeouts = profile.timeouts.__class__(statement_ms=0, lock_ms=30_000, idle_in_transaction_ms=0)
    with connections.connect("ordersync", profile.ordersync, seed_timeouts, read_only=False, app_suffix="-seed") as conn:
        _make_empty(conn, "ordersync", profile.ordersync.schema, reset)
        counts = ordersync_seed.seed(conn, keys, scale, now, profile.aad)
    return SeedResult("ordersync", counts, time.monotonic() - started)


def demo_keys(profile: Profile) -> dict[str, bytes]:
    """Fresh keys for every version in the plan, stored in the profile's keyring."""
    backend = keystore.open_backend(profile.keyring)
    keys = {}
    for key in ordersync_seed.KEY_PLAN:
        material = envelope.new_key()
        keystore.store_key(backend, profile.keyring.service, key.key_id, material)
        keys[key.key_id] = material
    return keys


def _leave_interrupts_to_the_parent() -> None:
    # Ctrl+C reaches the whole process group; the parent stops the servers and says so in one line, so a
    # worker must not print a traceback of its own (its connection fails once the servers are gone).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def seed_profile(profile: Profile, scale_name: str = "small", *, reset: bool = False,
                 now: datetime | None = None, progress: Callable[[str], None] | None = None,
                 parallel: bool = True, people_found: list[Person] | None = None) -> list[SeedResult]:
    """Seed every system of ``profile``; ``people_found`` (when given) receives the people linked across both."""
    if scale_name not in SCALES:
        raise SeedError(f"unknown scale {scale_name!r}", f"use one of {', '.join(SCALES)}")
    scale = SCALES[scale_name]
    now = now or datetime.now(UTC)
    jobs: list[tuple[Callable[..., SeedResult], tuple[object, ...]]] = []
    if profile.rcmd is not None:
        if profile.rcmd_redis_url is None:
            raise SeedError("the profile has RCMD PostgreSQL but no RCMD Redis", "set rcmd.redis_url: the two are seeded together")
        jobs.append((_seed_rcmd, (profile, scale, now, reset)))
    keys = demo_keys(profile) if profile.ordersync is not None else {}
    if profile.ordersync is not None:
        jobs.append((_seed_ordersync, (profile, keys, scale, now, reset)))
    if not jobs:
        raise SeedError("the profile names no PostgreSQL target", "configure rcmd and/or ordersync")
    results: list[SeedResult] = []
    if parallel and len(jobs) > 1:
        # fork: the children need nothing but their arguments, and start in milliseconds.
        with ProcessPoolExecutor(max_workers=len(jobs), mp_context=multiprocessing.get_context("fork"),
                                 initializer=_leave_interrupts_to_the_parent) as pool:
            futures = [pool.submit(fn, *args) for fn, args in jobs]
            results = [f.result() for f in futures]
    else:
        results = [fn(*args) for fn, args in jobs]
    for result in results:
        if progress:
            progress(f"{result.system}: {result.rows:,} rows, {result.counts.get('redis_keys', 0):,} Redis keys "
                     f"in {result.seconds:.1f} s")
    if profile.rcmd is not None and profile.ordersync is not None:
        people = link_people(profile, keys)
        if people_found is not None:
            people_found.extend(people)
        if progress and people:
            progress(f"{len(people)} people in both systems, e.g. :timeline {people[0].username}")
    return results
