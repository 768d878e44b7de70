"""Where the console can go: one registry feeds the `:` prompt, its completion and the command palette."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen

from rcmd_tui.config import Profile
from rcmd_tui.data.views import VIEWS
from rcmd_tui.errors import RcmdError

SYSTEM_ALIASES = {"rcmd": "rcmd", "r": "rcmd", "ordersync": "ordersync", "os": "ordersync", "o": "ordersync"}


class NavigationError(RcmdError):
    title = "Go to"


@dataclass(frozen=True, slots=True)
class Destination:
    name: str
    system: str | None
    help: str
    make: Callable[[], Screen[None]]

    @property
    def command(self) -> str:
        return f"{self.name} {self.system}" if self.system else self.name


def destinations(profile: Profile) -> list[Destination]:
    from rcmd_tui.screens.home import HomeScreen  # noqa: PLC0415 - screens import the registry too
    from rcmd_tui.screens.list_screen import screen_for  # noqa: PLC0415

    found = [Destination("home", None, "every target's health", HomeScreen)]
    configured = {"rcmd": profile.rcmd is not None, "ordersync": profile.ordersync is not None}
    for (name, system), spec in VIEWS.items():
        if configured.get(system):
            found.append(Destination(name, system, spec.title, lambda spec=spec: screen_for(spec)))  # type: ignore[misc]
    if profile.rcmd_redis_url:
        from rcmd_tui.screens.redis_keys import RedisScreen  # noqa: PLC0415

        found.append(Destination("redis", "rcmd", "RCMD Redis keys and values", RedisScreen))
    return found


def resolve(text: str, options: list[Destination]) -> Destination:
    """``audit``, ``audit ordersync``, ``aud os``: a unique prefix is enough; the system defaults to RCMD."""
    words = text.strip().lstrip(":").split()
    if not words:
        raise NavigationError("nothing to go to", "type a screen name, e.g. :audit")
    name, rest = words[0].lower(), words[1:]
    names = sorted({d.name for d in options})
    matches = [n for n in names if n == name] or [n for n in names if n.startswith(name)]
    if len(matches) != 1:
        why = f"no screen named {name!r}" if not matches else f"{name!r} could be {', '.join(matches)}"
        raise NavigationError(why, "choose one of: " + ", ".join(names))
    candidates = [d for d in options if d.name == matches[0]]
    if rest:
        system = SYSTEM_ALIASES.get(rest[0].lower())
        chosen = [d for d in candidates if d.system == system]
        if not chosen:
            systems = ", ".join(d.system or "-" for d in candidates)
            raise NavigationError(f"{matches[0]} has no system {rest[0]!r} here", f"use one of: {systems}")
        return chosen[0]
    return candidates[0]
