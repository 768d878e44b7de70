"""The live jobs list (`:jobs`) under a flood of progress messages, and old jobs staying fast (issue 14).

Throwaway servers from the launcher; an ``rcmd`` database, migrated, holding 300,000 jobs (one INSERT ... SELECT
generate_series: 8 users, every type and status, created one every 210 s over two years, so each row's
Created time is its own). The newest jobs are ``running`` at 0%.

1. Live feed. The console runs in a 120x40 pseudo-terminal (rendered with pyte, as bench/monitor_bench.py
   does), opened on `:jobs`; once the status line says ``live``, the running jobs on screen are the targets.
   A publisher process (its own redis-py client, paced by a token bucket) sends ``{"jobId", "progress"}`` on
   ``pubsub:jobs`` to them round-robin, at ``--rate`` messages a second. The progress value encodes the time:
   1 + (deciseconds since the flood began) % 99, so a value repeats every 9.9 s and a lag under a second is
   unambiguous; the publisher logs when it sent each value to each job. Every ~100 ms the bench reads the
   screen, maps each row to its job by its Created time and reads the percentage shown; the row's lag is the
   read's time minus the time of the latest publish of that value to that job. The database keeps 0% for the
   targets, a value the flood never sends: a row showing 0% is the ten-second re-read's copy of the
   database, not yet patched by the feed; such reads are counted apart (what a real worker's database
   writes would show there is its own last write, not the bench's).
   CPU: utime + stime of the console's process tree over the window, as % of one core. Baselines in the
   same run: the same console on `:jobs` with no messages (idle, its ten-second re-read only), and the floor
   of reading the same flood: a bare redis-py subscriber (sync, one message at a time, JSON-decoded) and
   redis-cli, during a flood window of their own.
2. Old jobs stay fast. The jobs view's keyset source (rcmd_tui.data.lists.engine.open_source over
   RCMD_JOBS, with its enrichment: user names from PostgreSQL, locks from Redis) for the first page, the
   page 18 months deep (``at``), and the page after it (``after``), unfiltered and under ``status=failed``,
   ``user=<name>`` and ``type=sync``: each the median of several, beside the OFFSET query a naive list runs for
   the same rows (bare psycopg, no enrichment), as a ratio. Goal: deep costs about the top (within 2x).

Run: ``.venv/bin/python -m bench.jobs_bench [--seconds 30] [--rate 1000]``. It always exits 0: it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import dataclasses
import json
import multiprocessing
import multiprocessing.connection
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import redis
from psycopg import sql

from bench.monitor_bench import COLUMNS, LINES, PtyProgram, console_on, tree_cpu_seconds
from rcmd_tui.config import KeyringSettings, PgTarget, Profile
from rcmd_tui.data.crypto.keystore import DemoFileKeyring
from rcmd_tui.data.infra import launcher, migrate
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.filters import compile_filter
from rcmd_tui.data.lists.keyset import at_query, offset_query, page_query
from rcmd_tui.data.lists.sources import PAGE_SIZE, Page
from rcmd_tui.data.rcmd import bull
from rcmd_tui.data.rcmd.jobs import RCMD_JOBS

JOBS = 300_000
USERS = 8
SPACING_S = 210  # between two jobs' created_at: 300,000 of them span two years
RUNNING = 40  # the newest jobs, running: the first screen is full of them
DB_PROGRESS = 0  # what the database holds for them; the flood never sends it
CYCLE = 99  # the flood sends 1 + deciseconds % 99
TARGET_LAG_S = 1.0
TARGET_CPU_PCT = 50.0
SAMPLE_S = 0.1
SETTLE_S = 3.0  # the console on its screen (or the flood running) before a window starts
DEEP_DAYS = 548  # 18 months
REPEAT = 9
NAIVE_REPEAT = 5
TARGET_DEEP_RATIO = 2.0
ROW = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s.*?\s(\d{1,3})%")


# -- the data --------------------------------------------------------------------------------------------

def prepare(servers: launcher.Servers) -> None:
    with psycopg.connect(servers.pg.dsn(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE rcmd")
    with psycopg.connect(servers.pg.dsn("rcmd")) as conn:
        migrate.migrate(conn, "rcmd", "public", progress=None)
    with psycopg.connect(servers.pg.dsn("rcmd"), autocommit=True) as conn:
        conn.execute("INSERT INTO users (username, email, password_hash, role) "
                     "SELECT 'bench' || u, 'bench' || u || '@example.com', 'x', 'user' FROM generate_series(1, %s) u",
                     [USERS])
        # Job i (1 = newest) was created i * SPACING_S seconds before now, by user i % USERS; mostly completed.
        conn.execute(sql.SQL("""
            WITH u AS (SELECT array_agg(id ORDER BY username) AS ids FROM users),
            j AS (SELECT i, date_trunc('second', now()) - i * make_interval(secs => {spacing}) AS created,
                         CASE WHEN i % 20 = 0 THEN 'failed' WHEN i % 50 = 1 THEN 'cancelled'
                              WHEN i % 97 = 2 THEN 'pending' WHEN i % 89 = 3 THEN 'queued'
                              WHEN i % 83 = 4 THEN 'running' ELSE 'completed' END AS status
                  FROM generate_series(1, {jobs}) i)
            INSERT INTO jobs (user_id, type, status, priority, progress, payload, error, created_at, started_at,
                              completed_at, cancelled_at)
            SELECT u.ids[1 + j.i % {users}], (ARRAY['copy','move','delete','sync','backup'])[1 + (j.i / 7) % 5],
                   j.status, 1 + j.i % 10,
                   CASE j.status WHEN 'completed' THEN 100 WHEN 'pending' THEN 0 WHEN 'queued' THEN 0
                                 ELSE j.i % 100 END,
                   jsonb_build_object('source', 's3://bench/' || j.i),
                   CASE WHEN j.status = 'failed' THEN 'quota exceeded' END,
                   j.created, j.created + interval '5 s',
                   CASE WHEN j.status IN ('completed', 'failed') THEN j.created + interval '95 s' END,
                   CASE WHEN j.status = 'cancelled' THEN j.created + interval '30 s' END
            FROM j, u
        """).format(spacing=sql.Literal(SPACING_S), jobs=sql.Literal(JOBS), users=sql.Literal(USERS)))
        conn.execute("UPDATE jobs SET status = 'running', progress = %s, started_at = created_at + interval '5 s', "
                     "completed_at = NULL, cancelled_at = NULL, error = NULL "
                     "WHERE id IN (SELECT id FROM jobs ORDER BY created_at DESC, id DESC LIMIT %s)",
                     [DB_PROGRESS, RUNNING])
        conn.execute("VACUUM ANALYZE jobs")
        conn.execute("VACUUM ANALYZE users")


def newest_jobs(servers: launcher.Servers, n: int) -> dict[str, str]:
    """Created time as the console shows it (UTC, to the second) -> the job's id, for the newest ``n``."""
    with psycopg.connect(servers.pg.dsn("rcmd")) as conn:
        rows = conn.execute("SELECT created_at, id FROM jobs ORDER BY created_at DESC, id DESC LIMIT %s", [n]).fetchall()
    return {created.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"): str(job) for created, job in rows}


# -- the flood -------------------------------------------------------------------------------------------

def progress_at(elapsed: float) -> int:
    return 1 + int(elapsed * 10) % CYCLE


def publish(url: str, jobs: list[str], rate: float, start: float, seconds: float,
            out: multiprocessing.connection.Connection) -> None:
    """Send ``rate`` messages a second to ``jobs`` round-robin from monotonic ``start`` for ``seconds``; reply with
    (messages sent, seconds, per job the (time, value) of each send)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    client = redis.Redis.from_url(url)
    sent = 0
    log: list[list[tuple[float, int]]] = [[] for _ in jobs]
    while (now := time.monotonic()) < start:
        time.sleep(min(0.01, start - now))
    end = start + seconds
    while (now := time.monotonic()) < end:
        due = int((now - start) * rate) - sent  # the token bucket: what the rate allows by now, less what went
        if due <= 0:
            time.sleep(min(0.001, end - now))
            continue
        value = progress_at(now - start)
        pipe = client.pipeline(transaction=False)
        for k in range(sent, sent + min(due, 200)):
            at = k % len(jobs)
            pipe.publish(bull.CHANNEL, json.dumps({"jobId": jobs[at], "progress": value}))
            log[at].append((now, value))
        pipe.execute()
        sent += min(due, 200)
    out.send((sent, time.monotonic() - start, log))
    out.close()
    client.close()


class Flood:
    """The publisher process, started at once, flooding from ``start`` (monotonic) for ``seconds``."""

    def __init__(self, url: str, jobs: list[str], rate: float, start: float, seconds: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe(duplex=False)
        self.proc = context.Process(target=publish, args=(url, jobs, rate, start, seconds, child), daemon=True)
        self.proc.start()
        child.close()

    def result(self, limit: float = 30) -> tuple[int, float, list[list[tuple[float, int]]]]:
        if not self.pipe.poll(limit):
            raise RuntimeError("the publisher did not report")
        sent, seconds, log = self.pipe.recv()
        self.proc.join(5)
        return sent, seconds, log

    def stop(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)


def floor_subscriber(url: str) -> None:
    """Internal (``--floor-subscriber URL``): read ``pubsub:jobs`` with redis-py until SIGTERM; print the count."""
    count = 0
    stop = False

    def ended(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, ended)
    client = redis.Redis.from_url(url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    pubsub.subscribe(bull.CHANNEL)
    print("subscribed", flush=True)
    while not stop:
        message = pubsub.get_message(timeout=0.1)
        if message is not None and message.get("type") == "message":
            json.loads(message["data"])
            count += 1
    print(count, flush=True)


# -- the console -----------------------------------------------------------------------------------------

def console(servers: launcher.Servers, tmp: Path) -> PtyProgram:
    return console_on(servers.pg.dsn("rcmd"), servers.redis.url(), tmp, ":jobs", "RCMD jobs", "live", "running")


def read_rows(text: str, jobs: dict[str, str]) -> dict[str, int]:
    """The job id -> percentage shown, for every row of ``text`` whose Created time is one of ``jobs``."""
    shown = {}
    for line in text.splitlines():
        match = ROW.search(line)
        if match is not None and match.group(1) in jobs:
            shown[jobs[match.group(1)]] = int(match.group(2))
    return shown


@dataclasses.dataclass
class Live:
    rate: float = 0.0
    sent: int = 0
    targets: int = 0
    lags: list[float] = dataclasses.field(default_factory=list)
    reread_reads: int = 0  # row reads showing the database's value (the re-read, not yet patched)
    reread_screens: int = 0  # screen reads with any such row
    reread_longest: float = 0.0  # the longest a row can have shown it: from the read before to the read after
    unknown: int = 0  # row reads showing a value never sent to that job
    samples: int = 0
    cpu_pct: float = 0.0
    idle_cpu_pct: float = 0.0


def measure_live(servers: launcher.Servers, tmp: Path, window: float, rate: float) -> Live:
    jobs = newest_jobs(servers, RUNNING)
    program = console(servers, tmp)
    live = Live()
    flood: Flood | None = None
    try:
        program.pump(SETTLE_S)
        targets = read_rows(program.text(), jobs)
        if not targets:
            raise RuntimeError(f"no running job on screen:\n{program.text()}")
        ids = list(targets)
        live.targets = len(ids)
        # Idle: the same console, no message, over the same window.
        cpu, started = tree_cpu_seconds(program.proc.pid), time.monotonic()
        program.pump(window)
        live.idle_cpu_pct = 100 * (tree_cpu_seconds(program.proc.pid) - cpu) / (time.monotonic() - started)
        # The flood: SETTLE_S before the window, and on a little after it.
        start = time.monotonic() + 2.0
        flood = Flood(servers.redis.url(), ids, rate, start, SETTLE_S + window + 1.0)
        program.pump(start + SETTLE_S - time.monotonic())
        samples: list[tuple[float, dict[str, int]]] = []
        cpu, started = tree_cpu_seconds(program.proc.pid), time.monotonic()
        while (now := time.monotonic()) < started + window:
            program.pump(min(SAMPLE_S, started + window - now))
            samples.append((time.monotonic(), read_rows(program.text(), jobs)))
        live.cpu_pct = 100 * (tree_cpu_seconds(program.proc.pid) - cpu) / (time.monotonic() - started)
        if program.proc.poll() is not None:
            raise RuntimeError(f"the console exited during the window:\n{program.text()}")
        live.sent, seconds, log = flood.result()
        live.rate = live.sent / seconds
    finally:
        if flood is not None:
            flood.stop()
        program.stop()
    sent_at: dict[tuple[str, int], list[float]] = {}
    for job, sends in zip(ids, log, strict=True):
        for at, value in sends:
            sent_at.setdefault((job, value), []).append(at)
    showing_db: dict[str, float] = {}  # job -> the screen read before the first one showing the database's value
    live.samples = len(samples)
    previous = samples[0][0] if samples else 0.0
    for at, shown in samples:
        live.reread_screens += any(shown.get(job) == DB_PROGRESS for job in targets)
        for job, value in shown.items():
            if job not in targets:
                continue
            if value == DB_PROGRESS:
                live.reread_reads += 1
                showing_db.setdefault(job, previous)
                continue
            if job in showing_db:  # shown between those two reads at most
                live.reread_longest = max(live.reread_longest, at - showing_db.pop(job))
            times = sent_at.get((job, value), [])
            latest = bisect.bisect_right(times, at) - 1
            if latest < 0:
                live.unknown += 1
            else:
                live.lags.append(at - times[latest])
        previous = at
    return live


PY_FLOOR = "redis-py subscriber (sync, one message at a time, JSON-decoded)"
CLI_FLOOR = "redis-cli SUBSCRIBE (its output to a file)"


def measure_floor(servers: launcher.Servers, tmp: Path, window: float, rate: float,
                  jobs: list[str]) -> dict[str, tuple[float, int]]:
    """CPU (% of one core) of a bare redis-py subscriber and of redis-cli reading the same flood, each with the
    messages it read (over the whole flood, not only the window)."""
    url = servers.redis.url()
    readers: dict[str, subprocess.Popen[Any]] = {
        PY_FLOOR: subprocess.Popen([sys.executable, "-m", "bench.jobs_bench", "--floor-subscriber", url],
                                   stdout=subprocess.PIPE, text=True)}
    cli, cli_out = shutil.which("redis-cli"), tmp / "redis-cli.out"
    if cli is not None:
        with cli_out.open("wb") as out:
            # -a, not -u: redis-cli 7 reads the URL's empty user name as a user and fails to log in.
            readers[CLI_FLOOR] = subprocess.Popen(
                [cli, "-h", servers.redis.host, "-p", str(servers.redis.port), "-a", servers.redis.password,
                 "--no-auth-warning", "SUBSCRIBE", bull.CHANNEL], stdout=out, stderr=subprocess.STDOUT)
    flood: Flood | None = None
    py = readers[PY_FLOOR]
    assert py.stdout is not None
    try:
        py.stdout.readline()  # subscribed
        time.sleep(0.5)
        start = time.monotonic() + 1.0
        flood = Flood(url, jobs, rate, start, SETTLE_S + window + 1.0)
        time.sleep(max(0.0, start + SETTLE_S - time.monotonic()))
        before = {name: tree_cpu_seconds(p.pid) for name, p in readers.items()}
        started = time.monotonic()
        time.sleep(window)
        wall = time.monotonic() - started
        cpu = {name: 100 * (tree_cpu_seconds(p.pid) - before[name]) / wall for name, p in readers.items()}
        flood.result()
        time.sleep(0.5)  # the last messages read
    finally:
        if flood is not None:
            flood.stop()
        for p in readers.values():
            p.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(5)
            if p.poll() is None:
                p.kill()
                p.wait()
    lines = py.stdout.read().split()
    read = {PY_FLOOR: int(lines[-1]) if lines else 0}
    if cli is not None:
        read[CLI_FLOOR] = cli_out.read_bytes().split(b"\n").count(b"message")
    return {name: (cpu[name], read[name]) for name in readers}


# -- old jobs --------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Depth:
    name: str
    first: float
    deep: float
    after: float
    naive_first: float
    naive_deep: float
    naive_after: float
    depth: int  # rows before the deep page
    bare: tuple[float, float, float] = (0.0, 0.0, 0.0)  # the source's own queries (first, deep, after), psycopg alone


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def _timed(call: Any, repeat: int = REPEAT) -> tuple[float, Page]:
    samples, page = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        page = await call()
        samples.append(time.perf_counter() - started)
    assert page is not None
    return _median_ms(samples), page


def _naive_ms(conn: psycopg.Connection[Any], query: sql.Composed, params: list[Any]) -> float:
    samples = []
    for _ in range(NAIVE_REPEAT):
        started = time.perf_counter()
        conn.execute(query, params).fetchall()
        samples.append(time.perf_counter() - started)
    return _median_ms(samples)


async def _keyset(profile: Profile, filters: dict[str, str], moment: datetime) -> dict[str, tuple[float, float, float, Any]]:
    services = Services(profile, read_only=True)
    await services.open()
    try:
        out = {}
        for name, text in filters.items():
            source = open_source(RCMD_JOBS, services, None, compile_filter(RCMD_JOBS, text))
            await source.first()  # the pool's connections open, the plans are cached
            first, _ = await _timed(source.first)
            deep, page = await _timed(lambda s=source: s.at(moment))
            if not page.records:
                raise RuntimeError(f"{name}: no rows 18 months back")
            last = page.records[-1]
            after, _ = await _timed(lambda s=source, r=last: s.after(r))
            out[name] = (first, deep, after, last.sort_key)
        return out
    finally:
        await services.close()


def measure_depth(servers: launcher.Servers, tmp: Path) -> tuple[list[Depth], datetime]:
    profile = Profile(name="bench", rcmd=PgTarget(servers.pg.dsn("rcmd")), rcmd_redis_url=servers.redis.url(),
                      role="oncall",
                      keyring=KeyringSettings("rcmd-tui-bench", f"{DemoFileKeyring.__module__}.DemoFileKeyring",
                                              str(tmp / "keyring.cfg")))
    with psycopg.connect(servers.pg.dsn("rcmd"), autocommit=True) as conn:
        newest = conn.execute("SELECT max(created_at) FROM jobs").fetchone()[0]  # type: ignore[index]
        user = conn.execute("SELECT username FROM users ORDER BY username LIMIT 1").fetchone()[0]  # type: ignore[index]
    moment = newest - timedelta(days=DEEP_DAYS)
    filters = {"all jobs": "", "status=failed": "status=failed", f"user={user}": f"user={user}", "type=sync": "type=sync"}
    ours = asyncio.run(_keyset(profile, filters, moment))
    order = RCMD_JOBS.ordering()
    results = []
    with psycopg.connect(servers.pg.dsn("rcmd"), autocommit=True) as conn:
        for name, text in filters.items():
            flt = compile_filter(RCMD_JOBS, text)
            count = sql.SQL("SELECT count(*) FROM jobs WHERE {} AND created_at > %s").format(flt.where)
            depth = int(conn.execute(count, [*flt.params, moment]).fetchone()[0])  # type: ignore[index]
            first, deep, after, last = ours[name]
            bare = (_naive_ms(conn, *page_query(RCMD_JOBS, order, flt, None, PAGE_SIZE + 1)),
                    _naive_ms(conn, *at_query(RCMD_JOBS, order, flt, moment, PAGE_SIZE + 1)),
                    _naive_ms(conn, *page_query(RCMD_JOBS, order, flt, last, PAGE_SIZE + 1)))
            results.append(Depth(
                name, first, deep, after,
                _naive_ms(conn, *offset_query(RCMD_JOBS, order, flt, 0, PAGE_SIZE)),
                _naive_ms(conn, *offset_query(RCMD_JOBS, order, flt, depth, PAGE_SIZE)),
                _naive_ms(conn, *offset_query(RCMD_JOBS, order, flt, depth + PAGE_SIZE, PAGE_SIZE)),
                depth, bare))
    return results, moment


# -- output ----------------------------------------------------------------------------------------------

def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report_live(live: Live, floor: dict[str, tuple[float, int]], window: float, rate: float) -> None:
    print(f"live jobs list (`:jobs`, {COLUMNS}x{LINES} pty) under pubsub:jobs progress messages, {window:g} s window")
    print(f"  rate achieved: {live.rate:,.0f} msgs/s ({live.sent:,} sent; asked {rate:,.0f}), "
          f"round-robin to the {live.targets} running jobs on screen")
    if live.lags:
        median, p95, worst = statistics.median(live.lags), _pct(live.lags, 0.95), max(live.lags)
        print(f"  lag, read to the latest send of the value shown ({len(live.lags):,} row reads in {live.samples} "
              f"screen reads): median {median * 1000:,.0f} ms, p95 {p95 * 1000:,.0f} ms, max {worst * 1000:,.0f} ms "
              f"(goal under {TARGET_LAG_S * 1000:,.0f} ms)")
    else:
        print("  lag: NO ROW READ (no row of a target job on screen)")
    print(f"  rows showing the database's {DB_PROGRESS}% (the 10 s re-read, before the feed patched it again): "
          f"{live.reread_reads} row reads in {live.reread_screens} screen reads, each shown at most "
          f"{live.reread_longest * 1000:,.0f} ms (read before to read after); values never sent to that job: "
          f"{live.unknown}")
    print(f"  CPU of the console's process tree: {live.cpu_pct:.1f}% of one core (goal under {TARGET_CPU_PCT:g}%)")
    print(f"  baseline, the same console on `:jobs` with no message (idle, 10 s re-read): {live.idle_cpu_pct:.1f}% "
          f"-> flood / idle {live.cpu_pct / live.idle_cpu_pct:,.1f}x" if live.idle_cpu_pct > 0 else
          f"  baseline, the same console idle: {live.idle_cpu_pct:.1f}%")
    for name, (cpu, read) in floor.items():
        ratio = f"{live.cpu_pct / cpu:,.1f}x" if cpu > 0 else "its CPU rounds to 0"
        print(f"  floor, {name}, reading the same flood in a window of its own ({read:,} messages read): "
              f"{cpu:.1f}% -> console / it {ratio}")
    lag_ok = bool(live.lags) and max(live.lags) < TARGET_LAG_S
    print("  goals (issue 14):")
    print(f"    visible rows lag under 1 s (max): {_verdict(lag_ok)}"
          + ("" if not live.lags else f" (max {max(live.lags) * 1000:,.0f} ms)"))
    print(f"    console under half a core: {_verdict(live.cpu_pct < TARGET_CPU_PCT)} ({live.cpu_pct:.1f}%)")
    print(f"    at the asked rate: {_verdict(live.rate >= 0.95 * rate)} ({live.rate:,.0f} of {rate:,.0f} msgs/s)")


def report_depth(results: list[Depth], moment: datetime) -> None:
    print(f"old jobs: the jobs view's keyset source on {JOBS:,} jobs over two years (median of {REPEAT}, enrichment "
          f"included) beside the naive OFFSET query for the same rows (bare psycopg, median of {NAIVE_REPEAT})")
    print(f"  deep = the page at {moment:%Y-%m-%d %H:%M} UTC ({DEEP_DAYS} days back); after = the page after it")
    for d in results:
        print(f"  {d.name}:")
        for what, ours, bare, naive, offset in (("first page", d.first, d.bare[0], d.naive_first, 0),
                                                 ("18 months deep", d.deep, d.bare[1], d.naive_deep, d.depth),
                                                 ("the page after", d.after, d.bare[2], d.naive_after, d.depth + PAGE_SIZE)):
            print(f"    {what:<15} source {ours:5.1f} ms (its query alone {bare:5.1f} ms) | naive OFFSET {offset:>7,}: "
                  f"{naive:6.1f} ms = {naive / ours:5.1f}x the source, {naive / bare:6.1f}x its query")
    print("  goal (issue 14): deep pages cost about the top (within 2x):")
    for d in results:
        worst = max(d.deep, d.after) / d.first
        print(f"    {d.name:<14} deep / first {d.deep / d.first:.2f}x, after / first {d.after / d.first:.2f}x: "
              f"{_verdict(worst <= TARGET_DEEP_RATIO)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0, help="the measured window (each)")
    parser.add_argument("--rate", type=float, default=1000.0, help="progress messages a second")
    parser.add_argument("--only", choices=("live", "depth"), help="one part (while iterating)")
    parser.add_argument("--no-floor", action="store_true", help="leave out the bare subscribers' window")
    parser.add_argument("--floor-subscriber", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_subscriber:
        floor_subscriber(args.floor_subscriber)
        return
    print(f"jobs bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: seeding {JOBS:,} jobs in throwaway servers ...", flush=True)
    with launcher.running() as servers, tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        prepare(servers)
        print(f"  seeded in {time.monotonic() - started:.1f} s", flush=True)
        if args.only != "depth":
            live = measure_live(servers, Path(tmp), args.seconds, args.rate)
            floor = {} if args.no_floor else measure_floor(servers, Path(tmp), args.seconds, args.rate,
                                                           list(newest_jobs(servers, live.targets).values()))
            report_live(live, floor, args.seconds, args.rate)
        if args.only != "live":
            results, moment = measure_depth(servers, Path(tmp))
            report_depth(results, moment)


if __name__ == "__main__":
    main()
