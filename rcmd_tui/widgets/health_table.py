"""Every target's health, one row each, fitted to the width: what tells whether a target is well comes first
(status, latency, connections), where it is comes last and takes the room that is left."""

from __future__ import annotations

from rich.text import Text

from rcmd_tui.data.infra.health import Health
from rcmd_tui.text import human_bytes
from rcmd_tui.widgets.row_grid import Cell, GridColumn, Row, RowGrid
from rcmd_tui.widgets.safe_text import escape_controls

COLUMNS = ("Target", "Status", "Latency", "Conns", "Keys", "Size", "Version", "Where")
WHERE_MIN = 12


def health_row(h: Health) -> list[str]:
    status = "up" if h.ok else "DOWN"
    if h.ok and h.role and h.role not in ("primary", "master") and h.kind != "keyring":
        status += f" {h.role}"
    measured = h.ok and h.kind != "keyring"
    return [
        h.target, status,
        f"{h.latency_ms:.1f} ms" if measured else "-",
        f"{h.connections}/{h.max_connections}" if h.max_connections else (str(h.connections) if h.ok else "-"),
        f"{h.keys:,}" if h.kind in ("redis", "keyring") and (h.ok or h.keys) else "-",
        human_bytes(h.size_bytes) if measured else "-",
        (h.version or "-").split(" ")[0],  # 15.20 (Debian 15.20-0+deb12u1): the number says enough here
        h.where,
    ]


class HealthTable(RowGrid):
    DEFAULT_CSS = """
    HealthTable { height: auto; max-height: 12; overflow-x: hidden; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.values: dict[str, list[str]] = {}  # by target, the texts shown

    def show(self, rows: list[Health]) -> None:
        self.values = {h.target: health_row(h) for h in rows}
        grid: list[Row] = []
        for h in rows:
            texts = self.values[h.target]
            cells: Row = [Cell(escape_controls(v)) for v in texts]
            cells[0] = Cell(cells[0].plain, "bold")
            cells[1] = Cell(cells[1].plain, "bold green" if h.ok else "bold red")
            grid.append(cells)
        self.set_rows(grid)
        self.fit_columns()

    def on_resize(self) -> None:
        self.fit_columns()

    def fit_columns(self) -> None:
        natural = [max([len(c), *(len(r[i]) for r in self.values.values())]) for i, c in enumerate(COLUMNS)]
        room = max(WHERE_MIN, (self.size.width or 80) - sum(natural[:-1]) - len(COLUMNS) - 1)
        widths = [*natural[:-1], min(natural[-1], room)]
        self.set_columns([GridColumn(c, Text(c), w) for c, w in zip(COLUMNS, widths, strict=True)])
