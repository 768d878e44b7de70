"""The demo's activity simulator: jobs progress (with pub/sub), orders and logins arrive, and now and then
something for the monitoring screens to show, the first of each starting within 12 s (``Pace.first``):

- a slow statement (a ``pg_sleep`` of seconds: a mean far over the 100 ms the slow-queries view marks);
- a lock wait: one session holds a job row, another waits on it for ``Pace.lock_hold`` seconds (the locks
  tree roots the holder, the waiter under it);
- idle-in-transaction sessions (application_name ``rcmd-tui-live-idle``) left open for tens of seconds;
- a failed-login burst from one IP: OrderSync ``login_attempts`` (five or more for one ``email_hash``) and
  ``LOGIN`` audit rows for more than ten accounts, the IP sealed as the seeder seals it, and RCMD's Redis
  ``rate:login:{ip}`` counter (INCR, TTL 300) past the five the Redis health view calls blocked;
- a session whose two stores drift apart, one of the four kinds the sessions list shows (``redis-only``: a
  logout that made the row inactive but never reached Redis; ``pg-only``: a key lost, as to an eviction;
  ``ttl``: a key that lost its expiry; ``member-no-key``: a logout that removed the key, not the set member).

Runs in daemon threads with its own connections (application_name ``rcmd-tui-live``, ``-live-idle`` for the
idle transactions); errors are kept in ``errors``, never raised; ``stop()`` ends it within a second or so (it
cancels a statement still running).
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from rcmd_tui.config import PgTarget, Profile, Timeouts
from rcmd_tui.data.crypto import envelope, keystore
from rcmd_tui.data.demo import ordersync_seed, vocab
from rcmd_tui.data.demo.rcmd_seed import BULL
from rcmd_tui.data.infra import connections
from rcmd_tui.data.rcmd import bull

LIVE_TIMEOUTS = Timeouts(statement_ms=30_000, lock_ms=20_000, idle_in_transaction_ms=60_000)
# The seed's login limiter: "rate:login:{ip}, INCR, TTL 300" (the window starts at the first attempt).
RATE_LOGIN_KEY = "rate:login:{ip}"
RATE_LOGIN_TTL_S = 300
BURST_AGENT = "python-requests/2.32"  # what the seeder's bursts carry too

Conn = psycopg.Connection[tuple[Any, ...]]

# What an idle-in-transaction session ran last: a plain read (it holds no lock the simulator's own writes or
# the console's actions wait on; only DDL on the table would).
IDLE_READS = {
    "rcmd": "SELECT id, username, last_login_at FROM users ORDER BY last_login_at DESC NULLS LAST LIMIT 20",
    "ordersync": "SELECT id, status, total_amount FROM orders WHERE status = 'PENDING' ORDER BY created_at DESC LIMIT 20",
}


BUSY = 5  # the demo's workers keep at least this many jobs running
MONEY_SLIP_AFTER_S = 60.0  # :reconcile finds nothing in the seed; a minute in, the demo gives it two slips


@dataclass(frozen=True, slots=True)
class Pace:
    """Seconds between events; the demo's default reads like a quiet production afternoon with an incident or
    two. The first of each kind comes within ``first``, the next ones every ``*_every``."""

    job_tick: float = 1.0
    order_tick: float = 1.5
    first: tuple[float, float] = (2.0, 12.0)
    slow_every: tuple[float, float] = (8.0, 20.0)
    slow_query: tuple[float, float] = (2.0, 5.0)
    lock_every: tuple[float, float] = (15.0, 30.0)
    lock_hold: tuple[float, float] = (8.0, 18.0)  # how long the waiter waits: long enough to find it and act
    idle_every: tuple[float, float] = (40.0, 90.0)  # from the end of one idle episode to the next
    idle_hold: tuple[float, float] = (20.0, 45.0)  # under LIVE_TIMEOUTS' idle_in_transaction limit (60 s)
    burst_every: tuple[float, float] = (180.0, 360.0)
    burst_tick: tuple[float, float] = (0.2, 0.6)  # between one failed login and the next
    burst_victim: tuple[int, int] = (6, 9)  # failures on the one account the IP keeps trying
    burst_accounts: tuple[int, int] = (12, 15)  # distinct accounts it tries, the victim included (> 10)
    drift_every: tuple[float, float] = (60.0, 120.0)


@dataclass(frozen=True, slots=True)
class Burst:
    """A finished failed-login burst, as the monitoring views should find it."""

    ip: str
    email_hash: str  # the account tried again and again: the login-burst signal
    victim_failures: int
    attempts: int  # every failed login from the IP: the rate:login counter's share
    accounts: int  # distinct accounts tried: the shared-IP signal when more than ten


class Simulator:
    def __init__(self, profile: Profile, seed: int = 99, pace: Pace | None = None) -> None:
        self.profile = profile
        self.pace = pace or Pace()
        self.rng = random.Random(seed)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._begun: set[str] = set()
        self._running: set[Conn] = set()  # connections with a long statement in flight: stop() cancels them
        self._running_lock = threading.Lock()
        self.errors: list[str] = []
        self.bursts: list[Burst] = []
        self.drifts: list[tuple[str, str]] = []  # (kind, session id) of each session made to drift

    def start(self) -> None:
        for target in (self._jobs, self._orders, self._slow_queries, self._lock_waits, self._idle_transactions,
                       self._login_bursts, self._session_drift):
            thread = threading.Thread(target=self._guard, args=(target,), daemon=True, name=target.__name__)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        with self._running_lock:
            running = list(self._running)
        for conn in running:
            with contextlib.suppress(Exception):  # it may have finished or closed meanwhile
                conn.cancel_safe(timeout=1)
        for thread in self._threads:
            thread.join(timeout=5)

    def _guard(self, target: Callable[[], None]) -> None:
        while not self._stop.is_set():
            try:
                target()
            except Exception as exc:  # the demo keeps going; the reason is kept for `errors`
                if self._stop.is_set():
                    return  # a statement cancelled by stop()
                self.errors.append(f"{type(exc).__name__}: {exc}")
                self._stop.wait(2)

    def _pause(self, kind: str, every: tuple[float, float]) -> bool:
        """Waits before the next episode of ``kind`` (the first within ``Pace.first``); True when stopping."""
        first = kind not in self._begun
        self._begun.add(kind)
        return self._stop.wait(self.rng.uniform(*(self.pace.first if first else every)))

    @contextlib.contextmanager
    def _cancellable(self, conn: Conn) -> Iterator[None]:
        with self._running_lock:
            self._running.add(conn)
        try:
            yield
        finally:
            with self._running_lock:
                self._running.discard(conn)

    def _ordersync_keys(self) -> dict[str, bytes]:
        backend = keystore.open_backend(self.profile.keyring)
        keys = {}
        for key in ordersync_seed.KEY_PLAN:
            material = keystore.fetch_key(backend, self.profile.keyring.service, key.key_id)
            if material:
                keys[key.key_id] = material
        return keys

    # -- steady activity ----------------------------------------------------------------------------

    def _jobs(self) -> None:
        profile = self.profile
        if profile.rcmd is None or profile.rcmd_redis_url is None:
            self._stop.wait(3600)
            return
        client = connections.sync_redis(profile.rcmd_redis_url, profile.timeouts)
        with connections.connect("rcmd", profile.rcmd, LIVE_TIMEOUTS, read_only=False, app_suffix="-live") as conn:
            conn.autocommit = True
            while not self._stop.wait(self.pace.job_tick):
                self._extend_locks(conn, client)
                rows = conn.execute("SELECT id, progress FROM jobs WHERE status = 'running' ORDER BY random() LIMIT 5").fetchall()
                for job_id, progress in rows:
                    if not client.exists(bull.lock_key(job_id)):
                        continue  # no worker holds it (the seed's stalled job): nothing moves it on
                    new = min(100, int(progress) + self.rng.randrange(1, 15))
                    if new >= 100:
                        conn.execute("INSERT INTO job_logs (job_id, level, message) VALUES (%s, 'info', 'completed')", [job_id])
                        conn.execute("UPDATE jobs SET status = 'completed', progress = 100, completed_at = now(), "
                                     "result = %s WHERE id = %s", [json.dumps({"files": self.rng.randrange(1, 500)}), job_id])
                        now_ms = int(time.time() * 1000)
                        client.lrem(f"{BULL}:active", 0, str(job_id))
                        client.delete(bull.lock_key(job_id), bull.bull_lock_key(job_id))  # a worker lets go when done
                        client.zadd(f"{BULL}:completed", {str(job_id): now_ms})
                        client.hset(f"{BULL}:{job_id}", mapping={"progress": 100, "finishedOn": now_ms})
                        self._promote(conn, client)
                    else:
                        conn.execute("UPDATE jobs SET progress = %s WHERE id = %s", [new, job_id])
                        if new // 25 > int(progress) // 25:  # a line each quarter, for a detail to follow
                            conn.execute("INSERT INTO job_logs (job_id, level, message, details) VALUES (%s, %s, %s, %s)",
                                         [job_id, "warning" if self.rng.random() < 0.2 else "info",
                                          f"{new}% transferred", json.dumps({"progress": new})])
                        client.hset(f"{BULL}:{job_id}", "progress", new)
                    client.publish("pubsub:jobs", json.dumps({"jobId": str(job_id), "progress": new}))
                self._keep_busy(conn, client)

    @staticmethod
    def _extend_locks(conn: Conn, client: Any) -> None:
        """Each live worker extends its lock (TTL 5 min), as RCMD's do; XX: a lock that is gone stays gone (the
        seed's stalled job keeps showing as no-lock in :queue)."""
        running = conn.execute("SELECT id FROM jobs WHERE status = 'running'").fetchall()
        pipe = client.pipeline(transaction=False)
        for (job_id,) in running:
            pipe.set(bull.lock_key(job_id), f"worker-{job_id.hex[:6]}", ex=300, xx=True)
        pipe.execute()

    def _keep_busy(self, conn: Conn, client: Any) -> None:
        """Workers never run out of work: below BUSY running jobs, a user queues a new one (row, Bull hash, wait
        list) and a worker takes the oldest queued, so the demo's jobs keep moving however long it stays open."""
        row = conn.execute("SELECT count(*) FROM jobs WHERE status = 'running'").fetchone()
        if row is None or int(row[0]) > BUSY:  # the stalled job counts too: it is running for PostgreSQL
            return
        if conn.execute("SELECT 1 FROM jobs WHERE status = 'queued' LIMIT 1").fetchone() is None:
            kind = self.rng.choice(("copy", "sync", "backup", "move"))
            payload = {"source": f"gdrive:/team/{self.rng.randrange(1, 400)}", "destination": "s3:/archive"}
            new = conn.execute(
                "INSERT INTO jobs (user_id, type, status, priority, payload) "
                "SELECT id, %s, 'queued', %s, %s FROM users WHERE is_active ORDER BY random() LIMIT 1 RETURNING id, created_at",
                [kind, self.rng.randrange(1, 11), json.dumps(payload)]).fetchone()
            if new is not None:
                job_id, created = str(new[0]), int(new[1].timestamp() * 1000)
                client.hset(f"{BULL}:{job_id}", mapping={"name": kind, "data": json.dumps(payload), "timestamp": created,
                                                         "progress": 0, "attemptsMade": 0})
                client.lpush(f"{BULL}:wait", job_id)
        self._promote(conn, client)

    def _promote(self, conn: Conn, client: object) -> None:
        row = conn.execute("UPDATE jobs SET status = 'running', started_at = now() WHERE id = ("
                           "SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at LIMIT 1) RETURNING id").fetchone()
        if row:
            job_id = str(row[0])
            client.lrem(f"{BULL}:wait", 0, job_id)  # type: ignore[attr-defined, unused-ignore]
            client.lpush(f"{BULL}:active", job_id)  # type: ignore[attr-defined, unused-ignore]
            client.hset(f"{BULL}:{job_id}", "processedOn", int(time.time() * 1000))  # type: ignore[attr-defined, unused-ignore]
            client.set(bull.lock_key(job_id), f"worker-{row[0].hex[:6]}", ex=300)  # type: ignore[attr-defined, unused-ignore]

    def _orders(self) -> None:
        profile = self.profile
        if profile.ordersync is None:
            self._stop.wait(3600)
            return
        keys = self._ordersync_keys()
        began, slipped = time.monotonic(), False
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
                self._place_order(conn, keys, sealer, now)
                self._move_an_order_on(conn)
                if not slipped and time.monotonic() - began > MONEY_SLIP_AFTER_S:
                    slipped = self._money_slips(conn)

    def _place_order(self, conn: Conn, keys: dict[str, bytes], sealer: ordersync_seed.Sealer, now: datetime) -> None:
        """A customer (or, one time in five, an anonymous guest with a token) orders a dish; the card is authorized."""
        menu = conn.execute("SELECT restaurant_id, id, price, name_encrypted, name_key_id FROM menus WHERE is_available "
                            "ORDER BY random() LIMIT 1").fetchone()
        if not menu:
            return
        customer = None
        if self.rng.random() < 0.8:
            row = conn.execute("SELECT id FROM users WHERE role = 'CUSTOMER' AND status = 'ACTIVE' ORDER BY random() LIMIT 1").fetchone()
            customer = row[0] if row else None
        oid = uuid.uuid4()
        qty = self.rng.randrange(1, 3)
        price = int(str(menu[2]))
        subtotal = price * qty
        tax = round(subtotal * 0.1)
        item = {"menu_id": str(menu[1]), "name": self._menu_name(keys, menu[1], menu[3], menu[4]), "price": price, "quantity": qty}
        items, items_key = sealer.seal("pii", now, "orders", "items", json.dumps([item], ensure_ascii=False), oid)
        token = None if customer else f"{self.rng.getrandbits(256):064x}"
        conn.execute("INSERT INTO orders (id, restaurant_id, customer_id, items_encrypted, items_key_id, subtotal, tax_amount, "
                     "total_amount, anonymous_token, anonymous_expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                     [oid, menu[0], customer, items, items_key, subtotal, tax, subtotal + tax, token,
                      now + timedelta(hours=24) if token else None])
        conn.execute("INSERT INTO order_status_history (order_id, new_status, changed_by) VALUES (%s, 'PENDING', %s)", [oid, customer])
        pid = uuid.uuid4()
        method = self.rng.choice(("CARD", "CARD", "KAKAOPAY", "TOSSPAY"))
        fee = round((subtotal + tax) * ordersync_seed.FEE_RATE[method])
        ext, ext_key = sealer.seal("payment", now, "payments", "external_id", f"tgen_{pid.hex[:20]}", pid)
        card = f"{self.rng.choice(vocab.CARD_ISSUERS)} {self.rng.randrange(1000, 9999)}-****-****-{self.rng.randrange(10000):04d}"
        card_enc, card_key = sealer.seal("payment", now, "payments", "card_info", card if method == "CARD" else None, pid)
        conn.execute("INSERT INTO payments (id, order_id, amount, fee, net_amount, payment_method, external_id_encrypted, "
                     "external_key_id, card_info_encrypted, card_info_key_id, status, authorized_at) "
                     "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'AUTHORIZED', now())",
                     [pid, oid, subtotal + tax, fee, subtotal + tax - fee, method, ext, ext_key, card_enc, card_key])
        conn.execute("INSERT INTO payment_events (payment_id, event_type, amount) VALUES (%s, 'AUTHORIZED', %s)", [pid, subtotal + tax])

    def _move_an_order_on(self, conn: Conn) -> None:
        """The restaurant moves one open, authorized order a step on (accepted, preparing, ready, completed), as OrderSync writes it:
        the status and its time on the row, the version, a history row; completed captures the payment."""
        row = conn.execute("SELECT o.id, o.status, r.owner_id FROM orders o JOIN restaurants r ON r.id = o.restaurant_id "
                           "WHERE o.status IN ('PENDING', 'ACCEPTED', 'PREPARING', 'READY') AND o.created_at < now() - interval '20 s' "
                           # paid for (authorized): completing it captures the money, so :reconcile has nothing to say
                           "AND EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'AUTHORIZED') "
                           "ORDER BY random() LIMIT 1").fetchone()
        if row is None:
            return
        oid, status, owner = row
        flow = ordersync_seed.ORDER_FLOW
        new = flow[flow.index(status) + 1]
        stamp = {"ACCEPTED": "accepted_at", "PREPARING": "preparing_at", "READY": "ready_at", "COMPLETED": "completed_at"}[new]
        conn.execute(sql.SQL("UPDATE orders SET status = %s, {} = now(), version = version + 1, estimated_time = "
                             "coalesce(estimated_time, %s) WHERE id = %s AND status = %s").format(sql.Identifier(stamp)),
                     [new, self.rng.randrange(10, 45), oid, status])
        conn.execute("INSERT INTO order_status_history (order_id, old_status, new_status, changed_by) VALUES (%s, %s, %s, %s)",
                     [oid, status, new, owner])
        if new == "COMPLETED":
            paid = conn.execute("UPDATE payments SET status = 'CAPTURED', captured_at = now(), version = version + 1 "
                                "WHERE order_id = %s AND status = 'AUTHORIZED' RETURNING id, amount", [oid]).fetchone()
            if paid:
                conn.execute("INSERT INTO payment_events (payment_id, event_type, amount) VALUES (%s, 'CAPTURED', %s)", list(paid))

    def _menu_name(self, keys: dict[str, bytes], menu_id: object, text: object, key_id: object) -> str:
        """The dish's name as the application writes it into an order's items (it knows it in plain)."""
        try:
            aad = envelope.aad_for(self.profile.aad, "menus", "name", menu_id)
            return envelope.decrypt(envelope.cipher_for(keys[str(key_id)]), str(text), aad)
        except Exception:  # a key the keyring lacks, a tampered name: the order is still placed
            return "?"

    def _money_slips(self, conn: Conn) -> bool:
        """Once, a minute in: a payment captured twice (the gateway retried) and an order cancelled with its card
        hold left in place, for :reconcile to find (capture-not-amount, held-on-cancelled); the seed itself is
        clean, so those are the demo's only ones."""
        twice = conn.execute("SELECT p.id, p.amount FROM payments p WHERE p.status = 'CAPTURED' ORDER BY p.created_at DESC "
                             "LIMIT 1").fetchone()
        held = conn.execute("SELECT p.order_id FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.status = 'AUTHORIZED' "
                            "AND o.status IN ('ACCEPTED', 'PREPARING') ORDER BY o.created_at LIMIT 1").fetchone()
        if twice is not None:
            conn.execute("INSERT INTO payment_events (payment_id, event_type, amount) VALUES (%s, 'CAPTURED', %s)", list(twice))
        if held is not None:
            conn.execute("UPDATE orders SET status = 'CANCELLED', cancelled_at = now(), version = version + 1 WHERE id = %s", held)
            conn.execute("INSERT INTO order_status_history (order_id, old_status, new_status, reason) "
                         "SELECT id, 'PREPARING', 'CANCELLED', 'kitchen closed early' FROM orders WHERE id = %s", held)
        return True

    # -- incidents ------------------------------------------------------------------------------------

    def _slow_queries(self) -> None:
        """A report that takes seconds: in pg_stat_statements its mean is far over the 100 ms mark."""
        profile = self.profile
        if profile.rcmd is None:
            self._stop.wait(3600)
            return
        if self._pause("slow", self.pace.slow_every):
            return
        with connections.connect("rcmd", profile.rcmd, LIVE_TIMEOUTS, app_suffix="-live") as slow, self._cancellable(slow):
            if not self._stop.is_set():
                slow.execute("SELECT pg_sleep(%s), count(*) FROM audit_logs WHERE details ? 'method'",
                             [self.rng.uniform(*self.pace.slow_query)])

    def _lock_waits(self) -> None:
        """One session holds the newest job row (FOR UPDATE, then idle in its transaction); another updates the
        row and waits. The hold is timed from when the waiter is about to send its UPDATE, so it waits the whole
        ``lock_hold``: long enough to be seen in the locks tree, the holder as its root."""
        profile = self.profile
        if profile.rcmd is None:
            self._stop.wait(3600)
            return
        if self._pause("lock", self.pace.lock_every):
            return
        with connections.connect("rcmd", profile.rcmd, LIVE_TIMEOUTS, read_only=False, app_suffix="-live") as holder:
            with holder.transaction():
                row = holder.execute("SELECT id FROM jobs ORDER BY created_at DESC LIMIT 1 FOR UPDATE").fetchone()
                if row is None:
                    return
                ready = threading.Event()
                waiter = threading.Thread(target=self._wait_on_lock, args=(profile.rcmd, row[0], ready), daemon=True,
                                          name="_wait_on_lock")
                waiter.start()
                if not ready.wait(LIVE_TIMEOUTS.connect_s) or self._stop.is_set():
                    return
                self._stop.wait(self.rng.uniform(*self.pace.lock_hold))
            waiter.join(timeout=LIVE_TIMEOUTS.lock_ms / 1000)

    def _wait_on_lock(self, target: PgTarget, job_id: object, ready: threading.Event) -> None:
        try:
            with connections.connect("rcmd", target, LIVE_TIMEOUTS, read_only=False, app_suffix="-live") as conn:
                conn.autocommit = True
                ready.set()
                conn.execute("UPDATE jobs SET priority = priority WHERE id = %s", [job_id])
        except Exception as exc:  # not under _guard: kept the same way
            ready.set()
            if not self._stop.is_set():
                self.errors.append(f"{type(exc).__name__}: {exc}")

    def _idle_transactions(self) -> None:
        """One or two sessions that read, then sit in their open transaction for tens of seconds (the first on
        RCMD, a second on OrderSync when there is one), then end, each at its own time."""
        profile = self.profile
        targets = [(system, pg) for system, pg in (("rcmd", profile.rcmd), ("ordersync", profile.ordersync)) if pg]
        if not targets:
            self._stop.wait(3600)
            return
        if self._pause("idle", self.pace.idle_every):
            return
        limit = LIVE_TIMEOUTS.idle_in_transaction_ms / 1000 - 5  # the server would end it first, and say so
        with contextlib.ExitStack() as stack:
            open_: list[tuple[float, Conn]] = []
            for i in range(self.rng.choice((1, 2))):
                system, pg = targets[i % len(targets)]
                conn = stack.enter_context(connections.connect(system, pg, LIVE_TIMEOUTS, app_suffix="-live-idle"))
                conn.execute(IDLE_READS[system])  # not autocommit: the transaction stays open
                open_.append((time.monotonic() + min(limit, self.rng.uniform(*self.pace.idle_hold)), conn))
            for end, conn in sorted(open_, key=lambda pair: pair[0]):
                if self._stop.wait(max(0.0, end - time.monotonic())):
                    return
                conn.rollback()
                conn.close()

    def _login_bursts(self) -> None:
        """One IP fails to log in again and again: at one account (``burst_victim`` times) and once each at
        others (``burst_accounts`` in all), as login_attempts, LOGIN audit rows and RCMD's rate:login counter."""
        profile = self.profile
        if profile.ordersync is None:
            self._stop.wait(3600)
            return
        if self._pause("burst", self.pace.burst_every):
            return
        keys = self._ordersync_keys()
        client = connections.sync_redis(profile.rcmd_redis_url, profile.timeouts) if profile.rcmd_redis_url else None
        ip = vocab.ipv4(self.rng)
        rate_key = RATE_LOGIN_KEY.format(ip=ip)
        with contextlib.ExitStack() as stack:
            if client is not None:
                stack.callback(client.close)
            conn = stack.enter_context(connections.connect("ordersync", profile.ordersync, LIVE_TIMEOUTS,
                                                           read_only=False, app_suffix="-live"))
            conn.autocommit = True
            accounts = conn.execute("SELECT id, email_hash FROM users WHERE status = 'ACTIVE' ORDER BY random() LIMIT %s",
                                    [self.rng.randint(*self.pace.burst_accounts)]).fetchall()
            if not accounts:
                return
            victim = accounts[0]
            tries = [victim] * self.rng.randint(*self.pace.burst_victim) + accounts[1:]
            self.rng.shuffle(tries)
            sealer = ordersync_seed.Sealer(keys, datetime.now(UTC), profile.aad)
            for user_id, digest in tries:
                if self._stop.wait(self.rng.uniform(*self.pace.burst_tick)):
                    return
                self._failed_login(conn, sealer, ip, user_id, digest)
                if client is not None:
                    with client.pipeline(transaction=True) as pipe:
                        pipe.incr(rate_key)
                        pipe.ttl(rate_key)
                        _count, ttl = pipe.execute()
                    if ttl == -1:  # new (or left without a TTL): the window starts now
                        client.expire(rate_key, RATE_LOGIN_TTL_S)
        self.bursts.append(Burst(ip, str(victim[1]), tries.count(victim), len(tries), len(accounts)))

    def _session_drift(self) -> None:
        """One live session's PostgreSQL row and Redis keys stop agreeing, in one of the four ways."""
        profile = self.profile
        if profile.rcmd is None or profile.rcmd_redis_url is None:
            self._stop.wait(3600)
            return
        if self._pause("drift", self.pace.drift_every):
            return
        kind = self.rng.choice(("redis-only", "pg-only", "ttl", "member-no-key"))
        client = connections.sync_redis(profile.rcmd_redis_url, profile.timeouts)
        try:
            with connections.connect("rcmd", profile.rcmd, LIVE_TIMEOUTS, read_only=False, app_suffix="-live") as conn:
                conn.autocommit = True
                row = conn.execute("SELECT id::text, user_id::text FROM sessions WHERE is_active AND expires_at > now() "
                                   "ORDER BY random() LIMIT 1").fetchone()
                if row is None:
                    return
                session_id, user_id = row
                key = f"session:{session_id}"
                if kind in ("redis-only", "member-no-key"):
                    conn.execute("UPDATE sessions SET is_active = false WHERE id = %s", [session_id])
                if kind in ("pg-only", "member-no-key"):
                    client.delete(key)
                if kind == "pg-only":  # gone from Redis altogether
                    client.srem(f"user:sessions:{user_id}", session_id)
                if kind == "member-no-key":
                    client.sadd(f"user:sessions:{user_id}", session_id)
                if kind == "ttl":
                    client.persist(key)
        finally:
            client.close()
        self.drifts.append((kind, session_id))

    def _failed_login(self, conn: Conn, sealer: ordersync_seed.Sealer, ip: str, user_id: object, digest: str) -> None:
        """A failed login as OrderSync records one: the attempt, and its audit row, each IP sealed for its row."""
        now = datetime.now(UTC)
        lid, aid = uuid.uuid4(), uuid.uuid4()
        ip_enc, ip_key = sealer.seal("pii", now, "login_attempts", "ip_address", ip, lid)
        ua_enc, ua_key = sealer.seal("pii", now, "login_attempts", "user_agent", BURST_AGENT, lid)
        audit_ip, audit_ip_key = sealer.seal("pii", now, "audit_logs", "ip_address", ip, aid)
        audit_ua, audit_ua_key = sealer.seal("pii", now, "audit_logs", "user_agent", BURST_AGENT, aid)
        with conn.transaction():
            conn.execute("INSERT INTO login_attempts (id, email_hash, ip_address_encrypted, ip_key_id, user_agent_encrypted, "
                         "ua_key_id, success, failure_reason) VALUES (%s, %s, %s, %s, %s, %s, false, 'INVALID_PASSWORD')",
                         [lid, digest, ip_enc, ip_key, ua_enc, ua_key])
            conn.execute("INSERT INTO audit_logs (id, trace_id, action, resource_type, resource_id, user_id, "
                         "ip_address_encrypted, ip_key_id, user_agent_encrypted, ua_key_id, success, error_message, duration_ms) "
                         "VALUES (%s, %s, 'LOGIN', 'User', %s, %s, %s, %s, %s, %s, false, 'invalid password', %s)",
                         [aid, f"{self.rng.getrandbits(128):032x}", str(user_id), user_id, audit_ip, audit_ip_key,
                          audit_ua, audit_ua_key, self.rng.randrange(80, 400)])
