"""A one-line question: a time to jump to, a reason for a reveal. Enter answers, Esc cancels."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from rcmd_tui.widgets.text_box import TextBox


class TextPrompt(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]
    DEFAULT_CSS = """
    TextPrompt { align: center middle; }
    TextPrompt > Vertical { width: 70; max-width: 100%; height: auto; background: $panel; border: tall $accent; padding: 0 1; }
    TextPrompt Input, TextPrompt Input:focus { border: none; height: 1; background: $boost; }
    TextPrompt #prompt-help { color: $text-muted; height: auto; }
    """

    def __init__(self, question: str, placeholder: str = "", required: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.placeholder = placeholder
        self.required = required  # said when Enter comes with nothing typed; None: an empty answer cancels

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False)
            yield TextBox(placeholder=self.placeholder)
            yield Static("Enter answers; Esc cancels.", id="prompt-help", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        answer = event.value.strip()
        if not answer and self.required:
            self.query_one("#prompt-help", Static).update(Text(self.required, style="bold red"))
            return
        self.dismiss(answer or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
