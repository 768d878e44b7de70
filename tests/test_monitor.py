"""Activity, locks and slow queries against real sessions: a lock held in one session and waited on in another
shows as a pair, terminate (confirmed) ends the blocker and is audited, a recycled pid is refused."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.data.actions.plan import TargetChanged
from rcmd_tui.data.actions.run import run
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.catalog import find_view
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.snapshot import read_snapshot
from rcmd_tui.data.monitor.backend import ExplainError, explain, explainable, pretty
from rcmd_tui.data.monitor.backend_actions import Backend, signal_backends
from rcmd_tui.data.monitor.locks import blocking_tree
from rcmd_tui.data.monitor.statements import StatementsUnavailable
from rcmd_tui.screens.activity import ActivityScreen, BackendsScreen
from tests.helpers import open_console, run_cli, until_confirm
from tests.monitor_sessions import idle_in_transaction, lock_pair


def _audit(profile: Profile, action: str) -> list[tuple[str, dict[str, Any]]]:
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}") as conn:
        return [(r[0], r[1]) for r in conn.execute("SELECT resource_id, details FROM audit_logs WHERE action = %s ORDER BY id",
                                                   (action,))]


def _alive(profile: Profile, pid: int) -> bool:
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() == (1,)


async def test_the_locks_view_shows_the_pair_and_terminate_ends_the_blocker(profile: Profile) -> None:
    with lock_pair(profile) as pair:
        async with open_console(profile, "locks") as c:
            assert isinstance(c.screen, BackendsScreen)
            rows = [r.as_dict() for r in c.table.shown_records if r.get("section") == "blocking"]
            assert [(r["pid"], r["who"].strip()) for r in rows] == [(pair.blocker_pid, str(pair.blocker_pid)),
                                                                    (pair.waiter_pid, f"└ {pair.waiter_pid}")]
            assert rows[0]["waiters"] == 1 and rows[1]["relation"] == "users" and rows[1]["mode"] == "RowExclusiveLock"
            await c.settle()
            assert c.screen.actions_offered  # the suite's role is a superuser: it may signal
            c.table.move_cursor(row=0)
            await c.press("K")
            confirm = await until_confirm(c.pilot, c.app)
            shown = "\n".join(confirm.statements)
            assert "pg_terminate_backend" in shown and str(pair.blocker_pid) in shown and confirm.typed == "terminate 1"
            await c.press(*"terminate 1", "enter")
            await c.settle()
            assert pair.waiter_done.wait(10), f"the waiter still waits: the blocker was not terminated ({c.error()})"
            assert not pair.waiter_error  # it got its lock
            assert not _alive(profile, pair.blocker_pid)
    audit = _audit(profile, "console.backend.terminate")
    assert [a[0] for a in audit] == [str(pair.blocker_pid)]
    details = audit[0][1]
    assert details["backends"][0]["application"] == "mon-blocker" and details["os_user"] and details["db_user"]


async def test_a_recycled_pid_is_refused(services: Services, profile: Profile) -> None:
    with idle_in_transaction(profile, "mon-recycled") as pid:
        started = None
        assert profile.rcmd is not None
        with psycopg.connect(profile.rcmd.dsn) as conn:
            row = conn.execute("SELECT backend_start FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
            assert row is not None
            started = row[0]
        # The same pid, but another session's start: what a pid handed on to a new session looks like.
        plan = signal_backends("rcmd", [Backend(pid, started - timedelta(seconds=1))], True, profile)
        with pytest.raises(TargetChanged, match=f"pid {pid}"):
            await run(services, plan)
        assert _alive(profile, pid)
        assert _audit(profile, "console.backend.terminate") == []  # refused: not written either
        await run(services, signal_backends("rcmd", [Backend(pid, started)], False, profile))  # as shown: it runs
        assert _audit(profile, "console.backend.cancel")[0][0] == str(pid)


async def test_activity_hides_idle_and_own_sessions_until_the_filter_is_cleared(profile: Profile) -> None:
    with idle_in_transaction(profile, "mon-idletx") as pid:
        async with open_console(profile, "monitor") as c:
            assert isinstance(c.screen, ActivityScreen)
            assert c.screen.filter.text == "state!=idle own=no"
            rows = {r.get("pid"): r for r in c.table.window}
            assert pid in rows and rows[pid].get("state") == "idle in transaction"
            own = c.app.services.pools.backend_pids  # type: ignore[attr-defined]
            assert own and not own & set(rows)
            assert all(r.get("state") != "idle" for r in rows.values())
            await c.press("ctrl+l")
            await c.settle()
            everything = {r.get("pid") for r in c.table.window}
            assert own & everything  # the console's own sessions, once the filter is cleared
            await c.press("2")  # the family's second view: locks
            await c.settle()
            assert c.screen.spec.key == "locks"  # type: ignore[attr-defined]


async def test_the_tree_roots_blockers_and_survives_cycles() -> None:
    rows = [{"pid": 1, "blocked_by": []}, {"pid": 2, "blocked_by": [1]}, {"pid": 3, "blocked_by": [2, 1]},
            {"pid": 4, "blocked_by": [5]}, {"pid": 5, "blocked_by": [4]}]
    tree = blocking_tree(rows)
    assert [(r["who"], r["waiters"]) for r in tree] == [
        ("1", 3), ("└ 2", 1), ("  └ 3", None), ("└ 3", None), ("4", 1), ("└ 5", None)]
    assert [r["tree"] for r in tree] == sorted(r["tree"] for r in tree)


async def test_slow_queries_mark_the_threshold_and_explain_safely(services: Services, profile: Profile) -> None:
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}") as conn:
        for _ in range(2):
            conn.execute("SELECT 1 AS mon_slow_marker FROM pg_sleep(0.12)")
        conn.execute("SELECT 'x' AS mon_fast_marker WHERE 1 = 1")
    spec = find_view("statements", profile)
    names, rows = await read_snapshot(services, spec)
    found = [dict(zip(names, r, strict=True)) for r in rows]
    slow = next(r for r in found if "mon_slow_marker" in r["query"])
    fast = next(r for r in found if "mon_fast_marker" in r["query"])
    assert slow["calls"] == 2 and slow["slow"] is True and slow["mean_ms"] > 100
    assert fast["slow"] is False
    assert fast["query"] == "SELECT $1 AS mon_fast_marker WHERE $2 = $3"  # normalised: its constants are parameters
    with pytest.raises(ExplainError, match="parameters") as caught:  # PostgreSQL 15: no generic plan
        await explain(services, "rcmd", fast["query"])
    assert caught.value.asks_values
    lines = await explain(services, "rcmd", fast["query"], {1: "x", 2: "1", 3: "1"})
    assert lines and "Result" in lines[0]
    with pytest.raises(ExplainError, match="runs in database elsewhere"):  # never planned against the wrong tables
        await explain(services, "rcmd", "SELECT 1", database="elsewhere")
    with pytest.raises(ExplainError, match="2 statements"):
        explainable("SELECT 1; DROP TABLE users")
    with pytest.raises(ExplainError, match="no plan"):
        explainable("VACUUM users")
    assert pretty("select a,b from t where x=1").splitlines()[0] == "SELECT a,"


async def test_explain_analyze_is_rolled_back(services: Services, profile: Profile) -> None:
    lines = await explain(services, "rcmd", "UPDATE users SET role = 'admin' WHERE username = 'bob'", analyze=True)
    assert any("actual" in line for line in lines)
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}") as conn:
        assert conn.execute("SELECT role FROM users WHERE username = 'bob'").fetchone() == ("user",)
    audit = _audit(profile, "console.statement.explain_analyze")  # it ran the statement: audited first
    assert len(audit) == 1 and audit[0][1]["statement"].startswith("UPDATE users") and audit[0][1]["rolled_back"]


async def test_missing_pg_stat_statements_says_how_to_enable_it(services: Services, profile: Profile) -> None:
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn, autocommit=True) as conn:
        conn.execute("DROP EXTENSION pg_stat_statements")
    spec = find_view("statements", profile)
    with pytest.raises(StatementsUnavailable, match="not installed") as caught:
        await read_snapshot(services, spec)
    assert "shared_preload_libraries" in caught.value.hint and "CREATE EXTENSION pg_stat_statements" in caught.value.hint
    async with open_console(profile, "statements") as c:  # the panel says so; the other views still work
        assert "not installed" in c.error() and "CREATE EXTENSION" in c.error()
        await c.press("1")
        await c.settle()
        assert c.error() == "" and c.screen.spec.key == "activity"  # type: ignore[attr-defined]


async def test_a_role_without_pg_monitor_sees_activity_without_other_roles_statements(profile: Profile) -> None:
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS mon_plain")
        conn.execute("CREATE ROLE mon_plain LOGIN PASSWORD 'pw'")
        conn.execute(f"GRANT USAGE ON SCHEMA {profile.rcmd.schema} TO mon_plain")
    dsn = make_conninfo(profile.rcmd.dsn, user="mon_plain", password="pw")
    try:
        with idle_in_transaction(profile, "mon-hidden"):
            plain = replace(profile, rcmd=replace(profile.rcmd, dsn=dsn))
            services = Services(plain)
            await services.open()
            try:
                names, rows = await read_snapshot(services, find_view("activity", plain))
                found = [dict(zip(names, r, strict=True)) for r in rows]
                hidden = next(r for r in found if r["application_name"] == "mon-hidden")
                assert hidden["query"] == "<insufficient privilege>"
                source = open_source(find_view("activity", plain), services)
                await source.first()
                assert "withheld from this role: grant it pg_monitor" in source.note
            finally:
                await services.close()
    finally:
        with psycopg.connect(profile.rcmd.dsn, autocommit=True) as conn:
            conn.execute(f"REVOKE USAGE ON SCHEMA {profile.rcmd.schema} FROM mon_plain")
            conn.execute("DROP ROLE mon_plain")


@pytest.mark.parametrize("view", ["activity", "locks", "statements"])
def test_reports_run_headless_as_json(profile: Profile, view: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(profile_to_toml(profile), encoding="utf-8")
    with idle_in_transaction(profile, "mon-report"):
        done = run_cli(["report", view, "--format", "json", "--limit", "0"], {"RCMD_TUI_CONFIG": str(config)})
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert isinstance(rows, list)
    fields = {"activity": {"pid", "application_name", "state", "wait", "xact_age", "query_age", "query_line"},
              "locks": {"section", "who", "waiters", "mode", "relation", "waiting_for", "xact_age", "query_line"},
              "statements": {"slow", "calls", "total_ms", "mean_ms", "max_ms", "hit_pct", "query_line"}}[view]
    assert rows and all(fields <= set(r) for r in rows)
    if view == "activity":
        mine = next(r for r in rows if r["application_name"] == "mon-report")
        assert isinstance(mine["pid"], int) and isinstance(mine["xact_age"], float) and mine["state"] == "idle in transaction"


def test_each_systems_activity_and_locks_list_its_own_database_only(profile: Profile, fresh_db: str, tmp_path: Path) -> None:
    # Two databases on one server, as in the demo: OrderSync's list must not offer RCMD's sessions to cancel.
    assert profile.ordersync is not None
    split = replace(profile, ordersync=replace(profile.ordersync, dsn=fresh_db))
    config = tmp_path / "config.toml"
    config.write_text(profile_to_toml(split), encoding="utf-8")
    with idle_in_transaction(profile, "mon-whose-rcmd") as on_rcmd, \
            psycopg.connect(fresh_db, application_name="mon-whose-os", autocommit=True) as other:
        other.execute("BEGIN")
        other.execute("SELECT 1")
        seen = {}
        for view in ("activity", "locks"):  # locks: the oldest open transactions
            for system in ("rcmd", "ordersync"):
                done = run_cli(["report", view, system, "--format", "json", "--limit", "0", "--filter", ""],
                               {"RCMD_TUI_CONFIG": str(config)})
                assert done.returncode == 0, done.stderr
                seen[view, system] = {int(str(r["pid" if view == "activity" else "who"]).strip("└ ")) for r in json.loads(done.stdout)}
        on_os = other.info.backend_pid
    for view in ("activity", "locks"):
        assert on_rcmd in seen[view, "rcmd"] and on_os not in seen[view, "rcmd"], view
        assert on_os in seen[view, "ordersync"] and on_rcmd not in seen[view, "ordersync"], view


async def test_a_cancel_on_ordersync_is_a_console_action_in_its_own_log(services: Services, profile: Profile) -> None:
    with idle_in_transaction(profile, "mon-os") as pid:
        assert profile.ordersync is not None
        with psycopg.connect(profile.ordersync.dsn) as conn:
            row = conn.execute("SELECT backend_start FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        assert row is not None
        await run(services, signal_backends("ordersync", [Backend(pid, row[0], "postgres", "mon-os")], False, profile))
    with psycopg.connect(profile.ordersync.dsn, options=f"-c search_path={profile.ordersync.schema}") as conn:
        found = conn.execute("SELECT action, resource_id, new_value_encrypted::jsonb, new_value_key_id FROM audit_logs "
                             "WHERE resource_type = 'backend'").fetchall()
    assert [(f[0], f[1], f[3]) for f in found] == [("CONSOLE_ACTION", str(pid), "plain:console")]
    assert found[0][2]["action"] == "console.backend.cancel" and found[0][2]["db_user"]


def test_report_watch_repeats_until_interrupted(profile: Profile, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import threading

    config = tmp_path / "config.toml"
    config.write_text(profile_to_toml(profile), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RCMD_TUI_", "PG"))} | {"RCMD_TUI_CONFIG": str(config)}
    proc = subprocess.Popen([sys.executable, "-m", "rcmd_tui", "report", "activity", "--watch", "0.3", "--filter", ""],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    stuck = threading.Timer(60, proc.kill)  # a console that never prints must not hang the suite
    stuck.start()
    assert proc.stdout is not None
    seen = []
    while sum(line.startswith("Pid") for line in seen) < 3 and (line := proc.stdout.readline()):
        seen.append(line)  # interrupted only once it has run three times, however slow its start on a busy machine
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=20)
    stuck.cancel()
    out = "".join(seen) + rest
    assert proc.returncode == 0, err
    assert out.count("Every 0.3s: rcmd-tui report activity rcmd") >= 3, out
    assert "\x1b[2J" not in out  # not a terminal: runs one after another, never cleared
    # Each run whole, with its heading row (the one the interrupt came into may have printed its heading only).
    assert out.count("Every 0.3s") - 1 <= out.count("Pid") <= out.count("Every 0.3s")


async def test_a_refresh_keeps_the_cursor_on_the_row_it_is_on_when_the_rows_arrive(profile: Profile) -> None:
    with idle_in_transaction(profile, "mon-cur-a"), idle_in_transaction(profile, "mon-cur-b"), \
            idle_in_transaction(profile, "mon-cur-c"):
        async with open_console(profile, "monitor") as c:
            await c.press("p", "slash", "ctrl+u", *"app~mon-cur", "enter")
            await c.settle()
            assert len(c.table.shown_records) == 3
            target = c.table.shown_records[2].identity(c.table.spec)
            c.table.reread()  # a refresh is under way …
            c.table.move_cursor(row=2)  # … while the person moves
            await c.settle()
            current = c.table.current()
            assert current is not None and current.identity(c.table.spec) == target


async def test_sorting_a_paused_view_keeps_its_moment_and_gone_rows_lose_their_marks(profile: Profile) -> None:
    with idle_in_transaction(profile, "mon-keep-a") as kept, contextlib.ExitStack() as later:
        gone = later.enter_context(idle_in_transaction(profile, "mon-keep-b"))
        async with open_console(profile, "monitor") as c:
            await c.press("p", "slash", "ctrl+u", *"app~mon-keep", "enter")
            await c.settle()
            read_at = c.screen.source.read_at  # type: ignore[attr-defined]
            assert "paused at" in str(c.screen.status_line.text)  # type: ignore[attr-defined]
            await c.press("s")  # by the cursor's column
            await c.settle()
            assert c.screen.source.read_at == read_at  # type: ignore[attr-defined]  # sorted, not read again
            for record in list(c.table.window):
                c.table.marked[record.identity(c.table.spec)] = record
            assert {r.get("pid") for r in c.table.marked.values()} == {kept, gone}
            later.close()  # mon-keep-b ends: the next read drops its mark, and only its
            for _ in range(50):
                if not _alive(profile, gone):
                    break
                await asyncio.sleep(0.05)
            await c.press("r")
            await c.settle()
            assert [r.get("pid") for r in c.table.marked.values()] == [kept]
