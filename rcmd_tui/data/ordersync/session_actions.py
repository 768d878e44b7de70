"""Revoking OrderSync sessions: ``is_revoked`` set on the rows (OrderSync checks it on every request), one
CONSOLE_ACTION audit row each, in one transaction. Revoking a revoked session changes nothing, so twice is harmless."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import Plan, Statement, columns_privileges, update
from rcmd_tui.data.monitor.console_audit import system_audit


def revoke_sessions(sessions: Sequence[tuple[str, bool | None]], profile: Profile) -> Plan:
    """``sessions``: (id, is_revoked as shown)."""
    ids = [s[0] for s in sessions]
    check = Statement(sql.SQL(
        "SELECT count(*) = %s, 'gone: ' || (%s - count(*))::text || ' of them' "
        "FROM (SELECT id FROM user_sessions WHERE id = ANY(%s::uuid[]) FOR UPDATE) AS t"), (len(ids), len(ids), ids),
        columns_privileges("user_sessions", "SELECT", ("id", "is_revoked")))
    many = len(ids) > 1
    return Plan(
        system="ordersync", title=f"Revoke {len(ids)} OrderSync session{'s' if many else ''}",
        targets=tuple(i[:8] for i in ids), check=check,
        audit=system_audit("ordersync", "console.session.revoke", "user_sessions", ids, profile,
                           {"before": {i: {"is_revoked": r} for i, r in sessions}, "after": {"is_revoked": True}}),
        statements=(update("user_sessions", {"is_revoked": sql.SQL("true")},
                           sql.SQL("id = ANY(%s::uuid[]) AND NOT coalesce(is_revoked, false)"), (ids,), ("id", "is_revoked")),),
        typed=f"revoke {len(ids)}" if many else None,
    )
