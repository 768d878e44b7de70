"""A one-line text box whose editing keys take effect in order with the text typed after them.

Textual runs an Input's key bindings (ctrl+u clears, ctrl+w deletes a word) once the key has gone round the
app, after the characters that came with it are already in: a paste of ctrl+u and new text (what a
terminal multiplexer or a macro sends in one burst) typed the text and then cleared it all. Here those keys
edit at once, in the order they came.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.widgets import Input


class TextBox(Input):
    EDITS: ClassVar[dict[str, str]] = {"ctrl+u": "delete_left_all", "ctrl+w": "delete_left_word", "ctrl+k": "delete_right_all"}

    def on_focus(self, event: events.Focus) -> None:
        # A box that does not select what it holds (the filter bar: edited, not replaced) puts the cursor at its
        # end, as a shell line does; the terminal's window coming back keeps the cursor where it was.
        if not self.select_on_focus and not event.from_app_focus:
            self.cursor_position = len(self.value)

    async def on_key(self, event: events.Key) -> None:
        action = self.EDITS.get(event.key)
        if action is not None:
            event.stop()
            event.prevent_default()
            await self.run_action(action)
