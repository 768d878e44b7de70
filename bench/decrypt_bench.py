"""Decrypting a page of 50 OrderSync users (email, phone, name) on throwaway servers with demo data.

Ours: the data layer's Decryptor (keys fetched from the keyring once per process, ciphers cached), timed
per page after the first. Baseline, same rows and same keyring backend in the same run: the naive way, one
keyring look-up per field, then a new cipher and a decrypt. Target: at most 2 ms per page, zero keyring
look-ups per page after the first.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time
from typing import Any

import psycopg
from psycopg.rows import dict_row

from rcmd_tui.config import KeyringSettings, PgTarget, Profile
from rcmd_tui.data.crypto import envelope
from rcmd_tui.data.crypto.columns import of_table
from rcmd_tui.data.crypto.decrypt import KEY_INFO_SQL, Decryptor, Plain, key_catalog
from rcmd_tui.data.crypto.keystore import DemoFileKeyring, KeyStore, open_backend
from rcmd_tui.data.demo.seed import seed_profile
from rcmd_tui.data.infra import launcher, migrate

PAGE = 50
FIELDS = of_table("users")[:3]  # email, phone, name
TARGET_MS = 2.0


def _pages(dsn: str) -> tuple[list[list[dict[str, Any]]], dict[str, Any]]:
    pages, last = [], None
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        catalog = key_catalog(conn.execute(KEY_INFO_SQL).fetchall())
        while True:
            rows = cur.execute("SELECT id, email_encrypted, email_key_id, phone_encrypted, phone_key_id, name_encrypted, "
                               "name_key_id FROM users WHERE %s::uuid IS NULL OR id > %s ORDER BY id LIMIT %s",
                               [last, last, PAGE]).fetchall()
            if len(rows) < PAGE:
                break
            pages.append(rows)
            last = rows[-1]["id"]
    return pages, catalog


def _naive_page(backend: Any, service: str, rows: list[dict[str, Any]], policy: envelope.AadPolicy) -> int:
    done = 0
    for row in rows:
        for column in FIELDS:
            value, key_id = row[column.ciphertext_column], row[column.key_id_column]
            if value is None:
                continue
            key = base64.b64decode(backend.get_password(service, key_id))
            envelope.decrypt(envelope.cipher_for(key), value, envelope.aad_for(policy, column.table, column.name, row["id"]))
            done += 1
    return done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20, help="passes over every page")
    args = parser.parse_args()
    with launcher.running() as servers:
        with psycopg.connect(servers.pg.dsn(), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "ordersync"')
        dsn = servers.pg.dsn("ordersync")
        with psycopg.connect(dsn) as conn:
            migrate.migrate(conn, "ordersync", "public")
        settings = KeyringSettings("rcmd-tui-bench", f"{DemoFileKeyring.__module__}.DemoFileKeyring",
                                   str(servers.root / "keyring.cfg"))
        profile = Profile(name="bench", ordersync=PgTarget(dsn), keyring=settings)
        seed_profile(profile, "small")
        pages, catalog = _pages(dsn)

        store = KeyStore(settings)
        decryptor = Decryptor(store, catalog, profile.aad)
        decryptor.prefetch()  # as the console does when it connects: one look-up per catalogued key
        decryptor.page(FIELDS, pages[0])
        lookups_after_first = store.lookups
        ours = []
        for _ in range(args.rounds):
            for rows in pages[1:]:
                started = time.perf_counter()
                result = decryptor.page(FIELDS, rows)
                ours.append((time.perf_counter() - started) * 1000)
                assert all(isinstance(f["email"], Plain) for f in result)
        lookups_per_page = (store.lookups - lookups_after_first) / (len(pages) - 1) / args.rounds

        backend = open_backend(settings)
        naive = []
        for rows in pages[1:]:
            started = time.perf_counter()
            _naive_page(backend, settings.service, rows, profile.aad)
            naive.append((time.perf_counter() - started) * 1000)
        fields = sum(1 for rows in pages[1:] for r in rows for c in FIELDS if r[c.ciphertext_column] is not None)

    ours_ms, naive_ms = statistics.median(ours), statistics.median(naive)
    print(f"decrypt a page of {PAGE} users (email, phone, name), {len(ours)} pages timed after the first:")
    print(f"  ours   median {ours_ms:.3f} ms  p95 {statistics.quantiles(ours, n=20)[-1]:.3f} ms  "
          f"keyring look-ups per page {lookups_per_page:g} (before the first: {lookups_after_first}, one per key)")
    print(f"  naive  median {naive_ms:.3f} ms  (one keyring look-up per field: {fields / (len(pages) - 1):.0f} per page, "
          f"same DemoFileKeyring backend)")
    print(f"  ratio  naive / ours = {naive_ms / ours_ms:.0f}x;  target <= {TARGET_MS} ms: "
          f"{'met' if ours_ms <= TARGET_MS and lookups_per_page == 0 else 'MISSED'}")


if __name__ == "__main__":
    main()
