"""Schedules (`:schedules`): RCMD's schedule rules with their next runs in the profile's time zone. Actions
(admin): switch the marked rules (or this one) on or off, run this one now. Each asks first, re-checks the rule
as shown and is audited."""

from __future__ import annotations

import uuid
from typing import ClassVar

from textual.binding import Binding, BindingType

from rcmd_tui.data.actions.plan import Privilege
from rcmd_tui.data.lists.spec import Record
from rcmd_tui.data.rcmd.schedule_actions import Rule, run_now, set_rules_active, template_problem
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.text import escape_controls

_ANY = Rule("00000000-0000-0000-0000-000000000000", "any", "00000000-0000-0000-0000-000000000000", True, {})


def rule_of(record: Record) -> Rule:
    return Rule(str(record.get("id")), str(record.get("name")), str(record.get("user_id")), record.get("is_active"),
                record.get("job_template"))


class SchedulesScreen(ListScreen):
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"switch", "run_now"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("A", "switch", "On/off", id="schedules.switch",
                tooltip="Switch the marked rules (or this one) on or off, as this one is not; asks first, audited"),
        Binding("N", "run_now", "Run now", id="schedules.run_now",
                tooltip="Queue a job from this rule's template now (PostgreSQL and Bull's wait list); asks first, audited"),
    ]

    def privileges_needed(self) -> tuple[Privilege, ...]:
        plans = (set_rules_active([_ANY], False, self.services.profile), run_now(_ANY, _ANY.id, self.services.profile))
        return tuple(dict.fromkeys(p for plan in plans for p in plan.privileges))

    def action_switch(self) -> None:
        if self.refuse("On/off"):
            return
        current = self.current()
        chosen = [rule_of(r) for r in self.targets() if r.get("id") is not None]
        if current is None or not chosen:
            self.notify("No schedule rule here", timeout=3)
            return
        active = not bool(current.get("is_active"))  # as the cursor's rule is not: the marked ones follow it
        left = [r for r in chosen if bool(r.is_active) != active]
        if not left:  # marked rules, all already the way the cursor's rule is not: nothing to ask about
            self.notify(f"The marked rules are all {'on' if active else 'off'} already", timeout=3)
            return
        if len(left) < len(chosen):
            self.notify(f"{len(chosen) - len(left)} already {'on' if active else 'off'}, left out", timeout=3)
        self.propose(set_rules_active(left, active, self.services.profile))

    def action_run_now(self) -> None:
        if self.refuse("Run now"):
            return
        current = self.current()
        if current is None:
            self.notify("No schedule rule here", timeout=3)
            return
        rule = rule_of(current)
        problem = template_problem(rule.job_template)
        if problem is not None:
            self.notify(escape_controls(f"Cannot run {rule.name} now: {problem}"), severity="error", timeout=6, markup=False)
            return
        self.propose(run_now(rule, str(uuid.uuid4()), self.services.profile))
