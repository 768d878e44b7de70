"""Export the current view: the path's extension picks CSV or JSON; a progress bar, and Esc cancels.

An existing file is replaced only after a second Enter on the same name (the first says so); control
characters are escaped unless ctrl+r turns raw values on."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, ProgressBar, Static
from textual.worker import Worker

from rcmd_tui.config import data_dir
from rcmd_tui.data.infra.failures import describe
from rcmd_tui.data.infra.files import private_dir
from rcmd_tui.data.lists.export import ExportError, ExportResult, Format, check_target, export
from rcmd_tui.data.lists.sources import Estimate, RowSource
from rcmd_tui.data.lists.spec import ListSpec
from rcmd_tui.widgets.safe_text import escape_controls, inert
from rcmd_tui.widgets.text_box import TextBox
from rcmd_tui.widgets.worker_failed import failure_of

# One line each at 80 columns.
RAW_OFF = "Control characters are escaped (\\x1b, <U+202E>); ctrl+r writes them raw"
RAW_ON = "RAW: control characters as stored, unsafe to print; ctrl+r escapes them"


def default_path(spec: ListSpec, directory: Path | None = None) -> Path:
    """A name of the second it was offered and a random tail: two exports of the same second get two
    files, and no one can plant a file at a name known in advance."""
    directory = directory or data_dir("exports")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    while True:
        path = directory / f"{spec.system}-{spec.key}-{stamp}-{secrets.token_hex(2)}.csv"
        if not os.path.lexists(path):
            return path


class ExportScreen(ModalScreen[ExportResult | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="export.cancel", tooltip="Stop the export (nothing is left behind) or close"),
        Binding("ctrl+r", "toggle_raw", "Raw values", id="export.raw",
                tooltip="Write control characters as stored instead of escaped (off by default)"),
    ]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 80; max-width: 100%; height: auto; background: $panel; border: tall $accent; padding: 0 1; }
    ExportScreen Input, ExportScreen Input:focus { border: none; height: 1; background: $boost; }
    ExportScreen ProgressBar { display: none; }
    ExportScreen.-running ProgressBar { display: block; }
    ExportScreen #export-raw { color: $text-muted; height: auto; }
    ExportScreen #export-message { height: auto; }
    """

    def __init__(self, spec: ListSpec, source: RowSource, columns: list[str], estimate: Estimate | None,
                 directory: Path | None = None) -> None:
        super().__init__()
        self.spec, self.source, self.columns, self.estimate = spec, source, columns, estimate
        self.directory = directory or data_dir("exports")
        self.stop = False
        self.running = False
        self.raw = False
        self.confirmed: Path | None = None  # an existing file the person was told of: Enter again replaces it
        self.result: ExportResult | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            filt = self.source.filter.text or "no filter"
            yield Static(inert(f"Export {self.spec.title} ({filt}; the columns shown; encrypted fields masked). "
                               "Path ending .csv or .json, Enter starts:"))
            yield TextBox(str(default_path(self.spec, self.directory)), id="export-path")
            yield Static(RAW_OFF, id="export-raw", markup=False)
            yield ProgressBar(total=self.estimate.rows if self.estimate and self.estimate.rows else None, show_eta=True)
            yield Static(id="export-message")

    def say(self, text: str, style: str = "") -> None:
        # Wrapped, not cut: a question about an existing file must be read to its end.
        self.query_one("#export-message", Static).update(Text(escape_controls(text), style=style))

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.confirmed is not None:  # another name: the question was about the old one
            self.confirmed = None
            self.say("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.running:
            return
        path = Path(event.value.strip()).expanduser()
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in ("csv", "json"):
            self.say(f"{path.name}: the name must end in .csv or .json")
            return
        try:
            check_target(path, replace=True)  # a symlink or a directory: refused whatever the answer
            if path == self.directory / path.name:
                private_dir(self.directory, tighten=True)
        except ExportError as exc:
            self.say(exc.message, "bold")
            return
        except OSError as exc:
            self.say(f"cannot write {path.parent}: {exc.strerror}", "bold")
            return
        if os.path.lexists(path) and path != self.confirmed:
            self.confirmed = path
            self.say(f"{path.name} exists: Enter again replaces it; change the name to keep it, or Esc to cancel.", "bold")
            return
        self.running = True
        self.add_class("-running")
        self.run_export(path, cast(Format, fmt), replace=path == self.confirmed)

    def action_toggle_raw(self) -> None:
        if self.running:
            return
        self.raw = not self.raw
        self.query_one("#export-raw", Static).update(Text(RAW_ON if self.raw else RAW_OFF, style="bold" if self.raw else ""))

    def progress(self, rows: int) -> None:
        bar = self.query_one(ProgressBar)
        if bar.total is not None and rows > bar.total:
            bar.total = rows
        bar.update(progress=rows)
        self.say(f"{rows:,} rows written…")

    @work(exclusive=True, group="export", exit_on_error=False)
    async def run_export(self, path: Path, fmt: Format, replace: bool) -> None:
        result = await export(self.source, self.columns, path, fmt, self.progress, lambda: self.stop,
                              replace=replace, raw=self.raw)
        self.result = result
        self.running = False
        if result.cancelled:
            self.notify(f"Export cancelled after {result.rows:,} rows; no file written", severity="warning")
        else:
            what = "replaced" if replace else "written"
            self.notify(f"Exported {result.rows:,} rows: {result.path} {what}{' (raw values)' if self.raw else ''}",
                        timeout=5, markup=False)
        self.dismiss(result)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        failed = failure_of(event)
        if failed is not None:  # this dialog's error route: told here, the path kept for another try
            error = describe(failed.error, self.spec.system)
            self.say(f"{error.message} — {error.hint}")
            self.confirmed = None
            self.running = False
            self.remove_class("-running")

    def action_cancel(self) -> None:
        if self.running:
            self.stop = True
        else:
            self.dismiss(None)
