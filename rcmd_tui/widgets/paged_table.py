"""A table over any row source (millions of keyset rows, a snapshot, Redis keys): pages loaded in a worker
as the cursor nears an edge, and a bounded window of rows kept in memory (older pages dropped as newer ones
arrive, and read again if the cursor goes back).

A failed load leaves the rows as they were and reaches the screen's error route as WorkerFailed."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.message import Message
from textual.worker import Worker

from rcmd_tui.data.lists.filters import matches_words
from rcmd_tui.data.lists.sources import Page, RowSource
from rcmd_tui.data.lists.spec import Column, ListSpec, Record
from rcmd_tui.widgets.cells import cell, copied, shown
from rcmd_tui.widgets.key_footer import OffersActions
from rcmd_tui.widgets.row_grid import Cell, GridColumn, LazyRows, Row, RowGrid
from rcmd_tui.widgets.worker_failed import failure_of

WINDOW_PAGES = 3
EDGE_ROWS = 5  # this close to an edge of the window, the next page is fetched
MARK = Cell("●", "bold yellow")
BLANK = Cell(" ")
Load = Literal["first", "last", "after", "before", "at", "around"]


class PagedTable(RowGrid):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "mark", "Mark", id="list.mark", tooltip="Mark or unmark this row for a bulk action"),
        Binding("y", "copy_cell", "Copy", id="list.copy_cell", tooltip="Copy this cell to the clipboard (OSC 52, works over SSH)"),
        Binding("Y", "copy_row", "Copy row", id="list.copy_row", show=False, tooltip="Copy the whole row, tab-separated"),
        Binding("right_square_bracket", "next_page", "Next page", id="list.next_page", show=False,
                tooltip="Move to the next page, loading it if needed"),
        Binding("left_square_bracket", "previous_page", "Previous page", id="list.previous_page", show=False,
                tooltip="Move to the previous page, loading it if needed"),
        Binding("g", "first_page", "First", id="list.first", show=False, tooltip="Go to the first row of the ordering"),
        Binding("G", "last_page", "Last", id="list.last", show=False, tooltip="Go to the last row of the ordering"),
    ]
    # No vertical scroll bar: it would measure the few pages loaded, not the list; the status line gives the
    # row's place in the whole list instead.
    DEFAULT_CSS = """
    PagedTable { height: 1fr; scrollbar-size-vertical: 0; }
    """

    @dataclass
    class Loading(Message):
        """A page is being read (the status line says so)."""

        table: PagedTable
        how: str

    @dataclass
    class PageShown(Message):
        """Rows are on screen: after the first page, a new page, a jump or a redraw."""

        table: PagedTable
        how: str
        rows: int

    def __init__(self, spec: ListSpec, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.spec = spec
        self.source: RowSource | None = None
        self.window: list[Record] = []
        self.more_before = False
        self.more_after = False
        self.hidden = {c.name for c in spec.columns if not c.shown}
        self.marked: dict[tuple[Any, ...], Record] = {}
        self.revealed: dict[tuple[tuple[Any, ...], str], str] = {}
        self.words: tuple[str, ...] = ()
        self.shown_records: list[Record] = []
        self.loading_what: str | None = None
        self.shown_count = 0
        self.paints: deque[float] = deque(maxlen=16)
        self.window_start: int | None = 0  # the window's first row in the whole list (0-based), when known
        self.start_exact = True
        self.from_end = False
        self._target: int | None = None
        self._rendered: dict[int, tuple[Record, Row]] = {}
        self._shown_cache: list[Column] | None = None  # id(record) -> its cells, the record kept alive
        self.patched = 0  # rows changed in place by a live feed (read by bench/jobs_bench.py)

    # -- columns and rows -------------------------------------------------------------------------

    def shown_columns(self) -> list[Column]:
        return [c for c in self.spec.columns if c.name not in self.hidden]

    @property
    def _shown(self) -> list[Column]:
        if self._shown_cache is None:
            self._shown_cache = self.shown_columns()
        return self._shown_cache

    def _set_columns(self) -> None:
        self.set_columns([GridColumn("__mark", Text(" "), 1),
                          *(GridColumn(c.name, Text(c.label), c.width) for c in self.shown_columns())])

    def _cells(self, record: Record) -> Row:
        ident = record.identity(self.spec)
        rendered = self._rendered.get(id(record))
        if rendered is None or rendered[0] is not record:
            revealed = self.revealed
            cells: Row = [cell(c, record.get(c.name), revealed.get((ident, c.name)) if revealed else None)
                          for c in self._shown]
            rendered = (record, cells)
            self._rendered[id(record)] = rendered
        return [MARK if ident in self.marked else BLANK, *rendered[1]]

    def forget_rendering(self) -> None:
        """After a change to the columns shown or to what is revealed."""
        self._rendered.clear()
        self._shown_cache = None

    def redraw(self, keep: Record | None = None, at_index: int | None = None, how: str = "redraw") -> None:
        """Rebuild the visible rows from the window, keeping the cursor on ``keep`` (or at ``at_index``)."""
        column = self.cursor_coordinate.column
        if self.words and self.spec.source.words == "loaded":
            self.shown_records = [r for r in self.window
                            if matches_words(self.words, [shown(c, r.get(c.name)) for c in self.shown_columns()])]
        else:
            self.shown_records = list(self.window)
        if not self.grid_columns:
            self._set_columns()
        self.placeholder = "" if self.shown_records else ("no loaded row has those words" if self.window else "no rows")
        self.set_rows(LazyRows(self.shown_records, self._cells))
        if len(self._rendered) > 2 * len(self.window):  # cells of dropped pages go with them
            kept = {id(r) for r in self.window}
            self._rendered = {k: v for k, v in self._rendered.items() if k in kept}
        row = 0
        if keep is not None:  # its row, or, if it is gone, the place where it was
            ident = keep.identity(self.spec)
            row = next((i for i, r in enumerate(self.shown_records) if r.identity(self.spec) == ident),
                       min(self.cursor_coordinate.row, max(0, len(self.shown_records) - 1)))
        elif at_index is not None:
            row = max(0, min(at_index, len(self.shown_records) - 1))
        if self.shown_records:
            # Not a move of the person's: it must not fetch more (a free-text filter showing few rows
            # would otherwise page on through the whole table by itself).
            self.move_cursor(row=row, column=max(1, min(column, len(self.grid_columns) - 1)), moved=False)
        self.post_message(self.PageShown(self, how, len(self.shown_records)))
        self.call_after_refresh(self._painted)

    def patch(self, changes: Mapping[tuple[str, ...], Mapping[str, Any]]) -> int:
        """Change fields of loaded rows in place (a live feed's messages), keyed by identity as text; the rows
        stay where they are, the cursor too, and only the lines whose cells changed are painted again.
        Returns how many loaded rows changed."""
        if not changes or not self.window:
            return 0
        replaced: dict[int, Record] = {}
        for at, record in enumerate(self.window):
            change = changes.get(tuple(str(v) for v in record.identity(self.spec)))
            if change is None:
                continue
            values = list(record.values)
            for name, value in change.items():
                where = record.positions.get(name)
                where = where if where is not None else (record.names.index(name) if name in record.names else None)
                if where is not None:
                    values[where] = value
            new = Record(tuple(values), record.names, record.sort_key, record.positions)
            if new.values != record.values:
                replaced[id(record)] = new
                self.window[at] = new
        if not replaced:
            return 0
        self.shown_records = [replaced.get(id(r), r) for r in self.shown_records]
        for ident, record in list(self.marked.items()):
            self.marked[ident] = replaced.get(id(record), record)
        self.set_rows(LazyRows(self.shown_records, self._cells))
        self.patched += len(replaced)
        return len(replaced)

    def _painted(self) -> None:
        # Read by bench/paging_bench.py: from a key press to these rows painted on the screen.
        self.shown_count += 1
        self.paints.append(time.perf_counter())

    def reconfigure_columns(self, hidden: set[str]) -> None:
        self.hidden = hidden
        self.forget_rendering()
        self._set_columns()
        self.redraw(self.current())

    def current(self) -> Record | None:
        row = self.cursor_coordinate.row
        return self.shown_records[row] if 0 <= row < len(self.shown_records) else None

    def current_column(self) -> Column | None:
        index = self.cursor_coordinate.column - 1
        columns = self.shown_columns()
        return columns[index] if 0 <= index < len(columns) else None

    # -- loading ----------------------------------------------------------------------------------

    def use(self, source: RowSource, moment: datetime | None = None, *, same_rows: bool = False) -> None:
        """Show ``source``'s rows from the start (or from ``moment``): after a new filter or ordering.
        ``same_rows``: it reads what is shown again (a refresh), so if it fails the rows shown stay."""
        self.source = source
        if not same_rows:
            self.window = []
            self.more_before = self.more_after = False
        self.load("at" if moment else "first", moment=moment)

    def show_nothing(self, why: str) -> None:
        self.shown_records = []
        self.set_rows(LazyRows(self.shown_records, self._cells))
        self.placeholder = why

    def reread(self, quiet: bool = False) -> None:
        """Read the rows on screen again, keeping the cursor on its row (after an action, on a timer).
        ``quiet``: a live view's tick, which posts no Loading (its timer tells a read slower than the interval)."""
        if self.source is None:
            return
        if not self.window:
            self.load("first", quiet=quiet)
            return
        if not self.more_before:  # at the top: read it from the top, so rows added meanwhile come in
            self.load("first", keep=self.current(), quiet=quiet)
            return
        top = min(self.scroll_offset.y, len(self.shown_records) - 1)
        anchor = self.shown_records[max(0, top)] if self.shown_records else self.window[0]
        self.load("around", anchor=anchor, keep=self.current(), quiet=quiet)

    @property
    def is_loading(self) -> bool:
        return self.loading_what is not None

    def load(self, how: Load, moment: datetime | None = None, anchor: Record | None = None,
             keep: Record | None = None, quiet: bool = False) -> None:
        if self.source is None:
            return
        self.loading_what = how
        if not self.rows:
            self.placeholder = "loading…"
        if not quiet:
            self.post_message(self.Loading(self, how))
        self._load(self.source, how, moment, anchor, keep)

    # A description of its own: by default Textual describes a worker by the repr of its arguments, here whole
    # records (values that may be decrypted), built on every read of a live view.
    @work(exclusive=True, group="page", exit_on_error=False, description="read a page of rows")
    async def _load(self, source: RowSource, how: Load, moment: datetime | None, anchor: Record | None,
                    keep: Record | None) -> None:
        try:
            page = await self._fetch(source, how, moment, anchor)
        except BaseException:
            # A failure reaches the screen's error route. A new source (filter, ordering, jump) whose first
            # read failed must not leave the old source's rows under it: they would pass for its rows.
            if source is self.source and not self.window:
                self.show_nothing("not read: the error above says why; r tries again")
            raise
        finally:
            if source is self.source:
                self.loading_what = None
                if not self.rows:
                    self.placeholder = self.placeholder if self.placeholder != "loading…" else ""
        if source is self.source:
            self._apply(how, page, keep)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        failed = failure_of(event)
        if failed is not None:
            event.stop()
            self.post_message(failed)

    async def _fetch(self, source: RowSource, how: Load, moment: datetime | None, anchor: Record | None) -> Page:
        if how == "after" and self.window:
            return await source.after(self.window[-1])
        if how == "before" and self.window:
            return await source.before(self.window[0])
        if how == "at" and moment is not None:
            return await source.at(moment)
        if how == "around" and anchor is not None:
            return await source.around(anchor)
        if how == "last":
            return await source.last()
        return await source.first()

    def _apply(self, how: Load, page: Page, keep: Record | None = None) -> None:
        limit = WINDOW_PAGES * (self.source.page_size if self.source else 100)
        cursor = self.current()
        target, self._target = self._target, None  # where [ or ] asked to land, in the old window's indexes
        if how == "after" and self.window:
            self.window += page.records
            self.more_after = page.more_after
            drop = max(0, len(self.window) - limit)
            if drop:
                self.window = self.window[drop:]
                self.more_before = True
                if self.window_start is not None:
                    self.window_start += drop
            self._redraw_at(target - drop if target is not None else None, cursor, "after")
        elif how == "before" and self.window:
            self.window = list(page.records) + self.window
            self.more_before = page.more_before
            if self.window_start is not None:
                self.window_start = max(0, self.window_start - len(page.records))
            if not page.more_before:
                self.window_start, self.start_exact = 0, True
            if len(self.window) > limit:
                self.window = self.window[:limit]
                self.more_after = True
                if self.from_end:  # the window no longer ends at the list's end: ask where it starts instead
                    self.from_end = False
                    self.call_after_refresh(self._locate, self.source, self.window[0])
            self._redraw_at(target + len(page.records) if target is not None else None, cursor, "before")
        else:
            self.window = list(page.records)
            self.more_before, self.more_after = page.more_before, page.more_after
            self.from_end = how == "last" and page.more_before  # counted back from the last row
            if not page.more_before:
                self.window_start, self.start_exact = 0, True
            else:  # a jump or a re-read: where this is in the whole list is asked for below
                self.window_start, self.start_exact = None, False
            if keep is not None:  # a re-read: the row the cursor is on now (the person may have moved meanwhile)
                self.redraw(keep=cursor or keep, how=how)
            else:
                self.redraw(at_index=len(self.window) - 1 if how == "last" else 0, how=how)
            if self.window_start is None and self.window and not self.from_end:
                self.call_after_refresh(self._locate, self.source, self.window[0])

    def _redraw_at(self, index: int | None, cursor: Record | None, how: str) -> None:
        if index is None or self.words:
            self.redraw(keep=cursor, how=how)
        else:
            self.redraw(at_index=max(0, min(index, len(self.window) - 1)), how=how)

    @work(exclusive=True, group="locate", exit_on_error=False, description="locate the window in the list")
    async def _locate(self, source: RowSource | None, first: Record) -> None:
        if source is None:
            return
        before, exact = await source.rows_before(first)
        if source is self.source and self.window and self.window[0] is first:
            self.window_start, self.start_exact = before, exact
            self.post_message(self.PageShown(self, "located", len(self.shown_records)))

    def position(self, total: int | None = None, total_exact: bool = False) -> tuple[int, bool] | None:
        """The cursor's row in the whole list (1 is the first) and whether that is exact; None while unknown.
        After G it counts back from ``total``: the last row is the last, however rough the total."""
        record = self.current()
        at = next((i for i, r in enumerate(self.window) if r is record), None) if record is not None else None
        if at is None:
            return None
        if self.window_start is not None:
            return self.window_start + at + 1, self.start_exact
        if self.from_end and total is not None:
            return max(1, total - (len(self.window) - 1 - at)), total_exact
        return None

    def on_row_grid_highlighted(self, event: RowGrid.Highlighted) -> None:
        if not event.moved or self.is_loading or self.source is None or not self.shown_records:
            return
        # Where the cursor is now, not where the event says: a redraw passes through row 0 on its way.
        row = self.cursor_coordinate.row
        if row >= len(self.shown_records) - EDGE_ROWS and self.more_after:
            self.load("after")
        elif row < EDGE_ROWS and self.more_before:
            self.load("before")

    # -- actions ----------------------------------------------------------------------------------

    def _page_step(self, step: int) -> None:
        """Exactly one page from the cursor, reading the next or previous page first if it is not loaded."""
        if not self.shown_records:
            return
        size = self.source.page_size if self.source else 100
        row = self.cursor_coordinate.row
        if self.words:  # a free-text filter: a page of the rows it shows
            self.move_cursor(row=row + step * size)
            return
        target = row + step * size
        if 0 <= target < len(self.window):
            self.move_cursor(row=target)
        elif step > 0 and self.more_after:
            self._target = target
            self.load("after")
        elif step < 0 and self.more_before:
            self._target = target
            self.load("before")
        else:
            self.move_cursor(row=len(self.window) - 1 if step > 0 else 0)

    def action_cursor(self, step: int) -> None:
        """Past the loaded rows, the arrow reads the next page and goes on one row, as a person expects."""
        row = self.cursor_coordinate.row
        if not self.words and self.shown_records and not self.is_loading:
            if step < 0 and row == 0 and self.more_before:
                self._target = -1
                self.load("before")
                return
            if step > 0 and row == len(self.window) - 1 and self.more_after:
                self._target = len(self.window)
                self.load("after")
                return
        super().action_cursor(step)

    def action_next_page(self) -> None:
        self._page_step(1)

    def action_previous_page(self) -> None:
        self._page_step(-1)

    def action_first_page(self) -> None:
        if self.more_before:
            self.load("first")
        else:
            self.move_cursor(row=0)

    def action_last_page(self) -> None:
        if self.more_after:
            self.load("last")
        elif self.shown_records:
            self.move_cursor(row=len(self.shown_records) - 1)

    def action_mark(self) -> None:
        record = self.current()
        if record is None:
            return
        screen = self.screen
        if isinstance(screen, OffersActions) and not screen.is_offered("mark"):
            self.notify(f"Marks gather rows for an action, and none is offered here: {screen.why_not_offered()}",
                        severity="warning", timeout=4, markup=False)
            return
        ident = record.identity(self.spec)
        if ident in self.marked:
            del self.marked[ident]
        else:
            self.marked[ident] = record
        self.update_cell_at(Coordinate(self.cursor_coordinate.row, 0), MARK if ident in self.marked else BLANK)
        self.move_cursor(row=self.cursor_coordinate.row + 1)
        self.post_message(self.PageShown(self, "mark", len(self.shown_records)))

    def copy_text(self, whole_row: bool) -> str | None:
        record = self.current()
        if record is None:
            return None
        ident = record.identity(self.spec)
        columns = self.shown_columns() if whole_row else [c for c in [self.current_column()] if c is not None]
        return "\t".join(copied(c, record.get(c.name), self.revealed.get((ident, c.name))) for c in columns)

    def action_copy_cell(self) -> None:
        self._copy(whole_row=False)

    def action_copy_row(self) -> None:
        self._copy(whole_row=True)

    def _copy(self, whole_row: bool) -> None:
        text = self.copy_text(whole_row)
        if text is not None:
            self.app.copy_to_clipboard(text)
            self.notify(f"Copied {'the row' if whole_row else 'the cell'} ({len(text)} characters)", timeout=2)

    def set_words(self, words: Sequence[str]) -> None:
        self.words = tuple(words)
        self.redraw(self.current())

    def marked_records(self) -> list[Record]:
        return list(self.marked.values())
