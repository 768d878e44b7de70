"""The command line against real servers: migrate twice, and one clear line for every bad target."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.data.infra import launcher
from tests.conftest import Cluster
from tests.helpers import run_cli as run


def test_db_migrate_on_an_empty_database_twice(fresh_db: str) -> None:
    env = {"RCMD_TUI_RCMD_DSN": fresh_db, "XDG_CONFIG_HOME": "/nonexistent"}
    first = run(["db", "migrate"], env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("applied") == 6
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
        "wrong dsn": ({"RCMD_TUI_RCMD_DSN": "host=127.0.0.1 bogus_option=1 password=hunter22"}, "rcmd", "invalid DSN"),
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
    assert lines[0].startswith(f"rcmd-tui: {target} (") and message in lines[0]
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
