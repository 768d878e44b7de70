"""Changes the console makes: planned, shown in full, re-checked, audited in the same transaction, run.

A :class:`Plan` is everything an action will do, built before anyone confirms it. :func:`render` gives
the exact SQL with its bound values for the confirmation dialog; :func:`run` executes the plan in one
short read-write transaction: first the check that the targets are still what was shown (locking them),
then the audit row, then the change. If any step fails, nothing happens, the audit row included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg_pool
from psycopg import sql

from rcmd_tui.config import ConsoleRole, Profile
from rcmd_tui.data.connections import write_transaction
from rcmd_tui.errors import RcmdError


class ActionRefused(RcmdError):
    title = "Action refused"


class TargetChanged(RcmdError):
    title = "Changed since shown"


@dataclass(frozen=True, slots=True)
class Statement:
    query: sql.SQL | sql.Composed
    params: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Privilege:
    table: str
    privilege: str  # UPDATE, INSERT, DELETE
    column: str | None = None

    def query(self) -> Statement:
        if self.column:
            return Statement(sql.SQL("SELECT has_column_privilege(%s, %s, %s)"), (self.table, self.column, self.privilege))
        return Statement(sql.SQL("SELECT has_table_privilege(%s, %s)"), (self.table, self.privilege))


@dataclass(frozen=True, slots=True)
class Plan:
    system: str
    title: str
    targets: tuple[str, ...]
    check: Statement  # one row: (still_as_shown boolean, what changed if not)
    audit: Statement
    statements: tuple[Statement, ...]
    roles: tuple[ConsoleRole, ...] = ("admin",)
    privileges: tuple[Privilege, ...] = ()
    typed: str | None = None  # bulk or destructive: the words to type to confirm


def permitted(profile: Profile, read_only: bool, roles: Sequence[ConsoleRole]) -> bool:
    """Whether the console offers an action at all; the database still has the last word."""
    return not read_only and profile.role in roles


async def may(pool: psycopg_pool.AsyncConnectionPool[Any], privileges: Sequence[Privilege]) -> bool:
    """Whether the connected database role holds every privilege an action needs."""
    async with pool.connection() as conn:
        for p in privileges:
            q = p.query()
            row = await (await conn.execute(q.query, q.params)).fetchone()
            if not row or not row[0]:
                return False
    return True


async def offered(pool: psycopg_pool.AsyncConnectionPool[Any], profile: Profile, read_only: bool,
                  roles: Sequence[ConsoleRole], privileges: Sequence[Privilege]) -> bool:
    """Whether a screen shows an action: the session, the console role and the database role all allow it.
    A target that cannot be asked counts as no."""
    if not permitted(profile, read_only, roles):
        return False
    try:
        return await may(pool, privileges)
    except (psycopg.Error, OSError, psycopg_pool.PoolTimeout):
        return False


async def render(pool: psycopg_pool.AsyncConnectionPool[Any], plan: Plan) -> list[str]:
    """Each statement as it will run, values in place (quoted by psycopg, as the server will see them)."""
    async with pool.connection() as conn:
        cursor = psycopg.AsyncClientCursor(conn)
        return [cursor.mogrify(s.query, s.params) for s in (plan.check, plan.audit, *plan.statements)]


async def run(pool: psycopg_pool.AsyncConnectionPool[Any], plan: Plan, lock_timeout_ms: int) -> int:
    """Run the plan; the number of rows it changed. Raises TargetChanged or ActionRefused, changing nothing."""
    try:
        async with write_transaction(pool, lock_timeout_ms) as conn:
            row = await (await conn.execute(plan.check.query, plan.check.params)).fetchone()
            if row is None or not row[0]:
                detail = str(row[1]) if row is not None and len(row) > 1 and row[1] else "the rows are not as shown"
                raise TargetChanged(f"{plan.title}: {detail}", "refresh (r) to see them as they are now, then try again")
            await conn.execute(plan.audit.query, plan.audit.params)
            changed = 0
            for s in plan.statements:
                cur = await conn.execute(s.query, s.params)
                changed += max(cur.rowcount, 0)
            return changed
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ActionRefused(f"{plan.title}: the database refused it ({_first(exc)})",
                            "the role needs rcmd_tui_admin (docs/roles.md); nothing was changed") from None
    except psycopg.errors.LockNotAvailable:
        raise ActionRefused(f"{plan.title}: the rows are locked by another session",
                            f"nothing was changed; try again, or look for the blocker (lock_timeout {lock_timeout_ms} ms)") from None
    except psycopg.Error as exc:
        raise ActionRefused(f"{plan.title}: {_first(exc)}", "nothing was changed (the audit row neither)") from None


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True, slots=True)
class RedisPlan:
    """A Redis change: the key is watched and re-checked, the audit row is committed to RCMD's PostgreSQL
    first, then the commands run in MULTI/EXEC (aborted if the key changed after the check)."""

    title: str
    key: bytes
    expect_type: str
    expect_value: bytes | None  # for strings (a lock's token): the value that was shown
    audit: Statement
    failed_audit: Statement  # written if the commands do not run after all
    commands: tuple[tuple[bytes | str, ...], ...]
    roles: tuple[ConsoleRole, ...] = ("admin",)
    privileges: tuple[Privilege, ...] = (Privilege("audit_logs", "INSERT"),)
    typed: str | None = None


def render_redis(plan: RedisPlan) -> list[str]:
    """The commands as redis-cli would take them; bytes shown as Python escapes (never raw)."""
    def word(part: bytes | str) -> str:
        raw = part if isinstance(part, bytes) else part.encode()
        return repr(raw)[2:-1] if any(b < 0x20 or b >= 0x7F or b in b' "\\' for b in raw) else raw.decode()
    check = f"WATCH {word(plan.key)}; TYPE {word(plan.key)} must be {plan.expect_type}"
    if plan.expect_value is not None:
        check += f"; GET {word(plan.key)} must be {word(plan.expect_value)}"
    return [check, "MULTI", *(" ".join(word(p) for p in cmd) for cmd in plan.commands), "EXEC"]


async def run_redis(pool: psycopg_pool.AsyncConnectionPool[Any], client: Any, plan: RedisPlan, lock_timeout_ms: int) -> list[Any]:
    """Run the plan; the commands' replies. Raises TargetChanged or ActionRefused."""
    import redis.exceptions  # noqa: PLC0415 - only actions on Redis need it

    async with client.pipeline(transaction=True) as pipe:
        try:
            await pipe.watch(plan.key)
            kind = await pipe.type(plan.key)
            kind = kind.decode() if isinstance(kind, bytes) else str(kind)
            if kind != plan.expect_type:
                raise TargetChanged(f"{plan.title}: the key is now {kind}, not {plan.expect_type}", "refresh and look again")
            if plan.expect_value is not None and await pipe.get(plan.key) != plan.expect_value:
                raise TargetChanged(f"{plan.title}: the value changed since it was shown (another holder?)",
                                    "refresh and look again")
            try:
                async with write_transaction(pool, lock_timeout_ms) as conn:  # the audit row, before the command
                    await conn.execute(plan.audit.query, plan.audit.params)
            except psycopg.Error as exc:
                raise ActionRefused(f"{plan.title}: the audit row could not be written ({_first(exc)})",
                                    "nothing was sent to Redis; the role needs INSERT on audit_logs") from None
            pipe.multi()
            for command in plan.commands:
                pipe.execute_command(*command)
            return list(await pipe.execute())
        except redis.exceptions.WatchError:
            await _audit_failure(pool, plan, lock_timeout_ms)
            raise TargetChanged(f"{plan.title}: the key changed while the action ran; nothing was done",
                                "refresh and look again") from None
        except redis.exceptions.RedisError as exc:
            await _audit_failure(pool, plan, lock_timeout_ms)
            raise ActionRefused(f"{plan.title}: Redis refused it ({_first(exc)})", "check the rcmd-redis row on the home screen") from None


async def _audit_failure(pool: psycopg_pool.AsyncConnectionPool[Any], plan: RedisPlan, lock_timeout_ms: int) -> None:
    try:
        async with write_transaction(pool, lock_timeout_ms) as conn:
            await conn.execute(plan.failed_audit.query, plan.failed_audit.params)
    except psycopg.Error:
        pass  # the intent is already in the log; the failure shows on screen
