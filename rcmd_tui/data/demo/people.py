"""People in both systems, for the timeline (``:timeline``): the demo seeds RCMD and OrderSync apart (in parallel,
each from its own random stream), so no address is in both. Afterwards OrderSync's busiest customers lend their
addresses to RCMD users: the RCMD users with the most audit rows, admins aside, in the same order. Each pair is
then one person across the systems, matched as the console matches anyone: by e-mail address.

Run once both seeds are in; the addresses are decrypted here with the demo's own keys, written only to RCMD.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg

from rcmd_tui.config import Profile
from rcmd_tui.data.crypto import envelope
from rcmd_tui.data.infra import connections

PEOPLE = 20

_BUSY_CUSTOMERS = """
SELECT u.id, u.email_encrypted, u.email_key_id
FROM (SELECT customer_id, count(*) AS n FROM orders WHERE customer_id IS NOT NULL GROUP BY customer_id) o
JOIN users u ON u.id = o.customer_id AND u.status = 'ACTIVE'
ORDER BY o.n DESC, u.id LIMIT %s
"""
_BUSY_RCMD_USERS = """
SELECT u.id, u.username
FROM (SELECT user_id, count(*) AS n FROM audit_logs WHERE user_id IS NOT NULL GROUP BY user_id) a
JOIN users u ON u.id = a.user_id AND u.role <> 'admin' AND u.is_active
ORDER BY a.n DESC, u.id LIMIT %s
"""


@dataclass(frozen=True, slots=True)
class Person:
    username: str
    email: str


def link_people(profile: Profile, keys: dict[str, bytes], count: int = PEOPLE) -> list[Person]:
    """Give ``count`` busy RCMD users the addresses of OrderSync's busiest customers; returns the pairs."""
    assert profile.rcmd is not None and profile.ordersync is not None
    timeouts = profile.timeouts.__class__(statement_ms=0, lock_ms=30_000, idle_in_transaction_ms=0)
    with connections.connect("ordersync", profile.ordersync, timeouts, read_only=True, app_suffix="-seed") as conn:
        customers = conn.execute(_BUSY_CUSTOMERS, [count]).fetchall()
    emails = []
    for uid, text, key_id in customers:
        aad = envelope.aad_for(profile.aad, "users", "email", uuid.UUID(str(uid)))
        emails.append(envelope.decrypt(envelope.cipher_for(keys[str(key_id)]), str(text), aad))
    linked = []
    with connections.connect("rcmd", profile.rcmd, timeouts, read_only=False, app_suffix="-seed") as conn, conn.transaction():
        users = conn.execute(_BUSY_RCMD_USERS, [len(emails)]).fetchall()
        for (uid, username), email in zip(users, emails, strict=False):
            try:
                with conn.transaction():
                    conn.execute("UPDATE users SET email = %s WHERE id = %s", [email, uid])
            except psycopg.errors.UniqueViolation:  # an RCMD user has it already: they are that person
                continue
            linked.append(Person(str(username), email))
    return linked
