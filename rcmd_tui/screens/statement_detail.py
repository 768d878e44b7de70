"""A row that holds a statement (a backend, a pg_stat_statements entry) in full: every field, then the statement
laid out; for a backend, its locks, whom it blocks and who blocks it and its statistics;
and on `e` its plan (`A`: EXPLAIN ANALYZE, confirmed, rolled back)."""

from __future__ import annotations

import csv
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widgets.tree import TreeNode

from rcmd_tui.data.actions.run import action_is_allowed
from rcmd_tui.data.monitor.backend import ExplainError, explain, explainable, facts, parameters, pretty
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.screens.detail import DetailScreen, JsonTree
from rcmd_tui.screens.text_prompt import TextPrompt
from rcmd_tui.widgets.safe_text import inert

HINT = "e plan · A explain analyze (asks first, audited) · y copies"


def split_values(answer: str) -> list[str]:
    """Values separated by commas, a quoted one keeping its commas.

    >>> split_values('42, "a,b", x')
    ['42', 'a,b', 'x']
    """
    return [v.strip() for v in next(csv.reader([answer], skipinitialspace=True))]


class StatementDetail(DetailScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "explain(False)", "Plan", id="backend.explain",
                tooltip="EXPLAIN the statement (a generic plan, or asks for its parameters)"),
        Binding("A", "analyze", "Explain analyze", id="backend.analyze",
                tooltip="EXPLAIN ANALYZE: runs the statement, asks first, audited, always rolled back"),
    ]

    @property
    def may_analyze(self) -> bool:
        """EXPLAIN ANALYZE runs the statement: an action like any other (admin, read-write session)."""
        return action_is_allowed(self.services.profile, self.services.read_only, self.ACTION_ROLES)

    def is_offered(self, action: str) -> bool:
        if action == "analyze":
            return self.may_analyze
        return super().is_offered(action)

    def action_analyze(self) -> None:
        if not self.may_analyze:
            self.notify("EXPLAIN ANALYZE is not offered: it runs the statement, and this session is read-only or its "
                        "console role is not admin", severity="warning", timeout=4, markup=False)
            return
        self.action_explain(True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan_lines: list[str] = []
        self.facts_node: TreeNode[str] | None = None

    @property
    def statement_text(self) -> str:
        return str(self.field("query") or "")

    def field(self, name: str) -> Any:
        """A field of the row, None where this view has no such field (a statement has no pid)."""
        return self.record.get(name) if name in self.record.names else None

    def on_mount(self) -> None:  # Textual runs DetailScreen's own on_mount after this one
        self.set_status(Text(HINT, style="dim"))
        self.read_facts()

    def _section(self, title: str, lines: list[str], style: str = "") -> None:
        tree = self.query_one(JsonTree)
        node = tree.root.add(Text(title, style="bold"), expand=True)
        for line in lines or ["(none)"]:
            node.add_leaf(inert(line, style), data=line)

    def fill(self) -> None:
        super().fill()
        if self.statement_text:
            self._section("Statement, laid out", pretty(self.statement_text).splitlines(), "green")

    @work(exclusive=True, group="facts", exit_on_error=False)
    async def read_facts(self) -> None:
        pid = self.field("pid")
        if pid is None:  # a pg_stat_statements entry: no session to ask about
            return
        query_id = self.field("query_id")
        found = await facts(self.services, self.spec.system, int(pid), query_id)
        self._section("Locks", [f"{'held' if lk['granted'] else 'WAITS'} {lk['mode']} on {lk['locktype']} "
                                f"{lk['relation'] or lk['xid'] or lk['virtualxid'] or ''}".rstrip()
                                + (f" for {lk['waiting_for']}" if lk["waiting_for"] else "") for lk in found.locks])
        self._section("Blocks", [f"pid {p}" for p in found.blocks])
        self._section("Blocked by", [f"pid {p}" for p in found.blocked_by], "bold red")
        row = found.statement
        self._section("pg_stat_statements", [found.statement_note] if row is None else [
            f"calls {row['calls']:,} · total {row['total_ms']:,.1f} ms · mean {row['mean_ms']:,.2f} ms · max {row['max_ms']:,.1f} ms",
            f"rows {row['rows']:,} · blocks hit {row['shared_blks_hit']:,} · read {row['shared_blks_read']:,}"])

    def action_explain(self, analyze: bool) -> None:
        try:  # what cannot be explained is said before anything is asked
            explainable(self.statement_text)
        except ExplainError as error:
            self.show_error(error)
            return
        if analyze and parameters(self.statement_text):
            self.ask_values(analyze)
        else:  # a plain EXPLAIN tries a generic plan first (16+), and asks for the values only if it must
            self._confirm_and_explain(analyze, {})

    def ask_values(self, analyze: bool) -> None:
        wanted = parameters(self.statement_text)

        def given(answer: str | None) -> None:
            if answer is None:
                return
            values = split_values(answer)
            if len(values) != len(wanted):
                self.notify(f"{len(wanted)} values wanted (for ${', $'.join(map(str, wanted))}), {len(values)} given",
                            severity="warning", timeout=4, markup=False)
                return
            self._confirm_and_explain(analyze, dict(zip(wanted, values, strict=True)))

        self.app.push_screen(TextPrompt(f"Values for ${', $'.join(map(str, wanted))}, separated by commas "
                                        '(quote one that holds a comma: "a,b")', "e.g. 42, alice@example.com"), given)

    def _confirm_and_explain(self, analyze: bool, values: dict[int, str]) -> None:
        if not analyze:
            self.run_explain(False, values)
            return

        def answered(sure: bool | None) -> None:
            if sure:
                self.run_explain(True, values)

        which = f"pid {self.field('pid')}" if self.field("pid") else f"query id {self.field('queryid')}"
        bound = [f"${n} = {v!r}" for n, v in sorted(values.items())]
        self.app.push_screen(ConfirmScreen(
            "EXPLAIN ANALYZE runs the statement", (which,), [self.statement_text, *bound],
            f"On {self.spec.system}: it runs in a transaction that is rolled back, lock_timeout "
            f"{self.services.profile.timeouts.lock_ms} ms; sequences advance and anything outside the database "
            "(notifications, dblink) is not undone.", "analyze"), answered)

    @work(exclusive=True, group="explain", exit_on_error=False)
    async def run_explain(self, analyze: bool, values: dict[int, str]) -> None:
        self.clear_error()
        self.set_status(Text("EXPLAIN ANALYZE running… (it runs the statement)" if analyze else "planning…", style="bold"))
        try:
            lines = await explain(self.services, self.spec.system, self.statement_text, values, analyze=analyze,
                                  database=self.field("datname"))
        except ExplainError as error:
            self.set_status(Text(HINT, style="dim"))
            if error.asks_values and not values:
                self.ask_values(analyze)
                return
            self.show_error(error)
            return
        self.set_status(Text(HINT, style="dim"))
        self._section("Plan (EXPLAIN ANALYZE, rolled back)" if analyze else "Plan", lines, "cyan")
        tree = self.query_one(JsonTree)
        plan = tree.root.children[-1]
        tree.move_cursor(plan)
        tree.scroll_to_node(plan, animate=False)
