"""Orders (`:orders`): OrderSync's orders, newest first; Enter opens one with its amounts, items and timeline.
Actions (admin): cancel this order with a reason (respecting its version), and run the anonymous-order expiry
now. Each asks first, re-checks, and is audited in OrderSync's log."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType

from rcmd_tui.data.actions.plan import ActionRefused, Privilege
from rcmd_tui.data.lists.spec import Record
from rcmd_tui.data.ordersync.order_actions import DUE, PAYMENT_OF, ShownOrder, cancel_order, expire_anonymous
from rcmd_tui.screens.detail import DetailScreen
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.screens.order_detail import OrderDetail
from rcmd_tui.screens.text_prompt import TextPrompt
from rcmd_tui.widgets.cells import shown

_ANY = "00000000-0000-0000-0000-000000000000"


def shown_order(record: Record, restaurant: str) -> ShownOrder:
    total = record.get("total_amount")
    label = f"{str(record.get('id'))[:8]} ({restaurant}, {total:,})" if isinstance(total, int) else str(record.get("id"))[:8]
    return ShownOrder(str(record.get("id")), int(record.get("version")), str(record.get("status")), label)


class OrdersScreen(ListScreen):
    DETAIL: ClassVar[type[DetailScreen]] = OrderDetail
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"cancel", "expire"})
    PROMPTING: ClassVar[frozenset[str]] = frozenset({"expire"})  # about all orders, not the one a detail shows
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("C", "cancel", "Cancel order", id="orders.cancel",
                tooltip="Cancel this open order, with a reason (status, cancelled_at, a history row); asks first, audited"),
        Binding("X", "expire", "Expire anon.", id="orders.expire",
                tooltip="Run OrderSync's anonymous-order expiry now (anonymous orders past 24 h, not finished); asks first, audited"),
    ]

    @property
    def action_system(self) -> str:
        return "ordersync"

    def privileges_needed(self) -> tuple[Privilege, ...]:
        profile = self.services.profile
        plans = (cancel_order(ShownOrder(_ANY, 1, "PENDING"), "check", profile), expire_anonymous(0, profile))
        return tuple(dict.fromkeys(p for plan in plans for p in plan.privileges))

    def action_cancel(self) -> None:
        if self.refuse("Cancel order"):
            return
        record = self.current()
        if record is None or record.get("version") is None:
            self.notify("No order here to cancel", timeout=3)
            return
        order = shown_order(record, shown(self.spec.column("restaurant"), record.get("restaurant")))
        try:  # refused before asking why, when there is nothing to cancel
            cancel_order(order, "check", self.services.profile)
        except ActionRefused as exc:
            self.notify(f"{exc.message}: {exc.hint}", timeout=4, markup=False)
            return

        def asked(reason: str | None) -> None:
            if reason:
                self._propose_cancel(order, reason)

        self.app.push_screen(TextPrompt(f"Why cancel order {order.name}? (its status history and OrderSync's audit log keep it)",
                                        "ticket or reason, e.g. SUP-1234 restaurant closed early",
                                        required="A reason is required: type why (a ticket number will do), or press Esc."),
                             asked)

    @work(exclusive=True, group="action-read", exit_on_error=False, description="read the order's payment")
    async def _propose_cancel(self, order: ShownOrder, reason: str) -> None:
        async with self.services.reader("ordersync").connection() as conn:
            row = await (await conn.execute(PAYMENT_OF, [order.id])).fetchone()
        try:
            plan = cancel_order(order, reason, self.services.profile, (str(row[0]), str(row[1]), int(row[2])) if row else None)
        except ActionRefused as exc:
            self.notify(f"{exc.message}: {exc.hint}", severity="warning", timeout=5, markup=False)
            return
        self.propose(plan)

    def action_expire(self) -> None:
        if self.refuse("Expire anonymous orders"):
            return
        self._count_due()

    @work(exclusive=True, group="orders-expire", exit_on_error=False, description="count the anonymous orders due")
    async def _count_due(self) -> None:
        async with self.services.reader("ordersync").connection() as conn:
            row = await (await conn.execute(DUE)).fetchone()
        due = int(row[0]) if row else 0
        if due == 0:
            self.notify("No anonymous order is past its 24 hours and still open: nothing to expire", timeout=4)
            return
        self.propose(expire_anonymous(due, self.services.profile))
