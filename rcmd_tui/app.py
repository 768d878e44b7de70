"""Wiring only: the console's services opened and closed, navigation, keys, the target status poll."""

from __future__ import annotations

import gc
import logging
import os
import secrets
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import Hit, Hits, Provider
from textual.screen import ModalScreen, Screen
from textual.widgets import Input

from rcmd_tui.config import Profile, check_appearance, data_dir
from rcmd_tui.data.infra.files import create_private, private_dir
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.catalog import Place, views_for
from rcmd_tui.navigation import HOME, Destination, destination_for, destinations, list_screen
from rcmd_tui.screens.base import StandardScreen
from rcmd_tui.screens.command_prompt import CommandPrompt
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.screens.help import HelpScreen
from rcmd_tui.screens.home import HomeScreen
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.widgets.appearance import textual_appearance

STATUS_SECONDS = 10.0


class GotoProvider(Provider):
    """The command palette offers the same destinations as the `:` prompt."""

    def _destinations(self) -> list[Destination]:
        app = self.app
        return destinations(app.services.profile) if isinstance(app, RcmdApp) else []

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for d in self._destinations():
            text = f"Go to :{d.command}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), lambda d=d: self._go(d), help=d.place.help)

    async def discover(self) -> AsyncIterator[Hit]:
        for d in self._destinations():
            yield Hit(1, f"Go to :{d.command}", lambda d=d: self._go(d), help=d.place.help)

    def _go(self, destination: Destination) -> None:
        if isinstance(self.app, RcmdApp):
            self.app.go(destination)


class RcmdApp(App[int]):
    TITLE = "rcmd-tui"
    COMMANDS: ClassVar = App.COMMANDS | {GotoProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: run before the keys typed after it are handed on, so that `:audit` sent at once all goes in the box.
        Binding("colon", "goto", "Go to", id="app.goto", priority=True, tooltip="Type a screen: :audit, :users ordersync …"),
        Binding("question_mark", "help", "Keys", id="app.help", tooltip="The keys of this screen and their ids"),
        Binding("escape", "go_back", "Back", id="app.back", tooltip="Back to the previous screen"),
        Binding("q", "quit", "Quit", id="app.quit",
                tooltip="Quit (ctrl+q too); asks first while an export or an action is running"),
        Binding("ctrl+s", "screenshot", "Screenshot", id="app.screenshot", show=False, tooltip="Save an SVG screenshot"),
    ]

    def __init__(self, profile: Profile, *, read_only: bool = False, screenshot_dir: Path | None = None,
                 tips: str = "") -> None:
        super().__init__()
        self.tips = tips  # the home screen's line of things to try (the demo's)
        self.services = Services(profile, read_only=read_only)
        self.screenshot_dir = screenshot_dir or Path(os.environ.get("RCMD_TUI_SCREENSHOT_DIR") or data_dir("screenshots"))
        self.sub_title = f"{profile.name} · {profile.role}" + (" · read-only" if self.services.read_only else "")
        if profile.keymap:
            self.set_keymap(profile.keymap)
        # A file's banner and theme are checked as it is read (cli.py); a profile built in code is checked here,
        # so that a bad one too is a message (ConfigError) rather than a crash when the header first draws.
        check_appearance(profile, textual_appearance())
        if profile.theme:
            self.theme = profile.theme

    @property
    def profile(self) -> Profile:
        return self.services.profile

    async def on_mount(self) -> None:
        # The pool logs reconnect attempts to stderr, which would draw over the screen; the home
        # screen shows the same failure with a hint.
        pool_log = logging.getLogger("psycopg.pool")
        pool_log.addHandler(logging.NullHandler())
        pool_log.propagate = False
        await self.services.open()
        await self.push_screen(HomeScreen(self.services, self.tips))
        self.set_interval(STATUS_SECONDS, self._poll_status)
        # Everything made so far lives as long as the app: kept out of the collector's full passes, which
        # otherwise walk it all and stall a key press for tens of milliseconds now and then.
        gc.freeze()

    async def on_unmount(self) -> None:
        await self.services.close()

    # -- target status ----------------------------------------------------------------------------

    def _poll_status(self) -> None:
        if isinstance(self.screen, HomeScreen):
            return  # home checks more often while it is shown, and not at all under another screen: one source
        if not any(w.group == "status" and not w.is_finished for w in self.workers):
            self.poll_status()

    @work(exit_on_error=False, group="status")
    async def poll_status(self) -> None:
        await self.services.check_targets()

    # -- navigation -------------------------------------------------------------------------------

    def go(self, destination: Destination, filter_text: str = "") -> None:
        # What was said about the screen left behind would cover the new one and read as about it.
        self.clear_notifications()
        if destination.place == HOME:
            while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
                self.pop_screen()
            return
        if filter_text and destination.make_filtered is not None:
            self.push_screen(destination.make_filtered(self.services, filter_text))
        else:
            self.push_screen(destination.make(self.services))

    def on_standard_screen_open_view(self, event: StandardScreen.OpenView) -> None:
        spec = next((v for v in views_for(self.profile) if (v.key, v.system) == (event.view, event.system)), None)
        if spec is None:
            self.notify(f"No {event.view} view for {event.system} in this profile", severity="warning", timeout=4)
            return
        self.push_screen(list_screen(spec, event.filter_text)(self.services))

    def on_list_screen_switch_to(self, event: ListScreen.SwitchTo) -> None:
        self.clear_notifications()
        self.switch_screen(list_screen(event.spec)(self.services))

    def action_goto(self) -> None:
        def chosen(place: Place | None) -> None:
            if place is not None:
                self.go(destination_for(place, self.profile), place.filter)

        self.push_screen(CommandPrompt([d.place for d in destinations(self.profile)]), chosen)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_go_back(self) -> None:
        if len(self.screen_stack) > 2:  # the default screen, then home: home is the last stop
            self.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "goto" and isinstance(self.focused, Input):  # a priority key: in a text box, it types
            return False
        if action == "go_back":  # home is the last stop: no Esc to offer there (nor under a dialog over it)
            under = next((s for s in reversed(self.screen_stack) if not isinstance(s, ModalScreen)), None)
            return len(self.screen_stack) > 2 and not isinstance(under, HomeScreen)
        return True

    def busy(self) -> list[str]:
        """What quitting now would cut short."""
        groups = {"action": "an action", "export": "an export", "reveal": "a reveal"}
        return sorted({groups[w.group] for w in self.workers if w.group in groups and not w.is_finished})

    async def action_quit(self) -> None:
        running = self.busy()
        if not running:
            self.exit()
            return

        def answered(sure: bool | None) -> None:
            if sure:
                self.exit()

        await self.push_screen(ConfirmScreen("Quit rcmd-tui?", (), [], f"{' and '.join(running).capitalize()} is still "
                                             "running; quitting stops it (an export leaves no file).", None), answered)

    def action_screenshot(self) -> None:  # type: ignore[override]
        # A screenshot can hold revealed personal data: a private directory, and a file of a name no one can
        # guess, created 0600 (Textual's save_screenshot leaves it to the umask, and a chmod after leaves a
        # window) and exclusively (a file or symlink already there fails the save, never followed).
        svg = self.export_screenshot()
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = self.screenshot_dir / f"rcmd-tui-{stamp}-{secrets.token_hex(3)}.svg"
        try:
            private_dir(self.screenshot_dir, tighten=self.screenshot_dir == data_dir("screenshots"))
            with os.fdopen(create_private(path), "w", encoding="utf-8") as out:
                out.write(svg)
        except OSError as exc:
            self.notify(f"Screenshot not saved: {exc.strerror} ({self.screenshot_dir})", severity="error", markup=False)
            return
        self.notify(f"Screenshot saved: {path}", timeout=4, markup=False)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        # Textual's own "Keys" opens its help panel; ours lists the keys with their ids for remapping.
        yield from (c for c in super().get_system_commands(screen) if c.title != "Keys")
        yield SystemCommand("Keys", "The keys of this screen, with their ids for remapping", self.action_help)


def make_app(profile: Profile, *, read_only: bool = False, screenshot_dir: Path | None = None, tips: str = "") -> RcmdApp:
    return RcmdApp(profile, read_only=read_only, screenshot_dir=screenshot_dir, tips=tips)
