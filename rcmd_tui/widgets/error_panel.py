"""One place on a screen for what went wrong: the failing target and what to do about it."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from rcmd_tui.errors import RcmdError
from rcmd_tui.widgets.safe_text import inert


class ErrorPanel(Static):
    DEFAULT_CSS = """
    ErrorPanel { height: auto; padding: 0 1; background: $error 20%; display: none; }
    ErrorPanel.-shown { display: block; }
    """

    def show(self, error: RcmdError) -> None:
        self.update(Text.assemble((f"{error.title}: ", "bold"), inert(error.message, "bold"),
                                  *((" — ", inert(error.hint)) if error.hint else ())))
        self.add_class("-shown")

    def clear(self) -> None:
        if self.has_class("-shown"):  # a hidden panel stays untouched: an update would lay the screen out again
            self.update("")
            self.remove_class("-shown")

    @property
    def text(self) -> str:
        return str(self.render()) if self.has_class("-shown") else ""
