"""Finding OrderSync users and their login attempts by e-mail without decrypting a table: through
``email_hash``, the SHA-256 of the normalized address (docs/encryption.md)."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from rcmd_tui.data.crypto.columns import column
from rcmd_tui.data.crypto.decrypt import Decryptor, Field

USER_BY_EMAIL_HASH = "SELECT id FROM users WHERE email_hash = %s"  # a filter's resolve: an e-mail to its user


def normalize_email(email: str) -> str:
    """Surrounding whitespace removed, then lower-cased (str.lower, so non-ASCII letters fold too).

    This is what OrderSync hashes; anything else (Unicode normalization, dropping +tags or dots)
    would find nobody, because the application does not do it either.
    """
    return email.strip().lower()


def email_hash(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode("utf-8")).hexdigest()


USER_FIELDS = (column("users", "email"), column("users", "phone"), column("users", "name"))
ATTEMPT_FIELDS = (column("login_attempts", "ip_address"), column("login_attempts", "user_agent"))


@dataclass(frozen=True, slots=True)
class UserRow:
    id: Any
    email: Field
    phone: Field
    name: Field
    role: str
    status: str
    created_at: datetime
    last_login_at: datetime | None
    failed_login_count: int | None
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class LoginAttemptRow:
    id: Any
    created_at: datetime
    success: bool
    failure_reason: str | None
    ip_address: Field
    user_agent: Field


USERS_BY_HASH = (
    "SELECT id, email_encrypted, email_key_id, phone_encrypted, phone_key_id, name_encrypted, name_key_id, "
    "role, status, created_at, last_login_at, failed_login_count, locked_until FROM users WHERE email_hash = %s"
)
ATTEMPTS_BY_HASH = (
    "SELECT id, created_at, success, failure_reason, ip_address_encrypted, ip_key_id, user_agent_encrypted, ua_key_id "
    "FROM login_attempts WHERE email_hash = %s AND (%s::timestamptz IS NULL OR (created_at, id) < (%s, %s)) "
    "ORDER BY created_at DESC, id DESC LIMIT %s"
)


async def users_by_email(conn: psycopg.AsyncConnection[Any], decryptor: Decryptor, email: str) -> list[UserRow]:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(USERS_BY_HASH, [email_hash(email)])
        rows = await cur.fetchall()
    # Off the event loop: the first use of a key may wait on the keyring.
    fields = await asyncio.to_thread(decryptor.page, USER_FIELDS, rows)
    return [UserRow(r["id"], f["email"], f["phone"], f["name"], r["role"], r["status"], r["created_at"],
                    r["last_login_at"], r["failed_login_count"], r["locked_until"]) for r, f in zip(rows, fields, strict=True)]


async def login_attempts_by_email(conn: psycopg.AsyncConnection[Any], decryptor: Decryptor, email: str, *,
                                  limit: int = 50, after: tuple[datetime, Any] | None = None) -> list[LoginAttemptRow]:
    """Newest first; pass the last row's (created_at, id) as ``after`` for the next page."""
    at, last_id = after if after else (None, None)
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(ATTEMPTS_BY_HASH, [email_hash(email), at, at, last_id, limit])
        rows = await cur.fetchall()
    fields = await asyncio.to_thread(decryptor.page, ATTEMPT_FIELDS, rows)
    return [LoginAttemptRow(r["id"], r["created_at"], r["success"], r["failure_reason"], f["ip_address"], f["user_agent"])
            for r, f in zip(rows, fields, strict=True)]
