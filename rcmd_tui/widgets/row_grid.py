"""A fast table for long lists: each visible row becomes one cached Strip, painted through the line API.

Textual's DataTable renders every cell through Rich on each change (about 110 ms for a 160x50 screen
here), which alone would spend the 100 ms a page may take. This widget builds a row's segments directly
(cut or padded to the column width, the row's background and the cursor baked in) and keeps the finished
line until the row, the cursor, the scroll position or the width changes. Cells are Rich ``Text`` (never
markup strings); rows may be a lazy sequence, so only the rows painted are ever built.

New rows in the same columns (a live view's refresh) repaint only the lines on screen whose cells changed, and
the virtual size is never less than the view, so a row count that changes below a screenful never asks for a
new layout: a refresh that changes nothing costs no repaint at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, overload

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rcmd_tui.text import escape_controls

AUTO_MAX = 48  # an auto-sized column never grows past this; details show the rest
PLACEHOLDER = Style(dim=True, italic=True)
WIDE_MAX = 120  # with room to spare, a cut column grows up to this
GAP = 1


class Cell(NamedTuple):
    """A cell of one style: lighter than a Rich ``Text`` (a page builds hundreds); the text is already inert."""

    plain: str
    style: str = ""

    @property
    def spans(self) -> tuple[()]:
        return ()

    @property
    def cell_len(self) -> int:
        return len(self.plain) if self.plain.isascii() else cell_len(self.plain)


CellLike = Text | Cell
Row = list[CellLike]


def _signature(cells: Sequence[CellLike]) -> tuple[object, ...]:
    """What a row's line is painted from, to tell whether new cells would paint it differently (a Text's own
    ``==`` leaves its style out)."""
    return tuple(c if isinstance(c, Cell) else (c.plain, c.style, tuple(c.spans)) for c in cells)


class LazyRows(Sequence[Row]):
    """Rows built on first use: a page of 100 records costs only the rows painted."""

    def __init__(self, items: Sequence[object], build: Callable[[Any], Row]) -> None:
        self.items = items
        self.build = build
        self.built: dict[int, Row] = {}

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.items)))]
        if index < 0:
            index += len(self.items)
        row = self.built.get(index)
        if row is None:
            row = self.built[index] = self.build(self.items[index])
        return row

    def __iter__(self) -> Iterator[Row]:
        return (self[i] for i in range(len(self.items)))


@dataclass(frozen=True, slots=True)
class GridColumn:
    key: str
    label: Text
    width: int | None = None  # None: fit the rows shown (up to AUTO_MAX)


class RowGrid(ScrollView, can_focus=True):
    """Enter is the screen's to bind (a list's details, home's target): the grid binds none, so the screen's
    shows in the footer. A double click posts Selected."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("left", "column(-1)", "Left", show=False),
        Binding("right", "column(1)", "Right", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(-1)", "Top", show=False),
        Binding("end", "edge(1)", "Bottom", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"rowgrid--header", "rowgrid--cursor", "rowgrid--cursor-row", "rowgrid--odd"}
    DEFAULT_CSS = """
    RowGrid { height: 1fr; background: $surface; scrollbar-size-horizontal: 0; }
    RowGrid > .rowgrid--header { text-style: bold; background: $panel; color: $foreground; }
    RowGrid > .rowgrid--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
    RowGrid > .rowgrid--cursor-row { background: $primary 30%; }
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
        self.rows: Sequence[Row] = []
        self.widths: list[int] = []
        # row -> ((scroll x, width, cursor column), what its cells were (_signature), the line)
        self._lines: dict[int, tuple[tuple[int, int, int], tuple[object, ...], Strip]] = {}
        self._header: Strip | None = None
        self._placeholder = ""
        self._placeholder_wrapped: tuple[tuple[str, int], list[str]] = (("", 0), [])
        self._styles: dict[str, Style] = {}
        self._layers: dict[tuple[bool, str], Style] = {}
        self._combined: dict[tuple[Style, str | Style], Style] = {}

    @property
    def placeholder(self) -> str:
        """What the first line says while there are no rows ("loading…", "no rows")."""
        return self._placeholder

    @placeholder.setter
    def placeholder(self, text: str) -> None:
        text = escape_controls(text, 1000)  # a reason may quote what a filter named (a lead's value comes from the data)
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

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.rows = rows
        self._relayout(rows_only=True)

    def get_row_at(self, row: int) -> Row:
        return self.rows[row]

    def update_cell_at(self, coordinate: Coordinate, value: CellLike) -> None:
        self.rows[coordinate.row][coordinate.column] = value
        self._lines.pop(coordinate.row, None)
        self._refresh_row(coordinate.row)

    def _relayout(self, rows_only: bool = False) -> None:
        """Widths and virtual size for the rows. ``rows_only``: the columns are the same, only the rows are new;
        if the widths stay, only the lines on screen whose cells changed are repainted."""
        widths = []
        for i, column in enumerate(self.grid_columns):
            if column.width is not None:
                widths.append(column.width)
                continue
            fit = max((r[i].cell_len for r in self.rows if i < len(r)), default=0)
            widths.append(min(AUTO_MAX, max(column.label.cell_len, fit)))
        widths = self._widen(widths)
        same = rows_only and widths == self.widths and self._header is not None
        self.widths = widths
        # Never less than the view where the view's size is its own: a count of rows that changes below a
        # screenful is then no new layout (a change of virtual size is one, of the whole screen). A grid sized
        # to its rows (height: auto) follows them.
        view, height, width = self.scrollable_content_region.size, self.styles.height, self.styles.width
        self.virtual_size = Size(
            max(sum(widths) + GAP * len(widths) + 1, 0 if width is None or width.is_auto else view.width),
            max(len(self.rows) + 1, 0 if height is None or height.is_auto else view.height))
        if self.rows:
            self.cursor_row = max(0, min(self.cursor_row, len(self.rows) - 1))
        if same:
            self._refresh_changed()
            return
        self._lines.clear()
        self._header = None
        self.refresh()

    def _refresh_changed(self) -> None:
        """Repaint the lines on screen that would not be painted as they are (cells or cursor changed, a row
        came or went); forget the lines off screen, which are painted again if scrolled to."""
        scroll_x, top = self.scroll_offset
        width, bottom = self.size.width, top + max(0, self.size.height - 1)
        lines = self._lines
        for row in [r for r in lines if not top <= r < bottom]:
            del lines[row]
        for row in range(top, bottom):
            cached = lines.get(row)
            if row < len(self.rows):
                key = (scroll_x, width, self.cursor_column if row == self.cursor_row and self.widths else -1)
                if cached is not None and cached[0] == key and cached[1] == _signature(self.rows[row]):
                    continue
            elif cached is None:
                continue  # no row there before either
            lines.pop(row, None)
            self.refresh_line(row + 1)

    def _widen(self, widths: list[int]) -> list[int]:
        """Free width goes to the columns whose values are cut, left to right, as far as the rows on screen need."""
        room = self.size.width - 1 - (sum(widths) + GAP * len(widths))
        if room <= 0 or not self.rows:
            return widths
        sample = [self.rows[i] for i in range(min(len(self.rows), max(1, self.size.height)))]
        widened = list(widths)
        for i in range(len(widened)):
            wanted = min(WIDE_MAX, max((row[i].cell_len for row in sample if i < len(row)), default=0))
            grow = min(room, wanted - widened[i])
            if grow > 0:
                widened[i] += grow
                room -= grow
        return widened

    def on_resize(self) -> None:
        if self.grid_columns:
            self._relayout()

    # -- painting ---------------------------------------------------------------------------------

    def _style(self, style: str | Style) -> Style:
        if isinstance(style, Style):
            return style
        found = self._styles.get(style)
        if found is None:
            found = self._styles[style] = self.app.console.get_style(style) if style else Style.null()
        return found

    def _on(self, layer: Style, style: str | Style) -> Style:
        key = (layer, style)
        found = self._combined.get(key)
        if found is None:
            found = self._combined[key] = layer + self._style(style)
        return found

    def _fit(self, cell: CellLike, width: int) -> str:
        """The cell's text exactly ``width`` cells wide: cut with an ellipsis, or padded."""
        text = cell.plain
        length = len(text) if text.isascii() else cell_len(text)
        if length > width:
            return set_cell_size(text, width - 1) + "…" if width > 0 else ""
        return text + " " * (width - length) if length < width else text

    def _line(self, cells: Sequence[CellLike], odd: bool, cursor_column: int, fill: int = 0) -> tuple[Strip, Style]:
        """The row as one strip, ``fill`` cells wide at least (the row's background past the last column)."""
        row_part = "row" if cursor_column >= 0 else ""
        base = self._layer(odd, row_part)
        cursor = self._layer(odd, "cursor")
        # Neighbours of one style become one segment: most rows are a single run of plain text, and every
        # segment costs again in Textual's line filters and in the compositor.
        segments: list[Segment] = []
        run: list[str] = []
        run_style: Style | None = None
        for i, (cell, width) in enumerate(zip(cells, self.widths, strict=False)):
            layer = cursor if i == cursor_column else base
            if cell.spans:  # several styles in one cell: let Rich lay it out
                piece = cell.copy() if isinstance(cell, Text) else Text(cell.plain)
                piece.no_wrap = True
                piece.truncate(width, overflow="ellipsis", pad=True)
                parts = [(" " * GAP, layer), *((s.text, layer + s.style if s.style else layer)
                                               for s in piece.render(self.app.console))]
            else:
                parts = [(" " * GAP, layer), (self._fit(cell, width), self._on(layer, cell.style))]
            for text, style in parts:
                if style == run_style:
                    run.append(text)
                    continue
                if run and run_style is not None:
                    segments.append(Segment("".join(run), run_style))
                run, run_style = [text], style
        length = sum(self.widths[: len(cells)]) + GAP * min(len(cells), len(self.widths))
        if fill > length:
            if run_style != base:
                if run and run_style is not None:
                    segments.append(Segment("".join(run), run_style))
                run, run_style = [], base
            run.append(" " * (fill - length))
            length = fill
        if run and run_style is not None:
            segments.append(Segment("".join(run), run_style))
        return Strip(segments, length), base

    def _layer(self, odd: bool, part: str) -> Style:
        """The row's background (zebra, cursor row) under a cell, or the cursor's."""
        found = self._layers.get((odd, part))
        if found is None:
            found = self.rich_style
            if odd:
                found += self.get_component_rich_style("rowgrid--odd")
            if part:
                found += self.get_component_rich_style("rowgrid--cursor-row")
            if part == "cursor":
                found += self.get_component_rich_style("rowgrid--cursor")
            if part and self.app.no_color:  # without colour a shade shows nothing: the cursor row is reversed
                found += Style(reverse=True, bold=part == "cursor", underline=part == "cursor")
            self._layers[(odd, part)] = found
        return found

    def _placeholder_lines(self, width: int) -> list[str]:
        """Why the list is empty, wrapped: with no rows there is nothing to scroll to the rest of a cut line."""
        if self._placeholder_wrapped[0] != (self._placeholder, width):
            lines = Text(self._placeholder).wrap(self.app.console, max(10, width - 2))
            self._placeholder_wrapped = ((self._placeholder, width), [f" {line.plain}" for line in lines])
        return self._placeholder_wrapped[1]

    def _cell_span(self, column: int) -> tuple[int, int]:
        start = sum(self.widths[:column]) + GAP * column
        return start, start + self.widths[column] + GAP if column < len(self.widths) else start

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y == 0:
            header_style = self.get_component_rich_style("rowgrid--header")
            if self._header is None:
                self._header = self._line([c.label for c in self.grid_columns], False, -1)[0].apply_style(header_style)
            return self._header_in_view(self._header, scroll_x, width, header_style)
        row = scroll_y + y - 1
        if not 0 <= row < len(self.rows):
            said = self._placeholder_lines(width) if not self.rows and self._placeholder else []
            if 0 < y <= len(said):
                return Strip([Segment(said[y - 1], self.rich_style + PLACEHOLDER)]).crop_extend(0, width, self.rich_style)
            return Strip.blank(width, self.rich_style)
        cursor_column = self.cursor_column if row == self.cursor_row and self.widths else -1
        key = (scroll_x, width, cursor_column)
        cached = self._lines.get(row)
        if cached is not None and cached[0] == key:  # new rows drop the lines they change (_refresh_changed)
            return cached[2]
        cells = self.rows[row]
        line, base = self._line(cells, row % 2 == 1, cursor_column, 0 if scroll_x else width)
        if scroll_x or line.cell_length != width:
            line = line.crop_extend(scroll_x, scroll_x + width, base)
        self._lines[row] = (key, _signature(cells), line)
        return line

    def _header_in_view(self, header: Strip, scroll_x: int, width: int, style: Style) -> Strip:
        """The header's part in view, with ‹ and › at its ends where columns lie beyond them. A horizontal scrollbar
        said the same in a line of its own, where its thumb read as a stray glyph above the status line."""
        columns_end = sum(self.widths) + GAP * len(self.widths)  # the virtual width keeps a column to spare
        more_left, more_right = scroll_x > 0, scroll_x + width < columns_end
        if width < 3 or not (more_left or more_right):
            return header.crop_extend(scroll_x, scroll_x + width, style)
        start, end = scroll_x + more_left, scroll_x + width - more_right
        return Strip.join([Strip([Segment("‹", style)]) if more_left else Strip([]),
                           header.crop_extend(start, end, style),
                           Strip([Segment("›", style)]) if more_right else Strip([])])

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._forget_styles()

    def _forget_styles(self) -> None:
        self._header = None
        self._styles.clear()
        self._layers.clear()
        self._combined.clear()
        self._lines.clear()

    def on_focus(self) -> None:
        self._forget_styles()  # the cursor looks different with and without the focus
        self.refresh()

    def on_blur(self) -> None:
        self._forget_styles()
        self.refresh()

    # -- cursor -----------------------------------------------------------------------------------

    def move_cursor(self, *, row: int | None = None, column: int | None = None, animate: bool = False,
                    scroll: bool = True, moved: bool = True) -> None:
        del animate
        old_row, old_column = self.cursor_row, self.cursor_column
        if column is not None and self.grid_columns:
            self.cursor_column = max(0, min(column, len(self.grid_columns) - 1))
        if row is not None and self.rows:
            self.cursor_row = max(0, min(row, len(self.rows) - 1))
        if scroll:
            self._scroll_to_cursor()
        if (old_row, old_column) == (self.cursor_row, self.cursor_column) and not moved:
            return  # placed where it was (new rows, the cursor's row kept): nothing to paint or to tell
        self._refresh_row(old_row)
        self._refresh_row(self.cursor_row)
        self.post_message(self.Highlighted(self, self.cursor_row, self.cursor_column, moved))

    def _refresh_row(self, row: int) -> None:
        # ScrollView.refresh_line takes a line of the whole content (it subtracts the scroll offset itself):
        # the header is line 0, so row r is line r + 1.
        y = row - self.scroll_offset.y + 1
        if 0 < y < self.size.height:
            self.refresh_line(row + 1)

    def _scroll_to_cursor(self) -> None:
        if self.size.width <= 0 or self.size.height <= 0:
            return  # not laid out yet (a bar above was just shown or hidden): nothing to keep in view
        visible = max(1, self.size.height - 1 - self.scrollbar_size_horizontal)
        top = self.scroll_offset.y
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False, immediate=True)
        if self.widths:
            start, end = self._cell_span(self.cursor_column)
            left, width = self.scroll_offset.x, self.size.width - self.scrollbar_size_vertical
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

