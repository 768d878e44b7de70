"""An archive run, once confirmed: a progress bar over the batches, Esc or c stops it between batches, and the
outcome stays on screen until closed."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static
from textual.worker import Worker

from rcmd_tui.data.infra.failures import describe
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.monitor.archive import ArchiveJob, ArchiveOutcome, Batch, archive
from rcmd_tui.widgets.safe_text import escape_controls, inert
from rcmd_tui.widgets.worker_failed import failure_of

RUNNING = "Esc or c stops after the batch that is running (it finishes or rolls back whole)."
DONE = "Enter or Esc closes."


class ArchiveScreen(ModalScreen[ArchiveOutcome]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop", "Stop", id="archive.stop",
                tooltip="Stop after the batch that is running (it finishes or rolls back whole); once done, close"),
        Binding("c", "stop", "Stop", id="archive.stop_c", show=False, tooltip="Stop after the batch that is running"),
        Binding("enter", "close", "Close", id="archive.close", tooltip="Close, once the archive has ended"),
    ]
    DEFAULT_CSS = """
    ArchiveScreen { align: center middle; }
    ArchiveScreen > Vertical { width: 80; max-width: 100%; height: auto; background: $panel; border: tall $accent; padding: 0 1; }
    ArchiveScreen #archive-state { height: auto; }
    ArchiveScreen #archive-keys { color: $text-muted; height: auto; }
    """

    def __init__(self, services: Services, job: ArchiveJob) -> None:
        super().__init__()
        self.services, self.job = services, job
        self.stopping = False
        self.batches = self.moved = 0  # committed so far: what an unexpected failure still reports
        self.outcome: ArchiveOutcome | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(inert(self.job.plan.title, "bold", limit=200))
            yield ProgressBar(total=self.job.estimate or None, show_eta=True)
            yield Static(f"about {self.job.estimate:,} rows to move, {self.job.batch_size:,} per batch", id="archive-state",
                         markup=False)
            yield Static(RUNNING, id="archive-keys", markup=False)

    def on_mount(self) -> None:
        self.run_batches()

    def say(self, text: str, style: str = "") -> None:
        # Wrapped, not cut: the outcome must be read to its end.
        self.query_one("#archive-state", Static).update(Text(escape_controls(text), style=style))

    def progress(self, batch: Batch, moved: int) -> None:
        self.batches, self.moved = batch.number, moved
        bar = self.query_one(ProgressBar)
        if bar.total is not None and moved > bar.total:  # the planner's estimate was short
            bar.update(total=moved)
        bar.update(progress=moved)
        state = f"batch {batch.number:,}: {moved:,} of about {self.job.estimate:,} rows moved"
        self.say(state + (" — stopping after this batch…" if self.stopping else ""))

    @work(exclusive=True, group="action", exit_on_error=False)  # "action": quitting meanwhile asks first
    async def run_batches(self) -> None:
        self.finish(await archive(self.services, self.job, self.progress, lambda: self.stopping))

    def finish(self, outcome: ArchiveOutcome) -> None:
        self.outcome = outcome
        bar = self.query_one(ProgressBar)
        if outcome.error is None and not outcome.stopped:
            bar.update(total=max(outcome.moved, 1), progress=max(outcome.moved, 1))
        text = outcome.summary(self.job)
        if outcome.error is not None:
            text += f"\n{outcome.error.message} — {outcome.error.hint}"
        self.say(text, "bold")
        self.query_one("#archive-keys", Static).update(DONE)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        failed = failure_of(event)
        if failed is not None:  # not a batch's refusal (those end the run with an outcome): still told, with the count
            error = describe(failed.error, self.job.system, self.services.where(self.job.system))
            self.finish(ArchiveOutcome(self.batches, self.moved, False, None, error))

    def action_stop(self) -> None:
        if self.outcome is not None:
            self.dismiss(self.outcome)
        elif not self.stopping:
            self.stopping = True
            self.say(f"{self.moved:,} rows moved in {self.batches:,} batches — stopping after the batch that is running…")

    def action_close(self) -> None:
        if self.outcome is not None:
            self.dismiss(self.outcome)
