"""Every view the console has, found where each system keeps them, and the names people type for them.

A system's views live in ``rcmd_tui/data/<system>/views.py`` as a ``VIEWS`` tuple; adding a view there makes it
a ``rcmd-tui report`` view and a destination of the `:` prompt (once navigation gives it a screen) with no
other registration.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol, TypeVar

import rcmd_tui.data
from rcmd_tui.config import Profile
from rcmd_tui.data.lists.spec import BOTH, ListSpec
from rcmd_tui.errors import RcmdError

SYSTEM_ORDER = ("rcmd", "ordersync")  # a name without a system means the first that has it
SYSTEM_ALIASES = {"rcmd": "rcmd", "r": "rcmd", "ordersync": "ordersync", "os": "ordersync", "o": "ordersync"}


class NavigationError(RcmdError):
    title = "Go to"


@cache
def all_views() -> tuple[ListSpec, ...]:
    found: list[ListSpec] = []
    order = list(SYSTEM_ORDER)
    for module in sorted(pkgutil.iter_modules(rcmd_tui.data.__path__),
                         key=lambda m: (order.index(m.name) if m.name in order else len(order), m.name)):
        name = f"rcmd_tui.data.{module.name}.views"
        if module.ispkg and importlib.util.find_spec(name) is not None:
            found += importlib.import_module(name).VIEWS
    keys = [(v.key, v.system) for v in found]
    duplicate = next((k for k in keys if keys.count(k) > 1), None)
    if duplicate:
        raise RuntimeError(f"two views are called {duplicate[0]} {duplicate[1]}")
    return tuple(found)


def configured(spec: ListSpec, profile: Profile) -> bool:
    if spec.reads_redis:
        return spec.system == "rcmd" and profile.rcmd_redis_url is not None
    if spec.system == BOTH:
        return profile.rcmd is not None or profile.ordersync is not None
    return (profile.rcmd if spec.system == "rcmd" else profile.ordersync) is not None


def views_for(profile: Profile) -> list[ListSpec]:
    return [v for v in all_views() if configured(v, profile)]


def family_of(spec: ListSpec, profile: Profile) -> list[ListSpec]:
    """The views shown beside ``spec`` (its family), for its system: a view of another system comes in only
    where this one has none of that name (RCMD's Redis, the one Redis there is)."""
    if spec.family is None:
        return []
    members = [v for v in views_for(profile) if v.family == spec.family]
    own = [v for v in members if v.system == spec.system]
    keys = {v.key for v in own}
    others = [v for v in members if v.system != spec.system and v.key not in keys]
    chosen = own + [v for i, v in enumerate(others) if v.key not in {o.key for o in others[:i]}]
    order = list(dict.fromkeys(v.key for v in members))
    return sorted(chosen, key=lambda v: order.index(v.key))


@dataclass(frozen=True, slots=True)
class Place:
    """A name people type (``audit``, ``users ordersync``) and what it is."""

    name: str
    system: str | None
    help: str
    filter: str = ""  # what to open it filtered by (typed after the name: timeline kim@example.com)

    @property
    def command(self) -> str:
        return f"{self.name} {self.system}" if self.system else self.name


class Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def system(self) -> str | None: ...


N = TypeVar("N", bound=Named)


def resolve(text: str, options: Sequence[N], what: str = "screen") -> N:
    """``audit``, ``audit ordersync``, ``aud os``: a unique prefix is enough; the system defaults to the first
    one listed (RCMD)."""
    return resolve_with_filter(text, options, what)[0]


def _filter_like(word: str) -> bool:
    return any(c in word for c in "=:~@<>")


def resolve_with_filter(text: str, options: Sequence[N], what: str = "screen") -> tuple[N, str]:
    """As :func:`resolve`, and what follows the name (and system) as the filter to open it with:
    ``audit os user=kim``, ``timeline kim@example.com`` (a view of both systems takes any words)."""
    words = text.strip().lstrip(":").split()
    if not words:
        raise NavigationError("nothing to go to", f"type a {what} name, e.g. audit")
    name, rest = words[0].lower(), words[1:]
    names = sorted({d.name for d in options})
    matches = [n for n in names if n == name] or [n for n in names if n.startswith(name)]
    if len(matches) != 1:
        why = f"no {what} named {name!r}" if not matches else f"{name!r} could be {', '.join(matches)}"
        raise NavigationError(why, "choose one of: " + ", ".join(names))
    candidates = [d for d in options if d.name == matches[0]]
    systems = [d.system for d in candidates if d.system]
    if rest and rest[0].lower() in SYSTEM_ALIASES and systems:
        system = SYSTEM_ALIASES[rest[0].lower()]
        chosen = [d for d in candidates if d.system == system]
        if not chosen:
            raise NavigationError(f"{matches[0]} has no system {rest[0]!r} here", f"use one of: {', '.join(systems)}")
        return chosen[0], " ".join(rest[1:])
    if rest and not systems and rest[0].lower() in SYSTEM_ALIASES:
        raise NavigationError(f"{matches[0]} is not per system", f"type :{matches[0]} alone")
    if rest and systems and not _filter_like(rest[0]):
        raise NavigationError(f"{matches[0]} has no system {rest[0]!r} here",
                              f"use one of: {', '.join(systems)}; then a filter, e.g. :{matches[0]} {systems[0]} since:1h")
    return candidates[0], " ".join(rest)


def find_view(text: str, profile: Profile) -> ListSpec:
    return resolve(text, views_for(profile), what="view")
