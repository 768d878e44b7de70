"""Every monitoring view, gathered from the modules of this package (each defines ``VIEWS``), in the order the
monitoring screens show them (``ORDER``; a module not named there comes after, by name)."""

from __future__ import annotations

import importlib
import pkgutil

import rcmd_tui.data.monitor
from rcmd_tui.data.lists.spec import ListSpec

ORDER = ("activity", "locks", "statements", "storage", "connections", "redis_health", "security")


def _gather() -> tuple[ListSpec, ...]:
    names = [m.name for m in pkgutil.iter_modules(rcmd_tui.data.monitor.__path__) if m.name != "views"]
    names.sort(key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    found: list[ListSpec] = []
    for name in names:
        found += getattr(importlib.import_module(f"rcmd_tui.data.monitor.{name}"), "VIEWS", ())
    return tuple(found)


VIEWS = _gather()
