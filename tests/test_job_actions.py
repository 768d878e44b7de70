"""RCMD job actions through the one runner, against real PostgreSQL and Redis: each changes the row and Bull's
keys as it says, writes its audit row, and refuses (changing nothing, auditing nothing) when the job is no
longer as shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from rcmd_tui.config import Profile
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.actions.plan import TargetChanged
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.rcmd import bull
from rcmd_tui.data.rcmd.job_actions import Job, cancel_jobs, change_priority, release_lock, retry_job
from tests.helpers import login_as, opened_services, rcmd_sql
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


def audited(profile: Profile, action: str, n: int) -> list[dict[str, Any]]:
    with rcmd_sql(profile) as conn:
        return [r[0] for r in conn.execute("SELECT details FROM audit_logs WHERE action = %s AND resource_id = %s",
                                           [action, jid(n)]).fetchall()]


@pytest.fixture
async def services(profile: Profile) -> Any:
    fill_rcmd(profile, rows=1)
    async with opened_services(profile) as opened:
        yield opened


async def test_cancel_takes_a_queued_job_off_the_queue_and_a_running_one_loses_its_lock(
        profile: Profile, services: Services, redis_client: redis.Redis) -> None:
    queued, running = plant(profile, 1, "queued"), plant(profile, 2, "running")
    redis_client.lpush(bull.WAIT, queued.id, "other")
    redis_client.lpush(bull.ACTIVE, running.id)
    redis_client.set(bull.lock_key(running.id), "worker-1", ex=300)
    result = await actions.run(services, cancel_jobs([queued, running], services.profile))
    assert result.changed == 2
    assert row(profile, 1)[:1] == ("cancelled",) and row(profile, 1)[4] and row(profile, 2)[0] == "cancelled"
    assert redis_client.lrange(bull.WAIT, 0, -1) == [b"other"] and redis_client.llen(bull.ACTIVE) == 0
    assert not redis_client.exists(bull.lock_key(running.id))
    assert audited(profile, "console.job.cancel", 1)[0]["before"][queued.id] == {"status": "queued"}
    assert len(audited(profile, "console.job.cancel", 2)) == 1


async def test_cancel_refuses_a_job_that_finished_meanwhile(profile: Profile, services: Services,
                                                            redis_client: redis.Redis) -> None:
    job = plant(profile, 1, "running")
    redis_client.set(bull.lock_key(job.id), "worker-1")
    with rcmd_sql(profile) as conn:
        conn.execute("UPDATE jobs SET status = 'completed', completed_at = now() WHERE id = %s", [job.id])
    with pytest.raises(TargetChanged, match="now 00000000 completed"):
        await actions.run(services, cancel_jobs([job], services.profile))
    assert row(profile, 1)[0] == "completed" and redis_client.exists(bull.lock_key(job.id))
    assert audited(profile, "console.job.cancel", 1) == []


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
    assert details["after"] == {"status": "queued", "retry_count": 2}


@pytest.mark.parametrize(("status", "retries", "why"), [("failed", 3, "retried 3 of 3 times already"),
                                                        ("queued", 1, "it is queued")])
async def test_retry_is_refused_at_max_retries_or_when_no_longer_failed(
        profile: Profile, services: Services, status: str, retries: int, why: str) -> None:
    plant(profile, 1, status, retries=retries)
    shown = Job(jid(1), user_id(0), "alice", "copy", "failed", 5, min(retries, 2), 3)  # as the list showed it
    with pytest.raises(TargetChanged, match=why):
        await actions.run(services, retry_job(shown, services.profile))
    assert row(profile, 1)[:2] == (status, retries) and audited(profile, "console.job.retry", 1) == []


async def test_priority_changes_and_refuses_on_a_conflict_or_out_of_range(profile: Profile, services: Services) -> None:
    a, b = plant(profile, 1, "queued", priority=5), plant(profile, 2, "pending", priority=2)
    await actions.run(services, change_priority([a, b], 9, services.profile))
    assert row(profile, 1)[2] == 9 and row(profile, 2)[2] == 9
    assert len(audited(profile, "console.job.priority", 2)) == 1
    with pytest.raises(TargetChanged, match="priority now 00000000 9"):  # shown as 5, it is 9 now
        await actions.run(services, change_priority([a], 1, services.profile))
    assert row(profile, 1)[2] == 9
    with pytest.raises(ValueError, match="not from 1 to 10"):
        change_priority([a], 11, services.profile)


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
    redis_client.set(bull.lock_key(running.id), "worker-2")
    with pytest.raises(TargetChanged, match="the job is running"):
        await actions.run(services, release_lock(running.id, "worker-2", services.profile))
    assert redis_client.get(bull.lock_key(running.id)) == b"worker-2"


async def test_the_oncall_tier_is_offered_none_of_them(profile: Profile) -> None:
    fill_rcmd(profile, rows=1)
    job = Job(jid(1), user_id(0), "alice", "copy", "failed", 5, 0, 3, "w")
    plans = [cancel_jobs([job], profile), retry_job(job, profile), change_priority([job], 3, profile),
             release_lock(job.id, "w", profile)]
    with login_as(profile, "rcmd", "oncall_jobs", "rcmd_tui_oncall") as oncall:
        async with opened_services(oncall) as services:
            for plan in plans:
                assert not await actions.role_holds(services.primary("rcmd"), plan.privileges), plan.title
    with login_as(profile, "rcmd", "admin_jobs", "rcmd_tui_admin") as admin:
        async with opened_services(admin) as services:
            for plan in plans:
                assert await actions.role_holds(services.primary("rcmd"), plan.privileges), plan.title
