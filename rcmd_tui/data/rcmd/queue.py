"""RCMD's Bull queue (`:queue`): every entry of the wait and active lists and the delayed, completed and failed
sorted sets, each beside its PostgreSQL ``jobs`` row and RCMD's ``lock:job:{id}``, and where the two stores
disagree.

One row per entry. ``state`` is where Redis holds it: ``wait``, ``active``, ``delayed``, ``completed``,
``failed``; ``lock`` for a ``lock:job:{id}`` worth a row of its own (its job is not running, or is on none of
wait, active and delayed); ``none`` for a queued or running ``jobs`` row that Redis holds nowhere. ``at`` is the
place in line (wait: ``#1`` runs next, as Bull takes from the right; active: ``#1`` was taken last) or, for a
sorted set, its score as a time (delayed: when it may run; completed and failed: when it finished).

The kinds of disagreement (``KINDS``), one per row, each with what its fix (``F``,
:mod:`rcmd_tui.data.rcmd.queue_actions`) does:

- ``waiting-done``: on the wait list or the delayed set (or still on the active list) but the row is completed
  or cancelled: Bull would run a finished job again. Fix: the entry is removed from that list or set.
- ``no-lock``: the row is running (or the job is on the active list, its row queued or running) but there is no
  ``lock:job:{id}``: its worker died without finishing (Bull calls it stalled). Fix: back to the queue: the row
  ``queued`` with ``started_at`` NULL, off the active list and onto the wait list, Redis re-checked to have no
  lock still (a worker that took it meanwhile aborts the Redis part).
- ``orphan-lock``: a ``lock:job:{id}`` whose job is not running (finished, queued, or no row at all): it only
  keeps the job's remote locked until it expires. Fix: the lock is released as the jobs screen releases one
  (``job_actions.release_lock``): only if it still holds the worker shown (another holder's lock is never
  deleted) and the job is not running.
- ``queued-lost``: the row is queued but the job is on none of wait, active and delayed: no worker will ever
  take it. Fix: ``LREM`` then ``LPUSH`` on the wait list (twice is harmless), and its ``bull:jobs:{id}`` hash
  written from the row when it is missing.
- ``no-row``: an entry whose id has no ``jobs`` row (or is no job id at all): Fix: the entry removed from its
  list or set and its hash unlinked.

What is read, bounded, once per refresh: the five keys' lengths and at most ``MAX_PER_STATE`` entries of each
(the ones nearest the head), in one MULTI so lengths and entries agree; ``lock:job:*`` by SCAN (never KEYS; at
most ``MAX_SCAN_CALLS`` calls); the queued and running ids (``MAX_PG_ROWS`` of each, by index); the rows of
every id seen, in one ``= ANY`` query; then one pipeline with each id's lock, its TTL and whether its hash
exists (and, when a list was cut, where a queued or running job not among the entries read sits in it, so a
long list does not make it look lost). ``length`` on each row is its list's length: :func:`lengths_line` says
them above the list, and when a list was read only in part.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import psycopg
import psycopg_pool
import redis.asyncio
import redis.exceptions

from rcmd_tui.data.infra.failures import QueryFailed, describe
from rcmd_tui.data.lists.enrich import Row
from rcmd_tui.data.lists.format import duration
from rcmd_tui.data.lists.spec import Column, FilterField, Kind, ListSpec, Ordering, Record, Snapshot
from rcmd_tui.data.rcmd import bull
from rcmd_tui.errors import ConfigError
from rcmd_tui.text import bytes_text

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

K = Kind

MAX_PER_STATE = 1000
MAX_SCAN_CALLS = 100  # of COUNT 1000: a keyspace of 100,000 keys is walked whole
SCAN_COUNT = 1000
MAX_LOCKS = 2000
MAX_PG_ROWS = 5000  # queued, and running: each
MAX_LOOKUPS = 500  # LPOS in a cut list is O(n): at most this many ids are looked for

KINDS = {
    "waiting-done": "waiting (wait, delayed or active) but the row is completed or cancelled",
    "no-lock": "running (or on the active list) with no lock:job key: its worker died (stalled)",
    "orphan-lock": "a lock:job key whose job is not running",
    "queued-lost": "queued in PostgreSQL but on no Redis list: no worker will take it",
    "no-row": "in Redis, but no jobs row has its id",
}
# What F (fix) leaves for each kind: shown in a row's detail before anyone asks, and the audit row's "after".
FIXES = {
    "waiting-done": "removed from the list or set it waited in",
    "no-lock": "row queued, started_at NULL; off the active list, on the wait list",
    "orphan-lock": "lock:job key released",
    "queued-lost": "on the wait list (its hash written if it was missing)",
    "no-row": "removed from its list or set, its hash unlinked",
}
STATES = ("wait", "active", "delayed", "completed", "failed", "lock", "none")
KEYS = {"wait": bull.WAIT, "active": bull.ACTIVE, "delayed": bull.DELAYED, "completed": bull.COMPLETED,
        "failed": bull.FAILED}
WAITING = ("wait", "active", "delayed")  # where a job waits to run or runs; completed and failed are history
STATUSES = ("pending", "queued", "running", "completed", "failed", "cancelled")
TYPES = ("copy", "move", "delete", "sync", "backup")
LOCK_PREFIX = b"lock:job:"

FIELDS = ("state", "short", "problem", "status", "username", "at", "lock", "lock_ttl", "type", "job", "position",
          "score_at", "length", "in_hash", "user_id", "member", "lock_value", "dup", "seq")

ROWS_SQL = ("SELECT j.id::text, j.status, j.type, j.user_id::text, u.username "
            "FROM jobs j LEFT JOIN users u ON u.id = j.user_id WHERE j.id = ANY(%s::uuid[])")
# Each half served by idx_jobs_status_created_id (migration 0010), newest first.
LIVE_SQL = ("(SELECT id::text FROM jobs WHERE status = 'queued' ORDER BY created_at DESC, id DESC LIMIT %s) "
            "UNION ALL (SELECT id::text FROM jobs WHERE status = 'running' ORDER BY created_at DESC, id DESC LIMIT %s)")


@dataclass(frozen=True, slots=True)
class Entry:
    """One member of a Bull list or sorted set, as read."""

    state: str
    member: bytes
    position: int | None = None
    score: float | None = None


@dataclass(frozen=True, slots=True)
class JobRow:
    status: str
    type: str
    user_id: str
    username: str | None


@dataclass(frozen=True, slots=True)
class Lock:
    value: bytes
    ttl_ms: int  # PTTL: -1 no expiry


@dataclass(frozen=True, slots=True)
class Read:
    """Everything one refresh read, before it is judged."""

    entries: tuple[Entry, ...]
    lengths: dict[str, int] = field(default_factory=dict)
    rows: dict[bytes, JobRow] = field(default_factory=dict)
    live: tuple[bytes, ...] = ()  # queued and running ids in PostgreSQL
    locks: dict[bytes, Lock] = field(default_factory=dict)
    hashes: frozenset[bytes] = frozenset()  # ids whose bull:jobs:{id} exists
    elsewhere: frozenset[bytes] = frozenset()  # ids found by LPOS/ZSCORE in the part of a list not read
    unchecked: frozenset[bytes] = frozenset()  # ids a cut list may hold that were not looked for


def job_text(member: bytes) -> str:
    return bytes_text(member)


def job_uuid(member: bytes) -> str | None:
    """The member as a jobs id, or None when it cannot be one (it is untrusted)."""
    try:
        return str(uuid.UUID(member.decode("ascii")))
    except (UnicodeDecodeError, ValueError):
        return None


def at_text(position: int | None, score: float | None, now: datetime) -> str:
    """``#3`` for a place in line; a score (epoch ms) as how long ago or from now.

    >>> now = datetime(2026, 1, 1, tzinfo=UTC)
    >>> ms = now.timestamp() * 1000
    >>> at_text(1234, None, now), at_text(None, ms - 90_000, now), at_text(None, ms + 7_200_000, now)
    ('#1,234', '1m ago', 'in 2h')
    >>> at_text(None, ms - 3 * 86_400_000, now), at_text(None, None, now)
    ('3d ago', '')
    """
    if position is not None:
        return f"#{position:,}"
    if score is None:
        return ""
    seconds = int(score / 1000 - now.timestamp())
    size = abs(seconds)
    amount = (f"{size}s" if size < 60 else f"{size // 60}m" if size < 3600 else f"{size // 3600}h" if size < 86400
              else f"{size // 86400}d")
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def ttl_text(ttl_ms: int) -> str:
    """A lock's PTTL as shown: ``∞`` for a lock that never expires (a worker that forgot its TTL).

    >>> ttl_text(299_500), ttl_text(-1)
    ('4m59s', '∞')
    """
    return duration(timedelta(milliseconds=ttl_ms // 1000 * 1000)) if ttl_ms >= 0 else "∞"


def judge(read: Read, now: datetime) -> list[tuple[Any, ...]]:
    """The rows of the view, problems first, then as read (wait from its head, then active, delayed, …)."""
    placed: dict[bytes, set[str]] = {}
    for e in read.entries:
        placed.setdefault(e.member, set()).add(e.state)
    waiting = {m for m, states in placed.items() if states & set(WAITING)} | read.elsewhere
    rows: list[tuple[Any, ...]] = []

    def add(state: str, member: bytes, problem: str | None, entry: Entry | None, dup: int = 0) -> None:
        row, lock = read.rows.get(member), read.locks.get(member)
        score_at = datetime.fromtimestamp(entry.score / 1000, UTC) if entry and entry.score is not None else None
        text = job_text(member)
        # Empty text rather than NULL where nothing is expected (most rows hold no lock): ∅ on every line is noise.
        rows.append((
            state, text[:7], problem or "", row.status if row else "", (row.username or "") if row else "",
            at_text(entry.position if entry else None, entry.score if entry else None, now),
            bytes_text(lock.value) if lock else "", ttl_text(lock.ttl_ms) if lock else "",
            row.type if row else None, text, entry.position if entry else None, score_at,
            read.lengths.get(state), member in read.hashes, row.user_id if row else None, member,
            lock.value if lock else None, dup))

    seen: dict[tuple[str, bytes], int] = {}
    for e in read.entries:
        dup = seen.get((e.state, e.member), 0)
        seen[(e.state, e.member)] = dup + 1
        row, lock = read.rows.get(e.member), read.locks.get(e.member)
        problem = None
        if row is None:
            problem = "no-row"
        elif e.state in WAITING and row.status in ("completed", "cancelled"):
            problem = "waiting-done"
        elif e.state == "active" and lock is None and row.status in ("queued", "running"):
            problem = "no-lock"
        add(e.state, e.member, problem, e, dup)
    for member in read.locks:
        row = read.rows.get(member)
        running = row is not None and row.status == "running"
        if not running:
            add("lock", member, "orphan-lock", None)
        elif member not in waiting:
            add("lock", member, None, None)  # running and locked, but on no list: shown, not a kind of its own
    for member in read.live:
        row = read.rows.get(member)
        if row is None or member in waiting or member in read.unchecked:
            continue
        if row.status == "queued":
            add("none", member, "queued-lost", None)
        elif row.status == "running" and member not in read.locks:
            add("none", member, "no-lock", None)
    order = {s: i for i, s in enumerate(STATES)}
    ranked = sorted(range(len(rows)), key=lambda i: (rows[i][2] == "", order[rows[i][0]], i))
    return [(*rows[i], seq) for seq, i in enumerate(ranked)]


def _b(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


async def _read_lists(client: redis.asyncio.Redis) -> tuple[list[Entry], dict[str, int]]:
    """Lengths and entries in one MULTI, so they describe the same moment."""
    async with client.pipeline(transaction=True) as pipe:
        pipe.llen(bull.WAIT)
        pipe.llen(bull.ACTIVE)
        pipe.zcard(bull.DELAYED)
        pipe.zcard(bull.COMPLETED)
        pipe.zcard(bull.FAILED)
        pipe.lrange(bull.WAIT, -MAX_PER_STATE, -1)
        pipe.lrange(bull.ACTIVE, 0, MAX_PER_STATE - 1)
        pipe.zrange(bull.DELAYED, 0, MAX_PER_STATE - 1, withscores=True)
        pipe.zrevrange(bull.COMPLETED, 0, MAX_PER_STATE - 1, withscores=True)
        pipe.zrevrange(bull.FAILED, 0, MAX_PER_STATE - 1, withscores=True)
        replies = await pipe.execute(raise_on_error=False)
    names = ("wait", "active", "delayed", "completed", "failed")
    as_sets: dict[str, list[bytes]] = {}
    for at, (name, reply) in enumerate(zip(names * 2, replies, strict=True)):
        if not isinstance(reply, redis.exceptions.ResponseError):
            continue
        # The seed's document calls completed and failed SETs (bull.py): read one so, without scores.
        if name in ("completed", "failed") and await client.type(KEYS[name]) in (b"set", "set"):
            if at < 5:
                replies[at] = await client.scard(KEYS[name])
                as_sets[name] = sorted(map(_b, await client.srandmember(KEYS[name], MAX_PER_STATE)))  # type: ignore[arg-type, unused-ignore]
            continue
        raise QueryFailed(f"{KEYS[name]} cannot be read as Bull keeps it ({reply})",
                          "look at the key in :redis; Bull keeps wait and active as lists, the rest as sorted sets")
    lengths = {name: int(n) for name, n in zip(names, replies[:5], strict=True)}
    wait, active, delayed, completed, failed = replies[5:]
    entries = [Entry("wait", _b(m), position=i + 1) for i, m in enumerate(reversed(wait))]
    entries += [Entry("active", _b(m), position=i + 1) for i, m in enumerate(active)]
    for name, scored in (("delayed", delayed), ("completed", completed), ("failed", failed)):
        if name in as_sets:
            entries += [Entry(name, m) for m in as_sets[name]]
        else:
            entries += [Entry(name, _b(m), score=float(s)) for m, s in scored]
    return entries, lengths


async def _scan_locks(client: redis.asyncio.Redis) -> set[bytes]:
    found: set[bytes] = set()  # SCAN may return a key twice while the table rehashes
    cursor, calls = 0, 0
    while True:
        cursor, keys = await client.scan(cursor=cursor, match=bull.LOCK_PATTERN, count=SCAN_COUNT)
        calls += 1
        found.update(_b(k)[len(LOCK_PREFIX):] for k in keys)
        if cursor == 0 or calls >= MAX_SCAN_CALLS or len(found) >= MAX_LOCKS:
            return set(list(found)[:MAX_LOCKS])


async def _read_rows(services: Services, ids: Iterable[bytes]) -> tuple[dict[bytes, JobRow], list[bytes]]:
    """The rows of ``ids``, and the queued and running ids: PostgreSQL, named as such when it fails (the view's
    target is Redis)."""
    valid = {u: m for m in ids if (u := job_uuid(m)) is not None}
    try:
        async with services.reader("rcmd").connection() as conn:
            live = [r[0] for r in await (await conn.execute(LIVE_SQL, (MAX_PG_ROWS, MAX_PG_ROWS))).fetchall()]
            for text in live:
                valid.setdefault(text, text.encode())
            found = await (await conn.execute(ROWS_SQL, (list(valid),))).fetchall()
    except (psycopg.Error, psycopg_pool.PoolTimeout, OSError) as exc:
        raise describe(exc, "rcmd", services.where("rcmd")) from None
    rows = {valid[r[0]]: JobRow(r[1], r[2], r[3], r[4]) for r in found}
    return rows, [t.encode() for t in live]


async def read_queue_state(services: Services) -> Read:
    client = services.redis
    if client is None:
        raise ConfigError("the RCMD queue view needs RCMD's Redis", "set redis_url under the rcmd target")
    entries, lengths = await _read_lists(client)
    lock_ids = sorted(await _scan_locks(client))  # SCAN's order is the hash table's: sorted, the rows stay put
    rows, live = await _read_rows(services, [*(e.member for e in entries), *lock_ids])
    ids = list(dict.fromkeys([*(e.member for e in entries), *lock_ids, *live]))
    read_ids = {e.member for e in entries}
    cut = [s for s in WAITING if lengths[s] > MAX_PER_STATE]
    unseen = [m for m in live if m not in read_ids]
    looked, unchecked = (unseen[:MAX_LOOKUPS], unseen[MAX_LOOKUPS:]) if cut else ([], [])
    async with client.pipeline(transaction=False) as pipe:
        for m in ids:
            pipe.get(LOCK_PREFIX + m)
            pipe.pttl(LOCK_PREFIX + m)
            pipe.exists(bull.PREFIX.encode() + b":" + m)
        for m in looked:
            for state in cut:
                if state == "delayed":
                    pipe.zscore(bull.DELAYED, m)
                else:
                    pipe.execute_command("LPOS", KEYS[state], m)
        replies = await pipe.execute()
    locks: dict[bytes, Lock] = {}
    hashes: set[bytes] = set()
    for i, m in enumerate(ids):
        value, ttl, exists = replies[3 * i:3 * i + 3]
        if value is not None:
            locks[m] = Lock(_b(value), int(ttl))
        if exists:
            hashes.add(m)
    rest = replies[3 * len(ids):]
    elsewhere = {m for i, m in enumerate(looked) if any(r is not None for r in rest[i * len(cut):(i + 1) * len(cut)])}
    return Read(tuple(entries), lengths, rows, tuple(live), locks, frozenset(hashes), frozenset(elsewhere),
                frozenset(unchecked))


async def read_queue(services: Services, system: str) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    return FIELDS, judge(await read_queue_state(services), datetime.now(UTC))


def lengths_line(records: Sequence[Record]) -> str:
    """What the lists hold, as read: ``wait 12 · active 3 · … · 2 problems``; a list read in part says how much
    of it is shown (``completed 1,000 of 4,321``)."""
    length: dict[str, int] = {}
    shown: dict[str, int] = {}
    problems = 0
    for r in records:
        state = r.get("state")
        shown[state] = shown.get(state, 0) + 1
        if r.get("length") is not None:
            length[state] = max(length.get(state, 0), int(r.get("length")))
        problems += bool(r.get("problem"))
    parts = []
    for state in KEYS:
        n = length.get(state, 0)
        parts.append(f"{state} {n:,}" if shown.get(state, 0) >= n else f"{state} {shown.get(state, 0):,} of {n:,}")
    said = " · ".join(parts)
    return f"{said} │ {problems} problem{'s' if problems != 1 else ''}" if problems else f"{said} │ no problems"


@dataclass(frozen=True, slots=True)
class Meaning:
    """A row's problem in words, and what F would do about it: the detail says both, so nobody fixes blind."""

    @property
    def needs(self) -> tuple[str, ...]:
        return ("problem",)

    @property
    def provides(self) -> tuple[str, ...]:
        return ("meaning", "fix")

    async def enrich(self, services: Services, spec: ListSpec, rows: list[Row]) -> None:
        for r in rows:
            problem = str(r.get("problem") or "")
            r["meaning"], r["fix"] = KINDS.get(problem), FIXES.get(problem)


RCMD_QUEUE = ListSpec(
    key="queue", system="rcmd", title="RCMD queue", enrichers=(Meaning(),),
    source=Snapshot(read=read_queue, redis=True, refresh_s=5.0, max_rows=20_000),
    columns=(
        Column("state", "State", K.ENUM, width=9),
        Column("short", "Job", width=7),
        Column("problem", "Problem", K.ENUM, width=12),
        Column("meaning", "What it means", width=40, enriched=True, shown=False),
        Column("fix", "F (fix) does", width=40, enriched=True, shown=False),
        Column("status", "PG", K.ENUM, width=9),
        Column("username", "User", width=8),
        Column("at", "At", width=7),
        Column("lock", "Lock", width=13),
        Column("lock_ttl", "TTL", width=5),
        Column("type", "Type", K.ENUM, width=6, shown=False),
        Column("job", "Job id", width=36, shown=False),
        Column("position", "Place", K.INT, shown=False),
        Column("score_at", "Score (UTC)", K.TIME, width=19, shown=False),
        Column("length", "List length", K.INT, shown=False),
        Column("in_hash", "Hash", K.BOOL, shown=False),
        Column("user_id", "User id", K.UUID, shown=False),
        Column("member", "Member", shown=False, internal=True),
        Column("lock_value", "Lock value", shown=False, internal=True),
        Column("dup", "Dup", K.INT, shown=False, internal=True),
        Column("seq", "Seq", K.INT, shown=False, internal=True),
    ),
    orderings=(Ordering("problems first", ("seq",), descending=False),),
    filters=(
        FilterField("state", "state", K.ENUM, values=STATES),
        FilterField("problem", "problem", K.ENUM, values=tuple(KINDS), help="one of: " + ", ".join(KINDS)),
        FilterField("id", "job", help="a job id; id~ and its first digits"),
        FilterField("status", "status", K.ENUM, values=STATUSES, help="the jobs row's status"),
        FilterField("type", "type", K.ENUM, values=TYPES),
        FilterField("user", "username", help="a username"),
        FilterField("lock", "lock", help="the worker holding lock:job, e.g. lock~worker-3"),
    ),
    id_columns=("state", "job", "dup"),
)
