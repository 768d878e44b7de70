"""Home: every configured target's health, checked every few seconds while home is the screen shown.

Under another screen (or a dialog) the checks stop: the app's status poll keeps the header's target dots
current meanwhile, so there is one source of health checks at a time. Back on home, a check older than the
interval is made again at once.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import LoadingIndicator, Static

from rcmd_tui.data.infra.health import Health
from rcmd_tui.data.infra.services import Services
from rcmd_tui.screens.base import StandardScreen
from rcmd_tui.widgets.health_table import HealthTable
from rcmd_tui.widgets.row_grid import RowGrid
from rcmd_tui.widgets.safe_text import inert

REFRESH_SECONDS = 5.0


class HomeScreen(StandardScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", id="home.refresh", tooltip="Check every target again now"),
        Binding("enter", "target", "Details", id="home.details", tooltip="Everything known about this target"),
    ]
    DEFAULT_CSS = """
    HomeScreen #banner { height: 1; padding: 0 1; color: $text-muted; }
    HomeScreen #tips { height: auto; padding: 0 1; color: $text-muted; }
    HomeScreen #problems { height: auto; padding: 0 1; color: $error; }
    HomeScreen LoadingIndicator { height: 3; }
    """

    @property
    def screen_name(self) -> str:
        return "home"

    def compose_body(self) -> ComposeResult:
        with Vertical():
            yield Static(id="banner")
            if self.tips:
                yield Static(self.tips, id="tips", markup=False)
            yield LoadingIndicator()
            yield HealthTable(id="health")
            yield Static(id="problems")

    def __init__(self, services: Services, tips: str = "") -> None:
        super().__init__(services)
        self.tips = tips  # things to try first (the demo's), under the banner
        self.health: list[Health] = []
        self.telling: str | None = None  # the target whose details the status line shows (kept until the cursor moves)
        self._timer: Timer | None = None  # the checks' interval, while home is the screen shown
        self._checked_at: float | None = None  # time.monotonic() of the last check started here

    def on_row_grid_selected(self, event: RowGrid.Selected) -> None:
        self.action_target()

    def action_target(self) -> None:
        """Everything known about the target under the cursor, in the status line."""
        row = self.query_one(HealthTable).cursor_row
        if 0 <= row < len(self.health):
            h = self.health[row]
            said = [h.target, h.where, h.version, h.role, h.detail] if h.ok else [h.target, h.where, h.error, h.hint]
            self.telling = h.target
            self.set_status(inert(" · ".join(s for s in said if s)))

    def on_row_grid_highlighted(self, _event: RowGrid.Highlighted) -> None:
        self.telling = None

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#banner", Static).update(Text.assemble(
            (":", "bold reverse"), " go to a screen (:audit, :users …)  ", ("?", "bold reverse"), " keys  ",
            ("ctrl+p", "bold reverse"), " commands  ", ("q", "bold reverse"), " quit"))
        self.query_one(HealthTable).display = False
        self._tick()
        self._timer = self.set_interval(REFRESH_SECONDS, self._tick)

    def on_screen_suspend(self) -> None:
        # Another screen (or a dialog) is on top: the app's status poll takes over the header's dots.
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def on_screen_resume(self) -> None:
        if self._timer is not None or not self.is_mounted:
            return  # already checking (the first resume comes after on_mount)
        if self._checked_at is None or time.monotonic() - self._checked_at >= REFRESH_SECONDS:
            self._tick()
        self._timer = self.set_interval(REFRESH_SECONDS, self._tick)

    def _tick(self) -> None:
        # A check of a down target can take the whole connect timeout; never stack or cancel one.
        if not any(w.group == "health" and not w.is_finished for w in self.workers):
            self._checked_at = time.monotonic()
            self.refresh_health()

    def action_refresh(self) -> None:
        self.telling = None
        self.services.forget_keys()  # after an unlock or an import, ask the keyring again
        self.set_status(Text("checking every target…", style="dim"))
        self._tick()

    @work(exit_on_error=False, group="health")
    async def refresh_health(self) -> None:
        rows = await self.services.check_targets()
        self.health = rows
        # Removed, not hidden: a loading indicator repaints itself 16 times a second for as long as it exists.
        await self.query(LoadingIndicator).remove()
        table = self.query_one(HealthTable)
        table.display = True
        table.show(rows)
        problems = [Text.assemble(inert(h.target, "bold"), ": ", inert(h.error), " — ", inert(h.hint))
                    for h in rows if not h.ok]
        self.query_one("#problems", Static).update(Text("\n").join(problems) if problems else "")
        down = sum(1 for h in rows if not h.ok)
        if self.telling is not None:
            return  # a target's details stay until the cursor moves
        self.set_status(Text.assemble(f"{len(rows) - down} of {len(rows)} targets up",
                                      (f" · checked every {REFRESH_SECONDS:g} s; r checks now", "dim")))
