"""Batch decryption: a page of rows in, a page out, each encrypted field either its plaintext or a typed
failure. One bad field never loses its row or the page.

Checks run cheapest and most telling first, so a missing key is never reported as tampering:
key id known to ``encryption_keys`` -> allowed by policy -> present in the keyring -> envelope well-formed
-> tag verifies. A tag that fails under the expected associated data is tried under the others a
ciphertext could carry (no binding, or another column's, or row-bound); if one verifies, the failure is an
associated-data mismatch (the value was moved or written under another policy), not tampering.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from rcmd_tui.data.crypto import envelope
from rcmd_tui.data.crypto.columns import COLUMNS, EncryptedColumn
from rcmd_tui.data.crypto.keystore import KeyringUnavailable, KeyStore

PLAIN_PREFIX = "plain:"  # key ids such as plain:trigger mark values written unencrypted (seed-deviations O11)
RetiredPolicy = Literal["flag", "refuse"]


class FailureKind(StrEnum):
    UNKNOWN_KEY_ID = "unknown key id"
    KEY_MISSING = "key missing from keyring"
    KEY_NOT_ALLOWED = "key not allowed"
    MALFORMED = "malformed envelope"
    AUTH_FAILED = "authentication failed"
    AAD_MISMATCH = "associated data mismatch"
    KEYRING_LOCKED = "keyring locked"


@dataclass(frozen=True, slots=True)
class KeyInfo:
    key_id: str
    key_type: str
    status: str  # ACTIVE, ROTATING, RETIRED
    version: int


@dataclass(frozen=True, slots=True)
class Plain:
    text: str
    key_id: str
    retired: bool = False  # decrypted under a RETIRED key: re-encrypt soon
    unencrypted: bool = False  # stored as plaintext by design (plain:* key ids)


@dataclass(frozen=True, slots=True)
class Failure:
    kind: FailureKind
    key_id: str | None
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.detail}"


Field = Plain | Failure | None  # None: the column is NULL


KEY_INFO_SQL = "SELECT key_id, key_type, status, version FROM encryption_keys"


def key_catalog(rows: Iterable[Sequence[Any]]) -> dict[str, KeyInfo]:
    return {str(r[0]): KeyInfo(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows}


class Decryptor:
    def __init__(self, keys: KeyStore, catalog: Mapping[str, KeyInfo], aad_policy: envelope.AadPolicy = "column",
                 retired: RetiredPolicy = "flag") -> None:
        self.keys = keys
        self.catalog = dict(catalog)
        self.aad_policy = aad_policy
        self.retired = retired
        self._ciphers: dict[str, AESGCM] = {}

    def prefetch(self) -> list[Failure]:
        """Fetch every catalogued key now (one keyring look-up each, once), so that no page waits on the
        keyring later. Returns the keys that could not be had; their fields will say so."""
        results = [self._cipher(key_id) for key_id in sorted(self.catalog)]
        return [r for r in results if isinstance(r, Failure)]

    def _cipher(self, key_id: str) -> AESGCM | Failure:
        cipher = self._ciphers.get(key_id)
        if cipher is not None:
            return cipher
        try:
            material = self.keys.get(key_id)
        except KeyringUnavailable as exc:
            return Failure(FailureKind.KEYRING_LOCKED, key_id, f"{exc.message} ({exc.hint})" if exc.hint else exc.message)
        if material is None:
            return Failure(FailureKind.KEY_MISSING, key_id, f"no keyring entry {key_id!r} under service "
                                                            f"{self.keys.settings.service!r}")
        if not material:
            return Failure(FailureKind.KEY_MISSING, key_id, f"keyring entry {key_id!r} is not a base64 32-byte key")
        cipher = envelope.cipher_for(material)
        self._ciphers[key_id] = cipher
        return cipher

    def field(self, column: EncryptedColumn, ciphertext: object, key_id: object, row_id: object = None) -> Field:
        if ciphertext is None:
            return None
        if key_id is None or not isinstance(key_id, str) or not key_id:
            return Failure(FailureKind.UNKNOWN_KEY_ID, None, f"{column.label} has a value but no key id")
        if not isinstance(ciphertext, str):
            return Failure(FailureKind.MALFORMED, key_id, f"not text but {type(ciphertext).__name__}")
        if key_id.startswith(PLAIN_PREFIX):
            return Plain(ciphertext, key_id, unencrypted=True)
        info = self.catalog.get(key_id)
        if info is None:
            return Failure(FailureKind.UNKNOWN_KEY_ID, key_id, f"{key_id!r} is not in encryption_keys")
        if info.key_type != column.key_type:
            return Failure(FailureKind.KEY_NOT_ALLOWED, key_id,
                           f"a {info.key_type} key protects {column.label}, which takes {column.key_type} keys")
        if info.status == "RETIRED" and self.retired == "refuse":
            return Failure(FailureKind.KEY_NOT_ALLOWED, key_id, "the key is RETIRED and this profile refuses retired keys")
        cipher = self._cipher(key_id)
        if isinstance(cipher, Failure):
            return cipher
        try:
            sealed = envelope.parse(ciphertext)
        except envelope.MalformedEnvelope as exc:
            return Failure(FailureKind.MALFORMED, key_id, str(exc))
        expected = self._aad(column, row_id, self.aad_policy)
        plain = _open(cipher, sealed, expected)
        if plain is None:
            return self._why_not(cipher, sealed, column, row_id, key_id)
        try:
            text = plain.decode("utf-8")
        except UnicodeDecodeError:
            return Failure(FailureKind.MALFORMED, key_id, "decrypted bytes are not UTF-8 text")
        return Plain(text, key_id, retired=info.status == "RETIRED")

    def _aad(self, column: EncryptedColumn, row_id: object, policy: envelope.AadPolicy) -> bytes | None:
        if policy == "row" and row_id is None:
            policy = "column"
        return envelope.aad_for(policy, column.table, column.name, row_id)

    def _why_not(self, cipher: AESGCM, sealed: envelope.Envelope, column: EncryptedColumn, row_id: object,
                 key_id: str) -> Failure:
        expected = self._aad(column, row_id, self.aad_policy)
        candidates: list[tuple[bytes | None, str]] = [(None, "no associated data")]
        for other in COLUMNS:
            candidates.append((envelope.aad_for("column", other.table, other.name), f"{other.label}"))
            if row_id is not None and other.table == column.table:
                candidates.append((envelope.aad_for("row", other.table, other.name, row_id), f"{other.label} of this row"))
        for aad, bound_to in candidates:
            if aad != expected and _open(cipher, sealed, aad) is not None:
                return Failure(FailureKind.AAD_MISMATCH, key_id,
                               f"the ciphertext is bound to {bound_to}, not to {column.label} under the "
                               f"{self.aad_policy!r} policy")
        return Failure(FailureKind.AUTH_FAILED, key_id, "the tag does not verify: wrong key material or a modified value")

    def row(self, columns: Sequence[EncryptedColumn], row: Mapping[str, Any]) -> dict[str, Field]:
        row_id = row.get(columns[0].id_column) if columns else None
        return {c.name: self.field(c, row.get(c.ciphertext_column), row.get(c.key_id_column), row_id) for c in columns}

    def page(self, columns: Sequence[EncryptedColumn], rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Field]]:
        return [self.row(columns, r) for r in rows]


def _open(cipher: AESGCM, sealed: envelope.Envelope, aad: bytes | None) -> bytes | None:
    try:
        return cipher.decrypt(sealed.nonce, sealed.ciphertext_and_tag, aad)
    except Exception:  # InvalidTag, and anything odd a hostile value provokes: a typed failure upstream
        return None


async def open_decryptor(pool: Any, keys: KeyStore, aad_policy: envelope.AadPolicy = "column",
                         retired: RetiredPolicy = "flag") -> Decryptor:
    """A decryptor for one OrderSync database: its key catalogue read now, keys fetched on first use."""
    async with pool.connection() as conn:
        catalog = key_catalog(await (await conn.execute(KEY_INFO_SQL)).fetchall())
    return Decryptor(keys, catalog, aad_policy, retired)
