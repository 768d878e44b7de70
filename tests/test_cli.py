"""The command line against real servers: migrate twice, and one clear line for every bad target."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import psycopg
import pytest

from rcmd_tui import cli
from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.data.infra import launcher, migrate
from tests.conftest import Cluster
from tests.helpers import run_cli as run


def test_db_migrate_on_an_empty_database_twice(fresh_db: str) -> None:
    env = {"RCMD_TUI_RCMD_DSN": fresh_db, "XDG_CONFIG_HOME": "/nonexistent"}
    first = run(["db", "migrate"], env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("applied") == len(migrate.load("rcmd"))
    second = run(["db", "migrate"], env)
    assert second.returncode == 0 and second.stdout.strip() == "rcmd: up to date"


def test_seed_and_check_through_a_config_file(profile: Profile, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(profile_to_toml(profile))
    seeded = run(["--config", str(config), "db", "seed"], {})
    assert seeded.returncode == 0, seeded.stderr
    assert "rcmd:" in seeded.stdout and "ordersync:" in seeded.stdout
    check = run(["--config", str(config), "check"], {})
    assert check.returncode == 0 and check.stdout.count(": up,") == 3


def _bad_targets(cluster: Cluster) -> dict[str, tuple[dict[str, str], str, str]]:
    good_redis = cluster.redis_url(1)
    stopped = f"postgresql://postgres:pw-stopped@127.0.0.1:{launcher.free_port()}/rcmd"
    info = psycopg.conninfo.conninfo_to_dict(cluster.dsn("postgres"))
    info["password"] = "wrong-password-x"
    wrong_pw = psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    return {
        "wrong dsn": ({"RCMD_TUI_RCMD_DSN": "host=127.0.0.1 bogus_option=1 password=hunter22"}, "RCMD_TUI_RCMD_DSN",
                      "cannot be parsed as a libpq connection string"),
        "stopped server": ({"RCMD_TUI_RCMD_DSN": stopped, "RCMD_TUI_RCMD_REDIS_URL": good_redis}, "rcmd",
                           "connection refused"),
        "wrong password": ({"RCMD_TUI_RCMD_DSN": wrong_pw, "RCMD_TUI_RCMD_REDIS_URL": good_redis}, "rcmd",
                           "password authentication failed"),
        "unreachable redis": ({"RCMD_TUI_RCMD_DSN": cluster.dsn("postgres"),
                               "RCMD_TUI_RCMD_REDIS_URL": f"redis://:redis-secret@127.0.0.1:{launcher.free_port()}/0"},
                              "rcmd-redis", "connection refused"),
    }


CASES = [(command, case) for command in ([], ["check"], ["db", "migrate"])
         for case in ("wrong dsn", "stopped server", "wrong password", "unreachable redis")
         if not (command == ["db", "migrate"] and case == "unreachable redis")]  # migrate never touches Redis


@pytest.mark.parametrize(("command", "case"), CASES)
def test_bad_targets_give_one_line_and_exit_2(cluster: Cluster, case: str, command: list[str]) -> None:
    env, target, message = _bad_targets(cluster)[case]
    env = {**env, "XDG_CONFIG_HOME": "/nonexistent"}
    result = run(command, env)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    said = f"rcmd-tui: {target} " if target.isupper() else f"rcmd-tui: {target} ("  # an environment variable, or a target
    assert lines[0].startswith(said) and message in lines[0]
    assert lines[0].count(f"{target} (") <= 1  # the target once, not "rcmd (…): rcmd (…): …"
    assert "Traceback" not in result.stderr + result.stdout
    for secret in ("hunter22", "pw-stopped", "wrong-password-x", "redis-secret"):
        assert secret not in result.stderr + result.stdout


def test_no_configuration_says_how_to_start(tmp_path: Path) -> None:
    result = run([], {"XDG_CONFIG_HOME": str(tmp_path)})
    assert result.returncode == 2
    assert "names no target" in result.stderr and "rcmd-tui demo" in result.stderr


def test_db_maintain_creates_partitions_and_runs_retention(seeded: Profile, tmp_path: Path) -> None:
    profile = seeded
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn, autocommit=True) as conn:
        furthest = conn.execute("SELECT to_char(date_trunc('month', CURRENT_DATE) + interval '3 months', "
                                "'\"audit_logs_\"YYYY_MM')").fetchone()
        assert furthest is not None
        for schema in ("rcmd", "ordersync"):
            conn.execute(f"DROP TABLE {schema}.{furthest[0]}")
        conn.execute("UPDATE rcmd.sessions SET expires_at = now() - interval '8 days' "
                     "WHERE id IN (SELECT id FROM rcmd.sessions ORDER BY id LIMIT 3)")
        conn.execute("UPDATE rcmd.job_logs SET created_at = now() - interval '40 days' "
                     "WHERE id IN (SELECT id FROM rcmd.job_logs ORDER BY id LIMIT 4)")
        conn.execute("UPDATE ordersync.login_attempts SET created_at = now() - interval '31 days' "
                     "WHERE id IN (SELECT id FROM ordersync.login_attempts ORDER BY id LIMIT 5)")
        anonymous = conn.execute("UPDATE ordersync.orders SET customer_id = NULL, anonymous_expires_at = now() - interval '1 hour' "
                                 "WHERE id = (SELECT id FROM ordersync.orders WHERE status = 'PENDING' ORDER BY id LIMIT 1) "
                                 "RETURNING id").fetchone()
        assert anonymous is not None
        stale_sessions = conn.execute("SELECT count(*) FROM rcmd.sessions WHERE expires_at < now() - interval '7 days'").fetchone()
        stale_logs = conn.execute("SELECT count(*) FROM rcmd.job_logs WHERE created_at < CURRENT_DATE - interval '30 days'").fetchone()
        assert stale_sessions and stale_sessions[0] >= 3 and stale_logs and stale_logs[0] >= 4

    config = tmp_path / "config.toml"
    config.write_text(profile_to_toml(profile))
    result = run(["--config", str(config), "db", "maintain"], {})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (f"rcmd: audit partitions created: 1; expired sessions removed: {stale_sessions[0]}; "
                        f"old job logs removed: {stale_logs[0]}")
    assert lines[1].startswith("ordersync: audit partitions created: 1; expired sessions cleaned;")

    with psycopg.connect(profile.rcmd.dsn, autocommit=True) as conn:
        for schema in ("rcmd", "ordersync"):
            assert conn.execute("SELECT to_regclass(%s)", [f"{schema}.{furthest[0]}"]).fetchone() != (None,)
        assert conn.execute("SELECT count(*) FROM rcmd.sessions WHERE expires_at < now() - interval '7 days'").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM ordersync.login_attempts "
                            "WHERE created_at < now() - interval '30 days'").fetchone() == (0,)
        assert conn.execute("SELECT status FROM ordersync.orders WHERE id = %s", [anonymous[0]]).fetchone() == ("CANCELLED",)
    again = run(["--config", str(config), "db", "maintain"], {})
    assert again.returncode == 0 and again.stdout.splitlines()[0] == ("rcmd: audit partitions created: 0; "
                                                                      "expired sessions removed: 0; old job logs removed: 0")


def _closed_ports(tmp_path: Path, settings: str = "") -> Path:
    """A config whose targets are ports where nothing listens (no server needed); ``settings`` go in the profile."""
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.p]\n{settings}\n[profiles.p.rcmd]\ndsn = "host=127.0.0.1 port=1 dbname=x user=x"\n'
                      'redis_url = "redis://:Pw-redis-closed@127.0.0.1:1/0"\n[profiles.p.timeouts]\nconnect_s = 2\n',
                      encoding="utf-8")
    return config


@pytest.mark.parametrize("command", [["check"], []])
def test_a_down_target_is_named_once_on_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    config = _closed_ports(tmp_path, 'banner = "darkgreen"\ntheme = "nord"')  # Textual's names, not Rich's
    assert cli.main(["--config", str(config), *command]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(";")[0] for line in lines] == ["rcmd-tui: rcmd (127.0.0.1:1/x): connection refused",
                                                      "rcmd-tui: rcmd-redis (127.0.0.1:1/0): connection refused"]


@pytest.mark.parametrize("command", [["check"], [], ["keys", "list"]])
def test_a_banner_textual_cannot_draw_is_refused_by_every_command(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  command: list[str]) -> None:
    config = _closed_ports(tmp_path, 'banner = "bright_red"')  # a Rich colour, not a Textual one
    assert cli.main(["--config", str(config), *command]) == 2
    err = capsys.readouterr().err
    assert err == (f"rcmd-tui: {config}: profiles.p.banner is not a colour the console can draw; use a colour name "
                   "(red, darkgreen, ansi_red), #rrggbb or rgb(r,g,b) written without spaces\n")


@pytest.mark.parametrize(("settings", "said"), [
    ("read-only = true", "profiles.p.read-only is not a setting; did you mean read_only?"),
    ("reveal_role = []", "profiles.p.reveal_role is not a setting; did you mean reveal_roles?"),
    ('theme = "nrod"', "profiles.p.theme is not a Textual theme; did you mean nord?"),
])
def test_a_misspelt_setting_stops_the_console_before_it_opens(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              settings: str, said: str) -> None:
    config = _closed_ports(tmp_path, settings)
    assert cli.main(["--config", str(config), "--allow-unreachable"]) == 2
    assert capsys.readouterr().err == f"rcmd-tui: {config}: {said}\n"


CRASHING = """
import sys
from rcmd_tui import cli
from rcmd_tui.screens.home import HomeScreen

def compose(self):
    raise RuntimeError("a bug in a screen")

HomeScreen.compose = compose  # a bug of our own: the console meets an exception nothing handles
sys.exit(cli.main(sys.argv[1:]))
"""


def _in_terminal(args: list[str], seconds: float = 60) -> tuple[int, str]:
    """``python ARGS`` in a pseudo-terminal (the console draws only to one) until it ends: exit code and output."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RCMD_TUI_", "PG"))} | {"TERM": "xterm-256color"}
    proc = subprocess.Popen([sys.executable, *args], stdin=secondary, stdout=secondary, stderr=secondary, env=env,
                            start_new_session=True)
    os.close(secondary)
    out = b""
    try:
        deadline = time.monotonic() + seconds
        while proc.poll() is None and time.monotonic() < deadline:
            if select.select([primary], [], [], 0.1)[0]:
                try:
                    out += os.read(primary, 65536)
                except OSError:  # the child is gone
                    break
        return proc.wait(timeout=10), out.decode(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(primary)


def test_a_console_that_crashes_exits_non_zero(tmp_path: Path) -> None:
    config = _closed_ports(tmp_path)
    code, out = _in_terminal(["-c", CRASHING, "--config", str(config), "--allow-unreachable"])
    assert code == 1, out[-2000:]
    assert "a bug in a screen" in out
