"""Export the current view: the path's extension picks CSV or JSON; a progress bar, and Esc cancels."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, ProgressBar, Static
from textual.worker import Worker

from rcmd_tui.config import data_dir
from rcmd_tui.data.infra.failures import describe
from rcmd_tui.data.lists.export import ExportResult, Format, export
from rcmd_tui.data.lists.sources import Estimate, RowSource
from rcmd_tui.data.lists.spec import ListSpec
from rcmd_tui.widgets.safe_text import inert
from rcmd_tui.widgets.text_box import TextBox
from rcmd_tui.widgets.worker_failed import failure_of


def default_path(spec: ListSpec, directory: Path | None = None) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return (directory or data_dir("exports")) / f"{spec.system}-{spec.key}-{stamp}.csv"


class ExportScreen(ModalScreen[ExportResult | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export.cancel", tooltip="Stop the export (nothing is left behind) or close"),
    ]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 80; max-width: 100%; height: auto; background: $panel; border: tall $accent; padding: 0 1; }
    ExportScreen Input, ExportScreen Input:focus { border: none; height: 1; background: $boost; }
    ExportScreen ProgressBar { display: none; }
    ExportScreen.-running ProgressBar { display: block; }
    ExportScreen #export-message { height: auto; }
    """

    def __init__(self, spec: ListSpec, source: RowSource, columns: list[str], estimate: Estimate | None,
                 directory: Path | None = None) -> None:
        super().__init__()
        self.spec, self.source, self.columns, self.estimate = spec, source, columns, estimate
        self.directory = directory
        self.stop = False
        self.running = False
        self.result: ExportResult | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            filt = self.source.filter.text or "no filter"
            yield Static(inert(f"Export {self.spec.title} ({filt}; the columns shown; encrypted fields masked). "
                               "Path ending .csv or .json, Enter starts:"))
            yield TextBox(str(default_path(self.spec, self.directory)), id="export-path")
            yield ProgressBar(total=self.estimate.rows if self.estimate and self.estimate.rows else None, show_eta=True)
            yield Static(id="export-message")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.running:
            return
        path = Path(event.value.strip()).expanduser()
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in ("csv", "json"):
            self.query_one("#export-message", Static).update(inert(f"{path.name}: the name must end in .csv or .json"))
            return
        self.running = True
        self.add_class("-running")
        self.run_export(path, cast(Format, fmt))

    def progress(self, rows: int) -> None:
        bar = self.query_one(ProgressBar)
        if bar.total is not None and rows > bar.total:
            bar.total = rows
        bar.update(progress=rows)
        self.query_one("#export-message", Static).update(f"{rows:,} rows written…")

    @work(exclusive=True, group="export", exit_on_error=False)
    async def run_export(self, path: Path, fmt: Format) -> None:
        result = await export(self.source, self.columns, path, fmt, self.progress, lambda: self.stop)
        self.result = result
        self.running = False
        if result.cancelled:
            self.notify(f"Export cancelled after {result.rows:,} rows; no file written", severity="warning")
        else:
            self.notify(f"Exported {result.rows:,} rows to {result.path}", timeout=5)
        self.dismiss(result)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        failed = failure_of(event)
        if failed is not None:  # this dialog's error route: told here, the path kept for another try
            error = describe(failed.error, self.spec.system)
            self.query_one("#export-message", Static).update(inert(f"{error.message} — {error.hint}"))
            self.running = False
            self.remove_class("-running")

    def action_cancel(self) -> None:
        if self.running:
            self.stop = True
        else:
            self.dismiss(None)
