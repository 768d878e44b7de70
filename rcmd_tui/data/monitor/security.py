"""Security signals: what looks like an attack or a change of rights, per system, read whole every 10 s.

OrderSync:

- ``login-burst``: five or more failed ``login_attempts`` in the last hour for one ``email_hash`` (the seed's
  security query 1, with first, last and the failure reasons). ``who`` is the hash shortened and, where a
  user has that hash, the masked address (one ``= ANY`` look-up, one batched decryption).
- ``shared-ip``: audit rows of the last hour grouped by the *decrypted* IP, kept when more than ten distinct
  users acted from one. The seed's query 2 groups by ``ip_address_encrypted``, which never groups: each value
  is sealed under its own random nonce (seed-deviations O16). The hour's IPs are decrypted in the console in
  one batched pass, off the event loop; ``who`` is the masked IP, never the address.
- ``undecryptable``: the hour's audit rows whose IP could not be decrypted, counted in a row of their own: a
  locked keyring or a missing key must not make a shared IP vanish without a word.
- ``notice``: the hour held more audit rows than one refresh groups (``MAX_AUDIT_ROWS``).

RCMD:

- ``permission``: changes of rights in the last day from RCMD's ``audit_logs``, one row each, ``who`` the
  username (see ``PERMISSION_CHANGE`` for what counts).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from psycopg.rows import dict_row

from rcmd_tui.data.crypto.columns import column
from rcmd_tui.data.crypto.decrypt import Decryptor, Failure, Field, Plain
from rcmd_tui.data.crypto.masking import mask_email, mask_ip
from rcmd_tui.data.lists.spec import Column, FilterField, Kind, ListSpec, Ordering, Snapshot
from rcmd_tui.data.monitor.activity import SYSTEMS, titled

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

K = Kind

SIGNALS = ("login-burst", "shared-ip", "undecryptable", "notice", "permission")
FIELDS = ("signal", "who", "count", "users", "first", "last", "detail", "ref")

LOGIN_BURST_AT = 5  # failed attempts per email_hash in an hour (seed query 1: HAVING count(*) >= 5)
SHARED_IP_USERS = 10  # distinct users per IP in an hour, more than which is a signal (seed query 2: > 10)
MAX_BURSTS = 1000
MAX_AUDIT_ROWS = 200_000  # the hour's audit rows grouped per refresh (the large demo writes about 600 an hour)
MAX_CHANGES = 1000
HASH_SHOWN = 12  # hex digits of an email_hash in `who`: enough to tell hashes apart, and to search for one

BURSTS_SQL = """
SELECT email_hash, sum(n)::int AS failed, min(first) AS first, max(last) AS last,
       jsonb_object_agg(coalesce(failure_reason, '(none)'), n) AS reasons
FROM (SELECT email_hash, failure_reason, count(*) AS n, min(created_at) AS first, max(created_at) AS last
      FROM login_attempts
      WHERE success = false AND created_at > now() - interval '1 hour'
      GROUP BY email_hash, failure_reason) AS by_reason
GROUP BY email_hash
HAVING sum(n) >= %s
ORDER BY failed DESC, email_hash
LIMIT %s
"""
USERS_BY_HASHES_SQL = ("SELECT id, email_hash, email_encrypted, email_key_id, status, locked_until "
                       "FROM users WHERE email_hash = ANY(%s)")
# Rows the database wrote itself (triggers, the console's own) have no IP (seed-deviations O8): not a client.
AUDIT_IPS_SQL = """
SELECT id, user_id, action, created_at, ip_address_encrypted, ip_key_id
FROM audit_logs
WHERE created_at > now() - interval '1 hour' AND ip_address_encrypted IS NOT NULL
ORDER BY created_at DESC
LIMIT %s
"""
# What counts as a change of rights in RCMD's log: permission.* (the application and the demo seeder write
# permission.update), the seed's UPDATE_PERMISSIONS, any action naming a role (user.role_change …), the
# audit trigger's rows on the permissions table (resource_type permissions, action INSERT/UPDATE/DELETE), and
# a user update whose details carry a role. A trigger row on users always carries the whole row, role
# included, so those are left out: they would flag every last_login_at update.
PERMISSION_CHANGE = """
    lower(a.action) LIKE 'permission.%%' OR lower(a.action) LIKE 'console.permission.%%'
    OR lower(a.action) LIKE '%%role%%' OR upper(a.action) = 'UPDATE_PERMISSIONS'
    OR lower(a.resource_type) IN ('permission', 'permissions')
    OR (lower(a.resource_type) IN ('user', 'users') AND upper(a.action) NOT IN ('INSERT', 'UPDATE', 'DELETE')
        AND a.details ?| array['role', 'new_role'])
"""
CHANGES_SQL = f"""
SELECT a.id, a.created_at, a.action, a.resource_type, a.resource_id, a.details, a.result, host(a.ip_address) AS ip,
       a.user_id, u.username
FROM audit_logs a LEFT JOIN users u ON u.id = a.user_id
WHERE a.created_at > now() - interval '24 hours' AND ({PERMISSION_CHANGE})
ORDER BY a.created_at DESC, a.id DESC
LIMIT %s
"""

IP = column("audit_logs", "ip_address")
EMAIL = column("users", "email")
# A shared IP's row needs an identity that lasts across refreshes (the cursor stays on it) but must not give
# the address away: a hash of an IPv4 address is reversed by trying all 2^32. A keyed hash with a key that
# lives only as long as the process is neither.
_REF_KEY = secrets.token_bytes(16)

Row = tuple[Any, ...]


def _row(signal: str, who: str, count: int, users: int | None, first: datetime | None, last: datetime | None,
         detail: str, ref: str) -> Row:
    return (signal, who, count, users, first, last, detail, ref)


def _times(counts: Counter[str], most: int = 3) -> str:
    """``LOGIN ×12, CREATE_ORDER ×3 …``: the commonest first."""
    shown = ", ".join(f"{name} ×{n}" for name, n in counts.most_common(most))
    return shown + (" …" if len(counts) > most else "")


def normal_ip(text: str) -> str:
    """One spelling per address, so an IPv6 address written in capitals or with its zeros groups with itself.

    >>> normal_ip(" 2001:DB8:0::1 "), normal_ip("10.0.0.1"), normal_ip("not an ip")
    ('2001:db8::1', '10.0.0.1', 'not an ip')
    """
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return text.strip()


# -- OrderSync --------------------------------------------------------------------------------------

@dataclass
class _Group:
    rows: int = 0
    users: set[Any] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None
    actions: Counter[str] = field(default_factory=Counter)

    def add(self, row: dict[str, Any], what: str) -> None:
        self.rows += 1
        if row["user_id"] is not None:
            self.users.add(row["user_id"])
        at = row["created_at"]
        self.first = at if self.first is None or at < self.first else self.first
        self.last = at if self.last is None or at > self.last else self.last
        self.actions[what] += 1


def shared_ip_rows(audit: Sequence[dict[str, Any]], ips: Sequence[Field]) -> list[Row]:
    """The hour's audit rows grouped by decrypted IP: IPs acting for more than ``SHARED_IP_USERS`` users, and
    one row for the IPs that could not be decrypted (by failure kind in its detail)."""
    groups: dict[str, _Group] = {}
    failed, kinds = _Group(), Counter[str]()
    for row, ip in zip(audit, ips, strict=True):
        if isinstance(ip, Plain):
            groups.setdefault(normal_ip(ip.text), _Group()).add(row, str(row["action"]))
        elif isinstance(ip, Failure):
            failed.add(row, str(row["action"]))
            kinds[ip.kind.value] += 1
    out = []
    for ip_text, g in groups.items():
        if len(g.users) > SHARED_IP_USERS:
            ref = hmac.new(_REF_KEY, ip_text.encode(), "sha256").hexdigest()[:16]
            out.append(_row("shared-ip", mask_ip(ip_text), g.rows, len(g.users), g.first, g.last,
                            f"{len(g.users)} users, {g.rows} audit rows in the last hour: {_times(g.actions)}", f"ip:{ref}"))
    if failed.rows:
        out.append(_row("undecryptable", "(undecryptable IP)", failed.rows, len(failed.users), failed.first, failed.last,
                        f"{failed.rows} audit rows of the last hour whose IP could not be decrypted ({_times(kinds)}): a "
                        "shared IP may hide among them; see the keyring row on the home screen", "undecryptable"))
    return out


def burst_rows(bursts: Sequence[dict[str, Any]], users: Sequence[dict[str, Any]], emails: Sequence[Field]) -> list[Row]:
    by_hash = {u["email_hash"]: (u, e) for u, e in zip(users, emails, strict=True)}
    out = []
    for b in bursts:
        digest = str(b["email_hash"])
        user, email = by_hash.get(digest, (None, None))
        who = digest[:HASH_SHOWN] + "…"
        if isinstance(email, Plain):
            who += " " + mask_email(email.text)  # masked even when stored plain (plain:*): a report travels
        elif isinstance(email, Failure):
            who += f" <{email.kind.value}>"
        elif user is None:
            who += " (no user)"
        reasons = Counter({str(k): int(v) for k, v in (b["reasons"] or {}).items()})
        if user is None:
            account = "no OrderSync user has this address (attempts at an unknown e-mail)"
        else:
            locked = user["locked_until"]
            account = f"account {user['status']}" + (f", locked until {locked.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if locked else "")
        out.append(_row("login-burst", who, int(b["failed"]), 0 if user is None else 1, b["first"], b["last"],
                        f"{b['failed']} failed logins in the last hour ({_times(reasons)}); {account}", f"hash:{digest}"))
    return out


def _decrypt(decryptor: Decryptor, users: Sequence[dict[str, Any]],
             audit: Sequence[dict[str, Any]]) -> tuple[list[Field], list[Field]]:
    emails = [f["email"] for f in decryptor.page((EMAIL,), users)]
    ips = [f["ip_address"] for f in decryptor.page((IP,), audit)]
    return emails, ips


async def read_ordersync(services: Services) -> list[Row]:
    decryptor = await services.decryptor("ordersync")
    async with services.reader("ordersync").connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(BURSTS_SQL, (LOGIN_BURST_AT, MAX_BURSTS))
        bursts = await cur.fetchall()
        users: list[dict[str, Any]] = []
        if bursts:
            await cur.execute(USERS_BY_HASHES_SQL, ([b["email_hash"] for b in bursts],))
            users = await cur.fetchall()
        await cur.execute(AUDIT_IPS_SQL, (MAX_AUDIT_ROWS + 1,))
        audit = await cur.fetchall()
    cut = len(audit) > MAX_AUDIT_ROWS
    audit = audit[:MAX_AUDIT_ROWS]
    # Off the event loop: thousands of AES-GCM opens, and the first use of a key may wait on the keyring.
    emails, ips = await asyncio.to_thread(_decrypt, decryptor, users, audit)
    rows = burst_rows(bursts, users, emails) + shared_ip_rows(audit, ips)
    if cut:
        rows.append(_row("notice", "(audit rows cut)", MAX_AUDIT_ROWS, None, audit[-1]["created_at"], audit[0]["created_at"],
                         f"the last hour holds more than {MAX_AUDIT_ROWS:,} audit rows: only the newest were grouped, "
                         "so IP counts are lower bounds", "notice:cut"))
    return rows


# -- RCMD -------------------------------------------------------------------------------------------

def _details(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str) if value is not None else ""
    return text if len(text) <= limit else text[:limit] + "…"


def change_rows(changes: Iterable[dict[str, Any]]) -> list[Row]:
    out = []
    for c in changes:
        who = c["username"] or (str(c["user_id"]) if c["user_id"] else "(no user: the database or a script)")
        target = " ".join(str(p) for p in (c["resource_type"], c["resource_id"]) if p)
        detail = f"{c['action']}" + (f" on {target}" if target else "") + f": {c['result'] or 'no result'}"
        detail += (f" from {c['ip']}" if c["ip"] else "") + (f"; {_details(c['details'])}" if c["details"] else "")
        out.append(_row("permission", who, 1, None, c["created_at"], c["created_at"], detail, f"audit:{c['id']}"))
    return out


async def read_rcmd(services: Services) -> list[Row]:
    async with services.reader("rcmd").connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(CHANGES_SQL, (MAX_CHANGES,))
        return change_rows(await cur.fetchall())


async def read_security(services: Services, system: str) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    return FIELDS, await (read_ordersync(services) if system == "ordersync" else read_rcmd(services))


def security_view(system: str) -> ListSpec:
    return ListSpec(
        key="security", system=system, title=titled(system, "security signals"),
        source=Snapshot(read=read_security, refresh_s=10.0),
        columns=(
            Column("signal", "Signal", K.ENUM, width=13),
            Column("who", "Who", width=30),
            Column("count", "Count", K.INT, width=6),
            Column("users", "Users", K.INT, width=5),
            Column("first", "First (UTC)", K.TIME, width=19),
            Column("last", "Last (UTC)", K.TIME, width=19),
            Column("detail", "Detail", width=None),
            Column("ref", "Ref", shown=False),
        ),
        orderings=(Ordering("latest", ("last", "ref")), Ordering("count", ("count", "ref"))),
        filters=(
            FilterField("signal", "signal", K.ENUM, values=SIGNALS),
            FilterField("who", "who", help="~text: a username, a hash's start, a masked IP"),
            FilterField("count", "count", K.INT, help="e.g. count>=20"),
            FilterField("users", "users", K.INT, help="distinct users, e.g. users>20"),
        ),
        time_column="last",
        id_columns=("signal", "ref"),
        family="monitor",
        tab="security",
    )


VIEWS = tuple(security_view(s) for s in SYSTEMS)
