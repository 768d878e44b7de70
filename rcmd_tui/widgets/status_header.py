"""The top line of every screen: where you are (profile, role, read-only) and whether each target
answers, on the profile's banner colour so production never looks like staging."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from rcmd_tui.widgets.safe_text import inert
from rcmd_tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from rcmd_tui.app import RcmdApp

DOTS = {True: ("●", "bold green"), False: ("✖", "bold red"), None: ("…", "dim")}


class StatusHeader(StatusLine):
    DEFAULT_CSS = """
    StatusHeader { height: 1; width: 1fr; padding: 0 1; color: $text; text-style: none; }
    """

    def __init__(self, where: str = "") -> None:
        super().__init__()
        self.where = where

    def on_mount(self) -> None:
        app = self.rcmd_app
        self.styles.background = app.profile.banner
        self.update_status()
        self.set_interval(1.0, self.update_status)

    @property
    def rcmd_app(self) -> RcmdApp:
        from rcmd_tui.app import RcmdApp  # noqa: PLC0415 - a cycle only for the type

        assert isinstance(self.app, RcmdApp)
        return self.app

    def render_line_text(self) -> Text:
        app = self.rcmd_app
        profile = app.profile
        mode = Text(" READ-ONLY ", style="bold black on yellow") if app.read_only else Text("read-write", style="bold")
        parts: list[Text | str | tuple[str, str]] = [
            ("rcmd-tui", "bold"), " │ ", inert(profile.name, "bold reverse"), " │ ", inert(profile.role), " │ ", mode, " │"]
        for target, ok in app.target_status.items():
            dot, style = DOTS[ok]
            parts += [" ", inert(target), " ", (dot, style)]
        if self.where:
            parts += [" │ ", inert(self.where, "bold")]
        return Text.assemble(*parts, no_wrap=True, overflow="ellipsis")

    def update_status(self) -> None:
        self.set(self.render_line_text())
