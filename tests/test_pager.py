"""Keyset paging and filters against a real PostgreSQL: every row once, in order, across page boundaries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.filters import FilterError, compile_filter
from rcmd_tui.data.lists.keyset import KeysetSource
from rcmd_tui.data.rcmd.views import RCMD_AUDIT, RCMD_USERS
from tests.listdata import T0, user_id


async def _all(services: Services, where: str = "TRUE", params: tuple[object, ...] = (), desc: bool = True) -> list[int]:
    order = "DESC" if desc else "ASC"
    async with services.reader("rcmd").connection() as conn:
        cur = await conn.execute(f"SELECT id FROM audit_logs WHERE {where} ORDER BY created_at {order}, id {order}", params)
        return [r[0] for r in await cur.fetchall()]


async def test_forward_then_backward_visits_every_row_once_in_order(services: Services) -> None:
    pager = KeysetSource(services, RCMD_AUDIT, page_size=40)
    page = await pager.first()
    seen = [r.get("id") for r in page.records]
    assert not page.more_before and page.more_after
    pages = [page]
    while page.more_after:
        page = await pager.after(page.records[-1])
        pages.append(page)
        seen += [r.get("id") for r in page.records]
    assert seen == await _all(services)
    assert len(pages) == 7  # 250 rows / 40
    back = await pager.before(pages[3].records[0])
    assert [r.get("id") for r in back.records] == [r.get("id") for r in pages[2].records]
    assert back.more_before
    first = await pager.before(pages[1].records[0])
    assert not first.more_before and [r.get("id") for r in first.records] == [r.get("id") for r in pages[0].records]


async def test_oldest_first_and_jump_to_a_time(services: Services) -> None:
    pager = KeysetSource(services, RCMD_AUDIT, RCMD_AUDIT.ordering("oldest"), page_size=50)
    page = await pager.first()
    assert [r.get("id") for r in page.records] == (await _all(services, desc=False))[:50]
    newest = KeysetSource(services, RCMD_AUDIT, page_size=10)
    jumped = await newest.at(T0 - timedelta(minutes=100, seconds=30))
    assert jumped.records[0].get("created_at") <= T0 - timedelta(minutes=100, seconds=30)
    expected = await _all(services, "created_at <= %s", (T0 - timedelta(minutes=100, seconds=30),))
    assert [r.get("id") for r in jumped.records] == expected[:10]
    earlier = await newest.before(jumped.records[0])
    assert earlier.records[-1].get("created_at") > jumped.records[0].get("created_at")


async def test_filters_compile_to_bound_parameters_and_select_the_right_rows(services: Services) -> None:
    by_name = compile_filter(RCMD_AUDIT, "user=bob action=LOGIN")
    assert "bob" in by_name.params and "bob" not in str(by_name.where)
    rows = await _all(services, "user_id = %s AND action = 'LOGIN'", (user_id(1),))
    pager = KeysetSource(services, RCMD_AUDIT, flt=by_name, page_size=500)
    assert [r.get("id") for r in (await pager.first()).records] == rows
    by_id = KeysetSource(services, RCMD_AUDIT, flt=compile_filter(RCMD_AUDIT, f"user={user_id(1)} action=LOGIN"), page_size=500)
    assert [r.get("id") for r in (await by_id.first()).records] == rows
    failed = KeysetSource(services, RCMD_AUDIT, flt=compile_filter(RCMD_AUDIT, "status:failed since:2h", now=T0), page_size=500)
    got = (await failed.first()).records
    assert got and all(r.get("result") in ("failure", "error") for r in got)
    net = KeysetSource(services, RCMD_AUDIT, flt=compile_filter(RCMD_AUDIT, "ip=10.0.3.0/24 details~'row 1'"), page_size=500)
    assert {r.get("id") for r in (await net.first()).records} == set(
        await _all(services, "ip_address <<= '10.0.3.0/24' AND details::text ILIKE '%%row 1%%'"))
    between = compile_filter(RCMD_AUDIT, f"between:{(T0 - timedelta(minutes=30)).isoformat()}..{T0.isoformat()} free words")
    assert between.words == ("free", "words")
    assert len((await KeysetSource(services, RCMD_AUDIT, flt=between, page_size=500).first()).records) == len(
        await _all(services, "created_at >= %s AND created_at < %s", (T0 - timedelta(minutes=30), T0)))
    literal = KeysetSource(services, RCMD_AUDIT, flt=compile_filter(RCMD_AUDIT, "details~100%_x"), page_size=5)
    assert (await literal.first()).records == ()  # % and _ are matched literally


async def test_estimates_and_exact_counts(services: Services) -> None:
    pager = KeysetSource(services, RCMD_AUDIT)
    estimate = await pager.estimate()
    assert not estimate.exact and 200 <= estimate.rows <= 300 and estimate.source == "planner statistics"
    assert (await pager.exact_count()).rows == 250
    filtered = KeysetSource(services, RCMD_AUDIT, flt=compile_filter(RCMD_AUDIT, "user=alice"))
    assert 0 < (await filtered.estimate()).rows <= 250
    assert (await filtered.exact_count()).rows == len(await _all(services, "user_id = %s", (user_id(0),)))


async def test_single_column_ordering_pages_users(services: Services) -> None:
    pager = KeysetSource(services, RCMD_USERS, page_size=2)
    first = await pager.first()
    assert [r.get("username") for r in first.records] == ["alice", "bob"] and first.more_after
    second = await pager.after(first.records[-1])
    assert [r.get("username") for r in second.records] == ["carol"] and not second.more_after


@pytest.mark.parametrize(("text", "message"), [
    ("nosuch=1", "this list has no field 'nosuch'"),
    ("since:2x", "'2x' is not a time"),
    ("result=maybe", "'maybe' is not a result"),
    ("id=abc", "'abc' is not a whole number"),
    ("ip=300.1.1.1", "is not an IP address or network"),
    ("status:odd", "unknown status"),
    ("between:2026-01-01", "expected two times joined by .."),
    ('action="LOGIN', "a quote is not closed"),
    ("id~3", "id is not text"),
    ("action>b", "action cannot be compared with >"),
    ("color:red", "this list has no color:"),
])
def test_bad_filters_name_the_problem_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(FilterError) as info:
        compile_filter(RCMD_AUDIT, text)
    assert message in info.value.message and info.value.hint
