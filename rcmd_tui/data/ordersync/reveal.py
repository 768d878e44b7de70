"""Revealing encrypted OrderSync fields: deliberate, with a reason, and written to OrderSync's audit log.

The audit row goes in first, in the same short read-write transaction that reads the ciphertext; the
plaintext is handed back only after that transaction commits. If the audit row cannot be written (the
database role may not insert into audit_logs, a lock, a timeout), nothing is revealed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import psycopg
import psycopg_pool
from psycopg import sql

from rcmd_tui.config import Profile
from rcmd_tui.data.crypto.columns import EncryptedColumn, FieldKind, of_table
from rcmd_tui.data.crypto.decrypt import Decryptor, Field, Plain
from rcmd_tui.data.infra.connections import write_transaction
from rcmd_tui.data.ordersync import audit as ordersync_audit
from rcmd_tui.errors import RcmdError

MIN_REASON = 4


class RevealDenied(RcmdError):
    title = "Reveal"


def check_allowed(profile: Profile, columns: Sequence[EncryptedColumn], reason: str, read_only: bool = False) -> None:
    if read_only:
        raise RevealDenied("this session is read-only, and a reveal writes to OrderSync's audit log",
                           "open the console without --read-only (and read_only = false) to reveal")
    if profile.ordersync is None:
        raise RevealDenied("this profile has no OrderSync target", "configure ordersync.dsn")
    if not profile.may_reveal():
        raise RevealDenied(f"the {profile.role} role may not reveal encrypted fields in profile {profile.name!r}",
                           f"ask someone with one of: {', '.join(profile.reveal_roles) or 'no role'}")
    secret = [c.label for c in columns if c.kind is FieldKind.SECRET]
    if secret:
        raise RevealDenied(f"{', '.join(secret)} is a secret and is never revealed", "reveal another field")
    if len(reason.strip()) < MIN_REASON:
        raise RevealDenied("a reveal needs a reason", f"type why (at least {MIN_REASON} characters), e.g. a ticket number")


async def reveal(pool: psycopg_pool.AsyncConnectionPool[Any], profile: Profile, decryptor: Decryptor,
                 table: str, row_id: Any, reason: str, fields: Sequence[str] | None = None, *,
                 read_only: bool = False) -> dict[str, Field]:
    """Reveal some (default: every revealable) encrypted field of one row; one audit row per field."""
    if fields is None:
        columns = [c for c in of_table(table) if c.kind is not FieldKind.SECRET]
    else:  # secrets named on purpose stay in, so check_allowed refuses them by name
        columns = [c for c in of_table(table) if c.name in fields]
    unknown = set(fields or ()) - {c.name for c in columns}
    if not columns or unknown:
        raise RevealDenied(f"{table} has no encrypted field {', '.join(sorted(unknown)) or ''}".strip(),
                           "choose one of: " + ", ".join(c.name for c in of_table(table)))
    check_allowed(profile, columns, reason, read_only or profile.read_only)
    select = sql.SQL("SELECT {} FROM {} WHERE {} = %s").format(
        sql.SQL(", ").join(sql.Identifier(n) for c in columns for n in (c.ciphertext_column, c.key_id_column)),
        sql.Identifier(table), sql.Identifier(columns[0].id_column))
    try:
        async with write_transaction(pool, profile.timeouts.lock_ms) as conn:
            row = await (await conn.execute(select, [row_id])).fetchone()
            if row is None:
                raise RevealDenied(f"no {table} row with id {row_id}", "refresh the list: the row may have been deleted")
            raw = {c.name: (row[2 * i], row[2 * i + 1]) for i, c in enumerate(columns)}
            result = await asyncio.to_thread(
                lambda: {c.name: decryptor.field(c, raw[c.name][0], raw[c.name][1], row_id) for c in columns})
            for c in columns:
                value = result[c.name]
                failure = None if isinstance(value, Plain) or value is None else str(value)
                await conn.execute(ordersync_audit.INSERT, ordersync_audit.params(
                    "REVEAL_FIELD", table, str(row_id),
                    {"field": c.name, "reason": reason.strip(), "console_role": profile.role, "profile": profile.name},
                    success=failure is None, error=failure))
    except psycopg.errors.InsufficientPrivilege:
        raise RevealDenied("the database role may not write OrderSync's audit log, so nothing is revealed",
                           "grant it rcmd_tui_support (or INSERT on audit_logs)") from None
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RevealDenied(f"the reveal was not audited, so nothing is revealed: {first}",
                           "retry; if it persists, check the OrderSync primary") from None
    return result
