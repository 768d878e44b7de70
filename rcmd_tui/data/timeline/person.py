"""Who a timeline is about: one word (an e-mail address, an RCMD username or a user id of either system) found
as the users of both systems that are the same person.

The two systems share no user id. They are matched by e-mail address: RCMD keeps it in plain text; OrderSync
keeps it encrypted, with ``email_hash`` (SHA-256 of the address trimmed and lower-cased) beside it, indexed.
So an address typed, or read from an RCMD user, finds OrderSync users by its hash; an OrderSync user found by id
has its address decrypted (with the keyring's key, as every other field) to find the RCMD user with it. Login
attempts carry only the hash of the address typed, so they are matched by hash, whether or not anyone has it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rcmd_tui.data.crypto.columns import column
from rcmd_tui.data.crypto.decrypt import Plain
from rcmd_tui.data.infra.failures import describe
from rcmd_tui.data.ordersync.lookup import email_hash
from rcmd_tui.errors import RcmdError

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

_RCMD_BY_ID = "SELECT id, username, email FROM users WHERE id = %s"
_RCMD_BY_NAME = "SELECT id, username, email FROM users WHERE lower(username) = lower(%s)"
_RCMD_BY_EMAIL = "SELECT id, username, email FROM users WHERE lower(email) = lower(%s)"
_OS_BY_ID = "SELECT id, email_hash, email_encrypted, email_key_id FROM users WHERE id = %s"
_OS_BY_HASH = "SELECT id, email_hash, email_encrypted, email_key_id FROM users WHERE email_hash = ANY(%s)"


class NobodyFound(RcmdError):
    title = "Timeline"


@dataclass(frozen=True, slots=True)
class Person:
    asked: str
    rcmd_ids: tuple[str, ...] = ()
    ordersync_ids: tuple[str, ...] = ()
    email_hashes: tuple[str, ...] = ()
    usernames: tuple[str, ...] = ()  # RCMD's: shown in the status line (RCMD shows them in every list)
    unreachable: tuple[str, ...] = ()  # systems that could not be asked: their rows are missing
    failures: tuple[str, ...] = field(default=(), compare=False)  # why, one line each

    def ids(self, key: str) -> tuple[str, ...]:
        found: tuple[str, ...] = getattr(self, key)
        return found

    @property
    def nobody(self) -> bool:
        return not (self.rcmd_ids or self.ordersync_ids)

    def summary(self) -> str:
        """What was matched, short (the status line's end, at 80 columns): ``RCMD kim · OS 1 user``."""
        parts = []
        if self.rcmd_ids:
            parts.append("RCMD " + ", ".join(self.usernames))
        if self.ordersync_ids:
            n = len(self.ordersync_ids)
            parts.append(f"OS {n} user{'s' if n > 1 else ''}")
        if not parts and self.email_hashes:
            parts.append("no user; login attempts only")
        parts += [f"{s} unreachable" for s in self.unreachable]
        return " · ".join(parts)


def _as_uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


async def _rows(services: Services, system: str, query: str, value: Any) -> list[tuple[Any, ...]]:
    async with services.reader(system).connection() as conn:
        rows: list[tuple[Any, ...]] = await (await conn.execute(query, [value])).fetchall()
    return rows


async def find_person(services: Services, text: str) -> Person:
    """The users of both systems ``text`` names. A system that cannot be asked is named, not fatal."""
    asked = text.strip()
    profile = services.profile
    has_rcmd, has_os = profile.rcmd is not None, profile.ordersync is not None
    by_id = _as_uuid(asked)
    emails: set[str] = set()
    rcmd: dict[str, str] = {}  # id -> username
    ordersync: dict[str, str] = {}  # id -> email hash
    os_rows: list[tuple[Any, ...]] = []
    down: dict[str, str] = {}

    async def ask(system: str, query: str, value: Any) -> list[tuple[Any, ...]]:
        if system in down:
            return []
        try:
            return await _rows(services, system, query, value)
        except Exception as exc:
            down[system] = describe(exc, system, services.where(system)).message
            return []

    if has_rcmd:
        query = _RCMD_BY_ID if by_id else _RCMD_BY_EMAIL if "@" in asked else _RCMD_BY_NAME
        for uid, name, email in await ask("rcmd", query, by_id or asked):
            rcmd[str(uid)] = str(name)
            emails.add(str(email))
    if "@" in asked:
        emails.add(asked)
    if has_os:
        if by_id:
            os_rows += await ask("ordersync", _OS_BY_ID, by_id)
        typed = sorted({email_hash(e) for e in emails})
        if typed:
            os_rows += await ask("ordersync", _OS_BY_HASH, typed)
        for uid, digest, *_ in os_rows:
            ordersync[str(uid)] = str(digest)
    if has_rcmd and has_os and by_id and not rcmd and os_rows:
        # Found by its OrderSync id: its address, decrypted, finds the RCMD user.
        decryptor = await services.decryptor("ordersync")
        for uid, _digest, text_, key_id in os_rows:
            address = decryptor.field(column("users", "email"), text_, key_id, uid)
            if isinstance(address, Plain):
                for rid, name, email in await ask("rcmd", _RCMD_BY_EMAIL, address.text):
                    rcmd[str(rid)] = str(name)
                    emails.add(str(email))
    hashes = {email_hash(e) for e in emails} | set(ordersync.values())
    return Person(asked, tuple(rcmd), tuple(ordersync), tuple(sorted(hashes)), tuple(sorted(set(rcmd.values()))),
                  tuple(down), tuple(down.values()))
