"""The filter bar: `/` opens it, Enter applies, Esc closes it and keeps the filter in force.

Structured terms are checked against the list's fields and run on the server with bound parameters;
anything else filters the rows already loaded. A bad term is named, with the fix, and nothing runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from rcmd_tui.data.lists.filters import Filter, FilterError, compile_filter, known
from rcmd_tui.data.lists.spec import ListSpec
from rcmd_tui.widgets.safe_text import inert
from rcmd_tui.widgets.text_box import TextBox


class FilterBar(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close filter", id="filter.close", tooltip="Close the filter bar; the filter stays"),
    ]
    # Over the status line and the key line, never over the rows: the rows repaint alone when they change.
    DEFAULT_CSS = """
    FilterBar { height: auto; display: none; dock: bottom; layer: overlay; background: $panel; }
    FilterBar.-open { display: block; }
    FilterBar Input, FilterBar Input:focus { border: none; height: 1; background: $boost; }
    FilterBar #filter-message { color: $text-muted; height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    FilterBar #filter-message.-error { color: $error; height: auto; text-wrap: wrap; }
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
        words = {"loaded": "other words: the loaded rows", "all": "other words: every row",
                 "glob": "a word is the key pattern (bull:*)",
                 "subject": "a word is the person: e-mail, username or id"}[self.spec.source.words]
        # The filter in force is edited, not replaced: Backspace takes a letter of it, not all (ctrl+u clears it).
        yield TextBox(self.spec.default_filter, placeholder=f"/ field=value …  ({words})", id="filter-input", disabled=True,
                      select_on_focus=False)
        yield Static(self.help(), id="filter-message")

    def help(self) -> Text:
        return inert(f"fields: {known(self.spec)} · Enter applies, Esc closes")

    def say(self, error: str | None) -> None:
        message = self.query_one("#filter-message", Static)
        message.update(inert(error) if error else self.help())
        message.set_class(error is not None, "-error")

    def open(self) -> None:
        self.add_class("-open")
        field = self.query_one(Input)
        field.disabled = False  # closed, it must never take the focus (and the keys) from the table
        self.screen.set_focus(field)  # now, not after the keys already queued: typed ahead, they go in here

    def set_text(self, text: str) -> None:
        self.query_one(Input).value = text

    def close(self) -> None:
        if not self.has_class("-open"):
            return
        self.remove_class("-open")
        self.query_one(Input).disabled = True

    def action_close(self) -> None:
        self.close()
        self.post_message(self.Closed())

    def on_input_changed(self, _event: Input.Changed) -> None:
        if self.query_one("#filter-message", Static).has_class("-error"):
            self.say(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            compiled = compile_filter(self.spec, event.value)
        except FilterError as exc:
            self.say(f"{exc.message} — {exc.hint}")
            return
        self.post_message(self.Applied(compiled))  # the list closes the bar when the filtered rows show
