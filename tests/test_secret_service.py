"""The key store over a real Secret Service (gnome-keyring on a private D-Bus session bus)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import secretstorage
from psycopg.rows import dict_row

from rcmd_tui.config import KeyringSettings, Profile
from rcmd_tui.data.crypto.columns import of_table
from rcmd_tui.data.crypto.decrypt import KEY_INFO_SQL, Decryptor, Failure, FailureKind, KeyInfo, Plain, key_catalog
from rcmd_tui.data.crypto.keystore import KeyStore
from rcmd_tui.data.demo.ordersync_seed import KEY_PLAN
from tests import secret_service

BACKEND = "keyring.backends.SecretService.Keyring"
USERS = of_table("users")[:3]


@pytest.fixture
def bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with secret_service.running(tmp_path / "secret-service") as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address


def _users_page(profile: Profile) -> tuple[dict[str, KeyInfo], list[dict[str, Any]]]:
    assert profile.ordersync is not None
    with psycopg.connect(profile.ordersync.dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        catalog = key_catalog(conn.execute(KEY_INFO_SQL.replace("encryption_keys", "ordersync.encryption_keys")).fetchall())
        rows = cur.execute("SELECT id, email_encrypted, email_key_id, phone_encrypted, phone_key_id, name_encrypted, "
                           "name_key_id FROM ordersync.users ORDER BY created_at LIMIT 100").fetchall()
    return catalog, rows


def _copy_keys(source: KeyStore, target: KeyStore) -> None:
    for key in KEY_PLAN:
        material = source.get(key.key_id)
        assert material is not None
        target.put(key.key_id, material)


def test_keys_move_into_the_secret_service_and_decrypt_a_page(seeded: Profile, bus: str) -> None:
    settings = KeyringSettings(service=seeded.keyring.service, backend=BACKEND)
    target = KeyStore(settings)
    assert target.status() is None
    _copy_keys(KeyStore(seeded.keyring), target)
    fresh = KeyStore(settings)  # a new process's view: nothing cached
    catalog, rows = _users_page(seeded)
    page = Decryptor(fresh, catalog, seeded.aad).page(USERS, rows)
    assert all(isinstance(f["email"], Plain) for f in page)
    assert any(f["email"].retired for f in page if isinstance(f["email"], Plain))  # oldest users: the RETIRED key
    used = {r[k] for r in rows for k in ("email_key_id", "phone_key_id", "name_key_id") if r[k]}
    assert fresh.lookups == len(used)


def test_a_locked_collection_shows_fields_as_locked_with_the_fix(seeded: Profile, bus: str) -> None:
    settings = KeyringSettings(service=seeded.keyring.service, backend=BACKEND)
    _copy_keys(KeyStore(seeded.keyring), KeyStore(settings))
    connection = secretstorage.dbus_init()
    secretstorage.get_default_collection(connection).lock()
    connection.close()
    store = KeyStore(settings)
    catalog, rows = _users_page(seeded)
    page = Decryptor(store, catalog, seeded.aad).page(USERS, rows)
    assert len(page) == len(rows)
    email = page[0]["email"]
    assert isinstance(email, Failure) and email.kind is FailureKind.KEYRING_LOCKED
    assert "the keyring is locked" in email.detail and "unlock" in email.detail
    assert store.lookups == 1  # the rest of the page failed fast instead of asking again per field
