"""A one-line question asked in place (a time to jump to): Enter answers, Esc closes. Inline rather
than a dialog, so answering costs no repaint of the whole screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Input, Static


class PromptBar(Horizontal):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="prompt.close", tooltip="Close without answering"),
    ]
    # Over the status line, never over the rows: the rows repaint alone when they change.
    DEFAULT_CSS = """
    PromptBar { height: 1; display: none; background: $boost; dock: bottom; layer: overlay; margin-bottom: 1; }
    PromptBar.-open { display: block; }
    PromptBar Static { width: auto; padding: 0 1; text-style: bold; }
    PromptBar Input, PromptBar Input:focus { border: none; height: 1; width: 1fr; padding: 0; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.answer: Callable[[str], None] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", markup=False)
        yield Input(disabled=True)

    def ask(self, question: str, placeholder: str, answer: Callable[[str], None]) -> None:
        self.answer = answer
        self.query_one(Static).update(question)
        field = self.query_one(Input)
        field.placeholder = placeholder
        field.value = ""
        field.disabled = False
        self.add_class("-open")
        field.focus()

    def action_close(self) -> None:
        if not self.has_class("-open"):
            return
        self.remove_class("-open")
        self.query_one(Input).disabled = True
        self.answer = None
        if self.parent is not None:
            self.screen.focus_next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """The answer decides when the bar closes (a list closes it with the rows it asked for, in one repaint)."""
        event.stop()
        answer, text = self.answer, event.value.strip()
        if answer is not None and text:
            answer(text)
        else:
            self.action_close()
