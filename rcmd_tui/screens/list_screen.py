"""Any list of rows, from any row source: the paged table, the filter bar, details, sort, columns, jump,
count and export, on the standard screen.

A plain list needs only its ListSpec; screens for particular views subclass it to add their actions (declared
as bindings guarded by ``GUARDED_ACTIONS``) or their own detail.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import redis.asyncio.client
import redis.exceptions
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input

from rcmd_tui.data.actions.plan import Plan
from rcmd_tui.data.actions.run import Result
from rcmd_tui.data.infra import locks
from rcmd_tui.data.infra.failures import LockWait
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.catalog import family_of
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.filters import NO_FILTER, Filter, FilterError, compile_what_holds, jump_moment
from rcmd_tui.data.lists.snapshot import SnapshotSource
from rcmd_tui.data.lists.sources import Estimate, RowSource
from rcmd_tui.data.lists.spec import Column, Feed, ListSpec, Ordering, Record, Snapshot, Table
from rcmd_tui.errors import RcmdError
from rcmd_tui.screens.base import StandardScreen
from rcmd_tui.screens.columns import ColumnChooser
from rcmd_tui.screens.detail import DetailScreen
from rcmd_tui.screens.export import ExportScreen
from rcmd_tui.text import escape_controls
from rcmd_tui.widgets.filter_bar import FilterBar
from rcmd_tui.widgets.paged_table import PagedTable
from rcmd_tui.widgets.prompt_bar import PromptBar
from rcmd_tui.widgets.row_grid import RowGrid
from rcmd_tui.widgets.safe_text import inert
from rcmd_tui.widgets.view_tabs import ViewTabs

STATUS_DELAY_S = 0.15
MIN_INTERVAL_S, MAX_INTERVAL_S = 0.5, 60.0  # a live view's refresh: + and - move it between these
AUTO_REFRESH_S = 5.0  # a table's auto refresh: one page query every 5 s while it is on
FEED_FLUSH_S = 0.1  # a feed's messages are applied together, at most this late
FEED_RETRY_S = 5.0
FEED_HOLD_S = 3.0  # the feed's last word outlives a re-read by this long (the database catches up meanwhile)


class ListScreen(StandardScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        # `/` and `t` are priority keys: their box takes the focus before the keys typed after them are handed on.
        Binding("slash", "filter", "Filter", id="list.filter", priority=True,
                tooltip="Filter: field=value, field~text, since:2h, status:failed …"),
        Binding("enter", "details", "Details", id="list.details", tooltip="Every field of this row, JSON folded, secrets masked"),
        Binding("s", "sort", "Sort", id="list.sort", tooltip="Next ordering (on a snapshot: by the cursor's column)"),
        Binding("c", "columns", "Columns", id="list.columns", tooltip="Choose the columns shown"),
        Binding("t", "jump", "Jump to time", id="list.jump", priority=True, tooltip="Go to a moment: 2026-05-01, 6mo, 3d …"),
        Binding("number_sign", "count", "Exact count", id="list.count", show=False, tooltip="Count the rows exactly (may be slow)"),
        Binding("x", "export", "Export", id="list.export", tooltip="Export every row matching the filter to CSV or JSON"),
        Binding("r", "refresh", "Refresh", id="list.refresh", tooltip="Read the first page again"),
        Binding("ctrl+l", "clear_filter", "Clear filter", id="list.clear_filter", show=False, tooltip="Drop the filter"),
        Binding("a", "auto_refresh", "Auto refresh", id="list.auto", show=False,
                tooltip="Read the rows on screen again every few seconds, the cursor staying on its row (toggle)"),
        Binding("p", "auto_refresh", "Pause", id="list.pause", show=False,
                tooltip="A live view: pause the refresh, or resume it (as a)"),
        Binding("plus", "interval(0.5)", "Faster", id="list.faster", show=False, tooltip="A live view: refresh twice as often"),
        Binding("minus", "interval(2)", "Slower", id="list.slower", show=False, tooltip="A live view: refresh half as often"),
        *(Binding(str(n), f"tab({n})", f"View {n}", id=f"list.tab{n}", show=False,
                  tooltip="Open the family's view with this number (the line above the list names them)")
          for n in range(1, 10)),
    ]
    AUTO_FOCUS = "#list-table"
    DETAIL: ClassVar[type[DetailScreen]] = DetailScreen  # what Enter opens on a row
    PROMPTING: ClassVar[frozenset[str]] = frozenset()  # actions that ask in the list's prompt bar: not from a detail

    def __init__(self, services: Services, spec: ListSpec, filter_text: str | None = None) -> None:
        super().__init__(services)
        self.spec = spec
        self.ordering: Ordering = spec.ordering()
        text = spec.default_filter if filter_text is None else filter_text  # ours (a lead's), so it compiles
        # Typed after the name at the : prompt: a wrong part is said on the screen; the rest of it holds.
        opened: tuple[Filter, FilterError | None] = compile_what_holds(spec, text) if text else (NO_FILTER, None)
        self.filter, self._opened_with = opened
        self.estimate: Estimate | None = None
        self.count_pending = False
        self.count_failed = False
        self.source: RowSource = open_source(spec, services, self.ordering, self.filter)
        self._status_timer: Timer | None = None
        self._close_with_rows: list[Callable[[], None]] = []
        self._auto: Timer | None = None
        self._rows_for: tuple[str, str] | None = None  # the filter and ordering of the rows on screen
        self.family = family_of(spec, services.profile)
        self.auto_every = spec.source.refresh_s if isinstance(spec.source, Snapshot) else AUTO_REFRESH_S
        self.feed: str | None = None  # live or lost, while a feed is followed
        self.feed_messages = 0  # read by bench/jobs_bench.py
        self._feed_task: asyncio.Task[None] | None = None
        self._acting_on: Record | None = None  # an action pressed in a detail: its row
        self._feed_recent: dict[tuple[str, ...], tuple[float, dict[str, Any]]] = {}  # identity -> (when, last word)

    def _asked(self) -> tuple[str, str]:
        return (self.filter.text, self.ordering.name)

    @property
    def screen_name(self) -> str:
        return self.spec.title

    @property
    def target(self) -> str:
        return self.spec.target

    @property
    def action_system(self) -> str:
        return self.spec.system

    @property
    def table(self) -> PagedTable:
        return self.query_one(PagedTable)

    @dataclass
    class SwitchTo(Message):
        """Open ``spec`` in place of this screen (a sibling in the tab line)."""

        spec: ListSpec

    def compose_body(self) -> ComposeResult:
        if self.family:
            yield ViewTabs([v.tab or v.key for v in self.family], self.family.index(self.spec), id="view-tabs")
        yield FilterBar(self.spec)
        table = PagedTable(self.spec, id="list-table")
        chosen = self.services.hidden_columns.get((self.spec.key, self.spec.system))
        if chosen is not None:
            table.hidden = set(chosen)
        yield table
        yield PromptBar(id="list-prompt")

    def on_mount(self) -> None:
        super().on_mount()
        self.table.focus()
        self.reload()
        if self._opened_with is not None:
            kept = f"opened with {self.filter.text} only" if self.filter.text else "opened unfiltered"
            said = escape_controls(f"{self._opened_with}; {kept}: / to filter", 2000)  # what was typed, pasted
            self.notify(said, title="Filter", severity="error", timeout=8, markup=False)
        if isinstance(self.spec.source, Snapshot):  # a catalogue view is live by default
            self.action_auto_refresh()
        feed = self.spec.feed
        if feed is not None and self.services.redis is not None:  # so is a view with a feed, more cheaply
            self.auto_every = feed.fallback_s
            self.action_auto_refresh()
            self.follow_feed(feed)

    def follow_feed(self, feed: Feed) -> None:
        """A task, not a worker: it runs as long as the screen does, and "every worker finished" (what tests and
        benchmarks wait for) must still come."""
        task = asyncio.get_running_loop().create_task(self._follow_feed(feed), name=f"feed {feed.channel}")
        self._feed_task = task
        task.add_done_callback(self._feed_ended)

    def _feed_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.failed(task.exception() or RuntimeError("feed"), "feed")

    def on_unmount(self) -> None:
        if self._feed_task is not None:
            self._feed_task.cancel()

    async def _follow_feed(self, feed: Feed) -> None:
        """Apply the feed's messages to the rows on screen, gathered for FEED_FLUSH_S (a thousand messages a
        second cost one repaint of the lines that changed, ten times a second). If Redis goes away the feed says
        so in the status line and tries again; the periodic re-read carries on meanwhile."""
        client = self.services.redis
        assert client is not None
        while True:
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(feed.channel)
                self._feed_state("live")
                await self._read_feed(pubsub, feed)
            except (redis.exceptions.RedisError, OSError):
                self._feed_state("lost")
                await asyncio.sleep(FEED_RETRY_S)
            finally:
                with contextlib.suppress(redis.exceptions.RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]

    async def _read_feed(self, pubsub: redis.asyncio.client.PubSub, feed: Feed) -> None:
        pending: dict[tuple[str, ...], dict[str, Any]] = {}
        flushed = time.monotonic()
        while True:
            message = await pubsub.get_message(timeout=FEED_FLUSH_S)
            if message is not None and message.get("type") == "message":
                self.feed_messages += 1
                update = feed.parse(message["data"])
                if update is not None:
                    pending.setdefault(update[0], {}).update(update[1])
            now = time.monotonic()
            if pending and now - flushed >= FEED_FLUSH_S:
                self.table.patch(pending)
                for ident, change in pending.items():
                    self._feed_recent[ident] = (now, {**self._feed_recent.get(ident, (now, {}))[1], **change})
                pending = {}
                flushed = now
            elif not pending:
                flushed = now

    def _reapply_feed(self) -> None:
        """A re-read brings the rows as the database had them, which may be behind what the feed said a moment
        ago (a worker publishes before it writes): the feed's last word of the past FEED_HOLD_S stands."""
        if not self._feed_recent:
            return
        now = time.monotonic()
        self._feed_recent = {k: v for k, v in self._feed_recent.items() if now - v[0] < FEED_HOLD_S}
        self.table.patch({k: v[1] for k, v in self._feed_recent.items()})

    def _feed_state(self, state: str) -> None:
        if state != self.feed:
            self.feed = state
            self.update_status()

    def open_source(self) -> RowSource:
        return open_source(self.spec, self.services, self.ordering, self.filter)

    def reload(self, moment: datetime | None = None, *, same_moment: bool = False) -> None:
        """Show the rows anew under the current filter and ordering. ``same_moment``: a snapshot keeps the moment
        it read (a new ordering or filter costs no query, and a paused view stays paused)."""
        self.clear_error()
        self.estimate = None
        previous, self.source = self.source, self.open_source()
        if same_moment and isinstance(previous, SnapshotSource) and isinstance(self.source, SnapshotSource):
            self.source.adopt(previous)
        self.table.use(self.source, moment, same_rows=moment is None and self._rows_for == self._asked())
        self.count_pending = True  # after the first page: the rows matter more than their total
        self.count_failed = False
        self.status_soon()

    # Nothing repaints between a key press and its rows (a repaint in between delays the next one by a frame
    # or two): the status line changes with the rows, or after STATUS_DELAY_S if they are slow to come, and a
    # bar that asked for them closes with them.

    def status_soon(self) -> None:
        if self._status_timer is None:
            self._status_timer = self.set_timer(STATUS_DELAY_S, self.update_status)

    def close_with_rows(self, close: Callable[[], None]) -> None:
        self._close_with_rows.append(close)

    def _rows_arrived(self, painted_first: bool = True) -> None:
        closing, self._close_with_rows = self._close_with_rows, []
        if closing and painted_first:
            self.call_after_refresh(self._close_bars, closing)  # the rows first: they are what was asked for
        elif closing:
            self._close_bars(closing)

    def _close_bars(self, closing: list[Callable[[], None]]) -> None:
        for close in closing:
            close()
        self.table.focus()

    @work(exclusive=True, group="count", exit_on_error=False)
    async def count(self, exact: bool) -> None:
        source = self.source
        estimate = await (source.exact_count() if exact else source.estimate())
        if source is self.source:
            self.estimate = estimate
            self.update_status()

    @work(exclusive=True, group="empty", exit_on_error=False)
    async def explain_empty(self, source: RowSource) -> None:
        reason = await source.why_empty()
        if reason and source is self.source and not self.table.window:
            self.table.placeholder = f"no rows: {reason}"

    def after_failure(self, error: RcmdError, group: str) -> None:
        self.count_pending = False
        if group == "count":
            self.count_failed = True
        self._rows_arrived(painted_first=False)
        self.update_status()
        if isinstance(error, LockWait) and isinstance(self.spec.source, Table):
            self.name_lock_holders(error, self.spec.source.name)

    @work(exclusive=True, group="lock-holders", exit_on_error=False)
    async def name_lock_holders(self, error: LockWait, table: str) -> None:
        found = await locks.holders(self.services.reader(self.spec.system), table)
        if found:
            held = "; ".join(h.describe() for h in found)
            self.show_error(LockWait(f"{error.message}: {table} is locked by {held}",
                                     f"ask them, or end it with pg_cancel_backend({found[0].pid}) if it may be; r tries again"))

    def status_text(self) -> Text:
        """Most telling first, so that 80 columns keep it: where the cursor is in the whole list, the filter,
        the marks, loading; then the ordering and what the source has to say."""
        table = self.table
        estimate = self.estimate
        # A failed count ("?") is not a count still running ("…").
        total = ("?" if self.count_failed else "…") if estimate is None else f"{'' if estimate.exact else '≈'}{estimate.rows:,}"
        parts: list[Text | str | tuple[str, str]] = []
        position = table.position(estimate.rows if estimate else None, bool(estimate and estimate.exact))
        if table.words and self.spec.source.words == "loaded" and table.window:
            at = table.cursor_coordinate.row + 1 if table.shown_records else 0
            parts += [f"{at} of {len(table.shown_records)}",
                      (f" with these words in the {len(table.window):,} rows read", "dim")]
        elif not table.shown_records:
            parts.append(f"0 of {total}" if not table.is_loading else "")
        elif position is not None:
            row, exact = position
            parts += [("row ", "dim"), f"{'' if exact else '≈'}{row:,}", (" of ", "dim"), total]
        else:
            parts += [("row ", "dim"), "…", (" of ", "dim"), total]
        whom = self.spec.source.words == "subject"  # whom the filter's word found: before the filter, which may be cut
        if whom and self.source.note:
            parts += [" │ ", inert(self.source.note, "bold")]  # holds names from the data (a username)
        if self.filter.text:
            parts += [" │ ", ("filter ", "dim"), inert(self.filter.text, "bold")]
        if table.marked:
            parts += [" │ ", (f"{len(table.marked)} marked", "bold yellow")]
        if table.is_loading:
            parts += [" │ ", ("loading…", "bold")]
        if self.feed == "live":
            parts += [" │ ", ("live", "bold green")]
        elif self.feed == "lost":
            parts += [" │ ", ("live feed lost: retrying", "bold yellow")]
        if self._auto is not None:
            parts += [" │ ", (f"auto {self.auto_every:g}s", "bold green")]
        elif isinstance(self.spec.source, Snapshot):  # a live view that is not: say so, and when it was read
            read_at = self.source.read_at if isinstance(self.source, SnapshotSource) else None
            when = f" at {time.strftime('%H:%M:%S', time.gmtime(read_at))} UTC" if read_at else ""
            parts += [" │ ", (f"paused{when}: p resumes", "bold yellow")]
        parts += [" │ ", ("sort ", "dim"), self.ordering.name]
        if estimate is not None and not estimate.exact:
            parts += [" │ ", ("≈ " + estimate.source + "; # counts", "dim")]
        if self.source.note and not whom:
            parts += [" │ ", inert(self.source.note, "dim")]
        if self.spec.about:
            parts += [" │ ", (self.spec.about, "dim")]
        return Text.assemble(*parts, no_wrap=True, overflow="ellipsis")

    def update_status(self) -> None:
        if self._status_timer is not None:
            self._status_timer.stop()
            self._status_timer = None
        self.set_status(self.status_text())

    def on_paged_table_loading(self, _event: PagedTable.Loading) -> None:
        self.status_soon()

    def on_paged_table_page_shown(self, event: PagedTable.PageShown) -> None:
        self._rows_for = self._asked()
        if isinstance(self.source, SnapshotSource) and self.table.marked:  # a snapshot is whole: gone rows lose their marks
            shown = {r.identity(self.spec) for r in self.source.rows}
            for ident in [i for i in self.table.marked if i not in shown]:
                del self.table.marked[ident]
        if event.how not in ("redraw", "located"):  # rows just read: an error shown from an earlier read is over
            self.clear_error()
            self._reapply_feed()
        if event.rows == 0 and not self.table.window and event.how in ("first", "at", "last"):
            own = self.filter.text == self.spec.default_filter  # the view's own, which a newcomer did not type
            self.table.placeholder = (f"no rows match: {self.filter.text}" + ("; ctrl+l shows every row" if own else "")
                                      if self.filter.text else "no rows")
            if event.how == "first":  # nothing at all: the total is known, whatever the planner would guess
                self.estimate, self.count_pending = Estimate(0, True, "nothing matches"), False
            self.explain_empty(self.source)
        table = self.table
        if isinstance(self.source, SnapshotSource) and self.source.read_at is not None:  # its total is each read's own
            self.count_pending = False
            self.estimate = Estimate(len(self.source.rows), exact=True, source="snapshot")
        elif table.window and not table.more_before and not table.more_after and event.how != "redraw":
            # Every row is on hand: that is the total, whatever the planner would guess.
            self.count_pending = False
            self.estimate = Estimate(len(table.window), exact=True, source="every row read")
        elif self.count_pending:
            self.count_pending = False
            self.call_after_refresh(self.count, False)  # after the rows are painted
        self._rows_arrived()
        self.update_status()

    def on_row_grid_highlighted(self, _event: RowGrid.Highlighted) -> None:
        self.update_status()

    def on_row_grid_selected(self, event: RowGrid.Selected) -> None:
        event.stop()
        self.action_details()

    # -- filter -----------------------------------------------------------------------------------

    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        if not bar.has_class("-open"):  # it opens on the filter in force, not on text that was refused
            bar.set_text(self.filter.text)
            bar.say(None)
        bar.open()

    def on_filter_bar_applied(self, event: FilterBar.Applied) -> None:
        local_words = self.spec.source.words == "loaded"
        server_side_changed = (str(event.filter.where), event.filter.params) != (str(self.filter.where), self.filter.params)
        words_changed = event.filter.words != self.filter.words
        self.filter = event.filter
        bar = self.query_one(FilterBar)
        if server_side_changed or (words_changed and not local_words):
            self.table.words = event.filter.words
            self.close_with_rows(bar.close)
            self.reload(same_moment=True)
        else:
            bar.close()
            self.table.focus()
            self.table.set_words(event.filter.words)
            self.update_status()

    def on_filter_bar_closed(self, _event: FilterBar.Closed) -> None:
        self.table.focus()

    def action_clear_filter(self) -> None:
        self.filter = NO_FILTER
        self.table.words = ()
        self.query_one(FilterBar).set_text("")
        self.reload(same_moment=True)

    # -- the rest ---------------------------------------------------------------------------------

    def open_detail(self, record: Record) -> None:
        detail = self.DETAIL(self.services, self.spec, record, self.table)
        usable = self.GUARDED_ACTIONS - self.PROMPTING
        own = [b for b in type(self).BINDINGS if isinstance(b, Binding) and b.action.split("(", 1)[0] in usable]
        if own:
            detail.take_actions_of(self, own)
        self.app.push_screen(detail)

    async def act_on(self, action: str, record: Record) -> None:
        """Run one of this list's actions on ``record`` alone (from its detail), whatever is marked."""
        self._acting_on = record
        try:
            await self.run_action(action)
        finally:
            self._acting_on = None

    def current(self) -> Record | None:
        """The row an action on one row acts on: the one under the cursor, or the detail's it was pressed in."""
        return self._acting_on if self._acting_on is not None else self.table.current()

    def targets(self) -> list[Record]:
        """What an action acts on: the marked rows, or else the one under the cursor (in a detail: its row)."""
        if self._acting_on is not None:
            return [self._acting_on]
        marked = self.table.marked_records()
        current = self.table.current()
        return marked or ([current] if current is not None else [])

    def action_details(self) -> None:
        record = self.table.current()
        if record is not None:
            self.open_detail(record)

    def action_sort(self) -> None:
        if self.spec.source.any_column_sort:
            column = self.table.current_column()
            if column is not None:
                same = self.ordering.columns[0] == column.name
                descending = not self.ordering.descending if same else column.kind.value not in ("text", "enum")
                self.ordering = Ordering(f"{column.label} {'↓' if descending else '↑'}",
                                         (column.name, *self.spec.id_columns), descending)
        else:
            orderings = self.spec.orderings
            at = orderings.index(self.ordering) if self.ordering in orderings else -1
            self.ordering = orderings[(at + 1) % len(orderings)]
        self.reload(same_moment=True)
        self.notify(f"Sorted by {self.ordering.name}", timeout=2)

    def action_columns(self) -> None:
        def chosen(hidden: set[str] | None) -> None:
            if hidden is not None:
                self.table.reconfigure_columns(hidden)
                self.services.hidden_columns[(self.spec.key, self.spec.system)] = set(hidden)

        self.app.push_screen(ColumnChooser(self.spec, self.table.hidden), chosen)

    def action_jump(self) -> None:
        bar = self.query_one(PromptBar)

        def go(text: str) -> None:
            if self.ordering.columns[0] != self.spec.time_column:
                self.ordering = next(o for o in self.spec.orderings if o.columns[0] == self.spec.time_column)
            try:
                moment = jump_moment(text, self.ordering.descending)
            except FilterError as exc:  # told in the bar, which stays open for another try
                bar.say(exc)
                return
            self.close_with_rows(bar.action_close)
            self.reload(moment)

        bar.ask("Jump to (UTC)", "2026-05-01, 2026-05-01 13:30, 6mo, 3d, 2h", go)

    def action_count(self) -> None:
        self.estimate = None
        self.update_status()
        self.count(exact=True)

    def action_export(self) -> None:
        shown: list[Column] = self.table.shown_columns()
        self.app.push_screen(ExportScreen(self.spec, self.open_source(), [c.name for c in shown], self.estimate))

    def action_refresh(self) -> None:
        self.reload()

    def action_auto_refresh(self) -> None:
        if self._auto is not None:
            self._auto.stop()
            self._auto = None
        else:
            self._auto = self.set_interval(self.auto_every, self._auto_tick)
        self.update_status()

    def action_interval(self, factor: float) -> None:
        self.auto_every = min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, self.auto_every * factor))
        if self._auto is not None:
            self._auto.stop()
            self._auto = self.set_interval(self.auto_every, self._auto_tick)
        self.notify(f"Refresh every {self.auto_every:g}s" + ("" if self._auto else " (paused: p resumes)"), timeout=2)
        self.update_status()

    def action_tab(self, number: int) -> None:
        if 0 < number <= len(self.family) and self.family[number - 1] is not self.spec:
            self.post_message(self.SwitchTo(self.family[number - 1]))

    def _auto_tick(self) -> None:
        if self.table.is_loading:  # the last read is slower than the interval: the status line says it is loading
            self.update_status()
        elif not self._close_with_rows:
            self.table.reread(quiet=True)  # quick, as a rule: no "loading…" flashed every interval

    def after_action(self, plan: Plan, result: Result) -> None:
        self.table.marked.clear()
        self.table.reread()
        top = self.app.screen
        if isinstance(top, DetailScreen) and top.owner is self:  # it shows the row as it was: the list shows it now
            top.dismiss()

    def is_offered(self, action: str) -> bool:
        if action.split("(", 1)[0] == "mark":  # marks gather rows for an action: none offered, none shown
            return bool(self.GUARDED_ACTIONS) and self.actions_offered
        return super().is_offered(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("filter", "jump") and isinstance(self.app.focused, Input):  # priority keys type in a box
            return False
        if action in ("interval", "pause"):
            return isinstance(self.spec.source, Snapshot)
        if action == "tab":
            return bool(self.family) and isinstance(parameters[0], int) and parameters[0] <= len(self.family)
        if action == "jump":
            return self.source.can_jump or (self.spec.time_column is not None
                                            and any(o.columns[0] == self.spec.time_column for o in self.spec.orderings))
        return super().check_action(action, parameters)
