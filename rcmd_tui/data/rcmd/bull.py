"""RCMD's Bull queue in Redis, as the seed lays it out (rcmd-schema.md, "작업 큐") and the demo writes it.

- ``bull:jobs:wait`` and ``bull:jobs:active``: lists of job ids (Bull pushes left and takes from the right);
- ``bull:jobs:delayed``: a sorted set, score = when the job may run (ms); ``bull:jobs:completed`` and
  ``bull:jobs:failed``: sorted sets (the seed says SET; Bull keeps them sorted by finish time, and so does the
  demo; :func:`members` reads either);
- ``bull:jobs:{id}``: a hash per job (name, data, opts, progress, attemptsMade, failedReason …);
- ``bull:jobs:{id}:lock``: Bull's own lock while a worker holds the job; ``lock:job:{id}``: RCMD's (TTL 5 min),
  holding the worker id;
- ``pubsub:jobs``: progress messages, JSON ``{"jobId": …, "progress": 45}`` (and ``"status"`` when it changes).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

PREFIX = "bull:jobs"
WAIT, ACTIVE, DELAYED, COMPLETED, FAILED = (f"{PREFIX}:{s}" for s in ("wait", "active", "delayed", "completed", "failed"))
LISTS = (WAIT, ACTIVE)  # Redis lists
SORTED = (DELAYED, COMPLETED, FAILED)  # sorted sets
STATES = {WAIT: "wait", ACTIVE: "active", DELAYED: "delayed", COMPLETED: "completed", FAILED: "failed"}
CHANNEL = "pubsub:jobs"


def job_key(job_id: object) -> str:
    return f"{PREFIX}:{job_id}"


def bull_lock_key(job_id: object) -> str:
    return f"{PREFIX}:{job_id}:lock"


def lock_key(job_id: object) -> str:
    """RCMD's lock on a running job: ``lock:job:{id}`` = the worker id, TTL 5 min."""
    return f"lock:job:{job_id}"


LOCK_PATTERN = "lock:job:*"


# A job's row as its Bull hash is written from it (when the hash went missing): see :func:`hash_from_row`.
HASH_SQL = ("SELECT id::text, type, payload, priority, max_retries, retry_count, progress, created_at "
            "FROM jobs WHERE id = ANY(%s::uuid[])")


def _ms(moment: datetime | None) -> int:
    return int(moment.timestamp() * 1000) if moment else 0


def hash_from_row(row: Sequence[Any]) -> dict[str, str | int]:
    """Bull's hash of a job, from its row as HASH_SQL reads it (as the demo seeds it: name, data, opts, timestamp …)."""
    _id, kind, payload, priority, max_retries, retry_count, progress, created_at = row
    return {"name": kind, "data": json.dumps(payload, ensure_ascii=False),
            "opts": json.dumps({"attempts": (max_retries or 0) + 1, "priority": priority, "jobId": _id}),
            "timestamp": _ms(created_at), "progress": progress or 0, "attemptsMade": retry_count or 0}
