"""A detail with a second pane under its fields: a job's log, an order's timeline. The pane is read-only lines
(each made inert by whoever writes it) under a one-line title that says what it holds; tab moves between them."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import RichLog, Static

from rcmd_tui.screens.detail import DetailScreen, JsonTree


class PaneTitle(Static):
    """The pane's title line: what it holds and whether it follows; never markup."""

    def __init__(self, text: str, *, id: str | None = None) -> None:
        super().__init__(Text(text), id=id, markup=False)

    def say(self, text: str) -> None:
        self.update(Text(text))


class PanedDetail(DetailScreen):
    DEFAULT_CSS = """
    PanedDetail #detail-tree { height: 2fr; }
    PanedDetail #pane-title { height: 1; padding: 0 1; background: $boost; text-style: bold; }
    PanedDetail #pane { height: 1fr; min-height: 5; }
    PanedDetail.-pane-only #detail-tree { display: none; }
    """
    PANE: ClassVar[str] = "Log"  # what the pane holds, for its first title and the tab key's label
    PANE_LINES: ClassVar[int] = 2000
    PANE_FOLLOWS: ClassVar[bool] = True  # new lines scroll it to the end (a log); else it stays where it is
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "switch_pane", "Fields/pane", id="detail.switch_pane", tooltip="Move between the fields and the pane under them"),
        Binding("z", "zoom_pane", "Zoom", id="detail.zoom_pane",
                tooltip="The pane alone, the whole screen high (again: the fields back); at 80x24 it shows three times the lines"),
    ]

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        yield PaneTitle(self.PANE, id="pane-title")
        yield RichLog(id="pane", markup=False, highlight=False, wrap=True, max_lines=self.PANE_LINES, auto_scroll=self.PANE_FOLLOWS)

    @property
    def pane(self) -> RichLog:
        return self.query_one("#pane", RichLog)

    def pane_title(self, text: str) -> None:
        self.query_one("#pane-title", PaneTitle).say(text)

    def action_zoom_pane(self) -> None:
        self.toggle_class("-pane-only")
        if self.has_class("-pane-only"):
            self.pane.focus()
        else:
            self.query_one(JsonTree).focus()

    def action_switch_pane(self) -> None:
        if self.pane.has_focus:
            self.query_one(JsonTree).focus()
        else:
            self.pane.focus()
