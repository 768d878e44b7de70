"""Profiles, environment overrides and redaction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rcmd_tui.config import Appearance, PgTarget, Profile, load_profile, profile_to_toml
from rcmd_tui.data.infra.connections import UNPARSABLE_DSN, UNPARSABLE_URL, connect_kwargs, redis_where, where
from rcmd_tui.data.infra.redact import redact, secrets_in
from rcmd_tui.errors import ConfigError, TargetError

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
    ("[profiles.a]\nrole = 'root'\n[profiles.a.rcmd]\ndsn='dbname=x'", {}, "role must be one of support, oncall, admin"),
    ("[profiles.a", {}, "is not valid TOML"),
    ("[profiles.a.rcmd]\nschema = 'x'", {}, "has no dsn"),
    ("[profiles.a.rcmd]\ndsn = 'dbname=x'", {"RCMD_TUI_PROFILE": "b"}, "no profile named 'b'"),
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
    with pytest.raises(ConfigError, match=r'keymap\."list\.mark" must be a key string'):
        load_profile(path, env={})


def test_time_zone_is_an_iana_name_checked_when_read(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[profiles.p]\ntime_zone = "Europe/Berlin"\n[profiles.p.rcmd]\ndsn = "postgresql://h/db"\n', encoding="utf-8")
    assert load_profile(path, env={}).time_zone == "Europe/Berlin"
    path.write_text('[profiles.p]\ntime_zone = "Mars/Olympus"\n[profiles.p.rcmd]\ndsn = "postgresql://h/db"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"profiles\.p\.time_zone is not a time zone"):
        load_profile(path, env={})


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _refused(path: Path, env: dict[str, str] | None = None, appearance: Appearance | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_profile(path, env=env or {}, appearance=appearance)
    return str(caught.value)


TARGET = '[profiles.p.rcmd]\ndsn = "dbname=x"\n'


@pytest.mark.parametrize(("text", "said"), [
    ('defualt_profile = "p"\n' + TARGET, "defualt_profile is not a setting; did you mean default_profile?"),
    ('role = "admin"\n' + TARGET, "role is not a setting; it belongs in [profiles.NAME]"),
    ("[profiles.p]\nread-only = true\n" + TARGET, "profiles.p.read-only is not a setting; did you mean read_only?"),
    ("[profiles.p]\nreveal_role = []\n" + TARGET, "profiles.p.reveal_role is not a setting; did you mean reveal_roles?"),
    ('[profiles.p]\ndsn = "dbname=y"\n' + TARGET,
     "profiles.p.dsn is not a setting; it belongs in [profiles.p.rcmd] or [profiles.p.ordersync]"),
    (TARGET + 'replica = "dbname=y"\n', "profiles.p.rcmd.replica is not a setting; did you mean replica_dsn?"),
    (TARGET + '[profiles.p.ordersync]\ndsn = "dbname=y"\nredis_url = "redis://h/0"\n',
     "profiles.p.ordersync.redis_url is not a setting; it belongs in [profiles.p.rcmd]"),
    (TARGET + '[profiles.p.keyring]\nservise = "x"\n', "profiles.p.keyring.servise is not a setting; did you mean service?"),
    (TARGET + "[profiles.p.timeouts]\nconnect_ms = 3\n", "profiles.p.timeouts.connect_ms is not a setting; did you mean connect_s?"),
    (TARGET + "[profiles.p.timeouts]\nwhatever = 3\n", "profiles.p.timeouts.whatever is not a setting; the settings here are"),
    (TARGET + '[profiles.q]\nroles = "x"\n', "profiles.q.roles is not a setting; did you mean role?"),  # every profile
    (TARGET + '[profiles.p.timeouts]\n"\\u001b[31m" = 1\n', 'profiles.p.timeouts."\\\\x1b[31m" is not a setting'),
])
def test_an_unknown_key_at_any_level_is_refused_with_the_nearest_known_one(tmp_path: Path, text: str, said: str) -> None:
    path = _write(tmp_path, text)
    assert _refused(path).startswith(f"{path}: {said}")


def _flawed(table: str, line: str) -> str:
    """A config whose one flaw is ``line`` in ``table`` ("" for the top level); its target is elsewhere."""
    if line.startswith("profiles"):
        return line
    target = "ordersync" if "rcmd" in table + line else "rcmd"
    base = f'[profiles.p.{target}]\ndsn = "dbname=x"\n'
    if table.endswith(".rcmd") and not line.startswith("dsn"):
        line = 'dsn = "dbname=x"\n' + line
    return f"{line}\n{base}" if not table else f"{base}[{table}]\n{line}\n"


WRONG_TYPES = [
    ("", "default_profile = 1", "must be a string"), ("", "theme = true", "must be a string"),
    ("", "keymap = 1", "must be a table"), ("", "profiles = []", "must be a table"),
    ("profiles.p", "role = 1", "must be a string"), ("profiles.p", 'role = "root"', "must be one of"),
    ("profiles.p", 'read_only = "yes"', "must be true or false"), ("profiles.p", "banner = 1", "must be a string"),
    ("profiles.p", 'aad = "all"', "must be one of"), ("profiles.p", 'reveal_roles = "admin"', "must be a list"),
    ("profiles.p", 'reveal_roles = ["root"]', "must be a list"), ("profiles.p", 'retired_keys = "drop"', "must be one of"),
    ("profiles.p", "theme = 1", "must be a string"), ("profiles.p", "keymap = []", "must be a table"),
    ("profiles.p", 'rcmd = "dbname=x"', "must be a table"), ("profiles.p", "ordersync = 1", "must be a table"),
    ("profiles.p", 'keyring = "x"', "must be a table"), ("profiles.p", "timeouts = 5", "must be a table"),
    ("profiles.p.rcmd", "dsn = 1", "must be a string"), ("profiles.p.rcmd", "replica_dsn = []", "must be a string"),
    ("profiles.p.rcmd", "schema = 1", "must be a string"), ("profiles.p.rcmd", "redis_url = 6379", "must be a string"),
    ("profiles.p.keyring", "service = 1", "must be a string"), ("profiles.p.keyring", "backend = true", "must be a string"),
    ("profiles.p.keyring", "file = 1", "must be a string"), ("profiles.p.keyring", 'timeout_ms = "5"', "must be a whole number"),
    ("profiles.p.timeouts", 'statement_ms = "5"', "must be a whole number"),
    ("profiles.p.timeouts", "lock_ms = 1.5", "must be a whole number"),
    ("profiles.p.timeouts", "idle_in_transaction_ms = true", "must be a whole number"),
    ("profiles.p.timeouts", "connect_s = -1", "must be a whole number"),
    ("profiles.p.timeouts", "redis_ms = 2147483648", "must be a whole number"),
    ("profiles.p.keymap", '"list.mark" = ""', "must be a key string"),
]


@pytest.mark.parametrize(("table", "line", "said"), WRONG_TYPES)
def test_a_wrong_type_for_any_key_is_refused_naming_file_and_key(tmp_path: Path, table: str, line: str, said: str) -> None:
    path = _write(tmp_path, _flawed(table, line))
    key = line.split(" =", maxsplit=1)[0]
    assert _refused(path).startswith(f"{path}: {table + '.' if table else ''}{key} {said}")


def test_every_setting_of_the_example_in_the_docs_is_known(tmp_path: Path) -> None:
    docs = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text(encoding="utf-8")
    # Its password changed: a loaded one is masked in every later message of the process, and "password" is a word.
    example = docs.split("```toml\n")[1].split("```")[0].replace("# backend", "backend").replace(":password@", ":Pw-docs@")
    profile = load_profile(_write(tmp_path, example), env={})
    assert profile.keyring.backend == "keyring.backends.SecretService.Keyring" and profile.reveal_roles == ("support", "oncall", "admin")


UNPARSABLE = [  # key, value, what of it must not be shown (every password here starts Pw-)
    ("dsn", "host=db user=x passwrd=Pw-misspelt", ()),
    ("dsn", "host=db user=x password=Tiny Pw-spaced", ("Tiny",)),  # libpq: 'missing "=" after "Pw-spaced"'
    ("dsn", "postgresql://x:Pw-slash/3@db/rcmd", ("3@db",)),  # libpq reads port "Pw-slash", database "3@db/rcmd"
    ("dsn", "postgresql://x:Pw-at@4@db/rcmd", ("4@db",)),  # libpq reads password "Pw-at", host "4@db"
    ("dsn", "host=db password=Pw-cut\u0000", ()),  # libpq would stop reading at the NUL
    ("replica_dsn", "password='Pw-unterminated", ()),
    ("dsn", "postgresql://x:Pw-byte%81@db/rcmd", ()),  # %81 is no UTF-8: psycopg's own decode fails (found by fuzzing)
    ("redis_url", "rediss//:Pw-nocolon@cache:6379/0", ()),
    ("redis_url", "redis://:Pw-slash/8@cache:6379/0", ("8@cache",)),
    ("redis_url", "redis://:Pw-hash#9@cache:6379/0", ("9@cache",)),
    ("redis_url", "redis://:Pw-port@cache:port/0", ()),
    ("redis_url", "http://:Pw-scheme@cache/0", ()),
]


@pytest.mark.parametrize(("key", "value", "pieces"), UNPARSABLE)
def test_an_unparsable_dsn_or_url_is_named_by_its_key_and_none_of_it_is_shown(
        tmp_path: Path, key: str, value: str, pieces: tuple[str, ...]) -> None:
    others = "" if key == "dsn" else 'dsn = "dbname=x"'
    said = _refused(_write(tmp_path, f"[profiles.staging.rcmd]\n{others}\n{key} = {json.dumps(value)}\n"))
    kind = "a Redis URL" if key == "redis_url" else "a libpq connection string"
    assert said.startswith(f"{tmp_path / 'c.toml'}: profiles.staging.rcmd.{key} cannot be parsed as {kind}; ")
    assert "Pw-" not in said and not any(piece in said for piece in pieces)


@pytest.mark.parametrize(("var", "value"), [("RCMD_TUI_RCMD_DSN", "passwrd=Pw-env-1"),
                                            ("RCMD_TUI_ORDERSYNC_REPLICA_DSN", "password=a Pw-env-2"),
                                            ("RCMD_TUI_RCMD_REDIS_URL", "rediss//:Pw-env-3@h/0")])
def test_an_unparsable_dsn_or_url_from_the_environment_is_named_by_its_variable(tmp_path: Path, var: str, value: str) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path), "RCMD_TUI_RCMD_DSN": "dbname=x", "RCMD_TUI_ORDERSYNC_DSN": "dbname=y", var: value}
    with pytest.raises(ConfigError) as caught:
        load_profile(env=env)
    assert str(caught.value).startswith(f"{var} cannot be parsed as") and "Pw-env" not in str(caught.value)


def test_read_only_from_the_environment_must_be_a_yes_or_a_no(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path), "RCMD_TUI_RCMD_DSN": "dbname=x"}
    assert load_profile(env={**env, "RCMD_TUI_READ_ONLY": "TRUE"}).read_only
    assert not load_profile(env={**env, "RCMD_TUI_READ_ONLY": "0"}).read_only
    with pytest.raises(ConfigError, match="RCMD_TUI_READ_ONLY must be 1, true or yes"):
        load_profile(env={**env, "RCMD_TUI_READ_ONLY": "ture"})


def test_banner_and_theme_are_checked_against_what_the_console_draws_when_read(tmp_path: Path) -> None:
    draws = Appearance(lambda colour: colour in ("blue", "red"), frozenset({"nord", "dracula"}))
    path = _write(tmp_path, '[profiles.p]\nbanner = "notacolour"\n' + TARGET)
    assert load_profile(path, env={}).banner == "notacolour"  # without an Appearance, only its type is known
    assert _refused(path, appearance=draws).startswith(f"{path}: profiles.p.banner is not a colour the console can draw; "
                                                       "use a colour name")
    path = _write(tmp_path, 'theme = "nrod"\n' + TARGET)
    assert _refused(path, appearance=draws) == f"{path}: theme is not a Textual theme; did you mean nord?"
    path = _write(tmp_path, '[profiles.p]\ntheme = "zzz"\n' + TARGET)
    assert _refused(path, appearance=draws) == f"{path}: profiles.p.theme is not a Textual theme; use one of: dracula, nord"


def test_a_bad_banner_or_theme_in_a_profile_built_in_code_is_a_config_error_not_a_crash() -> None:
    from rcmd_tui.app import make_app

    target = PgTarget(dsn="host=127.0.0.1 port=1 dbname=x")
    with pytest.raises(ConfigError, match="banner is not a colour the console can draw"):
        make_app(Profile(name="p", rcmd=target, banner="notacolour"))
    with pytest.raises(ConfigError, match="theme is not a Textual theme; did you mean nord"):
        make_app(Profile(name="p", rcmd=target, theme="nrod"))
    assert make_app(Profile(name="p", rcmd=target, banner="darkgreen 80%", theme="nord")).theme == "nord"


def test_redaction_does_not_depend_on_the_input_being_well_formed() -> None:
    cases = {"rediss//:Pw-a1b2@cache:6379/0": "rediss//:***@cache:6379/0",
             "host=db passwrd=Pw-c3d4 user=x": "host=db passwrd=*** user=x",
             "passwd='Pw e5' pwd=Pw-f6g7 PGPASSWORD=Pw-h8i9": "passwd=*** pwd=*** PGPASSWORD=***",
             "postgresql://x:Pw-j/k@db/rcmd": "postgresql://x:***@db/rcmd",
             "redis://:Pw-l@m@cache/0 then": "redis://:***@cache/0 then"}
    for text, masked in cases.items():
        assert redact(text) == masked
        assert all("Pw" in secret for secret in secrets_in(text)) and secrets_in(text)
    hints = "check the user and password (DSN, PGPASSWORD or ~/.pgpass); write redis://host:port/db"
    assert redact(hints) == hints


def test_messages_show_only_parsed_parts_of_a_dsn_or_url() -> None:
    assert where("host=db port=6432 dbname=rcmd password=Pw-x") == "db:6432/rcmd"
    assert where("host=db passwrd=Pw-secret1") == UNPARSABLE_DSN
    assert where("postgresql://x:Pw-a/b@db/rcmd") == UNPARSABLE_DSN
    assert redis_where("redis://:Pw-x@cache:6380/3") == "cache:6380/3"
    assert redis_where("rediss//:Pw-secret2@cache/0") == UNPARSABLE_URL
    assert redis_where("unix:///run/redis.sock?db=2") == "/run/redis.sock/2"
    with pytest.raises(TargetError) as caught:
        connect_kwargs("rcmd", "password=Tiny Pw-secret3", "public", Profile(name="p").timeouts)
    assert "Pw-secret3" not in str(caught.value) and str(caught.value).startswith(f"rcmd ({UNPARSABLE_DSN}): invalid DSN")
