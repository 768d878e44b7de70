"""Payments (`:payments`): the list, and payment_current_state refreshed (admin; asks first, re-checked, audited)."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from rcmd_tui.data.actions.plan import Privilege
from rcmd_tui.data.ordersync.payments import refresh_payment_state
from rcmd_tui.screens.detail import DetailScreen
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.screens.payment_detail import PaymentDetail


class PaymentsScreen(ListScreen):
    DETAIL: ClassVar[type[DetailScreen]] = PaymentDetail
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"refresh_state"})
    # Not about the row a detail shows (it refreshes the whole view): left to the list, as prompting actions are.
    PROMPTING: ClassVar[frozenset[str]] = frozenset({"refresh_state"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("R", "refresh_state", "Refresh state view", id="payments.refresh_state",
                tooltip="Refresh payment_current_state from the payment events (CONCURRENTLY); asks first, audited"),
    ]

    def privileges_needed(self) -> tuple[Privilege, ...]:
        return refresh_payment_state(self.services.profile).privileges

    def action_refresh_state(self) -> None:
        if self.refuse("Refresh state view"):
            return
        self.propose(refresh_payment_state(self.services.profile))
