"""pgbench as the workload of the monitoring views (issue 12): on a database of its own on the suite's server,
a bounded `pgbench -c 2 -T 6` runs while the console's data layer reads its views. Its statements appear in
slow queries with the calls `pg_stat_statements` counts, and its sessions in activity as `pg_stat_activity`
lists them, each read directly just before and just after the view (so the view's figure lies between the
two); once pgbench has finished, the figures are equal."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from rcmd_tui.config import PgTarget, Profile
from rcmd_tui.data.infra import launcher
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.catalog import all_views
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.spec import ListSpec, Record
from rcmd_tui.errors import LauncherError
from tests.conftest import Cluster

# pgbench's built-in TPC-B-like script in simple query mode: pg_stat_statements stores it with $n for constants.
PGBENCH_STATEMENTS = (
    "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
    "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
    "UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2",
    "UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2",
    "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)",
)
RUN_S = 6
STATEMENTS_SQL = """
SELECT queryid, calls, rows, query FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query = ANY(%s)
"""
SESSIONS_SQL = """
SELECT pid, backend_start, usename, datname, application_name FROM pg_stat_activity
WHERE datname = current_database() AND application_name = 'pgbench' ORDER BY pid
"""

Key = tuple[Any, ...]


def _pgbench() -> Path:
    with contextlib.suppress(LauncherError):  # the server's own bin directory first, then PATH
        found = launcher.find_pg_bindir() / "pgbench"
        if found.exists():
            return found
    on_path = shutil.which("pgbench")
    if on_path is None:
        pytest.skip("pgbench is not installed (it comes with the PostgreSQL server package)")
    return Path(on_path)


@pytest.fixture
def pgbench_db(cluster: Cluster) -> Iterator[str]:
    """A database initialised by `pgbench -i -s 1`, with pg_stat_statements; its DSN. Dropped afterwards."""
    name = f"rcmd_tui_pgbench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(cluster.admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = cluster.dsn(name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            try:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                conn.execute("SELECT 1 FROM pg_stat_statements LIMIT 1")
            except psycopg.Error as exc:
                pytest.skip(f"pg_stat_statements is not available on this server: {exc}")
        subprocess.run([str(_pgbench()), "-i", "-q", "-s", "1", dsn], check=True, capture_output=True, timeout=60)
        yield dsn
    finally:
        with psycopg.connect(cluster.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _view(key: str) -> ListSpec:
    return next(v for v in all_views() if v.key == key and v.system == "rcmd")


async def _rows(services: Services, key: str) -> list[Record]:
    """Every row of the view, read as the console reads it (one snapshot, no filter)."""
    page = await open_source(_view(key), services, page_size=10_000).first()
    assert not page.more_after
    return list(page.records)


# By queryid alone: in this database only pgbench runs these statements, as one role, each at top level.
def _direct_calls(conn: psycopg.Connection[tuple[Any, ...]]) -> dict[int, tuple[int, int, str]]:
    rows = conn.execute(STATEMENTS_SQL, [list(PGBENCH_STATEMENTS)]).fetchall()
    found = {queryid: (calls, n, query) for queryid, calls, n, query in rows}
    assert len(found) == len(rows), "one row per statement"
    return found


def _viewed_calls(records: list[Record]) -> dict[int, tuple[int, int, str]]:
    return {r.get("queryid"): (r.get("calls"), r.get("rows"), r.get("query"))
            for r in records if r.get("query") in PGBENCH_STATEMENTS}


def _direct_sessions(conn: psycopg.Connection[tuple[Any, ...]]) -> list[Key]:
    return [tuple(row) for row in conn.execute(SESSIONS_SQL).fetchall()]


def _viewed_sessions(records: list[Record]) -> list[Key]:
    fields = ("pid", "backend_start", "usename", "datname", "application_name")
    return sorted(tuple(r.get(f) for f in fields) for r in records if r.get("application_name") == "pgbench")


@pytest.mark.slow
async def test_pgbench_statements_and_sessions_show_as_the_catalogue_has_them(pgbench_db: str) -> None:
    profile = Profile(name="pgbench", rcmd=PgTarget(dsn=pgbench_db, schema="public"), role="oncall")
    services = Services(profile)
    await services.open()
    load = subprocess.Popen([str(_pgbench()), "-n", "-c", "2", "-j", "2", "-T", str(RUN_S), pgbench_db],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with psycopg.connect(pgbench_db, autocommit=True) as direct:
            deadline = time.monotonic() + RUN_S
            while (len(_direct_sessions(direct)) < 2
                   or {q for _c, _n, q in _direct_calls(direct).values()} != set(PGBENCH_STATEMENTS)):
                assert time.monotonic() < deadline and load.poll() is None, "pgbench never got going"
                time.sleep(0.05)

            # While it runs: its two sessions, as pg_stat_activity has them before and after the view's read.
            before = _direct_sessions(direct)
            activity = await _rows(services, "activity")
            after = _direct_sessions(direct)
            assert load.poll() is None, "pgbench ended before activity was read: the run is too short for this machine"
            assert before == after and len(before) == 2
            assert _viewed_sessions(activity) == before
            assert not any(r.get("own") for r in activity if r.get("application_name") == "pgbench")
            assert any(r.get("own") for r in activity), "the console's own session is there, marked as its own"

            # While it runs: each of its statements, calls between the two direct reads, rows as the table has them.
            calls_before = _direct_calls(direct)
            statements = await _rows(services, "statements")
            calls_after = _direct_calls(direct)
            assert load.poll() is None, "pgbench ended before slow queries were read: the run is too short for this machine"
            viewed = _viewed_calls(statements)
            assert {q for _c, _n, q in viewed.values()} == set(PGBENCH_STATEMENTS)
            assert viewed.keys() == calls_after.keys()
            for key, (calls, rows, query) in viewed.items():
                low = calls_before.get(key, (0, 0, query))[0]
                high = calls_after[key][0]
                assert calls > 0 and low <= calls <= high, f"{query}: {low} <= {calls} <= {high}"
                if query.startswith(("UPDATE", "INSERT", "SELECT")):
                    assert rows == calls, f"{query}: one row per call"  # pgbench touches one row each time
            accounts = next(v for v in viewed.values() if v[2] == PGBENCH_STATEMENTS[0])
            assert accounts[0] > 10, "pgbench ran more than a handful of transactions"

        out, err = load.communicate(timeout=RUN_S + 30)
        assert load.returncode == 0, err.decode(errors="replace")

        # Finished: nothing changes any more, so the view and the catalogue agree exactly.
        with psycopg.connect(pgbench_db, autocommit=True) as direct:
            statements = await _rows(services, "statements")
            assert {k: v[0] for k, v in _viewed_calls(statements).items()} == {
                k: v[0] for k, v in _direct_calls(direct).items()}
            processed = re.search(rb"number of transactions actually processed: (\d+)", out)
            assert processed is not None, out.decode(errors="replace")
            transactions = int(processed[1])
            update = [v[0] for v in _viewed_calls(statements).values() if v[2] == PGBENCH_STATEMENTS[0]]
            assert sum(update) == transactions, "one UPDATE of pgbench_accounts per transaction pgbench reports"
            assert _viewed_sessions(await _rows(services, "activity")) == _direct_sessions(direct) == []
    finally:
        if load.poll() is None:
            load.kill()
        load.wait()
        await services.close()
