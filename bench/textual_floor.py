"""The floor under any Textual console, for bench/monitor_bench.py: a bare Textual app with no I/O at all, which
repaints 30 lines of changing text every 2 s (as a live view's refresh does), or, with ``--idle``, never.

What it costs is what the framework costs before the console reads or shows anything of its own: the input
thread's polling and Textual's frame for a refresh.
"""

from __future__ import annotations

import sys
from itertools import count

from textual.app import App, ComposeResult
from textual.widgets import Static

REFRESH_S = 2.0
LINES = 30


class Floor(App[None]):
    def __init__(self, repaint: bool) -> None:
        super().__init__()
        self.repaint = repaint
        self.ticks = count()

    def compose(self) -> ComposeResult:
        yield Static("floor", id="body")

    def on_mount(self) -> None:
        if self.repaint:
            self.set_interval(REFRESH_S, self.tick)
            self.tick()

    def tick(self) -> None:
        n = next(self.ticks)
        self.query_one(Static).update("\n".join(f"{i:5d} {n * 7919 + i * 104729:12d} {'x' * 60}" for i in range(LINES)))


if __name__ == "__main__":
    Floor(repaint="--idle" not in sys.argv).run()
