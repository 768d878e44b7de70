"""Fixing where RCMD's Bull queue and its ``jobs`` rows disagree: one plan per kind (``queue.KINDS``).

Every fix re-checks the rows ``FOR UPDATE`` as the view judged them (a job that finished or was taken meanwhile
refuses the whole fix, nothing written), writes one ``console.queue.fix`` audit row per job (the kind, before and
after), then changes PostgreSQL where the kind needs it, and then Redis in MULTI/EXEC with its own re-checks
(a lock that appeared, or changed hands, aborts the Redis part). Every Redis step is idempotent (``LREM`` before
``LPUSH``, ``ZREM``, ``UNLINK``), so a fix repeated after a failure halfway finishes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from psycopg import sql

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import ActionRefused, Plan, RedisCheck, RedisCommand, RedisStep, Statement, columns_privileges, update
from rcmd_tui.data.rcmd import bull
from rcmd_tui.data.rcmd.actions import audit
from rcmd_tui.data.rcmd.job_actions import release_lock
from rcmd_tui.data.rcmd.queue import FIXES, KEYS, KINDS, LOCK_PREFIX, WAITING, job_text, job_uuid
from rcmd_tui.text import bytes_text

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

_SEEN = columns_privileges("jobs", "SELECT", ("id", "status"))


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A row of the queue view as shown: enough to fix it and to say which it was."""

    state: str
    member: bytes
    status: str | None = None
    lock_value: bytes | None = None
    hash_fields: Mapping[str, str | int] | None = None  # queued-lost: written only if its hash is still missing
    in_set: bool = False  # completed or failed kept as a SET, as the seed's document has it (bull.py)

    @property
    def job(self) -> str:
        return job_text(self.member)

    @property
    def label(self) -> str:
        return f"{self.state} {self.job[:8]}"

    @property
    def lock_key(self) -> bytes:
        return LOCK_PREFIX + self.member

    @property
    def hash_key(self) -> bytes:
        return bull.PREFIX.encode() + b":" + self.member


def _ids(entries: Sequence[QueueEntry]) -> list[str]:
    """The entries' ids that can be jobs rows (an entry that is no UUID never has one)."""
    return list(dict.fromkeys(u for e in entries if (u := job_uuid(e.member)) is not None))


def _rows_are(ids: list[str], statuses: Sequence[str]) -> Statement:
    """Every row still exists in one of ``statuses`` (locked until the transaction ends)."""
    return Statement(sql.SQL(
        "SELECT count(*) = %s AND coalesce(bool_and(status = ANY(%s)), false), "
        "'now ' || coalesce(string_agg(left(id::text, 8) || ' ' || status, ', '), 'gone') "
        "FROM (SELECT id, status FROM jobs WHERE id = ANY(%s::uuid[]) ORDER BY id FOR UPDATE) AS t"),
        (len(ids), list(statuses), ids), _SEEN)


def _not_running(ids: list[str]) -> Statement:
    return Statement(sql.SQL(
        "SELECT coalesce(bool_and(status <> 'running'), true), "
        "'running again: ' || coalesce(string_agg(left(id::text, 8), ', ') FILTER (WHERE status = 'running'), '') "
        "FROM (SELECT id, status FROM jobs WHERE id = ANY(%s::uuid[]) ORDER BY id FOR UPDATE) AS t"), (ids,), _SEEN)


def _no_rows(ids: list[str]) -> Statement:
    return Statement(sql.SQL(
        "SELECT count(*) = 0, 'a jobs row exists now for ' || coalesce(string_agg(left(id::text, 8), ', '), '') "
        "FROM jobs WHERE id = ANY(%s::uuid[])"), (ids,), _SEEN)


def _released(entry: QueueEntry, profile: Profile) -> Plan | None:
    """The jobs screen's release of one lock (only while it holds the value shown, the job not running), when the
    entry is a plain job id and its lock value text; its re-checks are the fix's, its audit row is replaced."""
    job = job_uuid(entry.member)
    if job is None or job.encode() != entry.member or entry.lock_value is None:
        return None
    try:
        token = entry.lock_value.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return release_lock(job, token, profile)


def _remove(entry: QueueEntry) -> RedisCommand:
    key = KEYS[entry.state]
    if key in bull.LISTS:
        return ("LREM", key, 0, entry.member)
    return ("SREM" if entry.in_set else "ZREM", key, entry.member)


def _requeue(entry: QueueEntry) -> tuple[RedisCommand, ...]:
    """Onto the wait list exactly once, whatever lists held it."""
    return (("LREM", bull.ACTIVE, 0, entry.member), ("LREM", bull.WAIT, 0, entry.member),
            ("LPUSH", bull.WAIT, entry.member))


def _refuse_unless(ok: bool, kind: str, why: str) -> None:
    if not ok:
        raise ActionRefused(f"{kind}: {why}", "mark only rows showing this problem")


def fix_queue(kind: str, entries: Sequence[QueueEntry], profile: Profile) -> Plan:
    """Make the two stores agree for ``entries``, rows of the queue view showing problem ``kind``."""
    if kind not in KINDS:
        raise ValueError(kind)
    if not entries:
        raise ActionRefused(f"{kind}: nothing to fix", "choose a row showing it")
    ids = _ids(entries)
    checks: tuple[RedisCheck, ...] = ()
    commands: tuple[RedisCommand, ...] = ()
    statements: tuple[Statement, ...] = ()
    if kind == "waiting-done":  # the row is the truth: the job is finished, Bull must not run it
        _refuse_unless(all(e.state in WAITING for e in entries), kind, "only a waiting entry can be removed")
        check = _rows_are(ids, ("completed", "cancelled"))
        commands = tuple(_remove(e) for e in entries)
    elif kind == "no-lock":  # stalled: nobody runs it, so it goes back to the queue for a worker to take
        check = _rows_are(ids, ("running", "queued"))
        statements = (update("jobs", {"status": sql.SQL("'queued'"), "started_at": sql.SQL("NULL")},
                             sql.SQL("id = ANY(%s::uuid[]) AND status IN ('running', 'queued')"), (ids,),
                             ("id", "status")),)
        checks = tuple(RedisCheck(e.lock_key, "none") for e in entries)
        commands = tuple(c for e in entries for c in _requeue(e))
    elif kind == "orphan-lock":  # the job is not running: the lock only blocks its remote until it expires
        _refuse_unless(all(e.lock_value is not None for e in entries), kind, "a row without a lock")
        released = [_released(e, profile) for e in entries]
        one = released[0] if len(released) == 1 else None
        check = one.check if one is not None and one.check is not None else _not_running(ids)
        for e, step in zip(entries, released, strict=True):
            if step is not None and step.redis is not None:
                checks, commands = checks + step.redis.checks, commands + step.redis.commands
            else:  # a member or lock value release_lock cannot name (not a plain id, not UTF-8): the same, by bytes
                checks += (RedisCheck(e.lock_key, "string", e.lock_value),)
                commands += (("UNLINK", e.lock_key),)
    elif kind == "queued-lost":  # the row is queued: put it where a worker looks
        check = _rows_are(ids, ("queued",))
        commands = tuple(c for e in entries for c in _requeue(e)[1:])
        lost = [e for e in entries if e.hash_fields]
        checks = tuple(RedisCheck(e.hash_key, "none") for e in lost)
        commands += tuple(("HSET", e.hash_key, *(p for k, v in (e.hash_fields or {}).items() for p in (k, v)))
                          for e in lost)
    else:  # no-row: nothing in PostgreSQL to run it for
        _refuse_unless(all(e.state in KEYS for e in entries), kind, "only a list or set entry can be removed")
        check = _no_rows(ids)
        commands = (*(_remove(e) for e in entries), ("UNLINK", *dict.fromkeys(e.hash_key for e in entries)))
    jobs = list(dict.fromkeys(e.job for e in entries))
    details = {"kind": kind, "what": KINDS[kind], "after": FIXES[kind],
               "before": {e.job: {"state": e.state, "status": e.status,
                                  "lock": bytes_text(e.lock_value) if e.lock_value is not None else None}
                          for e in entries}}
    many = len(entries) > 1
    return Plan(
        system="rcmd", title=f"Fix {len(entries)} {kind} problem{'s' if many else ''} in the queue",
        targets=tuple(e.label for e in entries), check=check,
        audit=audit("console.queue.fix", "jobs", jobs, profile, details),
        statements=statements,
        redis=RedisStep(commands=commands, checks=checks),
        failed_audit=audit("console.queue.fix", "jobs", jobs, profile, details, result="error"),
        preview=(f"{kind}: {KINDS[kind]}", f"after the fix: {FIXES[kind]}"),
        typed=f"fix {len(entries)}" if many else None,
    )


async def with_missing_hashes(services: Services, entries: Sequence[QueueEntry]) -> list[QueueEntry]:
    """``entries`` (queued-lost), each whose ``bull:jobs:{id}`` is missing given the hash to write, read from its
    row now; the plan re-checks that it is still missing."""
    client = services.redis
    if client is None:
        raise ActionRefused("the queue needs RCMD's Redis", "set redis_url under the rcmd target")
    async with client.pipeline(transaction=False) as pipe:
        for e in entries:
            pipe.exists(e.hash_key)
        exists = await pipe.execute()
    missing = [e for e, n in zip(entries, exists, strict=True) if not n]
    ids = _ids(missing)
    if not ids:
        return list(entries)
    async with services.reader("rcmd").connection() as conn:
        rows = {r[0]: r for r in await (await conn.execute(bull.HASH_SQL, (ids,))).fetchall()}
    return [replace(e, hash_fields=bull.hash_from_row(rows[u])) if e in missing and (u := job_uuid(e.member)) in rows else e
            for e in entries]
