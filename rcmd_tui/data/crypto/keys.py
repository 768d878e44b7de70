"""Key management behind `rcmd-tui keys`: which keys the data uses against what the keyring holds, new
keys, moving key material between machines, and a decrypt check of every key.

Key material only ever passes through memory, the keyring, and (on an explicit export) the file named.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from rcmd_tui.config import Profile
from rcmd_tui.data.crypto import envelope
from rcmd_tui.data.crypto.columns import COLUMNS, EncryptedColumn
from rcmd_tui.data.crypto.decrypt import KEY_INFO_SQL, Decryptor, Failure, FailureKind, KeyInfo, Plain, key_catalog
from rcmd_tui.data.crypto.keystore import KeyringUnavailable, KeyStore
from rcmd_tui.data.infra.connections import write_transaction_sync
from rcmd_tui.data.ordersync import audit as ordersync_audit
from rcmd_tui.errors import RcmdError

EXPORT_FORMAT = "rcmd-tui-keys/1"
KEY_TYPES = ("pii", "payment", "business")
EXACT_BELOW = 200_000  # tables estimated smaller than this are counted exactly: it costs little


class KeyOperationError(RcmdError):
    title = "Keys"


@dataclass(frozen=True, slots=True)
class KeyUsage:
    key_id: str
    key_type: str | None  # None: used by rows but absent from encryption_keys
    version: int | None
    status: str
    in_keyring: bool | None  # None: the keyring could not be asked
    rows: int
    estimated: bool


def catalog(conn: psycopg.Connection[Any]) -> dict[str, KeyInfo]:
    return key_catalog(conn.execute(KEY_INFO_SQL).fetchall())


def _estimated_rows(conn: psycopg.Connection[Any], table: str) -> float:
    row = conn.execute(
        "SELECT coalesce(sum(greatest(c.reltuples, 0)), 0) FROM pg_class c WHERE c.oid = to_regclass(%s) "
        "OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass(%s))", [table, table]).fetchone()
    return float(row[0]) if row else 0.0


def _rows_per_key(conn: psycopg.Connection[Any], column: EncryptedColumn, exact: bool) -> tuple[Counter[str], bool]:
    estimate = _estimated_rows(conn, column.table)
    sample = not exact and estimate > EXACT_BELOW
    percent = min(100.0, 100.0 * EXACT_BELOW / estimate) if sample else 100.0
    query = sql.SQL("SELECT {k}, count(*) FROM {t} {s} WHERE {k} IS NOT NULL GROUP BY 1").format(
        k=sql.Identifier(column.key_id_column), t=sql.Identifier(column.table),
        s=sql.SQL("TABLESAMPLE SYSTEM ({})").format(sql.Literal(percent)) if sample else sql.SQL(""))
    counts: Counter[str] = Counter()
    for key_id, n in conn.execute(query).fetchall():
        counts[str(key_id)] += round(n * 100.0 / percent) if sample else int(n)
    return counts, sample


def usage(conn: psycopg.Connection[Any], store: KeyStore, exact: bool = False) -> list[KeyUsage]:
    known = catalog(conn)
    rows: Counter[str] = Counter()
    estimated = False
    for column in COLUMNS:
        counts, sampled = _rows_per_key(conn, column, exact)
        rows.update(counts)
        estimated |= sampled
    result = []
    for key_id in sorted(set(known) | {k for k in rows if not k.startswith("plain:")}):
        info = known.get(key_id)
        try:
            present: bool | None = bool(store.get(key_id))
        except KeyringUnavailable:
            present = None
        result.append(KeyUsage(key_id, info.key_type if info else None, info.version if info else None,
                               info.status if info else "UNKNOWN", present, rows.get(key_id, 0), estimated))
    return result


def generate(conn: psycopg.Connection[Any], profile: Profile, store: KeyStore, key_type: str, *,
             activate: bool = True) -> KeyInfo:
    """A new key in the keyring and its encryption_keys row; with ``activate`` the current ACTIVE key of
    that type becomes ROTATING (still decrypts, no longer used for new values)."""
    if key_type not in KEY_TYPES:
        raise KeyOperationError(f"unknown key type {key_type!r}", f"use one of {', '.join(KEY_TYPES)}")
    row = conn.execute("SELECT coalesce(max(version), 0) + 1 FROM encryption_keys WHERE key_type = %s", [key_type]).fetchone()
    version = int(row[0]) if row else 1
    key_id = f"ordersync/{key_type}/v{version}"
    if store.get(key_id) is not None:
        raise KeyOperationError(f"the keyring already holds {key_id!r} but encryption_keys does not",
                                "import or delete that entry first: a key is never overwritten")
    store.put(key_id, envelope.new_key())
    status = "ACTIVE" if activate else "ROTATING"
    try:
        with write_transaction_sync(conn, profile.timeouts.lock_ms):
            if activate:
                conn.execute("UPDATE encryption_keys SET status = 'ROTATING' WHERE key_type = %s AND status = 'ACTIVE'",
                             [key_type])
            conn.execute("INSERT INTO encryption_keys (key_type, key_id, status, version) VALUES (%s, %s, %s, %s)",
                         [key_type, key_id, status, version])
            conn.execute(ordersync_audit.INSERT, ordersync_audit.params(
                "KEY_GENERATED", "encryption_keys", key_id, {"key_type": key_type, "status": status, "version": version}))
    except psycopg.Error as exc:
        store.delete(key_id)  # no orphan key without its metadata row
        raise KeyOperationError(f"could not record {key_id}: {str(exc).strip().splitlines()[0]}",
                                "the keyring entry was removed again; check the role may write encryption_keys") from None
    return KeyInfo(key_id, key_type, status, version)


@dataclass(frozen=True, slots=True)
class ExportedKey:
    key_id: str
    material: bytes = field(repr=False)


def _audit_file_operation(conn: psycopg.Connection[Any] | None, profile: Profile, action: str, key_ids: Sequence[str],
                          path: Path) -> None:
    if conn is None:
        return
    try:
        with write_transaction_sync(conn, profile.timeouts.lock_ms):
            for key_id in key_ids:
                conn.execute(ordersync_audit.INSERT, ordersync_audit.params(action, "encryption_keys", key_id, {"file": str(path)}))
    except psycopg.Error as exc:
        raise KeyOperationError(f"could not write the audit row, so nothing was done: {str(exc).strip().splitlines()[0]}",
                                "check that the role may insert into OrderSync's audit_logs") from None


def export_keys(conn: psycopg.Connection[Any] | None, profile: Profile, store: KeyStore, key_ids: Sequence[str],
                path: Path) -> list[str]:
    """Writes the named keys (base64) to a new file readable only by its owner; audited first."""
    keys = []
    for key_id in key_ids:
        material = store.get(key_id)
        if not material:
            raise KeyOperationError(f"the keyring has no usable key {key_id!r}", "run 'rcmd-tui keys list' to see what it holds")
        keys.append(ExportedKey(key_id, material))
    if path.exists():
        raise KeyOperationError(f"{path} already exists", "choose a new file: an export never overwrites")
    _audit_file_operation(conn, profile, "KEY_EXPORTED", key_ids, path)
    document = {"format": EXPORT_FORMAT, "service": profile.keyring.service, "exported_at": datetime.now(UTC).isoformat(),
                "keys": [{"key_id": k.key_id, "key": base64.b64encode(k.material).decode("ascii")} for k in keys]}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)
        handle.write("\n")
    return [k.key_id for k in keys]


def read_export(path: Path) -> list[ExportedKey]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeyOperationError(f"cannot read {path}: {exc}", "name a file written by 'rcmd-tui keys export'") from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT or not isinstance(document.get("keys"), list):
        raise KeyOperationError(f"{path} is not an rcmd-tui key export ({EXPORT_FORMAT})", "name a file written by 'rcmd-tui keys export'")
    keys = []
    for i, entry in enumerate(document["keys"]):
        key_id = entry.get("key_id") if isinstance(entry, dict) else None
        try:
            material = base64.b64decode(str(entry.get("key", "")), validate=True) if isinstance(entry, dict) else b""
        except (binascii.Error, ValueError):
            material = b""
        if not isinstance(key_id, str) or not key_id or len(material) != envelope.KEY_BYTES:
            raise KeyOperationError(f"{path}: entry {i + 1} is not a key id with a base64 32-byte key", "re-export the keys")
        keys.append(ExportedKey(key_id, material))
    return keys


def import_keys(conn: psycopg.Connection[Any] | None, profile: Profile, store: KeyStore, path: Path, *,
                replace_existing: bool = False) -> tuple[list[str], list[str]]:
    """(imported, already identical). A different key under the same id is refused unless replace_existing."""
    keys = read_export(path)
    imported, same = [], []
    for key in keys:
        current = store.get(key.key_id)
        if current == key.material:
            same.append(key.key_id)
        elif current and not replace_existing:
            raise KeyOperationError(f"the keyring holds a different key under {key.key_id!r}",
                                    "nothing was imported; add --replace only if the file's key is the right one")
    todo = [k for k in keys if k.key_id not in same]
    _audit_file_operation(conn, profile, "KEY_IMPORTED", [k.key_id for k in todo], path)
    for key in todo:
        store.put(key.key_id, key.material)
        imported.append(key.key_id)
    return imported, same


@dataclass
class KeyCheck:
    key_id: str
    status: str
    sampled: int = 0
    ok: int = 0
    retired: int = 0
    failures: Counter[FailureKind] = field(default_factory=Counter)
    example: str = ""  # the first failure, where to find it

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


def check(conn: psycopg.Connection[Any], decryptor: Decryptor, sample: int = 20) -> list[KeyCheck]:
    """Decrypts up to ``sample`` rows per key and column, plus a random sample of each column's other key ids
    (which finds ids that encryption_keys does not know and keys of the wrong type). A sample, not a proof:
    docs/encryption.md says what it can miss."""
    reports: dict[str, KeyCheck] = {k: KeyCheck(k, v.status) for k, v in decryptor.catalog.items()}

    def record(column: EncryptedColumn, rows: Iterable[Sequence[Any]]) -> None:
        for row_id, value, key_id in rows:
            if key_id is None or str(key_id).startswith("plain:"):
                continue
            report = reports.setdefault(str(key_id), KeyCheck(str(key_id), "UNKNOWN"))
            result = decryptor.field(column, value, key_id, row_id)
            report.sampled += 1
            if isinstance(result, Plain):
                report.ok += 1
                report.retired += result.retired
            elif isinstance(result, Failure):
                report.failures[result.kind] += 1
                report.example = report.example or f"{column.label} id={row_id}: {result}"

    for column in COLUMNS:
        cols = sql.SQL("{}, {}, {}").format(sql.Identifier(column.id_column), sql.Identifier(column.ciphertext_column),
                                            sql.Identifier(column.key_id_column))
        table = sql.Identifier(column.table)
        fitting = [k for k, info in decryptor.catalog.items() if info.key_type == column.key_type]
        for key_id in fitting:
            record(column, conn.execute(sql.SQL("SELECT {} FROM {} WHERE {} = %s LIMIT %s").format(
                cols, table, sql.Identifier(column.key_id_column)), [key_id, sample]).fetchall())
        estimate = _estimated_rows(conn, column.table)
        percent = min(100.0, 100.0 * max(sample * 50, 1000) / estimate) if estimate > 0 else 100.0
        record(column, conn.execute(sql.SQL("SELECT {} FROM {} TABLESAMPLE SYSTEM ({}) WHERE {} <> ALL(%s) LIMIT %s").format(
            cols, table, sql.Literal(percent), sql.Identifier(column.key_id_column)),
            [fitting, sample]).fetchall())  # unknown key ids, and keys of the wrong type
    return sorted(reports.values(), key=lambda r: r.key_id)
