"""The audit trail of both systems in the console, headless, at the ``large`` scale (issue 16).

Throwaway servers from the launcher, RCMD and OrderSync migrated and seeded by the demo seeder at ``--scale``
(``large``: 5,000,000 audit rows each, monthly partitions over a year; ``small`` for a quick check). The
console runs headless at 160x50 on ``:audit`` (RCMD) and ``:audit os`` (OrderSync); each step is timed as
bench/paging_bench.py times one, from the key press to the rows painted (the enrichers that name the users,
and OrderSync's decryption, are inside the figure), median of 9, every press to a screen idle for 0.1 s.
Goal: at most 100 ms median per step. Beside each, in the same run:

- bare:  the console's own page query (``page_query`` over the same compiled filter, 101 rows) run with psycopg
         alone, median of 9: what the database costs, without enrichment, decryption or painting;
- naive: what a list that does not page by keyset, or does not let the planner prune, runs for the same rows,
         median of 3 (each part's median, added up).

The steps, for each system:

- first page:  ``r`` on the unfiltered list.
               naive: ``LIMIT 100 OFFSET 0`` plus the exact ``count(*)`` such lists show.
- one user:    ``/user=<the busiest user>`` Enter: RCMD by username, OrderSync by e-mail (matched by its hash),
               as support types them; the list's user column names each row's user (an enricher: RCMD one query
               for the names, OrderSync one query and the e-mails decrypted and masked).
               naive: ``LIMIT 100 OFFSET 0`` with the same filter plus its exact ``count(*)``.
- one day 6 months back: ``/between:D..D+1`` Enter, for the day 182 days before the newest row.
               naive, unpruned: the day written on the column, ``(created_at AT TIME ZONE 'UTC')::date = D``: no
               partition is pruned and no index on created_at serves it, so the newest-first page reads every
               partition down to that day (``LIMIT 100 OFFSET 0``).
- trace (OrderSync only): ``/trace=<id>`` Enter, for the trace id of a row on that day six months back.
               naive, unindexed: the same id searched as text, ``trace_id::text ILIKE '%<id>%'`` (what ``trace~<id>``
               compiles to, and what a list with one search box runs): no index serves it, every partition is read.

Then one step across both systems (goal: at most 150 ms):

- timeline, busy user: from the prompt over ``:audit os``, ``:timeline <username>`` typed (untimed), timed from
               Enter to the first paint of the timeline's rows on its new screen (the person looked up, both
               systems read, merged, painted). The user: the RCMD user with the most audit rows whose e-mail an
               OrderSync user has (the demo seeder's ``link_people`` gives RCMD's busiest users the e-mails of
               OrderSync's busiest customers); typed by username, as support types it.
               bare:  find_person's SQL for a username (RCMD's user by name, OrderSync's by the e-mail's hash),
                      then the two per-system ``UNION ALL`` queries as TimelineSource builds them (``stream_query``
                      for each of the person's streams, ``LIMIT 101`` each), run with psycopg alone, each query's
                      median of 9 added up (the console runs the two systems' queries side by side, so this sum
                      is, if anything, above its floor);
               naive: the same look-up, then per system one ``UNION ALL`` of every stream's full rows for the
                      person, no limit per stream, sorted in the outer query (``ORDER BY at DESC`` and the
                      timeline's tie-breakers, ``LIMIT 100 OFFSET 0``) plus the ``count(*)`` of all of them.
               The console's first rows must be the bare merge's (both systems' rows by time, stream rank, row id).

Each step is a ``Step``: the screen it runs on, the console action (``Refresh``, ``FilterTo``, ``TimelineOpen``),
its bare queries and its naive ones, each with the system it runs on.

Run: ``.venv/bin/python -m bench.audit_bench [--scale large|small] [--samples]``. It always exits 0 and prints
PASS or FAIL per step.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from textual.pilot import Pilot

from bench.paging_bench import until_shown
from rcmd_tui.app import RcmdApp, make_app
from rcmd_tui.config import Profile
from rcmd_tui.data.crypto.columns import column
from rcmd_tui.data.crypto.decrypt import Plain
from rcmd_tui.data.demo.people import _BUSY_RCMD_USERS, PEOPLE
from rcmd_tui.data.demo.scale import SCALES
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.filters import NO_FILTER, Filter, compile_filter
from rcmd_tui.data.lists.keyset import _select_list as select_list
from rcmd_tui.data.lists.keyset import offset_query, page_query
from rcmd_tui.data.lists.sources import PAGE_SIZE
from rcmd_tui.data.lists.spec import BOTH, ListSpec
from rcmd_tui.data.ordersync.lookup import email_hash
from rcmd_tui.data.ordersync.views import ORDERSYNC_AUDIT
from rcmd_tui.data.rcmd.views import RCMD_AUDIT
from rcmd_tui.data.timeline.person import _OS_BY_HASH, _RCMD_BY_NAME, Person, find_person
from rcmd_tui.data.timeline.source import sort_key, stream_query
from rcmd_tui.data.timeline.streams import FIELDS, STREAMS, Stream
from rcmd_tui.data.timeline.views import TIMELINE
from rcmd_tui.screens.command_prompt import CommandPrompt
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.widgets.paged_table import PagedTable

TARGET_MS = 100.0
TIMELINE_TARGET_MS = 150.0
REPEAT = 9
NAIVE_REPEAT = 3
SETTLE_S = 0.1  # a person's key press never comes within a frame of the previous one
MONTHS_BACK = timedelta(days=182)
VERBOSE = False

SPECS = {"rcmd": RCMD_AUDIT, "ordersync": ORDERSYNC_AUDIT}
SCREENS = {"rcmd": "audit", "ordersync": "audit os"}
LABELS = {"rcmd": "RCMD", "ordersync": "OrderSync", BOTH: "Both"}


# -- queries ------------------------------------------------------------------------------------------------------

Query = tuple[sql.Composed, list[Any]]
Part = tuple[str, Query]  # a query and the system it runs on
Conns = Mapping[str, psycopg.Connection[Any]]


def on(system: str, *queries: Query) -> tuple[Part, ...]:
    return tuple((system, q) for q in queries)


def count_query(spec: ListSpec, flt: Filter) -> Query:
    """The exact count a naive list shows above its rows."""
    return sql.SQL("SELECT count(*) FROM {} WHERE {}").format(sql.Identifier(spec.table), flt.where), list(flt.params)


def naive_page(spec: ListSpec, flt: Filter) -> Query:
    return offset_query(spec, spec.ordering(), flt, 0, PAGE_SIZE)


def bare_page(spec: ListSpec, flt: Filter) -> Query:
    """The console's own first page for ``flt``: one more row than a page, as KeysetSource asks."""
    return page_query(spec, spec.ordering(), flt, None, PAGE_SIZE + 1)


def unpruned_day(day: date) -> Filter:
    """One day written on the column, not as a range of it: neither partition pruning nor an index applies."""
    return Filter(f"day={day}", sql.SQL("(created_at AT TIME ZONE 'UTC')::date = %s"), (day,))


def _median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000


def timed(conns: Conns, queries: Sequence[Part], repeat: int) -> float:
    """Each query's median over ``repeat`` runs on its system, added up (ms)."""
    total = 0.0
    for system, (query, params) in queries:
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            conns[system].execute(query, params).fetchall()
            samples.append(time.perf_counter() - started)
        total += _median_ms(samples)
    return total


# -- console actions ----------------------------------------------------------------------------------------------


class ListAction:
    """A key press on a list screen whose answer is rows painted in its PagedTable."""

    def table(self, app: RcmdApp) -> PagedTable:
        return app.screen.query_one(PagedTable)

    async def prepare(self, pilot: Pilot[Any], app: RcmdApp) -> None:
        """What comes before the timed key (not timed)."""

    async def press(self, pilot: Pilot[Any], app: RcmdApp) -> None:
        raise NotImplementedError

    def mark(self, app: RcmdApp) -> int:
        return self.table(app).shown_count

    async def painted(self, app: RcmdApp, mark: int, started: float) -> float:
        return await until_shown(self.table(app), mark, started, limit_s=60)

    def shown_ids(self, app: RcmdApp) -> list[str]:
        return [str(r.get("id")) for r in self.table(app).shown_records]


@dataclass(frozen=True)
class Refresh(ListAction):
    """``r``: the first page read again."""

    async def press(self, pilot: Pilot[Any], app: RcmdApp) -> None:
        await pilot.press("r")


@dataclass(frozen=True)
class FilterTo(ListAction):
    """The unfiltered list first (ctrl+l, so every sample filters anew), ``/`` and the filter typed; timed: Enter."""

    text: str

    async def prepare(self, pilot: Pilot[Any], app: RcmdApp) -> None:
        table = self.table(app)
        before = table.shown_count
        await pilot.press("ctrl+l")
        await until_shown(table, before, 0, limit_s=60)
        await pilot.press("slash", "ctrl+u", *self.text)

    async def press(self, pilot: Pilot[Any], app: RcmdApp) -> None:
        await pilot.press("enter")


def _on_timeline(app: RcmdApp) -> bool:
    return isinstance(app.screen, ListScreen) and app.screen.spec.key == TIMELINE.key


def _timeline_table(app: RcmdApp) -> PagedTable | None:
    """The table of the timeline screen on top, once it is composed."""
    if not _on_timeline(app):
        return None
    tables = app.screen.query(PagedTable)
    return tables.first() if tables else None


@dataclass(frozen=True)
class TimelineOpen(ListAction):
    """From the prompt: ``:`` and ``timeline <who>`` typed (untimed; a timeline opened by the previous sample is
    left first, with Esc); timed: Enter, to the first paint of rows on the timeline's new screen."""

    text: str  # what follows ':', e.g. "timeline kim"

    async def prepare(self, pilot: Pilot[Any], app: RcmdApp) -> None:
        if _on_timeline(app):
            await pilot.press("escape")
            await self._until(lambda: not _on_timeline(app), "Esc did not leave the timeline")
        await pilot.press("colon")
        await self._until(lambda: isinstance(app.screen, CommandPrompt), "':' opened no prompt")
        await pilot.press(*self.text)
        box = app.screen.query_one("#prompt-input")
        await self._until(lambda: getattr(box, "value", None) == self.text, f"the prompt does not read {self.text!r}")

    @staticmethod
    async def _until(done: Any, what: str, limit_s: float = 10) -> None:
        deadline = time.perf_counter() + limit_s
        while not done():
            if time.perf_counter() > deadline:
                raise TimeoutError(what)
            await asyncio.sleep(0.001)

    async def press(self, pilot: Pilot[Any], app: RcmdApp) -> None:
        await pilot.press("enter")

    def mark(self, app: RcmdApp) -> int:
        return 0  # the rows come on a new screen, in a new table

    async def painted(self, app: RcmdApp, mark: int, started: float, limit_s: float = 60) -> float:
        """The time from ``started`` to the first paint of the timeline's table that showed rows (s)."""
        deadline = time.perf_counter() + limit_s
        seen = 0
        while True:
            table = _timeline_table(app)
            if table is not None and table.shown_count != seen:
                seen = table.shown_count
                if table.shown_records:  # this paint showed rows (not an empty table drawn before them)
                    return table.paints[-1] - started
            if time.perf_counter() > deadline:
                raise TimeoutError(f"the timeline painted no rows within {limit_s:g} s")
            await asyncio.sleep(0.0005)

    def shown_ids(self, app: RcmdApp) -> list[str]:
        table = _timeline_table(app)
        return [] if table is None else [timeline_id(r.get("rank"), r.get("row_id")) for r in table.shown_records]


# -- steps --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    system: str
    screen: str  # what follows ':' to reach the screen the step runs on
    name: str
    action: ListAction
    bare: tuple[Part, ...]  # the console's own SQL for the step
    naive: tuple[Part, ...]  # what a naive list runs for the same rows (times added up)
    naive_what: str
    target_ms: float = TARGET_MS
    expect_ids: tuple[str, ...] = ()  # the bare query's first rows, to check the console's


@dataclass
class Facts:
    """What the steps of one system look for, read from its data before timing."""

    rows: int
    newest: datetime
    day: date
    user_id: str
    user_rows: int
    user_text: str  # what support types after user=
    trace: str | None = None


def read_facts(system: str, conn: psycopg.Connection[Any], profile: Profile) -> Facts:
    conn.execute("ANALYZE audit_logs")
    conn.execute("ANALYZE users")
    rows = conn.execute("SELECT count(*) FROM audit_logs").fetchone()[0]  # type: ignore[index]
    newest = conn.execute("SELECT max(created_at) FROM audit_logs").fetchone()[0]  # type: ignore[index]
    day = (newest - MONTHS_BACK).date()
    user_id, user_rows = conn.execute("SELECT user_id, count(*) FROM audit_logs WHERE user_id IS NOT NULL "
                                      "GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1").fetchone()  # type: ignore[misc]
    if system == "rcmd":
        user_text = conn.execute("SELECT username FROM users WHERE id = %s", [user_id]).fetchone()[0]  # type: ignore[index]
        return Facts(rows, newest, day, str(user_id), user_rows, str(user_text))
    text, key_id = conn.execute("SELECT email_encrypted, email_key_id FROM users WHERE id = %s",
                                [user_id]).fetchone()  # type: ignore[misc]
    email = asyncio.run(_email(profile, user_id, text, key_id))
    start = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    trace = conn.execute("SELECT trace_id FROM audit_logs WHERE created_at >= %s ORDER BY created_at LIMIT 1",
                         [start]).fetchone()[0]  # type: ignore[index]
    return Facts(rows, newest, day, str(user_id), user_rows, email, str(trace))


async def _email(profile: Profile, user_id: Any, text: str, key_id: str) -> str:
    services = Services(profile, read_only=True)
    await services.open()
    try:
        decryptor = await services.decryptor("ordersync")
        email = decryptor.field(column("users", "email"), text, key_id, user_id)
        if not isinstance(email, Plain):
            raise RuntimeError(f"the busiest user's e-mail did not decrypt: {email!r}")
        return email.text
    finally:
        await services.close()


def steps(system: str, facts: Facts) -> list[Step]:
    spec, screen = SPECS[system], SCREENS[system]
    one_user = compile_filter(spec, f"user={facts.user_text}")
    between = f"between:{facts.day}..{facts.day + timedelta(days=1)}"
    found = [
        Step(system, screen, "first page", Refresh(), on(system, bare_page(spec, NO_FILTER)),
             on(system, naive_page(spec, NO_FILTER), count_query(spec, NO_FILTER)), "OFFSET 0 + count(*)"),
        Step(system, screen, "one user", FilterTo(f"user={facts.user_text}"), on(system, bare_page(spec, one_user)),
             on(system, naive_page(spec, one_user), count_query(spec, one_user)), "OFFSET 0 + count(*)"),
        Step(system, screen, "one day, 6 months back", FilterTo(between), on(system, bare_page(spec, compile_filter(spec, between))),
             on(system, naive_page(spec, unpruned_day(facts.day))), "day on the column, unpruned"),
    ]
    if facts.trace is not None:
        trace = f"trace={facts.trace}"
        found.append(Step(system, screen, "trace id", FilterTo(trace), on(system, bare_page(spec, compile_filter(spec, trace))),
                          on(system, naive_page(spec, compile_filter(spec, f"trace~{facts.trace}"))), "trace~id, unindexed"))
    return found


def with_expected(conns: Conns, step: Step) -> Step:
    """The step with the ids its bare query's first page holds, which the console must show too."""
    spec = SPECS[step.system]
    at = select_list(spec)[1].index("id")
    system, (query, params) = step.bare[0]
    rows = conns[system].execute(query, params).fetchall()
    if not rows:
        raise RuntimeError(f"{step.system} {step.name}: the bare query finds no row; the step would time nothing")
    return dataclasses.replace(step, expect_ids=tuple(str(r[at]) for r in rows[:PAGE_SIZE]))


# -- the timeline (both systems) -------------------------------------------------------------------------------------


def timeline_id(rank: Any, row_id: Any) -> str:
    """A timeline row's identity (its stream's rank and its row id), as text."""
    return f"{rank}:{row_id}"


def _composed(text: str) -> sql.Composed:
    return sql.Composed([sql.SQL(text)])


def person_by_username(conns: Conns, username: str) -> tuple[Person, tuple[Part, ...]]:
    """What find_person finds for a username, by its own SQL run with psycopg; and that SQL (its look-up)."""
    by_name: Part = ("rcmd", (_composed(_RCMD_BY_NAME), [username]))
    rcmd = conns["rcmd"].execute(_RCMD_BY_NAME, [username]).fetchall()
    hashes = sorted({email_hash(str(email)) for _uid, _name, email in rcmd})
    by_hash: Part = ("ordersync", (_composed(_OS_BY_HASH), [hashes]))
    ordersync = conns["ordersync"].execute(_OS_BY_HASH, [hashes]).fetchall() if hashes else []
    person = Person(username, tuple(str(r[0]) for r in rcmd), tuple(str(r[0]) for r in ordersync),
                    tuple(sorted(set(hashes) | {str(r[1]) for r in ordersync})), tuple(sorted({str(r[1]) for r in rcmd})))
    return person, (by_name, by_hash) if hashes else (by_name,)


def person_streams(person: Person) -> dict[str, list[Stream]]:
    """The person's streams by system, as TimelineSource reads them (a stream the person has no ids for is left out)."""
    by_system: dict[str, list[Stream]] = {}
    for stream in STREAMS:
        if person.ids(stream.key):
            by_system.setdefault(stream.system, []).append(stream)
    return by_system


def timeline_pages(person: Person, flt: Filter) -> tuple[Part, ...]:
    """The console's first page: per system one UNION ALL of the person's streams, each keyset-limited to 101 rows."""
    found = []
    for system, streams in person_streams(person).items():
        parts = [stream_query(s, person, flt, None, True, False, PAGE_SIZE + 1) for s in streams]
        found.append((system, (sql.SQL(" UNION ALL ").join(q for q, _ in parts), [p for _, ps in parts for p in ps])))
    return tuple(found)


def naive_timeline(person: Person, flt: Filter) -> tuple[Part, ...]:
    """Per system: every stream's rows for the person in one UNION ALL, no limit per stream, sorted outside it,
    ``LIMIT 100 OFFSET 0``; and the ``count(*)`` of all of them."""
    found: list[Part] = []
    fields = sql.SQL(", ").join(sql.Identifier(f) for f in FIELDS)
    for system, streams in person_streams(person).items():
        union = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {} FROM ({}) AS s WHERE {}").format(fields, sql.SQL(s.select), flt.where) for s in streams)
        params = [p for s in streams for p in (list(person.ids(s.key)), *flt.params)]
        page = sql.SQL("SELECT * FROM ({}) AS t ORDER BY at DESC, rank DESC, row_id DESC LIMIT {} OFFSET 0").format(
            union, sql.Literal(PAGE_SIZE))
        found += [(system, (page, params)), (system, (sql.SQL("SELECT count(*) FROM ({}) AS t").format(union), params))]
    return tuple(found)


def stream_rows(conns: Conns, person: Person) -> dict[str, int]:
    """How many rows the person has in each stream ("rcmd audit": 309 …)."""
    counted = {}
    for system, streams in person_streams(person).items():
        for s in streams:
            query = sql.SQL("SELECT count(*) FROM ({}) AS s").format(sql.SQL(s.select))
            counted[f"{LABELS[system]} {s.kind}"] = conns[system].execute(query, [list(person.ids(s.key))]).fetchone()[0]  # type: ignore[index]
    return counted


def busy_person(conns: Conns) -> Person:
    """The RCMD user with the most audit rows (admins aside, as the demo links them) whose e-mail an OrderSync user
    has: the seeder's link_people gave RCMD's busiest users the e-mails of OrderSync's busiest customers."""
    for _uid, username in conns["rcmd"].execute(_BUSY_RCMD_USERS, [PEOPLE]).fetchall():
        person, _ = person_by_username(conns, str(username))
        if person.ordersync_ids:
            return person
    raise RuntimeError(f"none of RCMD's {PEOPLE} busiest users has an OrderSync user's e-mail: were the people linked "
                       "(seed_profile calls link_people when it seeds both systems)?")


async def _console_person(profile: Profile, text: str) -> Person:
    services = Services(profile, read_only=True)
    await services.open()
    try:
        return await find_person(services, text)
    finally:
        await services.close()


def timeline_step(conns: Conns, profile: Profile) -> tuple[Step, str]:
    """The timeline's first page for the busy person, with the bare merge's first rows; and a line about the person."""
    person = busy_person(conns)
    username = person.asked
    console_person = asyncio.run(_console_person(profile, username))
    differs = "" if console_person == person else f"; !! find_person finds another person: {console_person!r}"
    flt = compile_filter(TIMELINE, username)
    lookup = person_by_username(conns, username)[1]
    pages = timeline_pages(person, flt)
    rows = [r for system, (query, params) in pages for r in conns[system].execute(query, params).fetchall()]
    if not rows:
        raise RuntimeError(f"the timeline of {username!r} has no rows; the step would time nothing")
    rows.sort(key=sort_key, reverse=True)
    rank, row_id = FIELDS.index("rank"), FIELDS.index("row_id")
    expect = tuple(timeline_id(r[rank], r[row_id]) for r in rows[:PAGE_SIZE])
    step = Step(BOTH, SCREENS["ordersync"], "timeline, busy user", TimelineOpen(f"timeline {username}"),
                lookup + pages, lookup + naive_timeline(person, flt), "UNION ALL, OFFSET 0 + count(*)",
                target_ms=TIMELINE_TARGET_MS, expect_ids=expect)
    counted = stream_rows(conns, person)
    about = (f"Timeline: {username!r}, RCMD's busiest user with an OrderSync e-mail: {len(person.rcmd_ids)} RCMD user, "
             f"{len(person.ordersync_ids)} OrderSync; rows: " + ", ".join(f"{k} {n:,}" for k, n in counted.items())
             + f" ({sum(counted.values()):,} in all){differs}")
    return step, about


# -- the console ----------------------------------------------------------------------------------------------------


async def _go(pilot: Pilot[Any], app: RcmdApp, screen: str) -> None:
    await pilot.press("colon")
    await pilot.pause()
    await pilot.press(*screen, "enter")
    for _ in range(6000):
        await pilot.pause(0.01)
        tables = app.screen.query(PagedTable)
        if tables and tables.first().shown_count > 0:
            return
    raise TimeoutError(f":{screen} showed no rows within a minute")


async def console(profile: Profile, chosen: list[Step]) -> list[tuple[float, list[float], str]]:
    """Each step's median key-to-paint (ms), its samples, and a note if its rows differ from the bare query's."""
    app: RcmdApp = make_app(profile, read_only=True)
    results: list[tuple[float, list[float], str]] = []
    opened = time.perf_counter()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        if VERBOSE:
            print(f"  console up in {time.perf_counter() - opened:.1f} s", flush=True)
        screen = None
        for step in chosen:
            if step.screen != screen:
                await _go(pilot, app, step.screen)
                screen = step.screen
            samples = []
            began = time.perf_counter()
            for _ in range(REPEAT):
                await step.action.prepare(pilot, app)
                await asyncio.sleep(SETTLE_S)  # the press comes to an idle screen, as a person's does
                mark = step.action.mark(app)
                started = time.perf_counter()
                await step.action.press(pilot, app)
                samples.append(await step.action.painted(app, mark, started))
            shown = step.action.shown_ids(app)[: len(step.expect_ids)]
            note = "" if tuple(shown) == step.expect_ids else (
                f"the console shows other rows than the bare query ({len(shown)} shown, {len(step.expect_ids)} expected)")
            results.append((_median_ms(samples), [s * 1000 for s in samples], note))
            if VERBOSE:
                print(f"  {LABELS[step.system]}: {step.name}: {REPEAT} samples in {time.perf_counter() - began:.1f} s", flush=True)
    return results


# -- the run ---------------------------------------------------------------------------------------------------------


def run(profile: Profile, systems: Sequence[str] = ("rcmd", "ordersync")) -> None:
    chosen: list[Step] = []
    bare: list[float] = []
    naive: list[float] = []
    with contextlib.ExitStack() as stack:
        conns: dict[str, psycopg.Connection[Any]] = {}
        for system in systems:
            target = profile.rcmd if system == "rcmd" else profile.ordersync
            assert target is not None
            # No statement timeout: the naive scans are long.
            conns[system] = stack.enter_context(psycopg.connect(target.dsn, autocommit=True))
        for system in systems:
            started = time.perf_counter()
            facts = read_facts(system, conns[system], profile)
            print(f"{LABELS[system]} audit log: {facts.rows:,} rows, newest {facts.newest:%Y-%m-%d %H:%M}; busiest user "
                  f"{facts.user_id[:8]} ({facts.user_rows:,} rows, typed as {facts.user_text!r}); one day: {facts.day}"
                  + (f"; trace {facts.trace}" if facts.trace else "") + f"  [{time.perf_counter() - started:.0f} s]", flush=True)
            for made in steps(system, facts):
                step = with_expected(conns, made)
                chosen.append(step)
                bare.append(timed(conns, step.bare, REPEAT))
                naive.append(timed(conns, step.naive, NAIVE_REPEAT))
        if {"rcmd", "ordersync"} <= set(systems):
            started = time.perf_counter()
            for table in ("users", "sessions", "jobs"):
                conns["rcmd"].execute(f"ANALYZE {table}")
            for table in ("users", "user_sessions", "login_attempts", "orders"):
                conns["ordersync"].execute(f"ANALYZE {table}")
            step, about = timeline_step(conns, profile)
            print(about + f"  [{time.perf_counter() - started:.0f} s]", flush=True)
            chosen.append(step)
            bare.append(timed(conns, step.bare, REPEAT))
            naive.append(timed(conns, step.naive, NAIVE_REPEAT))
    started = time.perf_counter()
    ours = asyncio.run(console(profile, chosen))
    print(f"console: {len(chosen)} steps x {REPEAT} in {time.perf_counter() - started:.0f} s\n")
    print(f"Key to paint, median of {REPEAT} (goal: at most {TARGET_MS:.0f} ms; the timeline {TIMELINE_TARGET_MS:.0f} ms), "
          f"beside the bare query (median of {REPEAT}) and the naive one (median of {NAIVE_REPEAT})")
    head = f"  {'step':<34} {'console ms':>10} {'bare ms':>8} {'ratio':>6} {'naive ms':>9}  {'naive is':<30} verdict"
    print(head)
    for step, (mine, samples, note), floor, slow in zip(chosen, ours, bare, naive, strict=True):
        verdict = "PASS" if mine <= step.target_ms else "FAIL"
        print(f"  {LABELS[step.system] + ': ' + step.name:<34} {mine:>10.1f} {floor:>8.1f} {mine / floor:>5.1f}x "
              f"{slow:>9.1f}  {step.naive_what:<30} {verdict}" + (f"  !! {note}" if note else ""))
        if VERBOSE:
            print("    samples (ms):", " ".join(f"{s:.1f}" for s in samples))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=tuple(SCALES), default="large", help="demo data scale (small for a quick check)")
    parser.add_argument("--samples", action="store_true", help="print every sample, not only the median")
    args = parser.parse_args()
    global VERBOSE  # noqa: PLW0603 - a switch for this script's own output
    VERBOSE = args.samples
    from bench.seed_bench import large_servers

    began = time.perf_counter()
    print(f"audit bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: seeding RCMD and OrderSync at the {args.scale} scale "
          "in throwaway servers ...", flush=True)
    with large_servers(systems=("rcmd", "ordersync"), scale=args.scale) as profile:
        print(f"  seeded in {time.perf_counter() - began:.0f} s", flush=True)
        run(profile)
    print(f"\ntotal {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
