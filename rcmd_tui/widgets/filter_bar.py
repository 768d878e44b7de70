"""The filter bar: `/` opens it, Enter applies, Esc closes it and keeps the filter in force.

Structured terms are checked against the list's fields and run on the server with bound parameters;
anything else filters the rows already loaded. A bad term is named, with the fix, and nothing runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from rcmd_tui.data.lists.filters import Filter, FilterError, compile_filter, known
from rcmd_tui.data.lists.spec import ListSpec
from rcmd_tui.widgets.safe_text import inert


class FilterBar(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close filter", id="filter.close", tooltip="Close the filter bar; the filter stays"),
    ]
    DEFAULT_CSS = """
    FilterBar { height: auto; display: none; dock: bottom; layer: overlay; margin-bottom: 2; background: $panel; }
    FilterBar.-open { display: block; }
    FilterBar Input, FilterBar Input:focus { border: none; height: 1; background: $boost; }
    FilterBar #filter-error { color: $error; height: auto; padding: 0 1; }
    FilterBar #filter-help { color: $text-muted; height: auto; padding: 0 1; }
    """

    @dataclass
    class Applied(Message):
        filter: Filter

    @dataclass
    class Closed(Message):
        pass

    def __init__(self, spec: ListSpec) -> None:
        super().__init__()
        self.spec = spec

    def compose(self) -> ComposeResult:
        yield Input(placeholder="/ " + known(self.spec) + "  (free words filter loaded rows)", id="filter-input", disabled=True)
        yield Static(id="filter-error")
        yield Static(inert("fields: " + known(self.spec)), id="filter-help")

    def open(self) -> None:
        self.add_class("-open")
        field = self.query_one(Input)
        field.disabled = False  # closed, it must never take the focus (and the keys) from the table
        field.focus()

    def close(self) -> None:
        if not self.has_class("-open"):
            return
        self.remove_class("-open")
        self.query_one(Input).disabled = True

    def action_close(self) -> None:
        self.close()
        self.post_message(self.Closed())

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.query_one("#filter-error", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            compiled = compile_filter(self.spec, event.value)
        except FilterError as exc:
            self.query_one("#filter-error", Static).update(inert(f"{exc.message} — {exc.hint}"))
            return
        self.post_message(self.Applied(compiled))  # the list closes the bar when the filtered rows show
