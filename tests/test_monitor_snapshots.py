"""What the monitoring views look like at 80x24: activity, locks and slow queries, on real sessions.

The rows are read from the server; then what differs from run to run (pids, times, durations, timings, the
trends' samples) is replaced by fixed values and the rows drawn again, so an image changes only when the
layout does. Update after a deliberate change: pytest --snapshot-update.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from textual.pilot import Pilot

from rcmd_tui.app import make_app
from rcmd_tui.config import Profile
from rcmd_tui.data.lists.spec import Record
from rcmd_tui.widgets.paged_table import PagedTable
from rcmd_tui.widgets.trends import Trends
from tests.monitor_sessions import idle_in_transaction, lock_pair
from tests.test_snapshots import _open, _profile, _steady

FIXED_TIME = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def _fixed(record: Record, pids: dict[int, int]) -> Record:
    values = record.as_dict()
    pid = values.get("pid")
    if isinstance(pid, int):
        values["pid"] = pids.setdefault(pid, 1001 + len(pids))
    fixed: dict[str, Any] = {
        "backend_start": FIXED_TIME, "xact_start": FIXED_TIME, "query_start": FIXED_TIME, "query_id": 42, "queryid": 42,
        "xact_age": timedelta(seconds=12), "query_age": timedelta(seconds=7), "waiting_for": timedelta(seconds=5),
        "total_ms": 250.5, "mean_ms": 125.25, "max_ms": 130.0, "stddev_ms": 5.0, "hit_pct": 100.0,
        "shared_blks_hit": 10, "shared_blks_read": 0,
    }
    for name, value in fixed.items():
        if name in values and values[name] is not None:
            values[name] = value
    if values.get("blocked_by"):
        values["blocked_by"] = [pids.setdefault(p, 1001 + len(pids)) for p in values["blocked_by"]]
    if "who" in values and isinstance(pid, int):
        values["who"] = str(values["who"]).replace(str(pid), str(values["pid"]))
    return Record(tuple(values[n] for n in record.names), record.names, record.sort_key, record.positions)


async def _steady_fixed(pilot: Pilot[Any]) -> None:
    await _steady(pilot)
    table = pilot.app.screen.query_one(PagedTable)
    pids: dict[int, int] = {}
    table.window = [_fixed(r, pids) for r in sorted(table.window, key=lambda r: str(r.get(r.names[0])))]
    table.forget_rendering()
    table.redraw()
    screen = pilot.app.screen
    screen.source.read_at = FIXED_TIME.timestamp()  # type: ignore[attr-defined]  # "paused at …" in the status
    screen.update_status()  # type: ignore[attr-defined]
    for trends in pilot.app.screen.query(Trends):
        s = trends.samples
        for series, values in ((s.tps, [3, 5, 8, 13, 9, 4]), (s.connections, [4, 5, 5, 6, 6, 5]), (s.hit, [99.5, 99.1, 98.7]),
                               (s.ops, [10, 40, 20, 30]), (s.memory, [1_200_000, 1_250_000, 1_300_000])):
            series.values.clear()
            series.values.extend(values)
        trends.refresh()
    await pilot.pause(0.2)


def _run(profile: Profile, screen: str, filter_text: str) -> Any:
    async def before(pilot: Pilot[Any]) -> None:
        pilot.app.services.where = lambda _target: "127.0.0.1:5432/demo"  # type: ignore[attr-defined]
        await _open(pilot, screen)
        await pilot.press("p")  # paused: the rows stay as read
        await pilot.press("slash", "ctrl+u", *filter_text, "enter")
        await _steady_fixed(pilot)

    return before


@pytest.mark.parametrize("screen", ["monitor", "locks"])
def test_activity_and_locks(snap_compare: Any, profile: Profile, screen: str) -> None:
    with lock_pair(profile, prefix="snap"), idle_in_transaction(profile, "snap-idle"):
        assert snap_compare(make_app(_profile(profile)), terminal_size=(80, 24),
                            run_before=_run(profile, screen, "app~snap"))


def test_slow_queries(snap_compare: Any, profile: Profile) -> None:
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn) as conn:
        for _ in range(2):
            conn.execute("SELECT 1 AS snap_marker FROM pg_sleep(0.11)")
    assert snap_compare(make_app(replace(_profile(profile))), terminal_size=(80, 24),
                        run_before=_run(profile, "statements", "query~snap_marker"))
