"""An order: whether its amounts add up, its items (decrypted; what is more than a dish stays masked until
revealed), its fields, and under them its timeline: status history, the row's status times, the payment, its
events and refunds, and the audit rows, oldest first."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType

from rcmd_tui.data.crypto.decrypt import Decryptor, Failure, Plain
from rcmd_tui.data.crypto.masking import mask_text
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.spec import ListSpec, Record
from rcmd_tui.data.ordersync.order_timeline import Amounts, Moment, Timeline, read_items, read_timeline
from rcmd_tui.screens.detail import JsonTree
from rcmd_tui.screens.detail_pane import PanedDetail
from rcmd_tui.text import escape_controls
from rcmd_tui.widgets.paged_table import PagedTable
from rcmd_tui.widgets.safe_text import inert

SOURCE_STYLES = {"status": "bold", "payment": "cyan", "event": "cyan", "refund": "magenta", "audit": "dim"}


def moment_text(moment: Moment) -> Text:
    """One line of the timeline: date and time (UTC), where it comes from, what happened; database text inert.

    >>> from datetime import datetime, UTC
    >>> moment_text(Moment(datetime(2026, 5, 1, 13, 4, 5, tzinfo=UTC), "status", "PENDING → ACCEPTED", "by owner\\x1b[2J")).plain
    '2026-05-01 13:04:05 status  PENDING → ACCEPTED  by owner\\\\x1b[2J'
    """
    text = Text.assemble((moment.at.strftime("%Y-%m-%d %H:%M:%S"), "dim"), " ",
                         (f"{moment.source:<7}", SOURCE_STYLES.get(moment.source, "")), " ",
                         (escape_controls(moment.what, 300), "bold red" if moment.warn else ""))
    if moment.detail:
        text.append("  " + escape_controls(moment.detail, 500), style="dim")
    if isinstance(moment.masked, Plain) and moment.source == "refund":  # why, masked: it may name the customer
        text.append("  reason " + mask_text(moment.masked.text), style="italic")
    elif isinstance(moment.masked, Failure):  # an event's data is the gateway's, not worth a line unless it is broken
        text.append(f"  ⚠ {moment.masked.kind.value}", style="bold red")
    return text


class TimelineDetail(PanedDetail):
    """A row whose story is a timeline under its fields (an order, a payment): read once, oldest first."""

    PANE = "Timeline"
    PANE_FOLLOWS = False  # read from the top: the story starts at its beginning
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "switch_pane", "Fields/timeline", id="timeline.switch", tooltip="Move between the fields and the timeline"),
    ]

    def __init__(self, services: Services, spec: ListSpec, record: Record, table: PagedTable | None = None) -> None:
        super().__init__(services, spec, record, table)
        self.timeline: Timeline | None = None

    def on_mount(self) -> None:
        self.read_timeline()

    async def load_timeline(self, decryptor: Decryptor) -> Timeline:
        raise NotImplementedError

    @work(exclusive=True, group="timeline", exit_on_error=False, description="read the timeline")
    async def read_timeline(self) -> None:
        self.pane_title("Timeline: reading…")
        timeline = await self.load_timeline(await self.services.decryptor(self.spec.system))
        self.timeline = timeline
        pane = self.pane
        pane.clear()
        for moment in timeline.moments:
            pane.write(moment_text(moment))
        if not timeline.moments:
            pane.write(Text("nothing: the row no longer exists", style="dim italic"))
        if timeline.audit_left_out:
            pane.write(Text(f"… {timeline.audit_left_out:,}+ more audit rows not shown (c lists them)", style="dim italic"))
        warnings = sum(m.warn for m in timeline.moments)
        count = len(timeline.moments)
        self.pane_title(f"Timeline: {count} moment{'' if count == 1 else 's'}, oldest first (UTC)"
                        + (f" │ {warnings} to look at (red)" if warnings else "")
                        + " │ tab here, z zooms")


class OrderDetail(TimelineDetail):
    @property
    def screen_name(self) -> str:
        return f"{self.spec.title} › order"

    async def load_timeline(self, decryptor: Decryptor) -> Timeline:
        return await read_timeline(self.services.reader(self.spec.system), decryptor, str(self.record.get("id")))

    def fill_head(self, tree: JsonTree) -> None:
        amounts = Amounts(*(self.record.get(n) for n in ("subtotal", "discount_amount", "tax_amount", "total_amount")))
        tree.root.add_leaf(Text.assemble(("Amounts", "bold"), ": ", (amounts.sentence(), "green" if amounts.holds else "bold red")),
                           data=amounts.sentence())
        self._fill_items(tree)

    def _fill_items(self, tree: JsonTree) -> None:
        value = self.record.get("items")
        revealed = self.revealed.get("items")
        label = Text("Items", style="bold")
        if isinstance(value, Failure):
            tree.root.add_leaf(Text.assemble(label, ": ", (f"{value.kind.value}: {value.detail}", "bold red")), data=str(value))
            return
        if not isinstance(value, Plain):
            tree.root.add_leaf(Text.assemble(label, ": ", ("none", "dim italic")))
            return
        items = read_items(revealed if revealed is not None else value.text)
        if items is None:  # not the list of dishes OrderSync writes: only its length, until revealed
            text = revealed if revealed is not None else mask_text(value.text) + "   (not a list of items; v reveals)"
            tree.root.add_leaf(Text.assemble(label, ": ", inert(text, "italic")), data=text)
            return
        node = tree.root.add(Text.assemble(label, (f" [{len(items)}]", "dim")), expand=True)
        for item in items:
            line = f"{item.quantity} × {item.name} @ {item.price} = {item.line_total}"
            leaf = Text.assemble(inert(line))
            for key, other in item.other:
                leaf.append("  ")
                leaf.append_text(inert(f"{key}: {other if revealed is not None else mask_text(other)}", "italic"))
            node.add_leaf(leaf, data=line)
