"""Redis health: what on-call asks of RCMD's Redis, in a handful of round trips per refresh.

One row per thing, in five sections:

- ``info``: INFO essentials (version, uptime, memory, fragmentation, clients, ops/s, hit ratio, evictions,
  expiries, keys per database), from ONE ``INFO server memory clients stats keyspace``.
- ``slowlog``: ``SLOWLOG GET 10``, the command words escaped as redis-cli would take them.
- ``prefix``: keys per seed prefix (rcmd-schema.md, "Redis 데이터 구조"), counted by SCAN, never KEYS (KEYS
  blocks the server for the whole keyspace). At most ``SCAN_CALLS`` calls of ``COUNT 1000`` per refresh: when
  the scan finishes the counts are exact; otherwise they are the sample scaled by DBSIZE, and say so.
- ``queue``: the lengths of Bull's lists and sorted sets (seed-deviations G7), by their type, in one pipeline.
- ``blocked``: IPs whose ``rate:login:{ip}`` counter (INCR, TTL 300) is at or above ``LOGIN_BLOCK_AT``, with
  the TTL left; :func:`unblock_ip` deletes one, if it still holds the count shown.

A section the server refuses (INFO renamed away, an ACL user without ``+info`` or ``+slowlog``) becomes one
row ``item=unavailable`` saying what to grant, and the other sections still show: a panel that fails whole
over INFO would hide the blocked IPs on-call came for. A lost connection still fails the whole view (the
panel names the target). Everything Redis returns is untrusted: keys and values stay bytes in hidden fields,
text fields are :func:`~rcmd_tui.text.bytes_text` or redis-cli words, never markup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import redis.asyncio
import redis.exceptions

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import Plan, RedisCheck, RedisStep
from rcmd_tui.data.actions.run import redis_word
from rcmd_tui.data.lists.format import duration
from rcmd_tui.data.lists.spec import Column, FilterField, Kind, ListSpec, Ordering, Snapshot
from rcmd_tui.data.rcmd.actions import audit
from rcmd_tui.errors import ConfigError
from rcmd_tui.text import bytes_text

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

K = Kind
SECTIONS = ("info", "slowlog", "prefix", "queue", "blocked")
FIELDS = ("section", "item", "value", "detail", "number", "ttl", "key", "raw", "seq")

# The seed names no limit for rate:login (only "INCR, TTL 300"); five failed logins is the burst the
# monitoring issue and OrderSync's login_attempts query use, so a counter at 5 or more counts as blocked.
LOGIN_BLOCK_AT = 5
LOGIN_PREFIX = b"rate:login:"
# Every key family of the seed's Redis layout, the finer one where the seed tells them apart (a rate:login
# flood and an API rate limit are different incidents). pubsub:* are channels, not keys.
PREFIXES: tuple[bytes, ...] = (
    b"session:", b"user:sessions:", b"cache:remotes:", b"cache:files:", b"cache:permissions:", b"bull:jobs:",
    b"rate:api:", LOGIN_PREFIX, b"sse:", b"lock:remote:", b"lock:job:", b"stats:", b"timeseries:",
)
OTHER = "(other)"
QUEUE = "bull:jobs"
QUEUE_STATES = {  # Bull's layout (seed-deviations G7): lists and sorted sets; the seed's notation says sets
    "wait": "waiting for a worker", "active": "being processed", "delayed": "scheduled for later",
    "completed": "kept after finishing", "failed": "failed, kept for a retry or a look",
}
LENGTH_COMMANDS = (("list", "LLEN"), ("set", "SCARD"), ("zset", "ZCARD"))
SLOWLOG_ENTRIES = 10
SCAN_COUNT = 1000
SCAN_CALLS = 20  # per refresh for the prefix counts: about 20,000 keys looked at, a few ms of server time
MATCH_CALLS = 200  # for rate:login:* when the prefix scan did not see the whole keyspace
MAX_COUNTERS = 10_000  # rate:login keys read (GET and PTTL) per refresh

Row = tuple[Any, ...]


def _row(section: str, item: str, value: str, detail: str, number: float | None = None, ttl: timedelta | None = None,
         key: bytes | None = None, raw: bytes | None = None) -> Row:
    return (section, item, value, detail, number, ttl, key, raw)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def unavailable(section: str, commands: Sequence[str], exc: redis.exceptions.ResponseError) -> Row:
    """The row a refused section shows: what failed and the two ways to fix it (by exception type, never text)."""
    named = "/".join(commands)
    acl = " ".join("+" + c.lower() for c in commands)
    why = (f"{named} is not allowed for this Redis user" if isinstance(exc, redis.exceptions.NoPermissionError)
           else f"{named} is renamed or disabled on this server")
    return _row(section, "unavailable", "n/a",
                f"{why} ({_first_line(exc)}): grant {acl} (ACL SETUSER <user> {acl}) "
                f"or undo rename-command {commands[0]} in redis.conf")


def _int(info: Mapping[str, Any], name: str) -> int | None:
    value = info.get(name)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _n(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


# -- info -------------------------------------------------------------------------------------------

async def _read_info(client: redis.asyncio.Redis) -> dict[str, Any]:
    try:
        return await client.info("server", "memory", "clients", "stats", "keyspace")
    except redis.exceptions.NoPermissionError:
        raise
    except redis.exceptions.ResponseError:
        # Redis before 7 takes one section only (a syntax error here); bare INFO holds all five. A renamed
        # INFO fails this second call too, and the section says so.
        return await client.info()


def info_rows(info: Mapping[str, Any]) -> list[Row]:
    """The INFO essentials, one row each; a field the server does not report shows as ?."""
    rows = [_row("info", "version", str(info.get("redis_version", "?")),
                 f"{info.get('redis_mode', '?')} mode, {info.get('arch_bits', '?')}-bit")]
    uptime = _int(info, "uptime_in_seconds")
    if uptime is not None:
        since = datetime.now(UTC) - timedelta(seconds=uptime)
        rows.append(_row("info", "uptime", duration(timedelta(seconds=uptime)),
                         f"up since {since:%Y-%m-%d %H:%M} UTC", uptime))
    used, peak, limit = _int(info, "used_memory"), info.get("used_memory_peak_human", "?"), _int(info, "maxmemory")
    policy = info.get("maxmemory_policy", "?")
    if limit:
        share = f" ({used / limit:.0%} used)" if used is not None else ""
        cap = f"maxmemory {info.get('maxmemory_human', limit)}{share}, policy {policy}"
    else:
        cap = f"no maxmemory (policy {policy} never applies): Redis grows until the host runs out"
    rows.append(_row("info", "memory", str(info.get("used_memory_human", "?")), f"peak {peak}; {cap}", used))
    ratio = info.get("mem_fragmentation_ratio")
    if isinstance(ratio, int | float):
        note = ""
        if used is not None and used >= 64 * 2**20 and ratio > 1.5:  # on a few MB a high ratio is normal
            note = "; high: memory is fragmented (activedefrag, or a restart, returns it)"
        elif ratio < 1:
            note = "; under 1: part of the data may be swapped out"
        rows.append(_row("info", "fragmentation", f"{ratio:.2f}",
                         f"rss {info.get('used_memory_rss_human', '?')} for {info.get('used_memory_human', '?')} used{note}",
                         float(ratio)))
    connected, blocked = _int(info, "connected_clients"), _int(info, "blocked_clients")
    rows.append(_row("info", "clients connected", _n(connected), f"maxclients {_n(_int(info, 'maxclients'))}", connected))
    rows.append(_row("info", "clients blocked", _n(blocked), "waiting in BLPOP, BRPOPLPUSH … (idle Bull workers wait so)",
                     blocked))
    ops = _int(info, "instantaneous_ops_per_sec")
    rows.append(_row("info", "ops/s", _n(ops), f"{_n(_int(info, 'total_commands_processed'))} commands since start", ops))
    hits, misses = _int(info, "keyspace_hits"), _int(info, "keyspace_misses")
    if hits is not None and misses is not None and hits + misses:
        ratio_hits = hits / (hits + misses)
        rows.append(_row("info", "hit ratio", f"{ratio_hits:.1%}", f"{hits:,} hits, {misses:,} misses since start",
                         ratio_hits * 100))
    else:
        rows.append(_row("info", "hit ratio", "n/a", "no key looked up since start"))
    evicted = _int(info, "evicted_keys")
    rows.append(_row("info", "evicted keys", _n(evicted), f"dropped for memory since start (policy {policy})", evicted))
    expired = _int(info, "expired_keys")
    rows.append(_row("info", "expired keys", _n(expired), "removed at their TTL since start", expired))
    dbs = sorted((k, v) for k, v in info.items() if k.startswith("db") and k[2:].isdigit() and isinstance(v, dict))
    for db, stats in dbs:
        keys, expires = _int(stats, "keys"), _int(stats, "expires")
        avg = _int(stats, "avg_ttl")
        rows.append(_row("info", f"keys {db}", _n(keys),
                         f"{_n(expires)} with a TTL, average TTL {duration(timedelta(milliseconds=avg or 0))}", keys))
    if not dbs:
        rows.append(_row("info", "keys", "0", "no database holds a key", 0))
    return rows


# -- slowlog ----------------------------------------------------------------------------------------

def _words(parts: Any) -> str:
    return " ".join(redis_word(p) for p in parts) if isinstance(parts, list) else "?"


def slowlog_rows(entries: Sequence[Any]) -> list[Row]:
    """SLOWLOG GET's raw reply: [id, unix time, microseconds, [words], client address, client name]."""
    rows = []
    for entry in entries:
        if not isinstance(entry, list) or len(entry) < 4:
            continue
        micros = int(entry[2])
        at = datetime.fromtimestamp(int(entry[1]), UTC)
        client = " ".join(bytes_text(p) for p in entry[4:6] if isinstance(p, bytes) and p)
        rows.append(_row("slowlog", f"#{int(entry[0])}", f"{micros / 1000:.1f} ms" if micros >= 1000 else f"{micros} µs",
                         f"{_words(entry[3])} · {client or 'client ?'} · {at:%Y-%m-%d %H:%M:%S} UTC", micros / 1000))
    return rows or [_row("slowlog", "empty", "0", "no command ran slower than slowlog-log-slower-than since the last reset")]


# -- prefix -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Sample:
    keys: frozenset[bytes]
    finished: bool  # the scan went round the whole keyspace: counts are exact
    calls: int


async def scan_sample(client: redis.asyncio.Redis, calls: int = SCAN_CALLS) -> Sample:
    """Keys by SCAN from the start, at most ``calls`` calls. SCAN walks the hash table, whose order has nothing
    to do with key names, so a partial pass is a fair sample of the prefixes."""
    seen: set[bytes] = set()  # SCAN may return a key twice while the table rehashes
    cursor, made = 0, 0
    while True:
        cursor, keys = await client.scan(cursor=cursor, count=SCAN_COUNT)
        made += 1
        seen.update(map(_b, keys))
        if cursor == 0 or made >= calls:
            return Sample(frozenset(seen), cursor == 0, made)


def _b(key: bytes | str) -> bytes:
    """redis-py answers bytes here (no decode_responses); its types say bytes or str."""
    return key if isinstance(key, bytes) else key.encode()


def _prefix_of(key: bytes) -> str:
    return next((p.decode() for p in PREFIXES if key.startswith(p)), OTHER)


async def prefix_rows(client: redis.asyncio.Redis, sample: Sample) -> list[Row]:
    counts = dict.fromkeys([p.decode() for p in PREFIXES] + [OTHER], 0)
    for key in sample.keys:
        counts[_prefix_of(key)] += 1
    if sample.finished:
        how = f"exact: SCAN saw all {len(sample.keys):,} keys"
        return [_row("prefix", p, f"{n:,}", how, n) for p, n in counts.items()]
    total: int | None
    try:
        total = int(await client.dbsize())
    except redis.exceptions.ResponseError:  # no +dbsize: the sample's own counts, as lower bounds
        total = None
    seen = len(sample.keys)
    if total is None or not seen:
        how = f"sampled: {seen:,} keys seen in {sample.calls} SCAN calls (DBSIZE refused: at least this many)"
        return [_row("prefix", p, f"≥{n:,}", how, n) for p, n in counts.items()]
    how = f"sampled: {seen:,} of {total:,} keys (DBSIZE) seen in {sample.calls} SCAN calls, scaled up"
    return [_row("prefix", p, f"~{round(n * total / seen):,}", how, round(n * total / seen)) for p, n in counts.items()]


# -- queue ------------------------------------------------------------------------------------------

def _kind(reply: Any) -> str:
    return reply.decode() if isinstance(reply, bytes) else str(reply)


async def queue_rows(client: redis.asyncio.Redis) -> list[Row]:
    """Each queue key's TYPE and every length command in one pipeline; the reply that fits its type counts
    (the others are WRONGTYPE errors, read and dropped)."""
    keys = [f"{QUEUE}:{state}".encode() for state in QUEUE_STATES]
    async with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.type(key)
            for _, command in LENGTH_COMMANDS:
                pipe.execute_command(command, key)
        replies = await pipe.execute(raise_on_error=False)
    step = 1 + len(LENGTH_COMMANDS)
    rows = []
    for i, (key, meaning) in enumerate(zip(keys, QUEUE_STATES.values(), strict=True)):
        kind_reply, lengths = replies[i * step], replies[i * step + 1:(i + 1) * step]
        if isinstance(kind_reply, Exception):
            raise kind_reply
        kind = _kind(kind_reply)
        at = next((j for j, (t, _) in enumerate(LENGTH_COMMANDS) if t == kind), None)
        if kind == "none":
            rows.append(_row("queue", bytes_text(key), "0", f"absent: no job {meaning}", 0, key=key))
        elif at is None or isinstance(lengths[at], Exception):
            rows.append(_row("queue", bytes_text(key), "?", f"a {kind}, not a queue list or set", key=key))
        else:
            n = int(lengths[at])
            rows.append(_row("queue", bytes_text(key), f"{n:,}", f"{meaning} ({kind}, {LENGTH_COMMANDS[at][1]})", n, key=key))
    return rows


# -- blocked ----------------------------------------------------------------------------------------

async def login_counters(client: redis.asyncio.Redis, sample: Sample) -> tuple[list[bytes], bool]:
    """Every rate:login key, and whether that is all of them: from the prefix scan when it saw the whole
    keyspace (the usual case, no more calls), else by SCAN MATCH within its own budget."""
    if sample.finished:
        return sorted(k for k in sample.keys if k.startswith(LOGIN_PREFIX)), True
    found: set[bytes] = set()
    cursor, made = 0, 0
    while True:
        cursor, keys = await client.scan(cursor=cursor, match=LOGIN_PREFIX + b"*", count=SCAN_COUNT)
        made += 1
        found.update(map(_b, keys))
        if cursor == 0 or made >= MATCH_CALLS or len(found) >= MAX_COUNTERS:
            return sorted(found)[:MAX_COUNTERS], cursor == 0


async def blocked_rows(client: redis.asyncio.Redis, sample: Sample) -> list[Row]:
    keys, complete = await login_counters(client, sample)
    replies: list[Any] = []
    if keys:
        async with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.get(key)
                pipe.pttl(key)
            replies = await pipe.execute(raise_on_error=False)
    rows: list[Row] = []
    for key, value, pttl in zip(keys, replies[0::2], replies[1::2], strict=True):
        for reply in (value, pttl):
            if isinstance(reply, redis.exceptions.NoPermissionError):
                raise reply
        if not isinstance(value, bytes) or not isinstance(pttl, int) or pttl == -2:
            continue  # not a counter (WRONGTYPE), or expired since the scan
        try:
            count = int(value)
        except ValueError:
            continue
        if count < LOGIN_BLOCK_AT:
            continue
        ttl = timedelta(milliseconds=pttl) if pttl >= 0 else None
        left = f"unblocks in {duration(ttl)}" if ttl is not None else "no TTL: blocked until the key is deleted"
        rows.append(_row("blocked", bytes_text(key[len(LOGIN_PREFIX):]), str(count),
                         f"{count} failed logins (blocked at {LOGIN_BLOCK_AT}); {left}", count, ttl, key, value))
    rows.sort(key=lambda r: (-r[4], r[6]))  # the most attempts first
    if not complete:
        rows.append(_row("blocked", "(incomplete)", "?", f"SCAN MATCH {LOGIN_PREFIX.decode()}* stopped after its budget "
                                                        f"({MATCH_CALLS} calls or {MAX_COUNTERS:,} keys): more IPs may be blocked"))
    elif not rows:
        rows.append(_row("blocked", "(none)", "0", f"no rate:login counter at {LOGIN_BLOCK_AT} or more "
                                                   f"({len(keys):,} counters)", 0))
    return rows


# -- the reader -------------------------------------------------------------------------------------

# What each section sends: what a refusal names, and what an ACL user must be granted.
COMMANDS = {"info": ("INFO",), "slowlog": ("SLOWLOG",), "prefix": ("SCAN", "DBSIZE"),
            "queue": ("TYPE", "LLEN", "SCARD", "ZCARD"), "blocked": ("SCAN", "GET", "PTTL")}


async def _guarded(section: str, read: Callable[[], Awaitable[list[Row]]]) -> list[Row]:
    try:
        return await read()
    except redis.exceptions.ResponseError as exc:  # refused (ACL, renamed); a lost connection fails the view
        return [unavailable(section, COMMANDS[section], exc)]


async def read_redis_health(services: Services, system: str) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    client = services.redis
    if client is None:
        raise ConfigError(f"the {system} Redis health view needs Redis", "set redis_url under the rcmd target")
    found: list[Sample] = []

    async def info() -> list[Row]:
        return info_rows(await _read_info(client))

    async def slowlog() -> list[Row]:
        # Raw (no redis-py callback, which joins the words with spaces and loses where one ends).
        return slowlog_rows(await client.execute_command("SLOWLOG", "GET", SLOWLOG_ENTRIES))  # type: ignore[no-untyped-call, unused-ignore]

    async def prefixes() -> list[Row]:
        found.append(await scan_sample(client))
        return await prefix_rows(client, found[0])

    async def blocked() -> list[Row]:
        return await blocked_rows(client, found[0] if found else await scan_sample(client, calls=1))

    rows = [*await _guarded("info", info), *await _guarded("slowlog", slowlog), *await _guarded("prefix", prefixes),
            *await _guarded("queue", lambda: queue_rows(client)), *await _guarded("blocked", blocked)]
    return FIELDS, [(*r, seq) for seq, r in enumerate(rows)]


def unblock_ip(key: bytes, shown_value: bytes, profile: Profile) -> Plan:
    """Delete one rate:login counter, if it still holds the count shown (a count that grew means the attack
    goes on: look again). The audit row is committed to RCMD's log first, like any Redis action."""
    name, ip = bytes_text(key), bytes_text(key.removeprefix(LOGIN_PREFIX))
    details = {"key": name, "ip": ip, "attempts": bytes_text(shown_value)}
    return Plan(
        system="rcmd", title=f"Unblock IP {ip[:60]!r}", targets=(ip,),
        audit=audit("console.redis.unblock", "redis", [name], profile, details),
        redis=RedisStep(commands=(("DEL", key),), checks=(RedisCheck(key, "string", shown_value),)),
        failed_audit=audit("console.redis.unblock", "redis", [name], profile, details, result="error"),
    )


REDIS_HEALTH = ListSpec(
    key="redis-health", system="rcmd", title="RCMD Redis health",
    source=Snapshot(read=read_redis_health, redis=True, refresh_s=2.0),
    columns=(
        Column("section", "Section", K.ENUM, width=7),
        Column("item", "Item", width=20),
        Column("value", "Value", width=12),
        Column("detail", "Detail", width=None),
        Column("number", "Number", K.FLOAT, shown=False),
        Column("ttl", "TTL", K.DURATION, shown=False),
        Column("key", "Key", shown=False),
        Column("raw", "Raw value", shown=False),
        Column("seq", "Seq", K.INT, shown=False, internal=True),
    ),
    orderings=(Ordering("as read", ("seq",), descending=False), Ordering("number", ("number", "seq"))),
    filters=(
        FilterField("section", "section", K.ENUM, values=SECTIONS),
        FilterField("item", "item", help="an IP, a prefix, a queue key, an INFO field …"),
        FilterField("number", "number", K.FLOAT, help="the value as a number, e.g. number>=10"),
        FilterField("ttl", "ttl", K.DURATION, help="a blocked IP's time left, e.g. ttl<1m"),
    ),
    id_columns=("section", "item"),
    family="monitor",
    tab="redis",
)

VIEWS = (REDIS_HEALTH,)
