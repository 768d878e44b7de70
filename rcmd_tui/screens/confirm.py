"""The last look before a change: exactly what will run, on which target, and (for bulk or destructive
actions) the words to type. Enter runs, Esc cancels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from rcmd_tui.widgets.safe_text import inert
from rcmd_tui.widgets.text_box import TextBox

SHOWN_TARGETS = 10
MORE_BELOW = "What will run does not fit: PgDn/↓ shows more, PgUp/↑ goes back."
AT_END = "The end of what will run: PgUp/↑ goes back."
MOST_LINES = 14  # of what will run at once, on a tall terminal
BOX_SHARE = 0.95  # of the screen's height, as the CSS's max-height


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel", tooltip="Do nothing"),
        # Not a priority key: typed in one burst with the words before it, it must come after them (the box
        # submits it in order; a priority binding would run before the words reached the box).
        Binding("enter", "confirm", "Run", id="confirm.run", tooltip="Run it (after typing the words, if asked)"),
        Binding("pagedown", "scroll(1)", "More", id="confirm.down", priority=True, show=False,
                tooltip="Scroll down what will run"),
        Binding("pageup", "scroll(-1)", "Back up", id="confirm.up", priority=True, show=False,
                tooltip="Scroll up what will run"),
        # The typed box has no use for up and down: they move what will run a line at a time.
        Binding("down", "scroll_line(1)", "Line down", id="confirm.line_down", show=False,
                tooltip="Scroll down what will run by a line"),
        Binding("up", "scroll_line(-1)", "Line up", id="confirm.line_up", show=False,
                tooltip="Scroll up what will run by a line"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 100; max-width: 100%; height: auto; max-height: 95%; background: $panel;
                               border: thick $error; padding: 0 1; }
    ConfirmScreen VerticalScroll { height: auto; max-height: 14; background: $boost; }
    ConfirmScreen Input, ConfirmScreen Input:focus { border: none; height: 1; background: $boost; }
    ConfirmScreen #confirm-wrong { color: $error; height: auto; }
    ConfirmScreen #confirm-more { color: $warning; height: auto; display: none; }
    ConfirmScreen #confirm-more.-shown { display: block; }
    """

    def __init__(self, title: str, targets: Sequence[str], statements: list[str], how: str, typed: str | None) -> None:
        super().__init__()
        self.title_text, self.targets, self.statements, self.how, self.typed = title, targets, statements, how, typed

    def compose(self) -> ComposeResult:
        targets = ", ".join(self.targets[:SHOWN_TARGETS]) + (f" and {len(self.targets) - SHOWN_TARGETS} more"
                                                             if len(self.targets) > SHOWN_TARGETS else "")
        with Vertical():
            # The title may name what it acts on (a username, a remote), as stored: inert like the targets.
            named = targets and targets not in self.title_text  # "Revoke every session of ann" names ann already
            yield Static(Text.assemble(inert(self.title_text, "bold", limit=200), *((" — ", inert(targets)) if named else ())))
            yield Static(inert(self.how, limit=500))
            # The answer before what will run: however long the statements, the box stays on screen at 80x24.
            if self.typed:
                yield Static(Text.assemble("Type ", (self.typed, "bold reverse"), " and press Enter; Esc cancels."))
                # Not the words themselves: in a terminal without colour a placeholder reads as already typed.
                yield TextBox(placeholder="type the words above", id="confirm-typed")
            else:
                yield Static("Enter runs it; Esc cancels.", markup=False)
            yield Static(id="confirm-wrong")
            yield Static(MORE_BELOW, id="confirm-more")
            with VerticalScroll():
                for statement in self.statements:
                    yield Static(inert_sql(statement))

    def on_mount(self) -> None:
        if self.typed:
            self.query_one(Input).focus()
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """What will run gets the lines the box has left, no more: a scroll taller than what shows of it would
        page past lines nobody saw (the box's max-height cut its bottom, and PgDn skipped what was cut)."""
        box, scroll = self.query_one(Vertical), self.query_one(VerticalScroll)
        more = self.query_one("#confirm-more", Static)
        others = sum(w.outer_size.height for w in box.children if w is not scroll and w is not more and w.display)
        room = int(self.size.height * BOX_SHARE) - box.styles.gutter.height - others
        needed = scroll.virtual_size.height
        does_not_fit = needed > min(MOST_LINES, room)
        if does_not_fit:
            room -= -(-len(MORE_BELOW) // max(1, box.content_region.width))  # the word that says so, when it shows
        more.set_class(does_not_fit, "-shown")
        scroll.styles.max_height = max(3, min(MOST_LINES, room))
        self.call_after_refresh(self._say_where)

    def _say_where(self) -> None:
        # At 80x24 a bulk change does not fit: the last statement must never hide without a word.
        scroll = self.query_one(VerticalScroll)
        self.query_one("#confirm-more", Static).update(MORE_BELOW if scroll.scroll_y < scroll.max_scroll_y else AT_END)

    def action_scroll(self, step: int) -> None:
        scroll = self.query_one(VerticalScroll)
        self._show_from(scroll.scroll_y + step * max(1, scroll.scrollable_content_region.height - 1))

    def action_scroll_line(self, step: int) -> None:
        self._show_from(self.query_one(VerticalScroll).scroll_y + step)

    def _show_from(self, y: float) -> None:
        scroll = self.query_one(VerticalScroll)
        scroll.scroll_to(y=max(0, min(scroll.max_scroll_y, y)), animate=False, immediate=True)
        self._say_where()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        if self.typed:
            typed = self.query_one(Input).value.strip()
            if typed != self.typed:
                self.query_one("#confirm-wrong", Static).update(inert(f"type exactly: {self.typed}"))
                return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


def inert_sql(statement: str) -> Text:
    """SQL keeps its line breaks (readable); every value in it is still shown inert."""
    return Text("\n").join(inert(line, limit=4000) for line in statement.splitlines() or [""])
