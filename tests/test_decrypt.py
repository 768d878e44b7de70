"""Batch decryption through the real database and a real keyring backend: every failure kind, and one
bad field never costs its row or the page."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from rcmd_tui.config import KeyringSettings, Profile
from rcmd_tui.data.crypto import envelope
from rcmd_tui.data.crypto.columns import COLUMNS, of_table
from rcmd_tui.data.crypto.decrypt import KEY_INFO_SQL, Decryptor, Failure, FailureKind, Plain, key_catalog
from rcmd_tui.data.crypto.keystore import KeyStore
from tests import keyring_backends

USERS = of_table("users")[:3]  # email, phone, name
PAGE_SQL = ("SELECT id, email_encrypted, email_key_id, phone_encrypted, phone_key_id, name_encrypted, name_key_id "
            "FROM ordersync.users ORDER BY id LIMIT 50")


def _page(profile: Profile, decryptor: Decryptor) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    assert profile.ordersync is not None
    with psycopg.connect(profile.ordersync.dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(PAGE_SQL).fetchall()
    return rows, decryptor.page(USERS, rows)


def _decryptor(profile: Profile, keys: KeyStore | None = None, **kw: Any) -> Decryptor:
    assert profile.ordersync is not None
    with psycopg.connect(profile.ordersync.dsn) as conn:
        conn.execute("SET search_path = ordersync")
        catalog = key_catalog(conn.execute(KEY_INFO_SQL).fetchall())
    return Decryptor(keys or KeyStore(profile.keyring), catalog, profile.aad, **kw)


def test_a_clean_page_decrypts_with_one_lookup_per_key(seeded: Profile) -> None:
    decryptor = _decryptor(seeded)
    rows, page = _page(seeded, decryptor)
    assert len(page) == 50
    for fields in page:
        assert isinstance(fields["email"], Plain) and "@" in fields["email"].text
        assert fields["phone"] is None or isinstance(fields["phone"], Plain)
    used = {r[k] for r in rows for k in ("email_key_id", "phone_key_id", "name_key_id") if r[k]}
    assert decryptor.keys.lookups == len(used)
    _page(seeded, decryptor)
    assert decryptor.keys.lookups == len(used)  # the second page asks the keyring nothing


def test_retired_keys_decrypt_flagged_or_are_refused_by_policy(seeded: Profile) -> None:
    assert seeded.ordersync is not None
    with psycopg.connect(seeded.ordersync.dsn, row_factory=dict_row) as conn:
        row = conn.execute("SELECT id, email_encrypted, email_key_id FROM ordersync.users "
                           "WHERE email_key_id = 'ordersync/pii/v1' LIMIT 1").fetchone()
    assert row is not None
    flagged = _decryptor(seeded).field(USERS[0], row["email_encrypted"], row["email_key_id"], row["id"])
    assert isinstance(flagged, Plain) and flagged.retired
    refused = _decryptor(seeded, retired="refuse").field(USERS[0], row["email_encrypted"], row["email_key_id"], row["id"])
    assert isinstance(refused, Failure) and refused.kind is FailureKind.KEY_NOT_ALLOWED and "RETIRED" in refused.detail


def test_every_failure_kind_keeps_the_rest_of_the_row_and_page(seeded: Profile) -> None:
    assert seeded.ordersync is not None
    other_key = envelope.cipher_for(envelope.new_key())
    with psycopg.connect(seeded.ordersync.dsn, autocommit=True) as conn:
        conn.execute("SET search_path = ordersync")
        ids = [r[0] for r in conn.execute("SELECT id FROM users WHERE phone_encrypted IS NOT NULL AND name_encrypted "
                                          "IS NOT NULL AND email_key_id = 'ordersync/pii/v3' ORDER BY id LIMIT 6").fetchall()]
        # Keyed by the field that breaks; each row keeps its other two fields intact.
        conn.execute("UPDATE users SET phone_key_id = 'ordersync/pii/v99' WHERE id = %s", [ids[0]])
        conn.execute("INSERT INTO encryption_keys (key_type, key_id, status, version) "
                     "VALUES ('pii', 'ordersync/pii/v4', 'ACTIVE', 4)")
        conn.execute("UPDATE users SET phone_key_id = 'ordersync/pii/v4' WHERE id = %s", [ids[1]])
        conn.execute("UPDATE users SET phone_key_id = 'ordersync/payment/v2' WHERE id = %s", [ids[2]])
        conn.execute("UPDATE users SET phone_encrypted = 'v1:not*base64' WHERE id = %s", [ids[3]])
        conn.execute("UPDATE users SET phone_encrypted = %s WHERE id = %s",
                     [envelope.encrypt(other_key, "010-0000-0000", b"users.phone"), ids[4]])
        conn.execute("UPDATE users SET phone_encrypted = email_encrypted, phone_key_id = email_key_id WHERE id = %s", [ids[5]])
        rows = conn.cursor(row_factory=dict_row).execute(
            "SELECT id, email_encrypted, email_key_id, phone_encrypted, phone_key_id, name_encrypted, name_key_id "
            "FROM users ORDER BY id = ANY(%s) DESC, id LIMIT 50", [ids]).fetchall()
    decryptor = _decryptor(seeded)
    page = decryptor.page(USERS, rows)
    assert len(page) == 50
    by_id = {r["id"]: f for r, f in zip(rows, page, strict=True)}
    expected = [FailureKind.UNKNOWN_KEY_ID, FailureKind.KEY_MISSING, FailureKind.KEY_NOT_ALLOWED, FailureKind.MALFORMED,
                FailureKind.AUTH_FAILED, FailureKind.AAD_MISMATCH]
    for row_id, kind in zip(ids, expected, strict=True):
        fields = by_id[row_id]
        phone = fields["phone"]
        assert isinstance(phone, Failure) and phone.kind is kind, (kind, phone)
        assert isinstance(fields["email"], Plain) and isinstance(fields["name"], Plain)
    aad = by_id[ids[5]]["phone"]
    assert isinstance(aad, Failure) and "users.email" in aad.detail
    others = [f for r, f in zip(rows, page, strict=True) if r["id"] not in ids]
    assert others and all(isinstance(f["email"], Plain) for f in others)


def test_no_keyring_backend_shows_fields_as_locked_with_the_fix(seeded: Profile) -> None:
    broken = KeyStore(replace(seeded.keyring, backend="no.such.KeyringBackend"))
    rows, page = _page(seeded, _decryptor(seeded, broken))
    assert len(page) == len(rows) == 50
    email = page[0]["email"]
    assert isinstance(email, Failure) and email.kind is FailureKind.KEYRING_LOCKED
    assert "keyring.backend" in email.detail
    assert broken.status() is not None


def test_a_keyring_that_never_answers_times_out(seeded: Profile) -> None:
    blocking = KeyStore(KeyringSettings("rcmd-tui-test", f"{keyring_backends.__name__}.BlockingKeyring"), timeout_s=0.3)
    try:
        _, page = _page(seeded, _decryptor(seeded, blocking))
    finally:
        keyring_backends.RELEASE.set()
    email = page[0]["email"]
    assert isinstance(email, Failure) and email.kind is FailureKind.KEYRING_LOCKED
    assert "did not answer within 0.3 s" in email.detail
    assert blocking.lookups == 1  # the rest of the page failed fast instead of waiting again


def test_the_column_catalog_matches_the_schema(db: str) -> None:
    with psycopg.connect(db) as conn:
        found = set(conn.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN pg_class k ON k.relname = c.table_name JOIN pg_namespace n ON n.oid = k.relnamespace "
            "AND n.nspname = c.table_schema WHERE c.table_schema = 'ordersync' AND NOT k.relispartition "
            "AND c.table_name <> 'audit_logs_archive'"  # archived rows are audit_logs rows: same columns, same AAD
            ).fetchall())
    encrypted = {(t, c) for t, c in found if c.endswith("_encrypted")}
    assert encrypted == {(c.table, c.ciphertext_column) for c in COLUMNS}
    for c in COLUMNS:
        assert (c.table, c.key_id_column) in found, c.label


@pytest.mark.parametrize("policy", ["none", "row"])
def test_a_profile_policy_that_differs_from_the_data_is_an_aad_mismatch(seeded: Profile, policy: str) -> None:
    decryptor = _decryptor(replace(seeded, aad=policy))  # type: ignore[arg-type]
    _, page = _page(seeded, decryptor)
    email = page[0]["email"]
    assert isinstance(email, Failure) and email.kind is FailureKind.AAD_MISMATCH
