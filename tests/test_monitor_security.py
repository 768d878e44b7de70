"""Security signals against seeded databases: failed-login bursts per email_hash, IPs shared by more than ten
users found by decrypting in the console (each IP sealed under its own nonce, so SQL never groups them), IPs
that cannot be decrypted counted rather than lost, and RCMD's permission changes of the last day."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.data.crypto import envelope
from rcmd_tui.data.crypto.keystore import KeyStore
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.filters import compile_filter
from rcmd_tui.data.lists.snapshot import read_snapshot
from rcmd_tui.data.monitor.security import SIGNALS, VIEWS
from rcmd_tui.data.ordersync.lookup import email_hash
from tests.helpers import run_cli

SHARED_IP = "198.51.100.9"  # TEST-NET-2: never one of the seeder's addresses
FEW_USERS_IP = "198.51.100.10"
PII_KEY = "ordersync/pii/v3"  # the seeded ACTIVE pii key
UNKNOWN_EMAIL = "nobody-at-all@example.invalid"
SECURITY = {v.system: v for v in VIEWS}


def _seal(cipher: Any, profile: Profile, table: str, value: str, row_id: uuid.UUID) -> str:
    return envelope.encrypt(cipher, value, envelope.aad_for(profile.aad, table, "ip_address", row_id))


def plant_ordersync(profile: Profile) -> str:
    """Failed logins (a burst on a real user, a burst on an unknown address, four that are not a burst), audit
    rows from one IP for twelve users and from another for five, and three whose IP cannot be decrypted.
    Returns the real user's email_hash."""
    assert profile.ordersync is not None
    material = KeyStore(profile.keyring).get(PII_KEY)
    assert material
    cipher, stranger = envelope.cipher_for(material), envelope.cipher_for(envelope.new_key())
    now = datetime.now(UTC)
    with psycopg.connect(profile.ordersync.dsn, autocommit=True, options="-c search_path=ordersync") as conn:
        digest, = conn.execute(
            "SELECT email_hash FROM users u WHERE NOT EXISTS (SELECT 1 FROM login_attempts l WHERE l.email_hash = "
            "u.email_hash AND l.created_at > now() - interval '2 hours') ORDER BY id LIMIT 1").fetchone() or ("",)
        users = [r[0] for r in conn.execute("SELECT id FROM users ORDER BY id LIMIT 12").fetchall()]
        attempts = [(digest, 6), (email_hash(UNKNOWN_EMAIL), 5), (email_hash("almost@example.invalid"), 4)]
        with conn.cursor() as cur:
            for target, n in attempts:
                for i in range(n):
                    lid = uuid.uuid4()
                    cur.execute("INSERT INTO login_attempts (id, email_hash, ip_address_encrypted, ip_key_id, success, "
                                "failure_reason, created_at) VALUES (%s, %s, %s, %s, false, 'INVALID_PASSWORD', %s)",
                                (lid, target, _seal(cipher, profile, "login_attempts", SHARED_IP, lid), PII_KEY,
                                 now - timedelta(minutes=30 - i)))
            audit: list[tuple[Any, ...]] = []
            for i, user in enumerate(users):  # one IP, twelve users, each value under its own nonce
                aid = uuid.uuid4()
                audit.append((aid, user, _seal(cipher, profile, "audit_logs", SHARED_IP, aid), PII_KEY, now - timedelta(minutes=i)))
            for user in users[:5]:
                aid = uuid.uuid4()
                audit.append((aid, user, _seal(cipher, profile, "audit_logs", FEW_USERS_IP, aid), PII_KEY, now - timedelta(minutes=3)))
            for i, user in enumerate(users[:3]):  # two under a key id nobody knows, one sealed under another key
                aid = uuid.uuid4()
                key_id = PII_KEY if i == 2 else "ordersync/pii/v99"
                audit.append((aid, user, _seal(stranger, profile, "audit_logs", SHARED_IP, aid), key_id, now - timedelta(minutes=5)))
            old = uuid.uuid4()  # older than an hour: not counted
            audit.append((old, users[0], _seal(cipher, profile, "audit_logs", SHARED_IP, old), PII_KEY, now - timedelta(hours=2)))
            cur.executemany("INSERT INTO audit_logs (id, trace_id, action, resource_type, resource_id, user_id, "
                            "ip_address_encrypted, ip_key_id, success, created_at) "
                            "VALUES (%s, md5(random()::text), 'LOGIN', 'User', 'x', %s, %s, %s, true, %s)", audit)
    return str(digest)


CHANGES = (  # (marker, action, resource_type, details, with a user, hours ago, counted)
    ("m-perm", "permission.update", "permission", {"permissions": ["read", "write"]}, True, 1, True),
    ("m-role", "user.role_change", "user", {"from": "user", "to": "power_user"}, True, 2, True),
    ("m-seed", "UPDATE_PERMISSIONS", "User", None, True, 3, True),
    ("m-trigger", "UPDATE", "permissions", {"id": "p1"}, False, 4, True),
    ("m-user-role", "user.update", "user", {"role": "admin"}, True, 5, True),
    ("m-user-other", "user.update", "user", {"method": "GET"}, True, 1, False),
    ("m-users-trigger", "UPDATE", "users", {"role": "user", "last_login_at": "now"}, False, 1, False),
    ("m-file", "file.list", "file", None, True, 1, False),
    ("m-old", "permission.update", "permission", None, True, 30, False),
)


def plant_rcmd(profile: Profile) -> str:
    """Audit rows that are permission changes and rows that are not; returns the acting user's name."""
    assert profile.rcmd is not None
    now = datetime.now(UTC)
    with psycopg.connect(profile.rcmd.dsn, autocommit=True, options="-c search_path=rcmd") as conn:
        uid, name = conn.execute("SELECT id, username FROM users ORDER BY id LIMIT 1").fetchone() or (None, "")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO audit_logs (user_id, action, resource_type, resource_id, details, ip_address, result, created_at) "
                "VALUES (%s, %s, %s, %s, %s, '10.9.8.7', 'success', %s)",
                [(uid if with_user else None, action, kind, marker, Jsonb(details) if details else None, now - timedelta(hours=ago))
                 for marker, action, kind, details, with_user, ago, _ in CHANGES])
    return str(name)


@pytest.fixture
async def seeded_services(seeded: Profile) -> AsyncIterator[Services]:
    services = Services(seeded)
    await services.open()
    yield services
    await services.close()


async def rows_of(services: Services, system: str) -> list[dict[str, Any]]:
    names, rows = await read_snapshot(services, SECURITY[system])
    return [dict(zip(names, r, strict=True)) for r in rows]


def only(rows: Sequence[dict[str, Any]], **wanted: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r[k] == v for k, v in wanted.items())]
    assert len(found) == 1, (wanted, found)
    return found[0]


async def test_failed_login_bursts_per_email_hash_with_the_masked_address(seeded_services: Services) -> None:
    digest = plant_ordersync(seeded_services.profile)
    rows = await rows_of(seeded_services, "ordersync")
    bursts = [r for r in rows if r["signal"] == "login-burst"]
    known = only(bursts, ref=f"hash:{digest}")
    assert known["who"].startswith(digest[:12] + "… ") and "@" in known["who"] and "*" in known["who"]
    assert (known["count"], known["users"]) == (6, 1) and "INVALID_PASSWORD ×6" in known["detail"]
    assert known["first"] < known["last"] and known["last"] > datetime.now(UTC) - timedelta(hours=1)
    stranger = only(bursts, ref=f"hash:{email_hash(UNKNOWN_EMAIL)}")
    assert (stranger["count"], stranger["users"]) == (5, 0) and "no OrderSync user" in stranger["detail"]
    assert stranger["who"].endswith("(no user)")
    assert not [r for r in bursts if r["ref"] == f"hash:{email_hash('almost@example.invalid')}"]  # four: not a burst
    assert all(r["count"] >= 5 for r in bursts)


async def test_an_ip_shared_by_twelve_users_groups_only_after_decryption(seeded_services: Services) -> None:
    plant_ordersync(seeded_services.profile)
    assert seeded_services.profile.ordersync is not None
    with psycopg.connect(seeded_services.profile.ordersync.dsn) as conn:  # the seed's query finds nothing
        grouped = conn.execute("SELECT count(*) FROM (SELECT ip_address_encrypted FROM ordersync.audit_logs "
                               "WHERE created_at > now() - interval '1 hour' GROUP BY ip_address_encrypted "
                               "HAVING count(DISTINCT user_id) > 10) AS g").fetchone()
    assert grouped == (0,)
    rows = await rows_of(seeded_services, "ordersync")
    shared = only(rows, signal="shared-ip")
    assert (shared["who"], shared["count"], shared["users"]) == ("198.51.*.*", 12, 12)
    assert shared["detail"].startswith("12 users, 12 audit rows") and "LOGIN ×12" in shared["detail"]
    lost = only(rows, signal="undecryptable")
    assert (lost["count"], lost["users"]) == (3, 3)
    assert "unknown key id ×2" in lost["detail"] and "authentication failed ×1" in lost["detail"]
    assert not any(SHARED_IP in str(v) or FEW_USERS_IP in str(v) for r in rows for v in r.values())
    page = await open_source(SECURITY["ordersync"], seeded_services,
                             flt=compile_filter(SECURITY["ordersync"], "signal=shared-ip users>10")).first()
    assert [r.get("who") for r in page.records] == ["198.51.*.*"]


async def test_rcmd_permission_changes_of_the_last_day_one_row_each(seeded_services: Services) -> None:
    name = plant_rcmd(seeded_services.profile)
    rows = await rows_of(seeded_services, "rcmd")
    assert {r["signal"] for r in rows} == {"permission"}
    shown = {marker: r for r in rows for marker, *_ in CHANGES if f" {marker}:" in r["detail"]}
    assert set(shown) == {c[0] for c in CHANGES if c[6]}
    assert shown["m-perm"]["who"] == name and shown["m-perm"]["count"] == 1
    assert shown["m-perm"]["detail"].startswith("permission.update on permission m-perm: success from 10.9.8.7")
    assert shown["m-trigger"]["who"].startswith("(no user")
    assert shown["m-perm"]["first"] == shown["m-perm"]["last"] > shown["m-role"]["last"]


def test_reports_of_security_signals_as_json(seeded: Profile, tmp_path: Path) -> None:
    plant_ordersync(seeded)
    plant_rcmd(seeded)
    path = tmp_path / "config.toml"
    path.write_text(profile_to_toml(seeded), encoding="utf-8")
    config = {"RCMD_TUI_CONFIG": str(path)}
    done = run_cli(["report", "security", "ordersync", "--format", "json"], config)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows and all(list(r) == ["signal", "who", "count", "users", "first", "last", "detail"] for r in rows)
    for r in rows:
        assert r["signal"] in SIGNALS and isinstance(r["count"], int) and isinstance(r["users"], int)
        assert r["first"].endswith("Z") and r["last"].endswith("Z") and r["first"] <= r["last"]
    assert [r["last"] for r in rows] == sorted((r["last"] for r in rows), reverse=True)  # latest first
    assert {"signal": "shared-ip", "who": "198.51.*.*", "count": 12, "users": 12}.items() <= only(rows, signal="shared-ip").items()
    assert SHARED_IP not in done.stdout
    rcmd = run_cli(["report", "security", "rcmd", "--format", "json", "--filter", "signal=permission"], config)
    assert rcmd.returncode == 0, rcmd.stderr
    changes = json.loads(rcmd.stdout)
    assert len([r for r in changes if "m-perm:" in r["detail"]]) == 1 and all(r["users"] is None for r in changes)
