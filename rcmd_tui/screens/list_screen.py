"""Any list of rows: the paged table, the filter bar, details, sort, columns, jump, count and export.

Screens for particular tables subclass it to add their actions; a plain list needs only its ListSpec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen

from rcmd_tui.data.decrypt import Decryptor, open_decryptor
from rcmd_tui.data.filters import NO_FILTER, Filter, FilterError, parse_when
from rcmd_tui.data.listing import ListSpec, Ordering
from rcmd_tui.data.pager import Estimate, Pager
from rcmd_tui.errors import RcmdError, describe_error
from rcmd_tui.screens.columns import ColumnChooser
from rcmd_tui.screens.detail import DetailScreen
from rcmd_tui.screens.export import ExportScreen
from rcmd_tui.widgets.error_panel import ErrorPanel
from rcmd_tui.widgets.filter_bar import FilterBar
from rcmd_tui.widgets.key_footer import KeyFooter
from rcmd_tui.widgets.paged_table import PagedTable
from rcmd_tui.widgets.prompt_bar import PromptBar
from rcmd_tui.widgets.row_grid import RowGrid
from rcmd_tui.widgets.safe_text import inert
from rcmd_tui.widgets.status_header import StatusHeader
from rcmd_tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from rcmd_tui.app import RcmdApp


class ListScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="list.filter", tooltip="Filter: field=value, field~text, since:2h, status:failed …"),
        Binding("enter", "details", "Details", id="list.details", tooltip="Every field of this row, JSON folded, secrets masked"),
        Binding("s", "sort", "Sort", id="list.sort", tooltip="Next indexed ordering"),
        Binding("c", "columns", "Columns", id="list.columns", tooltip="Choose the columns shown"),
        Binding("t", "jump", "Jump to time", id="list.jump", tooltip="Go to a moment: 2026-05-01, 6mo, 3d …"),
        Binding("number_sign", "count", "Exact count", id="list.count", show=False, tooltip="Count the rows exactly (may be slow)"),
        Binding("x", "export", "Export", id="list.export", tooltip="Export every row matching the filter to CSV or JSON"),
        Binding("r", "refresh", "Refresh", id="list.refresh", tooltip="Read the first page again"),
        Binding("ctrl+l", "clear_filter", "Clear filter", id="list.clear_filter", show=False, tooltip="Drop the filter"),
    ]
    AUTO_FOCUS = "#list-table"
    DEFAULT_CSS = """
    ListScreen #list-status { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self, spec: ListSpec) -> None:
        super().__init__()
        self.spec = spec
        self.ordering: Ordering = spec.ordering()
        self.filter: Filter = NO_FILTER
        self.estimate: Estimate | None = None
        self.decryptor: Decryptor | None = None
        self.count_pending = False

    @property
    def rcmd_app(self) -> RcmdApp:
        from rcmd_tui.app import RcmdApp  # noqa: PLC0415 - a cycle only for the type

        assert isinstance(self.app, RcmdApp)
        return self.app

    @property
    def table(self) -> PagedTable:
        return self.query_one(PagedTable)

    def compose(self) -> ComposeResult:
        yield StatusHeader(where=f"{self.spec.title}")
        yield FilterBar(self.spec)
        yield ErrorPanel()
        yield PagedTable(self.spec, id="list-table")
        yield PromptBar(id="list-prompt")
        yield StatusLine(id="list-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.table.focus()
        self.start()

    @work(exclusive=True, group="open", exit_on_error=False)
    async def start(self) -> None:
        if any(c.encrypted for c in self.spec.columns) and self.decryptor is None:
            app = self.rcmd_app
            try:
                self.decryptor = await open_decryptor(app.pools.reader(self.spec.system), app.keys, app.profile.aad,
                                                      app.profile.retired_keys)
            except Exception as exc:  # the list still opens; its encrypted cells say why they are locked
                self.show_error(describe_error(exc, self.spec.system))
        self.reload()

    def pager(self) -> Pager:
        return Pager(self.rcmd_app.pools.reader(self.spec.system), self.spec, self.ordering, self.filter,
                     decryptor=self.decryptor)

    def reload(self, moment: Any = None) -> None:
        self.query_one(ErrorPanel).clear()
        self.estimate = None
        self.table.use(self.pager(), moment)
        self.count_pending = True  # after the first page: the rows matter more than their total
        self.update_status()

    @work(exclusive=True, group="count", exit_on_error=False)
    async def count(self, exact: bool) -> None:
        try:
            pager = self.pager()
            self.estimate = await (pager.exact_count() if exact else pager.estimate())
        except Exception as exc:
            self.show_error(describe_error(exc, self.spec.system))
        self.update_status()

    def show_error(self, error: RcmdError) -> None:
        self.query_one(ErrorPanel).show(error)
        self.update_status()

    def status_text(self) -> Text:
        table = self.table
        parts: list[Text | str | tuple[str, str]] = []
        if self.estimate is None:
            parts.append(("counting…", "dim"))
        else:
            parts.append(f"{'' if self.estimate.exact else '≈'}{self.estimate.rows:,} rows")
            parts.append((f" ({self.estimate.source})", "dim"))
        parts += [" │ ", ("sort ", "dim"), self.ordering.name]
        if self.filter.text:
            parts += [" │ ", ("filter ", "dim"), inert(self.filter.text, "bold")]
        if table.marked:
            parts += [" │ ", (f"{len(table.marked)} marked", "bold yellow")]
        if table.shown_records:
            parts += [" │ ", ("row ", "dim"), f"{table.cursor_coordinate.row + 1}/{len(table.shown_records)} loaded"]
            parts.append(" ↑" if table.more_before else "")
            parts.append(" ↓" if table.more_after else "")
        if table.is_loading:
            parts += [" │ ", ("loading…", "bold")]
        return Text.assemble(*parts, no_wrap=True, overflow="ellipsis")

    def update_status(self) -> None:
        self.query_one("#list-status", StatusLine).set(self.status_text())

    def on_paged_table_page_shown(self, _event: PagedTable.PageShown) -> None:
        if self.count_pending:
            self.count_pending = False
            self.count(exact=False)
        self.update_status()

    def on_paged_table_load_failed(self, event: PagedTable.LoadFailed) -> None:
        self.count_pending = False
        self.show_error(event.error)

    def on_row_grid_highlighted(self, _event: RowGrid.Highlighted) -> None:
        self.update_status()

    def on_row_grid_selected(self, event: RowGrid.Selected) -> None:
        event.stop()
        self.action_details()

    # -- filter -----------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def on_filter_bar_applied(self, event: FilterBar.Applied) -> None:
        server_side_changed = (str(event.filter.where), event.filter.params) != (str(self.filter.where), self.filter.params)
        self.filter = event.filter
        self.table.focus()
        if server_side_changed:
            self.table.words = event.filter.words
            self.reload()
        else:
            self.table.set_words(event.filter.words)
            self.update_status()

    def on_filter_bar_closed(self, _event: FilterBar.Closed) -> None:
        self.table.focus()

    def action_clear_filter(self) -> None:
        self.filter = NO_FILTER
        self.table.words = ()
        self.reload()

    # -- the rest ---------------------------------------------------------------------------------

    def action_details(self) -> None:
        record = self.table.current()
        if record is not None:
            self.app.push_screen(DetailScreen(self.spec, record, self.table))

    def action_sort(self) -> None:
        orderings = self.spec.orderings
        self.ordering = orderings[(orderings.index(self.ordering) + 1) % len(orderings)]
        self.reload()
        self.notify(f"Sorted by {self.ordering.name}", timeout=2)

    def action_columns(self) -> None:
        def chosen(hidden: set[str] | None) -> None:
            if hidden is not None:
                self.table.reconfigure_columns(hidden)

        self.app.push_screen(ColumnChooser(self.spec, self.table.hidden), chosen)

    def action_jump(self) -> None:
        def go(text: str) -> None:
            self.table.focus()
            try:
                moment = parse_when(text)
            except FilterError as exc:
                self.show_error(exc)
                return
            if self.ordering.columns[0] != self.spec.time_column:
                self.ordering = next(o for o in self.spec.orderings if o.columns[0] == self.spec.time_column)
            self.reload(moment)

        self.query_one(PromptBar).ask("Jump to (UTC)", "2026-05-01, 2026-05-01 13:30, 6mo, 3d, 2h", go)

    def action_count(self) -> None:
        self.estimate = None
        self.update_status()
        self.count(exact=True)

    def action_export(self) -> None:
        self.app.push_screen(ExportScreen(self.spec, self.pager(), [c.name for c in self.table.shown_columns()], self.estimate))

    def action_refresh(self) -> None:
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "jump" and self.spec.time_column is None)


def screen_for(spec: ListSpec) -> Screen[None]:
    from rcmd_tui.screens.users import RcmdUsersScreen  # noqa: PLC0415 - subclasses of this module

    if (spec.key, spec.system) == ("users", "rcmd"):
        return RcmdUsersScreen(spec)
    return ListScreen(spec)
