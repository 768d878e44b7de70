"""Opening an OrderSync order with its timeline, at the ``large`` scale (500,000 orders), issue 15.

Throwaway servers from the launcher; an ``ordersync`` database, migrated and seeded by the demo seeder at the
chosen scale (keys in a throwaway file keyring). Targets: orders that have a customer and a payment, spread over
the year, and their customers' e-mail addresses (decrypted once, before timing).

For each target, what the console does when support opens an order, timed end to end in the console's own data
path (rcmd_tui.data.lists.engine.open_source over the orders view, its enrichers decrypting the restaurant's
name and the customer's e-mail, then rcmd_tui.data.ordersync.order_timeline.read_timeline with its decryption):

- by id:      the list filtered ``id=<order>`` (first page), then that order's timeline
- by e-mail:  the list filtered ``customer=<e-mail>`` (the hash look-up, the customer's newest 100 orders), then
              the newest order's timeline

beside the same SQL run bare with psycopg in the same run (the page query and the timeline's queries, no
decryption, no enrichment): the floor of what the database alone costs. Goal: each at most 150 ms median.

Run: ``.venv/bin/python -m bench.orders_bench [--scale large|small] [--targets 30]``. It always exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from rcmd_tui.config import KeyringSettings, PgTarget, Profile
from rcmd_tui.data.crypto.columns import column
from rcmd_tui.data.crypto.decrypt import Plain
from rcmd_tui.data.crypto.keystore import DemoFileKeyring
from rcmd_tui.data.demo import ordersync_seed
from rcmd_tui.data.demo.scale import SCALES
from rcmd_tui.data.demo.seed import demo_keys
from rcmd_tui.data.infra import launcher, migrate
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.filters import compile_filter
from rcmd_tui.data.lists.keyset import _select_list as select_list
from rcmd_tui.data.lists.keyset import page_query
from rcmd_tui.data.lists.sources import PAGE_SIZE
from rcmd_tui.data.ordersync import order_timeline as tl
from rcmd_tui.data.ordersync.orders import ORDERSYNC_ORDERS

TARGET_MS = 150.0
REPEAT = 3


def prepare(servers: launcher.Servers, profile: Profile, scale: str) -> None:
    with psycopg.connect(servers.pg.dsn(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE ordersync")
    with psycopg.connect(servers.pg.dsn("ordersync")) as conn:
        migrate.migrate(conn, "ordersync", "public", progress=None)
    with psycopg.connect(servers.pg.dsn("ordersync")) as conn:
        counts = ordersync_seed.seed(conn, demo_keys(profile), SCALES[scale], datetime.now(UTC), profile.aad)
    print(f"  {counts['orders']:,} orders, {counts['payments']:,} payments, {counts['audit_logs']:,} audit rows", flush=True)


def targets(profile: Profile, n: int) -> list[tuple[str, str]]:
    """(order id, its customer's e-mail) for ``n`` orders with a customer and a payment, spread over the table."""
    assert profile.ordersync is not None
    with psycopg.connect(profile.ordersync.dsn) as conn:
        rows = conn.execute(
            "SELECT o.id::text, u.id, u.email_encrypted, u.email_key_id FROM orders o TABLESAMPLE SYSTEM (5) REPEATABLE (7) "
            "JOIN users u ON u.id = o.customer_id WHERE EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id) "
            "LIMIT %s", [n]).fetchall()
    return [(oid, email) for oid, email in asyncio.run(_emails(profile, rows))]


async def _emails(profile: Profile, rows: list[tuple[Any, ...]]) -> list[tuple[str, str]]:
    services = Services(profile, read_only=True)
    await services.open()
    try:
        decryptor = await services.decryptor("ordersync")
        found = []
        for oid, uid, text, key_id in rows:
            email = decryptor.field(column("users", "email"), text, key_id, uid)
            if isinstance(email, Plain):
                found.append((oid, email.text))
        return found
    finally:
        await services.close()


async def _ours(profile: Profile, chosen: list[tuple[str, str]]) -> dict[str, list[float]]:
    services = Services(profile, read_only=True)
    await services.open()
    try:
        decryptor = await services.decryptor("ordersync")
        decryptor.prefetch()
        reader = services.reader("ordersync")
        samples: dict[str, list[float]] = {"by id": [], "by e-mail": []}
        for oid, _email in chosen[:2]:  # the pool's connections open, the plans are cached
            await open_source(ORDERSYNC_ORDERS, services, None, compile_filter(ORDERSYNC_ORDERS, f"id={oid}")).first()
            await tl.read_timeline(reader, decryptor, oid)
        for _ in range(REPEAT):
            for oid, email in chosen:
                started = time.perf_counter()
                page = await open_source(ORDERSYNC_ORDERS, services, None, compile_filter(ORDERSYNC_ORDERS, f"id={oid}")).first()
                timeline = await tl.read_timeline(reader, decryptor, str(page.records[0].get("id")))
                samples["by id"].append(time.perf_counter() - started)
                assert timeline.moments
                started = time.perf_counter()
                flt = compile_filter(ORDERSYNC_ORDERS, f'customer="{email}"')
                page = await open_source(ORDERSYNC_ORDERS, services, None, flt).first()
                timeline = await tl.read_timeline(reader, decryptor, str(page.records[0].get("id")))
                samples["by e-mail"].append(time.perf_counter() - started)
                assert timeline.moments
        return samples
    finally:
        await services.close()


def _bare_timeline(conn: psycopg.Connection[Any], oid: str) -> None:
    """The timeline's queries as read_timeline runs them, without decrypting anything."""
    row = conn.execute(tl._ORDER, [oid]).fetchone()
    assert row is not None
    history = conn.execute(tl._HISTORY, [oid]).fetchall()
    payment = conn.execute(tl._PAYMENT, [oid]).fetchone()
    if payment is not None:
        conn.execute(tl._EVENTS, [payment[0]]).fetchall()
        conn.execute(tl._REFUNDS, [payment[0]]).fetchall()
    audit = conn.execute(tl._AUDIT, [row[0] - tl.SKEW, list(tl.ORDER_TYPES), oid, list(tl.PAYMENT_TYPES),
                                     str(payment[0]) if payment else "", tl.AUDIT_LIMIT + 1]).fetchall()
    people = {r[2] for r in history if r[2]} | {r[3] for r in audit if r[3]}
    if people:
        conn.execute(tl._USERS, [list(people)]).fetchall()


ID_AT = select_list(ORDERSYNC_ORDERS)[1].index("id")


def _bare(profile: Profile, chosen: list[tuple[str, str]]) -> dict[str, list[float]]:
    assert profile.ordersync is not None
    order = ORDERSYNC_ORDERS.ordering()
    samples: dict[str, list[float]] = {"by id": [], "by e-mail": []}
    with psycopg.connect(profile.ordersync.dsn, autocommit=True) as conn:
        for _ in range(REPEAT):
            for oid, email in chosen:
                started = time.perf_counter()
                flt = compile_filter(ORDERSYNC_ORDERS, f"id={oid}")
                conn.execute(*page_query(ORDERSYNC_ORDERS, order, flt, None, PAGE_SIZE + 1)).fetchall()
                _bare_timeline(conn, oid)
                samples["by id"].append(time.perf_counter() - started)
                started = time.perf_counter()
                flt = compile_filter(ORDERSYNC_ORDERS, f'customer="{email}"')
                rows = conn.execute(*page_query(ORDERSYNC_ORDERS, order, flt, None, PAGE_SIZE + 1)).fetchall()
                newest = rows[0][ID_AT] if rows else oid
                _bare_timeline(conn, str(newest))
                samples["by e-mail"].append(time.perf_counter() - started)
    return samples


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=tuple(SCALES), default="large")
    parser.add_argument("--targets", type=int, default=30)
    args = parser.parse_args()
    print(f"orders bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: seeding OrderSync at the {args.scale} scale "
          "in throwaway servers ...", flush=True)
    with launcher.running() as servers, tempfile.TemporaryDirectory() as tmp:
        keyring = KeyringSettings("rcmd-tui-bench-orders", f"{DemoFileKeyring.__module__}.DemoFileKeyring",
                                  str(Path(tmp) / "keyring.cfg"))
        profile = Profile(name="bench", ordersync=PgTarget(servers.pg.dsn("ordersync"), schema="public"), role="support",
                          keyring=keyring)
        started = time.monotonic()
        prepare(servers, profile, args.scale)
        print(f"  seeded in {time.monotonic() - started:.0f} s", flush=True)
        chosen = targets(profile, args.targets)
        ours = asyncio.run(_ours(profile, chosen))
        bare = _bare(profile, chosen)
    print(f"\nOpening an order with its timeline: {len(chosen)} orders x {REPEAT}, median "
          f"(goal: at most {TARGET_MS:.0f} ms)")
    print(f"  {'':<10} {'console (ms)':>13} {'bare SQL (ms)':>14} {'ratio':>6}  verdict")
    for name in ("by id", "by e-mail"):
        mine, floor = _ms(ours[name]), _ms(bare[name])
        print(f"  {name:<10} {mine:>13.1f} {floor:>14.1f} {mine / floor:>5.1f}x  {'PASS' if mine <= TARGET_MS else 'FAIL'}")


if __name__ == "__main__":
    main()
