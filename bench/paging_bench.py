"""Paging the RCMD audit log (5 million rows at the large scale) in the console, headless.

For each step a person takes, the time from the key press to the rows being in the table (median of
several), printed beside the same query run bare with psycopg (the floor: what the database alone costs)
and the OFFSET way a naive list would fetch the same rows (with the exact count such lists show):

- first page:   `r` on the audit list                 naive: LIMIT 100 OFFSET 0, plus count(*)
- next page:    `]` deep in the list (page ~50)        naive: LIMIT 100 OFFSET <rows before it>
- jump 6 months back: `t`, a date, Enter               naive: LIMIT 100 OFFSET <rows newer than it>
- one user:     `/user=<id>` Enter                     naive: LIMIT 100 OFFSET 0 with the filter, plus count(*)

Then resident memory after paging through 1,000 pages, beside a process that loads the same rows
(100,000) into memory the naive way, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from rcmd_tui.app import RcmdApp, make_app
from rcmd_tui.config import Profile
from rcmd_tui.data.infra.connections import connect
from rcmd_tui.data.lists.filters import compile_filter
from rcmd_tui.data.lists.keyset import at_query, offset_query, page_query
from rcmd_tui.data.rcmd.views import RCMD_AUDIT
from rcmd_tui.widgets.paged_table import PagedTable

REPEAT = 9
VERBOSE = False
SETTLE_S = 0.1  # a person's key press never comes within a frame of the previous one
TARGET_GAP_MS = 20.0  # key to paint may cost at most this much more than the bare query


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _timed_query(conn: psycopg.Connection[Any], query: sql.Composed, params: list[Any], repeat: int = REPEAT) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        conn.execute(query, params).fetchall()
        samples.append(time.perf_counter() - started)
    return _median_ms(samples)


async def until_shown(table: PagedTable, before: int, started: float, limit_s: float = 30) -> float:
    """Wait for the rows to be painted; the time of the first paint after ``started``."""
    deadline = time.perf_counter() + limit_s
    while table.shown_count == before:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no rows painted within {limit_s:g} s (is the list at its end?)")
        await asyncio.sleep(0.0005)
    return min(t for t in table.paints if t >= started) - started


async def _measure(press: Callable[[], Awaitable[None]], table: PagedTable, prepare: Callable[[], Awaitable[None]] | None = None,
                   repeat: int = REPEAT) -> float:
    samples = []
    for _ in range(repeat):
        if prepare is not None:
            await prepare()
        await asyncio.sleep(SETTLE_S)  # the press comes to an idle screen, as a person's does
        before = table.shown_count
        started = time.perf_counter()
        await press()
        samples.append(await until_shown(table, before, started))
    if VERBOSE:
        print("  samples (ms):", " ".join(f"{s * 1000:.1f}" for s in samples))
    return _median_ms(samples)


def _line(name: str, ours: float, floor: float, naive: float, naive_what: str) -> str:
    gap = ours - floor
    verdict = "ok" if gap <= TARGET_GAP_MS else f"OVER {TARGET_GAP_MS:.0f} ms"
    return (f"{name:<20} key to paint {ours:6.1f} ms | same query, psycopg alone {floor:6.1f} ms | difference {gap:5.1f} ms "
            f"[{verdict}] | naive {naive_what}: {naive:8.1f} ms = {naive / ours:,.1f}x our whole key press")


async def _console(profile: Profile, user: str, moment: datetime, pages: int, total: int) -> tuple[dict[str, float], float, float]:
    table_pages = total // 100
    app: RcmdApp = make_app(profile, read_only=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"audit", "enter")
        table = app.screen.query_one(PagedTable)
        while table.shown_count == 0:
            await pilot.pause(0.01)
        results: dict[str, float] = {}
        results["first page"] = await _measure(lambda: pilot.press("r"), table)
        for _ in range(min(50, max(0, table_pages - REPEAT - 2))):  # deep into the list before timing next page
            before = table.shown_count
            await pilot.press("right_square_bracket")
            await until_shown(table, before, 0)
        results["next page"] = await _measure(lambda: pilot.press("right_square_bracket"), table)

        async def open_jump() -> None:
            await pilot.press("t")
            await pilot.pause()
            await pilot.press(*moment.strftime("%Y-%m-%d %H:%M"))

        results["jump 6 months back"] = await _measure(lambda: pilot.press("enter"), table, open_jump)

        async def open_filter() -> None:
            before = table.shown_count
            await pilot.press("ctrl+l")  # the unfiltered list first, so every run filters anew
            await until_shown(table, before, 0)
            await pilot.press("slash", "ctrl+u", *f"user={user}")

        results["filter on one user"] = await _measure(lambda: pilot.press("enter"), table, open_filter)
        before = table.shown_count
        await pilot.press("ctrl+l")
        await until_shown(table, before, 0)
        started = time.perf_counter()
        for _ in range(pages):
            before = table.shown_count
            # At the end of a small table, start again from the top: the bench ends on any data size.
            await pilot.press("right_square_bracket" if table.more_after else "g")
            await until_shown(table, before, 0)
        paging_s = time.perf_counter() - started
        return results, rss_mb(), paging_s


def naive_rss(profile: Profile, rows: int) -> float:
    """The naive list: every row of the view fetched and kept (what 'load everything' costs in memory)."""
    assert profile.rcmd is not None
    from rich.text import Text

    with connect("rcmd", profile.rcmd, profile.timeouts) as conn:
        query, params = page_query(RCMD_AUDIT, RCMD_AUDIT.ordering(), compile_filter(RCMD_AUDIT, ""), None, rows)
        data = conn.execute(query, params).fetchall()
        cells = [[Text(str(v)) for v in row] for row in data]  # what a table holds for them
    assert len(cells) == rows
    return rss_mb()


def run(profile: Profile, pages: int = 1000) -> None:
    assert profile.rcmd is not None
    # The bench's own session: ANALYZE of 5 million rows and the naive OFFSET scans outlast the console's timeout.
    with connect("rcmd", profile.rcmd, dataclasses.replace(profile.timeouts, statement_ms=0)) as conn:
        conn.execute("ANALYZE audit_logs")
        user = str(conn.execute("SELECT user_id FROM audit_logs WHERE user_id IS NOT NULL LIMIT 1").fetchone()[0])  # type: ignore[index]
        newest = conn.execute("SELECT max(created_at) FROM audit_logs").fetchone()[0]  # type: ignore[index]
        moment = (newest or datetime.now(UTC)) - timedelta(days=182)
        total = conn.execute("SELECT count(*) FROM audit_logs").fetchone()[0]  # type: ignore[index]
        newer = conn.execute("SELECT count(*) FROM audit_logs WHERE created_at > %s", [moment]).fetchone()[0]  # type: ignore[index]
        print(f"RCMD audit log: {total:,} rows; 6 months back ({moment:%Y-%m-%d}) has {newer:,} newer rows")
        spec, order = RCMD_AUDIT, RCMD_AUDIT.ordering()
        everything = compile_filter(spec, "")
        one_user = compile_filter(spec, f"user={user}")
        count_all = sql.SQL("SELECT count(*) FROM audit_logs")
        count_user = sql.SQL("SELECT count(*) FROM audit_logs WHERE user_id = %s")
        first_q = page_query(spec, order, everything, None, 101)
        floor = {"first page": _timed_query(conn, *first_q)}
        naive = {"first page": _timed_query(conn, *offset_query(spec, order, everything, 0, 100)) + _timed_query(conn, count_all, [], 3)}
        deep = conn.execute(sql.SQL("SELECT created_at, id FROM audit_logs ORDER BY created_at DESC, id DESC OFFSET 5100 LIMIT 1")
                            ).fetchone()
        floor["next page"] = _timed_query(conn, *page_query(spec, order, everything, deep, 101))
        naive["next page"] = _timed_query(conn, *offset_query(spec, order, everything, 5100, 100))
        floor["jump 6 months back"] = _timed_query(conn, *at_query(spec, order, everything, moment, 101))
        naive["jump 6 months back"] = _timed_query(conn, *offset_query(spec, order, everything, newer, 100), 3)
        floor["filter on one user"] = _timed_query(conn, *page_query(spec, order, one_user, None, 101))
        naive["filter on one user"] = (_timed_query(conn, *offset_query(spec, order, one_user, 0, 100))
                                       + _timed_query(conn, count_user, [user], 3))
    ours, rss_after, paging_s = asyncio.run(_console(profile, user, moment, pages, total))
    what = {"first page": "OFFSET 0 + count(*)", "next page": "OFFSET 5,100", "jump 6 months back": f"OFFSET {newer:,}",
            "filter on one user": "OFFSET 0 + count(*)"}
    for name in ours:
        print(_line(name, ours[name], floor[name], naive[name], what[name]))
    baseline = subprocess.run([sys.executable, "-m", "bench.paging_bench", "--naive-rss", str(pages * 100)], capture_output=True, text=True,
                              check=True, env={"RCMD_TUI_BENCH_PROFILE": _profile_toml(profile)} | _env())
    naive_mb = float(baseline.stdout.strip().splitlines()[-1])
    verdict = "ok" if rss_after < 200 else "OVER 200 MB"
    print(f"memory after {pages:,} pages ({paging_s:.0f} s of paging): console {rss_after:.0f} MB RSS"
          f" | naive ({pages * 100:,} rows loaded) "
          f"{naive_mb:.0f} MB -> {naive_mb / rss_after:.1f}x less  [{verdict}]")


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "RCMD_TUI_BENCH_PROFILE"}


def _profile_toml(profile: Profile) -> str:
    from rcmd_tui.config import profile_to_toml

    return profile_to_toml(profile)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--naive-rss", type=int, help="internal: load this many rows the naive way and print RSS in MB")
    parser.add_argument("--scale", default="large", help="demo data scale (small for a quick check)")
    parser.add_argument("--pages", type=int, default=1000, help="pages to go through before reading memory")
    parser.add_argument("--samples", action="store_true", help="print every sample, not only the median")
    args = parser.parse_args()
    global VERBOSE  # noqa: PLW0603 - a switch for this script's own output
    VERBOSE = args.samples
    if args.naive_rss:
        import os
        import tempfile
        from pathlib import Path

        from rcmd_tui.config import load_profile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "config.toml"
            path.write_text(os.environ["RCMD_TUI_BENCH_PROFILE"], encoding="utf-8")
            profile = load_profile(path, env={})
        print(f"{naive_rss(profile, args.naive_rss):.1f}")
        return
    from bench.seed_bench import large_servers

    with large_servers(systems=("rcmd",), scale=args.scale) as profile:
        run(profile, args.pages)


if __name__ == "__main__":
    main()
