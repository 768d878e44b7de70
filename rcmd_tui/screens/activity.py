"""Activity (`:monitor`): the target's sessions, live, with cancel and terminate (the marked ones, or the one
under the cursor), and a backend's detail. Also the locks view, whose rows are backends too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from rcmd_tui.data.actions.plan import Privilege
from rcmd_tui.data.monitor.backend_actions import Backend, signal_backends
from rcmd_tui.errors import RcmdError
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.screens.statement_detail import StatementDetail
from rcmd_tui.widgets.paged_table import PagedTable
from rcmd_tui.widgets.trends import Trends

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # a backend to read the plan's privileges off


class BackendsScreen(ListScreen):
    """A live list whose rows are backends (pid and backend_start): cancel and terminate them."""

    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"signal"})
    DETAIL = StatementDetail
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("C", "signal(False)", "Cancel query", id="activity.cancel",
                tooltip="Cancel the running statement of the marked backends (or this one); asks first, audited"),
        Binding("K", "signal(True)", "Terminate", id="activity.terminate",
                tooltip="Terminate the marked backends (or this one): their sessions end; asks first, audited"),
    ]

    def privileges_needed(self) -> tuple[Privilege, ...]:
        return signal_backends(self.spec.system, [Backend(0, _EPOCH)], True, self.services.profile).privileges

    def action_signal(self, terminate: bool) -> None:
        if self.refuse("Terminate" if terminate else "Cancel"):
            return
        chosen = [r for r in self.targets() if r.get("pid") is not None and r.get("backend_start") is not None]
        own = [r for r in chosen if r.get("pid") in self.services.pools.backend_pids]
        if own:
            self.notify(f"Left out the console's own session{'s' if len(own) > 1 else ''} (pid "
                        f"{', '.join(str(r.get('pid')) for r in own)})", timeout=4, markup=False)
        chosen = [r for r in chosen if r not in own]
        unique = list({r.get("pid"): r for r in chosen}.values())  # the locks tree can show one backend twice
        if not unique:
            self.notify("No backend to signal here", timeout=3)
            return
        backends = [Backend(int(r.get("pid")), r.get("backend_start"), r.get("usename"), r.get("application_name"),
                            r.get("query"), r.get("datname")) for r in unique]
        self.propose(signal_backends(self.spec.system, backends, terminate, self.services.profile))


class ActivityScreen(BackendsScreen):
    """The landing screen of monitoring: trends over the minutes it has been open, then the sessions."""

    def compose_body(self) -> ComposeResult:
        yield Trends(self.services, self.spec.system, id="trends")
        yield from super().compose_body()

    def on_paged_table_page_shown(self, _event: PagedTable.PageShown) -> None:  # ListScreen's runs too
        self.query_one(Trends).show()  # the read that brought the rows sampled the trends

    def after_failure(self, error: RcmdError, group: str) -> None:
        super().after_failure(error, group)
        self.query_one(Trends).show()  # a failed read says so in the trends' line too
