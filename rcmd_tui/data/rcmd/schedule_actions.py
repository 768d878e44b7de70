"""Acting on RCMD schedule rules: switch them on or off, and run one now (a job from its template, queued in
PostgreSQL and on Bull's wait list, the run recorded on the rule)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import Plan, RedisStep, Statement, columns_privileges, update
from rcmd_tui.data.rcmd import bull
from rcmd_tui.data.rcmd.actions import audit

DEFAULT_PRIORITY, DEFAULT_MAX_RETRIES = 5, 3  # jobs' column defaults
JOB_TYPES = ("copy", "move", "delete", "sync", "backup")  # jobs.check_type
PRIORITIES = range(1, 11)  # jobs.check_priority
JOB_COLUMNS = ("id", "user_id", "type", "status", "priority", "payload", "max_retries")


@dataclass(frozen=True, slots=True)
class Rule:
    """A schedule rule as shown."""

    id: str
    name: str
    user_id: str
    is_active: bool | None
    job_template: Any  # the JSON as read

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id[:8]})"


def set_rules_active(rules: Sequence[Rule], active: bool, profile: Profile) -> Plan:
    ids = [r.id for r in rules]
    verb = "Activate" if active else "Deactivate"
    check = Statement(sql.SQL(
        "SELECT count(*) = %s AND coalesce(bool_and(is_active IS DISTINCT FROM %s), false), "
        "coalesce('already ' || CASE WHEN %s THEN 'active' ELSE 'inactive' END || ': ' "
        "|| string_agg(name, ', ') FILTER (WHERE is_active IS NOT DISTINCT FROM %s), 'gone: ' || (%s - count(*))::text || ' of them') "
        "FROM (SELECT name, is_active FROM schedule_rules WHERE id = ANY(%s::uuid[]) FOR UPDATE) AS t"),
        (len(ids), active, active, active, len(ids), ids), columns_privileges("schedule_rules", "SELECT", ("id", "name", "is_active")))
    many = len(ids) > 1
    return Plan(
        system="rcmd", title=f"{verb} {len(ids)} schedule{'s' if many else ''}", targets=tuple(r.label for r in rules),
        check=check,
        audit=audit(f"console.schedule.{verb.lower()}", "schedule_rules", ids, profile,
                    {"before": {r.id: {"is_active": r.is_active} for r in rules}, "after": {"is_active": active}}),
        statements=(update("schedule_rules", {"is_active": sql.Placeholder(), "updated_at": sql.SQL("now()")},
                           sql.SQL("id = ANY(%s::uuid[])"), (active, ids)),),
        preview=tuple(f"{r.label}: {'on' if r.is_active else 'off'} → {'on' if active else 'off'}" for r in rules),
        typed=f"{verb.lower()} {len(ids)}" if many else None,
    )


def template_job(template: Any) -> tuple[str, int, dict[str, Any]]:
    """(type, priority, payload) of the job a template makes: its ``type`` and ``priority``, the rest the payload.

    >>> template_job({"type": "sync", "src": "gdrive:/a", "dst": "s3:/a"})
    ('sync', 5, {'src': 'gdrive:/a', 'dst': 's3:/a'})
    """
    document = template if isinstance(template, dict) else {}
    payload = {k: v for k, v in document.items() if k not in ("type", "priority")}
    priority = document.get("priority")
    return (str(document.get("type", "")), priority if isinstance(priority, int) and not isinstance(priority, bool)
            else DEFAULT_PRIORITY, payload)


def template_problem(template: Any) -> str | None:
    """Why the template cannot make a job (said before asking, rather than as the jobs table's check violation).

    >>> template_problem({"type": "sync", "priority": 3}) is None
    True
    >>> template_problem({"type": "rsync"})
    "its job template's type 'rsync' is not a job type (copy, move, delete, sync, backup)"
    >>> template_problem({"type": "copy", "priority": 42})
    "its job template's priority 42 is outside 1-10"
    >>> template_problem(["copy"])
    'its job template is not a JSON object'
    """
    if not isinstance(template, dict):
        return "its job template is not a JSON object"
    job_type, priority, _ = template_job(template)
    if job_type not in JOB_TYPES:
        return f"its job template's type {job_type!r} is not a job type ({', '.join(JOB_TYPES)})"
    if priority not in PRIORITIES:
        return f"its job template's priority {priority} is outside 1-10"
    return None


def run_now(rule: Rule, job_id: str, profile: Profile) -> Plan:
    """A job from the rule's template (re-checked unchanged since shown), queued; ``job_id`` is made by the caller
    so that the Redis step can name it."""
    job_type, priority, payload = template_job(rule.job_template)
    check = Statement(sql.SQL(
        "SELECT coalesce(bool_and(job_template = %s::jsonb), false), "
        "coalesce(string_agg('its job template changed since it was shown', ''), 'the rule is gone') "
        "FROM (SELECT job_template FROM schedule_rules WHERE id = %s::uuid FOR UPDATE) AS t"),
        (Jsonb(rule.job_template), rule.id), columns_privileges("schedule_rules", "SELECT", ("id", "job_template")))
    insert = Statement(sql.SQL(
        "INSERT INTO jobs ({}) SELECT %s::uuid, user_id, %s, 'queued', %s, %s, %s FROM schedule_rules WHERE id = %s::uuid"
    ).format(sql.SQL(", ").join(map(sql.Identifier, JOB_COLUMNS))),
        (job_id, job_type, priority, Jsonb(payload), DEFAULT_MAX_RETRIES, rule.id),
        columns_privileges("jobs", "INSERT", JOB_COLUMNS) + columns_privileges("schedule_rules", "SELECT", ("id", "user_id")))
    now_ms = int(time.time() * 1000)
    bull_fields: dict[str, str | int] = {"name": job_type, "data": json.dumps(payload, ensure_ascii=False),
                   "opts": json.dumps({"attempts": DEFAULT_MAX_RETRIES + 1, "priority": priority, "jobId": job_id}),
                   "timestamp": now_ms, "progress": 0, "attemptsMade": 0}
    details = {"rule": rule.id, "job_id": job_id, "template": rule.job_template, "rule_active": rule.is_active}
    return Plan(
        system="rcmd", title=f"Run {rule.name} now", targets=(rule.label,), check=check,
        audit=audit("console.schedule.run_now", "schedule_rules", [rule.id], profile, details),
        statements=(insert, update("schedule_rules", {"last_run_at": sql.SQL("now()")}, sql.SQL("id = %s::uuid"), (rule.id,))),
        redis=RedisStep(commands=(("HSET", bull.job_key(job_id), *(p for kv in bull_fields.items() for p in kv)),
                                  ("LPUSH", bull.WAIT, job_id))),
        failed_audit=audit("console.schedule.run_now", "schedule_rules", [rule.id], profile, details, result="error"),
        preview=(f"a {job_type or '?'} job, priority {priority}, for the rule's user, queued: {json.dumps(payload, ensure_ascii=False)}",
                 "the rule's last run: now" + ("" if rule.is_active else " (the rule is inactive: it runs this once)")),
    )
