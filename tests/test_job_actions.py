"""RCMD job actions through the one runner, against real PostgreSQL and Redis: each changes the row and Bull's
keys as it says, writes its audit row, and refuses (changing nothing, auditing nothing) when the job is no
longer as shown."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from rcmd_tui.config import Profile
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.actions.plan import Plan, TargetChanged
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.rcmd import bull
from rcmd_tui.data.rcmd.job_actions import Job, cancel_jobs, change_priority, release_lock, retry_job
from tests.helpers import login_as, open_console, opened_services, rcmd_sql, until_confirm
from tests.listdata import fill_rcmd, user_id


def jid(n: int) -> str:
    return f"00000000-0000-4000-b000-{n:012d}"


def plant(profile: Profile, n: int, status: str, *, retries: int = 0, priority: int = 5) -> Job:
    now = datetime.now(UTC)
    started = now - timedelta(hours=1) if status in ("running", "failed", "completed") else None
    done = now if status in ("failed", "completed") else None
    with rcmd_sql(profile) as conn:
        conn.execute("INSERT INTO jobs (id, user_id, type, status, priority, payload, error, retry_count, max_retries, "
                     "created_at, started_at, completed_at) VALUES (%s, %s, 'copy', %s, %s, '{}', %s, %s, 3, %s, %s, %s)",
                     [jid(n), user_id(0), status, priority, "boom" if status == "failed" else None, retries,
                      now - timedelta(hours=2), started, done])
    return Job(jid(n), user_id(0), "alice", "copy", status, priority, retries, 3)


def row(profile: Profile, n: int) -> tuple[Any, ...]:
    with rcmd_sql(profile) as conn:
        found = conn.execute("SELECT status, retry_count, priority, error, cancelled_at IS NOT NULL, started_at IS NULL "
                             "FROM jobs WHERE id = %s", [jid(n)]).fetchone()
    assert found is not None
    return tuple(found)


def audited(profile: Profile, action: str, n: int, result: str = "success") -> list[dict[str, Any]]:
    with rcmd_sql(profile) as conn:
        return [r[0] for r in conn.execute("SELECT details FROM audit_logs WHERE action = %s AND resource_id = %s "
                                           "AND result = %s ORDER BY id", [action, jid(n), result]).fetchall()]


@pytest.fixture
async def services(profile: Profile) -> Any:
    fill_rcmd(profile, rows=1)
    async with opened_services(profile) as opened:
        yield opened


async def test_cancel_takes_a_queued_job_off_the_queue_and_a_running_one_loses_its_lock(
        profile: Profile, services: Services, redis_client: redis.Redis) -> None:
    queued, running, delayed = plant(profile, 1, "queued"), plant(profile, 2, "running"), plant(profile, 3, "pending")
    redis_client.lpush(bull.WAIT, queued.id, "other")
    redis_client.lpush(bull.ACTIVE, running.id)
    redis_client.zadd(bull.DELAYED, {delayed.id: 1, "later": 2})
    redis_client.set(bull.lock_key(running.id), "worker-1", ex=300)
    plan = cancel_jobs([queued, running, delayed], services.profile)
    assert plan.typed == "cancel 3"
    result = await actions.run(services, plan)
    assert result.changed == 3
    assert [row(profile, n)[0] for n in (1, 2, 3)] == ["cancelled"] * 3 and all(row(profile, n)[4] for n in (1, 2, 3))
    assert redis_client.lrange(bull.WAIT, 0, -1) == [b"other"] and redis_client.llen(bull.ACTIVE) == 0
    assert redis_client.zrange(bull.DELAYED, 0, -1) == [b"later"]
    assert not redis_client.exists(bull.lock_key(running.id))
    [details] = audited(profile, "console.job.cancel", 1)
    assert details["before"][queued.id] == {"status": "queued"} and details["after"] == {"status": "cancelled"}
    assert len(audited(profile, "console.job.cancel", 2)) == 1 and len(audited(profile, "console.job.cancel", 3)) == 1
    assert cancel_jobs([queued], services.profile).typed is None  # one job: a plain yes


async def test_cancel_refuses_a_job_that_finished_meanwhile(profile: Profile, services: Services,
                                                            redis_client: redis.Redis) -> None:
    job = plant(profile, 1, "running")
    redis_client.set(bull.lock_key(job.id), "worker-1")
    with rcmd_sql(profile) as conn:
        conn.execute("UPDATE jobs SET status = 'completed', completed_at = now() WHERE id = %s", [job.id])
    redis_client.lpush(bull.ACTIVE, job.id)
    with pytest.raises(TargetChanged, match="now 00000000 completed"):
        await actions.run(services, cancel_jobs([job], services.profile))
    assert row(profile, 1)[0] == "completed" and row(profile, 1)[4] is False
    assert redis_client.exists(bull.lock_key(job.id)) and redis_client.lrange(bull.ACTIVE, 0, -1) == [job.id.encode()]
    assert audited(profile, "console.job.cancel", 1) == [] and audited(profile, "console.job.cancel", 1, "error") == []


async def test_retry_puts_a_failed_job_back_on_the_wait_list_with_one_more_try(
        profile: Profile, services: Services, redis_client: redis.Redis) -> None:
    job = plant(profile, 1, "failed", retries=1)
    redis_client.zadd(bull.FAILED, {job.id: 1})
    redis_client.hset(bull.job_key(job.id), mapping={"attemptsMade": 1})
    await actions.run(services, retry_job(job, services.profile))
    assert row(profile, 1) == ("queued", 2, 5, None, False, True)
    assert redis_client.lrange(bull.WAIT, 0, -1) == [job.id.encode()] and redis_client.zcard(bull.FAILED) == 0
    assert redis_client.hget(bull.job_key(job.id), "attemptsMade") == b"2"
    [details] = audited(profile, "console.job.retry", 1)
    assert details["before"] == {"status": "failed", "retry_count": 1}
    assert details["after"] == {"status": "queued", "retry_count": 2}
    step = retry_job(job, services.profile).redis
    assert step is not None
    for command in step.commands:  # repeated, as after a failure halfway: still once on the wait list
        redis_client.execute_command(*command)  # type: ignore[no-untyped-call]
    assert redis_client.lrange(bull.WAIT, 0, -1) == [job.id.encode()]


async def test_retry_of_a_job_whose_hash_is_gone_writes_it_whole_from_the_row(profile: Profile, redis_client: redis.Redis) -> None:
    fill_rcmd(profile, rows=5)
    job = plant(profile, 1, "failed", retries=1)
    redis_client.zadd(bull.FAILED, {job.id: 1})  # Bull's removeOnFail dropped the hash, not the set member
    async with open_console(profile, "jobs") as c:
        c.table.move_cursor(row=next(i for i, r in enumerate(c.table.window) if str(r.get("id")) == job.id))
        await c.pilot.pause()
        await c.press("R")
        confirm = await until_confirm(c.pilot, c.app)
        assert "its hash, gone, written from the row" in "\n".join(confirm.statements)
        await c.press("enter")
        await c.settle()
    written = {k.decode(): v.decode() for k, v in redis_client.hgetall(bull.job_key(job.id)).items()}
    assert written["attemptsMade"] == "2" and written["progress"] == "0" and written["name"] == job.type
    assert json.loads(written["opts"])["jobId"] == job.id and "timestamp" in written and "data" in written
    assert redis_client.lrange(bull.WAIT, 0, -1) == [job.id.encode()]


@pytest.mark.parametrize(("status", "retries", "shown", "why"), [
    ("failed", 3, 2, "retried 3 of 3 times already"),  # at max_retries (shown one below it)
    ("failed", 3, 3, "retried 3 of 3 times already"),  # at max_retries as shown: the screen may still ask
    ("queued", 1, 1, "it is queued"),  # someone retried it meanwhile
    ("failed", 2, 1, "retried 2 times now, not 1"),  # retried and failed again meanwhile
])
async def test_retry_is_refused_at_max_retries_or_when_no_longer_as_shown(
        profile: Profile, services: Services, redis_client: redis.Redis, status: str, retries: int, shown: int,
        why: str) -> None:
    plant(profile, 1, status, retries=retries)
    redis_client.zadd(bull.FAILED, {jid(1): 1})
    as_shown = Job(jid(1), user_id(0), "alice", "copy", "failed", 5, shown, 3)
    with pytest.raises(TargetChanged, match=why):
        await actions.run(services, retry_job(as_shown, services.profile))
    assert row(profile, 1)[:2] == (status, retries) and audited(profile, "console.job.retry", 1) == []
    assert redis_client.zcard(bull.FAILED) == 1 and redis_client.llen(bull.WAIT) == 0


async def test_priority_changes_and_refuses_on_a_conflict_or_out_of_range(profile: Profile, services: Services) -> None:
    a, b = plant(profile, 1, "queued", priority=5), plant(profile, 2, "pending", priority=2)
    plan = change_priority([a, b], 9, services.profile)
    assert plan.redis is None and plan.typed == "priority 2"
    assert (await actions.run(services, plan)).changed == 2
    assert row(profile, 1)[2] == 9 and row(profile, 2)[2] == 9
    [details] = audited(profile, "console.job.priority", 2)
    assert details["before"] == {a.id: {"priority": 5}, b.id: {"priority": 2}}
    assert details["after"] == {"priority": 9}
    with pytest.raises(TargetChanged, match="priority now 00000000 9"):  # shown as 5, it is 9 now
        await actions.run(services, change_priority([a], 1, services.profile))
    assert row(profile, 1)[2] == 9 and len(audited(profile, "console.job.priority", 1)) == 1
    with rcmd_sql(profile) as conn:
        conn.execute("DELETE FROM jobs WHERE id = %s", [b.id])
    with pytest.raises(TargetChanged, match="gone: 1 of them"):
        await actions.run(services, change_priority([b], 1, services.profile))
    for wrong in (11, 0):
        with pytest.raises(ValueError, match=f"priority {wrong} is not from 1 to 10"):
            change_priority([a], wrong, services.profile)


async def test_release_lock_only_while_it_holds_the_worker_shown_and_the_job_is_not_running(
        profile: Profile, services: Services, redis_client: redis.Redis) -> None:
    done, running = plant(profile, 1, "completed"), plant(profile, 2, "running")
    key = bull.lock_key(done.id)
    redis_client.set(key, "worker-old")
    redis_client.set(key, "worker-new")  # another worker took it since the list was read
    with pytest.raises(TargetChanged, match="value changed"):
        await actions.run(services, release_lock(done.id, "worker-old", services.profile))
    assert redis_client.get(key) == b"worker-new" and audited(profile, "console.job.release_lock", 1) == []
    await actions.run(services, release_lock(done.id, "worker-new", services.profile))
    assert not redis_client.exists(key)
    assert audited(profile, "console.job.release_lock", 1)[0]["before"] == {"holder": "worker-new"}
    assert audited(profile, "console.job.release_lock", 1, "error") == []
    redis_client.set(bull.lock_key(running.id), "worker-2")
    redis_client.set(bull.bull_lock_key(running.id), "bull-token")
    with pytest.raises(TargetChanged, match="the job is running"):
        await actions.run(services, release_lock(running.id, "worker-2", services.profile))
    assert redis_client.get(bull.lock_key(running.id)) == b"worker-2" and redis_client.exists(bull.bull_lock_key(running.id))
    assert audited(profile, "console.job.release_lock", 2) == []
    orphan = jid(9)  # a lock whose job has no row at all: the queue screen releases these too
    redis_client.set(bull.lock_key(orphan), "worker-9")
    await actions.run(services, release_lock(orphan, "worker-9", services.profile))
    assert not redis_client.exists(bull.lock_key(orphan)) and len(audited(profile, "console.job.release_lock", 9)) == 1


async def test_a_lock_taken_while_the_release_runs_is_kept_and_the_failure_audited(
        profile: Profile, services: Services, redis_client: redis.Redis) -> None:
    # The audit table held in SHARE mode stalls the PostgreSQL part after the Redis check passed; "another worker"
    # takes the lock then, so EXEC must abort on the WATCH.
    done = plant(profile, 1, "completed")
    key = bull.lock_key(done.id)
    redis_client.set(key, "worker-old")
    with rcmd_sql(profile) as holder, rcmd_sql(profile) as watcher:
        with holder.transaction():
            holder.execute("LOCK TABLE audit_logs IN SHARE MODE")
            task = asyncio.create_task(actions.run(services, release_lock(done.id, "worker-old", services.profile)))
            await _until(lambda: watcher.execute("SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'audit_logs'::regclass")
                         .fetchone() is not None)
            redis_client.set(key, "worker-new")
        with pytest.raises(TargetChanged, match="a Redis key changed while the action ran"):
            await task
    assert redis_client.get(key) == b"worker-new"
    assert len(audited(profile, "console.job.release_lock", 1)) == 1  # the intent, committed before EXEC
    [failed] = audited(profile, "console.job.release_lock", 1, "error")
    assert failed["before"] == {"holder": "worker-old"}


async def _until(ready: Callable[[], bool], seconds: float = 1.5) -> None:
    """Within the runner's lock_timeout (2 s), so the stalled transaction is still waiting when it is let go."""
    for _ in range(int(seconds / 0.02)):
        if ready():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the action never waited on the audit table")


def every_plan(profile: Profile) -> list[Plan]:
    job = Job(jid(1), user_id(0), "alice", "copy", "failed", 5, 0, 3, "w")
    return [cancel_jobs([job], profile), retry_job(job, profile), change_priority([job], 3, profile),
            release_lock(job.id, "w", profile)]


async def test_the_oncall_tier_is_offered_none_of_them_and_admin_all(profile: Profile) -> None:
    fill_rcmd(profile, rows=1)
    for name, tier, offered in (("oncall_jobs", "rcmd_tui_oncall", False), ("admin_jobs", "rcmd_tui_admin", True)):
        with login_as(profile, "rcmd", name, tier) as logged_in:
            async with opened_services(logged_in) as services:
                for plan in every_plan(profile):
                    assert await actions.action_is_offered(services, "rcmd", plan.roles, plan.privileges) is offered, \
                        (tier, plan.title)


def grant(privilege: Any) -> str:
    if privilege.privilege == "USAGE":  # the serial default's sequence
        return f"GRANT USAGE ON SEQUENCE {{schema}}.{privilege.table}_{privilege.column}_seq TO {{role}}"
    return f"GRANT {privilege.privilege} ({privilege.column}) ON {{schema}}.{privilege.table} TO {{role}}"


async def test_each_plan_runs_for_a_role_holding_only_the_privileges_it_names(
        profile: Profile, redis_client: redis.Redis) -> None:
    # The read-only tier (SELECT on every table) plus exactly what the plan lists: if a statement needed more,
    # the database would refuse it here, and the screen would offer an action that fails.
    fill_rcmd(profile, rows=1)
    plant(profile, 1, "queued")
    plant(profile, 2, "failed", retries=1)
    plant(profile, 3, "pending", priority=4)
    plant(profile, 4, "completed")
    redis_client.set(bull.lock_key(jid(4)), "w")
    shown = {n: Job(jid(n), user_id(0), "alice", "copy", s, p, r, 3) for n, s, p, r in
             ((1, "queued", 5, 0), (2, "failed", 5, 1), (3, "pending", 4, 0))}
    plans = [cancel_jobs([shown[1]], profile), retry_job(shown[2], profile), change_priority([shown[3]], 7, profile),
             release_lock(jid(4), "w", profile)]
    for plan in plans:
        writes = [grant(p) for p in plan.privileges if p.privilege != "SELECT"]
        with login_as(profile, "rcmd", "exact_jobs", "rcmd_tui_support", writes) as exact:
            async with opened_services(exact) as services:
                assert await actions.action_is_offered(services, "rcmd", plan.roles, plan.privileges), plan.title
                await actions.run(services, plan)
    assert [row(profile, n)[:3] for n in (1, 2, 3)] == [("cancelled", 0, 5), ("queued", 2, 5), ("pending", 0, 7)]
    assert not redis_client.exists(bull.lock_key(jid(4)))
