"""The bindings that matter here, in one painted line.

Textual's Footer mounts a widget per key and rebuilds them on every focus change (100-200 ms here),
which would cost a list more than its query; this paints the same information as one line of text.
"""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen

from rcmd_tui.widgets.status_line import StatusLine


class KeyFooter(StatusLine):
    DEFAULT_CSS = """
    KeyFooter { dock: bottom; height: 1; background: $panel; color: $foreground-muted; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.call_after_refresh(self.bindings_changed, self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[object]) -> None:
        # The signal can come before the focus settles (a screen's first focus); read them once it has.
        self.call_after_refresh(self.show_bindings, screen)

    def show_bindings(self, screen: Screen[object]) -> None:
        parts: list[Text | tuple[str, str] | str] = []
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not active.enabled or binding.action in seen:
                continue
            seen.add(binding.action)
            parts += [(f" {self.app.get_key_display(binding)} ", "bold reverse"), f" {binding.description} "]
        self.set(Text.assemble(*parts, no_wrap=True, overflow="ellipsis"))
