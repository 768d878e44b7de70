"""RCMD jobs, newest first (`:jobs`, and a user's detail leads here with ``J``): the ``jobs`` rows with a
progress bar and the user's name, and beside each, from one Redis pipeline per page, RCMD's lock on it
(``lock:job:{id}``: the worker holding it, and for how long yet).

The rows on screen follow ``pubsub:jobs`` (progress and status as the workers publish them), and the page is
read again every ten seconds for the rest (see :data:`JOBS_FEED`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from rcmd_tui.data.lists.enrich import Lookup, RedisPipeline, Row
from rcmd_tui.data.lists.spec import BY_CREATED, Column, Feed, FeedUpdate, FilterField, Kind, Lead, ListSpec, Shorthand, Table
from rcmd_tui.data.rcmd import bull

K = Kind
TYPES = ("copy", "move", "delete", "sync", "backup")  # jobs.check_type
STATUSES = ("pending", "queued", "running", "completed", "failed", "cancelled")  # jobs.check_status
ACTIVE = ("pending", "queued", "running")  # a job that may still change: its detail follows it
LEVELS = ("debug", "info", "warning", "error", "fatal")  # job_logs.check_level


def feed_update(message: bytes) -> FeedUpdate | None:
    """A ``pubsub:jobs`` message as the change it makes to a row; anything else is skipped (it is untrusted).

    >>> feed_update(b'{"jobId": "6f1c8f2e-0d7b-4d5e-9a51-3c2b1a0f9e8d", "progress": 45}')
    (('6f1c8f2e-0d7b-4d5e-9a51-3c2b1a0f9e8d',), {'progress': 45})
    >>> feed_update(b'{"jobId": "6F1C8F2E-0D7B-4D5E-9A51-3C2B1A0F9E8D", "progress": 100, "status": "completed"}')
    (('6f1c8f2e-0d7b-4d5e-9a51-3c2b1a0f9e8d',), {'progress': 100, 'status': 'completed'})
    >>> feed_update(b'{"jobId": "x", "progress": 5}'), feed_update(b'not json')
    (None, None)
    >>> feed_update(b'{"jobId": "6f1c8f2e-0d7b-4d5e-9a51-3c2b1a0f9e8d", "progress": "5%", "status": "hacked"}')
    """
    try:
        document = json.loads(message)
        job_id = str(uuid.UUID(str(document["jobId"])))
    except (ValueError, TypeError, KeyError):
        return None
    changes: dict[str, Any] = {}
    progress = document.get("progress")
    if isinstance(progress, int) and not isinstance(progress, bool):
        changes["progress"] = max(0, min(100, progress))
    status = document.get("status")
    if isinstance(status, str) and status in STATUSES:
        changes["status"] = status
    return ((job_id,), changes) if changes else None


JOBS_FEED = Feed(bull.CHANNEL, feed_update, fallback_s=10.0)


def _lock_commands(row: Row) -> Sequence[tuple[str, ...]]:
    key = bull.lock_key(row["id"])
    return (("GET", key), ("PTTL", key))


def _lock(row: Row, replies: Sequence[Any]) -> Row:
    holder, ttl_ms = replies
    if holder is None:
        return {"lock_holder": None, "lock_ttl": None}
    text = holder.decode(errors="replace") if isinstance(holder, bytes) else str(holder)
    ttl = int(ttl_ms) if ttl_ms is not None else -2
    return {"lock_holder": text, "lock_ttl": timedelta(milliseconds=ttl) if ttl >= 0 else None}


JOB_LOCK = RedisPipeline(("id",), ("lock_holder", "lock_ttl"), _lock_commands, _lock)

# Still running: how long so far (the page's read time; the ten-second re-read moves it on).
DURATION = ("coalesce(completed_at, cancelled_at, CASE WHEN status = 'running' THEN now() END) - started_at")

RCMD_JOBS = ListSpec(
    key="jobs", system="rcmd", source=Table("jobs"), title="RCMD jobs",
    columns=(
        Column("created_at", "Created (UTC)", K.TIME, width=19),
        Column("type", "Type", K.ENUM, width=6),
        Column("status", "Status", K.ENUM, width=9),
        Column("priority", "Pri", K.INT, width=3),
        Column("progress", "Progress", K.PROGRESS, width=10),
        Column("error", "Error", width=24, shown=False),  # early in a detail: why it failed comes first
        Column("username", "User", width=9, enriched=True),
        Column("tries", "Tries", width=5, expr="coalesce(retry_count, 0)::text || '/' || coalesce(max_retries, 0)::text"),
        Column("duration", "Took", K.DURATION, width=8, expr=DURATION),
        Column("started_at", "Started (UTC)", K.TIME, width=19, shown=False),
        Column("completed_at", "Completed (UTC)", K.TIME, width=19, shown=False),
        Column("cancelled_at", "Cancelled (UTC)", K.TIME, width=19, shown=False),
        Column("scheduled_for", "Scheduled for (UTC)", K.TIME, width=19, shown=False),
        Column("lock_holder", "Lock held by", width=14, enriched=True, shown=False),
        Column("lock_ttl", "Lock TTL", K.DURATION, width=8, enriched=True, shown=False),
        Column("payload", "Payload", K.JSON, shown=False),
        Column("result", "Result", K.JSON, shown=False),
        Column("retry_count", "Retries", K.INT, width=5, shown=False, internal=True),
        Column("max_retries", "Max retries", K.INT, width=5, shown=False, internal=True),
        Column("user_id", "User id", K.UUID, shown=False),
        Column("id", "Id", K.UUID, shown=False),
    ),
    orderings=BY_CREATED,
    filters=(
        FilterField("user", "user_id", K.UUID, resolve="SELECT id FROM users WHERE username = %s",
                    help="a user id or a username"),
        FilterField("status", "status", K.ENUM, values=STATUSES),
        FilterField("type", "type", K.ENUM, values=TYPES),
        FilterField("priority", "priority", K.INT),
        FilterField("error", "error", help="~text finds it in the error (add status=failed: it reads every row)"),
        FilterField("id", "id", K.UUID),
    ),
    shorthands=(Shorthand("status", "status", {"active": ACTIVE, "finished": ("completed", "failed", "cancelled"),
                                               **{s: (s,) for s in STATUSES}}),),
    time_column="created_at",
    enrichers=(Lookup("user_id", "username", "users", "username"), JOB_LOCK),
    leads=(Lead("user", "users", "id={user_id}"), Lead("changes", "audit", "resource_id={id}")),
    feed=JOBS_FEED,
)
