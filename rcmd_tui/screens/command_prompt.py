"""The `:` prompt, k9s style: type a screen (and optionally a system), Tab completes, Enter goes."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from rcmd_tui.data.lists.catalog import SYSTEM_ALIASES, NavigationError, Place, resolve, resolve_with_filter
from rcmd_tui.widgets.safe_text import inert
from rcmd_tui.widgets.text_box import TextBox


class CommandPrompt(ModalScreen[Place | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_prompt", "Cancel", id="prompt.cancel", tooltip="Close the prompt"),
        Binding("tab", "complete", "Complete", id="prompt.complete", tooltip="Take the highlighted completion"),
        Binding("down", "move(1)", "Next", show=False, id="prompt.next"),
        Binding("up", "move(-1)", "Previous", show=False, id="prompt.previous"),
    ]
    DEFAULT_CSS = """
    CommandPrompt { align: center top; }
    CommandPrompt > Vertical { width: 60; max-width: 100%; height: auto; margin-top: 2; background: $panel; border: tall $accent; }
    CommandPrompt Input, CommandPrompt Input:focus { border: none; height: 1; }
    CommandPrompt OptionList { height: auto; max-height: 10; border: none; }
    CommandPrompt #prompt-error { color: $error; height: auto; padding: 0 1; }
    """

    def __init__(self, options: list[Place]) -> None:
        super().__init__()
        self.options = options

    def compose(self) -> ComposeResult:
        with Vertical():
            yield TextBox(placeholder=":audit, :users ordersync …", id="prompt-input",
                        suggester=SuggestFromList([d.command for d in self.options], case_sensitive=False))
            yield OptionList(id="prompt-options")
            yield Static(id="prompt-error")

    def on_mount(self) -> None:
        self._fill("")

    def on_key(self, event: events.Key) -> None:
        """Keys typed right after `:` (a paste, tmux send-keys, a fast hand) can come before the box has the
        focus: they go into it, in order, rather than being lost."""
        field = self.query_one(Input)
        if self.focused is not field and event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            self.set_focus(field)
            field.insert_text_at_cursor(event.character)

    def _matching(self, text: str) -> list[Place]:
        words = text.strip().lstrip(":").lower().split()
        if not words:
            return self.options
        named = [d for d in self.options if d.name.startswith(words[0])]
        if len(words) > 1:  # a system typed too (os, rcmd): only its screens; a filter after the name keeps them all
            system = SYSTEM_ALIASES.get(words[1])
            narrowed = [d for d in named if (system is None and (d.system or "").startswith(words[1])) or d.system == system]
            return narrowed or named
        return named

    def _fill(self, text: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        for d in self._matching(text):
            options.add_option(Option(Text.assemble(inert(":" + d.command, "bold"), "  ", inert(d.help, "dim")), id=d.command))
        if options.option_count:
            options.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#prompt-error", Static).update("")
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = (current + step) % options.option_count

    def action_complete(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.option_count:
            chosen = options.get_option_at_index(options.highlighted).id or ""
            field = self.query_one(Input)
            field.value = chosen
            field.cursor_position = len(chosen)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value
        options = self.query_one(OptionList)
        if not text.strip() and options.highlighted is not None and options.option_count:
            text = options.get_option_at_index(options.highlighted).id or ""
        try:
            place, filter_text = resolve_with_filter(text, self.options)
            self.dismiss(dataclasses.replace(place, filter=filter_text))
        except NavigationError as exc:
            self.query_one("#prompt-error", Static).update(inert(str(exc)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(resolve(event.option.id or "", self.options))

    def action_dismiss_prompt(self) -> None:
        self.dismiss(None)
