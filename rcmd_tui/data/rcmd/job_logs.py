"""A job's ``job_logs``, oldest first, and the lines that come after the last one read (a job's detail follows
them while it runs); and the job's state now, so the detail knows when to stop following."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg_pool

LOG_LIMIT = 500  # a detail shows the newest lines; a job that logged more says how many it left out


@dataclass(frozen=True, slots=True)
class LogLine:
    id: int
    level: str
    message: str
    details: Any
    created_at: datetime


@dataclass(frozen=True, slots=True)
class JobState:
    status: str
    progress: int | None
    error: str | None


async def first_lines(pool: psycopg_pool.AsyncConnectionPool[Any], job_id: str) -> tuple[list[LogLine], int]:
    """The newest LOG_LIMIT lines, oldest first, and how many older ones there are."""
    async with pool.connection() as conn:
        rows = await (await conn.execute(
            "SELECT id, level, message, details, created_at FROM job_logs WHERE job_id = %s::uuid ORDER BY id DESC LIMIT %s",
            [job_id, LOG_LIMIT + 1])).fetchall()
        older = 0
        if len(rows) > LOG_LIMIT:
            rows = rows[:LOG_LIMIT]
            counted = await (await conn.execute(
                "SELECT count(*) FROM job_logs WHERE job_id = %s::uuid AND id < %s", [job_id, rows[-1][0]])).fetchone()
            older = int(counted[0]) if counted else 0
    return [LogLine(*r) for r in reversed(rows)], older


async def lines_after(pool: psycopg_pool.AsyncConnectionPool[Any], job_id: str, after_id: int) -> list[LogLine]:
    async with pool.connection() as conn:
        rows = await (await conn.execute(
            "SELECT id, level, message, details, created_at FROM job_logs WHERE job_id = %s::uuid AND id > %s ORDER BY id LIMIT %s",
            [job_id, after_id, LOG_LIMIT])).fetchall()
    return [LogLine(*r) for r in rows]


async def job_state(pool: psycopg_pool.AsyncConnectionPool[Any], job_id: str) -> JobState | None:
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT status, progress, error FROM jobs WHERE id = %s::uuid", [job_id])).fetchone()
    return JobState(*row) if row else None
