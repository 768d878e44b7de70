"""A one-line text box whose editing keys take effect in order with the text typed after them.

Textual runs an Input's key bindings (ctrl+u clears, ctrl+w deletes a word) once the key has gone round the
app, after the characters that came with it are already in: a paste of ctrl+u and new text (what a
terminal multiplexer or a macro sends in one burst) typed the text and then cleared it all. Here those keys
edit at once, in the order they came.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events
from textual.widgets import Input


class TextBox(Input):
    EDITS: ClassVar[dict[str, str]] = {"ctrl+u": "delete_left_all", "ctrl+w": "delete_left_word", "ctrl+k": "delete_right_all"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A shell's habit: the cursor at the end of what is there, so Backspace takes one letter of a filter being
        # edited, not all of it (a selection on focus did); ctrl+u still clears the line.
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)

    def on_focus(self, event: events.Focus) -> None:
        if not event.from_app_focus:  # the terminal's window coming back keeps the cursor where it was
            self.cursor_position = len(self.value)

    async def on_key(self, event: events.Key) -> None:
        action = self.EDITS.get(event.key)
        if action is not None:
            event.stop()
            event.prevent_default()
            await self.run_action(action)
