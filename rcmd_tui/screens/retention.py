"""Audit retention (`:retention`): the audit log's partitions, and on OrderSync its rows older than six months
archived in batches (admin; asks first with the cutoff, audited batch by batch, a progress bar, Esc stops)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType

from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.actions.plan import Privilege
from rcmd_tui.data.monitor.archive import BATCH_SIZE, NO_ARCHIVE_HINT, ArchiveOutcome, batch_plan, prepare_archive
from rcmd_tui.data.monitor.retention import ARCHIVE_TABLES
from rcmd_tui.errors import RcmdError
from rcmd_tui.screens.archive_progress import ArchiveScreen
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.text import escape_controls


class RetentionScreen(ListScreen):
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"archive"})
    # About the whole log, not the row a detail shows: left to the list.
    PROMPTING: ClassVar[frozenset[str]] = frozenset({"archive"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("A", "archive", "Archive old rows", id="retention.archive",
                tooltip="OrderSync: move audit rows older than six months to audit_logs_archive in batches "
                        "(asks first, audited, Esc stops between batches)"),
    ]

    batch_size = BATCH_SIZE  # rows per batch (a test sets fewer, to watch several batches go by)
    last_archive: ArchiveOutcome | None = None  # how the last archive run of this screen ended

    def privileges_needed(self) -> tuple[Privilege, ...]:
        if self.spec.system not in ARCHIVE_TABLES:
            return ()
        return batch_plan(self.spec.system, self.services.profile, datetime.now(UTC), self.batch_size, "").privileges

    def action_archive(self) -> None:
        if self.spec.system not in ARCHIVE_TABLES:
            self.notify(f"{self.spec.title}: nothing to archive. {NO_ARCHIVE_HINT}.", severity="warning", timeout=8,
                        markup=False)
            return
        if self.refuse("Archive"):
            return
        self.run_archive()

    @work(exclusive=True, group="action", exit_on_error=False)
    async def run_archive(self) -> None:
        try:
            job = await prepare_archive(self.services, self.spec.system, self.batch_size)
        except RcmdError as error:  # refused (rights, no archive table): told here and as a toast
            self.show_error(error)
            self.notify(escape_controls(error.message), title=error.title, severity="error", markup=False)
            return
        statements = await actions.render(self.services, job.plan)
        how = (f"On {job.system} ({self.services.where(job.system)}), lock_timeout {self.services.profile.timeouts.lock_ms} ms, "
               f"in batches of {job.batch_size:,}, each one transaction: re-check the archive's columns, move the batch's "
               "rows, compare the rows deleted and archived, write the batch's audit row.")
        shown = ["The change:\n" + "\n".join(job.describe()), *statements]
        plan = job.plan
        confirmed = await self.app.push_screen_wait(ConfirmScreen(plan.title, plan.targets, shown, how, plan.typed))
        if not confirmed:
            self.notify("Cancelled; nothing was moved", timeout=2)
            return
        outcome = await self.app.push_screen_wait(ArchiveScreen(self.services, job))
        self.last_archive = outcome
        if outcome.error is not None:
            self.show_error(outcome.error)
        else:
            self.clear_error()
        self.notify(escape_controls(outcome.summary(job)), severity="error" if outcome.error else "information",
                    timeout=8, markup=False)
        self.table.reread()
