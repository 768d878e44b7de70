"""RCMD's Redis: keys by SCAN, filtered by a glob pattern, and a bounded view of one key's value.

Key names and values are bytes from an untrusted store: shown inert, invalid UTF-8 as \\xNN escapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import redis.exceptions
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen

from rcmd_tui.data import actions
from rcmd_tui.data.actions import RedisPlan, render_redis
from rcmd_tui.data.connections import redis_error
from rcmd_tui.data.rcmd_actions import delete_redis_key
from rcmd_tui.data.redis_browse import RedisKey, RedisValue, read_value, scan_keys
from rcmd_tui.errors import RcmdError
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.text import escape_controls
from rcmd_tui.widgets.error_panel import ErrorPanel
from rcmd_tui.widgets.key_footer import KeyFooter
from rcmd_tui.widgets.prompt_bar import PromptBar
from rcmd_tui.widgets.row_grid import GridColumn, RowGrid
from rcmd_tui.widgets.safe_text import inert
from rcmd_tui.widgets.status_header import StatusHeader
from rcmd_tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from rcmd_tui.app import RcmdApp

MAX_KEYS = 5000  # SCAN cannot go back; past this many, narrow the pattern
BATCH = 100


def _ttl(ms: int | None) -> str:
    if ms is None:
        return "-"
    seconds = ms // 1000
    if seconds >= 86400:
        return f"{seconds // 86400}d{seconds % 86400 // 3600}h"
    return f"{seconds // 3600}h{seconds % 3600 // 60}m{seconds % 60}s"


class _RedisBase(Screen[None]):
    @property
    def rcmd_app(self) -> RcmdApp:
        from rcmd_tui.app import RcmdApp  # noqa: PLC0415 - a cycle only for the type

        assert isinstance(self.app, RcmdApp)
        return self.app

    def failed(self, exc: BaseException) -> RcmdError:
        url = self.rcmd_app.profile.rcmd_redis_url or ""
        return redis_error("rcmd-redis", url, exc)


class RedisScreen(_RedisBase):
    AUTO_FOCUS = "#redis-keys"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "match", "Pattern", id="redis.match", tooltip="Show keys matching a glob, e.g. bull:* or session:*"),
        Binding("enter", "open", "Value", id="redis.open", tooltip="Show this key's value (bounded)"),
        Binding("y", "copy", "Copy name", id="redis.copy", tooltip="Copy the key name (escaped)"),
        Binding("r", "refresh", "Refresh", id="redis.refresh", tooltip="Scan again from the start"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[RedisKey] = []
        self.cursor = 0
        self.done = False
        self.match: str | None = None

    def compose(self) -> ComposeResult:
        yield StatusHeader(where="RCMD Redis keys")
        yield ErrorPanel()
        yield RowGrid(id="redis-keys")
        yield PromptBar()
        yield StatusLine(id="redis-status")
        yield KeyFooter()

    @property
    def grid(self) -> RowGrid:
        return self.query_one("#redis-keys", RowGrid)

    def on_mount(self) -> None:
        self.grid.set_columns([GridColumn("key", Text("Key")), GridColumn("type", Text("Type"), 7),
                               GridColumn("ttl", Text("TTL"), 10)])
        self.restart()

    def restart(self) -> None:
        self.keys, self.cursor, self.done = [], 0, False
        self.grid.set_rows([])
        self.load_more()

    @work(exclusive=True, group="scan", exit_on_error=False)
    async def load_more(self) -> None:
        client = self.rcmd_app.redis
        if client is None or self.done:
            return
        found: list[RedisKey] = []
        try:
            while len(found) < BATCH and not self.done:
                page = await scan_keys(client, self.cursor, self.match)
                found += page.keys
                self.cursor = page.cursor
                self.done = page.cursor == 0 or len(self.keys) + len(found) >= MAX_KEYS
        except (redis.exceptions.RedisError, OSError) as exc:
            self.query_one(ErrorPanel).show(self.failed(exc))
            return
        self.keys += found
        rows = self.grid.rows + [[inert(k.name), inert(k.type), inert(_ttl(k.ttl_ms))] for k in found]
        self.grid.set_rows(rows)
        self.update_status()

    def update_status(self) -> None:
        more = "" if self.cursor == 0 else (f" (first {MAX_KEYS:,}: narrow with /)" if self.done else " … scroll for more")
        self.query_one("#redis-status", StatusLine).set(Text.assemble(
            f"{len(self.keys):,} keys", (f" matching {self.match}" if self.match else ""), more))

    def on_row_grid_highlighted(self, event: RowGrid.Highlighted) -> None:
        if event.row >= len(self.keys) - 10 and not self.done:
            self.load_more()

    def on_row_grid_selected(self, event: RowGrid.Selected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        row = self.grid.cursor_row
        if 0 <= row < len(self.keys):
            self.app.push_screen(RedisValueScreen(self.keys[row].name))

    def action_copy(self) -> None:
        row = self.grid.cursor_row
        if 0 <= row < len(self.keys):
            self.app.copy_to_clipboard(escape_controls(self.keys[row].name.decode("utf-8", "backslashreplace")))

    def action_match(self) -> None:
        def go(pattern: str) -> None:
            self.match = pattern if pattern not in ("*", "") else None
            self.grid.focus()
            self.restart()

        self.query_one(PromptBar).ask("Keys matching (glob)", "bull:*, session:*, *:lock", go)

    def action_refresh(self) -> None:
        self.restart()


class RedisValueScreen(_RedisBase):
    AUTO_FOCUS = "#redis-value"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy", "Copy value", id="redis.copy_value", tooltip="Copy this value (escaped)"),
        Binding("D", "delete", "Delete key", id="redis.delete",
                tooltip="Delete this key if it is still as shown; asks first, audited in RCMD's log before it runs"),
    ]
    allowed = False  # until the check says otherwise

    def __init__(self, key: bytes) -> None:
        super().__init__()
        self.key = key
        self.value: RedisValue | None = None

    def compose(self) -> ComposeResult:
        yield StatusHeader(where="RCMD Redis › " + escape_controls(self.key.decode("utf-8", "backslashreplace"), 60))
        yield ErrorPanel()
        yield RowGrid(id="redis-value")
        yield StatusLine(id="redis-value-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.load()
        self.check_allowed()

    @work(exclusive=True, group="privileges", exit_on_error=False)
    async def check_allowed(self) -> None:
        app = self.rcmd_app
        self.allowed = await actions.offered(app.pools.primary("rcmd"), app.profile, app.read_only, ("admin",),
                                             (actions.Privilege("audit_logs", "INSERT"),))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "delete":
            return self.allowed and self.value is not None
        return True

    def action_delete(self) -> None:
        if self.value is None or not self.check_action("delete", ()):
            return
        shown = self.value.items[0][1] if self.value.type == "string" and not self.value.cut else None
        self.propose(delete_redis_key(self.key, self.value.type, shown, self.rcmd_app.profile))

    @work(exclusive=True, group="action", exit_on_error=False)
    async def propose(self, plan: RedisPlan) -> None:
        app = self.rcmd_app
        assert app.redis is not None
        how = (f"RCMD's audit log gets a row first (lock_timeout {app.profile.timeouts.lock_ms} ms); then, only if the key "
               "is still as shown, Redis runs:")
        if not await app.push_screen_wait(ConfirmScreen(plan.title, (), render_redis(plan), how, plan.typed)):
            self.notify("Cancelled; nothing was changed", timeout=2)
            return
        try:
            await actions.run_redis(app.pools.primary("rcmd"), app.redis, plan, app.profile.timeouts.lock_ms)
        except RcmdError as exc:
            self.query_one(ErrorPanel).show(exc)
            self.notify(exc.message, title=exc.title, severity="error", markup=False)
            return
        self.notify(f"{plan.title}: done (audited)", timeout=4, markup=False)
        self.dismiss()

    @work(exclusive=True, group="value", exit_on_error=False)
    async def load(self) -> None:
        client = self.rcmd_app.redis
        if client is None:
            return
        try:
            self.value = await read_value(client, self.key)
        except (redis.exceptions.RedisError, OSError) as exc:
            self.query_one(ErrorPanel).show(self.failed(exc))
            return
        grid = self.query_one("#redis-value", RowGrid)
        grid.set_columns([GridColumn("field", Text("Field / index / score")), GridColumn("value", Text("Value"), 200)])
        grid.set_rows([[inert(f) if f is not None else Text(""), inert(v)] for f, v in self.value.items])
        self.refresh_bindings()
        shown, total = len(self.value.items), self.value.total
        unit = "bytes" if self.value.type == "string" else "items"
        self.query_one("#redis-value-status", StatusLine).set(Text.assemble(
            inert(self.value.type, "bold"), f"  {total:,} {unit}" if total is not None else "",
            f"  (showing the first {shown:,})" if self.value.cut else ""))

    def action_copy(self) -> None:
        grid = self.query_one("#redis-value", RowGrid)
        if self.value is not None and 0 <= grid.cursor_row < len(self.value.items):
            raw = self.value.items[grid.cursor_row][1]
            self.app.copy_to_clipboard(escape_controls(raw.decode("utf-8", "backslashreplace"), 1_000_000))
