"""Users of both systems: the lists, whose details lead to the user's sessions, permissions, logins and
audit trail (ListSpec.leads); and the actions on users.

RCMD: activate, deactivate, change role. OrderSync: unlock, suspend, reactivate, reset two-factor; each
re-checks the row's ``version`` as shown, so a user changed meanwhile is refused, never overwritten."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.binding import Binding, BindingType

from rcmd_tui.data.actions.plan import ActionRefused, Plan, Privilege
from rcmd_tui.data.crypto.decrypt import Plain
from rcmd_tui.data.crypto.masking import mask_email
from rcmd_tui.data.lists.spec import Record
from rcmd_tui.data.ordersync.user_actions import ShownUser, reactivate, reset_two_factor, suspend, unlock
from rcmd_tui.data.rcmd.actions import USER_ROLES, change_role, set_users_active
from rcmd_tui.errors import RcmdError
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.widgets.prompt_bar import PromptBar

_NOBODY = "00000000-0000-0000-0000-000000000000"


class RcmdUsersScreen(ListScreen):
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"set_active", "role"})
    PROMPTING: ClassVar[frozenset[str]] = frozenset({"role"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("D", "set_active(False)", "Deactivate", id="users.deactivate",
                tooltip="Deactivate the marked users (or this one); asks first, audited"),
        Binding("A", "set_active(True)", "Activate", id="users.activate",
                tooltip="Activate the marked users (or this one); asks first, audited"),
        Binding("R", "role", "Role", id="users.role",
                tooltip="Give this user another role (admin, power_user, user); asks first, audited"),
    ]

    def privileges_needed(self) -> tuple[Privilege, ...]:
        return (*set_users_active([], False, self.services.profile).privileges,
                *change_role(_NOBODY, "", "user", "power_user", self.services.profile).privileges)

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

    def action_role(self) -> None:
        if self.refuse("Change role"):
            return
        record = self.current()
        if record is None:
            return
        bar = self.query_one(PromptBar)
        username, shown_role = str(record.get("username")), str(record.get("role"))

        def go(text: str) -> None:
            try:
                plan = change_role(str(record.get("id")), username, shown_role, text.strip(), self.services.profile)
            except RcmdError as exc:  # not a role, or the one it has: told in the bar, which stays open
                bar.say(exc)
                return
            bar.action_close()
            self.propose(plan)

        bar.ask(f"New role for {username} (now {shown_role})", " / ".join(USER_ROLES), go)


def _shown(record: Record) -> ShownUser:
    email = record.get("email")  # named masked, as the list shows it: a confirmation is no reveal
    label = mask_email(email.text) if isinstance(email, Plain) else str(record.get("id"))
    return ShownUser(str(record.get("id")), int(record.get("version")), str(record.get("status")),
                     record.get("failed_login_count"), record.get("locked_until"), record.get("two_factor_enabled"),
                     bool(record.get("two_factor_secret_set")), label=label)


class OrderSyncUsersScreen(ListScreen):
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"user_action"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("U", "user_action('unlock')", "Unlock", id="os_users.unlock",
                tooltip="Reset the failed-login count and clear the lock; asks first, audited"),
        Binding("S", "user_action('suspend')", "Suspend", id="os_users.suspend",
                tooltip="Suspend this user (no sign-in); asks first, audited"),
        Binding("A", "user_action('reactivate')", "Reactivate", id="os_users.reactivate",
                tooltip="Make a suspended user active again; asks first, audited"),
        Binding("F", "user_action('reset_2fa')", "Reset 2FA", id="os_users.reset_2fa",
                tooltip="Turn two-factor off and drop its secret, so the user enrols again; asks first, audited"),
    ]
    ACTIONS: ClassVar[dict[str, Callable[..., Plan]]] = {
        "unlock": unlock, "suspend": suspend, "reactivate": reactivate, "reset_2fa": reset_two_factor}

    @property
    def action_system(self) -> str:
        return "ordersync"

    def privileges_needed(self) -> tuple[Privilege, ...]:
        nobody = ShownUser(_NOBODY, 1, "ACTIVE", 1, None, True, True)
        return tuple(dict.fromkeys(p for make in (unlock, suspend) for p in make(nobody, self.services.profile).privileges))

    def action_user_action(self, name: str) -> None:
        if self.refuse(name.replace("_", " ").capitalize()):
            return
        record = self.current()
        if record is None or record.get("version") is None:
            return
        try:
            plan = self.ACTIONS[name](_shown(record), self.services.profile)
        except ActionRefused as exc:  # nothing to do for this user (not locked, not suspended …)
            self.notify(f"{exc.message}: {exc.hint}", timeout=4, markup=False)
            return
        self.propose(plan)
