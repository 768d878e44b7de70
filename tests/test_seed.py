"""The seeder against real PostgreSQL and Redis: constraints hold, counts match, both stores agree."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import psycopg
import pytest
import redis

from rcmd_tui.config import Profile
from rcmd_tui.data.crypto import envelope, keystore
from rcmd_tui.data.demo.scale import SCALES
from rcmd_tui.data.demo.seed import seed_profile
from rcmd_tui.data.ordersync import lookup
from rcmd_tui.errors import SeedError

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_counts_match_the_scale_and_audit_spans_twelve_partitions(seeded: Profile) -> None:
    scale = SCALES["small"]
    assert seeded.rcmd is not None
    with psycopg.connect(seeded.rcmd.dsn) as conn:
        counts = dict(conn.execute(
            "SELECT 'rcmd', count(*) FROM rcmd.audit_logs UNION ALL SELECT 'os', count(*) FROM ordersync.audit_logs "
            "UNION ALL SELECT 'jobs', count(*) FROM rcmd.jobs UNION ALL SELECT 'orders', count(*) FROM ordersync.orders"
        ).fetchall())
        # OrderSync's audit log also holds each order's own rows (created, accepted, paid …) beside the spread ones.
        with_orders = counts.pop("os")
        assert counts == {"rcmd": scale.rcmd_audit, "jobs": scale.rcmd_jobs, "orders": scale.os_orders}
        assert scale.os_audit + scale.os_orders < with_orders < scale.os_audit + 5 * scale.os_orders
        for schema in ("rcmd", "ordersync"):
            filled = conn.execute(
                f"SELECT count(DISTINCT tableoid) FROM {schema}.audit_logs").fetchone()
            assert filled == (12,)
        statuses = {r[0] for r in conn.execute("SELECT DISTINCT status FROM rcmd.jobs").fetchall()}
        assert statuses == {"pending", "queued", "running", "completed", "failed", "cancelled"}
        assert conn.execute("SELECT count(*) FROM rcmd.jobs WHERE status = 'completed' AND progress <> 100").fetchone() == (0,)
        names = [r[0] for r in conn.execute("SELECT metadata->>'display_name' FROM rcmd.users").fetchall()]
        assert any(n and "\uac00" <= n[0] <= "\ud7a3" for n in names), "expected Korean names"
        assert any(n and n[0].isascii() for n in names), "expected English names"


def test_redis_mirrors_postgresql(seeded: Profile) -> None:
    assert seeded.rcmd is not None and seeded.rcmd_redis_url is not None
    client = redis.Redis.from_url(seeded.rcmd_redis_url, decode_responses=True)
    with psycopg.connect(seeded.rcmd.dsn) as conn:
        by_status: dict[str, set[str]] = {}
        for job_id, status in conn.execute("SELECT id::text, status FROM rcmd.jobs").fetchall():
            by_status.setdefault(status, set()).add(job_id)
        assert set(client.lrange("bull:jobs:wait", 0, -1)) == by_status["queued"]
        assert set(client.lrange("bull:jobs:active", 0, -1)) == by_status["running"]
        assert set(client.zrange("bull:jobs:delayed", 0, -1)) == by_status["pending"]
        assert set(client.zrange("bull:jobs:completed", 0, -1)) <= by_status["completed"]
        assert set(client.zrange("bull:jobs:failed", 0, -1)) == by_status["failed"]  # fewer than bull_keep
        for job_id in list(by_status["running"])[:5]:
            data = client.hgetall(f"bull:jobs:{job_id}")
            assert data["name"] in ("copy", "move", "delete", "sync", "backup") and "processedOn" in data
        live = conn.execute("SELECT id::text, user_id::text, extract(epoch FROM expires_at - now()) FROM rcmd.sessions "
                            "WHERE is_active AND expires_at > now() + interval '5 seconds'").fetchall()
        assert live, "expected active sessions"
        for session_id, user_id, remaining in live:
            ttl = client.ttl(f"session:{session_id}")
            assert 0 < ttl <= remaining + 5
            assert json.loads(client.get(f"session:{session_id}") or "{}")["userId"] == user_id
            assert client.sismember(f"user:sessions:{user_id}", session_id)
        dead = conn.execute("SELECT id::text FROM rcmd.sessions WHERE NOT is_active").fetchall()
        assert not any(client.exists(f"session:{sid}") for (sid,) in dead)


def test_encrypted_columns_decrypt_with_keyring_keys_in_every_state(seeded: Profile) -> None:
    assert seeded.ordersync is not None
    backend = keystore.open_backend(seeded.keyring)
    with psycopg.connect(seeded.ordersync.dsn) as conn:
        states = dict(conn.execute("SELECT key_id, status FROM ordersync.encryption_keys").fetchall())
        assert set(states.values()) == {"ACTIVE", "ROTATING", "RETIRED"}
        used = dict(conn.execute(
            "SELECT email_key_id, count(*) FROM ordersync.users GROUP BY 1 UNION ALL "
            "SELECT ip_key_id, count(*) FROM ordersync.audit_logs GROUP BY 1").fetchall())
        assert {states[k] for k in used} == {"ACTIVE", "ROTATING", "RETIRED"}
        rows = conn.execute("SELECT email_encrypted, email_key_id, email_hash FROM ordersync.users LIMIT 200").fetchall()
    for sealed, key_id, digest in rows:
        key = keystore.fetch_key(backend, seeded.keyring.service, key_id)
        assert key is not None
        email = envelope.decrypt(envelope.cipher_for(key), sealed, envelope.aad_for("column", "users", "email"))
        assert lookup.email_hash(email) == digest
        with pytest.raises(envelope.AuthenticationFailed):
            envelope.decrypt(envelope.cipher_for(key), sealed, envelope.aad_for("column", "users", "name"))


def test_ordersync_amounts_and_history_are_consistent(seeded: Profile) -> None:
    assert seeded.ordersync is not None
    with psycopg.connect(seeded.ordersync.dsn) as conn:
        conn.execute("SET search_path = ordersync")
        checks = {
            "payment amount differs from order total":
                "SELECT count(*) FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.amount <> o.total_amount",
            "refunds exceed captured":
                "SELECT count(*) FROM payment_current_state WHERE refunded_amount > captured_amount",
            "processed refund without event":
                "SELECT count(*) FROM payment_refunds r WHERE r.status = 'PROCESSED' AND NOT EXISTS "
                "(SELECT 1 FROM payment_events e WHERE e.payment_id = r.payment_id AND e.event_type = 'REFUNDED')",
            "order without history":
                "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_status_history h WHERE h.order_id = o.id)",
            "history ends elsewhere":
                "SELECT count(*) FROM orders o WHERE o.status <> (SELECT new_status FROM order_status_history h "
                "WHERE h.order_id = o.id ORDER BY created_at DESC, (new_status = o.status) DESC LIMIT 1)",
            "captured without completed order":
                "SELECT count(*) FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.status = 'CAPTURED' "
                "AND o.status <> 'COMPLETED'",
        }
        for what, query in checks.items():
            assert conn.execute(query).fetchone() == (0,), what
        refunds = conn.execute("SELECT count(*) FROM payment_refunds").fetchone()
        assert refunds is not None and refunds[0] > 0
        bursts = conn.execute(
            "SELECT count(*) FROM (SELECT email_hash FROM login_attempts WHERE NOT success AND created_at > now() - "
            "interval '1 hour' GROUP BY email_hash HAVING count(*) >= 5) b").fetchone()
        assert bursts is not None and bursts[0] >= 2


def test_seeding_twice_needs_reset(seeded: Profile) -> None:
    with pytest.raises(SeedError, match="already holds data"):
        seed_profile(seeded, "small", parallel=False)
    results = seed_profile(seeded, "small", reset=True)
    assert {r.system for r in results} == {"rcmd", "ordersync"}
    assert seeded.rcmd is not None
    with psycopg.connect(seeded.rcmd.dsn) as conn:
        assert conn.execute("SELECT count(*) FROM rcmd.jobs").fetchone() == (SCALES["small"].rcmd_jobs,)
