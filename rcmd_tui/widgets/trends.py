"""Two lines of sparklines over the minutes the screen has been open: the PostgreSQL target's transactions
per second, client connections and cache hit ratio; RCMD's Redis operations per second and memory."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.widget import Widget

from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.monitor.trends import Series, sparkline
from rcmd_tui.data.monitor.trends import Trends as Samples
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
    return [(series.name + " ", "dim"), (sparkline(list(series.values), SPARK).ljust(SPARK), "green"), " ",
            (_value(series), "bold"), "   "]


class Trends(Widget):
    DEFAULT_CSS = """
    Trends { height: 2; width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; padding: 0 1; }
    """

    def __init__(self, services: Services, system: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.services, self.system = services, system
        self.samples = Samples()

    def sample(self) -> None:
        if not any(w.group == "trends" and not w.is_finished for w in self.workers):
            self._sample()

    @work(group="trends", exit_on_error=False)
    async def _sample(self) -> None:
        await self.samples.sample(self.services, self.system)  # failures are kept in the samples and shown
        self.refresh()

    def render(self) -> Text:
        s = self.samples
        pg: list[Text | str | tuple[str, str]] = [(f"{self.system} ", "bold")]
        if s.pg_error:
            pg.append((f"trends not read: {escape_controls(s.pg_error, 200)}", "red"))
        else:
            pg += _part(s.tps) + _part(s.connections) + _part(s.hit)
        rd: list[Text | str | tuple[str, str]] = []
        if self.services.redis is None:
            rd.append(("no Redis in this profile", "dim"))
        elif s.redis_error:
            rd.append((f"redis trends not read: {escape_controls(s.redis_error, 200)}", "red"))
        else:
            rd += _part(s.ops) + _part(s.memory)
        line = Text.assemble(*pg, no_wrap=True, overflow="ellipsis")
        line.append("\n")
        line.append_text(Text.assemble(*rd, no_wrap=True, overflow="ellipsis"))
        return line
