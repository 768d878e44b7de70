"""A table of target health rows, one per configured PostgreSQL or Redis target."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from rcmd_tui.data.infra.health import Health
from rcmd_tui.widgets.safe_text import inert

COLUMNS = ("Target", "Status", "Where", "Version", "Role", "Latency", "Size", "Conns", "Keys")


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


class HealthTable(DataTable[Text]):
    DEFAULT_CSS = """
    HealthTable { height: auto; max-height: 12; }
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True

    def show(self, rows: list[Health]) -> None:
        row = self.cursor_row
        self.clear(columns=True)  # widths fit what is shown now, not the widest value ever seen
        for column in COLUMNS:
            self.add_column(column, key=column)
        for h in rows:
            status = Text("up", style="bold green") if h.ok else Text("DOWN", style="bold red")
            self.add_row(
                inert(h.target, "bold"), status, inert(h.where), inert(h.version or "-"), inert(h.role or "-"),
                inert(f"{h.latency_ms:.1f} ms" if h.ok and h.kind != "keyring" else "-"),
                inert(human_bytes(h.size_bytes) if h.ok and h.kind != "keyring" else "-"),
                inert(f"{h.connections}/{h.max_connections}" if h.max_connections else (str(h.connections) if h.ok else "-")),
                inert(f"{h.keys:,}" if h.kind in ("redis", "keyring") and (h.ok or h.keys) else "-"),
                key=h.target,
            )
        if rows:
            self.move_cursor(row=min(row, len(rows) - 1))
