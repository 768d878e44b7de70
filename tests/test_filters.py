"""The filter language as a person types it: empty values named, case folded where a column has few values,
column headings accepted as field names, dates in a jump meaning the whole day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.filters import FilterError, JumpError, compile_filter, compile_what_holds, jump_moment
from rcmd_tui.data.lists.keyset import KeysetSource
from rcmd_tui.data.ordersync.views import ORDERSYNC_AUDIT
from rcmd_tui.data.rcmd.views import RCMD_AUDIT, RCMD_USERS


@pytest.mark.parametrize("text", ["user=", "action=", "action!=", "id>", "ip~"])
def test_a_field_with_no_value_is_named(text: str) -> None:
    with pytest.raises(FilterError) as caught:
        compile_filter(RCMD_AUDIT, text)
    name = text.rstrip("=!<>~")
    assert f"{name} needs a value" in caught.value.message and caught.value.hint.startswith("type ")


def test_column_headings_are_field_names_and_enum_values_ignore_case() -> None:
    assert compile_filter(ORDERSYNC_AUDIT, "ok=false").params == compile_filter(ORDERSYNC_AUDIT, "success=false").params
    assert compile_filter(RCMD_AUDIT, "result=FAILURE").params == ("failure",)
    assert compile_filter(RCMD_USERS, "role=Admin").params == ("admin",)
    with pytest.raises(FilterError, match="not a result"):
        compile_filter(RCMD_AUDIT, "result=maybe")


def test_a_bare_date_in_a_jump_means_that_whole_day() -> None:
    assert jump_moment("2026-11-01", descending=True) == datetime(2026, 11, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert jump_moment("2026-11-01", descending=False) == datetime(2026, 11, 1, tzinfo=UTC)
    assert jump_moment("2026-11-01 13:30", descending=True) == datetime(2026, 11, 1, 13, 30, tzinfo=UTC)
    with pytest.raises(JumpError, match="not a time"):
        jump_moment("banana", descending=True)
    for far in ("100000y", "999999999999d"):
        with pytest.raises(JumpError, match="too far back"):
            jump_moment(far, descending=True)
    for typed in ("since:100000y", "until:999999999999d", "between:100000y..1d"):
        with pytest.raises(FilterError, match="too far back"):
            compile_filter(RCMD_AUDIT, typed)


async def test_lower_case_finds_upper_case_values_through_the_index(services: Services) -> None:
    upper = await KeysetSource(services, RCMD_AUDIT, flt=compile_filter(RCMD_AUDIT, "action=LOGIN")).first()
    lower = await KeysetSource(services, RCMD_AUDIT, flt=compile_filter(RCMD_AUDIT, "action=login")).first()
    assert upper.records and [r.get("id") for r in lower.records] == [r.get("id") for r in upper.records]
    others = await KeysetSource(services, RCMD_AUDIT, flt=compile_filter(RCMD_AUDIT, "action!=login")).first()
    assert others.records and all(r.get("action") != "LOGIN" for r in others.records)


async def test_a_name_that_matches_nobody_is_the_reason_given_for_no_rows(services: Services) -> None:
    nobody = KeysetSource(services, RCMD_AUDIT, flt=compile_filter(RCMD_AUDIT, "user=nobody.here"))
    assert not (await nobody.first()).records
    assert await nobody.why_empty() == "no user 'nobody.here': check the spelling (or give the id)"
    bob = KeysetSource(services, RCMD_AUDIT, flt=compile_filter(RCMD_AUDIT, "user=bob action=nothing.like.this"))
    assert not (await bob.first()).records and await bob.why_empty() is None


def test_a_time_word_or_field_with_a_colon_and_nothing_after_names_what_is_missing() -> None:
    for typed, said in (("since:", "since: needs a time after the colon"), ("result:", "result: needs a value"),
                        ("status:", "status: needs a value"), ("user:", "user: needs a value")):
        with pytest.raises(FilterError, match=said):
            compile_filter(RCMD_AUDIT, typed)
    with pytest.raises(FilterError, match=r"^since:2026-02-30: '2026-02-30' is not a time"):
        compile_filter(RCMD_AUDIT, "since:2026-02-30")  # the term named, as for every other field


def test_what_holds_of_a_filter_typed_at_the_prompt_is_kept() -> None:
    kept, error = compile_what_holds(RCMD_AUDIT, "user=bob colour=red status:failed")
    assert kept.text == "user=bob status:failed" and error is not None and "colour" in str(error)
    # Every part holds alone, only their sum fails: no part can be trusted to mean what was meant.
    for text in ("action = LOGIN", "user= bob"):
        kept, error = compile_what_holds(RCMD_AUDIT, text)
        assert kept.text == "" and error is not None
    kept, error = compile_what_holds(RCMD_AUDIT, 'action="LOGIN')  # a quote not closed
    assert kept.text == "" and error is not None
    assert compile_what_holds(RCMD_AUDIT, "status:failed")[1] is None
