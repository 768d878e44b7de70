"""One line naming the views of a family (the monitoring views), the one on screen marked, each with the digit
that opens it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget


class ViewTabs(Widget):
    DEFAULT_CSS = """
    ViewTabs { height: 1; width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; background: $panel; }
    """

    def __init__(self, labels: Sequence[str], current: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.labels, self.current = list(labels), current

    def render(self) -> Text:
        parts: list[Text | str | tuple[str, str]] = []
        for i, label in enumerate(self.labels):
            style = "bold reverse" if i == self.current else ""
            parts += [(f"{i + 1}", "bold"), " ", (f"{label}", style) if style else label, "  "]
        return Text.assemble(*parts, no_wrap=True, overflow="ellipsis")
