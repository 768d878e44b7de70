"""The one runner for every plan, and the one check that decides whether an action is offered.

A plan runs as: WATCH and re-check its Redis keys (if it has a Redis step); then one short read-write
transaction with ``lock_timeout`` on its system's primary: the re-check (which locks the targets and fails
if they are no longer as shown), the audit row, the statements; then, after that commits, the Redis commands
in MULTI/EXEC, which Redis aborts if a watched key changed. If the PostgreSQL part fails nothing happens, the
audit row included. If the Redis part does not run after all, a second audit row records the failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import psycopg_pool
import redis.asyncio
import redis.exceptions

from rcmd_tui.config import ConsoleRole, Profile
from rcmd_tui.data.actions.plan import ActionRefused, Plan, Privilege, TargetChanged
from rcmd_tui.data.infra.connections import write_transaction
from rcmd_tui.data.infra.failures import first_line
from rcmd_tui.data.infra.services import Services


@dataclass(frozen=True, slots=True)
class Result:
    changed: int  # rows the statements changed
    replies: tuple[Any, ...] = ()  # the Redis commands' replies


def action_is_allowed(profile: Profile, read_only: bool, roles: Sequence[ConsoleRole]) -> bool:
    """Whether the console offers an action at all; the database still has the last word."""
    return not read_only and profile.role in roles


async def lacking(pool: psycopg_pool.AsyncConnectionPool[Any], privileges: Sequence[Privilege]) -> list[str]:
    """Each right ("DELETE on audit_logs") the connected database role does not hold, once, in the order asked."""
    missing: dict[str, None] = {}
    async with pool.connection() as conn:
        for p in privileges:
            q = p.query()
            row = await (await conn.execute(q.query, q.params)).fetchone()
            if not row or not row[0]:
                missing[f"{p.privilege} on {p.table}"] = None
    return list(missing)


async def role_holds(pool: psycopg_pool.AsyncConnectionPool[Any], privileges: Sequence[Privilege]) -> bool:
    """Whether the connected database role holds every privilege an action needs."""
    return not await lacking(pool, privileges)


async def action_is_offered(services: Services, system: str, roles: Sequence[ConsoleRole],
                            privileges: Sequence[Privilege]) -> bool:
    """Whether a screen shows an action: the session, the console role and the database role all allow it.
    A target that cannot be asked counts as no."""
    if not action_is_allowed(services.profile, services.read_only, roles):
        return False
    try:
        return await role_holds(services.primary(system), privileges)
    except (psycopg.Error, OSError, psycopg_pool.PoolTimeout):
        return False


def redis_word(part: bytes | str | int) -> str:
    """One word of a command as redis-cli would take it; bytes shown as Python escapes (never raw)."""
    raw = part if isinstance(part, bytes) else str(part).encode()
    return repr(raw)[2:-1] if any(b < 0x20 or b >= 0x7F or b in b' "\\' for b in raw) else raw.decode()


def render_redis(plan: Plan) -> list[str]:
    if plan.redis is None:
        return []
    lines = []
    for check in plan.redis.checks:
        line = f"WATCH {redis_word(check.key)}; TYPE {redis_word(check.key)} must be {check.expect_type}"
        if check.expect_value is not None:
            line += f"; GET {redis_word(check.key)} must be {redis_word(check.expect_value)}"
        lines.append(line)
    return [*lines, "MULTI", *(" ".join(redis_word(p) for p in cmd) for cmd in plan.redis.commands), "EXEC"]


async def render(services: Services, plan: Plan) -> list[str]:
    """Every statement and command as it will run, values in place (quoted by psycopg, as the server will
    see them)."""
    async with services.primary(plan.system).connection() as conn:
        cursor = psycopg.AsyncClientCursor(conn)
        statements = [s for s in (plan.check, *plan.in_order) if s is not None]
        sql_lines = [cursor.mogrify(s.query, s.params) for s in statements]
    return sql_lines + render_redis(plan)


async def run(services: Services, plan: Plan) -> Result:
    """Run the plan. Raises TargetChanged or ActionRefused; if the PostgreSQL part fails, nothing changed."""
    if plan.redis is None:
        return Result(await _postgres(services, plan))
    if services.redis is None:
        raise ActionRefused(f"{plan.title}: this profile has no Redis", "set redis_url under the rcmd target")
    return await _with_redis(services, services.redis, plan)


async def _postgres(services: Services, plan: Plan) -> int:
    lock_ms = services.profile.timeouts.lock_ms
    try:
        async with write_transaction(services.primary(plan.system), lock_ms) as conn:
            if plan.check is not None:
                row = await (await conn.execute(plan.check.query, plan.check.params)).fetchone()
                if row is None or not row[0]:
                    detail = str(row[1]) if row is not None and len(row) > 1 and row[1] else "the rows are not as shown"
                    raise TargetChanged(f"{plan.title}: {detail}", "refresh (r) to see them as they are now, then try again")
            changed = 0
            for s in plan.in_order:
                cur = await conn.execute(s.query, s.params)
                if s is plan.audit or s.counts == "none":
                    continue
                if s.counts == "value":
                    row = await cur.fetchone()
                    changed += row[0] if row is not None and isinstance(row[0], int) else 0
                else:
                    changed += max(cur.rowcount, 0)
            return changed
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ActionRefused(f"{plan.title}: the database refused it ({first_line(exc)})",
                            f"the role needs rcmd_tui_admin on {plan.system} (docs/roles.md); nothing was changed") from None
    except psycopg.errors.LockNotAvailable:
        raise ActionRefused(f"{plan.title}: the rows are locked by another session",
                            f"nothing was changed; try again, or look for the blocker (lock_timeout {lock_ms} ms)") from None
    except psycopg.errors.QueryCanceled:
        raise ActionRefused(f"{plan.title}: it ran past statement_timeout", "nothing was changed; try again") from None
    except psycopg.Error as exc:
        raise ActionRefused(f"{plan.title}: {first_line(exc)}", "nothing was changed (the audit row neither)") from None


async def _with_redis(services: Services, client: redis.asyncio.Redis, plan: Plan) -> Result:
    assert plan.redis is not None
    step = plan.redis
    async with client.pipeline(transaction=True) as pipe:
        try:
            if step.checks:
                await pipe.watch(*(c.key for c in step.checks))
            for check in step.checks:
                kind = await pipe.type(check.key)
                kind = kind.decode() if isinstance(kind, bytes) else str(kind)
                if kind != check.expect_type:
                    raise TargetChanged(f"{plan.title}: the key is now {kind}, not {check.expect_type}", "refresh and look again")
                if check.expect_value is not None and await pipe.get(check.key) != check.expect_value:
                    raise TargetChanged(f"{plan.title}: the value changed since it was shown (another holder?)",
                                        "refresh and look again")
            try:
                changed = await _postgres(services, plan)
            except ActionRefused as exc:
                raise ActionRefused(exc.message, f"{exc.hint}; nothing was sent to Redis") from None
            pipe.multi()  # type: ignore[no-untyped-call, unused-ignore]
            for command in step.commands:
                pipe.execute_command(*command)
            replies = await pipe.execute()
            return Result(changed, tuple(replies))
        except redis.exceptions.WatchError:
            await _audit_failure(services, plan)
            raise TargetChanged(f"{plan.title}: a Redis key changed while the action ran; Redis was not changed",
                                "refresh and look again" + ("" if not plan.statements else
                                                           "; PostgreSQL was changed: repeating the action finishes it")) from None
        except redis.exceptions.RedisError as exc:
            await _audit_failure(services, plan)
            raise ActionRefused(f"{plan.title}: Redis refused it ({first_line(exc)})",
                                "check the rcmd-redis row on the home screen") from None


async def _audit_failure(services: Services, plan: Plan) -> None:
    if plan.failed_audit is None:
        return
    try:
        async with write_transaction(services.primary(plan.system), services.profile.timeouts.lock_ms) as conn:
            await conn.execute(plan.failed_audit.query, plan.failed_audit.params)
    except psycopg.Error:
        pass  # the intent is already in the log; the failure shows on screen
