"""Everything about one backend for its detail: the statement laid out, its locks, whom it blocks and who
blocks it, its ``pg_stat_statements`` row, and its plan.

The statement is text the database handed us, so it is never run as it is: EXPLAIN is composed around it,
prepared (the protocol then refuses a second statement hidden after a semicolon), and only a single
SELECT, INSERT, UPDATE, DELETE, MERGE, VALUES or WITH statement is explained. EXPLAIN ANALYZE runs the
statement, so it runs only when asked and confirmed, in a transaction that is always rolled back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg
import sqlparse
from psycopg import sql

from rcmd_tui.data.infra.connections import write_transaction
from rcmd_tui.data.infra.failures import first_line
from rcmd_tui.data.monitor.console_audit import system_audit
from rcmd_tui.data.monitor.statements import StatementsUnavailable, read_statements
from rcmd_tui.errors import RcmdError

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

PLACEHOLDER = re.compile(r"\$(\d+)")
EXPLAINABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES", "WITH", "TABLE")
GENERIC_PLAN_FROM = 160000  # EXPLAIN (GENERIC_PLAN) arrived in PostgreSQL 16


class ExplainError(RcmdError):
    title = "Plan"

    def __init__(self, message: str, hint: str = "", *, asks_values: bool = False) -> None:
        super().__init__(message, hint)
        self.asks_values = asks_values  # values for the statement's parameters would get a plan


def pretty(query: str) -> str:
    """The statement laid out to read (keywords upper-cased, clauses on their own lines). sqlparse does not
    validate, so a statement cut off by track_activity_query_size still lays out."""
    return str(sqlparse.format(query, reindent=True, keyword_case="upper", indent_width=2)).strip()


def parameters(query: str) -> list[int]:
    """The $n placeholders of a normalised statement (pg_stat_statements, a prepared statement), in order."""
    return sorted({int(n) for n in PLACEHOLDER.findall(query)})


def explainable(query: str) -> str:
    """The one statement to explain, or ExplainError saying why not."""
    statements = [s for s in sqlparse.split(query) if s.strip().strip(";").strip()]
    if len(statements) != 1:
        raise ExplainError(f"{len(statements)} statements in this text: only one can be explained",
                           "copy the one you want (y) and run EXPLAIN in psql")
    text = statements[0].strip().rstrip(";")
    first = text.split(None, 1)[0].upper().lstrip("(") if text else ""
    if first not in EXPLAINABLE:
        raise ExplainError(f"a {first or 'blank'} statement has no plan", "only SELECT, INSERT, UPDATE, DELETE, MERGE and WITH do")
    return text


def _with_parameters(text: str) -> sql.Composed:
    # psycopg's own placeholders: $n becomes %(pn)s, and a literal % is doubled so it stays itself.
    escaped = PLACEHOLDER.sub(lambda m: f"%(p{m.group(1)})s", text.replace("%", "%%"))
    return sql.Composed([sql.SQL(escaped)])


async def explain(services: Services, system: str, query: str, values: dict[int, str] | None = None, *,
                  analyze: bool = False, database: str | None = None) -> list[str]:
    """The plan of ``query``: with ``values`` for its $n (bound as text for the server to type), with a generic
    plan where the server has one (16+), or ExplainError naming the parameters to fill in."""
    text = explainable(query)
    wanted = parameters(text)
    values = values or {}
    if analyze and any(n not in values for n in wanted):
        raise ExplainError(f"the statement has parameters ${', $'.join(str(n) for n in wanted if n not in values)}",
                           "give a value for each", asks_values=True)
    if analyze:  # it runs the statement: audited first, as every action, and refused if the audit cannot be written
        await _audit_analyze(services, system, text, values)
    # A plain EXPLAIN reads (a replica will do); ANALYZE runs the statement, which may write: the primary.
    pool = services.primary(system) if analyze else services.reader(system)
    async with pool.connection() as conn:
        if database is not None and database != conn.info.dbname:  # its tables are not ours to plan against
            raise ExplainError(f"this session runs in database {database}, and {system} is {conn.info.dbname}",
                               "open the monitor of the target whose database it is, or copy the statement (y) to psql there")
        version = conn.info.server_version
        options = ["ANALYZE", "BUFFERS"] if analyze else []
        missing = [n for n in wanted if n not in values]
        if missing and (analyze or version < GENERIC_PLAN_FROM):
            raise ExplainError(f"the statement has parameters ${', $'.join(map(str, missing))}",
                               "press e and give a value for each" + ("" if analyze else " (a generic plan needs PostgreSQL 16)"),
                               asks_values=True)
        if missing:
            options.append("GENERIC_PLAN")
        head = sql.SQL("EXPLAIN ({}) ").format(sql.SQL(", ".join(options or ["COSTS"])))
        params = {f"p{n}": values[n] for n in wanted if n in values} if not missing else {}
        body = _with_parameters(text) if params else sql.Composed([sql.SQL(text.replace("%", "%%"))])
        try:
            if analyze:  # it runs the statement: in a transaction that is rolled back whatever happens
                async with conn.transaction(force_rollback=True):
                    await conn.execute("SET TRANSACTION READ WRITE")
                    await conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(
                        sql.Literal(f"{services.profile.timeouts.lock_ms}ms")))
                    rows = await (await conn.execute(head + body, params, prepare=True)).fetchall()
            else:
                rows = await (await conn.execute(head + body, params, prepare=True)).fetchall()
        except psycopg.errors.SyntaxError as exc:
            raise ExplainError(f"the statement does not parse: {first_line(exc)}",
                               "pg_stat_activity cuts statements at track_activity_query_size: copy it whole from its source") from None
        except (psycopg.errors.DataError, psycopg.errors.UndefinedParameter, psycopg.errors.IndeterminateDatatype) as exc:
            raise ExplainError(f"the values do not fit the statement: {first_line(exc)}", "press e and give other values") from None
        except psycopg.errors.InsufficientPrivilege as exc:
            raise ExplainError(f"not allowed: {first_line(exc)}", "the role needs the privileges the statement does") from None
        except psycopg.errors.QueryCanceled:
            raise ExplainError(f"it ran past statement_timeout ({services.profile.timeouts.statement_ms} ms)",
                               "the statement itself is that slow: a plain EXPLAIN (e) shows its plan without running it") from None
    return [str(r[0]) for r in rows]


@dataclass(frozen=True, slots=True)
class BackendFacts:
    locks: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)
    blocked_by: list[int] = field(default_factory=list)
    statement: dict[str, Any] | None = None
    statement_note: str = ""


LOCKS_OF = """
SELECT locktype, mode, granted, relation::regclass::text AS relation, transactionid::text AS xid,
       virtualxid, now() - waitstart AS waiting_for
FROM pg_locks WHERE pid = %s ORDER BY granted, locktype
"""
BLOCKS = """
SELECT coalesce(array_agg(pid ORDER BY pid) FILTER (WHERE %s = ANY(pg_blocking_pids(pid))), '{}'),
       pg_blocking_pids(%s)
FROM pg_stat_activity WHERE wait_event_type = 'Lock'
"""


async def facts(services: Services, system: str, pid: int, query_id: int | None) -> BackendFacts:
    async with services.reader(system).connection() as conn:
        cur = await conn.execute(LOCKS_OF, (pid,))
        names = [d.name for d in cur.description or ()]
        locks = [dict(zip(names, r, strict=True)) for r in await cur.fetchall()]
        row = await (await conn.execute(BLOCKS, (pid, pid))).fetchone()
        blocks, blocked_by = (list(row[0] or []), list(row[1] or [])) if row else ([], [])
    statement, note = await _statement_row(services, system, query_id)
    return BackendFacts(locks, blocks, blocked_by, statement, note)


async def _statement_row(services: Services, system: str, query_id: int | None) -> tuple[dict[str, Any] | None, str]:
    if query_id is None:
        return None, "no query id (compute_query_id is off, or the backend runs no statement)"
    try:
        names, rows = await read_statements(services, system, query_id)
    except StatementsUnavailable as exc:
        return None, f"{exc.message}: {exc.hint}"
    at = list(names).index("queryid")
    found = next((r for r in rows if r[at] == query_id), None)
    if found is None:
        return None, "not in pg_stat_statements (not yet counted, or evicted)"
    return dict(zip(names, found, strict=True)), ""


async def _audit_analyze(services: Services, system: str, text: str, values: dict[int, str]) -> None:
    audit = system_audit(system, "console.statement.explain_analyze", "statement", [text[:200]], services.profile,
                         {"statement": text[:2000], "values": {f"${n}": v for n, v in sorted(values.items())},
                          "rolled_back": True})
    try:
        async with write_transaction(services.primary(system), services.profile.timeouts.lock_ms) as conn:
            await conn.execute(audit.query, audit.params)
    except psycopg.Error as exc:
        raise ExplainError(f"EXPLAIN ANALYZE was not audited, so it did not run: {first_line(exc)}",
                           f"the role needs to write {system}'s audit log (docs/roles.md)") from None
