"""The audit row of a console action, in the target system's own log.

RCMD's log takes the action's name. OrderSync's CHECK allows only its own list of actions, so there the row
is a CONSOLE_ACTION whose payload names the action; the database adds who is connected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import Statement, columns_privileges
from rcmd_tui.data.ordersync import audit as ordersync_audit
from rcmd_tui.data.rcmd.actions import audit as rcmd_audit

_ORDERSYNC = sql.SQL(
    "INSERT INTO audit_logs (trace_id, action, resource_type, resource_id, new_value_encrypted, new_value_key_id, "
    "success, error_message) SELECT md5(random()::text || t), 'CONSOLE_ACTION', %s, t, "
    "(%s::jsonb || jsonb_build_object('db_user', session_user::text, 'db_role', current_user::text))::text, %s, true, NULL "
    "FROM unnest(%s::text[]) AS t")
_ORDERSYNC_NEEDS = columns_privileges("audit_logs", "INSERT", (
    "trace_id", "action", "resource_type", "resource_id", "new_value_encrypted", "new_value_key_id", "success", "error_message"))


def system_audit(system: str, action: str, resource_type: str, ids: Sequence[str], profile: Profile,
                 details: dict[str, Any]) -> Statement:
    """One audit row per target, saying who asked (console role, profile, OS user)."""
    if system == "rcmd":
        return rcmd_audit(action, resource_type, ids, profile, details)  # it names the OS user itself
    payload = {"action": action, "console_role": profile.role, "profile": profile.name, "via": "rcmd-tui",
               "os_user": ordersync_audit.os_user(), **details}
    return Statement(_ORDERSYNC, (resource_type, Jsonb(payload), ordersync_audit.AUDIT_KEY_ID, list(ids)), _ORDERSYNC_NEEDS)
