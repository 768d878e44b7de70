"""Acting on RCMD jobs: cancel, retry, change priority, release a stale lock.

PostgreSQL holds the truth about a job and goes first (re-checked ``FOR UPDATE`` as shown, changed, audited, in
one transaction); Bull's keys follow in MULTI/EXEC. Every Redis step is idempotent (LREM before LPUSH, ZREM,
UNLINK), so repeating an action whose Redis part failed finishes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from psycopg import sql

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import Plan, Privilege, RedisCheck, RedisCommand, RedisStep, Statement, columns_privileges, update
from rcmd_tui.data.rcmd import bull
from rcmd_tui.data.rcmd.actions import audit

CANCELLABLE = ("pending", "queued", "running")
PRIORITIES = range(1, 11)  # jobs.check_priority


@dataclass(frozen=True, slots=True)
class Job:
    """A job as the list shows it: what an action needs to act on it and to say which it was."""

    id: str
    user_id: str
    username: str | None
    type: str
    status: str
    priority: int | None
    retry_count: int | None
    max_retries: int | None
    lock_token: str | None = None  # the value of lock:job:{id} as shown (the worker holding it)

    @property
    def label(self) -> str:
        return f"{self.type} {self.id[:8]} ({self.username or self.user_id[:8]}, {self.status})"


def _reads(*columns: str) -> tuple[Privilege, ...]:
    """What a re-check reads, exactly: a column it does not read would keep the action from a role that could run it."""
    return columns_privileges("jobs", "SELECT", ("id", *columns))


def _many(jobs: Sequence[Job], noun: str = "job") -> str:
    return f"{len(jobs)} {noun}{'s' if len(jobs) != 1 else ''}"


def cancel_jobs(jobs: Sequence[Job], profile: Profile) -> Plan:
    """Each job still pending, queued or running (re-checked) becomes cancelled; it leaves Bull's lists and its
    lock goes, so no worker takes it up again."""
    ids = [j.id for j in jobs]
    check = Statement(sql.SQL(
        "SELECT count(*) = %s AND coalesce(bool_and(status = ANY(%s)), false), "
        "coalesce('now ' || string_agg(left(id::text, 8) || ' ' || status, ', ') FILTER (WHERE status <> ALL(%s)), "
        "'gone: ' || (%s - count(*))::text || ' of them') "
        "FROM (SELECT id, status FROM jobs WHERE id = ANY(%s::uuid[]) FOR UPDATE) AS t"),
        (len(ids), list(CANCELLABLE), list(CANCELLABLE), len(ids), ids), _reads("status"))
    commands: list[RedisCommand] = []
    for j in jobs:
        commands += [("LREM", bull.WAIT, 0, j.id), ("LREM", bull.ACTIVE, 0, j.id), ("ZREM", bull.DELAYED, j.id),
                     ("UNLINK", bull.lock_key(j.id))]
    details = {"before": {j.id: {"status": j.status} for j in jobs}, "after": {"status": "cancelled"}}
    return Plan(
        system="rcmd", title=f"Cancel {_many(jobs)}", targets=tuple(j.label for j in jobs), check=check,
        audit=audit("console.job.cancel", "jobs", ids, profile, details),
        statements=(update("jobs", {"status": sql.SQL("'cancelled'"), "cancelled_at": sql.SQL("now()")},
                           sql.SQL("id = ANY(%s::uuid[]) AND status = ANY(%s)"), (ids, list(CANCELLABLE)), ("id", "status")),),
        redis=RedisStep(commands=tuple(commands)),
        failed_audit=audit("console.job.cancel", "jobs", ids, profile, details, result="error"),
        preview=(f"status: {', '.join(sorted({j.status for j in jobs}))} → cancelled, cancelled_at now "
                 "(refused for a job that finished meanwhile)",
                 "Redis: off the wait, active and delayed lists; its lock released"),
        typed=f"cancel {len(ids)}" if len(ids) > 1 else None,
    )


def retry_job(job: Job, profile: Profile, hash_fields: Mapping[str, str | int] | None = None) -> Plan:
    """A failed job below its max retries goes back to the queue, one more try counted; the last run's error and
    times are cleared (the log and the audit row keep them).

    Its retry count must also be the one shown: Bull's ``attemptsMade`` is written from it, and a job retried and
    failed again meanwhile would otherwise be counted from a number nobody saw."""
    shown = job.retry_count or 0
    check = Statement(sql.SQL(
        "SELECT coalesce(bool_and(status = 'failed' AND coalesce(retry_count, 0) < coalesce(max_retries, 0) "
        "AND coalesce(retry_count, 0) = %s), false), "
        "coalesce(string_agg(CASE WHEN status <> 'failed' THEN 'it is ' || status "
        "WHEN coalesce(retry_count, 0) >= coalesce(max_retries, 0) THEN "
        "'retried ' || coalesce(retry_count, 0) || ' of ' || coalesce(max_retries, 0) || ' times already' "
        "ELSE 'retried ' || coalesce(retry_count, 0) || ' times now, not ' || %s END, ''), 'it is gone') "
        "FROM (SELECT status, retry_count, max_retries FROM jobs WHERE id = %s::uuid FOR UPDATE) AS t"),
        (shown, shown, job.id), _reads("status", "retry_count", "max_retries"))
    tries = shown + 1
    # Its hash as it is, two fields changed; or, gone (Bull's removeOnFail), written whole from the row: a worker
    # cannot run a job from a hash holding only attemptsMade and progress.
    written: dict[str, str | int] = {**(hash_fields or {}), "attemptsMade": tries, "progress": 0}
    details = {"before": {"status": job.status, "retry_count": job.retry_count},
               "after": {"status": "queued", "retry_count": tries}, "max_retries": job.max_retries}
    return Plan(
        system="rcmd", title=f"Retry {job.type} job {job.id[:8]} (try {tries} of {job.max_retries})", targets=(job.label,),
        check=check,
        audit=audit("console.job.retry", "jobs", [job.id], profile, details),
        statements=(update("jobs", {"status": sql.SQL("'queued'"), "retry_count": sql.SQL("coalesce(retry_count, 0) + 1"),
                                    "error": sql.SQL("NULL"), "progress": sql.SQL("0"), "started_at": sql.SQL("NULL"),
                                    "completed_at": sql.SQL("NULL")},
                           sql.SQL("id = %s::uuid AND status = 'failed'"), (job.id,), ("id", "status", "retry_count")),),
        redis=RedisStep(commands=(("ZREM", bull.FAILED, job.id), ("LREM", bull.WAIT, 0, job.id), ("LPUSH", bull.WAIT, job.id),
                                  ("HSET", bull.job_key(job.id), *(p for kv in written.items() for p in kv))),
                        checks=() if hash_fields is None else (RedisCheck(bull.job_key(job.id).encode(), "none"),)),
        failed_audit=audit("console.job.retry", "jobs", [job.id], profile, details, result="error"),
        preview=(f"status: failed → queued; retries: {shown} → {tries} of {job.max_retries}; error, progress and times cleared",
                 "Redis: off the failed set, on the wait list (a worker takes it)"
                 + ("; its hash, gone, written from the row" if hash_fields is not None else "")),
    )


def change_priority(jobs: Sequence[Job], priority: int, profile: Profile) -> Plan:
    """Refused if any priority changed since it was shown. Redis is left alone: Bull reads a job's priority once,
    when it is added (its ``opts``), so rewriting it there would only make the hash disagree with what Bull did."""
    if priority not in PRIORITIES:
        raise ValueError(f"priority {priority} is not from 1 to 10")
    ids = [j.id for j in jobs]
    shown = [j.priority for j in jobs]
    check = Statement(sql.SQL(
        "SELECT count(*) = %s AND coalesce(bool_and(t.priority IS NOT DISTINCT FROM s.priority), false), "
        "coalesce('priority now ' || string_agg(left(t.id::text, 8) || ' ' || coalesce(t.priority::text, 'none'), ', ') "
        "FILTER (WHERE t.priority IS DISTINCT FROM s.priority), 'gone: ' || (%s - count(*))::text || ' of them') "
        "FROM (SELECT id, priority FROM jobs WHERE id = ANY(%s::uuid[]) FOR UPDATE) AS t "
        "JOIN unnest(%s::uuid[], %s::int[]) AS s(id, priority) USING (id)"), (len(ids), len(ids), ids, ids, shown),
        _reads("priority"))
    details = {"before": {j.id: {"priority": j.priority} for j in jobs}, "after": {"priority": priority}}
    return Plan(
        system="rcmd", title=f"Priority {priority} for {_many(jobs)}", targets=tuple(j.label for j in jobs), check=check,
        audit=audit("console.job.priority", "jobs", ids, profile, details),
        statements=(update("jobs", {"priority": sql.Placeholder()}, sql.SQL("id = ANY(%s::uuid[])"), (priority, ids)),),
        typed=f"priority {len(ids)}" if len(ids) > 1 else None,
        preview=(f"priority: {', '.join(sorted({str(j.priority) for j in jobs}))} → {priority} (1 lowest, 10 highest)",),
    )


def release_lock(job_id: str, token: str, profile: Profile) -> Plan:
    """Delete ``lock:job:{id}`` if it still holds ``token`` and the job is not running (a running job's lock is
    its worker's: cancel the job instead). A lock with no jobs row at all is released too (the queue's orphan).

    Bull's own ``bull:jobs:{id}:lock`` is left alone: Bull renews it while its worker lives and its stalled-job
    check reclaims it when the worker dies; deleting it under a live worker would let a second worker run the job.

    The row is read without ``FOR UPDATE``: the WATCH on the lock key is what stops a worker taking the job
    meanwhile (it writes the lock, and EXEC aborts), and a row lock would need UPDATE on jobs, an action that
    changes no row should not ask for."""
    check = Statement(sql.SQL(
        "SELECT coalesce(bool_and(status <> 'running'), true), "
        "'the job is running: its worker holds the lock (cancel the job instead)' "
        "FROM jobs WHERE id = %s::uuid"), (job_id,), _reads("status"))
    key = bull.lock_key(job_id)
    details = {"key": key, "before": {"holder": token}, "after": {"lock": "released"}}
    return Plan(
        system="rcmd", title=f"Release the lock on job {job_id[:8]}", targets=(f"{key} held by {token}",), check=check,
        audit=audit("console.job.release_lock", "jobs", [job_id], profile, details),
        redis=RedisStep(commands=(("UNLINK", key),), checks=(RedisCheck(key.encode(), "string", token.encode()),)),
        failed_audit=audit("console.job.release_lock", "jobs", [job_id], profile, details, result="error"),
        preview=(f"{key}: released (only while it still holds {token!r}; a worker that renewed it keeps it)",),
    )
