"""Whatever a person types into a filter or a jump ends in rows or in a message naming what failed, never in
another exception (an OverflowError from ``100000y`` once killed the console)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcmd_tui.data.lists.catalog import all_views
from rcmd_tui.data.lists.filters import FilterError, compile_filter, jump_moment

VIEWS = all_views()
PIECES = st.sampled_from(["since:", "until:", "between:", "=", "!=", "~", ">", "<", ">=", "<=", ":", "..", " ", "-",
                          "100000y", "999999999999d", "99999999999999999999999", "-1", "0", "2026-13-45", "1e309",
                          "nan", "inf", "\x1b[2J", "\u202e", "'", '"', "\\", "%", "_", "*", "\x00", "ｓｉｎｃｅ"])


def _texts() -> st.SearchStrategy[str]:
    fields = st.sampled_from(sorted({f.name for v in VIEWS for f in v.filters} | {"user", "nosuchfield"}))
    return st.lists(st.one_of(PIECES, fields, st.text(max_size=12)), max_size=8).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(view=st.sampled_from(VIEWS), text=_texts())
def test_a_filter_compiles_or_says_why(view: object, text: str) -> None:
    try:
        compile_filter(view, text)  # type: ignore[arg-type]
    except FilterError as exc:
        assert exc.message and exc.hint


@settings(max_examples=300, deadline=None)
@given(text=_texts(), descending=st.booleans())
def test_a_jump_lands_or_says_why(text: str, descending: bool) -> None:
    try:
        jump_moment(text, descending)
    except FilterError as exc:  # JumpError is one
        assert exc.message and exc.hint


@pytest.mark.parametrize("number", ["99999999999999999999999", "-9223372036854775809", "9223372036854775808"])
def test_a_whole_number_beyond_bigint_is_an_input_error_not_a_numeric_bind(number: str) -> None:
    audit = next(v for v in VIEWS if v.key == "audit" and v.system == "rcmd")
    with pytest.raises(FilterError, match="out of range"):
        compile_filter(audit, f"id={number}")
    assert compile_filter(audit, "id=9223372036854775807").params
