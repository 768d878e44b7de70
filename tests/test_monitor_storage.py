"""Storage and indexes against real servers: partitions under their parent, unused indexes (never a primary key),
cache hit ratios against the 95 % target, a missing audit partition found and created (audited, re-checked),
and the report's JSON."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from rcmd_tui.config import PgTarget, Profile, profile_to_toml
from rcmd_tui.data.actions.plan import Privilege, TargetChanged
from rcmd_tui.data.actions.run import role_holds, run
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.monitor.storage import KINDS, MONTHS_AHEAD, VIEWS, create_partition, month_after, partition_name
from tests.helpers import run_cli
from tests.monitor_sessions import view_rows

Row = dict[str, Any]


def _target(profile: Profile, system: str) -> PgTarget:
    target = profile.rcmd if system == "rcmd" else profile.ordersync
    assert target is not None
    return target


@contextmanager
def _session(profile: Profile, system: str) -> Iterator[psycopg.Connection[Any]]:
    """A session of the test's own, in the system's schema, that may write."""
    target = _target(profile, system)
    with psycopg.connect(target.dsn, autocommit=True, options=f"-c search_path={target.schema}") as conn:
        yield conn


async def _rows(services: Services, system: str) -> list[Row]:
    """The storage view of ``system`` in its default order (the tree), read once."""
    return await view_rows(services, next(v for v in VIEWS if v.system == system))


async def _eventually(services: Services, system: str, ready: Callable[[dict[str, Row]], bool]) -> dict[str, Row]:
    """The view's rows by name once ``ready`` holds (statistics reach the server's shared counters when the
    session that made them goes idle, so another session may see them a moment later)."""
    by_name: dict[str, Row] = {}
    for _ in range(50):
        by_name = {r["name"]: r for r in await _rows(services, system) if r["kind"] != "total"}
        if ready(by_name):
            return by_name
        await asyncio.sleep(0.1)
    raise AssertionError(f"never ready: {by_name}")


def _flush_stats(conn: psycopg.Connection[Any]) -> None:
    conn.execute("SELECT pg_stat_force_next_flush()")  # flushed before this call returns (PostgreSQL 15+)


def _month(profile: Profile, system: str, ahead: int) -> date:
    """The first day of the month ``ahead`` months from now, as the server counts months."""
    with _session(profile, system) as conn:
        row = conn.execute("SELECT (date_trunc('month', now()) + make_interval(months => %s))::date", (ahead,)).fetchone()
    assert row is not None
    month: date = row[0]
    return month


@pytest.mark.parametrize("system", ["rcmd", "ordersync"])
async def test_partitions_come_right_after_their_parent_in_month_order(services: Services, system: str) -> None:
    rows = await _rows(services, system)
    assert rows[0]["kind"] == "total" and [r["kind"] for r in rows].count("total") == 1
    assert {r["kind"] for r in rows} <= set(KINDS)
    names = [(r["kind"], r["name"]) for r in rows]
    start = names.index(("table", "audit_logs"))
    end = next(i for i in range(start + 1, len(rows)) if rows[i]["kind"] == "table")  # the next table after it
    block = rows[start + 1:end]
    parent_indexes = [r for r in block if r["kind"] == "index" and r["parent"] == "audit_logs"]
    partitions = [r for r in block if r["kind"] == "partition"]
    assert parent_indexes and block[:len(parent_indexes)] == parent_indexes  # its indexes first, then its partitions
    assert len(partitions) >= MONTHS_AHEAD + 1 and all(r["parent"] == "audit_logs" for r in partitions)
    assert [r["name"] for r in partitions] == sorted(r["name"] for r in partitions)
    assert not any(r["kind"] == "partition" for r in rows[:start] + rows[end:])
    # A partitioned table has no storage of its own: it adds up its partitions, and its indexes theirs.
    parent = rows[start]
    assert parent["total_bytes"] == sum(r["total_bytes"] for r in partitions) > 0
    assert parent["index_bytes"] == sum(r["total_bytes"] for r in block if r["kind"] == "index")
    assert parent["total_bytes"] == parent["table_bytes"] + parent["index_bytes"]
    total = rows[0]
    assert total["name"] == _target(services.profile, system).schema
    partitioned = {r["parent"] for r in partitions}
    assert total["total_bytes"] == sum(r["total_bytes"] for r in rows
                                       if r["kind"] in ("table", "partition") and r["name"] not in partitioned)


async def test_an_index_never_scanned_is_unused_and_a_primary_key_never_is(services: Services) -> None:
    with _session(services.profile, "rcmd") as conn:
        conn.execute("CREATE TABLE storage_probe (id int PRIMARY KEY, v int, w int)")
        conn.execute("CREATE INDEX storage_probe_v ON storage_probe (v)")
        conn.execute("CREATE INDEX storage_probe_w ON storage_probe (w)")
        conn.execute("INSERT INTO storage_probe SELECT g, g, g FROM generate_series(1, 2000) g")
        conn.execute("ANALYZE storage_probe")
        conn.execute("SET enable_seqscan = off")
        assert conn.execute("SELECT count(*) FROM storage_probe WHERE w = 7").fetchone() == (1,)
        _flush_stats(conn)
    rows = await _eventually(services, "rcmd", lambda r: (r.get("storage_probe_w") or {}).get("idx_scan", 0) > 0)
    never, used, key = rows["storage_probe_v"], rows["storage_probe_w"], rows["storage_probe_pkey"]
    assert (never["idx_scan"], never["unused"]) == (0, True)
    assert used["unused"] is False
    assert (key["idx_scan"], key["unused"]) == (0, False)  # a primary key enforces something, scanned or not
    assert never["parent"] == key["parent"] == "storage_probe" and never["total_bytes"] > 0
    assert rows["storage_probe"]["est_rows"] == 2000


async def test_cache_hit_ratio_is_marked_below_the_95_percent_target(services: Services) -> None:
    with _session(services.profile, "rcmd") as conn:
        conn.execute("CREATE TABLE storage_cold (id int, pad text)")
        conn.execute("CREATE TABLE storage_hot (id int, pad text)")
        conn.execute("CREATE TABLE storage_never (id int)")
        for table in ("storage_cold", "storage_hot"):
            conn.execute(f"INSERT INTO {table} SELECT g, repeat('x', 200) FROM generate_series(1, 3000) g")
        # VACUUM FULL writes the new file around shared buffers: the next read of it misses the cache.
        conn.execute("VACUUM FULL storage_cold")
        for table in ("storage_cold", "storage_hot"):
            conn.execute("SELECT pg_stat_reset_single_table_counters(%s::regclass)", (table,))
        conn.execute("SELECT count(*) FROM storage_cold")
        for _ in range(40):
            conn.execute("SELECT count(*) FROM storage_hot")
        _flush_stats(conn)
    rows = await _eventually(services, "rcmd", lambda r: all((r.get(t) or {}).get("cache_hit_pct") is not None
                                                             for t in ("storage_cold", "storage_hot")))
    cold, hot, never = rows["storage_cold"], rows["storage_hot"], rows["storage_never"]
    assert cold["cache_hit_pct"] < 95 and cold["below_target"] is True
    assert hot["cache_hit_pct"] >= 95 and hot["below_target"] is False
    assert never["cache_hit_pct"] is None and never["below_target"] is None  # never read: no ratio, no verdict
    total = (await _rows(services, "rcmd"))[0]
    assert total["kind"] == "total" and 0 <= total["cache_hit_pct"] <= 100
    assert total["below_target"] is (total["cache_hit_pct"] < 95)


def _audit_rows(profile: Profile, system: str, name: str) -> list[tuple[Any, ...]]:
    with _session(profile, system) as conn:
        if system == "rcmd":
            return conn.execute("SELECT action, resource_type, details FROM audit_logs WHERE resource_id = %s",
                                (name,)).fetchall()
        return conn.execute("SELECT action, resource_type, new_value_encrypted::jsonb FROM audit_logs WHERE resource_id = %s",
                            (name,)).fetchall()


@pytest.mark.parametrize("system", ["rcmd", "ordersync"])
async def test_a_missing_month_is_found_created_audited_and_not_created_twice(services: Services, system: str) -> None:
    month = _month(services.profile, system, 2)
    name = partition_name("audit_logs", month)
    with _session(services.profile, system) as conn:
        conn.execute(f"DROP TABLE {name}")
    rows = await _rows(services, system)
    missing = [r for r in rows if r["kind"] == "missing"]
    assert [(r["name"], r["parent"], r["month_start"]) for r in missing] == [(name, "audit_logs", month)]
    names = [r["name"] for r in rows if r["parent"] == "audit_logs" and r["kind"] in ("partition", "missing")]
    assert names == sorted(names) and partition_name("audit_logs", month_after(month)) in names  # in its place

    plan = create_partition(system, "audit_logs", month, services.profile)
    assert Privilege("audit_logs", "OWNER") in plan.privileges
    assert await role_holds(services.primary(system), plan.privileges)  # the suite's role owns the table
    await run(services, plan)

    after = {(r["kind"], r["name"]): r for r in await _rows(services, system)}
    assert ("partition", name) in after and not any(k == "missing" for k, _ in after)
    with _session(services.profile, system) as conn:
        bound = conn.execute("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = %s", (name,)).fetchone()
        assert bound is not None and f"FROM ('{month}" in bound[0] and f"TO ('{month_after(month)}" in bound[0]
        if system == "rcmd":  # a row of that month has somewhere to go now
            conn.execute("INSERT INTO audit_logs (action, created_at) VALUES ('probe', %s)", (month,))
        else:
            conn.execute("INSERT INTO audit_logs (action, resource_type, created_at, trace_id, success) "
                         "VALUES ('CONSOLE_ACTION', 'probe', %s, 'x', true)", (month,))
            # as the migration's ensure_audit_partitions() makes them
            assert conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{name}_trace_id_idx",)).fetchone() == (True,)
    audited = _audit_rows(services.profile, system, name)
    assert len(audited) == 1
    action, resource_type, details = audited[0]
    if system == "rcmd":
        assert action == "console.partition.create" and details["parent"] == "audit_logs"
    else:
        assert action == "CONSOLE_ACTION" and details["action"] == "console.partition.create"
    assert resource_type == "partition" and details["from"] == month.isoformat() and details["console_role"] == "admin"

    with pytest.raises(TargetChanged, match=f"the month has a partition now: {name}"):
        await run(services, create_partition(system, "audit_logs", month, services.profile))
    assert len(_audit_rows(services.profile, system, name)) == 1  # refused: nothing written, the audit row neither


async def test_a_detached_partition_counts_as_missing_and_is_not_overwritten(services: Services) -> None:
    month = _month(services.profile, "ordersync", 1)
    name = partition_name("audit_logs", month)
    with _session(services.profile, "ordersync") as conn:
        conn.execute(f"ALTER TABLE audit_logs DETACH PARTITION {name}")
    rows = {(r["kind"], r["name"]) for r in await _rows(services, "ordersync")}
    assert ("missing", name) in rows and ("table", name) in rows  # its bounds are gone; its name is still taken
    with pytest.raises(TargetChanged, match=f"{name} exists but is not attached to audit_logs"):
        await run(services, create_partition("ordersync", "audit_logs", month, services.profile))


def test_only_the_tables_owner_is_offered_a_new_partition(profile: Profile) -> None:
    owner = Privilege("audit_logs", "OWNER").query()
    with _session(profile, "rcmd") as conn:
        assert conn.execute(owner.query, owner.params).fetchone() == (True,)
        conn.execute("SET ROLE rcmd_tui_admin")  # may insert into the log, does not own it
        assert conn.execute(owner.query, owner.params).fetchone() == (False,)


def test_the_storage_report_is_typed_json(seeded: Profile, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(profile_to_toml(seeded), encoding="utf-8")
    env = {"RCMD_TUI_CONFIG": str(config)}
    done = run_cli(["report", "storage", "--format", "json"], env)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    spec = next(v for v in VIEWS if v.system == "rcmd")
    assert all(list(r) == [c.name for c in spec.columns if c.shown] for r in rows)
    assert rows[0]["kind"] == "total" and rows[0]["name"] == "rcmd" and isinstance(rows[0]["total_bytes"], int)
    partitions = [r for r in rows if r["kind"] == "partition"]
    assert len(partitions) >= 12  # the seed's year of audit months
    for r in rows:
        assert r["kind"] in KINDS
        assert all(r[f] is None or type(r[f]) is int for f in ("total_bytes", "table_bytes", "index_bytes", "est_rows", "idx_scan"))
        assert all(r[f] is None or isinstance(r[f], float | int) for f in ("cache_hit_pct", "dead_pct"))
        assert all(r[f] in (None, True, False) for f in ("below_target", "unused"))
    assert any(r["unused"] is True for r in rows) and all(r["unused"] is not True for r in rows if r["name"].endswith("_pkey"))
    table = run_cli(["report", "storage", "ordersync", "--limit", "3"], env)
    assert table.returncode == 0, table.stderr
    header, total = table.stdout.splitlines()[:2]
    assert header.split()[:3] == ["Kind", "Name", "Total"] and total.split()[:2] == ["total", "ordersync"]
    assert total.split()[3] in ("kB", "MB", "GB")  # sizes as people read them
