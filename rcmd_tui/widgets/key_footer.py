"""The bindings that matter here, in one painted line.

Textual's Footer mounts a widget per key and rebuilds them on every focus change (100-200 ms here),
which would cost a list more than its query; this paints the same information as one line of text.

The keys a person needs everywhere (`/` on a list, Enter, `:`, `?`, Esc, quit) sit at the right; the screen's own
keys fill the space left of them, and what does not fit ends in `…` (`?` lists them all). Where the screen's
first own key would not fit, quit and then `:` give way to it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from rcmd_tui.widgets.status_line import StatusLine

# Kept at the right, in this order; the filter first: a list's first key, as in k9s and less.
ESSENTIAL = ("list.filter", "list.details", "app.goto", "app.help", "app.back", "app.quit")
# Given up, in this order, where the screen's first own key would not fit beside them (q and : are known by heart;
# ? lists them all).
YIELDING = ("app.quit", "app.goto")
GENERIC = ("list.", "detail.", "app.")  # ids of keys every list (or every screen) has; a screen's own come first
# Keys a text box takes as text: while one has the focus they type, so the footer does not offer them.
TYPED = {"slash", "question_mark", "colon", "number_sign", "space", "left_square_bracket", "right_square_bracket",
         "comma", "full_stop", "minus", "plus", "equals_sign", "asterisk", "underscore", "at"}


@runtime_checkable
class OffersActions(Protocol):
    """A screen that hides keys it would refuse (an action the session or the role may not run)."""

    def is_offered(self, action: str) -> bool: ...

    def why_not_offered(self) -> str: ...


def shown_bindings(screen: Screen[object]) -> list[Binding]:
    """The bindings a person can use on ``screen`` now, once each: the screen's own first (its actions lead),
    then the focused widget's. While a text box has the focus, a printable key types, so only the others."""
    seen: set[str] = set()
    found: list[tuple[int, Binding]] = []
    typing = isinstance(screen.focused, Input)
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.show or not active.enabled or binding.action in seen:
            continue
        if isinstance(screen, OffersActions) and not screen.is_offered(binding.action):
            continue
        if typing and (len(binding.key) == 1 or binding.key in TYPED):
            continue
        seen.add(binding.action)
        own = active.node is screen and not (binding.id or "").startswith(GENERIC)
        found.append((0 if own else 1 if active.node is screen else 2, binding))
    return [b for _rank, b in sorted(found, key=lambda rb: rb[0])]


class KeyFooter(StatusLine):
    DEFAULT_CSS = """
    KeyFooter { dock: bottom; height: 1; background: $panel; color: $foreground-muted; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.call_after_refresh(self.bindings_changed, self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_resize(self) -> None:
        self.show_bindings(self.screen)

    def bindings_changed(self, screen: Screen[object]) -> None:
        # The signal can come before the focus settles (a screen's first focus); read them once it has.
        self.call_after_refresh(self.show_bindings, screen)

    def _key(self, binding: Binding) -> Text:
        return Text.assemble((f" {self.app.get_key_display(binding)} ", "bold reverse"), f" {binding.description} ")

    def show_bindings(self, screen: Screen[object]) -> None:
        bindings = shown_bindings(screen)
        width = self.size.width or 80
        essential = sorted((b for b in bindings if b.id in ESSENTIAL), key=lambda b: ESSENTIAL.index(b.id or ""))
        others = [b for b in bindings if b.id not in ESSENTIAL]
        first = self._key(others[0]).cell_len + (1 if len(others) > 1 else 0) if others else 0
        for gone in YIELDING:
            if sum(self._key(b).cell_len for b in essential) + 1 + first <= width:
                break
            essential = [b for b in essential if b.id != gone]
        right = Text.assemble(*(self._key(b) for b in essential))
        room = max(0, width - right.cell_len - 1)
        left = Text()
        for i, binding in enumerate(others):
            piece = self._key(binding)
            more = i < len(others) - 1
            if left.cell_len + piece.cell_len + (1 if more else 0) > room:
                left.append("…", "bold")
                break
            left.append_text(piece)
        gap = max(1, width - left.cell_len - right.cell_len)
        self.set(Text.assemble(left, " " * gap, right, no_wrap=True, overflow="ellipsis"))
