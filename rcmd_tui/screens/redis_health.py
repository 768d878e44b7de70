"""Redis health: the list, and an IP the login rate limit blocks, unblocked (asks first, audited)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from rcmd_tui.data.actions.plan import Privilege
from rcmd_tui.data.monitor.redis_health import unblock_ip
from rcmd_tui.screens.list_screen import ListScreen


class RedisHealthScreen(ListScreen):
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"unblock"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("U", "unblock", "Unblock IP", id="redis_health.unblock",
                tooltip="On a blocked IP: delete its rate:login counter if it still holds the count shown (asks first, audited)"),
    ]

    def privileges_needed(self) -> tuple[Privilege, ...]:
        return unblock_ip(b"rate:login:0.0.0.0", b"0", self.services.profile).privileges

    def action_unblock(self) -> None:
        if self.refuse("Unblock"):
            return
        record = self.table.current()
        key, raw = (record.get("key"), record.get("raw")) if record is not None else (None, None)
        if record is None or record.get("section") != "blocked" or not isinstance(key, bytes) or not isinstance(raw, bytes):
            self.notify("Move to a blocked IP first (/section=blocked lists them)", severity="warning", timeout=4)
            return
        self.propose(unblock_ip(key, raw, self.services.profile))
