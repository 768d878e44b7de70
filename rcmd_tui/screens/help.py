"""`?`: the keys that work on the screen underneath, with the id to remap each in the config file."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from rcmd_tui.widgets.safe_text import inert


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close", tooltip="Close the help"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 100; max-width: 100%; height: 90%; background: $panel; border: tall $accent; }
    HelpScreen DataTable { height: 1fr; }
    HelpScreen #help-title { padding: 0 1; text-style: bold; }
    """

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Keys on this screen — remap any by its id under [keymap] in the config file", id="help-title",
                         markup=False)
            yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table: DataTable[Text] = self.query_one(DataTable)
        table.add_columns("Key", "Does", "Id", "More")
        seen: set[tuple[str, str]] = set()
        for key, active in self.under.active_bindings.items():
            binding = active.binding
            if (binding.action, key) in seen or not binding.description:
                continue
            seen.add((binding.action, key))
            table.add_row(inert(self.app.get_key_display(binding), "bold"), inert(binding.description),
                          inert(binding.id or "-", "dim"), inert(binding.tooltip))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
