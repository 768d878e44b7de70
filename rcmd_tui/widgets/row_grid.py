"""A fast table for long lists: each row becomes one cached Strip, painted through the line API.

Textual's DataTable renders every cell through Rich on each change (about 110 ms for a 160x50 screen
here), which alone would spend the 100 ms a page may take. This widget renders a row once, as one line,
and a repaint only crops and styles cached lines. Cells are Rich ``Text`` (never markup strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

AUTO_MAX = 48  # an auto-sized column never grows past this; details show the rest
GAP = 1


@dataclass(frozen=True, slots=True)
class GridColumn:
    key: str
    label: Text
    width: int | None = None  # None: fit the rows shown (up to AUTO_MAX)


class RowGrid(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("left", "column(-1)", "Left", show=False),
        Binding("right", "column(1)", "Right", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(-1)", "Top", show=False),
        Binding("end", "edge(1)", "Bottom", show=False),
        Binding("enter", "select", "Select", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"rowgrid--header", "rowgrid--cursor", "rowgrid--cursor-row", "rowgrid--odd"}
    DEFAULT_CSS = """
    RowGrid { height: 1fr; background: $surface; }
    RowGrid > .rowgrid--header { text-style: bold; background: $panel; color: $foreground; }
    RowGrid > .rowgrid--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
    RowGrid > .rowgrid--cursor-row { background: $boost; }
    RowGrid > .rowgrid--odd { background: $surface-lighten-1 10%; }
    RowGrid:blur > .rowgrid--cursor { background: $block-cursor-blurred-background; }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True, repaint=False)
    cursor_column: reactive[int] = reactive(0, repaint=False)

    @dataclass
    class Highlighted(Message):
        grid: RowGrid
        row: int
        column: int
        moved: bool = True  # False when the program placed the cursor (after new rows), not a key or a click

    @dataclass
    class Selected(Message):
        grid: RowGrid
        row: int
        column: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.grid_columns: list[GridColumn] = []
        self.rows: list[list[Text]] = []
        self.widths: list[int] = []
        self._lines: dict[int, Strip] = {}
        self._header: Strip | None = None
        self._placeholder = ""

    @property
    def placeholder(self) -> str:
        """What the first line says while there are no rows ("loading…", "no rows")."""
        return self._placeholder

    @placeholder.setter
    def placeholder(self, text: str) -> None:
        if text != self._placeholder:
            self._placeholder = text
            if not self.rows:
                self.refresh()

    # -- content ----------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def cursor_coordinate(self) -> Coordinate:
        return Coordinate(self.cursor_row, self.cursor_column)

    def set_columns(self, columns: list[GridColumn]) -> None:
        self.grid_columns = columns
        self.cursor_column = min(self.cursor_column, max(0, len(columns) - 1))
        self._relayout()

    def set_rows(self, rows: list[list[Text]]) -> None:
        self.rows = rows
        self._relayout()

    def get_row_at(self, row: int) -> list[Text]:
        return self.rows[row]

    def update_cell_at(self, coordinate: Coordinate, value: Text) -> None:
        self.rows[coordinate.row][coordinate.column] = value
        self._lines.pop(coordinate.row, None)
        self.refresh()

    def _relayout(self) -> None:
        widths = []
        for i, column in enumerate(self.grid_columns):
            if column.width is not None:
                widths.append(column.width)
                continue
            fit = max((r[i].cell_len for r in self.rows if i < len(r)), default=0)
            widths.append(min(AUTO_MAX, max(column.label.cell_len, fit)))
        self.widths = widths
        self._lines.clear()
        self._header = None
        self.virtual_size = Size(sum(widths) + GAP * len(widths) + 1, len(self.rows) + 1)
        if self.rows:
            self.cursor_row = max(0, min(self.cursor_row, len(self.rows) - 1))
        self.refresh()

    # -- painting ---------------------------------------------------------------------------------

    def _line_text(self, cells: list[Text]) -> Text:
        parts: list[Text] = []
        for cell, width in zip(cells, self.widths, strict=False):
            piece = cell.copy()
            piece.no_wrap = True
            piece.truncate(width, overflow="ellipsis", pad=True)
            parts.append(Text(" "))
            parts.append(piece)
        return Text.assemble(*parts, no_wrap=True, end="")

    def _strip(self, cells: list[Text]) -> Strip:
        segments = list(self._line_text(cells).render(self.app.console))
        return Strip(segments).simplify()

    def _cell_span(self, column: int) -> tuple[int, int]:
        start = sum(self.widths[:column]) + GAP * column
        return start, start + self.widths[column] + GAP if column < len(self.widths) else start

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y == 0:
            if self._header is None:
                self._header = self._strip([c.label for c in self.grid_columns]).apply_style(
                    self.get_component_rich_style("rowgrid--header"))
            return self._header.crop_extend(scroll_x, scroll_x + width, self.get_component_rich_style("rowgrid--header"))
        row = scroll_y + y - 1
        if not 0 <= row < len(self.rows):
            if y == 1 and not self.rows and self._placeholder:
                return Strip(list(Text(f" {self._placeholder}", style="dim italic").render(self.app.console))).crop_extend(
                    0, width, self.rich_style)
            return Strip.blank(width, self.rich_style)
        line = self._lines.get(row)
        if line is None:
            line = self._strip(self.rows[row])
            self._lines[row] = line
        base = self.rich_style
        if row % 2:
            base += self.get_component_rich_style("rowgrid--odd")
        if row == self.cursor_row:
            base += self.get_component_rich_style("rowgrid--cursor-row")
            line = line.apply_style(base)
            if self.widths:
                start, end = self._cell_span(self.cursor_column)
                cursor = self.get_component_rich_style("rowgrid--cursor")
                line = Strip.join([line.crop(0, start), line.crop(start, end).apply_style(cursor), line.crop(end, line.cell_length)])
        else:
            line = line.apply_style(base)
        return line.crop_extend(scroll_x, scroll_x + width, base)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._header = None

    # -- cursor -----------------------------------------------------------------------------------

    def move_cursor(self, *, row: int | None = None, column: int | None = None, animate: bool = False,
                    scroll: bool = True, moved: bool = True) -> None:
        del animate
        old_row = self.cursor_row
        if column is not None and self.grid_columns:
            self.cursor_column = max(0, min(column, len(self.grid_columns) - 1))
        if row is not None and self.rows:
            self.cursor_row = max(0, min(row, len(self.rows) - 1))
        if scroll:
            self._scroll_to_cursor()
        self._refresh_row(old_row)
        self._refresh_row(self.cursor_row)
        self.post_message(self.Highlighted(self, self.cursor_row, self.cursor_column, moved))

    def _refresh_row(self, row: int) -> None:
        y = row - self.scroll_offset.y + 1
        if 0 < y < self.size.height:
            self.refresh_line(y)

    def _scroll_to_cursor(self) -> None:
        if self.size.width <= 0 or self.size.height <= 0:
            return  # not laid out yet (a bar above was just shown or hidden): nothing to keep in view
        visible = max(1, self.size.height - 1 - (1 if self.show_horizontal_scrollbar else 0))
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)
        if self.widths:
            start, end = self._cell_span(self.cursor_column)
            left, width = self.scroll_offset.x, self.size.width - (1 if self.show_vertical_scrollbar else 0)
            if start < left or end - start > width:
                self.scroll_to(x=start, animate=False, immediate=True)
            elif end > left + width:
                self.scroll_to(x=end - width, animate=False, immediate=True)

    def action_cursor(self, step: int) -> None:
        self.move_cursor(row=self.cursor_row + step)

    def action_column(self, step: int) -> None:
        self.move_cursor(column=self.cursor_column + step)

    def action_page(self, step: int) -> None:
        self.move_cursor(row=self.cursor_row + step * max(1, self.size.height - 2))

    def action_edge(self, step: int) -> None:
        self.move_cursor(row=0 if step < 0 else len(self.rows) - 1)

    def action_select(self) -> None:
        if self.rows:
            self.post_message(self.Selected(self, self.cursor_row, self.cursor_column))

    def on_click(self, event: Click) -> None:
        row = self.scroll_offset.y + event.y - 1
        if event.y >= 1 and 0 <= row < len(self.rows):
            x = self.scroll_offset.x + event.x
            column = next((i for i in range(len(self.widths)) if self._cell_span(i)[0] <= x < self._cell_span(i)[1]),
                          self.cursor_column)
            if row == self.cursor_row and column == self.cursor_column and event.chain == 2:
                self.action_select()
            self.move_cursor(row=row, column=column)

