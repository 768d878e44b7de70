"""RCMD users: the list, plus activate and deactivate (admin, read-write sessions, a role that may)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from rcmd_tui.data.actions.plan import Privilege
from rcmd_tui.data.lists.spec import Record
from rcmd_tui.data.rcmd.actions import set_users_active
from rcmd_tui.screens.list_screen import ListScreen


class RcmdUsersScreen(ListScreen):
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"set_active"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("D", "set_active(False)", "Deactivate", id="users.deactivate",
                tooltip="Deactivate the marked users (or this one); asks first, audited"),
        Binding("A", "set_active(True)", "Activate", id="users.activate",
                tooltip="Activate the marked users (or this one); asks first, audited"),
    ]

    def privileges_needed(self) -> tuple[Privilege, ...]:
        return set_users_active([], False, self.services.profile).privileges

    def targets(self) -> list[Record]:
        marked = self.table.marked_records()
        current = self.table.current()
        return marked or ([current] if current is not None else [])

    def action_set_active(self, active: bool) -> None:
        if self.refuse("Activate" if active else "Deactivate"):
            return
        targets = self.targets()
        chosen = [r for r in targets if r.get("is_active") is not active]
        state = "active" if active else "inactive"
        if not chosen:
            self.notify(f"Nothing to {'activate' if active else 'deactivate'}: the chosen users are already {state}", timeout=3)
            return
        skipped = len(targets) - len(chosen)
        if skipped:
            self.notify(f"{skipped} of the {len(targets)} chosen {'is' if skipped == 1 else 'are'} already {state}; "
                        "left out", timeout=4)
        users = [(str(r.get("id")), str(r.get("username"))) for r in chosen]
        self.propose(set_users_active(users, active, self.services.profile, skipped=skipped))
