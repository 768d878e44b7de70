"""What on-call does to a server from the monitoring views: cancel or terminate backends, reset the statement
statistics. Each is a plan (re-checked, audited in the target system's own log, confirmed first).

A pid alone is not a backend: once a session ends its pid is handed to the next one. The re-check and the
signal both match pid *and* ``backend_start`` as shown, so a recycled pid is refused, never signalled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from psycopg import sql

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import Plan, Privilege, Statement
from rcmd_tui.data.monitor.console_audit import system_audit

SIGNAL_ROLE = Privilege("pg_signal_backend", "MEMBER")
RESET_FUNCTION = "pg_stat_statements_reset(oid,oid,bigint)"

@dataclass(frozen=True, slots=True)
class Backend:
    """A session as the screen showed it."""

    pid: int
    started: datetime  # backend_start
    user: str | None = None
    application: str | None = None
    query: str | None = None
    database: str | None = None

    @property
    def label(self) -> str:
        who = ", ".join(p for p in (self.application, self.user, f"database {self.database}" if self.database else None) if p)
        return f"pid {self.pid}" + (f" ({who})" if who else "")


_MATCH = sql.SQL("unnest(%s::int[], %s::timestamptz[]) AS t(pid, started)")


def signal_backends(system: str, backends: Sequence[Backend], terminate: bool, profile: Profile) -> Plan:
    """Cancel the running statement of, or terminate, each backend, if it is still the session shown."""
    pids = [b.pid for b in backends]
    starts = [b.started for b in backends]
    verb = "Terminate" if terminate else "Cancel"
    function = sql.Identifier("pg_terminate_backend" if terminate else "pg_cancel_backend")
    check = Statement(sql.SQL(
        "SELECT count(a.pid) = cardinality(%s::int[]), "
        "'no longer the session shown (ended, or its pid now belongs to another): pid ' "
        "|| coalesce(string_agg(t.pid::text, ', ') FILTER (WHERE a.pid IS NULL), '') "
        "FROM {} LEFT JOIN pg_stat_activity a ON a.pid = t.pid AND a.backend_start = t.started").format(_MATCH),
        (pids, pids, starts))
    signal = Statement(sql.SQL(
        "SELECT {}(a.pid) FROM pg_stat_activity a JOIN {} ON a.pid = t.pid AND a.backend_start = t.started"
    ).format(function, _MATCH), (pids, starts), (SIGNAL_ROLE,))
    details = {"backends": [{"pid": b.pid, "backend_start": b.started.isoformat(), "user": b.user,
                             "application": b.application, "database": b.database, "query": (b.query or "")[:500]}
                            for b in backends]}
    many = len(backends) > 1
    return Plan(
        system=system, title=f"{verb} {len(backends)} backend{'s' if many else ''}",
        targets=tuple(b.label for b in backends), check=check,
        audit=system_audit(system, f"console.backend.{verb.lower()}", "backend", [str(p) for p in pids], profile, details),
        statements=(signal,), roles=("admin",), audit_after=True, changes="backend signalled",
        typed=f"{verb.lower()} {len(backends)}" if terminate or many else None,
    )


def reset_statements(system: str, schema: str | None, profile: Profile, database: str = "this database") -> Plan:
    """Reset pg_stat_statements for this database only (other databases' figures are not ours to clear).
    ``schema``: where the extension lives; None, the search path (enough to ask whether the role may)."""
    function = sql.SQL("pg_stat_statements_reset") if schema is None else sql.Identifier(schema, "pg_stat_statements_reset")
    reset = Statement(sql.SQL("SELECT {}(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)").format(function),
                      (), (Privilege(RESET_FUNCTION if schema is None else f"{sql.Identifier(schema).as_string(None)}.{RESET_FUNCTION}",
                                     "EXECUTE"),))
    return Plan(
        system=system, title="Reset the statement statistics of this database", targets=("pg_stat_statements",),
        audit=system_audit(system, "console.statements.reset", "pg_stat_statements", [database], profile, {}),
        statements=(reset,), roles=("admin",), typed="reset",
    )
