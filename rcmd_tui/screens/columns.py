"""Choose the columns a list shows: space toggles, Enter keeps, Esc forgets."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from rcmd_tui.data.lists.spec import ListSpec


class ColumnChooser(ModalScreen[set[str] | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="columns.cancel"),
        Binding("enter", "keep", "Keep", id="columns.keep", priority=True),
    ]
    DEFAULT_CSS = """
    ColumnChooser { align: center middle; }
    ColumnChooser > Vertical { width: 50; height: auto; max-height: 90%; background: $panel; border: tall $accent; }
    """

    def __init__(self, spec: ListSpec, hidden: set[str]) -> None:
        super().__init__()
        self.spec = spec
        self.hidden = hidden

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Columns: space shows or hides, Enter keeps", markup=False)
            yield SelectionList[str](*(Selection(c.label, c.name, c.name not in self.hidden) for c in self.spec.columns))

    def action_keep(self) -> None:
        shown = set(self.query_one(SelectionList).selected)
        if not shown:
            self.notify("Keep at least one column", severity="warning")
            return
        self.dismiss({c.name for c in self.spec.columns} - shown)

    def action_cancel(self) -> None:
        self.dismiss(None)
