"""Profiles, environment overrides and redaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from rcmd_tui.config import load_profile, profile_to_toml
from rcmd_tui.data.infra.redact import redact
from rcmd_tui.errors import ConfigError

CONFIG = """
default_profile = "staging"

[profiles.staging]
role = "oncall"
banner = "yellow"
[profiles.staging.rcmd]
dsn = "postgresql://rcmd:s3cret-pw@db.internal:5432/rcmd"
replica_dsn = "host=replica.internal dbname=rcmd user=rcmd password=other-secret"
redis_url = "redis://:redis-pw@cache.internal:6379/2"
[profiles.staging.ordersync]
dsn = "service=ordersync"
schema = "ordersync"
[profiles.staging.timeouts]
statement_ms = 3000

[profiles.prod]
role = "support"
read_only = true
banner = "red"
[profiles.prod.ordersync]
dsn = "postgresql://support@prod/ordersync"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return path


def test_default_profile_and_fields(config: Path) -> None:
    p = load_profile(config, env={})
    assert p.name == "staging" and p.role == "oncall" and p.banner == "yellow"
    assert p.rcmd is not None and p.rcmd.replica_dsn is not None and p.rcmd.schema == "public"
    assert p.ordersync is not None and p.ordersync.dsn == "service=ordersync" and p.ordersync.schema == "ordersync"
    assert p.timeouts.statement_ms == 3000 and p.timeouts.lock_ms == 2000
    assert p.targets() == ["rcmd", "rcmd-redis", "ordersync"]


def test_named_profile_and_env_overrides(config: Path) -> None:
    p = load_profile(config, "prod", env={"RCMD_TUI_ROLE": "admin", "RCMD_TUI_RCMD_DSN": "postgresql://x@h/rcmd",
                                          "RCMD_TUI_STATEMENT_TIMEOUT_MS": "900"})
    assert p.name == "prod" and p.role == "admin" and p.read_only
    assert p.rcmd is not None and p.rcmd.dsn == "postgresql://x@h/rcmd"
    assert p.timeouts.statement_ms == 900


def test_env_alone_is_enough(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path), "RCMD_TUI_ORDERSYNC_DSN": "dbname=os", "RCMD_TUI_PROFILE": "ci"}
    p = load_profile(env=env)
    assert p.name == "ci" and p.ordersync is not None and p.rcmd is None


@pytest.mark.parametrize(("text", "env", "expected"), [
    ("[profiles.a]\nrole = 'root'\n[profiles.a.rcmd]\ndsn='x'", {}, "role is 'root'"),
    ("[profiles.a", {}, "is not valid TOML"),
    ("[profiles.a.rcmd]\nschema = 'x'", {}, "has no dsn"),
    ("[profiles.a.rcmd]\ndsn = 'x'", {"RCMD_TUI_PROFILE": "b"}, "no profile named 'b'"),
    ("[profiles.a.timeouts]\nstatement_ms = -1", {}, "whole number"),
    ("[profiles.a]\nbanner = 'red'", {}, "names no target"),
])
def test_bad_config_names_the_problem(tmp_path: Path, text: str, env: dict[str, str], expected: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=expected):
        load_profile(path, env=env)


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_profile(tmp_path / "nope.toml", env={})


def test_passwords_are_redacted_everywhere(config: Path) -> None:
    load_profile(config, env={})  # registers the profile's secrets
    text = ("failed postgresql://rcmd:s3cret-pw@db.internal:5432/rcmd and host=r password=other-secret "
            "and redis://:redis-pw@cache:6379 and a bare s3cret-pw")
    out = redact(text)
    for secret in ("s3cret-pw", "other-secret", "redis-pw"):
        assert secret not in out
    assert "postgresql://rcmd:***@db.internal" in out and "password=***" in out


def test_profile_round_trips_through_toml(config: Path, tmp_path: Path) -> None:
    p = load_profile(config, env={})
    again = tmp_path / "again.toml"
    again.write_text(profile_to_toml(p))
    assert load_profile(again, env={}) == p


def test_keymap_and_theme_come_from_the_top_level_and_a_profile_adds_to_them(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('theme = "nord"\n[keymap]\n"list.mark" = "x"\n"app.goto" = "ctrl+g"\n'
                    '[profiles.p]\ntheme = "gruvbox"\n[profiles.p.keymap]\n"app.goto" = "g"\n'
                    '[profiles.p.rcmd]\ndsn = "postgresql://h/db"\n', encoding="utf-8")
    profile = load_profile(path, env={})
    assert profile.keymap == {"list.mark": "x", "app.goto": "g"} and profile.theme == "gruvbox"
    path.write_text('[keymap]\n"list.mark" = 3\n[profiles.p.rcmd]\ndsn = "postgresql://h/db"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"keymap\.list\.mark must be a key string"):
        load_profile(path, env={})
