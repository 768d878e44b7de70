"""OrderSync user actions: unlock, suspend, reactivate, reset two-factor. Each is a plan (re-checked, audited,
confirmed first), run by the one runner like every other action.

OrderSync writes users under optimistic locking: every write bumps ``version``. The console does the same.
The re-check locks the row and refuses it unless its version is still the one shown, naming what changed;
the UPDATE bumps the version and matches the shown one again, so no path overwrites someone else's change.

The audit row goes into OrderSync's own log as a ``CONSOLE_ACTION`` (its CHECK allows only its own actions,
seed-deviations O7), plain JSON under the key id ``plain:console``: the values before the change (read off
the locked row, not taken from the screen) in ``old_value``, and in ``new_value`` the console's payload with
the values after it; the database adds who is connected. The users trigger writes its own ``UPDATE_users``
row beside it, as for any write. The two-factor secret itself never goes into the log, only whether one is set.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg_pool
from psycopg import sql
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import ActionRefused, Plan, Statement, columns_privileges, update
from rcmd_tui.data.ordersync import audit as ordersync_audit

SECRET_COLUMN = "two_factor_secret_encrypted"  # noqa: S105 - a column name, not a password


@dataclass(frozen=True, slots=True)
class ShownUser:
    """An OrderSync user as the screen showed it: what the actions change, and the version it was read at."""

    id: str
    version: int
    status: str
    failed_login_count: int | None
    locked_until: datetime | None
    two_factor_enabled: bool | None
    two_factor_secret: bool  # whether a secret is stored; the secret itself is never read
    label: str = ""  # how the screen names the user (a masked e-mail); the id when empty

    @property
    def name(self) -> str:
        return self.label or self.id


# The values the re-check compares with what was shown, to name what changed: (alias, SQL type, label).
# Only the version decides; the rest makes the refusal say what someone else did.
_COMPARED = (("status", "text", "status"), ("failed_login_count", "integer", "failed logins"),
             ("locked_until", "timestamptz", "locked until"), ("two_factor_enabled", "boolean", "two-factor enabled"),
             ("two_factor_secret", "boolean", "two-factor secret stored"))
_READ = ("id", "version", "status", "failed_login_count", "locked_until", "two_factor_enabled", SECRET_COLUMN)
_LOCKED = sql.SQL(
    "SELECT id::text AS id, version, status, failed_login_count, locked_until, two_factor_enabled, "
    "{} IS NOT NULL AS two_factor_secret FROM users WHERE id = %s::uuid").format(sql.Identifier(SECRET_COLUMN))


def _differs(alias: str, label: str) -> sql.Composed:
    return sql.SQL("CASE WHEN u.{a} IS DISTINCT FROM s.{a} THEN {l} || ' ' || coalesce(s.{a}::text, 'none') || ' → ' "
                   "|| coalesce(u.{a}::text, 'none') END").format(a=sql.Identifier(alias), l=sql.Literal(label))


_CHECK = sql.SQL(
    "SELECT coalesce(bool_and(u.version = s.version), false), "
    "coalesce(string_agg('changed since it was shown: ' || concat_ws(', ', {}, "
    "'version ' || s.version || ' → ' || u.version), ''), 'the user no longer exists') "
    "FROM ({} FOR UPDATE) AS u, (SELECT %s::bigint AS version, {}) AS s"
).format(sql.SQL(", ").join(_differs(a, label) for a, _t, label in _COMPARED), _LOCKED,
         sql.SQL(", ").join(sql.SQL("%s::{} AS {}").format(sql.SQL(t), sql.Identifier(a)) for a, t, _l in _COMPARED))


def _check(user: ShownUser) -> Statement:
    shown = (user.status, user.failed_login_count, user.locked_until, user.two_factor_enabled, user.two_factor_secret)
    return Statement(_CHECK, (user.id, user.version, *shown), columns_privileges("users", "SELECT", _READ))


async def shown_user(pool: psycopg_pool.AsyncConnectionPool[Any], user_id: str, label: str = "") -> ShownUser | None:
    """The user as it is now, for a screen to show before it offers an action (None: no such user)."""
    async with pool.connection() as conn, conn.cursor(row_factory=class_row(ShownUser)) as cur:
        await cur.execute(_LOCKED, (user_id,))
        row = await cur.fetchone()
    return None if row is None else dataclasses.replace(row, label=label)


# The users trigger (auto_audit_log, seed-deviations O11) inserts into audit_logs as whoever runs the UPDATE.
_TRIGGER_NEEDS = columns_privileges("audit_logs", "INSERT", (
    "trace_id", "action", "resource_type", "resource_id", "user_id", "old_value_encrypted", "old_value_key_id",
    "new_value_encrypted", "new_value_key_id", "success"))
_AUDIT_NEEDS = columns_privileges("audit_logs", "INSERT", (
    "trace_id", "action", "resource_type", "resource_id", "old_value_encrypted", "old_value_key_id",
    "new_value_encrypted", "new_value_key_id", "success", "error_message"))


def _logged(column: str) -> tuple[str, sql.Composable]:
    """The name and value a column goes into the log under: a secret only as whether one is set."""
    if column == SECRET_COLUMN:
        return "two_factor_secret_set", sql.SQL("u.{} IS NOT NULL").format(sql.Identifier(column))
    return column, sql.SQL("u.{}").format(sql.Identifier(column))


def _after(sets: Mapping[str, Any]) -> dict[str, Any]:
    return {_logged(c)[0]: (v is not None if c == SECRET_COLUMN else v) for c, v in sets.items()}


def _audit(action: str, user: ShownUser, sets: Mapping[str, Any], profile: Profile) -> Statement:
    """One CONSOLE_ACTION row: before (from the locked row), after, and who asked; the database adds who ran it."""
    before = sql.SQL(", ").join(sql.SQL("{}, {}").format(sql.Literal(name), value)
                                for name, value in map(_logged, (*sets, "version")))
    query = sql.SQL(
        "INSERT INTO audit_logs (trace_id, action, resource_type, resource_id, old_value_encrypted, old_value_key_id, "
        "new_value_encrypted, new_value_key_id, success, error_message) "
        "SELECT replace(gen_random_uuid()::text, '-', ''), 'CONSOLE_ACTION', 'users', u.id::text, "
        "jsonb_build_object({})::text, %s, "
        "(%s::jsonb || jsonb_build_object('after', %s::jsonb || jsonb_build_object('version', u.version + 1), "
        "'db_user', session_user::text, 'db_role', current_user::text))::text, %s, true, NULL "
        "FROM users u WHERE u.id = %s::uuid").format(before)
    payload = {"action": action, "console_role": profile.role, "profile": profile.name, "via": "rcmd-tui",
               "os_user": ordersync_audit.os_user(), "result": "success"}
    key = ordersync_audit.AUDIT_KEY_ID
    return Statement(query, (key, Jsonb(payload), Jsonb(_after(sets)), key, user.id),
                     _AUDIT_NEEDS + columns_privileges("users", "SELECT", ("id", *sets, "version")))


def _change(user: ShownUser, sets: Mapping[str, Any]) -> Statement:
    """The UPDATE, matched on the shown version as well, so it can only ever change the row that was re-checked."""
    assignments = {**{c: sql.Placeholder() for c in sets}, "version": sql.SQL("version + 1"), "updated_at": sql.SQL("now()")}
    statement = update("users", assignments, sql.SQL("id = %s::uuid AND version = %s"), (*sets.values(), user.id, user.version),
                       where_columns=("id", "version"))
    return dataclasses.replace(statement, needs=statement.needs + _TRIGGER_NEEDS)


def _shown_value(column: str, user: ShownUser) -> object:
    if column == SECRET_COLUMN:
        return "stored" if user.two_factor_secret else None
    if column == "two_factor_secret_key_id":
        return "set" if user.two_factor_secret else None
    return getattr(user, column)


def _preview(user: ShownUser, sets: Mapping[str, Any]) -> tuple[str, ...]:
    """The change in words, as the list showed the user: one line per column, then the version it must still be."""
    def word(value: object) -> str:
        return "none" if value is None else str(value)

    lines = [f"{column}: {word(_shown_value(column, user))} → {word(value)}" for column, value in sets.items()]
    return (*lines, f"version: {user.version} → {user.version + 1} (refused if it is no longer {user.version})")


def _plan(verb: str, action: str, user: ShownUser, sets: Mapping[str, Any], profile: Profile, typed: str | None = None) -> Plan:
    return Plan(system="ordersync", title=f"{verb} OrderSync user {user.name}", targets=(user.name,), check=_check(user),
                audit=_audit(action, user, sets, profile), statements=(_change(user, sets),), roles=("admin",),
                typed=typed, changes="user changed", preview=_preview(user, sets))


def unlock(user: ShownUser, profile: Profile) -> Plan:
    """Reset the failed-login count and clear the lock."""
    if not user.failed_login_count and user.locked_until is None:
        raise ActionRefused(f"OrderSync user {user.name} is not locked and has no failed logins", "nothing to unlock")
    return _plan("Unlock", "console.user.unlock", user, {"failed_login_count": 0, "locked_until": None}, profile)


def suspend(user: ShownUser, profile: Profile) -> Plan:
    """ACTIVE to SUSPENDED: the user can no longer sign in (OrderSync checks the status at login)."""
    if user.status != "ACTIVE":
        raise ActionRefused(f"OrderSync user {user.name} is {user.status}, not ACTIVE", "only an active user can be suspended")
    return _plan("Suspend", "console.user.suspend", user, {"status": "SUSPENDED"}, profile, typed="suspend")


def reactivate(user: ShownUser, profile: Profile) -> Plan:
    """SUSPENDED to ACTIVE. A DELETED user stays deleted: that is OrderSync's own erasure, not a suspension."""
    if user.status != "SUSPENDED":
        raise ActionRefused(f"OrderSync user {user.name} is {user.status}, not SUSPENDED", "only a suspended user can be reactivated")
    return _plan("Reactivate", "console.user.reactivate", user, {"status": "ACTIVE"}, profile)


def reset_two_factor(user: ShownUser, profile: Profile) -> Plan:
    """Turn two-factor off and drop its secret (and the secret's key id), so the user enrols again."""
    if not user.two_factor_enabled and not user.two_factor_secret:
        raise ActionRefused(f"OrderSync user {user.name} has no two-factor set up", "nothing to reset")
    sets = {"two_factor_enabled": False, SECRET_COLUMN: None, "two_factor_secret_key_id": None}
    return _plan("Reset two-factor of", "console.user.reset_2fa", user, sets, profile, typed="reset 2fa")
