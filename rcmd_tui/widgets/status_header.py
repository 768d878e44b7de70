"""The top line of every screen: which screen this is, where you are (profile, role, read-only) and whether
each target answers, on the profile's banner colour so production never looks like staging.

The screen's name comes first and always shows; when the line is too narrow the target names shorten to
their dots, then the brand goes.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from rcmd_tui.data.infra.services import Services
from rcmd_tui.widgets.safe_text import inert
from rcmd_tui.widgets.status_line import StatusLine

DOTS = {True: ("●", "bold green"), False: ("✖", "bold red"), None: ("…", "dim")}
SHORT = {"rcmd": "r", "ordersync": "os", "rcmd-redis": "redis", "keyring": "keys"}


class StatusHeader(StatusLine):
    DEFAULT_CSS = """
    StatusHeader { height: 1; width: 1fr; padding: 0 1; color: $text; text-style: none; }
    """

    def __init__(self, services: Services, where: str = "") -> None:
        super().__init__()
        self.services = services
        self.where = where
        self._stop_listening: Callable[[], None] = lambda: None

    def on_mount(self) -> None:
        self.styles.background = self.services.profile.banner
        self._stop_listening = self.services.on_status(self.update_status)
        self.update_status()

    def on_unmount(self) -> None:
        self._stop_listening()

    def on_resize(self) -> None:
        self.update_status()

    def line(self, width: int) -> Text:
        services = self.services
        profile = services.profile
        mode = Text(" READ-ONLY ", style="bold black on yellow") if services.read_only else Text("read-write", style="bold")
        # The name always shows; a long one (a Redis key) is cut so the profile and the mode still fit.
        name = inert(self.where, "bold", limit=max(24, width - 48))
        where: list[Text | str | tuple[str, str]] = [name, " │ "] if self.where else []
        middle: list[Text | str | tuple[str, str]] = [inert(profile.name, "bold reverse"), " ", inert(profile.role), " │ ", mode, " │"]
        text = Text()
        for short, brand in ((False, True), (True, True), (True, False)):
            dots: list[Text | str | tuple[str, str]] = []
            for target, ok in services.status.items():
                dot, style = DOTS[ok]
                dots += [" ", inert(SHORT.get(target, target)), (dot, style)] if short else [" ", inert(target), " ", (dot, style)]
            lead: list[Text | str | tuple[str, str]] = [("rcmd-tui", "bold"), " │ "] if brand else []
            text = Text.assemble(*where, *lead, *middle, *dots, no_wrap=True, overflow="ellipsis")
            if text.cell_len <= width:
                break
        return text

    def update_status(self) -> None:
        width = self.size.width - 2 if self.size.width else 200
        self.set(self.line(width))
