"""RCMD demo data: PostgreSQL rows and the Redis keys that go with them, consistent with each other.

Redis mirrors PostgreSQL the way RCMD itself keeps it: one ``session:{id}`` per active session with
the session's remaining lifetime as TTL, ``user:sessions:{user}`` sets, and a Bull queue named
``jobs`` whose lists and sets match job statuses (see docs/demo-data.md for the mapping).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
import redis
from croniter import croniter
from redis.typing import EncodableT, FieldT

from rcmd_tui.data.demo import vocab
from rcmd_tui.data.demo.copy import copy_rows
from rcmd_tui.data.demo.scale import Scale
from rcmd_tui.data.rcmd import bull

BULL = bull.PREFIX
JOB_STATUSES = (("completed", 55), ("failed", 12), ("cancelled", 8), ("running", 5), ("queued", 10), ("pending", 10))
JOB_TYPES = ("copy", "move", "delete", "sync", "backup")
AUDIT_ACTIONS = (
    ("auth.login", "session", 18), ("auth.logout", "session", 8), ("auth.login_failed", "session", 4),
    ("remote.list", "remote", 14), ("file.list", "file", 20), ("file.download", "file", 10),
    ("file.upload", "file", 8), ("file.delete", "file", 3), ("job.create", "job", 6), ("job.cancel", "job", 1),
    ("permission.update", "permission", 1), ("user.update", "user", 1), ("settings.update", "user", 2),
)
CRONS = ("0 2 * * *", "*/15 * * * *", "0 */6 * * 1-5", "30 3 1 * *", "0 9 * * MON")


def new_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def month_start(moment: datetime, months_back: int) -> datetime:
    year, month = moment.year, moment.month - months_back
    while month <= 0:
        month += 12
        year -= 1
    return datetime(year, month, 1, tzinfo=UTC)


@dataclass
class Job:
    id: uuid.UUID
    user_id: uuid.UUID
    type: str
    status: str
    priority: int
    progress: int
    payload: dict[str, object]
    result: dict[str, object] | None
    error: str | None
    retry_count: int
    max_retries: int
    scheduled_for: datetime | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None


@dataclass
class RcmdData:
    users: list[tuple[object, ...]] = field(default_factory=list)
    user_ids: list[uuid.UUID] = field(default_factory=list)
    admins: list[uuid.UUID] = field(default_factory=list)
    usernames: dict[uuid.UUID, str] = field(default_factory=dict)
    roles: dict[uuid.UUID, str] = field(default_factory=dict)
    sessions: list[tuple[object, ...]] = field(default_factory=list)
    permissions: list[tuple[object, ...]] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)


def _users(rng: random.Random, scale: Scale, now: datetime, data: RcmdData) -> None:
    seen: set[str] = set()
    for i in range(scale.rcmd_users):
        display, handle = vocab.person(rng)
        username = handle if handle not in seen else f"{handle}{i}"
        seen.add(username)
        uid = new_uuid(rng)
        role = "admin" if i < max(2, scale.rcmd_users // 50) else ("power_user" if rng.random() < 0.2 else "user")
        created = now - timedelta(days=rng.uniform(30, 700))
        active = rng.random() > 0.06
        last_login = now - timedelta(hours=rng.uniform(0.1, 24 * 60)) if rng.random() < 0.9 else None
        metadata = {"display_name": display, "locale": "ko-KR" if "." in handle and display[0] > "~" else "en-US",
                    "department": rng.choice(("infra", "design", "finance", "sales", "hr", "data"))}
        data.users.append((uid, username, f"{username}@{rng.choice(vocab.EMAIL_DOMAINS)}",
                           "$2b$12$" + "".join(rng.choices("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", k=53)),
                           role, active, rng.random() < 0.85, json.dumps(metadata, ensure_ascii=False),
                           created, created + timedelta(days=rng.uniform(0, 20)), last_login))
        data.user_ids.append(uid)
        data.usernames[uid] = username
        data.roles[uid] = role
        if role == "admin":
            data.admins.append(uid)


def _sessions(rng: random.Random, now: datetime, data: RcmdData) -> None:
    for row in data.users:
        uid, active_user = row[0], row[5]
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            created = now - timedelta(hours=rng.uniform(0.05, 24 * 20))
            expires = created + timedelta(hours=24)
            is_active = bool(active_user) and expires > now and rng.random() > 0.1
            data.sessions.append((
                new_uuid(rng), uid, f"{rng.getrandbits(256):064x}", f"{rng.getrandbits(256):064x}",
                vocab.ipv4(rng), rng.choice(vocab.USER_AGENTS),
                json.dumps({"os": rng.choice(("Windows", "macOS", "iOS", "Android", "Linux")),
                            "app": rng.choice(("web", "cli", "mobile"))}),
                expires, created + timedelta(days=30), is_active, created,
                min(now, created + timedelta(minutes=rng.uniform(1, 600))),
            ))


def _permissions(rng: random.Random, now: datetime, data: RcmdData) -> None:
    for uid in data.user_ids:
        for remote in rng.sample(vocab.REMOTES, rng.randrange(1, 5)):
            perms = sorted(rng.sample(("read", "write", "delete", "admin"), rng.randrange(1, 4)))
            if "read" not in perms:
                perms.insert(0, "read")
            rules = [{"path": f"{rng.choice(vocab.FOLDERS)}/*", "allow": perms[: rng.randrange(1, len(perms) + 1)],
                      "deny": [] if rng.random() < 0.6 else ["delete"]} for _ in range(rng.randrange(0, 4))]
            created = now - timedelta(days=rng.uniform(1, 400))
            data.permissions.append((new_uuid(rng), uid, remote, perms, json.dumps(rules, ensure_ascii=False),
                                     rng.random() > 0.05, created, created + timedelta(days=rng.uniform(0, 30)),
                                     rng.choice(data.admins)))


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _jobs(rng: random.Random, scale: Scale, now: datetime, data: RcmdData) -> None:
    for _ in range(scale.rcmd_jobs):
        status = _pick(rng, JOB_STATUSES)
        jtype = rng.choice(JOB_TYPES)
        src_remote, dst_remote = rng.sample(vocab.REMOTES, 2)
        folder = rng.choice(vocab.FOLDERS)
        payload: dict[str, object] = {"src": f"{src_remote}:{folder}", "flags": rng.sample(
            ("--checksum", "--fast-list", "--transfers=8", "--dry-run", "--track-renames"), rng.randrange(0, 3))}
        if jtype != "delete":
            payload["dst"] = f"{dst_remote}:{folder}"
        max_retries = 3
        started = completed = cancelled = scheduled = None
        result: dict[str, object] | None = None
        error: str | None = None
        progress, retries = 0, 0
        if status in ("pending", "queued", "running"):
            created = now - timedelta(minutes=rng.uniform(0.5, 240))
        else:
            created = now - timedelta(days=rng.uniform(0.01, 90))
        if status == "pending":
            scheduled = now + timedelta(minutes=rng.uniform(1, 24 * 60))
        elif status == "running":
            started = created + timedelta(seconds=rng.uniform(0.5, 60))
            started = min(started, now)
            progress = rng.randrange(1, 100)
        elif status in ("completed", "failed"):
            started = created + timedelta(seconds=rng.uniform(0.5, 300))
            completed = started + timedelta(seconds=rng.uniform(2, 7200))
            if completed > now:
                completed = now
                started = min(started, completed)
            if status == "completed":
                progress = 100
                files = rng.randrange(1, 5000)
                result = {"files": files, "bytes": files * rng.randrange(10_000, 5_000_000),
                          "elapsedMs": int((completed - started).total_seconds() * 1000), "errors": 0}
            else:
                progress = rng.randrange(0, 100)
                retries = max_retries if progress % 2 else 1  # half may still be retried (no extra draw: see below)
                error = rng.choice(vocab.JOB_ERRORS)
        else:  # cancelled, before or during its run (and queued: see below)
            if rng.random() < 0.5:
                started = created + timedelta(seconds=rng.uniform(0.5, 120))
                progress = rng.randrange(0, 100)
            cancelled = (started or created) + timedelta(seconds=rng.uniform(1, 600))
            cancelled = min(cancelled, now)
            if started and started > cancelled:
                started = cancelled
            if status == "queued":  # waits, never started: the draws above are made all the same, so the rest
                started = cancelled = None  # of the seeded data (and every test reading it) stays as it was
                progress = 0
        data.jobs.append(Job(new_uuid(rng), rng.choice(data.user_ids), jtype, status, rng.randrange(1, 11),
                             progress, payload, result, error, retries, max_retries, scheduled, created,
                             started, completed, cancelled))


def _job_logs(rng: random.Random, jobs: list[Job]) -> Iterator[tuple[object, ...]]:
    for job in jobs:
        if job.started_at is None:
            continue
        yield (job.id, "info", f"{job.type} started: {job.payload['src']}", None, job.started_at)
        end = job.completed_at or job.cancelled_at or job.started_at + timedelta(seconds=30)
        span = max((end - job.started_at).total_seconds(), 1)
        for step in range(rng.randrange(0, 4)):
            at = job.started_at + timedelta(seconds=span * (step + 1) / 5)
            level = "warning" if rng.random() < 0.15 else ("debug" if rng.random() < 0.3 else "info")
            yield (job.id, level, f"transferred {rng.randrange(1, 900)} files", json.dumps({"step": step}), at)
        if job.status == "completed":
            yield (job.id, "info", "job completed", json.dumps(job.result), end)
        elif job.status == "failed":
            yield (job.id, "error" if rng.random() < 0.8 else "fatal", job.error, json.dumps({"retries": job.retry_count}), end)
        elif job.status == "cancelled":
            yield (job.id, "warning", "job cancelled by user", None, end)


def _schedule_rules(rng: random.Random, now: datetime, data: RcmdData) -> Iterator[tuple[object, ...]]:
    for uid in rng.sample(data.user_ids, max(3, len(data.user_ids) // 3)):
        rule_type = rng.choice(("cron", "cron", "interval", "once"))
        created = now - timedelta(days=rng.uniform(1, 300))
        cron_expr = interval = None
        last_run = now - timedelta(hours=rng.uniform(0.1, 48)) if rng.random() < 0.8 else None
        if rule_type == "cron":
            cron_expr = rng.choice(CRONS)
            next_run: datetime | None = croniter(cron_expr, now).get_next(datetime)
        elif rule_type == "interval":
            interval = rng.choice((900, 3600, 21600, 86400))
            next_run = (last_run or now) + timedelta(seconds=interval)
        else:
            next_run = now + timedelta(days=rng.uniform(0.5, 10)) if last_run is None else None
        src, dst = rng.sample(vocab.REMOTES, 2)
        folder = rng.choice(vocab.FOLDERS)
        template = {"type": rng.choice(("sync", "backup", "copy")), "src": f"{src}:{folder}", "dst": f"{dst}:{folder}"}
        yield (new_uuid(rng), uid, f"{template['type']} {src} → {dst}", rng.choice((None, "야간 백업", "weekly mirror")),
               rng.random() > 0.15, rule_type, cron_expr, interval, json.dumps(template, ensure_ascii=False),
               last_run, next_run, created, created)
    # Two more, fixed (no draws, so the rest of the data stays as it was): an expression cron cannot read (the
    # service stores what it is given), one at 02:30, which the nights clocks change skip or repeat, and one every
    # other month, whose five runs span eight months and so cross a change whatever the day the demo starts.
    owner = data.user_ids[0]
    for n, (name, expr) in enumerate((("nightly mirror (typo)", "0 25 * * *"), ("02:30 sync", "30 2 * * *"),
                                      ("bimonthly archive", "0 9 1 */2 *"))):
        template = {"type": "sync", "src": "gdrive:/shared", "dst": "s3:/mirror"}
        yield (uuid.UUID(int=0x5C4ED000 + n), owner, name, "planted for :schedules", True, "cron", expr, None,
               json.dumps(template), None, None, now - timedelta(days=30), now - timedelta(days=30))


def _notifications(rng: random.Random, scale: Scale, now: datetime, data: RcmdData) -> Iterator[tuple[object, ...]]:
    kinds = (("job.completed", "작업 완료", "normal"), ("job.failed", "Job failed", "high"),
             ("permission.granted", "New access granted", "normal"), ("system", "점검 안내", "low"),
             ("security", "New sign-in from an unknown device", "urgent"))
    for _ in range(scale.rcmd_notifications):
        kind, title, priority = rng.choice(kinds)
        created = now - timedelta(days=rng.uniform(0, 60))
        read = rng.random() < 0.6
        yield (new_uuid(rng), rng.choice(data.user_ids), kind, title, f"{title}: {rng.choice(vocab.FOLDERS)}",
               json.dumps({"remote": rng.choice(vocab.REMOTES)}), read, read and rng.random() < 0.3, priority,
               created + timedelta(days=30) if rng.random() < 0.5 else None, created,
               created + timedelta(minutes=rng.uniform(1, 900)) if read else None)


def _audit(rng: random.Random, scale: Scale, now: datetime, data: RcmdData) -> Iterator[tuple[object, ...]]:
    start = month_start(now, 11)
    span = (now - start).total_seconds()
    step = span / scale.rcmd_audit
    actions = [a for a in AUDIT_ACTIONS for _ in range(a[2])]
    ips = [vocab.ipv4(rng) for _ in range(500)]
    user_ids = data.user_ids
    for i in range(scale.rcmd_audit):
        at = start + timedelta(seconds=step * i + rng.random() * step)
        action, resource_type, _ = rng.choice(actions)
        failed = action == "auth.login_failed"
        uid = None if failed and rng.random() < 0.5 else rng.choice(user_ids)
        result = "failure" if failed else ("error" if rng.random() < 0.01 else "success")
        if resource_type == "file":
            resource_id: str = f"{rng.choice(vocab.REMOTES)}:{rng.choice(vocab.FOLDERS)}/file{rng.randrange(1000)}.dat"
        elif resource_type == "remote":
            resource_id = rng.choice(vocab.REMOTES)
        else:
            resource_id = str(new_uuid(rng)) if resource_type != "user" or uid is None else str(uid)
        yield (uid, action, resource_type, resource_id, json.dumps({"method": "POST" if "create" in action else "GET"}),
               rng.choice(ips), rng.choice(vocab.USER_AGENTS), result, at)


def _ms(moment: datetime | None) -> int:
    return int(moment.timestamp() * 1000) if moment else 0


def write_redis(client: redis.Redis, rng: random.Random, scale: Scale, now: datetime, data: RcmdData) -> int:
    """RCMD's Redis keys for the rows just written; returns how many keys were set."""
    pipe = client.pipeline(transaction=False)
    written = 0
    user_sessions: dict[uuid.UUID, list[str]] = {}
    for s in data.sessions:
        sid, uid, expires, is_active = s[0], s[1], s[7], s[9]
        assert isinstance(expires, datetime) and isinstance(uid, uuid.UUID)
        if not is_active:
            continue
        ttl = int((expires - now).total_seconds())
        if ttl <= 0:
            continue
        value = {"userId": str(uid), "username": data.usernames[uid], "role": data.roles[uid],
                 "permissions": ["read", "write"] if data.roles[uid] != "user" else ["read"],
                 "createdAt": int((expires - timedelta(hours=24)).timestamp()), "expiresAt": int(expires.timestamp())}
        # An absolute expiry: the PostgreSQL rows took time to write since ``now``, and a relative TTL would
        # outlive ``expires_at`` by that much.
        pipe.set(f"session:{sid}", json.dumps(value), exat=int(min(expires, now + timedelta(days=1)).timestamp()))
        user_sessions.setdefault(uid, []).append(str(sid))
        written += 1
    for uid, sids in user_sessions.items():
        pipe.sadd(f"user:sessions:{uid}", *sids)
        written += 1
    for p in data.permissions[: len(data.permissions) // 3]:
        pipe.set(f"cache:permissions:{p[1]}:{p[2]}", json.dumps(p[3]), ex=rng.randrange(60, 600))
        written += 1
    for uid in data.user_ids[: max(5, len(data.user_ids) // 4)]:
        remotes = [{"id": r, "name": vocab.REMOTE_NAMES[r], "status": rng.choice(("online", "online", "degraded"))}
                   for r in rng.sample(vocab.REMOTES, 3)]
        pipe.set(f"cache:remotes:{uid}", json.dumps(remotes), ex=rng.randrange(30, 300))
        written += 1
    for _ in range(20):
        listing = [{"name": f"file{n}.txt", "size": rng.randrange(100, 10**7), "modTime": now.isoformat()} for n in range(3)]
        pipe.set(f"cache:files:{rng.choice(vocab.REMOTES)}:{rng.getrandbits(64):016x}", json.dumps(listing), ex=rng.randrange(5, 60))
        written += 1
    written += _write_bull(pipe, scale, now, data)
    counts_by_day: dict[str, int] = {}
    for job in data.jobs:
        if job.status == "completed" and job.completed_at:
            day = job.completed_at.strftime("%Y-%m-%d")
            counts_by_day[day] = counts_by_day.get(day, 0) + 1
    for day, count in counts_by_day.items():
        pipe.set(f"stats:jobs:completed:{day}", count)
        written += 1
    for back in range(14):
        day = (now - timedelta(days=back)).strftime("%Y-%m-%d")
        pipe.set(f"stats:api:calls:{day}", rng.randrange(5_000, 90_000))
        for err in ("timeout", "auth", "quota"):
            pipe.set(f"stats:errors:{day}:{err}", rng.randrange(0, 300))
        written += 4
    for _ in range(15):
        pipe.set(f"rate:login:{vocab.ipv4(rng)}", rng.randrange(1, 12), ex=rng.randrange(30, 300))
        written += 1
    for uid in data.user_ids[:10]:
        key = f"rate:api:{uid}:/api/files"
        base = now.timestamp()
        pipe.zadd(key, {f"req-{rng.getrandbits(48):012x}": base - rng.uniform(0, 60) for _ in range(rng.randrange(3, 40))})
        pipe.expire(key, 60)
        written += 1
    clients = [f"sse-{rng.getrandbits(40):010x}" for _ in range(12)]
    pipe.sadd("sse:clients", *clients)
    for cid in clients:
        pipe.set(f"sse:client:{cid}", json.dumps({"userId": str(rng.choice(data.user_ids)),
                                                  "connectedAt": int(now.timestamp()) - rng.randrange(5, 7200),
                                                  "channels": rng.sample(["remotes", "jobs", "notifications"], 2)}))
    written += 1 + len(clients)
    for series, low, high in (("timeseries:api:response_time", 20, 900), ("timeseries:jobs:queue_size", 0, 60)):
        points = {f"{int(now.timestamp() * 1000) - i * 60_000}:{rng.randrange(low, high)}":
                  int(now.timestamp() * 1000) - i * 60_000 for i in range(240)}
        pipe.zadd(series, points)
        written += 1
    pipe.execute()
    return written


def _write_bull(pipe: redis.client.Pipeline, scale: Scale, now: datetime, data: RcmdData) -> int:
    """Bull's layout: wait/active lists, delayed/completed/failed sorted sets, a hash per job."""
    written = 0
    by_status: dict[str, list[Job]] = {}
    for job in data.jobs:
        by_status.setdefault(job.status, []).append(job)
    kept: list[Job] = []
    for status in ("completed", "failed"):
        recent = sorted(by_status.get(status, []), key=lambda j: j.completed_at or now, reverse=True)[: scale.bull_keep]
        if recent:
            pipe.zadd(f"{BULL}:{status}", {str(j.id): _ms(j.completed_at) for j in recent})
            written += 1
        kept += recent
    queued = sorted(by_status.get("queued", []), key=lambda j: j.created_at)
    if queued:
        pipe.lpush(f"{BULL}:wait", *[str(j.id) for j in queued])  # Bull pushes left, takes from the right
        written += 1
    running = by_status.get("running", [])
    if running:
        pipe.lpush(f"{BULL}:active", *[str(j.id) for j in running])
        written += 1
    pending = by_status.get("pending", [])
    if pending:
        pipe.zadd(f"{BULL}:delayed", {str(j.id): _ms(j.scheduled_for) for j in pending})
        written += 1
    for job in queued + running + pending + kept:
        fields: dict[FieldT, EncodableT] = {
            "name": job.type, "data": json.dumps(job.payload, ensure_ascii=False),
            "opts": json.dumps({"attempts": job.max_retries + 1, "priority": job.priority, "jobId": str(job.id)}),
            "timestamp": _ms(job.created_at), "progress": job.progress, "attemptsMade": job.retry_count,
        }
        if job.started_at:
            fields["processedOn"] = _ms(job.started_at)
        if job.completed_at:
            fields["finishedOn"] = _ms(job.completed_at)
        if job.error:
            fields["failedReason"] = job.error
        if job.result:
            fields["returnvalue"] = json.dumps(job.result)
        if job.scheduled_for:
            fields["delay"] = max(0, _ms(job.scheduled_for) - _ms(job.created_at))
        pipe.hset(f"{BULL}:{job.id}", mapping=fields)
        written += 1
    # Planted for :queue, chosen by id so every seed plants the same: the first running job's worker died
    # (no lock: no-lock), and the newest completed job's worker never let go of its lock (orphan-lock, no TTL).
    # The other kinds would break the mirror tests/test_seed.py and tests/test_live.py check exactly.
    stalled = min(running, key=lambda j: j.id.hex, default=None)
    for job in running:
        if job is stalled:
            continue
        pipe.set(f"{BULL}:{job.id}:lock", f"worker-{job.id.hex[:6]}", ex=30)
        pipe.set(f"lock:job:{job.id}", f"worker-{job.id.hex[:6]}", ex=300)
        remote = str(job.payload["src"]).split(":", 1)[0]
        pipe.set(f"lock:remote:{remote}", f"job-{job.id}", ex=30)
        written += 3
    done = sorted(by_status.get("completed", []), key=lambda j: (j.completed_at or now, j.id.hex), reverse=True)
    if done:
        pipe.set(f"lock:job:{done[0].id}", f"worker-{done[0].id.hex[:6]}")
        written += 1
    pipe.set(f"{BULL}:id", len(data.jobs))
    return written + 1


def seed(conn: psycopg.Connection[tuple[object, ...]], client: redis.Redis, scale: Scale, now: datetime,
         rng_seed: int = 7) -> dict[str, int]:
    """Fill RCMD's tables (in the connection's search_path) and Redis; returns row counts."""
    rng = random.Random(rng_seed)
    data = RcmdData()
    _users(rng, scale, now, data)
    _sessions(rng, now, data)
    _permissions(rng, now, data)
    _jobs(rng, scale, now, data)
    counts: dict[str, int] = {}
    with conn.transaction():
        conn.execute("SELECT ensure_audit_partitions(%s::date, 3)", [month_start(now, 11).date()])
        counts["users"] = copy_rows(conn, "users", (
            "id", "username", "email", "password_hash", "role", "is_active", "is_verified", "metadata",
            "created_at", "updated_at", "last_login_at"), data.users)
        counts["user_preferences"] = copy_rows(conn, "user_preferences", (
            "user_id", "theme", "language", "timezone", "notifications", "ui_settings"), (
            (row[0], rng.choice(("light", "dark", "system")), rng.choice(("ko", "en")),
             rng.choice(("Asia/Seoul", "UTC", "Europe/London")), json.dumps({"email": rng.random() < 0.7}),
             json.dumps({"pageSize": rng.choice((50, 100))})) for row in data.users))
        counts["sessions"] = copy_rows(conn, "sessions", (
            "id", "user_id", "token", "refresh_token", "ip_address", "user_agent", "device_info", "expires_at",
            "refresh_expires_at", "is_active", "created_at", "last_activity_at"), data.sessions)
        counts["permissions"] = copy_rows(conn, "permissions", (
            "id", "user_id", "remote_id", "permissions", "path_rules", "is_active", "created_at", "updated_at",
            "created_by"), data.permissions)
        counts["jobs"] = copy_rows(conn, "jobs", (
            "id", "user_id", "type", "status", "priority", "progress", "payload", "result", "error", "retry_count",
            "max_retries", "scheduled_for", "created_at", "started_at", "completed_at", "cancelled_at"), (
            (j.id, j.user_id, j.type, j.status, j.priority, j.progress, json.dumps(j.payload, ensure_ascii=False),
             json.dumps(j.result) if j.result else None, j.error, j.retry_count, j.max_retries, j.scheduled_for,
             j.created_at, j.started_at, j.completed_at, j.cancelled_at) for j in data.jobs))
        counts["job_logs"] = copy_rows(conn, "job_logs", ("job_id", "level", "message", "details", "created_at"),
                                       _job_logs(rng, data.jobs))
        counts["schedule_rules"] = copy_rows(conn, "schedule_rules", (
            "id", "user_id", "name", "description", "is_active", "rule_type", "cron_expression", "interval_seconds",
            "job_template", "last_run_at", "next_run_at", "created_at", "updated_at"), _schedule_rules(rng, now, data))
        counts["notifications"] = copy_rows(conn, "notifications", (
            "id", "user_id", "type", "title", "message", "data", "is_read", "is_archived", "priority", "expires_at",
            "created_at", "read_at"), _notifications(rng, scale, now, data))
        counts["audit_logs"] = copy_rows(conn, "audit_logs", (
            "user_id", "action", "resource_type", "resource_id", "details", "ip_address", "user_agent", "result",
            "created_at"), _audit(rng, scale, now, data))
    conn.execute("ANALYZE")
    counts["redis_keys"] = write_redis(client, rng, scale, now, data)
    return counts
