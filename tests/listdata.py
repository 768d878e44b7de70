"""Deterministic list data for paging, filter, snapshot and rendering tests: fixed times, fixed ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from rcmd_tui.config import Profile
from rcmd_tui.data.infra.connections import connect

T0 = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
USERS = ("alice", "bob", "carol")


def user_id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def fill_rcmd(profile: Profile, rows: int = 250, hostile: tuple[str, ...] = ()) -> None:
    """``rows`` audit rows one minute apart going back from T0, every tenth sharing its predecessor's time
    (keyset paging must not skip ties); user i % 3; every seventh a failure. ``hostile`` strings go into the
    newest rows' action, resource_id, user_agent and details."""
    assert profile.rcmd is not None
    with connect("rcmd", profile.rcmd, profile.timeouts, read_only=False) as conn:
        conn.execute("SELECT ensure_audit_partitions(%s::date, 1)", [(T0 - timedelta(days=400)).date()])
        for i, name in enumerate(USERS):
            conn.execute("INSERT INTO users (id, username, email, password_hash, role, created_at) VALUES (%s, %s, %s, 'x', %s, %s)",
                         [user_id(i), name, f"{name}@example.com", "admin" if i == 0 else "user", T0 - timedelta(days=i)])
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO audit_logs (user_id, action, resource_type, resource_id, details, ip_address, user_agent, result, created_at)"
                " VALUES (%s, %s, 'jobs', %s, %s, %s, %s, %s, %s)",
                [(user_id(i % 3), "LOGIN" if i % 2 else "job.create", f"r{i}", psycopg.types.json.Jsonb({"n": i, "note": f"row {i}"}),
                  f"10.0.{i % 4}.{i % 200}", "curl/8", "failure" if i % 7 == 0 else "success",
                  T0 - timedelta(minutes=i - (1 if i % 10 == 0 and i else 0)))
                 for i in range(rows)])
            for j, text in enumerate(hostile):
                cur.execute(
                    "INSERT INTO audit_logs (user_id, action, resource_type, resource_id, details, user_agent, result, created_at)"
                    " VALUES (%s, %s, 'jobs', %s, %s, %s, 'success', %s)",
                    [user_id(0), text[:100], text[:255], psycopg.types.json.Jsonb({"v": text, text: 1}), text,
                     T0 + timedelta(minutes=j + 1)])
        conn.execute("ANALYZE audit_logs")


def fill_ordersync_user(profile: Profile) -> None:
    """One OrderSync user whose fields are stored unencrypted by design (plain:* key ids): a detail screen
    with revealable fields and fixed content, for pictures of the reveal prompt."""
    assert profile.ordersync is not None
    with connect("ordersync", profile.ordersync, profile.timeouts, read_only=False) as conn:
        conn.execute(
            "INSERT INTO users (id, email_encrypted, email_key_id, email_hash, name_encrypted, name_key_id, "
            "password_hash_encrypted, password_key_id, salt, created_at) "
            "VALUES (%s, 'ann@example.com', 'plain:test', 'x', 'Ann Example', 'plain:test', 'x', 'plain:test', 's', %s)",
            [user_id(9), T0])
