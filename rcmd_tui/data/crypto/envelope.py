"""The OrderSync column envelope: AES-256-GCM, versioned, as base64 text.

    v1:<base64(nonce[12] || ciphertext || tag[16])>

The ``v1:`` marker lets later formats coexist. Associated data (AAD) binds a ciphertext to where it
belongs so it cannot be moved between columns (or rows) unnoticed; ``aad_for`` builds it from the
profile's policy. The default binds table and column: see docs/encryption.md for why.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION_PREFIX = "v1:"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
AadPolicy = Literal["none", "column", "row"]


class EnvelopeError(Exception):
    """Base of the typed failures; never carries plaintext or key material."""


class MalformedEnvelope(EnvelopeError):
    pass


class AuthenticationFailed(EnvelopeError):
    """The tag did not verify: wrong key, tampered ciphertext, or associated data that differs."""


@dataclass(frozen=True, slots=True)
class Envelope:
    nonce: bytes
    ciphertext_and_tag: bytes


def aad_for(policy: AadPolicy, table: str, column: str, row_id: object | None = None) -> bytes | None:
    """``column`` is the logical name (``email`` for ``email_encrypted``)."""
    if policy == "none":
        return None
    if policy == "row":
        if row_id is None:
            raise ValueError(f"row-bound associated data for {table}.{column} needs the row id")
        return f"{table}.{column}:{row_id}".encode()
    return f"{table}.{column}".encode()


def parse(text: str) -> Envelope:
    """Strict: the prefix, canonical base64 with no stray characters, and room for nonce and tag."""
    if not isinstance(text, str) or not text.startswith(VERSION_PREFIX):
        raise MalformedEnvelope("not a v1 envelope (missing 'v1:' prefix)")
    body = text[len(VERSION_PREFIX):]
    try:
        raw = base64.b64decode(body.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise MalformedEnvelope("envelope body is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != body:
        raise MalformedEnvelope("envelope body is not canonical base64")
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise MalformedEnvelope("envelope too short for a 12-byte nonce and a 16-byte tag")
    return Envelope(nonce=raw[:NONCE_BYTES], ciphertext_and_tag=raw[NONCE_BYTES:])


def seal_bytes(cipher: AESGCM, plaintext: bytes, aad: bytes | None, nonce: bytes | None = None) -> str:
    """``nonce`` is for known-answer tests only; normal use draws 96 random bits."""
    nonce = nonce if nonce is not None else os.urandom(NONCE_BYTES)
    if len(nonce) != NONCE_BYTES:
        raise ValueError("nonce must be 12 bytes")
    return VERSION_PREFIX + base64.b64encode(nonce + cipher.encrypt(nonce, plaintext, aad)).decode("ascii")


def open_bytes(cipher: AESGCM, text: str, aad: bytes | None) -> bytes:
    envelope = parse(text)
    try:
        return cipher.decrypt(envelope.nonce, envelope.ciphertext_and_tag, aad)
    except InvalidTag:
        raise AuthenticationFailed("authentication failed (wrong key, tampering, or associated data mismatch)") from None


def encrypt(cipher: AESGCM, plaintext: str, aad: bytes | None, nonce: bytes | None = None) -> str:
    return seal_bytes(cipher, plaintext.encode("utf-8"), aad, nonce)


def decrypt(cipher: AESGCM, text: str, aad: bytes | None) -> str:
    plain = open_bytes(cipher, text, aad)
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedEnvelope("decrypted bytes are not UTF-8 text") from None


def cipher_for(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise ValueError("AES-256 keys are 32 bytes")
    return AESGCM(key)


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)
