"""RCMD actions: their plans (what runs, what is re-checked, what is audited)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import ActionRefused, Plan, Privilege, RedisCheck, RedisStep, Statement, columns_privileges, update
from rcmd_tui.data.ordersync.audit import os_user
from rcmd_tui.text import bytes_text

AUDIT_COLUMNS = ("user_id", "action", "resource_type", "resource_id", "details", "result")
# The row's id comes from its serial default: inserting draws from the sequence, which takes USAGE on it.
AUDIT_NEEDS = (*columns_privileges("audit_logs", "INSERT", AUDIT_COLUMNS), Privilege("audit_logs", "USAGE", "id"))


def _audit_sql(result: str) -> sql.Composed:
    return sql.SQL(
        "INSERT INTO audit_logs ({}) SELECT NULL, %s, %s, t, "
        "%s || jsonb_build_object('db_user', current_user, 'session_user', session_user), {} FROM unnest(%s::text[]) AS t"
    ).format(sql.SQL(", ").join(map(sql.Identifier, AUDIT_COLUMNS)), sql.Literal(result))


AUDIT, AUDIT_FAILED = _audit_sql("success"), _audit_sql("error")


def audit(action: str, resource_type: str, ids: Sequence[str], profile: Profile, details: dict[str, Any],
          result: str = "success") -> Statement:
    """One audit row per target, with who asked (console role, profile) and who ran it (database user)."""
    return Statement(AUDIT if result == "success" else AUDIT_FAILED,
                     (action, resource_type, Jsonb({"console_role": profile.role, "profile": profile.name,
                                                    "via": "rcmd-tui", "os_user": os_user(), **details}), list(ids)),
                     AUDIT_NEEDS)


def set_users_active(users: Sequence[tuple[str, str]], active: bool, profile: Profile, skipped: int = 0) -> Plan:
    """Activate or deactivate users, given as (id, username) shown in the opposite state; ``skipped`` chosen
    ones already were (the title says so)."""
    ids = [u[0] for u in users]
    verb = "Activate" if active else "Deactivate"
    check = Statement(sql.SQL(
        "SELECT count(*) = %s AND coalesce(bool_and(is_active IS NOT DISTINCT FROM %s), false), "
        "'now ' || coalesce(string_agg(username || CASE WHEN is_active THEN ' active' ELSE ' inactive' END, ', '), 'gone') "
        "FROM (SELECT username, is_active FROM users WHERE id = ANY(%s::uuid[]) FOR UPDATE) AS t"),
        (len(ids), not active, ids), columns_privileges("users", "SELECT", ("id", "username", "is_active")))
    change = update("users", {"is_active": sql.Placeholder(), "updated_at": sql.SQL("now()")},
                    sql.SQL("id = ANY(%s::uuid[])"), (active, ids))
    many = len(ids) > 1
    return Plan(
        system="rcmd", title=f"{verb} {len(ids)} user{'s' if many else ''}"
                             + (f" ({skipped} already {'active' if active else 'inactive'}, left out)" if skipped else ""),
        targets=tuple(u[1] for u in users), check=check,
        audit=audit("console.user.activate" if active else "console.user.deactivate", "users", ids, profile, {"is_active": active}),
        statements=(change,), roles=("admin",),
        typed=f"{verb.lower()} {len(ids)}" if many or not active else None,
    )


USER_ROLES = ("admin", "power_user", "user")  # users.check_role


def change_role(user_id: str, username: str, shown_role: str, role: str, profile: Profile) -> Plan:
    """Give one user another role, if their role is still the one shown. Granting admin takes typed words.
    A role the CHECK would refuse is refused here, before anything is written."""
    if role not in USER_ROLES:
        raise ActionRefused(f"{role!r} is not an RCMD role", f"choose one of: {', '.join(USER_ROLES)}")
    if role == shown_role:
        raise ActionRefused(f"{username} is already {role}", "choose another role")
    check = Statement(sql.SQL(
        "SELECT count(*) = 1 AND coalesce(bool_and(role = %s), false), "
        "coalesce(string_agg(username || ' is now ' || role || ' (shown ' || %s || ')', ', '), 'the user no longer exists') "
        "FROM (SELECT username, role FROM users WHERE id = %s::uuid FOR UPDATE) AS t"),
        (shown_role, shown_role, user_id), columns_privileges("users", "SELECT", ("id", "username", "role")))
    # The shown role is matched again so the statement, read alone in the dialog, cannot change anyone else's.
    change = update("users", {"role": sql.Placeholder(), "updated_at": sql.SQL("now()")},
                    sql.SQL("id = %s::uuid AND role = %s"), (role, user_id, shown_role), where_columns=("id", "role"))
    details = {"username": username, "before": {"role": shown_role}, "after": {"role": role}}
    return Plan(
        system="rcmd", title=f"Change the role of {username} from {shown_role} to {role}", targets=(username,), check=check,
        audit=audit("console.user.role", "users", [user_id], profile, details), statements=(change,), roles=("admin",),
        typed="grant admin" if role == "admin" else None,
    )


def delete_redis_key(key: bytes, kind: str, shown_value: bytes | None, profile: Profile) -> Plan:
    """Delete one key (a stuck lock, a stale session), if it is still what was shown. The audit row is
    committed to RCMD's log first; the key is deleted only if it did not change meanwhile."""
    name = bytes_text(key)
    details = {"key": name, "type": kind}
    return Plan(
        system="rcmd", title=f"Delete Redis key {name[:60]!r}", targets=(),
        audit=audit("console.redis.delete", "redis", [name], profile, details),
        redis=RedisStep(commands=(("UNLINK", key),), checks=(RedisCheck(key, kind, shown_value),)),
        failed_audit=audit("console.redis.delete", "redis", [name], profile, details, result="error"),
        typed="delete",
    )
