"""The launcher the demo and the suite share: free ports, real servers, nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import redis

from rcmd_tui.data.infra import launcher
from rcmd_tui.errors import LauncherError
from tests.terminal import command_in_terminal


def test_start_serves_both_and_stop_removes_everything() -> None:
    servers = launcher.start(prefix="rcmd-tui-launcher-test-")
    pids = [p.pid for p in servers.processes]
    try:
        assert servers.pg.port != servers.redis.port
        with psycopg.connect(servers.pg.dsn()) as conn:
            assert conn.execute("SHOW shared_preload_libraries").fetchone() == ("pg_stat_statements",)
            owner = conn.execute("SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database LIMIT 1").fetchone()
            assert owner == ("postgres",)
        assert redis.Redis.from_url(servers.redis.url()).ping()
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis.Redis(port=servers.redis.port, password="wrong").ping()
        assert (servers.root / "owner.pid").read_text() == str(os.getpid())
    finally:
        servers.stop()
    assert not servers.root.exists()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def test_servers_die_with_a_killed_owner_and_the_next_start_sweeps_its_directory(tmp_path: Path) -> None:
    script = tmp_path / "owner.py"
    script.write_text(
        "import sys, time\nfrom rcmd_tui.data.infra import launcher\n"
        "s = launcher.start(prefix='rcmd-tui-orphan-test-')\n"
        "print(s.root, *(p.pid for p in s.processes), flush=True)\ntime.sleep(60)\n")
    owner = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    root, *pids = owner.stdout.readline().split()
    owner.kill()
    owner.wait()
    for pid in pids:
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert not Path(f"/proc/{pid}").exists(), "server outlived its killed owner"
    assert Path(root).exists()
    assert Path(root) in launcher.sweep_stale("rcmd-tui-orphan-test-")
    assert not Path(root).exists()


def test_missing_binaries_say_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(LauncherError, match=r"install PostgreSQL .*apt-get install postgresql"):
        launcher.find_pg_bindir(str(tmp_path), patterns=())
    with pytest.raises(LauncherError, match="apt-get install redis-server"):
        launcher.find_redis_server(str(tmp_path))


def test_free_ports_are_free() -> None:
    ports = {launcher.free_port() for _ in range(5)}
    assert all(1024 < p < 65536 for p in ports)


def test_the_demo_opens_the_console_and_says_what_to_try_on_it() -> None:
    """The lines the demo prints before the console are hidden by it: what to try is on the home screen too."""
    with command_in_terminal(["demo"], 80, 24) as term:
        term.wait_for("targets up", limit=120)
        assert "try :timeline " in term.text() and "(one person, both systems)" in term.text(), term.text()
        person = term.text().split("try :timeline ", 1)[1].split()[0]
        term.press(":")
        term.send(f"timeline {person}\r".encode())
        term.wait_for(f"RCMD {person} · OS 1 user")
        term.press("q")
        assert term.proc.wait(timeout=60) == 0
