"""RCMD sessions: the ``sessions`` rows, and beside each, from one Redis pipeline per page, what RCMD keeps of
it in Redis (``session:{id}`` and its TTL, membership of ``user:sessions:{user_id}``), and where the two stores
disagree.

The kinds of disagreement (``MISMATCHES``), each with what cleaning it up does:

- ``redis-only``: the key is live in Redis but the row is inactive or expired: the key and the set member go.
- ``pg-only``: the row is active and unexpired but Redis has no key: the row is made inactive (the service
  would refuse the session anyway; the row only misleads).
- ``ttl``: key and row both live, but the key's TTL is not the row's remaining lifetime (within ``TTL_SLACK``),
  or it has none: the key is given the row's expiry.
- ``member-no-key``: the user's set names the session but its key is gone: the member goes.

Tokens are never read: the list shows a short fingerprint made by the server (sha256, first 12 hex digits).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from rcmd_tui.data.lists.enrich import Lookup, RedisPipeline, Row
from rcmd_tui.data.lists.spec import BY_CREATED, Column, FilterField, Kind, Lead, ListSpec, Shorthand, Table

K = Kind
TTL_SLACK = timedelta(seconds=60)  # a key written a little after its row, or a clock a little off, is not a mismatch
MISMATCHES = {
    "redis-only": "live in Redis, but the row is inactive or expired",
    "pg-only": "active in PostgreSQL, but no session key in Redis",
    "ttl": "the key's TTL disagrees with expires_at",
    "member-no-key": "in the user's session set, but the key is gone",
}
# What cleaning each kind up (X on the sessions screen) leaves: in a session's detail, and the audit row's "after".
CLEANED = {"redis-only": "key and set member removed", "pg-only": "row made inactive",
           "ttl": "key expires with the row", "member-no-key": "set member removed"}
USER_BY_NAME = "SELECT id FROM users WHERE username = %s"


def session_key(session_id: object) -> str:
    return f"session:{session_id}"


def user_set_key(user_id: object) -> str:
    return f"user:sessions:{user_id}"


def mismatches(is_active: bool | None, expires_at: datetime | None, ttl_ms: int | None, in_set: bool,
               now: datetime) -> tuple[str, ...]:
    """Where the row and Redis disagree; ``ttl_ms`` as PTTL answers it (-2: no key, -1: no expiry).

    >>> now = datetime(2026, 1, 1, tzinfo=UTC)
    >>> mismatches(True, now + timedelta(hours=1), 3_600_000, True, now)
    ()
    >>> mismatches(False, now + timedelta(hours=1), 3_600_000, True, now)
    ('redis-only',)
    >>> mismatches(True, now + timedelta(hours=1), -2, True, now)
    ('pg-only', 'member-no-key')
    >>> mismatches(True, now + timedelta(hours=1), -1, False, now)
    ('ttl',)
    """
    key = ttl_ms is not None and ttl_ms != -2
    live_row = bool(is_active) and expires_at is not None and expires_at > now
    found: list[str] = []
    if key and not live_row:
        found.append("redis-only")
    if live_row and ttl_ms == -2:
        found.append("pg-only")
    if key and live_row and expires_at is not None and ttl_ms is not None:
        left = expires_at - now
        if ttl_ms == -1 or abs(timedelta(milliseconds=ttl_ms) - left) > TTL_SLACK:
            found.append("ttl")
    if in_set and ttl_ms == -2:
        found.append("member-no-key")
    return tuple(found)


def _state_commands(row: Row) -> Sequence[tuple[str, ...]]:
    return (("PTTL", session_key(row["id"])), ("SISMEMBER", user_set_key(row["user_id"]), str(row["id"])))


def _state(row: Row, replies: Sequence[Any]) -> Row:
    ttl_ms, member = replies
    if ttl_ms is None:  # the pipeline failed for this row: unknown, not "no key"
        return {"redis_ttl": None, "redis_key": None, "in_set": None, "mismatch": None, "mismatch_means": None}
    ttl = int(ttl_ms)
    in_set = bool(member)
    found = mismatches(row.get("is_active"), row.get("expires_at"), ttl, in_set, datetime.now(UTC))
    return {
        "redis_key": ttl != -2,
        "redis_ttl": timedelta(milliseconds=ttl) if ttl >= 0 else None,
        "in_set": in_set,
        "mismatch": " ".join(found) or None,
        # In words, with what cleaning it up does: a detail explains its mismatch before anyone acts on it.
        "mismatch_means": "; ".join(f"{k}: {MISMATCHES[k]} (cleaning up: {CLEANED[k]})" for k in found) or None,
    }


SESSION_STATE = RedisPipeline(("id", "user_id", "is_active", "expires_at"),
                              ("redis_key", "redis_ttl", "in_set", "mismatch", "mismatch_means"), _state_commands, _state)
USERNAME = Lookup("user_id", "username", "users", "username")

RCMD_SESSIONS = ListSpec(
    key="sessions", system="rcmd", source=Table("sessions"), title="RCMD sessions",
    columns=(
        Column("username", "User", width=12, enriched=True),
        Column("ip_address", "IP", K.INET, width=15),
        Column("is_active", "Active", K.BOOL, width=6),
        Column("redis_key", "Key", K.BOOL, width=3, enriched=True),
        Column("redis_ttl", "TTL", K.DURATION, width=9, enriched=True),
        Column("mismatch", "Mismatch", width=13, enriched=True),
        Column("mismatch_means", "Mismatch, in words", width=40, enriched=True, shown=False),
        Column("expires_at", "Expires (UTC)", K.TIME, width=19),
        Column("in_set", "In set", K.BOOL, width=6, enriched=True, shown=False),
        Column("last_activity_at", "Last activity (UTC)", K.TIME, width=19, shown=False),
        Column("created_at", "Created (UTC)", K.TIME, width=19, shown=False),
        Column("user_agent", "User agent", width=30, shown=False),
        Column("device_info", "Device", K.JSON, width=24, shown=False),
        Column("token_fp", "Token #", width=12, shown=False,
               expr="left(encode(sha256(convert_to(token, 'UTF8')), 'hex'), 12)"),
        Column("user_id", "User id", K.UUID, shown=False),
        Column("id", "Id", K.UUID, shown=False),
    ),
    orderings=BY_CREATED,
    filters=(
        FilterField("user", "user_id", K.UUID, resolve=USER_BY_NAME, help="a user id or a username"),
        FilterField("active", "is_active", K.BOOL),
        FilterField("ip", "ip_address", K.INET, help="an address or a network such as 10.0.0.0/8"),
        FilterField("expires", "expires_at", K.TIME, help="a time, e.g. expires<2026-05-01"),
        FilterField("id", "id", K.UUID),
    ),
    shorthands=(Shorthand("status", "is_active", {"active": ("true",), "inactive": ("false",)}),),
    time_column="created_at",
    enrichers=(USERNAME, SESSION_STATE),
    leads=(Lead("user", "users", "id={user_id}"),),
)
