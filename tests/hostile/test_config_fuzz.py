"""Configuration files written carelessly, with a password in every wrong place: unknown keys, wrong types,
DSNs and Redis URLs that do not parse, a file cut anywhere. Reading one ends in a profile or in one
ConfigError naming the file and the key, never another exception, and nothing printed holds the password.

Every password is ``Pw`` + two halves unique to the example, around a few characters that break parsers
(space, @, /, #, quotes), so that a leak of either half is found even when the password was split."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcmd_tui import cli
from rcmd_tui.config import KEYRING_KEYS, PG_KEYS, PROFILE_KEYS, RCMD_KEYS, TIMEOUT_KEYS, TOP_KEYS, load_profile
from rcmd_tui.data.infra.redact import redact
from rcmd_tui.errors import ConfigError

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BREAKERS = st.text(alphabet=" @/:#?'\"=\\%&", max_size=3)  # what splits a password when not quoted or encoded
CLOSED_DSN = "host=127.0.0.1 port=1 dbname=x user=x"  # nothing listens: no server is started for these tests
CLOSED_REDIS = "redis://127.0.0.1:1/0"


def _halves() -> tuple[str, str]:
    unique = uuid.uuid4().hex
    return unique[:10], unique[10:20]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_value(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string: JSON's escapes are TOML's


def _toml(table: dict[str, Any], at: tuple[str, ...] = ()) -> str:
    """A TOML document: a table's plain keys first, then its sub-tables under their own headers."""
    plain = [f"{_toml_value(k)} = {_toml_value(v)}" for k, v in table.items() if not isinstance(v, dict)]
    head = [f"[{'.'.join(_toml_value(part) for part in at)}]"] if at and plain else []
    subs = [_toml(v, (*at, k)) for k, v in table.items() if isinstance(v, dict)]
    return "\n".join([*head, *plain, *subs]) + "\n"


def _base() -> dict[str, Any]:
    return {"default_profile": "staging", "profiles": {"staging": {
        "role": "oncall", "banner": "yellow",
        "rcmd": {"dsn": CLOSED_DSN, "redis_url": CLOSED_REDIS},
        "ordersync": {"dsn": CLOSED_DSN, "schema": "ordersync"},
        "keyring": {"service": "rcmd-tui"},
        "timeouts": {"connect_s": 1, "redis_ms": 200},
    }}}


# Where a setting lives, by the path of its table in the file.
TABLES: dict[tuple[str, ...], tuple[str, ...]] = {
    (): TOP_KEYS, ("profiles", "staging"): PROFILE_KEYS, ("profiles", "staging", "rcmd"): RCMD_KEYS,
    ("profiles", "staging", "ordersync"): PG_KEYS, ("profiles", "staging", "keyring"): KEYRING_KEYS,
    ("profiles", "staging", "timeouts"): TIMEOUT_KEYS,
}
DSN_KEYS = [(("profiles", "staging", system), key) for system in ("rcmd", "ordersync") for key in ("dsn", "replica_dsn")]


def _table(config: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    table = config
    for part in path:
        child = table.setdefault(part, {})
        if not isinstance(child, dict):  # an earlier flaw made it something else: this one goes nowhere
            return {}
        table = child
    return table


@st.composite
def _password(draw: st.DrawFn) -> tuple[str, tuple[str, str]]:
    left, right = _halves()
    return f"Pw{left}{draw(BREAKERS)}{right}", (left, right)


@st.composite
def _bad_dsn(draw: st.DrawFn, password: str) -> str:
    misspelt = draw(st.sampled_from(["passwrd", "passwd", "pwd", "pass", "Password", "password "]))
    return draw(st.sampled_from([
        f"{CLOSED_DSN} {misspelt}={password}",
        f"{CLOSED_DSN} password={password} extra",
        f"{CLOSED_DSN} password='{password}",
        f"postgresql://x:{password}@127.0.0.1:1/x",
        f"postgres://x:{password}@127.0.0.1:1/x?passwrd={password}",
        f"postgresql://x:{password}/{password}@127.0.0.1:1/x",
        f"host=127.0.0.1 port={password} password={password}",
        f"{CLOSED_DSN} password={password}\x00",
    ]))


@st.composite
def _bad_redis_url(draw: st.DrawFn, password: str) -> str:
    return draw(st.sampled_from([
        f"rediss//:{password}@127.0.0.1:1/0", f"redis:/:{password}@127.0.0.1:1/0", f"redis://:{password}@127.0.0.1:1/0",
        f"redis://:{password}@127.0.0.1:port/0", f"REDIS://:{password}@127.0.0.1:1/0", f"http://:{password}@h/0",
        f"redis://x:{password}@127.0.0.1:1/{password}", f"unix://:{password}@", f":{password}@127.0.0.1:1",
    ]))


@st.composite
def _flawed_config(draw: st.DrawFn) -> tuple[dict[str, Any], tuple[str, str]]:
    """A valid file with one to three flaws, each holding the same password."""
    password, halves = draw(_password())
    config = _base()
    for _ in range(draw(st.integers(1, 3))):
        flaw = draw(st.sampled_from(["unknown key", "wrong type", "dsn", "redis url"]))
        if flaw == "unknown key":
            path = draw(st.sampled_from(sorted(TABLES)))
            known = draw(st.sampled_from(TABLES[path]))
            key = draw(st.one_of(st.just(known.replace("_", "-")), st.just(known + "s"), st.just("passwrd"),
                                 st.text(min_size=1, max_size=12)))
            if key not in TABLES[path]:
                _table(config, path)[key] = draw(st.sampled_from([password, [password], {"x": password}]))
        elif flaw == "wrong type":
            path = draw(st.sampled_from(sorted(TABLES)))
            key = draw(st.sampled_from(TABLES[path]))
            _table(config, path)[key] = draw(st.sampled_from([password, [password], {"x": password}, 7, True]))
        elif flaw == "dsn":
            path, key = draw(st.sampled_from(DSN_KEYS))
            _table(config, path)[key] = draw(_bad_dsn(password))
        else:
            _table(config, ("profiles", "staging", "rcmd"))["redis_url"] = draw(_bad_redis_url(password))
    return config, halves


@contextlib.contextmanager
def _file(text: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "config.toml"
        path.write_text(text, encoding="utf-8")
        yield path


def _read_or_refuse(path: Path, env: dict[str, str] | None = None) -> str:
    """What reading the file leads to a person seeing: nothing, or the ConfigError's line as cli prints it."""
    try:
        load_profile(path, env=env or {}, appearance=cli.textual_appearance())
    except ConfigError as err:
        line = str(err)
        assert "\n" not in line and line.isprintable() and err.hint, line
        return line
    return ""


def _holds(text: str, halves: tuple[str, str]) -> bool:
    return any(half in text for half in halves)


@FUZZ
@given(flawed=_flawed_config())
def test_a_flawed_file_is_refused_without_its_password(flawed: tuple[dict[str, Any], tuple[str, str]]) -> None:
    config, halves = flawed
    with _file(_toml(config)) as path:
        said = _read_or_refuse(path)
    assert not _holds(said, halves), said


@FUZZ
@given(flawed=_flawed_config(), cut=st.floats(0, 1))
def test_a_file_cut_anywhere_is_refused_without_its_password(flawed: tuple[dict[str, Any], tuple[str, str]],
                                                             cut: float) -> None:
    config, halves = flawed
    text = _toml(config)
    with _file(text[:int(len(text) * cut)]) as path:
        said = _read_or_refuse(path)
    assert not _holds(said, halves), said


@FUZZ
@given(password=_password(), data=st.data())
def test_a_bad_dsn_or_url_in_the_environment_is_refused_without_its_password(
        password: tuple[str, tuple[str, str]], data: st.DataObject) -> None:
    secret, halves = password
    var = data.draw(st.sampled_from(["RCMD_TUI_RCMD_DSN", "RCMD_TUI_RCMD_REPLICA_DSN", "RCMD_TUI_ORDERSYNC_DSN",
                                     "RCMD_TUI_RCMD_REDIS_URL"]))
    value = data.draw(_bad_redis_url(secret) if var.endswith("URL") else _bad_dsn(secret))
    with tempfile.TemporaryDirectory() as home:
        said = _read_or_refuse(Path(home) / "none.toml", {"RCMD_TUI_RCMD_DSN": CLOSED_DSN, var: value})
    assert not _holds(said, halves), said


LEFT, RIGHT = "Pw5e1f", "c0a7d2"
PASSWORD = f"{LEFT} @/{RIGHT}"
CLI_CASES = {
    "misspelt key": f'[profiles.p.rcmd]\ndsn = "{CLOSED_DSN} passwrd={PASSWORD}"\n',
    "unquoted space": f'[profiles.p.rcmd]\ndsn = "{CLOSED_DSN} password={PASSWORD}"\n',
    "no scheme colon": f'[profiles.p.rcmd]\ndsn = "{CLOSED_DSN}"\nredis_url = "rediss//:{PASSWORD}@127.0.0.1:1/0"\n',
    "unencoded URL password": f'[profiles.p.rcmd]\ndsn = "postgresql://x:{PASSWORD}@127.0.0.1:1/x"\n',
    "unknown key": f'[profiles.p]\npasswrd = "{PASSWORD}"\n[profiles.p.rcmd]\ndsn = "{CLOSED_DSN}"\n',
    "wrong type": f'[profiles.p]\nread_only = "{PASSWORD}"\n[profiles.p.rcmd]\ndsn = "{CLOSED_DSN}"\n',
    "down, quoted": (f"[profiles.p.rcmd]\ndsn = \"{CLOSED_DSN} password='{PASSWORD}'\"\n"
                     f'redis_url = "redis://:{LEFT}%20%40%2F{RIGHT}@127.0.0.1:1/0"\n[profiles.p.timeouts]\nconnect_s = 1\n'),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_check_on_a_flawed_file_says_one_line_per_problem_without_the_password(
        case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RCMD_TUI_CONFIG", "RCMD_TUI_PROFILE", "RCMD_TUI_RCMD_DSN", "RCMD_TUI_RCMD_REDIS_URL",
                 "RCMD_TUI_ORDERSYNC_DSN", "PGPASSWORD", "PGSERVICE"):
        monkeypatch.delenv(name, raising=False)
    out, err = io.StringIO(), io.StringIO()
    with _file(CLI_CASES[case]) as path, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--config", str(path), "check"])
    said = out.getvalue() + err.getvalue()
    assert code == 2 and out.getvalue() == "", said
    assert err.getvalue().endswith("\n") and all(line.startswith("rcmd-tui: ") for line in err.getvalue().splitlines())
    assert "Traceback" not in said and LEFT not in said and RIGHT not in said, said
    assert redact(said) == said  # nothing left for the last line of defence to mask
