"""Issue 16, one person's timeline: RCMD and OrderSync audit rows, sessions, login attempts, jobs and orders of the
same person (matched by e-mail: RCMD's plain address, OrderSync's hash), merged newest first and paged by keyset
across the sources, against real servers."""

from __future__ import annotations

import io
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from rcmd_tui.app import make_app
from rcmd_tui.config import Profile
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.filters import FilterError, compile_filter
from rcmd_tui.data.lists.report import report
from rcmd_tui.data.timeline.views import TIMELINE
from tests.helpers import open_console
from tests.orderdata import CUSTOMER, CUSTOMER_EMAIL, order_id
from tests.terminal import console_in_terminal
from tests.timelinedata import RCMD_NAME, RCMD_USER, expected, plant_person


def _key(record: Any) -> tuple[Any, ...]:
    return (record.get("at"), record.get("rank"), record.get("row_id"))


async def _all_pages(services: Services, who: str, page_size: int) -> list[Any]:
    source = open_source(TIMELINE, services, None, compile_filter(TIMELINE, who), page_size=page_size)
    page = await source.first()
    pages = [page]
    while page.more_after:
        page = await source.after(page.records[-1])
        pages.append(page)
    # Back again from the last page: the same pages, in reverse.
    back = [pages[-1]]
    while back[-1].more_before:
        back.append(await source.before(back[-1].records[0]))
    assert [[_key(r) for r in p.records] for p in reversed(back)] == [[_key(r) for r in p.records] for p in pages]
    return [r for p in pages for r in p.records]


async def test_the_timeline_merges_every_source_of_both_systems_in_order_and_pages_by_keyset(seeded: Profile) -> None:
    plant_person(seeded)
    want = expected(seeded)
    services = Services(seeded, read_only=True)
    await services.open()
    try:
        for page_size in (100, 4, 1):  # one page; pages that cut through moments shared by several sources
            rows = await _all_pages(services, CUSTOMER_EMAIL, page_size)
            assert [(r.get("at"), r.get("rank"), r.get("row_id")) for r in rows] == want
        kinds = {(r.get("system"), r.get("kind")) for r in rows}
        assert kinds == {("rcmd", "audit"), ("rcmd", "session"), ("rcmd", "job"), ("os", "audit"),
                         ("os", "session"), ("os", "login"), ("os", "order")}
        ties = [k for k in {r.get("at") for r in rows} if len({r.get("system") for r in rows if r.get("at") == k}) > 1]
        assert ties  # the planted data has moments both systems share
        # Every way of naming the person finds the same rows: RCMD's username (any case), either system's id.
        for who in (RCMD_NAME.upper(), RCMD_USER, CUSTOMER, CUSTOMER_EMAIL.upper()):
            assert [_key(r) for r in await _all_pages(services, who, 50)] == [_key(r) for r in rows], who
        # A filter narrows every source; a jump starts at a moment.
        source = open_source(TIMELINE, services, None, compile_filter(TIMELINE, f"{RCMD_NAME} kind=order system=os"))
        orders = (await source.first()).records
        assert [str(r.get("order_id")) for r in orders] == [order_id(n) for n in (0, 1, 3, 5)]
        source = open_source(TIMELINE, services, None, compile_filter(TIMELINE, RCMD_NAME))
        moment = rows[len(rows) // 2].get("at")
        assert all(r.get("at") <= moment for r in (await source.at(moment)).records)
        assert (await source.estimate()).rows == len(want)
        assert (await source.rows_before(rows[5])) == (5, True)
    finally:
        await services.close()


async def test_nobody_and_more_than_one_person_say_what_to_type(seeded: Profile) -> None:
    plant_person(seeded)
    services = Services(seeded, read_only=True)
    await services.open()
    try:
        for who, said in (("", "type / and a person"), ("nobody-here", "nobody is 'nobody-here'"),
                          (str(uuid.UUID(int=5)), "nobody is")):
            source = open_source(TIMELINE, services, None, compile_filter(TIMELINE, who))
            assert (await source.first()).records == ()
            assert said in (await source.why_empty() or "")
        # Attempts at an address nobody has still show: login attempts carry the hash of what was typed.
        source = open_source(TIMELINE, services, None, compile_filter(TIMELINE, "stranger@example.com"))
        assert (await source.first()).records == ()
    finally:
        await services.close()
    with pytest.raises(FilterError, match="one person, not 2 words"):
        compile_filter(TIMELINE, "kim lee")


async def test_timeline_from_the_prompt_opens_a_row_in_its_own_list(seeded: Profile) -> None:
    plant_person(seeded)
    async with open_console(seeded) as c:
        await c.press("colon", *f"timeline {RCMD_NAME}", "enter")
        await c.settle()
        assert c.screen.spec.key == "timeline"  # type: ignore[attr-defined]
        rows = c.table.window
        assert rows and "RCMD minji · OS 1 user" in c.screen.source.note  # type: ignore[attr-defined]
        for kind, key, view, lead in (("order", "o", "orders", "order_id"), ("login", "l", "logins", "login_id")):
            at = next(i for i, r in enumerate(rows) if r.get("kind") == kind)
            await c.press("home", *["down"] * at, "enter")
            await c.settle()
            await c.press(key)  # the row's own list, filtered to it
            await c.settle()
            assert c.screen.spec.key == view  # type: ignore[attr-defined]
            assert [str(r.get("id")) for r in c.table.window] == [str(rows[at].get(lead))]
            await c.press("escape", "escape")
            await c.settle()


async def test_a_bad_filter_typed_at_the_prompt_is_said_and_the_list_opens(seeded: Profile) -> None:
    plant_person(seeded)
    async with open_console(seeded) as c:
        await c.press("colon", *"timeline kim lee", "enter")
        await c.settle()
        assert c.screen.spec.key == "timeline"  # type: ignore[attr-defined]
        assert any("one person, not 2 words" in str(n.message) for n in c.app._notifications)
        # A wrong part drops only itself: the person stays, and so does what else holds.
        await c.press("colon", *f"timeline {RCMD_NAME} kind=bogus since:soon system=rcmd", "enter")
        await c.settle()
        assert c.screen.filter.text == f"{RCMD_NAME} system=rcmd"  # type: ignore[attr-defined]
        assert c.table.window and all(r.get("system") == "rcmd" for r in c.table.window)
        said = [str(n.message) for n in c.app._notifications]
        assert any("kind=bogus" in m and f"opened with {RCMD_NAME} system=rcmd only" in m for m in said), said
        await c.press("colon", *"audit bogus=1", "enter")
        await c.settle()
        assert c.screen.spec.key == "audit" and c.table.window  # type: ignore[attr-defined]


async def test_the_timeline_is_a_report(seeded: Profile) -> None:
    plant_person(seeded)
    services = Services(seeded, read_only=True)
    await services.open()
    try:
        out = io.StringIO()
        written, cut = await report(services, TIMELINE, CUSTOMER_EMAIL, "csv", 0, out)
        assert written == len(expected(seeded)) and not cut
        assert out.getvalue().splitlines()[0] == "Time (UTC),Sys,Kind,What,Result,Ref"
        assert "order 25,300" in out.getvalue() or "order " in out.getvalue()
    finally:
        await services.close()


def test_the_timeline_at_80x24(snap_compare: Any, seeded: Profile) -> None:
    plant_person(seeded)

    async def run_before(pilot: Pilot[Any]) -> None:
        pilot.app.services.where = lambda _target: "127.0.0.1:5432/demo"  # type: ignore[attr-defined]
        await pilot.pause(0.3)
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*f"timeline {CUSTOMER_EMAIL}", "enter")
        await pilot.pause(1.0)

    assert snap_compare(make_app(replace(seeded, name="snapshot")), terminal_size=(80, 24), run_before=run_before)


def test_the_timeline_in_a_terminal_at_80x24(seeded: Profile, tmp_path: Path) -> None:
    plant_person(seeded)
    with console_in_terminal(seeded, tmp_path, columns=80, lines=24) as term:
        term.wait_for("rcmd-tui │")
        term.press(":")
        term.send(f"timeline {CUSTOMER_EMAIL}".encode())
        assert CUSTOMER_EMAIL in term.text()  # what is typed is seen while typing
        term.send(b"\r")
        term.wait_for("order ")
        screen = term.text()
        assert "RCMD" in screen or "rcmd" in screen
        assert "login failed" in screen and "session opened" in screen and "LOGIN" in screen
        assert str(CUSTOMER) not in screen
        status = next(line for line in term.screen.display if "row " in line and "of " in line)
        assert f"RCMD {RCMD_NAME} · OS 1 user" in status, status  # whom it found, before the filter that may be cut
        term.press(":")
        term.send(f"timeline {RCMD_NAME} kind=login\r".encode())
        term.wait_for("filter minji kind=login")
        term.press("enter")
        term.wait_for("Kind: login")
        assert "l  Login attempts" in term.line(23), term.text()  # where the row leads, in the key line at 80 columns


async def test_an_audit_row_leads_to_its_user_and_their_timeline(seeded: Profile) -> None:
    plant_person(seeded)
    async with open_console(seeded) as c:
        for screen, found in (("audit", f"RCMD {RCMD_NAME}"), ("audit os", "OS 1 user")):
            who = RCMD_NAME if screen == "audit" else CUSTOMER_EMAIL
            await c.press("colon", *f"{screen} user={who}", "enter")
            await c.settle()
            assert c.table.window, screen
            user_id = str(c.table.window[0].get("user_id"))
            await c.press("enter")
            await c.settle()
            await c.press("T")  # who acted, across both systems
            await c.settle()
            assert c.screen.spec.key == "timeline", screen  # type: ignore[attr-defined]
            assert c.screen.filter.text == user_id and found in c.screen.source.note  # type: ignore[attr-defined]
            await c.press("escape")
            await c.settle()
            await c.press("u")  # the user's own row
            await c.settle()
            assert c.screen.spec.key == "users" and [str(r.get("id")) for r in c.table.window] == [user_id]  # type: ignore[attr-defined]
            await c.press("escape", "escape", "escape")
            await c.settle()
