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
        Binding("j", "move(1)", "Down", show=False),  # as in every list
        Binding("k", "move(-1)", "Up", show=False),
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
            yield SelectionList[str](*(Selection(self._prompt(c.label, c.name not in self.hidden), c.name,
                                                 c.name not in self.hidden) for c in self.spec.columns if not c.internal))

    @property
    def hidden_internal(self) -> set[str]:
        return {c.name for c in self.spec.columns if c.internal and c.name in self.hidden}

    @staticmethod
    def _prompt(label: str, shown: bool) -> str:
        # In words, not only by the check box's colour: the choice must read the same with NO_COLOR.
        return f"{label}  (shown)" if shown else f"{label}  (hidden)"

    def on_selection_list_selection_toggled(self, event: SelectionList.SelectionToggled[str]) -> None:
        options = self.query_one(SelectionList)
        column = self.spec.column(event.selection.value)
        options.replace_option_prompt_at_index(event.selection_index,
                                               self._prompt(column.label, event.selection.value in options.selected))

    def action_move(self, step: int) -> None:
        options = self.query_one(SelectionList)
        options.action_cursor_down() if step > 0 else options.action_cursor_up()

    def action_keep(self) -> None:
        shown = set(self.query_one(SelectionList).selected)
        if not shown:
            self.notify("Keep at least one column", severity="warning")
            return
        self.dismiss({c.name for c in self.spec.columns if not c.internal} - shown | self.hidden_internal)

    def action_cancel(self) -> None:
        self.dismiss(None)
