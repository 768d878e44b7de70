"""Two lines of sparklines over the minutes the screen has been open: the PostgreSQL target's transactions
per second, client connections and cache hit ratio; RCMD's Redis operations per second and memory.

The samples come with the activity read (data/monitor/activity.py), so the rows and the trends of a refresh
are painted in one frame. Painted line by line (the line API, as RowGrid): a sample repaints only a line whose
text changed, and a line is turned into segments directly rather than through Textual's markup pipeline.
"""

from __future__ import annotations

from itertools import islice

from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.monitor.trends import Series, samples_for, sparkline
from rcmd_tui.text import escape_controls, human_bytes

SPARK = 12


def _value(series: Series) -> str:
    last = series.last
    if last is None:
        return "…"
    if series.unit == "B":
        return human_bytes(last)
    if series.unit == "%":
        return f"{last:.1f}%"
    return f"{last:,.0f}" if last >= 10 else f"{last:.1f}"


def _part(series: Series) -> list[Text | str | tuple[str, str]]:
    shown = list(islice(series.values, max(0, len(series.values) - SPARK), None))
    return [(series.name + " ", "dim"), (sparkline(shown, SPARK).ljust(SPARK), "green"), " ",
            (_value(series), "bold"), "   "]


class Trends(Widget):
    DEFAULT_CSS = """
    Trends { height: 2; width: 1fr; padding: 0 1; }
    """

    def __init__(self, services: Services, system: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.services, self.system = services, system
        self.samples = samples_for(services, system)
        self._lines: tuple[tuple[object, ...], tuple[Text, Text]] | None = None  # (what they show, the lines)
        self._painted: list[tuple[object, ...] | None] = [None, None]  # what each line was last painted from

    def show(self) -> None:
        """After a read of the activity, which sampled the trends too."""
        for y, text in enumerate(self.lines()):  # only a line that reads differently is painted again
            if _signature(text) != self._painted[y]:
                self.refresh(Region(0, y, self.size.width, 1))

    def lines(self) -> tuple[Text, Text]:
        """The PostgreSQL target's line and RCMD's Redis line, made again only when what they show changed."""
        s = self.samples
        shows = (s.pg_error, s.redis_error, *(tuple(islice(reversed(series.values), SPARK))
                                              for series in (s.tps, s.connections, s.hit, s.ops, s.memory)))
        if self._lines is None or self._lines[0] != shows:
            self._lines = (shows, (self._pg_line(), self._redis_line()))
        return self._lines[1]

    def _pg_line(self) -> Text:
        s = self.samples
        # "os", as the : prompt calls it: "ordersync" took the room the hit ratio's figure needs at 80 columns.
        parts: list[Text | str | tuple[str, str]] = [(f"{'os' if self.system == 'ordersync' else self.system} ", "bold")]
        if s.pg_error:
            parts.append((f"trends not read: {escape_controls(s.pg_error, 200)}", "red"))
        else:
            parts += _part(s.tps) + _part(s.connections) + _part(s.hit)
        return Text.assemble(*parts, no_wrap=True, overflow="ellipsis")

    def _redis_line(self) -> Text:
        s = self.samples
        parts: list[Text | str | tuple[str, str]] = []
        if self.services.redis is None:
            parts.append(("no Redis in this profile", "dim"))
        elif s.redis_error:
            parts.append((f"redis trends not read: {escape_controls(s.redis_error, 200)}", "red"))
        else:
            parts += _part(s.ops) + _part(s.memory)
        return Text.assemble(*parts, no_wrap=True, overflow="ellipsis")

    def render(self) -> Text:
        """Both lines as one text: what the widget shows (painted a line at a time by render_line)."""
        return Text("\n").join(self.lines())

    def render_line(self, y: int) -> Strip:
        width, base = self.size.width, self.rich_style
        if not 0 <= y < 2:
            return Strip.blank(width, base)
        text = self.lines()[y]
        self._painted[y] = _signature(text)
        text = text.copy()
        text.truncate(width, overflow="ellipsis")  # the rest of the line is filled as Textual fills any widget's
        return Strip(text.render(self.app.console)).apply_style(base)


def _signature(text: Text) -> tuple[object, ...]:
    return (text.plain, tuple(text.spans))
