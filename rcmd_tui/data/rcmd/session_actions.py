"""Revoking RCMD sessions and cleaning up where PostgreSQL and Redis disagree about them.

Revoking goes PostgreSQL first (the row made inactive, with the audit row, in one transaction), then Redis
(the key and the set member removed): if Redis cannot be reached, the session is already refused by the
row, and repeating the action finishes it. Every step is idempotent, so revoking twice is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from psycopg import sql

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import Plan, RedisCheck, RedisCommand, RedisStep, Statement, columns_privileges, update
from rcmd_tui.data.rcmd.actions import audit
from rcmd_tui.data.rcmd.sessions import CLEANED, MISMATCHES, session_key, user_set_key


@dataclass(frozen=True, slots=True)
class Session:
    """A session as shown: enough to revoke it and to say which it was."""

    id: str
    user_id: str
    username: str | None = None
    is_active: bool | None = None
    expires_at: datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.username or self.user_id[:8]} {self.id[:8]}"


# What each clean-up leaves, for the audit row's "after".
_SEEN = columns_privileges("sessions", "SELECT", ("id", "user_id", "is_active", "expires_at"))


def _still_there(ids: list[str]) -> Statement:
    """The rows still exist (locked until the transaction ends); their state may have moved on, which is fine."""
    return Statement(sql.SQL(
        "SELECT count(*) = %s, 'gone: ' || (%s - count(*))::text || ' of them' "
        "FROM (SELECT id FROM sessions WHERE id = ANY(%s::uuid[]) FOR UPDATE) AS t"), (len(ids), len(ids), ids), _SEEN)


def _forget(sessions: Sequence[Session]) -> tuple[RedisCommand, ...]:
    keys: tuple[RedisCommand, ...] = (("UNLINK", *(session_key(s.id) for s in sessions)),)
    return keys + tuple(("SREM", user_set_key(s.user_id), s.id) for s in sessions)


def revoke_sessions(sessions: Sequence[Session], profile: Profile) -> Plan:
    ids = [s.id for s in sessions]
    details = {"before": {s.id: {"is_active": s.is_active} for s in sessions}, "after": {"is_active": False}}
    many = len(ids) > 1
    return Plan(
        system="rcmd", title=f"Revoke {len(ids)} session{'s' if many else ''}", targets=tuple(s.label for s in sessions),
        check=_still_there(ids),
        audit=audit("console.session.revoke", "sessions", ids, profile, details),
        statements=(update("sessions", {"is_active": sql.SQL("false")}, sql.SQL("id = ANY(%s::uuid[]) AND is_active"),
                           (ids,), ("id", "is_active")),),
        redis=RedisStep(commands=_forget(sessions)),
        failed_audit=audit("console.session.revoke", "sessions", ids, profile, details, result="error"),
        typed=f"revoke {len(ids)}" if many else None,
    )


def revoke_user_sessions(user_id: str, username: str, session_ids: Sequence[str], members: Sequence[str],
                         profile: Profile) -> Plan:
    """Every session of one user: the active rows made inactive, every key the rows or the user's set name
    removed, and the set itself. ``session_ids`` and ``members`` are read just before (rows, then SMEMBERS)."""
    keys = list(dict.fromkeys([*session_ids, *members]))
    details = {"user_id": user_id, "before": {"sessions": list(session_ids), "set_members": list(members)},
               "after": {"is_active": False, "keys": "removed", "set": "removed"}}
    redis_commands: tuple[RedisCommand, ...] = ((("UNLINK", *(session_key(k) for k in keys)),) if keys else ()) \
        + (("UNLINK", user_set_key(user_id)),)
    check = Statement(sql.SQL("SELECT count(*) = 1, 'the user is gone' FROM users WHERE id = %s::uuid"), (user_id,),
                      columns_privileges("users", "SELECT", ("id",)))
    return Plan(
        system="rcmd", title=f"Revoke every session of {username}", targets=(username,), check=check,
        audit=audit("console.session.revoke_all", "users", [user_id], profile, details),
        statements=(update("sessions", {"is_active": sql.SQL("false")},
                           sql.SQL("user_id = %s::uuid AND is_active"), (user_id,), ("user_id", "is_active")),),
        redis=RedisStep(commands=redis_commands),
        failed_audit=audit("console.session.revoke_all", "users", [user_id], profile, details, result="error"),
        typed=f"revoke {username}",
    )


def clean_mismatches(kind: str, sessions: Sequence[Session], profile: Profile) -> Plan:
    """Make the two stores agree for ``sessions``, which show mismatch ``kind`` (see sessions.MISMATCHES)."""
    if kind not in MISMATCHES:
        raise ValueError(kind)
    ids = [s.id for s in sessions]
    details = {"kind": kind, "what": MISMATCHES[kind], "before": {s.id: kind for s in sessions}, "after": CLEANED[kind]}
    statements: tuple[Statement, ...] = ()
    checks: tuple[RedisCheck, ...] = ()
    commands: tuple[RedisCommand, ...] = ()
    check: Statement | None = _still_there(ids)
    if kind == "redis-only":  # the row is right: Redis forgets the session
        check = Statement(sql.SQL(
            "SELECT count(*) = %s AND coalesce(bool_and(NOT coalesce(is_active, false) OR expires_at <= now()), false), "
            "'some of them are active again' FROM (SELECT is_active, expires_at FROM sessions "
            "WHERE id = ANY(%s::uuid[]) FOR UPDATE) AS t"), (len(ids), ids), _SEEN)
        commands = _forget(sessions)
    elif kind == "pg-only":  # no key, so the service refuses the session: the row says so too
        checks = tuple(RedisCheck(session_key(s.id).encode(), "none") for s in sessions)
        statements = (update("sessions", {"is_active": sql.SQL("false")},
                             sql.SQL("id = ANY(%s::uuid[]) AND is_active"), (ids,), ("id", "is_active")),)
    elif kind == "ttl":  # the row's expiry is the truth: the key expires with it
        checks = tuple(RedisCheck(session_key(s.id).encode(), "string") for s in sessions)
        commands = tuple(("PEXPIREAT", session_key(s.id), int(s.expires_at.timestamp() * 1000))
                         for s in sessions if s.expires_at is not None)
    else:  # member-no-key: the set stops naming a key that is gone
        checks = tuple(RedisCheck(session_key(s.id).encode(), "none") for s in sessions)
        commands = tuple(("SREM", user_set_key(s.user_id), s.id) for s in sessions)
    return Plan(
        system="rcmd", title=f"Clean up {len(ids)} {kind} mismatch{'es' if len(ids) > 1 else ''}",
        targets=tuple(s.label for s in sessions), check=check,
        audit=audit("console.session.reconcile", "sessions", ids, profile, details),
        statements=statements,
        redis=RedisStep(commands=commands, checks=checks) if commands or checks else None,
        failed_audit=audit("console.session.reconcile", "sessions", ids, profile, details, result="error"),
        typed=f"clean {len(ids)}" if len(ids) > 1 else None,
    )
