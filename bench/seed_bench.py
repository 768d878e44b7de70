"""Seeding speed: `rcmd-tui db seed --scale large` on throwaway servers, in rows per second.

Baseline, measured in the same run on the same server: the naive way (executemany INSERT, one
statement per row) against our COPY path, for the same RCMD audit rows.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import itertools
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg

from rcmd_tui.config import KeyringSettings, PgTarget, Profile
from rcmd_tui.data.crypto.keystore import DemoFileKeyring
from rcmd_tui.data.demo import rcmd_seed
from rcmd_tui.data.demo.copy import copy_rows
from rcmd_tui.data.demo.scale import SCALES
from rcmd_tui.data.demo.seed import seed_profile
from rcmd_tui.data.infra import launcher, migrate

AUDIT_COLUMNS = ("user_id", "action", "resource_type", "resource_id", "details", "ip_address", "user_agent",
                 "result", "created_at")


def _audit_rows(n: int) -> list[tuple[object, ...]]:
    rng = random.Random(3)
    now = datetime.now(UTC)
    data = rcmd_seed.RcmdData()
    rcmd_seed._users(rng, SCALES["small"], now, data)
    scale = dataclasses.replace(SCALES["small"], rcmd_audit=n)
    return list(itertools.islice(rcmd_seed._audit(rng, scale, now, data), n))


def baseline(dsn: str, n: int) -> tuple[float, float]:
    rows = _audit_rows(n)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET search_path = rcmd, public")
        conn.execute("SET session_replication_role = replica")  # both sides skip the FK check alike
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(f"INSERT INTO audit_logs ({', '.join(AUDIT_COLUMNS)}) VALUES "
                            f"({', '.join(['%s'] * len(AUDIT_COLUMNS))})", rows)
        naive = n / (time.perf_counter() - started)
        started = time.perf_counter()
        with conn.transaction():
            copy_rows(conn, "audit_logs", AUDIT_COLUMNS, rows)
        ours = n / (time.perf_counter() - started)
    return ours, naive


@contextlib.contextmanager
def large_servers(systems: tuple[str, ...] = ("rcmd", "ordersync"), scale: str = "large",
                  report: bool = False) -> Iterator[Profile]:
    """Throwaway servers holding demo data at ``scale`` for ``systems``; stopped afterwards."""
    with launcher.running() as servers:
        with psycopg.connect(servers.pg.dsn(), autocommit=True) as conn:
            for db in (*systems, "scratch"):
                conn.execute(f'CREATE DATABASE "{db}"')
        for db in systems:
            with psycopg.connect(servers.pg.dsn(db)) as conn:
                migrate.migrate(conn, db, "public")
        profile = Profile(name="bench", rcmd=PgTarget(servers.pg.dsn("rcmd")) if "rcmd" in systems else None,
                          rcmd_redis_url=servers.redis.url() if "rcmd" in systems else None,
                          ordersync=PgTarget(servers.pg.dsn("ordersync")) if "ordersync" in systems else None,
                          keyring=KeyringSettings("rcmd-tui-bench", f"{DemoFileKeyring.__module__}.DemoFileKeyring",
                                                  str(servers.root / "keyring.cfg")))
        started = time.perf_counter()
        results = seed_profile(profile, scale)
        wall = time.perf_counter() - started
        if report:
            total = sum(r.rows for r in results)
            for r in results:
                print(f"seed {scale} {r.system:<10} {r.rows:>12,} rows  {r.seconds:8.1f} s  {r.rows / r.seconds:>10,.0f} rows/s")
            print(f"seed {scale} total      {total:>12,} rows  {wall:8.1f} s  {total / wall:>10,.0f} rows/s (wall clock)")
        with psycopg.connect(servers.pg.dsn("scratch")) as conn:
            migrate.migrate(conn, "rcmd", "rcmd")
            conn.execute("SELECT rcmd.ensure_audit_partitions((CURRENT_DATE - 400)::date, 3)")
            conn.execute("INSERT INTO rcmd.users (id, username, email, password_hash) "
                         "SELECT gen_random_uuid(), 'u', 'u@example.com', 'x'")
            conn.commit()
        yield profile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=tuple(SCALES), default="large")
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    parser.add_argument("--paging", action="store_true", help="then run bench.paging_bench on the same data")
    args = parser.parse_args()
    with large_servers(scale=args.scale, report=True) as profile:
        assert profile.rcmd is not None
        scratch = psycopg.conninfo.make_conninfo(profile.rcmd.dsn, dbname="scratch")
        ours, naive = baseline(scratch, args.baseline_rows)
        print(f"audit rows, same {args.baseline_rows:,} rows: COPY {ours:,.0f} rows/s vs executemany INSERT "
              f"{naive:,.0f} rows/s -> {ours / naive:.1f}x")
        if args.paging:
            from bench import paging_bench

            paging_bench.run(profile)


if __name__ == "__main__":
    main()
