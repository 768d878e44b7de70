"""One person in both systems, for the timeline: RCMD user ``minji`` whose address (in other capitals) is the
OrderSync customer's of tests/orderdata.py, with audit rows, sessions and jobs in RCMD, and in OrderSync the
planted orders (with their audit rows), sessions and login attempts, at fixed times around T0. Some moments are
shared across streams and systems, so the merge's tie order is tested too."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import psycopg

from rcmd_tui.config import Profile
from rcmd_tui.data.infra.connections import connect
from rcmd_tui.data.ordersync.lookup import email_hash
from tests.listdata import T0
from tests.orderdata import CUSTOMER, CUSTOMER_EMAIL, ordersync_sql, plant_orders, sealer

RCMD_USER = "00000000-0000-4000-9700-000000000001"
RCMD_NAME = "minji"
RCMD_EMAIL = "Minji.Kim@Example.com"  # the same address as OrderSync's, in other capitals
OTHER = "00000000-0000-4000-9700-000000000002"


def _id(block: int, n: int) -> str:
    return f"00000000-0000-4000-97{block:02d}-{n:012d}"


def plant_person(profile: Profile) -> None:
    plant_orders(profile)
    assert profile.rcmd is not None
    with connect("rcmd", profile.rcmd, profile.timeouts, read_only=False) as conn:
        conn.execute("SELECT ensure_audit_partitions(%s::date, 1)", [(T0 - timedelta(days=40)).date()])
        for uid, name, email in ((RCMD_USER, RCMD_NAME, RCMD_EMAIL), (OTHER, "other", "other@example.com")):
            conn.execute("INSERT INTO users (id, username, email, password_hash, role, created_at) VALUES (%s, %s, %s, 'x', 'user', %s)",
                         [uid, name, email, T0 - timedelta(days=90)])
        for i in range(12):  # every 15 minutes; the other user's rows interleave and must never show
            for uid in (RCMD_USER, OTHER):
                conn.execute("INSERT INTO audit_logs (user_id, action, resource_type, resource_id, details, result, created_at) "
                             "VALUES (%s, %s, 'jobs', %s, %s, 'success', %s)",
                             [uid, "LOGIN" if i % 3 == 0 else "job.create", f"r{i}", psycopg.types.json.Jsonb({"n": i}),
                              T0 - timedelta(minutes=15 * i)])
        for i, minutes in enumerate((10, 70, 400)):  # 10 and 70: the moments of orders 0 and 2
            conn.execute("INSERT INTO sessions (id, user_id, token, ip_address, expires_at, is_active, created_at) "
                         "VALUES (%s, %s, %s, '10.1.2.3', %s, %s, %s)",
                         [_id(10, i), RCMD_USER, f"tok{i}", T0 + timedelta(days=1), i == 0, T0 - timedelta(minutes=minutes)])
        for i, (kind, status, minutes) in enumerate((("copy", "completed", 30), ("sync", "failed", 100), ("backup", "running", 5))):
            conn.execute("INSERT INTO jobs (id, user_id, type, status, payload, created_at) VALUES (%s, %s, %s, %s, %s, %s)",
                         [_id(20, i), RCMD_USER, kind, status, json.dumps({"source": f"gdrive:/team/{i}"}),
                          T0 - timedelta(minutes=minutes)])
    seal = sealer(profile)
    with ordersync_sql(profile) as conn:
        for i, minutes in enumerate((10, 45, 200)):
            sid = _id(30, i)
            ip = seal("pii", "user_sessions", "ip_address", "10.9.8.7", sid)
            conn.execute("INSERT INTO user_sessions (id, user_id, access_token_hash, refresh_token_hash, ip_address_encrypted, "
                         "ip_key_id, expires_at, is_revoked, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                         [sid, CUSTOMER, f"a{i}", f"r{i}", *ip, T0 + timedelta(days=1), i == 1, T0 - timedelta(minutes=minutes)])
        for i, (ok, minutes) in enumerate(((False, 46), (True, 45), (False, 500))):
            lid = _id(40, i)
            ip = seal("pii", "login_attempts", "ip_address", "10.9.8.7", lid)
            conn.execute("INSERT INTO login_attempts (id, email_hash, ip_address_encrypted, ip_key_id, success, failure_reason, "
                         "created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                         [lid, email_hash(CUSTOMER_EMAIL), *ip, ok, None if ok else "INVALID_PASSWORD", T0 - timedelta(minutes=minutes)])


def expected(profile: Profile) -> list[tuple[Any, ...]]:
    """Every moment of the person, read table by table with plain SQL, newest first by (time, stream rank, id):
    what the merged, paged timeline must show."""
    assert profile.rcmd is not None
    rows: list[tuple[Any, ...]] = []
    with connect("rcmd", profile.rcmd, profile.timeouts) as conn:
        rows += [(r[0], 1, f"{r[1]:020d}") for r in conn.execute("SELECT created_at, id FROM audit_logs WHERE user_id = %s", [RCMD_USER])]
        rows += [(r[0], 2, str(r[1])) for r in conn.execute("SELECT created_at, id FROM sessions WHERE user_id = %s", [RCMD_USER])]
        rows += [(r[0], 3, str(r[1])) for r in conn.execute("SELECT created_at, id FROM jobs WHERE user_id = %s", [RCMD_USER])]
    with ordersync_sql(profile) as conn:
        rows += [(r[0], 4, str(r[1])) for r in conn.execute("SELECT created_at, id FROM audit_logs WHERE user_id = %s", [CUSTOMER])]
        rows += [(r[0], 5, str(r[1])) for r in conn.execute("SELECT created_at, id FROM user_sessions WHERE user_id = %s", [CUSTOMER])]
        rows += [(r[0], 6, str(r[1])) for r in conn.execute("SELECT created_at, id FROM login_attempts WHERE email_hash = %s",
                                                             [email_hash(CUSTOMER_EMAIL)])]
        rows += [(r[0], 7, str(r[1])) for r in conn.execute("SELECT created_at, id FROM orders WHERE customer_id = %s", [CUSTOMER])]
    return sorted(rows, reverse=True)
