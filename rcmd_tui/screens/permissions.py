"""RCMD permissions (`:permissions`): one row per user and remote; Enter shows the row with its path rules as a
table; `E` edits a row and `N` makes one (checked in the form, shown as a diff, confirmed, audited, the
service's cache of the row deleted); `A` answers whether the row's user may do an action at a path, and which
rule decided, writing nothing.

The editor (screens/permission_form.py), the access check (screens/access_check.py) and the detail
(screens/permission_detail.py) are this screen's own.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType

from rcmd_tui.data.actions.plan import Privilege
from rcmd_tui.data.rcmd.permission_edit import (
    PermissionEdit,
    PermissionRow,
    Problem,
    create_permission,
    read_permission,
    update_permission,
    validate_edit,
)
from rcmd_tui.data.rcmd.permissions_view import FormValues, find_user, form_values
from rcmd_tui.screens.access_check import AccessCheck
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.screens.permission_detail import PermissionDetail
from rcmd_tui.screens.permission_form import PermissionForm

_ANY_ROW = PermissionRow("00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000", "any", "any",
                         ("read",), [], True, None)
_ANY_EDIT = PermissionEdit(("read",), (), True)


def _unchanged(row: PermissionRow, edit: PermissionEdit) -> bool:
    return (list(row.permissions), row.path_rules, row.is_active) == (list(edit.permissions), edit.rules_json(), edit.is_active)


class PermissionsScreen(ListScreen):
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"edit", "new"})
    DETAIL = PermissionDetail
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("E", "edit", "Edit", id="permissions.edit",
                tooltip="Edit this row's permissions, path rules and active: checked, shown as a diff, asks first, "
                        "audited; the service's cache of the row is deleted"),
        Binding("N", "new", "New", id="permissions.new",
                tooltip="A permissions row for a user on a remote: checked, asks first, audited"),
        Binding("A", "check_access", "Check access", id="permissions.check",
                tooltip="May this row's user do an action at a path, and which rule decides (writes nothing)"),
    ]

    def privileges_needed(self) -> tuple[Privilege, ...]:
        profile = self.services.profile
        edit = update_permission(_ANY_ROW, _ANY_EDIT, profile).privileges
        new = create_permission(_ANY_ROW.user_id, "any", "any", _ANY_EDIT, profile).privileges
        return tuple(dict.fromkeys(edit + new))

    def _current_id(self, what: str) -> str | None:
        current = self.current()
        if current is None or current.get("id") is None:
            self.notify(f"No row here to {what}", timeout=3)
            return None
        return str(current.get("id"))

    def _gone(self) -> None:
        self.notify("This row is gone (deleted since the list was read); r reads the list again", severity="warning",
                    timeout=4)

    # -- E ----------------------------------------------------------------------------------------------

    def action_edit(self) -> None:
        if self.refuse("Edit"):
            return
        permission_id = self._current_id("edit")
        if permission_id is not None:
            self._edit(permission_id)

    @work(exclusive=True, group="action-read", exit_on_error=False)
    async def _edit(self, permission_id: str) -> None:
        """The row is read again first: the form shows, and the edit re-checks, what is stored now."""
        row = await read_permission(self.services.primary("rcmd"), permission_id)
        if row is None:
            self._gone()
            return
        note = "" if row.path_rules is None or isinstance(row.path_rules, list) else \
            "The stored path rules are not an array of rules: they are in the first box, to be rewritten as rules."
        answer = await self.app.push_screen_wait(PermissionForm(f"Edit permissions of {row.who}", form_values(row), note=note))
        if answer is None:
            self.notify("Cancelled; nothing was changed", timeout=2)
            return
        if _unchanged(row, answer.edit):
            self.notify("Nothing changed, so nothing to write", timeout=3)
            return
        self.propose(update_permission(row, answer.edit, self.services.profile))

    # -- N ----------------------------------------------------------------------------------------------

    def action_new(self) -> None:
        if self.refuse("New"):
            return
        current = self.current()
        # The user of the row under the cursor, to add a remote for them; a name that is not plain text is given by id.
        name = str(current.get("username") or "") if current is not None else ""
        if current is not None and not name.isprintable():
            name = str(current.get("user_id") or "")
        self._new(FormValues("read", (), "yes", user=name))

    @work(exclusive=True, group="action-read", exit_on_error=False)
    async def _new(self, values: FormValues) -> None:
        problems: tuple[Problem, ...] = ()
        while True:
            answer = await self.app.push_screen_wait(PermissionForm("New permissions row", values, new=True, problems=problems))
            if answer is None:
                self.notify("Cancelled; nothing was changed", timeout=2)
                return
            values, remote = answer.values, answer.values.remote.strip()
            user = await find_user(self.services.primary("rcmd"), answer.values.user)
            if user is None:
                problems = (Problem("user", f"no user {answer.values.user.strip()!r}; type an existing username or user id"),)
                continue
            # Told in the form, before the dialog: the run would refuse it too, but then the typing would be lost.
            async with self.services.primary("rcmd").connection() as conn:
                taken = await (await conn.execute("SELECT 1 FROM permissions WHERE user_id = %s::uuid AND remote_id = %s",
                                                  [user.id, remote])).fetchone()
            if taken is None:
                break
            problems = (Problem("remote_id", f"{user.username} already has a permissions row for {remote}: press Esc, "
                                             "then E on that row to edit it"),)
        plan = create_permission(user.id, user.username, remote, answer.edit, self.services.profile)
        self.propose(plan)

    # -- A ----------------------------------------------------------------------------------------------

    def action_check_access(self) -> None:
        permission_id = self._current_id("check")
        if permission_id is not None:
            self._check_access(permission_id)

    @work(exclusive=True, group="action-read", exit_on_error=False)
    async def _check_access(self, permission_id: str) -> None:
        """Answered from the row as stored now, not as the list read it."""
        row = await read_permission(self.services.reader("rcmd"), permission_id)
        if row is None:
            self._gone()
            return
        checked = validate_edit(list(row.permissions), row.path_rules, row.is_active)
        grant = checked.edit.grant if checked.edit is not None else None
        self.app.push_screen(AccessCheck(row.who, grant, "; ".join(map(str, checked.problems))))
