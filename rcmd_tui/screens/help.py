"""`?`: the keys that work on the screen underneath, its own first, with the id to remap each in the config
file; the highlighted key's longer help below the table."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from rcmd_tui.widgets.key_footer import OffersActions
from rcmd_tui.widgets.safe_text import escape_controls, inert

GENERIC = ("list.", "table.", "detail.")  # the keys every list (or every detail) shares


def _rank(binding: Binding) -> int:
    """The screen's own keys (its actions), then those of every list or detail, then the console's, then the
    widgets' generic ones."""
    if not binding.id:
        return 3
    if binding.id.startswith("app."):
        return 2
    return 1 if binding.id.startswith(GENERIC) else 0


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close", tooltip="Close the help"),
        Binding("home", "edge(-1)", "First", show=False, priority=True),
        Binding("end", "edge(1)", "Last", show=False, priority=True),
        Binding("pageup", "page(-1)", "Page up", show=False, priority=True),
        Binding("pagedown", "page(1)", "Page down", show=False, priority=True),
        Binding("j", "step(1)", "Down", show=False),
        Binding("k", "step(-1)", "Up", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 100; max-width: 100%; height: 90%; background: $panel; border: tall $accent; }
    HelpScreen DataTable { height: 1fr; }
    HelpScreen #help-title { padding: 0 1; text-style: bold; }
    HelpScreen #help-more { height: auto; min-height: 2; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under
        self.tooltips: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Keys here; remap any by its id under [keymap] in the config file", id="help-title",
                         markup=False)
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Static(id="help-more")

    def on_mount(self) -> None:
        table: DataTable[Text] = self.query_one(DataTable)
        table.add_columns("Key", "Does", "Id")
        seen: set[tuple[str, str]] = set()
        found: list[tuple[str, Binding]] = []
        for key, active in self.under.active_bindings.items():
            binding = active.binding
            if (binding.action, key) in seen or not binding.description:
                continue
            if isinstance(self.under, OffersActions) and not self.under.is_offered(binding.action):
                continue
            seen.add((binding.action, key))
            found.append((key, binding))
        for _key, binding in sorted(found, key=lambda kb: _rank(kb[1])):
            table.add_row(inert(self.app.get_key_display(binding), "bold"), inert(binding.description),
                          inert(binding.id or "-", "dim"))
            self.tooltips.append(binding.tooltip or binding.description)
        table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.tooltips):
            self.query_one("#help-more", Static).update(Text(escape_controls(self.tooltips[event.cursor_row])))

    def _table(self) -> DataTable[Text]:
        table: DataTable[Text] = self.query_one(DataTable)
        return table

    def action_edge(self, step: int) -> None:
        table = self._table()
        table.move_cursor(row=0 if step < 0 else table.row_count - 1)

    def action_page(self, step: int) -> None:
        table = self._table()
        table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step * max(1, table.size.height - 2))))

    def action_step(self, step: int) -> None:
        table = self._table()
        table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def action_close(self) -> None:
        self.dismiss(None)
