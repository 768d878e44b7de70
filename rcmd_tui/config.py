"""Profiles from TOML, with environment overrides for scripting.

DSNs are handed to psycopg unchanged, so libpq conventions (PG* variables, service files,
``.pgpass``) keep working. See docs/configuration.md for the file format and variables.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import SplitResult, urlsplit

from rcmd_tui.data.infra.redact import remember_secret, secrets_in
from rcmd_tui.errors import ConfigError
from rcmd_tui.text import escape_controls

ConsoleRole = Literal["support", "oncall", "admin"]
ROLES: tuple[ConsoleRole, ...] = ("support", "oncall", "admin")
ENV_PREFIX = "RCMD_TUI_"


@dataclass(frozen=True, slots=True)
class Timeouts:
    statement_ms: int = 5000
    lock_ms: int = 2000
    idle_in_transaction_ms: int = 15000
    connect_s: int = 5
    redis_s: float = 2.0


@dataclass(frozen=True, slots=True)
class PgTarget:
    """One system's PostgreSQL: the primary, an optional replica for reads, and its schema."""

    dsn: str
    replica_dsn: str | None = None
    schema: str = "public"


@dataclass(frozen=True, slots=True)
class KeyringSettings:
    service: str = "rcmd-tui"
    backend: str | None = None  # dotted class name; None means keyring's own choice
    file: str | None = None  # for file-based backends chosen explicitly (the demo)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    rcmd: PgTarget | None = None
    rcmd_redis_url: str | None = None
    ordersync: PgTarget | None = None
    role: ConsoleRole = "support"
    read_only: bool = False
    banner: str = "blue"
    keyring: KeyringSettings = field(default_factory=KeyringSettings)
    timeouts: Timeouts = field(default_factory=Timeouts)
    aad: Literal["none", "column", "row"] = "column"
    reveal_roles: tuple[ConsoleRole, ...] = ROLES  # console roles that may reveal encrypted fields
    retired_keys: Literal["flag", "refuse"] = "flag"
    keyring_timeout_s: float = 5.0
    keymap: dict[str, str] = field(default_factory=dict)  # binding id -> keys, e.g. {"list.mark": "x"}
    theme: str | None = None  # a Textual theme name; None keeps Textual's default
    time_zone: str = "UTC"  # an IANA zone: where schedules' cron times are read (the lists stay in UTC)

    def may_reveal(self) -> bool:
        return self.role in self.reveal_roles

    def targets(self) -> list[str]:
        names = []
        if self.rcmd:
            names.append("rcmd")
        if self.rcmd_redis_url:
            names.append("rcmd-redis")
        if self.ordersync:
            names.append("ordersync")
        return names


def data_dir(kind: str, env: Mapping[str, str] | None = None) -> Path:
    """Where the console keeps what a person saves (exports, screenshots): $XDG_DATA_HOME/rcmd-tui/KIND, by
    default ~/.local/share/rcmd-tui/KIND, private to the user (the files can hold personal data)."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local" / "share")
    return Path(base) / "rcmd-tui" / kind


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "rcmd-tui" / "config.toml"


# Every setting, by table: anything else in the file is a mistake to name, never to ignore (a misspelt
# read_only would otherwise open a read-write console).
TOP_KEYS = ("default_profile", "theme", "keymap", "profiles")
PROFILE_KEYS = ("role", "read_only", "banner", "aad", "reveal_roles", "retired_keys", "theme", "keymap",
                "time_zone", "rcmd", "ordersync", "keyring", "timeouts")
PG_KEYS = ("dsn", "replica_dsn", "schema")
RCMD_KEYS = (*PG_KEYS, "redis_url")
KEYRING_KEYS = ("service", "backend", "file", "timeout_ms")
TIMEOUT_KEYS = ("statement_ms", "lock_ms", "idle_in_transaction_ms", "connect_s", "redis_ms")
MAX_WHOLE = 2**31 - 1  # PostgreSQL settings are 32-bit: a bigger timeout would fail at connect, not here
REDIS_SCHEMES = ("redis", "rediss", "unix")
_PORTS = re.compile(r"\d*(?:,\d*)*")  # libpq: one port, or one per host
_REDIS_DB = re.compile(r"/?\d*")
DSN_FIX = ("check each key=value for a misspelt key (host, port, dbname, user, password, sslmode …), put a value "
           "holding spaces in single quotes ('a b'), "
           "and in a postgresql:// URL percent-encode @ / : # and spaces in the password (%40 %2F %3A %23 %20)")
REDIS_FIX = ("write redis://host:port/db, rediss:// for TLS or unix:///path/to.sock?db=N; a password goes before "
             "the host as :password@, with @ / # ? percent-encoded (%40 %2F %23 %3F)")
BANNER_FIX = "use a colour name (red, darkgreen, ansi_red), #rrggbb or rgb(r,g,b) written without spaces"


@dataclass(frozen=True, slots=True)
class Appearance:
    """What the terminal UI can draw, so a banner or theme it cannot is refused when the file is read. This
    module never imports textual (the data layer does not), so the caller that draws hands it in (cli.py)."""

    is_colour: Callable[[str], bool]
    themes: frozenset[str]


def dsn_parts(dsn: str) -> dict[str, str] | None:
    """The DSN's parameters as libpq reads them; None when it cannot, or reads it the way a password split by
    an unencoded character reads (a port that is not a number, an @ in a URL's host or database). Then any
    part may be a piece of the password: callers show none of it, nor libpq's message, which quotes it."""
    from psycopg import ProgrammingError, conninfo  # noqa: PLC0415 - keep --help fast

    if "\0" in dsn:  # libpq stops reading at a NUL: whatever follows would be silently dropped
        return None
    try:
        parts = {k: str(v) for k, v in conninfo.conninfo_to_dict(dsn).items() if v is not None}
    except (ProgrammingError, UnicodeDecodeError):  # a %-encoded byte that is not UTF-8 fails in psycopg's decode
        return None
    if not _PORTS.fullmatch(parts.get("port", "")):
        return None
    if dsn.lstrip().startswith(("postgresql://", "postgres://")) and any(
            "@" in parts.get(k, "") for k in ("host", "dbname")):
        return None
    return parts


def redis_url_parts(url: str) -> SplitResult | None:
    """The Redis URL split as redis-py reads it, or None when it cannot be (then none of it is shown): one of
    REDIS_SCHEMES with its ://, a port and database that are numbers, and nothing after a # or ? that looks
    like the rest of a password."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError when it is not a port number
    except ValueError:
        return None
    if parts.scheme not in REDIS_SCHEMES or not url.startswith(f"{parts.scheme}://") or "\0" in url:
        return None
    if parts.fragment or "@" in parts.query:
        return None
    if parts.scheme == "unix":
        return parts if parts.path else None
    return parts if parts.hostname and _REDIS_DB.fullmatch(parts.path) else None


def _kind(value: object) -> str:
    kinds = {bool: "true or false", int: "a number", float: "a number", str: "a string", list: "a list",
             dict: "a table"}
    return kinds.get(type(value), "a date or time")


def _key_text(key: str) -> str:
    """A key of the file as TOML spells it: bare, or quoted with every control and non-ASCII character escaped
    (keys come as typed, so never as terminal control sequences) and cut."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(escape_controls(key, 60))


def _homes(profile: str) -> dict[str, str]:
    """Where each setting of a profile belongs, to tell a key written in the wrong table where it goes."""
    return {**{k: f"[{profile}]" for k in PROFILE_KEYS}, **{k: f"[{profile}.rcmd] or [{profile}.ordersync]" for k in PG_KEYS},
            "redis_url": f"[{profile}.rcmd]", **{k: f"[{profile}.keyring]" for k in KEYRING_KEYS},
            **{k: f"[{profile}.timeouts]" for k in TIMEOUT_KEYS}}


def _suggest(key: str, known: Sequence[str], homes: Mapping[str, str]) -> str:
    if key in homes:
        return f"it belongs in {homes[key]}"
    near = difflib.get_close_matches(key.replace("-", "_").lower(), known, n=1, cutoff=0.6)
    if near:
        return f"did you mean {near[0]}?"
    return f"the settings here are {', '.join(known)} (docs/configuration.md)"


@dataclass(frozen=True, slots=True)
class _Table:
    """One table of the file and where it sits, so that every error names the file and the whole key."""

    file: str
    key: str  # dotted, "" for the top level
    raw: Mapping[str, Any]

    def full(self, key: str) -> str:
        return f"{self.key}.{_key_text(key)}" if self.key else _key_text(key)

    def error(self, key: str, problem: str, fix: str) -> ConfigError:
        # Never the value: a password typed under the wrong key, or in a DSN that does not parse, stays unprinted.
        return ConfigError(f"{self.file}: {self.full(key)} {problem}", fix)

    def only(self, known: Sequence[str], homes: Mapping[str, str]) -> None:
        for key in self.raw:
            if key not in known:
                raise self.error(key, "is not a setting", _suggest(key, known, homes))

    def table(self, key: str, known: Sequence[str] | None = None, homes: Mapping[str, str] | None = None) -> _Table:
        """A sub-table (missing: empty); ``known`` its settings, None for free-form ones (keymap, profiles)."""
        value = self.raw.get(key, {})
        if not isinstance(value, Mapping):
            raise self.error(key, f"must be a table, not {_kind(value)}", f"write it as [{self.full(key)}]")
        table = _Table(self.file, self.full(key), value)
        if known is not None:
            table.only(known, homes or {})
        return table

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.raw.get(key, default)
        if value is not None and not isinstance(value, str):
            raise self.error(key, f"must be a string, not {_kind(value)}", 'quote it: key = "value"')
        return value

    def choice(self, key: str, choices: Sequence[str], default: str) -> str:
        value = self.string(key, default)
        if value is None or value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}", "see docs/configuration.md")
        return value

    def time_zone(self, key: str) -> str:
        value = self.string(key, "UTC") or "UTC"
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            # The value is not echoed: a password pasted into the wrong line would be printed (the key names the line).
            raise self.error(key, "is not a time zone this machine knows",
                             'write an IANA name such as "Europe/Berlin" or "UTC"') from None
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {_kind(value)}", "write true or false, unquoted")
        return value

    def whole(self, key: str, default: int) -> int:
        value = self.raw.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_WHOLE:
            raise self.error(key, f"must be a whole number from 0 to {MAX_WHOLE}", "write it unquoted, e.g. 5000")
        return value

    def roles(self, key: str) -> tuple[ConsoleRole, ...]:
        value = self.raw.get(key, list(ROLES))
        if not isinstance(value, list) or any(r not in ROLES for r in value):
            raise self.error(key, f"must be a list of console roles ({', '.join(ROLES)})", "write [] for nobody")
        return tuple(cast(list[ConsoleRole], value))

    def dsn(self, key: str) -> str | None:
        value = self.string(key)
        if value is not None and dsn_parts(value) is None:
            raise self.error(key, "cannot be parsed as a libpq connection string", DSN_FIX)
        return value

    def redis_url(self, key: str) -> str | None:
        value = self.string(key)
        if value is not None and redis_url_parts(value) is None:
            raise self.error(key, "cannot be parsed as a Redis URL", REDIS_FIX)
        return value

    def banner(self, appearance: Appearance | None) -> str:
        value = self.string("banner", "blue") or "blue"
        if appearance is not None and not appearance.is_colour(value):
            raise self.error("banner", "is not a colour the console can draw", BANNER_FIX)
        return value

    def theme(self, appearance: Appearance | None) -> str | None:
        value = self.string("theme")
        if value and appearance is not None and value not in appearance.themes:
            raise self.error("theme", "is not a Textual theme", _theme_fix(value, appearance.themes))
        return value or None

    def keymap(self) -> dict[str, str]:
        table = self.table("keymap")
        for binding, keys in table.raw.items():
            if not isinstance(keys, str) or not keys.strip():
                raise table.error(binding, 'must be a key string such as "ctrl+d" or "x,delete"',
                                  "see docs/console.md for the binding ids and key names")
        return {str(k): str(v) for k, v in table.raw.items()}


def _theme_fix(theme: str, themes: frozenset[str]) -> str:
    near = difflib.get_close_matches(theme.lower(), sorted(themes), n=1)
    return f"did you mean {near[0]}?" if near else "use one of: " + ", ".join(sorted(themes))


def check_appearance(profile: Profile, appearance: Appearance) -> None:
    """A profile built in code (a file's is checked as it is read): its banner and theme, or ConfigError."""
    if not appearance.is_colour(profile.banner):
        raise ConfigError(f"profile {profile.name!r}: banner is not a colour the console can draw", BANNER_FIX)
    if profile.theme is not None and profile.theme not in appearance.themes:
        raise ConfigError(f"profile {profile.name!r}: theme is not a Textual theme",
                          _theme_fix(profile.theme, appearance.themes))


def _pg_target(table: _Table) -> PgTarget | None:
    if not table.raw:
        return None
    dsn = table.dsn("dsn")
    if dsn is None:
        raise ConfigError(f"{table.file}: {table.key} has no dsn", 'add dsn = "postgresql://..." or remove the table')
    return PgTarget(dsn=dsn, replica_dsn=table.dsn("replica_dsn"), schema=table.string("schema", "public") or "public")


def _profile_from_toml(table: _Table, name: str, appearance: Appearance | None) -> Profile:
    homes = _homes(table.key)
    table.only(PROFILE_KEYS, homes)
    rcmd = table.table("rcmd", RCMD_KEYS, homes)
    kr = table.table("keyring", KEYRING_KEYS, homes)
    to = table.table("timeouts", TIMEOUT_KEYS, homes)
    return Profile(
        name=name,
        rcmd=_pg_target(rcmd),
        rcmd_redis_url=rcmd.redis_url("redis_url"),
        ordersync=_pg_target(table.table("ordersync", PG_KEYS, homes)),
        role=cast(ConsoleRole, table.choice("role", ROLES, "support")),
        read_only=table.boolean("read_only", False),
        banner=table.banner(appearance),
        keyring=KeyringSettings(service=kr.string("service", "rcmd-tui") or "rcmd-tui",
                                backend=kr.string("backend"), file=kr.string("file")),
        timeouts=Timeouts(
            statement_ms=to.whole("statement_ms", 5000),
            lock_ms=to.whole("lock_ms", 2000),
            idle_in_transaction_ms=to.whole("idle_in_transaction_ms", 15000),
            connect_s=to.whole("connect_s", 5),
            redis_s=to.whole("redis_ms", 2000) / 1000,
        ),
        aad=cast(Literal["none", "column", "row"], table.choice("aad", ("none", "column", "row"), "column")),
        reveal_roles=table.roles("reveal_roles"),
        retired_keys=cast(Literal["flag", "refuse"], table.choice("retired_keys", ("flag", "refuse"), "flag")),
        keyring_timeout_s=kr.whole("timeout_ms", 5000) / 1000,
        keymap=table.keymap(),
        theme=table.theme(appearance),
        time_zone=table.time_zone("time_zone"),
    )


def _env_dsn(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(ENV_PREFIX + name) or None
    if value is not None and dsn_parts(value) is None:
        raise ConfigError(f"{ENV_PREFIX}{name} cannot be parsed as a libpq connection string", DSN_FIX)
    return value


def _apply_env(profile: Profile, env: Mapping[str, str]) -> Profile:
    def get(name: str) -> str | None:
        value = env.get(ENV_PREFIX + name)
        return value if value else None

    def target(current: PgTarget | None, system: str) -> PgTarget | None:
        dsn, replica = _env_dsn(env, f"{system}_DSN"), _env_dsn(env, f"{system}_REPLICA_DSN")
        schema = get(f"{system}_SCHEMA")
        if not (dsn or replica or schema):
            return current
        base = current or PgTarget(dsn="")
        result = replace(
            base,
            dsn=dsn or base.dsn,
            replica_dsn=replica or base.replica_dsn,
            schema=schema or base.schema,
        )
        if not result.dsn:
            raise ConfigError(f"{ENV_PREFIX}{system}_REPLICA_DSN or _SCHEMA is set without a DSN",
                              f"set {ENV_PREFIX}{system}_DSN too")
        return result

    role = get("ROLE")
    if role is not None and role not in ROLES:
        raise ConfigError(f"{ENV_PREFIX}ROLE must be one of {', '.join(ROLES)}", "or leave it unset")
    timeout = get("STATEMENT_TIMEOUT_MS")
    if timeout is not None and not (timeout.isdigit() and int(timeout) <= MAX_WHOLE):
        raise ConfigError(f"{ENV_PREFIX}STATEMENT_TIMEOUT_MS must be a whole number of milliseconds",
                          f"from 0 to {MAX_WHOLE}")
    read_only = get("READ_ONLY")
    if read_only is not None and read_only.lower() not in ("1", "true", "yes", "0", "false", "no"):
        raise ConfigError(f"{ENV_PREFIX}READ_ONLY must be 1, true or yes (or 0, false, no)", "or leave it unset")
    redis_url = get("RCMD_REDIS_URL")
    if redis_url is not None and redis_url_parts(redis_url) is None:
        raise ConfigError(f"{ENV_PREFIX}RCMD_REDIS_URL cannot be parsed as a Redis URL", REDIS_FIX)
    return replace(
        profile,
        rcmd=target(profile.rcmd, "RCMD"),
        ordersync=target(profile.ordersync, "ORDERSYNC"),
        rcmd_redis_url=redis_url or profile.rcmd_redis_url,
        role=role or profile.role,
        # Only ever towards read-only: 0 in the environment does not open a profile the file made read-only.
        read_only=True if read_only and read_only.lower() in ("1", "true", "yes") else profile.read_only,
        keyring=replace(
            profile.keyring,
            service=get("KEYRING_SERVICE") or profile.keyring.service,
            backend=get("KEYRING_BACKEND") or profile.keyring.backend,
            file=get("KEYRING_FILE") or profile.keyring.file,
        ),
        timeouts=replace(profile.timeouts, statement_ms=int(timeout)) if timeout else profile.timeouts,
    )


def _read(path: Path) -> Mapping[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        # tomllib names the position, never the text there; a UnicodeDecodeError quotes bytes, so it is not shown.
        where = str(exc) if isinstance(exc, tomllib.TOMLDecodeError) else "not UTF-8"
        raise ConfigError(f"{path} is not valid TOML: {where}", "fix the syntax at the position named") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", "check the path and its permissions") from None


def _profiles(top: _Table, appearance: Appearance | None) -> dict[str, Profile]:
    """Every profile of the file, each setting checked now: a mistake in one the command did not ask for is
    still found by ``rcmd-tui check``, not the day someone switches to it."""
    profiles = top.table("profiles")
    keymap, theme = top.keymap(), top.theme(appearance)
    found = {}
    for name in profiles.raw:
        profile = _profile_from_toml(profiles.table(name), name, appearance)
        # The keymap and theme are the person's, not the target's: top level, a profile may add to them.
        found[name] = replace(profile, keymap={**keymap, **profile.keymap}, theme=profile.theme or theme)
    return found


def load_profile(
    path: Path | None = None,
    name: str | None = None,
    env: Mapping[str, str] | None = None,
    appearance: Appearance | None = None,
) -> Profile:
    """The profile to use: file (optional) + environment. Raises ConfigError with a hint.

    ``appearance`` checks banners and themes against what the console can draw (cli.py passes Textual's)."""
    env = os.environ if env is None else env
    explicit = path is not None or bool(env.get(ENV_PREFIX + "CONFIG"))
    path = path or Path(env.get(ENV_PREFIX + "CONFIG") or default_config_path(env))
    name = name or env.get(ENV_PREFIX + "PROFILE")
    raw: Mapping[str, Any] = {}
    if path.exists():
        raw = _read(path)
    elif explicit:
        raise ConfigError(f"config file {path} does not exist", "check --config or RCMD_TUI_CONFIG")
    top = _Table(str(path), "", raw)
    top.only(TOP_KEYS, _homes("profiles.NAME"))
    profiles = _profiles(top, appearance)
    choose = f"choose one of: {', '.join(map(_key_text, profiles))}" if profiles else "add a [profiles.NAME] table"
    default = top.string("default_profile")
    if default is not None and default not in profiles:
        raise top.error("default_profile", "names no profile of the file", choose)
    name = name or default or next(iter(profiles), "default")
    if profiles and name not in profiles:  # a name typed on the command line or in RCMD_TUI_PROFILE: shown
        raise ConfigError(f"no profile named {name!r} in {path}", choose)
    # Without a profile in the file, the environment alone may define one (the top-level keys still count).
    profile = profiles.get(name) or Profile(name=name, keymap=top.keymap(), theme=top.theme(appearance))
    profile = _apply_env(profile, env)
    for url in (profile.rcmd and profile.rcmd.dsn, profile.rcmd and profile.rcmd.replica_dsn,
                profile.ordersync and profile.ordersync.dsn, profile.ordersync and profile.ordersync.replica_dsn,
                profile.rcmd_redis_url):
        for secret in secrets_in(url or ""):
            remember_secret(secret)
    if not profile.targets():
        raise ConfigError(
            f"profile {profile.name!r} names no target",
            f"write {path} (see docs/configuration.md), set {ENV_PREFIX}RCMD_DSN and friends, or run 'rcmd-tui demo'",
        )
    return profile


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def profile_to_toml(profile: Profile) -> str:
    """A config file holding just this profile (the demo writes one)."""
    lines = [f"default_profile = {_toml_str(profile.name)}", "", f"[profiles.{profile.name}]",
             f"role = {_toml_str(profile.role)}", f"banner = {_toml_str(profile.banner)}",
             f"read_only = {'true' if profile.read_only else 'false'}", f"aad = {_toml_str(profile.aad)}",
             "reveal_roles = [" + ", ".join(_toml_str(r) for r in profile.reveal_roles) + "]",
             f"retired_keys = {_toml_str(profile.retired_keys)}", f"time_zone = {_toml_str(profile.time_zone)}"]
    for system, target in (("rcmd", profile.rcmd), ("ordersync", profile.ordersync)):
        if target is None:
            continue
        lines += ["", f"[profiles.{profile.name}.{system}]", f"dsn = {_toml_str(target.dsn)}",
                  f"schema = {_toml_str(target.schema)}"]
        if target.replica_dsn:
            lines.append(f"replica_dsn = {_toml_str(target.replica_dsn)}")
        if system == "rcmd" and profile.rcmd_redis_url:
            lines.append(f"redis_url = {_toml_str(profile.rcmd_redis_url)}")
    kr = profile.keyring
    lines += ["", f"[profiles.{profile.name}.keyring]", f"service = {_toml_str(kr.service)}",
              f"timeout_ms = {int(profile.keyring_timeout_s * 1000)}"]
    if kr.backend:
        lines.append(f"backend = {_toml_str(kr.backend)}")
    if kr.file:
        lines.append(f"file = {_toml_str(kr.file)}")
    to = profile.timeouts
    lines += ["", f"[profiles.{profile.name}.timeouts]", f"statement_ms = {to.statement_ms}",
              f"lock_ms = {to.lock_ms}", f"idle_in_transaction_ms = {to.idle_in_transaction_ms}",
              f"connect_s = {to.connect_s}", f"redis_ms = {int(to.redis_s * 1000)}"]
    return "\n".join(lines) + "\n"
