"""The Bull queue (`:queue`): every entry of RCMD's queue beside its jobs row and lock, with the lists' lengths on
a line above, and `F` to fix one kind of disagreement on the marked rows (or this one), asking which kind first."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from rcmd_tui.data.actions.plan import Privilege
from rcmd_tui.data.lists.snapshot import SnapshotSource
from rcmd_tui.data.lists.spec import Record
from rcmd_tui.data.rcmd.queue import FIXES, KINDS, lengths_line
from rcmd_tui.data.rcmd.queue_actions import QueueEntry, fix_queue, with_missing_hashes
from rcmd_tui.errors import RcmdError
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.widgets.paged_table import PagedTable
from rcmd_tui.widgets.prompt_bar import PromptBar
from rcmd_tui.widgets.safe_text import inert

_ANY = QueueEntry("active", b"00000000-0000-0000-0000-000000000000", "running")


class NoSuchProblem(RcmdError):
    title = "Fix"


def entry_of(record: Record) -> QueueEntry:
    member = record.get("member")
    state = str(record.get("state"))
    return QueueEntry(state, member if isinstance(member, bytes) else str(member).encode(), record.get("status"),
                      record.get("lock_value"),
                      in_set=state in ("completed", "failed") and record.get("score_at") is None)


class QueueScreen(ListScreen):
    DEFAULT_CSS = """
    QueueScreen #queue-lengths { height: 1; width: 1fr; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; background: $panel; }
    """
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"fix"})
    PROMPTING: ClassVar[frozenset[str]] = frozenset({"fix"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("F", "fix", "Fix", id="queue.fix",
                tooltip="Make Redis and PostgreSQL agree for the marked rows (or this one) showing one kind of problem; "
                        "asks which kind, then confirms; re-checked, audited"),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static("reading the queue…", id="queue-lengths", markup=False)
        yield from super().compose_body()

    def privileges_needed(self) -> tuple[Privilege, ...]:
        plans = [fix_queue(kind, [_ANY], self.services.profile) for kind in ("no-lock", "waiting-done")]
        return tuple(dict.fromkeys(p for plan in plans for p in plan.privileges))

    def on_paged_table_page_shown(self, event: PagedTable.PageShown) -> None:
        super().on_paged_table_page_shown(event)
        if isinstance(self.source, SnapshotSource) and self.source.read_at is not None:
            # Every row read, not just the filtered ones: the lengths are the lists', whatever is shown.
            self.query_one("#queue-lengths", Static).update(inert(lengths_line(self.source.read)))

    def action_fix(self) -> None:
        if self.refuse("Fix"):
            return
        bar = self.query_one(PromptBar)
        current = self.current()
        here = current.get("problem") if current is not None and not self.table.marked else None
        kinds = ", ".join(sorted(KINDS, key=lambda k: k != here))

        def go(text: str) -> None:
            typed = text.strip().lower()
            found = [k for k in KINDS if k == typed] or [k for k in KINDS if k.startswith(typed)] if typed else []
            if len(found) != 1:
                bar.say(NoSuchProblem(f"{text.strip()!r} is not a kind of problem" if not found else
                                      f"{text.strip()!r} could be {' or '.join(found)}",
                                      f"type one of (its start will do): {', '.join(KINDS)}"))
                return
            kind = found[0]
            targets = self.targets()
            chosen = [entry_of(r) for r in targets if r.get("problem") == kind]
            bar.action_close()
            if not chosen:
                where = "marked row" if self.table.marked else "row under the cursor"
                self.notify(f"No {where} shows {kind} (/problem={kind} lists them; space marks)", timeout=5,
                            markup=False)
                return
            if len(chosen) < len(targets):
                self.notify(f"{len(targets) - len(chosen)} marked row(s) without {kind} left out", timeout=4,
                            markup=False)
            self._propose_fix(kind, chosen)

        if here in KINDS:
            bar.ask(f"Fix which problem (Enter: {here}, {KINDS[here]}; F does: {FIXES[here]})", kinds, go, value=str(here))
        else:
            bar.ask("Fix which problem (a row's detail says what each means and what F does)", kinds, go)

    @work(exclusive=True, group="action-read", exit_on_error=False)
    async def _propose_fix(self, kind: str, chosen: list[QueueEntry]) -> None:
        if kind == "queued-lost":  # a missing hash is written from the row as it is now
            chosen = await with_missing_hashes(self.services, chosen)
        self.propose(fix_queue(kind, chosen, self.services.profile))
