"""Profiles from TOML, with environment overrides for scripting.

DSNs are handed to psycopg unchanged, so libpq conventions (PG* variables, service files,
``.pgpass``) keep working. See docs/configuration.md for the file format and variables.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from rcmd_tui.data.infra.redact import remember_secret, secrets_in
from rcmd_tui.errors import ConfigError

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


def _table(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}.{key} must be a table", "see docs/configuration.md")
    return value


def _str(raw: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str | None:
    value = raw.get(key, default)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}.{key} must be a string, not {type(value).__name__}", "quote the value")
    return value


def _int(raw: Mapping[str, Any], key: str, where: str, default: int) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where}.{key} must be a whole number >= 0, not {value!r}", "fix the config file")
    return value


def _pg_target(raw: Mapping[str, Any], where: str) -> PgTarget | None:
    if not raw:
        return None
    dsn = _str(raw, "dsn", where)
    if dsn is None:
        raise ConfigError(f"{where} has no dsn", 'add dsn = "postgresql://..." or remove the table')
    return PgTarget(
        dsn=dsn,
        replica_dsn=_str(raw, "replica_dsn", where),
        schema=_str(raw, "schema", where, "public") or "public",
    )


def _keymap(raw: Mapping[str, Any], where: str) -> dict[str, str]:
    table = _table(raw, "keymap", where)
    bad = [k for k, v in table.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise ConfigError(f"{where}.keymap.{bad[0]} must be a key string such as \"ctrl+d\" or \"x,delete\"",
                          "see docs/keys.md for the binding ids and key names")
    return {str(k): str(v) for k, v in table.items()}


def _profile_from_toml(name: str, raw: Mapping[str, Any]) -> Profile:
    where = f"profiles.{name}"
    role = raw.get("role", "support")
    if role not in ROLES:
        raise ConfigError(f"{where}.role is {role!r}", f"use one of {', '.join(ROLES)}")
    aad = raw.get("aad", "column")
    if aad not in ("none", "column", "row"):
        raise ConfigError(f"{where}.aad is {aad!r}", "use none, column or row")
    rcmd = _table(raw, "rcmd", where)
    kr = _table(raw, "keyring", where)
    to = _table(raw, "timeouts", where)
    reveal_roles = raw.get("reveal_roles", list(ROLES))
    if not isinstance(reveal_roles, list) or any(r not in ROLES for r in reveal_roles):
        raise ConfigError(f"{where}.reveal_roles is {reveal_roles!r}", f"use a list of: {', '.join(ROLES)} (or [] for nobody)")
    retired = raw.get("retired_keys", "flag")
    if retired not in ("flag", "refuse"):
        raise ConfigError(f"{where}.retired_keys is {retired!r}", "use flag (decrypt and mark) or refuse")
    read_only = raw.get("read_only", False)
    if not isinstance(read_only, bool):
        raise ConfigError(f"{where}.read_only must be true or false", "fix the config file")
    return Profile(
        name=name,
        rcmd=_pg_target(rcmd, f"{where}.rcmd"),
        rcmd_redis_url=_str(rcmd, "redis_url", f"{where}.rcmd"),
        ordersync=_pg_target(_table(raw, "ordersync", where), f"{where}.ordersync"),
        role=cast(ConsoleRole, role),
        read_only=read_only,
        banner=_str(raw, "banner", where, "blue") or "blue",
        keyring=KeyringSettings(
            service=_str(kr, "service", f"{where}.keyring", "rcmd-tui") or "rcmd-tui",
            backend=_str(kr, "backend", f"{where}.keyring"),
            file=_str(kr, "file", f"{where}.keyring"),
        ),
        timeouts=Timeouts(
            statement_ms=_int(to, "statement_ms", f"{where}.timeouts", 5000),
            lock_ms=_int(to, "lock_ms", f"{where}.timeouts", 2000),
            idle_in_transaction_ms=_int(to, "idle_in_transaction_ms", f"{where}.timeouts", 15000),
            connect_s=_int(to, "connect_s", f"{where}.timeouts", 5),
            redis_s=float(_int(to, "redis_ms", f"{where}.timeouts", 2000)) / 1000,
        ),
        aad=cast(Literal["none", "column", "row"], aad),
        reveal_roles=tuple(cast(list[ConsoleRole], reveal_roles)),
        retired_keys=cast(Literal["flag", "refuse"], retired),
        keyring_timeout_s=float(_int(kr, "timeout_ms", f"{where}.keyring", 5000)) / 1000,
    )


def _apply_env(profile: Profile, env: Mapping[str, str]) -> Profile:
    def get(name: str) -> str | None:
        value = env.get(ENV_PREFIX + name)
        return value if value else None

    def target(current: PgTarget | None, system: str) -> PgTarget | None:
        dsn, replica, schema = get(f"{system}_DSN"), get(f"{system}_REPLICA_DSN"), get(f"{system}_SCHEMA")
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
        raise ConfigError(f"{ENV_PREFIX}ROLE is {role!r}", f"use one of {', '.join(ROLES)}")
    timeout = get("STATEMENT_TIMEOUT_MS")
    if timeout is not None and not timeout.isdigit():
        raise ConfigError(f"{ENV_PREFIX}STATEMENT_TIMEOUT_MS is {timeout!r}", "use a whole number of milliseconds")
    return replace(
        profile,
        rcmd=target(profile.rcmd, "RCMD"),
        ordersync=target(profile.ordersync, "ORDERSYNC"),
        rcmd_redis_url=get("RCMD_REDIS_URL") or profile.rcmd_redis_url,
        role=role or profile.role,
        read_only=True if get("READ_ONLY") in ("1", "true", "yes") else profile.read_only,
        keyring=replace(
            profile.keyring,
            service=get("KEYRING_SERVICE") or profile.keyring.service,
            backend=get("KEYRING_BACKEND") or profile.keyring.backend,
            file=get("KEYRING_FILE") or profile.keyring.file,
        ),
        timeouts=replace(profile.timeouts, statement_ms=int(timeout)) if timeout else profile.timeouts,
    )


def load_profile(
    path: Path | None = None,
    name: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Profile:
    """The profile to use: file (optional) + environment. Raises ConfigError with a hint."""
    env = os.environ if env is None else env
    explicit = path is not None or bool(env.get(ENV_PREFIX + "CONFIG"))
    path = path or Path(env.get(ENV_PREFIX + "CONFIG") or default_config_path(env))
    name = name or env.get(ENV_PREFIX + "PROFILE")
    raw: Mapping[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}", "fix the syntax at the position named") from None
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}", "check the path and its permissions") from None
    elif explicit:
        raise ConfigError(f"config file {path} does not exist", "check --config or RCMD_TUI_CONFIG")
    profiles = _table(raw, "profiles", "config")
    name = name or _str(raw, "default_profile", "config") or (next(iter(profiles)) if profiles else "default")
    if profiles and name not in profiles:
        raise ConfigError(f"no profile named {name!r} in {path}", f"choose one of: {', '.join(profiles)}")
    profile = _profile_from_toml(name, _table(profiles, name, "profiles")) if name in profiles else Profile(name=name)
    # The keymap and theme are the person's, not the target's: top level, a profile may add to them.
    profile_raw = _table(profiles, name, "profiles") if name in profiles else {}
    profile = replace(profile, keymap={**_keymap(raw, "config"), **_keymap(profile_raw, f"profiles.{name}")},
                      theme=_str(profile_raw, "theme", f"profiles.{name}") or _str(raw, "theme", "config"))
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
             f"retired_keys = {_toml_str(profile.retired_keys)}"]
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
