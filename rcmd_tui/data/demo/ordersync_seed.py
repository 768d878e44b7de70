"""OrderSync demo data: every sensitive column a real AES-256-GCM envelope, amounts that add up.

Keys: each key type has versions in different states (RETIRED, ROTATING, ACTIVE). A row is
encrypted with the version that was current when the row was written, so every state has
ciphertexts under it, as a real rotation in progress would leave them.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rcmd_tui.data.crypto import envelope
from rcmd_tui.data.demo import vocab
from rcmd_tui.data.demo.copy import copy_rows
from rcmd_tui.data.demo.rcmd_seed import month_start, new_uuid
from rcmd_tui.data.demo.scale import Scale
from rcmd_tui.data.ordersync.lookup import email_hash


@dataclass(frozen=True, slots=True)
class DemoKey:
    key_type: str
    version: int
    status: str
    created_days_ago: int
    retired_days_ago: int | None
    used_until_days_ago: int  # rows newer than this were written under a later version

    @property
    def key_id(self) -> str:
        return f"ordersync/{self.key_type}/v{self.version}"


KEY_PLAN = (
    DemoKey("pii", 1, "RETIRED", 720, 200, 270),
    DemoKey("pii", 2, "ROTATING", 270, None, 30),
    DemoKey("pii", 3, "ACTIVE", 30, None, 0),
    DemoKey("payment", 1, "RETIRED", 720, 150, 180),
    DemoKey("payment", 2, "ACTIVE", 180, None, 0),
    DemoKey("business", 1, "ROTATING", 720, None, 90),
    DemoKey("business", 2, "ACTIVE", 90, None, 0),
)


class Sealer:
    """Encrypts a column value under the key version that was current at the row's time."""

    def __init__(self, keys: dict[str, bytes], now: datetime, aad_policy: envelope.AadPolicy) -> None:
        self.now = now
        self.policy = aad_policy
        self._ciphers: dict[str, AESGCM] = {k: envelope.cipher_for(v) for k, v in keys.items()}
        self._plan: dict[str, list[tuple[datetime, str]]] = {}
        for key in KEY_PLAN:
            until = now - timedelta(days=key.used_until_days_ago) if key.used_until_days_ago else now + timedelta(days=1)
            self._plan.setdefault(key.key_type, []).append((until, key.key_id))
        for plans in self._plan.values():
            plans.sort()

    def key_for(self, key_type: str, at: datetime) -> str:
        for until, key_id in self._plan[key_type]:
            if at < until:
                return key_id
        return self._plan[key_type][-1][1]

    def seal(self, key_type: str, at: datetime, table: str, column: str, value: str | None,
             row_id: object = None) -> tuple[str | None, str | None]:
        if value is None:
            return None, None
        key_id = self.key_for(key_type, at)
        aad = envelope.aad_for(self.policy, table, column, row_id)
        return envelope.encrypt(self._ciphers[key_id], value, aad), key_id


@dataclass
class OsData:
    users: list[tuple[object, ...]] = field(default_factory=list)
    customers: list[uuid.UUID] = field(default_factory=list)
    owners: list[uuid.UUID] = field(default_factory=list)
    staff: list[uuid.UUID] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    restaurants: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)  # (id, owner)
    menus: dict[uuid.UUID, list[tuple[uuid.UUID, str, int]]] = field(default_factory=dict)


def _users(rng: random.Random, scale: Scale, now: datetime, s: Sealer, data: OsData) -> Iterator[tuple[object, ...]]:
    owners_needed = max(2, scale.os_restaurants * 2 // 3)
    seen: set[str] = set()
    for i in range(scale.os_users):
        display, handle = vocab.person(rng)
        email = f"{handle}{i}@{rng.choice(vocab.EMAIL_DOMAINS)}"
        if rng.random() < 0.05:
            email = email.capitalize()  # people type capitals; the hash must not care
        digest = email_hash(email)
        if digest in seen:
            continue
        seen.add(digest)
        uid = new_uuid(rng)
        if i < owners_needed:
            role = "RESTAURANT_OWNER"
            data.owners.append(uid)
        elif i < owners_needed + max(2, scale.os_users // 40):
            role = "STAFF" if i % 5 else "ADMIN"
            data.staff.append(uid)
        else:
            role = "CUSTOMER"
            data.customers.append(uid)
        data.emails.append(email)
        created = now - timedelta(days=rng.uniform(1, 600))
        status = rng.choices(("ACTIVE", "SUSPENDED", "DELETED"), weights=(92, 5, 3))[0]
        failed = rng.choice((0, 0, 0, 1, 2, 6)) if status == "ACTIVE" else 0
        locked = now + timedelta(minutes=rng.uniform(5, 60)) if failed > 5 else None
        two_fa = rng.random() < 0.2
        e_enc, e_key = s.seal("pii", created, "users", "email", email, uid)
        p_enc, p_key = s.seal("pii", created, "users", "phone", vocab.phone_mobile(rng) if rng.random() < 0.9 else None, uid)
        n_enc, n_key = s.seal("pii", created, "users", "name", display, uid)
        pw_hash = "$argon2id$v=19$m=65536,t=3,p=4$" + f"{rng.getrandbits(128):032x}$" + f"{rng.getrandbits(256):064x}"
        pw_enc, pw_key = s.seal("pii", created, "users", "password_hash", pw_hash, uid)
        tf_enc, tf_key = s.seal("pii", created, "users", "two_factor_secret",
                                "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=32)) if two_fa else None, uid)
        yield (uid, e_enc, e_key, p_enc, p_key, n_enc, n_key, digest, pw_enc, pw_key, f"{rng.getrandbits(128):032x}",
               role, json.dumps(["orders:manage"] if role != "CUSTOMER" else []), status,
               now - timedelta(hours=rng.uniform(1, 24 * 30)) if rng.random() < 0.8 else None,
               created, failed, locked, two_fa, tf_enc, tf_key, created, created + timedelta(days=rng.uniform(0, 30)),
               rng.randrange(1, 5))


def _sessions(rng: random.Random, now: datetime, s: Sealer, data: OsData) -> Iterator[tuple[object, ...]]:
    for uid in data.customers[: len(data.customers) * 2 // 3] + data.owners + data.staff:
        for _ in range(rng.choice((1, 1, 2, 3))):
            sid = new_uuid(rng)
            created = now - timedelta(hours=rng.uniform(0.1, 24 * 14))
            ip_enc, ip_key = s.seal("pii", created, "user_sessions", "ip_address", vocab.ipv4(rng), sid)
            ua_enc, ua_key = s.seal("pii", created, "user_sessions", "user_agent", rng.choice(vocab.USER_AGENTS), sid)
            dev_enc, dev_key = s.seal("pii", created, "user_sessions", "device_info", json.dumps(
                {"platform": rng.choice(("ios", "android", "web")), "appVersion": f"3.{rng.randrange(10)}.{rng.randrange(20)}"}), sid)
            yield (sid, uid, hashlib.sha256(rng.getrandbits(256).to_bytes(32, "big")).hexdigest(),
                   hashlib.sha256(rng.getrandbits(256).to_bytes(32, "big")).hexdigest(),
                   ip_enc, ip_key, ua_enc, ua_key, dev_enc, dev_key, created + timedelta(hours=1),
                   created + timedelta(days=14), min(now, created + timedelta(minutes=rng.uniform(1, 50))),
                   rng.random() < 0.05, created)


def _login_attempts(rng: random.Random, scale: Scale, now: datetime, s: Sealer, data: OsData) -> Iterator[tuple[object, ...]]:
    bursts = max(5, scale.os_login_attempts // 400)
    burst_rows = 0
    for b in range(bursts):
        target = email_hash(rng.choice(data.emails)) if b % 3 else email_hash(f"nobody{b}@example.com")
        ip = vocab.ipv4(rng)
        start = now - timedelta(minutes=rng.uniform(2, 50)) if b < bursts // 2 else now - timedelta(days=rng.uniform(1, 25))
        for n in range(rng.randrange(6, 26)):
            at = start + timedelta(seconds=n * rng.uniform(2, 20))
            lid = new_uuid(rng)
            ip_enc, ip_key = s.seal("pii", at, "login_attempts", "ip_address", ip, lid)
            ua_enc, ua_key = s.seal("pii", at, "login_attempts", "user_agent", "python-requests/2.32", lid)
            yield (lid, target, ip_enc, ip_key, ua_enc, ua_key, False,
                   "ACCOUNT_LOCKED" if n > 5 else "INVALID_PASSWORD", min(at, now))
            burst_rows += 1
    for _ in range(max(0, scale.os_login_attempts - burst_rows)):
        at = now - timedelta(days=rng.uniform(0, 29))
        ok = rng.random() < 0.9
        lid = new_uuid(rng)
        ip_enc, ip_key = s.seal("pii", at, "login_attempts", "ip_address", vocab.ipv4(rng), lid)
        ua_enc, ua_key = s.seal("pii", at, "login_attempts", "user_agent", rng.choice(vocab.USER_AGENTS), lid)
        yield (lid, email_hash(rng.choice(data.emails)), ip_enc, ip_key, ua_enc, ua_key, ok,
               None if ok else rng.choice(("INVALID_PASSWORD", "INVALID_PASSWORD", "TWO_FACTOR_FAILED")), at)


def _restaurants(rng: random.Random, scale: Scale, now: datetime, s: Sealer, data: OsData) -> Iterator[tuple[object, ...]]:
    for i in range(scale.os_restaurants):
        rid = new_uuid(rng)
        owner = data.owners[i % len(data.owners)]
        data.restaurants.append((rid, owner))
        name = f"{rng.choice(vocab.RESTAURANT_BRANDS)} {rng.choice(vocab.BRANCHES)}"
        created = now - timedelta(days=rng.uniform(100, 700))
        n_enc, n_key = s.seal("business", created, "restaurants", "name", name, rid)
        a_enc, a_key = s.seal("business", created, "restaurants", "address", vocab.address(rng), rid)
        p_enc, p_key = s.seal("business", created, "restaurants", "phone", f"02-{rng.randrange(200, 999)}-{rng.randrange(10000):04d}", rid)
        b_enc, b_key = s.seal("business", created, "restaurants", "business_number",
                              f"{rng.randrange(100, 999)}-{rng.randrange(10, 99)}-{rng.randrange(10000, 99999)}", rid)
        hours = {day: {"open": "10:30", "close": rng.choice(("21:00", "22:00", "23:30"))} for day in
                 ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
        status = rng.choices(("ACTIVE", "SUSPENDED", "CLOSED"), weights=(90, 5, 5))[0]
        yield (rid, owner, n_enc, n_key, a_enc, a_key, p_enc, p_key, b_enc, b_key, name, rng.choice(vocab.CATEGORIES),
               status, json.dumps(hours), json.dumps({"autoAccept": rng.random() < 0.3}),
               round(rng.uniform(37.45, 37.65), 8), round(rng.uniform(126.85, 127.15), 8), created, created, 1)


def _menus(rng: random.Random, now: datetime, s: Sealer, data: OsData) -> Iterator[tuple[object, ...]]:
    for rid, _owner in data.restaurants:
        items = []
        for order_no, (name, category) in enumerate(rng.sample(vocab.MENU_ITEMS, rng.randrange(8, 16))):
            mid = new_uuid(rng)
            price = rng.randrange(10, 70) * 500
            created = now - timedelta(days=rng.uniform(30, 500))
            n_enc, n_key = s.seal("business", created, "menus", "name", name, mid)
            d_enc, d_key = s.seal("business", created, "menus", "description", rng.choice(vocab.MENU_DESCRIPTIONS), mid)
            limit = rng.choice((None, None, None, 30, 50))
            sold = rng.randrange(0, (limit or 80) + 1)
            items.append((mid, name, price))
            yield (mid, rid, n_enc, n_key, d_enc, d_key, price, rng.choice((0, 0, 0, 10, 20)), category,
                   rng.sample(["spicy", "vegetarian", "best", "new", "매운맛"], rng.randrange(0, 3)),
                   json.dumps({"size": ["regular", "large"]}), not (limit is not None and sold >= limit), limit, sold,
                   f"https://img.example.com/menu/{mid}.jpg", order_no, created, created, 1)
        data.menus[rid] = items


ORDER_FLOW = ("PENDING", "ACCEPTED", "PREPARING", "READY", "COMPLETED")
FEE_RATE = {"CARD": 0.025, "KAKAOPAY": 0.03, "TOSSPAY": 0.028, "BANK": 0.01, "CASH": 0.0}


@dataclass
class OrderRows:
    orders: list[tuple[object, ...]] = field(default_factory=list)
    history: list[tuple[object, ...]] = field(default_factory=list)
    payments: list[tuple[object, ...]] = field(default_factory=list)
    events: list[tuple[object, ...]] = field(default_factory=list)
    refunds: list[tuple[object, ...]] = field(default_factory=list)
    notifications: list[tuple[object, ...]] = field(default_factory=list)
    audit: list[tuple[object, ...]] = field(default_factory=list)


class OrderAudit:
    """The audit rows the application writes as an order goes (CREATE_ORDER, ACCEPT_ORDER, CANCEL_ORDER,
    CREATE_PAYMENT, REFUND_PAYMENT), at the order's own times, so its timeline has them. From their own random
    source, so adding them changed no other seeded value."""

    def __init__(self, rng: random.Random, s: Sealer, start: datetime) -> None:
        self.rng = rng
        self.s = s
        self.start = start  # the oldest audit partition: older orders have no audit rows left
        self.ips: dict[object, str] = {}  # each person one address: a shared one is a security signal (:monitor)

    def add(self, rows: OrderRows, action: str, resource: str, resource_id: object, user: object, at: object) -> None:
        if not isinstance(at, datetime) or at < self.start:
            return
        rng, aid = self.rng, new_uuid(self.rng)
        ip = self.ips.setdefault(user, vocab.ipv4(rng)) if user is not None else vocab.ipv4(rng)
        ip_enc, ip_key = self.s.seal("pii", at, "audit_logs", "ip_address", ip, aid)
        ua_enc, ua_key = self.s.seal("pii", at, "audit_logs", "user_agent", rng.choice(vocab.USER_AGENTS), aid)
        rows.audit.append((aid, f"{rng.getrandbits(128):032x}", action, resource, str(resource_id), user, ip_enc, ip_key,
                           ua_enc, ua_key, None, None, None, None, True, None, rng.randrange(5, 400), at))


def _orders(rng: random.Random, scale: Scale, now: datetime, s: Sealer, data: OsData,
            templates: list[uuid.UUID], emit: Callable[[OrderRows], None], audit: OrderAudit) -> None:
    rows = OrderRows()
    for n in range(scale.os_orders):
        oid = new_uuid(rng)
        rid, owner = rng.choice(data.restaurants)
        final = rng.choices(("COMPLETED", "CANCELLED", "PENDING", "ACCEPTED", "PREPARING", "READY"),
                            weights=(70, 10, 5, 5, 5, 5))[0]
        created = now - timedelta(minutes=rng.uniform(1, 120)) if final not in ("COMPLETED", "CANCELLED") \
            else now - timedelta(days=rng.uniform(0.1, 360))
        anonymous = rng.random() < 0.2
        customer = None if anonymous else rng.choice(data.customers)
        picked = rng.sample(data.menus[rid], rng.randrange(1, min(4, len(data.menus[rid])) + 1))
        items = [{"menu_id": str(mid), "name": name, "price": price, "quantity": rng.randrange(1, 4)} for mid, name, price in picked]
        subtotal = sum(int(i["price"]) * int(i["quantity"]) for i in items)  # type: ignore[call-overload]
        discount = subtotal // 10 if rng.random() < 0.15 else 0
        tax = round((subtotal - discount) * 0.1)
        total = subtotal - discount + tax
        it_enc, it_key = s.seal("pii", created, "orders", "items", json.dumps(items, ensure_ascii=False), oid)
        tb_enc, tb_key = s.seal("pii", created, "orders", "table_info", f"T{rng.randrange(1, 30)}" if rng.random() < 0.6 else None, oid)
        sr_enc, sr_key = s.seal("pii", created, "orders", "special_requests",
                                rng.choice(vocab.SPECIAL_REQUESTS) if rng.random() < 0.3 else None, oid)
        stamps: dict[str, datetime] = {}
        at = created
        flow = ORDER_FLOW[: ORDER_FLOW.index(final) + 1] if final != "CANCELLED" else \
            (*ORDER_FLOW[:rng.randrange(1, 3)], "CANCELLED")
        previous: str | None = None
        for state in flow:
            if previous is not None:
                at = min(now, at + timedelta(minutes=rng.uniform(0.5, 15)))
            stamps[state] = at
            by = customer if state == "CANCELLED" and customer and rng.random() < 0.5 else (owner if previous else customer)
            rows.history.append((new_uuid(rng), oid, previous, state, by,
                                 "고객 요청" if state == "CANCELLED" else None,
                                 "주문이 접수되었습니다" if state == "ACCEPTED" else None, at))
            previous = state
        rows.orders.append((oid, rid, customer, tb_enc, tb_key, it_enc, it_key, sr_enc, sr_key, subtotal, discount, tax,
                            total, final, rng.randrange(10, 45) if final != "PENDING" else None,
                            f"{rng.getrandbits(256):064x}" if anonymous else None,
                            created + timedelta(hours=24) if anonymous else None, created,
                            stamps.get("ACCEPTED"), stamps.get("PREPARING"), stamps.get("READY"),
                            stamps.get("COMPLETED"), stamps.get("CANCELLED"), len(flow)))
        payments, refunds = len(rows.payments), len(rows.refunds)
        _payment(rng, now, s, oid, final, total, created, stamps, rows)
        audit.add(rows, "CREATE_ORDER", "Order", oid, customer, created)
        audit.add(rows, "ACCEPT_ORDER", "Order", oid, owner, stamps.get("ACCEPTED"))
        audit.add(rows, "CANCEL_ORDER", "Order", oid, by if final == "CANCELLED" else None, stamps.get("CANCELLED"))
        if len(rows.payments) > payments:
            pid = rows.payments[-1][0]
            audit.add(rows, "CREATE_PAYMENT", "Payment", pid, customer, created + timedelta(seconds=1))
            for refund in rows.refunds[refunds:]:
                audit.add(rows, "REFUND_PAYMENT", "Payment", pid, owner, refund[8])
        if customer and templates and rng.random() < 0.2:
            nid = new_uuid(rng)
            r_enc, r_key = s.seal("pii", created, "notification_logs", "recipient_info", vocab.phone_mobile(rng), nid)
            c_enc, c_key = s.seal("pii", created, "notification_logs", "content", f"주문 상태: {final}", nid)
            delivered = rng.random() < 0.9
            rows.notifications.append((nid, rng.choice(templates), customer, r_enc, r_key, "PUSH",
                                       "DELIVERED" if delivered else "FAILED", c_enc, c_key, created,
                                       created + timedelta(seconds=2) if delivered else None,
                                       None if delivered else "device token expired", created))
        if len(rows.orders) >= 5000 or n == scale.os_orders - 1:
            emit(rows)
            rows = OrderRows()


def _payment(rng: random.Random, now: datetime, s: Sealer, oid: uuid.UUID, final: str, total: int,
             created: datetime, stamps: dict[str, datetime], rows: OrderRows) -> None:
    if final == "PENDING" and rng.random() < 0.5:
        return
    pid = new_uuid(rng)
    method = rng.choices(tuple(FEE_RATE), weights=(50, 20, 15, 10, 5))[0]
    fee = round(total * FEE_RATE[method])
    ext_enc, ext_key = s.seal("payment", created, "payments", "external_id", f"tgen_{pid.hex[:20]}", pid)
    card = f"{rng.choice(vocab.CARD_ISSUERS)} {rng.randrange(1000, 9999)}-****-****-{rng.randrange(10000):04d}"
    card_enc, card_key = s.seal("payment", created, "payments", "card_info", card if method == "CARD" else None, pid)
    authorized = captured = failed = None
    if final == "PENDING":
        status = "PENDING"
    elif final == "CANCELLED":
        status = rng.choice(("CANCELLED", "FAILED"))
        authorized = created + timedelta(seconds=3) if status == "CANCELLED" else None
        failed = created + timedelta(seconds=5) if status == "FAILED" else None
    else:
        authorized = created + timedelta(seconds=3)
        status = "CAPTURED" if final == "COMPLETED" else "AUTHORIZED"
        captured = stamps.get("COMPLETED") if status == "CAPTURED" else None
    rows.payments.append((pid, oid, total, fee, total - fee, method, ext_enc, ext_key, card_enc, card_key, status,
                          created, authorized, captured, failed, 1))

    def event(kind: str, amount: int, at: datetime, detail: dict[str, object]) -> None:
        eid = new_uuid(rng)
        d_enc, d_key = s.seal("payment", at, "payment_events", "event_data", json.dumps(detail), eid)
        rows.events.append((eid, pid, kind, amount, d_enc, d_key, at))

    if authorized:
        event("AUTHORIZED", total, authorized, {"approvalNo": f"{rng.randrange(10**7, 10**8)}"})
    if status == "CANCELLED" and authorized:
        event("CANCELLED", total, stamps.get("CANCELLED", authorized), {"reason": "order cancelled"})
    if captured:
        event("CAPTURED", total, captured, {"pg": "toss"})
        if rng.random() < 0.06 and total > 0:
            amount = total if rng.random() < 0.4 else max(1, total * rng.randrange(20, 80) // 100)
            refund_status = rng.choices(("PROCESSED", "PENDING", "FAILED"), weights=(80, 12, 8))[0]
            at = min(now, captured + timedelta(hours=rng.uniform(1, 72)))
            rid = new_uuid(rng)
            reason = rng.choice(("음식이 늦게 도착함", "Wrong item", "고객 변심"))
            r_enc, r_key = s.seal("payment", at, "payment_refunds", "reason", reason, rid)
            x_enc, x_key = s.seal("payment", at, "payment_refunds", "external_refund_id", f"rfnd_{rid.hex[:16]}", rid)
            processed = at + timedelta(minutes=5) if refund_status == "PROCESSED" else None
            rows.refunds.append((rid, pid, amount, r_enc, r_key, x_enc, x_key, refund_status, at, processed))
            if processed:
                event("REFUNDED", amount, processed, {"refundId": f"rfnd_{rid.hex[:16]}"})


AUDIT_ACTIONS = (("LOGIN", "User", 40), ("LOGOUT", "User", 15), ("CREATE_ORDER", "Order", 20),
                 ("ACCEPT_ORDER", "Order", 12), ("CANCEL_ORDER", "Order", 3), ("CREATE_PAYMENT", "Payment", 6),
                 ("REFUND_PAYMENT", "Payment", 1), ("UPDATE_USER", "User", 2), ("UPDATE_PERMISSIONS", "User", 1))


AUDIT_COLUMNS = ("id", "trace_id", "action", "resource_type", "resource_id", "user_id", "ip_address_encrypted", "ip_key_id",
                 "user_agent_encrypted", "ua_key_id", "old_value_encrypted", "old_value_key_id", "new_value_encrypted",
                 "new_value_key_id", "success", "error_message", "duration_ms", "created_at")


def _audit(rng: random.Random, scale: Scale, now: datetime, s: Sealer, data: OsData) -> Iterator[tuple[object, ...]]:
    start = month_start(now, 11)
    step = (now - start).total_seconds() / scale.os_audit
    actions = [a for a in AUDIT_ACTIONS for _ in range(a[2])]
    users = data.customers + data.owners + data.staff
    ips = [vocab.ipv4(rng) for _ in range(300)]
    for i in range(scale.os_audit):
        at = start + timedelta(seconds=step * i + rng.random() * step)
        action, resource_type, _ = rng.choice(actions)
        aid = new_uuid(rng)
        uid = rng.choice(users)
        ok = rng.random() > 0.03
        ip_enc, ip_key = s.seal("pii", at, "audit_logs", "ip_address", rng.choice(ips), aid)
        ua_enc, ua_key = s.seal("pii", at, "audit_logs", "user_agent", rng.choice(vocab.USER_AGENTS), aid)
        old_enc = old_key = new_enc = new_key = None
        if action in ("UPDATE_USER", "UPDATE_PERMISSIONS"):
            old_enc, old_key = s.seal("pii", at, "audit_logs", "old_value", json.dumps({"status": "ACTIVE"}), aid)
            changed = json.dumps({"status": rng.choice(("SUSPENDED", "ACTIVE"))})
            new_enc, new_key = s.seal("pii", at, "audit_logs", "new_value", changed, aid)
        yield (aid, f"{rng.getrandbits(128):032x}", action, resource_type, str(uid if resource_type == "User" else new_uuid(rng)),
               uid, ip_enc, ip_key, ua_enc, ua_key, old_enc, old_key, new_enc, new_key, ok,
               None if ok else rng.choice(("timeout calling payment gateway", "validation failed", "conflict: version mismatch")),
               rng.randrange(2, 900), at)


def seed(conn: psycopg.Connection[tuple[object, ...]], keys: dict[str, bytes], scale: Scale, now: datetime,
         aad_policy: envelope.AadPolicy = "column", rng_seed: int = 11) -> dict[str, int]:
    """Fill OrderSync's tables (in the connection's search_path); ``keys`` maps key id to key bytes."""
    rng = random.Random(rng_seed)
    s = Sealer(keys, now, aad_policy)
    data = OsData()
    counts: dict[str, int] = {}
    with conn.transaction():
        # The seeded history is its own audit trail: the per-row audit triggers would only duplicate it.
        conn.execute("ALTER TABLE users DISABLE TRIGGER trigger_audit_users")
        conn.execute("ALTER TABLE payments DISABLE TRIGGER trigger_audit_payments")
        conn.execute("SELECT ensure_audit_partitions(%s::date, 3)", [month_start(now, 11).date()])
        counts["encryption_keys"] = copy_rows(conn, "encryption_keys", (
            "key_type", "key_id", "algorithm", "status", "created_at", "retired_at", "version"), (
            (k.key_type, k.key_id, "AES-256-GCM", k.status, now - timedelta(days=k.created_days_ago),
             now - timedelta(days=k.retired_days_ago) if k.retired_days_ago else None, k.version) for k in KEY_PLAN))
        counts["users"] = copy_rows(conn, "users", (
            "id", "email_encrypted", "email_key_id", "phone_encrypted", "phone_key_id", "name_encrypted", "name_key_id",
            "email_hash", "password_hash_encrypted", "password_key_id", "salt", "role", "permissions", "status",
            "last_login_at", "password_changed_at", "failed_login_count", "locked_until", "two_factor_enabled",
            "two_factor_secret_encrypted", "two_factor_secret_key_id", "created_at", "updated_at", "version"),
            _users(rng, scale, now, s, data))
        counts["user_sessions"] = copy_rows(conn, "user_sessions", (
            "id", "user_id", "access_token_hash", "refresh_token_hash", "ip_address_encrypted", "ip_key_id",
            "user_agent_encrypted", "ua_key_id", "device_info_encrypted", "device_key_id", "expires_at",
            "refresh_expires_at", "last_activity_at", "is_revoked", "created_at"), _sessions(rng, now, s, data))
        counts["login_attempts"] = copy_rows(conn, "login_attempts", (
            "id", "email_hash", "ip_address_encrypted", "ip_key_id", "user_agent_encrypted", "ua_key_id", "success",
            "failure_reason", "created_at"), _login_attempts(rng, scale, now, s, data))
        counts["restaurants"] = copy_rows(conn, "restaurants", (
            "id", "owner_id", "name_encrypted", "name_key_id", "address_encrypted", "address_key_id", "phone_encrypted",
            "phone_key_id", "business_number_encrypted", "business_number_key_id", "name_search", "category", "status",
            "business_hours", "settings", "latitude", "longitude", "created_at", "updated_at", "version"),
            _restaurants(rng, scale, now, s, data))
        counts["menus"] = copy_rows(conn, "menus", (
            "id", "restaurant_id", "name_encrypted", "name_key_id", "description_encrypted", "description_key_id",
            "price", "discount_rate", "category", "tags", "options", "is_available", "daily_limit", "sold_count",
            "image_url", "sort_order", "created_at", "updated_at", "version"), _menus(rng, now, s, data))
        templates = []
        template_rows = []
        for name, kind, title in (("order_accepted", "PUSH", "주문이 접수되었습니다"), ("order_ready", "PUSH", "Your order is ready"),
                                  ("receipt", "EMAIL", "영수증"), ("otp", "SMS", "인증번호"),
                                  ("refund_done", "EMAIL", "Refund processed"), ("live_status", "WEBSOCKET", "status")):
            tid = new_uuid(rng)
            templates.append(tid)
            t_enc, t_key = s.seal("business", now, "notification_templates", "title_template", title, tid)
            c_enc, c_key = s.seal("business", now, "notification_templates", "content_template", f"{title}: {{{{order_no}}}}", tid)
            template_rows.append((tid, name, kind, t_enc, t_key, c_enc, c_key, json.dumps(["order_no"]), True))
        counts["notification_templates"] = copy_rows(conn, "notification_templates", (
            "id", "name", "type", "title_template_encrypted", "title_key_id", "content_template_encrypted",
            "content_key_id", "variables", "is_active"), template_rows)
        totals = dict.fromkeys(("orders", "order_status_history", "payments", "payment_events", "payment_refunds",
                                "notification_logs", "audit_logs"), 0)

        def emit(rows: OrderRows) -> None:
            totals["orders"] += copy_rows(conn, "orders", (
                "id", "restaurant_id", "customer_id", "table_info_encrypted", "table_key_id", "items_encrypted",
                "items_key_id", "special_requests_encrypted", "special_requests_key_id", "subtotal", "discount_amount",
                "tax_amount", "total_amount", "status", "estimated_time", "anonymous_token", "anonymous_expires_at",
                "created_at", "accepted_at", "preparing_at", "ready_at", "completed_at", "cancelled_at", "version"),
                rows.orders)
            totals["order_status_history"] += copy_rows(conn, "order_status_history", (
                "id", "order_id", "old_status", "new_status", "changed_by", "reason", "message", "created_at"), rows.history)
            totals["payments"] += copy_rows(conn, "payments", (
                "id", "order_id", "amount", "fee", "net_amount", "payment_method", "external_id_encrypted",
                "external_key_id", "card_info_encrypted", "card_info_key_id", "status", "created_at", "authorized_at",
                "captured_at", "failed_at", "version"), rows.payments)
            totals["payment_events"] += copy_rows(conn, "payment_events", (
                "id", "payment_id", "event_type", "amount", "event_data_encrypted", "event_data_key_id", "created_at"),
                rows.events)
            totals["payment_refunds"] += copy_rows(conn, "payment_refunds", (
                "id", "payment_id", "amount", "reason_encrypted", "reason_key_id", "external_refund_id_encrypted",
                "external_refund_key_id", "status", "created_at", "processed_at"), rows.refunds)
            totals["notification_logs"] += copy_rows(conn, "notification_logs", (
                "id", "template_id", "recipient_id", "recipient_info_encrypted", "recipient_key_id", "type", "status",
                "content_encrypted", "content_key_id", "sent_at", "delivered_at", "error_message", "created_at"),
                rows.notifications)
            totals["audit_logs"] += copy_rows(conn, "audit_logs", AUDIT_COLUMNS, rows.audit)

        _orders(rng, scale, now, s, data, templates, emit, OrderAudit(random.Random(rng_seed * 7919), s, month_start(now, 11)))
        counts.update(totals)
        counts["security_metrics"] = copy_rows(conn, "security_metrics", (
            "metric_type", "value", "labels", "threat_level", "is_anomaly", "description", "timestamp"), (
            (metric, round(rng.uniform(0, 50 if metric == "failed_login_rate" else 5), 4),
             json.dumps({"region": "kr-seoul"}), level, level in ("HIGH", "CRITICAL"),
             "burst of failed logins" if level in ("HIGH", "CRITICAL") else None, now - timedelta(hours=h))
            for h in range(24 * 7) for metric in ("failed_login_rate", "token_reuse", "rate_limit_hits")
            for level in [rng.choices(("LOW", "MEDIUM", "HIGH", "CRITICAL"), weights=(85, 10, 4, 1))[0]]))
        counts["api_rate_limits"] = copy_rows(conn, "api_rate_limits", (
            "identifier", "identifier_type", "endpoint", "request_count", "window_start", "window_end"), (
            (vocab.ipv4(rng) if kind == "IP" else (str(rng.choice(data.customers)) if kind == "USER" else "global"),
             kind, rng.choice(("/api/orders", "/api/login", "/api/menus")), rng.randrange(1, 500),
             now - timedelta(minutes=m + 1), now - timedelta(minutes=m))
            for m in range(60) for kind in ("IP", "USER", "GLOBAL")))
        counts["audit_logs"] += copy_rows(conn, "audit_logs", AUDIT_COLUMNS, _audit(rng, scale, now, s, data))
        conn.execute("REFRESH MATERIALIZED VIEW payment_current_state")
        conn.execute("ALTER TABLE users ENABLE TRIGGER trigger_audit_users")
        conn.execute("ALTER TABLE payments ENABLE TRIGGER trigger_audit_payments")
    conn.execute("ANALYZE")
    return counts


def utcnow() -> datetime:
    return datetime.now(UTC)
