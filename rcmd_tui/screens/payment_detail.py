"""A payment: its fields, and under them its story: the payment row's times, every event (authorized, captured,
refunded, cancelled) with its amount, each refund asked for and processed, and its audit rows, oldest first, so
"was I charged twice?" is answered by reading down one pane."""

from __future__ import annotations

from rcmd_tui.data.crypto.decrypt import Decryptor
from rcmd_tui.data.ordersync.order_timeline import Timeline, read_payment_timeline
from rcmd_tui.screens.order_detail import TimelineDetail


class PaymentDetail(TimelineDetail):
    @property
    def screen_name(self) -> str:
        return f"{self.spec.title} › payment"

    async def load_timeline(self, decryptor: Decryptor) -> Timeline:
        return await read_payment_timeline(self.services.reader(self.spec.system), decryptor, str(self.record.get("id")))
