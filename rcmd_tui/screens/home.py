"""Home: every configured target's health, refreshed in the background."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import LoadingIndicator, Static

from rcmd_tui.data.health import Health
from rcmd_tui.widgets.health_table import HealthTable
from rcmd_tui.widgets.key_footer import KeyFooter
from rcmd_tui.widgets.safe_text import inert
from rcmd_tui.widgets.status_header import StatusHeader

if TYPE_CHECKING:
    from rcmd_tui.app import RcmdApp

REFRESH_SECONDS = 5.0


class HomeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", id="home.refresh", tooltip="Check every target again now"),
    ]
    DEFAULT_CSS = """
    HomeScreen #banner { height: 1; padding: 0 1; color: $text-muted; }
    HomeScreen #problems { height: auto; padding: 0 1; color: $error; }
    HomeScreen LoadingIndicator { height: 3; }
    """

    def compose(self) -> ComposeResult:
        yield StatusHeader(where="home")
        with Vertical():
            yield Static(id="banner")
            yield LoadingIndicator()
            yield HealthTable(id="health")
            yield Static(id="problems")
        yield KeyFooter()

    @property
    def rcmd_app(self) -> RcmdApp:
        from rcmd_tui.app import RcmdApp  # noqa: PLC0415 - a cycle only for the type

        assert isinstance(self.app, RcmdApp)
        return self.app

    def on_mount(self) -> None:
        self.query_one("#banner", Static).update(Text.assemble(
            (":", "bold reverse"), " go to a screen (:audit, :users …)  ", ("?", "bold reverse"), " keys  ",
            ("ctrl+p", "bold reverse"), " commands  ", ("esc", "bold reverse"), " back"))
        self.query_one(HealthTable).display = False
        self.refresh_health()
        self.set_interval(REFRESH_SECONDS, self._tick)

    def _tick(self) -> None:
        # A check of a down target can take the whole connect timeout; never stack or cancel one.
        if not any(w.group == "health" and not w.is_finished for w in self.workers):
            self.refresh_health()

    def action_refresh(self) -> None:
        self.rcmd_app.keys.forget()  # after an unlock or an import, ask the keyring again
        self._tick()

    @work(exit_on_error=False, group="health")
    async def refresh_health(self) -> None:
        rows = await self.collect()
        self.query_one(LoadingIndicator).display = False
        table = self.query_one(HealthTable)
        table.display = True
        table.show(rows)
        problems = [Text.assemble(inert(h.target, "bold"), ": ", inert(h.error), " — ", inert(h.hint))
                    for h in rows if not h.ok]
        self.query_one("#problems", Static).update(Text("\n").join(problems) if problems else "")

    async def collect(self) -> list[Health]:
        return await self.rcmd_app.check_targets()
