"""A job: its fields (payload and result as folded JSON, the error wrapped whole), and under them its
``job_logs``, oldest first, coloured by level, following new lines while the job may still run."""

from __future__ import annotations

import json
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.timer import Timer

from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.filters import compile_filter
from rcmd_tui.data.lists.spec import ListSpec, Record
from rcmd_tui.data.rcmd.job_logs import JobState, LogLine, first_lines, job_state, lines_after
from rcmd_tui.data.rcmd.jobs import ACTIVE
from rcmd_tui.screens.detail import JsonTree
from rcmd_tui.screens.detail_pane import PanedDetail
from rcmd_tui.widgets.paged_table import PagedTable
from rcmd_tui.widgets.safe_text import escape_controls

FOLLOW_S = 2.0  # a running job's new log lines and state, read this often
LEVEL_STYLES = {"debug": "dim", "info": "", "warning": "yellow", "error": "bold red", "fatal": "bold white on red"}


def log_text(line: LogLine) -> Text:
    """One line: time, level, message, details; every part from the database made inert.

    >>> from datetime import datetime, UTC
    >>> log_text(LogLine(1, "error", "copy failed\\x1b[2J", {"file": "a.txt"}, datetime(2026, 5, 1, 13, 4, 5, tzinfo=UTC))).plain
    '13:04:05 error copy failed\\\\x1b[2J {"file":"a.txt"}'
    """
    level = line.level if line.level in LEVEL_STYLES else "info"
    text = Text.assemble((line.created_at.strftime("%H:%M:%S") if line.created_at else "--:--:--", "dim"), " ",
                         (f"{escape_controls(line.level, 8):<7}"[:7].rstrip(), LEVEL_STYLES[level]), " ",
                         (escape_controls(line.message, 2000), LEVEL_STYLES[level] if level in ("error", "fatal") else ""))
    if line.details not in (None, {}, []):
        details = json.dumps(line.details, ensure_ascii=False, separators=(",", ":"), default=str)
        text.append(" " + escape_controls(details, 500), style="dim")
    return text


class JobDetail(PanedDetail):
    PANE = "Log"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "switch_pane", "Fields/log", id="job.switch", tooltip="Move between the job's fields and its log"),
        Binding("f", "follow", "Follow", id="job.follow", show=False,
                tooltip="Follow the log's new lines (on while the job may still run); again to stop"),
    ]

    def __init__(self, services: Services, spec: ListSpec, record: Record, table: PagedTable | None = None) -> None:
        super().__init__(services, spec, record, table)
        self.last_id = 0
        self.lines_read = 0
        self._follow: Timer | None = None
        self.state: JobState | None = None

    @property
    def screen_name(self) -> str:
        return f"{self.spec.title} › job"

    @property
    def job_id(self) -> str:
        return str(self.record.get("id"))

    def on_mount(self) -> None:
        self.read_log()
        if self.record.get("status") in ACTIVE:
            self._follow = self.set_interval(FOLLOW_S, self.follow_log)

    def _title(self, text: str) -> None:
        self.pane_title(text)

    def _write(self, lines: list[LogLine]) -> None:
        log = self.pane
        for line in lines:
            log.write(log_text(line))
        if lines:
            self.last_id = lines[-1].id
            self.lines_read += len(lines)

    @work(exclusive=True, group="job-log", exit_on_error=False, description="read the job's log")
    async def read_log(self) -> None:
        self._title("Log: reading…")
        lines, older = await first_lines(self.services.reader("rcmd"), self.job_id)
        if older:
            self.pane.write(Text(f"… {older:,} older lines not shown", style="dim italic"))
        self._write(lines)
        if not lines:
            self.pane.write(Text("no log lines", style="dim italic"))
        self._say()

    @work(exclusive=True, group="job-follow", exit_on_error=False, description="follow the job's log")
    async def follow_log(self) -> None:
        pool = self.services.reader("rcmd")
        self._write(await lines_after(pool, self.job_id, self.last_id))
        self.state = await job_state(pool, self.job_id)
        if self.state is not None and (self.state.status, self.state.progress) != (self.record.get("status"), self.record.get("progress")):
            await self._reread_row()
        if self.state is None or self.state.status not in ACTIVE:
            self._stop_following()
        self._say()

    async def _reread_row(self) -> None:
        """The job's fields as they are now (status, progress, times, the lock), through the list's own data path,
        so the fields never say running above a log that says completed; the cursor stays on its line."""
        page = await open_source(self.spec, self.services, None, compile_filter(self.spec, f"id={self.job_id}")).first()
        if not page.records:
            return
        tree = self.query_one(JsonTree)
        line = tree.cursor_line
        self.record = page.records[0]
        self.fill()
        tree.cursor_line = min(line, max(0, tree.last_line))

    def _stop_following(self) -> None:
        if self._follow is not None:
            self._follow.stop()
            self._follow = None

    def _say(self) -> None:
        state = self.state
        status = state.status if state else self.record.get("status")
        progress = state.progress if state else self.record.get("progress")
        now = f"{escape_controls(str(status), 20)}" + (f" {progress}%" if progress is not None else "")
        following = "following (f stops)" if self._follow is not None else "not following (f follows)"
        lines = f"{self.lines_read:,} line{'' if self.lines_read == 1 else 's'}"
        self._title(f"Log: {lines} │ job {now} │ {following}")

    def action_follow(self) -> None:
        if self._follow is not None:
            self._stop_following()
        else:
            self._follow = self.set_interval(FOLLOW_S, self.follow_log)
            self.follow_log()
        self._say()
