"""Connections against real sessions: three idle-in-transaction sessions are counted by state and by application
and listed among the longest, the limit rows add up to max_connections, and the report's JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg

from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.monitor.connections import FREE, GROUPS, IDLE_TX, IN_USE, VIEWS
from tests.helpers import run_cli
from tests.monitor_sessions import view_rows

Row = dict[str, Any]
APP = "idle-tx-test"  # only this test uses it: the counts below are the whole server's


async def _rows(services: Services, system: str) -> list[Row]:
    return await view_rows(services, next(v for v in VIEWS if v.system == system))


@contextmanager
def _idle_in_transaction(profile: Profile, count: int) -> Iterator[list[psycopg.Connection[Any]]]:
    """``count`` sessions that each began a transaction and then went quiet."""
    assert profile.rcmd is not None
    sessions = [psycopg.connect(profile.rcmd.dsn, application_name=APP) for _ in range(count)]
    try:
        for conn in sessions:
            conn.execute("SELECT 1")  # not autocommit: the transaction stays open, the session idle
        yield sessions
    finally:
        for conn in sessions:
            conn.close()


async def test_idle_in_transaction_sessions_are_counted_listed_and_the_limits_add_up(services: Services) -> None:
    with _idle_in_transaction(services.profile, 3) as sessions:
        pids = {s.info.backend_pid for s in sessions}
        time.sleep(0.2)  # old enough to have a measurable age
        for system in ("rcmd", "ordersync"):  # one server: the same sessions, seen from either target
            rows = await _rows(services, system)
            groups = [r["group"] for r in rows]
            assert groups == sorted(groups, key=GROUPS.index)  # limit, state, application, idle-tx
            by = {(r["group"], r["name"]): r for r in rows}

            app = by[("application", APP)]
            limit = by[("limit", "max_connections")]["connections"]
            assert app["connections"] == 3 and app["share"] == round(100 * 3 / limit, 1)
            assert app["longest"] >= timedelta(seconds=0.2)  # its oldest open transaction
            idle = by[("state", "idle in transaction")]
            assert idle["connections"] >= 3 and idle["longest"] >= timedelta(seconds=0.2)

            listed = [r for r in rows if r["group"] == "idle-tx"]
            assert len(listed) <= IDLE_TX
            assert [r["longest"] for r in listed] == sorted((r["longest"] for r in listed), reverse=True)
            ours = [r for r in listed if r["pid"] in pids]
            # Other tests' idle sessions may be older; only then may ours be left out.
            assert len(ours) == 3 or len(listed) == IDLE_TX
            for r in ours:
                assert r["name"] == f"{r['pid']} {r['usename']} {APP}" and r["application_name"] == APP
                assert r["longest"] >= r["idle"] >= timedelta(seconds=0.2) and r["connections"] == 1

            limits = {name: r["connections"] for (group, name), r in by.items() if group == "limit"}
            reserved = limits["superuser_reserved_connections"] + limits.get("reserved_connections", 0)
            assert limits[IN_USE] >= 4  # ours and the view's own
            assert limits[FREE] == max(limits["max_connections"] - reserved - limits[IN_USE], 0)
            if limits[FREE] > 0:
                assert reserved + limits[IN_USE] + limits[FREE] == limits["max_connections"]
            assert by[("limit", "max_connections")]["share"] == 100.0


def test_the_connections_report_is_typed_json(seeded: Profile, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(profile_to_toml(seeded), encoding="utf-8")
    done = run_cli(["report", "connections", "ordersync", "--format", "json"], {"RCMD_TUI_CONFIG": str(config)})
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    spec = next(v for v in VIEWS if v.system == "ordersync")
    assert all(list(r) == [c.name for c in spec.columns if c.shown] for r in rows)
    assert [r["name"] for r in rows[:2]] == ["max_connections", "superuser_reserved_connections"]
    for r in rows:
        assert r["group"] in GROUPS and type(r["connections"]) is int and isinstance(r["share"], float | int)
        assert r["longest"] is None or isinstance(r["longest"], float)  # seconds
    states = [r for r in rows if r["group"] == "state"]
    assert any(r["name"] == "active" for r in states)  # the report's own session
