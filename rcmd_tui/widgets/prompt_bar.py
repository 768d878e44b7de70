"""A one-line question asked in place (a time to jump to): Enter answers, Esc closes. Inline rather
than a dialog, so answering costs no repaint of the whole screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from rcmd_tui.errors import RcmdError
from rcmd_tui.widgets.safe_text import inert
from rcmd_tui.widgets.text_box import TextBox


class PromptBar(Vertical):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="prompt.close", tooltip="Close without answering"),
    ]
    # Over the status line, never over the rows: the rows repaint alone when they change.
    DEFAULT_CSS = """
    PromptBar { height: auto; display: none; background: $boost; dock: bottom; layer: overlay; margin-bottom: 1; }
    PromptBar.-open { display: block; }
    PromptBar Horizontal { height: 1; }
    PromptBar #prompt-question { width: auto; padding: 0 1; text-style: bold; }
    PromptBar Input, PromptBar Input:focus { border: none; height: 1; width: 1fr; padding: 0; }
    PromptBar #prompt-error { display: none; height: auto; padding: 0 1; color: $error; background: $panel; }
    PromptBar #prompt-error.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.answer: Callable[[str], None] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="prompt-error")
        with Horizontal():
            yield Static("", markup=False, id="prompt-question")
            yield TextBox(disabled=True)

    def say(self, error: RcmdError) -> None:
        """A bad answer: told above the question, which stays open for another try."""
        message = self.query_one("#prompt-error", Static)
        message.update(inert(f"{error.title}: {error.message} — {error.hint}"))
        message.add_class("-shown")

    def on_input_changed(self, _event: Input.Changed) -> None:
        self.query_one("#prompt-error", Static).remove_class("-shown")

    def ask(self, question: str, placeholder: str, answer: Callable[[str], None], value: str = "") -> None:
        """Open with ``question``; ``value`` is typed in already (the likely answer: Enter takes it)."""
        self.answer = answer
        self.query_one("#prompt-error", Static).remove_class("-shown")
        self.query_one("#prompt-question", Static).update(question)
        field = self.query_one(Input)
        field.placeholder = placeholder
        field.value = value
        field.cursor_position = len(value)
        field.disabled = False
        self.add_class("-open")
        self.screen.set_focus(field)  # now, not after the keys already queued: typed ahead, they go in here

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
