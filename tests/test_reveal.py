"""Reveal: plaintext only with an audit row written first; roles without reveal get nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from psycopg import sql

from rcmd_tui.config import PgTarget, Profile
from rcmd_tui.data.crypto.columns import column
from rcmd_tui.data.crypto.decrypt import KEY_INFO_SQL, Decryptor, Plain, key_catalog
from rcmd_tui.data.crypto.keystore import KeyStore
from rcmd_tui.data.infra import connections
from rcmd_tui.data.ordersync.lookup import login_attempts_by_email, users_by_email
from rcmd_tui.data.ordersync.reveal import RevealDenied, reveal
from tests.conftest import Cluster


def _decryptor(profile: Profile) -> Decryptor:
    assert profile.ordersync is not None
    with psycopg.connect(profile.ordersync.dsn) as conn:
        catalog = key_catalog(conn.execute(KEY_INFO_SQL.replace("encryption_keys", "ordersync.encryption_keys")).fetchall())
    return Decryptor(KeyStore(profile.keyring), catalog, profile.aad)


@pytest.fixture
async def pools(seeded: Profile) -> AsyncIterator[connections.Pools]:
    pools = connections.Pools(seeded)
    await pools.open()
    yield pools
    await pools.close()


def _any_user(profile: Profile) -> tuple[Any, int]:
    assert profile.ordersync is not None
    with psycopg.connect(profile.ordersync.dsn) as conn:
        row = conn.execute("SELECT id FROM ordersync.users WHERE phone_encrypted IS NOT NULL LIMIT 1").fetchone()
        audits = conn.execute("SELECT count(*) FROM ordersync.audit_logs WHERE action = 'REVEAL_FIELD'").fetchone()
    assert row is not None and audits is not None
    return row[0], audits[0]


def _reveal_audits(profile: Profile) -> list[tuple[Any, ...]]:
    assert profile.ordersync is not None
    with psycopg.connect(profile.ordersync.dsn) as conn:
        return conn.execute("SELECT resource_type, resource_id, new_value_encrypted, new_value_key_id, success, created_at "
                            "FROM ordersync.audit_logs WHERE action = 'REVEAL_FIELD' ORDER BY created_at").fetchall()


async def test_a_reveal_writes_an_audit_row_first(seeded: Profile, pools: connections.Pools) -> None:
    user_id, before = _any_user(seeded)
    assert before == 0
    fields = await reveal(pools.primary("ordersync"), seeded, _decryptor(seeded), "users", user_id, "TICKET-4711 caller check",
                          fields=["email", "phone"])
    assert isinstance(fields["email"], Plain) and "@" in fields["email"].text
    assert isinstance(fields["phone"], Plain)
    audits = _reveal_audits(seeded)
    assert len(audits) == 2
    for table, row_id, payload, key_id, success, _ in audits:
        details = json.loads(payload)
        assert (table, row_id, key_id, success) == ("users", str(user_id), "plain:console", True)
        assert details["reason"] == "TICKET-4711 caller check" and details["console_role"] == "admin"
        assert details["db_user"] and details["os_user"]
    assert {json.loads(a[2])["field"] for a in audits} == {"email", "phone"}


async def test_a_whole_row_reveals_every_field_but_secrets(seeded: Profile, pools: connections.Pools) -> None:
    user_id, _ = _any_user(seeded)
    fields = await reveal(pools.primary("ordersync"), seeded, _decryptor(seeded), "users", user_id, "GDPR export #12")
    assert set(fields) == {"email", "phone", "name"}
    with pytest.raises(RevealDenied, match=r"users\.password_hash is a secret"):
        await reveal(pools.primary("ordersync"), seeded, _decryptor(seeded), "users", user_id, "curious",
                     fields=["password_hash"])


@pytest.mark.parametrize(("change", "message"), [
    ({"role": "support", "reveal_roles": ("admin",)}, "the support role may not reveal"),
    ({"reveal_roles": ()}, "the admin role may not reveal"),
])
async def test_a_role_without_reveal_cannot_reveal(seeded: Profile, pools: connections.Pools,
                                                   change: dict[str, Any], message: str) -> None:
    user_id, _ = _any_user(seeded)
    with pytest.raises(RevealDenied, match=message):
        await reveal(pools.primary("ordersync"), replace(seeded, **change), _decryptor(seeded), "users", user_id,
                     "TICKET-1 lookup")
    assert _reveal_audits(seeded) == []


async def test_no_reason_no_reveal(seeded: Profile, pools: connections.Pools) -> None:
    user_id, _ = _any_user(seeded)
    with pytest.raises(RevealDenied, match="needs a reason"):
        await reveal(pools.primary("ordersync"), seeded, _decryptor(seeded), "users", user_id, "  ")


async def test_the_database_enforces_it_too(seeded: Profile, cluster: Cluster) -> None:
    """A login in rcmd_tui_support reveals (and is named in the audit row); once its tier may not write the
    audit log, the reveal fails and nothing is revealed."""
    assert seeded.ordersync is not None
    login, password = f"support_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with psycopg.connect(seeded.ordersync.dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE rcmd_tui_support").format(
            sql.Identifier(login), sql.Literal(password)))
    info = psycopg.conninfo.conninfo_to_dict(seeded.ordersync.dsn)
    info.update(user=login, password=password)
    dsn = psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    support = replace(seeded, role="support", ordersync=PgTarget(dsn, schema="ordersync"))
    user_id, _ = _any_user(seeded)
    pools = connections.Pools(support)
    await pools.open()
    try:
        fields = await reveal(pools.primary("ordersync"), support, _decryptor(seeded), "users", user_id, "TICKET-9 callback",
                              fields=["email"])
        assert isinstance(fields["email"], Plain)
        assert json.loads(_reveal_audits(seeded)[0][2])["db_user"] == login
        with psycopg.connect(seeded.ordersync.dsn, autocommit=True) as conn:
            conn.execute("REVOKE INSERT ON ordersync.audit_logs FROM rcmd_tui_support")  # this database only
        with pytest.raises(RevealDenied, match="may not write OrderSync's audit log"):
            await reveal(pools.primary("ordersync"), support, _decryptor(seeded), "users", user_id, "TICKET-9 callback",
                         fields=["email"])
        assert len(_reveal_audits(seeded)) == 1
    finally:
        await pools.close()
        with psycopg.connect(seeded.ordersync.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(login)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(login)))


async def test_lookup_by_email_uses_the_hash(seeded: Profile, pools: connections.Pools) -> None:
    decryptor = _decryptor(seeded)
    user_id, _ = _any_user(seeded)
    fields = await reveal(pools.primary("ordersync"), seeded, decryptor, "users", user_id, "TICKET-77 find", fields=["email"])
    email = fields["email"]
    assert isinstance(email, Plain)
    async with pools.reader("ordersync").connection() as conn:
        found = await users_by_email(conn, decryptor, f"  {email.text.upper()} ")
        assert [u.id for u in found] == [user_id]
        assert isinstance(found[0].email, Plain) and found[0].email.text == email.text
        assert await users_by_email(conn, decryptor, "nobody@nowhere.invalid") == []


async def test_login_attempts_by_email_page_by_keyset(seeded: Profile, pools: connections.Pools) -> None:
    assert seeded.ordersync is not None
    decryptor = _decryptor(seeded)
    with psycopg.connect(seeded.ordersync.dsn) as conn:
        row = conn.execute("SELECT u.id, u.email_encrypted, u.email_key_id, count(*) FROM ordersync.users u "
                           "JOIN ordersync.login_attempts a USING (email_hash) GROUP BY 1 ORDER BY 4 DESC LIMIT 1").fetchone()
        assert row is not None and row[3] >= 3
        email = decryptor.field(column("users", "email"), row[1], row[2], row[0])
        assert isinstance(email, Plain)
        expected = [r[0] for r in conn.execute(
            "SELECT a.id FROM ordersync.login_attempts a JOIN ordersync.users u USING (email_hash) WHERE u.id = %s "
            "ORDER BY a.created_at DESC, a.id DESC", [row[0]]).fetchall()]
    seen: list[Any] = []
    async with pools.reader("ordersync").connection() as conn:
        after = None
        while page := await login_attempts_by_email(conn, decryptor, email.text, limit=2, after=after):
            assert all(isinstance(a.ip_address, Plain) for a in page)
            seen += [a.id for a in page]
            after = (page[-1].created_at, page[-1].id)
    assert seen == expected
