"""A fixed restaurant with six orders planted into a seeded clone, sealed under the seeded keys: fixed ids and
times (T0), so pictures of the orders list and an order's detail stay the same from run to run (filtered to
this restaurant, the seeded orders around them are never shown)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg

from rcmd_tui.config import Profile
from rcmd_tui.data.crypto import envelope
from rcmd_tui.data.crypto.keystore import KeyStore
from rcmd_tui.data.ordersync.lookup import email_hash
from tests.listdata import T0

RESTAURANT = "00000000-0000-4000-9000-000000000001"
CUSTOMER = "00000000-0000-4000-9000-000000000010"
OWNER = "00000000-0000-4000-9000-000000000011"
CUSTOMER_EMAIL = "minji.kim@example.com"
KEYS = {"pii": "ordersync/pii/v3", "payment": "ordersync/payment/v2", "business": "ordersync/business/v2"}


def order_id(n: int) -> str:
    return f"00000000-0000-4000-9100-{n:012d}"


def payment_id(n: int) -> str:
    return f"00000000-0000-4000-9200-{n:012d}"


@dataclass
class Sealer:
    profile: Profile
    ciphers: dict[str, Any]

    def __call__(self, key_type: str, table: str, column: str, value: str | None, row_id: str) -> tuple[str | None, str | None]:
        if value is None:
            return None, None
        aad = envelope.aad_for(self.profile.aad, table, column, uuid.UUID(row_id))
        return envelope.encrypt(self.ciphers[key_type], value, aad), KEYS[key_type]


def sealer(profile: Profile) -> Sealer:
    store = KeyStore(profile.keyring)
    ciphers = {}
    for kind, key_id in KEYS.items():
        material = store.get(key_id)
        assert material, key_id
        ciphers[kind] = envelope.cipher_for(material)
    return Sealer(profile, ciphers)


def ordersync_sql(profile: Profile) -> psycopg.Connection[Any]:
    assert profile.ordersync is not None
    return psycopg.connect(profile.ordersync.dsn, options=f"-c search_path={profile.ordersync.schema}", autocommit=True)


ITEMS = [{"menu_id": "m-1", "name": "Bibimbap", "price": 11000, "quantity": 2},
         {"menu_id": "m-2", "name": "Kimchi pancake", "price": 9000, "quantity": 1, "note": "for Minji, call 010-2222-3333"}]
# (status, minutes before T0, anonymous, payment status)
PLAN = (("COMPLETED", 10, False, "CAPTURED"), ("CANCELLED", 40, False, "CANCELLED"), ("COMPLETED", 70, True, "CAPTURED"),
        ("COMPLETED", 100, False, "CAPTURED"), ("CANCELLED", 130, True, "FAILED"), ("COMPLETED", 160, False, "CAPTURED"))


def plant_orders(profile: Profile) -> None:
    """Order 0 has it all: items, a table, a special request, a payment captured and partly refunded (with its
    REFUNDED event), audit rows; order 1 was cancelled by its customer; orders 2 and 4 are anonymous."""
    seal = sealer(profile)
    with ordersync_sql(profile) as conn:
        conn.execute("SELECT ensure_audit_partitions(%s::date, 1)", [(T0 - timedelta(days=40)).date()])
        # The per-row audit triggers would stamp rows at the real now: the planted history is its own trail.
        conn.execute("ALTER TABLE payments DISABLE TRIGGER trigger_audit_payments")
        conn.execute("ALTER TABLE users DISABLE TRIGGER trigger_audit_users")
        for uid, email, role in ((CUSTOMER, CUSTOMER_EMAIL, "CUSTOMER"), (OWNER, "owner@hanok.example", "RESTAURANT_OWNER")):
            e_enc, e_key = seal("pii", "users", "email", email, uid)
            conn.execute("INSERT INTO users (id, email_encrypted, email_key_id, email_hash, password_hash_encrypted, "
                         "password_key_id, salt, role, created_at) VALUES (%s, %s, %s, %s, 'x', 'plain:test', 's', %s, %s)",
                         [uid, e_enc, e_key, email_hash(email), role, T0 - timedelta(days=300)])
        name = seal("business", "restaurants", "name", "Hanok Kitchen Seongsu", RESTAURANT)
        address = seal("business", "restaurants", "address", "Seoul Seongdong-gu Yeonmujang-gil 12", RESTAURANT)
        phone = seal("business", "restaurants", "phone", "02-555-0199", RESTAURANT)
        conn.execute("INSERT INTO restaurants (id, owner_id, name_encrypted, name_key_id, address_encrypted, address_key_id, "
                     "phone_encrypted, phone_key_id, name_search, category, created_at) "
                     "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'Hanok Kitchen Seongsu', 'korean', %s)",
                     [RESTAURANT, OWNER, *name, *address, *phone, T0 - timedelta(days=200)])
        for n, (status, minutes, anonymous, paid) in enumerate(PLAN):
            _order(conn, seal, n, status, T0 - timedelta(minutes=minutes), anonymous, paid)
        conn.execute("ALTER TABLE payments ENABLE TRIGGER trigger_audit_payments")
        conn.execute("ALTER TABLE users ENABLE TRIGGER trigger_audit_users")
        conn.execute("ANALYZE orders")


def _order(conn: psycopg.Connection[Any], seal: Sealer, n: int, status: str, created: Any, anonymous: bool, paid: str) -> None:
    oid, pid = order_id(n), payment_id(n)
    items = ITEMS if n == 0 else ITEMS[:1]
    subtotal = sum(int(str(i["price"])) * int(str(i["quantity"])) for i in items)
    tax = subtotal // 10
    total = subtotal + tax
    customer = None if anonymous else CUSTOMER
    accepted = created + timedelta(minutes=2)
    done = created + timedelta(minutes=25) if status == "COMPLETED" else None
    cancelled = created + timedelta(minutes=5) if status == "CANCELLED" else None
    it = seal("pii", "orders", "items", json.dumps(items), oid)
    table = seal("pii", "orders", "table_info", "T7" if n == 0 else None, oid)
    special = seal("pii", "orders", "special_requests", "no onions please" if n == 0 else None, oid)
    conn.execute(
        "INSERT INTO orders (id, restaurant_id, customer_id, items_encrypted, items_key_id, table_info_encrypted, table_key_id, "
        "special_requests_encrypted, special_requests_key_id, subtotal, discount_amount, tax_amount, total_amount, status, "
        "estimated_time, anonymous_token, anonymous_expires_at, created_at, accepted_at, preparing_at, ready_at, completed_at, "
        "cancelled_at, version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, 20, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [oid, RESTAURANT, customer, *it, *table, *special, subtotal, tax, total, status,
         f"tok{n:061d}" if anonymous else None, created + timedelta(hours=24) if anonymous else None, created, accepted,
         created + timedelta(minutes=4) if done else None, created + timedelta(minutes=20) if done else None, done, cancelled,
         4 if done else 3])
    flow = [(None, "PENDING", created), ("PENDING", "ACCEPTED", accepted)]
    if done:
        flow += [("ACCEPTED", "PREPARING", created + timedelta(minutes=4)), ("PREPARING", "READY", created + timedelta(minutes=20)),
                 ("READY", "COMPLETED", done)]
    else:
        flow += [("ACCEPTED", "CANCELLED", cancelled)]
    for old, new, at in flow:
        by = OWNER if old else customer
        reason = "customer asked" if new == "CANCELLED" else None
        conn.execute("INSERT INTO order_status_history (order_id, old_status, new_status, changed_by, reason, created_at) "
                     "VALUES (%s, %s, %s, %s, %s, %s)", [oid, old, new, by if new != "CANCELLED" else customer, reason, at])
    ext = seal("payment", "payments", "external_id", f"tgen_{n:020d}", pid)
    card = seal("payment", "payments", "card_info", "Shinhan 4518-****-****-0042", pid)
    conn.execute("INSERT INTO payments (id, order_id, amount, fee, net_amount, payment_method, external_id_encrypted, external_key_id, "
                 "card_info_encrypted, card_info_key_id, status, created_at, authorized_at, captured_at, failed_at) "
                 "VALUES (%s, %s, %s, %s, %s, 'CARD', %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                 [pid, oid, total, total // 40, total - total // 40, *ext, *card, paid, created + timedelta(seconds=1),
                  created + timedelta(seconds=3) if paid != "FAILED" else None, done if paid == "CAPTURED" else None,
                  created + timedelta(seconds=5) if paid == "FAILED" else None])
    events = [] if paid == "FAILED" else [("AUTHORIZED", total, created + timedelta(seconds=3))]
    if paid == "CAPTURED":
        events.append(("CAPTURED", total, done))
    if paid == "CANCELLED":
        events.append(("CANCELLED", total, cancelled))
    if n == 0:
        refund_at = created + timedelta(hours=2)
        rid = f"00000000-0000-4000-9300-{n:012d}"
        reason = seal("payment", "payment_refunds", "reason", "Wrong item", rid)
        conn.execute("INSERT INTO payment_refunds (id, payment_id, amount, reason_encrypted, reason_key_id, status, created_at, "
                     "processed_at) VALUES (%s, %s, 9900, %s, %s, 'PROCESSED', %s, %s)",
                     [rid, pid, *reason, refund_at, refund_at + timedelta(minutes=5)])
        events.append(("REFUNDED", 9900, refund_at + timedelta(minutes=5)))
    for k, (kind, amount, at) in enumerate(events):
        eid = f"00000000-0000-4000-9400-{n * 10 + k:012d}"
        data = seal("payment", "payment_events", "event_data", json.dumps({"approvalNo": f"{n}{k}"}), eid)
        conn.execute("INSERT INTO payment_events (id, payment_id, event_type, amount, event_data_encrypted, event_data_key_id, "
                     "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)", [eid, pid, kind, amount, *data, at])
    for k, (action, resource, rid_, at) in enumerate((("CREATE_ORDER", "Order", oid, created), ("CREATE_PAYMENT", "Payment", pid,
                                                       created + timedelta(seconds=1)))):
        aid = f"00000000-0000-4000-9500-{n * 10 + k:012d}"
        ip = seal("pii", "audit_logs", "ip_address", "203.0.113.7", aid)
        conn.execute("INSERT INTO audit_logs (id, trace_id, action, resource_type, resource_id, user_id, ip_address_encrypted, "
                     "ip_key_id, success, duration_ms, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, true, 12, %s)",
                     [aid, f"{n * 10 + k:032d}", action, resource, rid_, customer, *ip, at])
