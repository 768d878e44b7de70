"""The demo's activity simulator: jobs progress (with pub/sub), orders and logins arrive, and now
and then a slow query or a lock wait appears, so the monitoring screens have something to show.

Runs in daemon threads with its own connections (application_name rcmd-tui-live); stop() ends it.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg

from rcmd_tui.config import Profile, Timeouts
from rcmd_tui.data.crypto import keystore
from rcmd_tui.data.demo import ordersync_seed, vocab
from rcmd_tui.data.demo.rcmd_seed import BULL
from rcmd_tui.data.infra import connections

LIVE_TIMEOUTS = Timeouts(statement_ms=30_000, lock_ms=20_000, idle_in_transaction_ms=60_000)


@dataclass(frozen=True, slots=True)
class Pace:
    """Seconds between events; the demo's default reads like a quiet production afternoon."""

    job_tick: float = 1.0
    order_tick: float = 1.5
    slow_every: tuple[float, float] = (8.0, 20.0)
    slow_query: tuple[float, float] = (2.0, 5.0)
    lock_hold: tuple[float, float] = (3.0, 8.0)


class Simulator:
    def __init__(self, profile: Profile, seed: int = 99, pace: Pace | None = None) -> None:
        self.profile = profile
        self.pace = pace or Pace()
        self.rng = random.Random(seed)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.errors: list[str] = []

    def start(self) -> None:
        for target in (self._jobs, self._orders, self._slow_and_locks):
            thread = threading.Thread(target=self._guard, args=(target,), daemon=True, name=target.__name__)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _guard(self, target: object) -> None:
        assert callable(target)
        while not self._stop.is_set():
            try:
                target()
            except Exception as exc:  # the demo keeps going; the reason is kept for `errors`
                self.errors.append(f"{type(exc).__name__}: {exc}")
                self._stop.wait(2)

    def _jobs(self) -> None:
        profile = self.profile
        if profile.rcmd is None or profile.rcmd_redis_url is None:
            self._stop.wait(3600)
            return
        client = connections.sync_redis(profile.rcmd_redis_url, profile.timeouts)
        with connections.connect("rcmd", profile.rcmd, LIVE_TIMEOUTS, read_only=False, app_suffix="-live") as conn:
            conn.autocommit = True
            while not self._stop.wait(self.pace.job_tick):
                rows = conn.execute("SELECT id, progress FROM jobs WHERE status = 'running' ORDER BY random() LIMIT 5").fetchall()
                for job_id, progress in rows:
                    new = min(100, int(progress) + self.rng.randrange(1, 15))
                    if new >= 100:
                        conn.execute("UPDATE jobs SET status = 'completed', progress = 100, completed_at = now(), "
                                     "result = %s WHERE id = %s", [json.dumps({"files": self.rng.randrange(1, 500)}), job_id])
                        now_ms = int(time.time() * 1000)
                        client.lrem(f"{BULL}:active", 0, str(job_id))
                        client.zadd(f"{BULL}:completed", {str(job_id): now_ms})
                        client.hset(f"{BULL}:{job_id}", mapping={"progress": 100, "finishedOn": now_ms})
                        self._promote(conn, client)
                    else:
                        conn.execute("UPDATE jobs SET progress = %s WHERE id = %s", [new, job_id])
                        client.hset(f"{BULL}:{job_id}", "progress", new)
                    client.publish("pubsub:jobs", json.dumps({"jobId": str(job_id), "progress": new}))

    def _promote(self, conn: psycopg.Connection[tuple[object, ...]], client: object) -> None:
        row = conn.execute("UPDATE jobs SET status = 'running', started_at = now() WHERE id = ("
                           "SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at LIMIT 1) RETURNING id").fetchone()
        if row:
            job_id = str(row[0])
            client.lrem(f"{BULL}:wait", 0, job_id)  # type: ignore[attr-defined]
            client.lpush(f"{BULL}:active", job_id)  # type: ignore[attr-defined]
            client.hset(f"{BULL}:{job_id}", "processedOn", int(time.time() * 1000))  # type: ignore[attr-defined]

    def _orders(self) -> None:
        profile = self.profile
        if profile.ordersync is None:
            self._stop.wait(3600)
            return
        backend = keystore.open_backend(profile.keyring)
        keys = {}
        for key in ordersync_seed.KEY_PLAN:
            material = keystore.fetch_key(backend, profile.keyring.service, key.key_id)
            if material:
                keys[key.key_id] = material
        with connections.connect("ordersync", profile.ordersync, LIVE_TIMEOUTS, read_only=False, app_suffix="-live") as conn:
            conn.autocommit = True
            while not self._stop.wait(self.pace.order_tick):
                now = datetime.now(UTC)
                sealer = ordersync_seed.Sealer(keys, now, profile.aad)
                failed = self.rng.random() < 0.35
                email_hash_row = conn.execute("SELECT email_hash FROM users ORDER BY random() LIMIT 1").fetchone()
                if email_hash_row:
                    lid = uuid.uuid4()
                    ip_enc, ip_key = sealer.seal("pii", now, "login_attempts", "ip_address", vocab.ipv4(self.rng), lid)
                    conn.execute("INSERT INTO login_attempts (id, email_hash, ip_address_encrypted, ip_key_id, success, "
                                 "failure_reason) VALUES (%s, %s, %s, %s, %s, %s)",
                                 [lid, email_hash_row[0], ip_enc, ip_key, not failed, "INVALID_PASSWORD" if failed else None])
                menu = conn.execute("SELECT restaurant_id, id, price FROM menus WHERE is_available ORDER BY random() LIMIT 1").fetchone()
                if menu:
                    oid = uuid.uuid4()
                    qty = self.rng.randrange(1, 3)
                    subtotal = int(str(menu[2])) * qty
                    tax = round(subtotal * 0.1)
                    items, items_key = sealer.seal("pii", now, "orders", "items",
                                                   json.dumps([{"menu_id": str(menu[1]), "quantity": qty}]), oid)
                    conn.execute("INSERT INTO orders (id, restaurant_id, items_encrypted, items_key_id, subtotal, "
                                 "tax_amount, total_amount) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                                 [oid, menu[0], items, items_key, subtotal, tax, subtotal + tax])
                    conn.execute("INSERT INTO order_status_history (order_id, new_status) VALUES (%s, 'PENDING')", [oid])

    def _slow_and_locks(self) -> None:
        profile = self.profile
        if profile.rcmd is None:
            self._stop.wait(3600)
            return
        if self._stop.wait(self.rng.uniform(*self.pace.slow_every)):
            return
        with connections.connect("rcmd", profile.rcmd, LIVE_TIMEOUTS, app_suffix="-live") as slow:
            slow.execute("SELECT pg_sleep(%s), count(*) FROM audit_logs WHERE details ? 'method'",
                         [self.rng.uniform(*self.pace.slow_query)])
        row = None
        with connections.connect("rcmd", profile.rcmd, LIVE_TIMEOUTS, read_only=False, app_suffix="-live") as holder:
            with holder.transaction():
                row = holder.execute("SELECT id FROM jobs ORDER BY created_at DESC LIMIT 1 FOR UPDATE").fetchone()
                if row is None:
                    return
                waiter = threading.Thread(target=self._wait_on_lock, args=(row[0],), daemon=True)
                waiter.start()
                self._stop.wait(self.rng.uniform(*self.pace.lock_hold))
            waiter.join(timeout=LIVE_TIMEOUTS.lock_ms / 1000)

    def _wait_on_lock(self, job_id: object) -> None:
        assert self.profile.rcmd is not None
        with connections.connect("rcmd", self.profile.rcmd, LIVE_TIMEOUTS, read_only=False, app_suffix="-live") as conn:
            conn.autocommit = True
            conn.execute("UPDATE jobs SET priority = priority WHERE id = %s", [job_id])
