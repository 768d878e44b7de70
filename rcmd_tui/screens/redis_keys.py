"""RCMD's Redis: the key list (the list engine over SCAN, `/` takes a glob) and a bounded view of one key's
value, with delete.

Key names and values are bytes from an untrusted store: shown inert, invalid UTF-8 as \\xNN escapes.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from rcmd_tui.data.actions.plan import Plan, Privilege
from rcmd_tui.data.actions.run import Result
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.format import duration
from rcmd_tui.data.lists.spec import Record
from rcmd_tui.data.rcmd.actions import delete_redis_key
from rcmd_tui.data.rcmd.redis_keys import ITEM_BYTES, RedisValue, epoch_ms, read_value
from rcmd_tui.errors import RcmdError
from rcmd_tui.screens.base import StandardScreen
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.text import bytes_text, escape_controls
from rcmd_tui.widgets.row_grid import GridColumn, RowGrid
from rcmd_tui.widgets.safe_text import inert


def _value_cell(value: bytes) -> Text:
    """The value, inert; one that reads as epoch milliseconds gets its time beside it."""
    moment = epoch_ms(value)
    if moment is None:
        return inert(value)
    return Text.assemble(inert(value), (f"  {moment:%Y-%m-%d %H:%M:%S} UTC", "dim"))


class RedisKeysScreen(ListScreen):
    def open_detail(self, record: Record) -> None:
        key = record.get("key")
        if isinstance(key, bytes):
            self.app.push_screen(RedisValueScreen(self.services, key))


class RedisValueScreen(StandardScreen):
    AUTO_FOCUS = "#redis-value"
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"delete"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy", "Copy value", id="redis.copy_value", tooltip="Copy this value (escaped)"),
        Binding("D", "delete", "Delete key", id="redis.delete",
                tooltip="Delete this key if it is still as shown; asks first, audited in RCMD's log before it runs"),
        Binding("r", "refresh", "Refresh", id="redis.refresh_value", tooltip="Read the value again"),
    ]

    def __init__(self, services: Services, key: bytes) -> None:
        super().__init__(services)
        self.key = key
        self.value: RedisValue | None = None

    @property
    def screen_name(self) -> str:
        return "Redis › " + escape_controls(bytes_text(self.key), 60)

    @property
    def target(self) -> str:
        return "rcmd-redis"

    def compose_body(self) -> ComposeResult:
        yield RowGrid(id="redis-value")

    @property
    def grid(self) -> RowGrid:
        return self.query_one("#redis-value", RowGrid)

    def on_mount(self) -> None:
        super().on_mount()
        self.grid.placeholder = "loading…"
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "delete" and (self.value is None or self.value.type == "none"):
            return False
        return super().check_action(action, parameters)

    def privileges_needed(self) -> tuple[Privilege, ...]:
        return delete_redis_key(self.key, "string", None, self.services.profile).privileges

    def action_delete(self) -> None:
        if self.value is None or self.value.type == "none" or self.refuse("Delete"):
            return
        shown = self.value.items[0][1] if self.value.type == "string" and not self.value.cut else None
        self.propose(delete_redis_key(self.key, self.value.type, shown, self.services.profile))

    def after_action(self, plan: Plan, result: Result) -> None:
        self.dismiss()

    def action_refresh(self) -> None:
        self.clear_error()
        self.load()

    @work(exclusive=True, group="value", exit_on_error=False)
    async def load(self) -> None:
        client = self.services.redis
        if client is None:
            raise RcmdError("this profile has no Redis for rcmd", "set redis_url under the rcmd target")
        self.value = await read_value(client, self.key)
        grid = self.grid
        heading = {"hash": "Field", "list": "Index", "zset": "Score", "stream": "Entry, field"}.get(self.value.type, "")
        grid.set_columns([GridColumn("field", Text(heading)), GridColumn("value", Text("Value"), 200)])
        grid.set_rows([[inert(f) if f is not None else Text(""), _value_cell(v)] for f, v in self.value.items])
        grid.placeholder = "" if self.value.items else "no such key: it expired or was deleted"
        self.refresh_bindings()
        value = self.value
        if value.type == "none":  # gone since the list was read: nothing to show, nothing to delete
            self.set_status(Text("the key is gone (it expired or was deleted); Esc goes back to the list", style="bold"))
            return
        unit = "bytes" if value.type == "string" else "items"
        ttl = f"  expires in {duration(value.ttl)}" if value.ttl is not None else "  no expiry"
        # What matters first, so that 80 columns keep it: the key itself is in the header.
        self.set_status(Text.assemble(
            inert(value.type, "bold"), f"  {value.total:,} {unit}" if value.total is not None else "", ttl,
            f"  (the first {value.shown:,} {unit} shown)" if value.cut else "",
            f"  (values longer than {ITEM_BYTES:,} bytes cut)" if value.values_cut else "",
            "  ", inert(self.key, "dim", limit=60), no_wrap=True, overflow="ellipsis"))

    def action_copy(self) -> None:
        grid = self.grid
        if self.value is not None and 0 <= grid.cursor_row < len(self.value.items):
            raw = self.value.items[grid.cursor_row][1]
            self.app.copy_to_clipboard(escape_controls(bytes_text(raw), 1_000_000))
