"""The access check: what docs/permissions.md promises, by example and as properties over generated rules."""

from __future__ import annotations

import doctest
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rcmd_tui.data.rcmd.access import (
    ACTIONS,
    Action,
    Decision,
    Grant,
    PathRule,
    decide_access,
    deciding_rule,
    normalise_path,
    rule_matches,
    specificity,
)

DOC = Path(__file__).parent.parent / "docs" / "permissions.md"
SEED_RULES = (PathRule("/public/*", allow=("read",)), PathRule("/private/*", allow=("read", "write"), deny=("delete",)))


def _answer(grant: Grant, path: str, action: Action) -> tuple[bool, str]:
    d = decide_access(grant, path, action)
    return d.allowed, d.by


def test_the_documented_examples_hold() -> None:
    result = doctest.testfile(str(DOC), module_relative=False)
    assert result.attempted >= 20 and result.failed == 0


def test_the_seed_rules_grant_what_they_say_and_the_base_set_the_rest() -> None:
    row = Grant(("read",), SEED_RULES)
    assert _answer(row, "/private/hr/x.xlsx", "write") == (True, "rule")
    assert _answer(row, "/private/hr/x.xlsx", "delete") == (False, "rule")
    assert _answer(row, "/public/a", "read") == (True, "rule")
    assert _answer(row, "/public/a", "write") == (False, "base")  # the rule names only read
    assert _answer(row, "/elsewhere", "read") == (True, "base")


def test_a_star_rule_covers_the_contents_at_any_depth_but_not_the_folder_itself() -> None:
    assert rule_matches("/public/*", "/public/a") and rule_matches("/public/*", "/public/a/b/c")
    assert not rule_matches("/public/*", "/public") and not rule_matches("/public/*", "/public/")
    assert not rule_matches("/public/*", "/publications/a")
    assert rule_matches("/public", "/public") and rule_matches("/public/", "/public/a")
    assert not rule_matches("/public", "/publicity")


def test_a_star_never_crosses_a_slash_inside_a_pattern() -> None:
    assert rule_matches("/a/*/c", "/a/b/c") and rule_matches("/a/*/c", "/a/b/c/d")
    assert not rule_matches("/a/*/c", "/a/b/x/c")
    assert rule_matches("/a/**/c", "/a/b/c") and not rule_matches("/a/**/c", "/a/b/x/c")  # ** is two *
    assert rule_matches("/f?.txt", "/f1.txt") and not rule_matches("/f?.txt", "/f10.txt") and not rule_matches("/a?b", "/a/b")


def test_the_root_rule_covers_everything_and_a_root_star_everything_but_the_root() -> None:
    assert all(rule_matches("/", p) for p in ("/", "/a", "/a/b"))
    assert not rule_matches("/*", "/") and rule_matches("/*", "/a")


def test_brackets_and_regex_characters_are_literal_and_case_counts() -> None:
    assert rule_matches("/[ab]", "/[ab]/x") and not rule_matches("/[ab]", "/a")
    assert rule_matches("/a.b+(c)", "/a.b+(c)") and not rule_matches("/a.b", "/axb")
    assert not rule_matches("/Public/*", "/public/a")


def test_dot_dot_cannot_carry_a_path_out_of_one_rule_into_another() -> None:
    row = Grant((), (PathRule("/public/*", allow=("read", "write", "delete")), PathRule("/private", deny=("read",))))
    assert _answer(row, "/public/../private/x", "read") == (False, "rule")
    assert decide_access(row, "/public/../private/x", "read").path == "/private/x"
    assert _answer(row, "/public/../../../etc/passwd", "read") == (False, "base")  # never above the root
    assert decide_access(row, "//public//./a/", "write").rule_index == 0


def test_the_longest_literal_prefix_decides_and_the_earlier_rule_a_tie() -> None:
    rules = (PathRule("/docs", deny=("write",)), PathRule("/docs/*", allow=("write",)), PathRule("/docs/reports", deny=("write",)))
    assert [specificity(r.path) for r in rules] == [5, 6, 13]
    assert deciding_rule(rules, "/docs/a", "write") == (1, rules[1])
    assert deciding_rule(rules, "/docs/reports/q", "write") == (2, rules[2])
    tied = (PathRule("/d*", allow=("read",)), PathRule("/d?", deny=("read",)))
    assert decide_access(Grant((), tied), "/dx", "read").rule_index == 0
    assert decide_access(Grant((), tied[::-1]), "/dx", "read").rule_index == 0


def test_admin_neither_implies_nor_is_implied() -> None:
    admin = Grant(("admin",))
    assert [decide_access(admin, "/x", a).allowed for a in ACTIONS] == [False, False, False, True]
    others = Grant(("read", "write", "delete"))
    assert not decide_access(others, "/x", "admin").allowed


def test_an_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not an action"):
        decide_access(Grant(("read",)), "/", "execute")  # type: ignore[arg-type]


def test_the_explanation_names_what_decided() -> None:
    row = Grant(("read",), (PathRule("/x", allow=("delete",), deny=("delete",)),))
    assert decide_access(row, "/x/y", "delete").explain() == "denied: path_rules[0] (/x) denies delete (deny beats allow)"
    assert decide_access(row, "/y", "read").explain() == "allowed: no path rule names read for /y; the base permissions include it"
    assert decide_access(replace(row, is_active=False), "/y", "read").explain() == "denied: the permissions row is inactive"


# Properties ------------------------------------------------------------------------------------------

SEGMENTS = st.sampled_from(["a", "b", "ab", "a.b", "", ".", ".."])
PATHS = st.builds(lambda lead, parts, trail: lead + "/".join(parts) + trail,
                  st.sampled_from(["/", "", "//"]), st.lists(SEGMENTS, max_size=5), st.sampled_from(["", "/"]))
PATTERN_SEGMENTS = st.sampled_from(["a", "b", "ab", "a.b", "*", "a*", "*b", "?", "??", "**"])
PATTERNS = st.builds(lambda parts, trail: "/" + "/".join(parts) + trail, st.lists(PATTERN_SEGMENTS, max_size=4),
                     st.sampled_from(["", "/"]))
ACTION = st.sampled_from(ACTIONS)
ACTION_SETS = st.lists(ACTION, unique=True).map(tuple)
RULES = st.builds(PathRule, PATTERNS, ACTION_SETS, ACTION_SETS)
GRANTS = st.builds(Grant, ACTION_SETS, st.lists(RULES, max_size=6).map(tuple), st.booleans())


def _essence(d: Decision) -> tuple[bool, str, PathRule | None]:
    """The answer and what gave it, without the rule's position (which shifts when a rule is inserted)."""
    return d.allowed, d.by, d.rule


@given(GRANTS, PATHS, ACTION)
def test_an_inactive_row_always_denies(grant: Grant, path: str, action: Action) -> None:
    decision = decide_access(replace(grant, is_active=False), path, action)
    assert not decision.allowed and decision.by == "inactive" and decision.rule is None


@given(PATHS)
def test_a_normalised_path_is_rooted_without_empty_dot_or_dot_dot_segments(path: str) -> None:
    normal = normalise_path(path)
    assert normal.startswith("/") and normalise_path(normal) == normal
    assert normal == "/" or all(part not in ("", ".", "..") for part in normal[1:].split("/"))


@given(GRANTS, PATHS, ACTION)
def test_the_answer_depends_only_on_the_normalised_path(grant: Grant, path: str, action: Action) -> None:
    assert decide_access(grant, path, action) == decide_access(grant, normalise_path(path), action)


@given(GRANTS, RULES, st.lists(PATHS, min_size=1, max_size=4), st.integers(min_value=0))
def test_adding_a_rule_that_matches_none_of_the_paths_changes_no_answer(grant: Grant, rule: PathRule, paths: list[str],
                                                                        where: int) -> None:
    assume(not any(rule_matches(rule.path, p) for p in paths))
    at = where % (len(grant.path_rules) + 1)
    more = replace(grant, path_rules=(*grant.path_rules[:at], rule, *grant.path_rules[at:]))
    for path in paths:
        for action in ACTIONS:
            assert _essence(decide_access(more, path, action)) == _essence(decide_access(grant, path, action))


@given(GRANTS, PATTERNS, PATHS, ACTION, st.integers(min_value=0))
def test_a_matching_rule_that_does_not_name_the_action_changes_nothing(grant: Grant, pattern: str, path: str, action: Action,
                                                                      where: int) -> None:
    assume(rule_matches(pattern, path))
    silent = PathRule(pattern, tuple(a for a in ACTIONS if a != action), tuple(a for a in ACTIONS[:2] if a != action))
    at = where % (len(grant.path_rules) + 1)
    more = replace(grant, path_rules=(*grant.path_rules[:at], silent, *grant.path_rules[at:]))
    assert _essence(decide_access(more, path, action)) == _essence(decide_access(grant, path, action))


@given(GRANTS, PATHS, ACTION)
def test_the_deciding_rule_matches_names_the_action_and_its_deny_wins(grant: Grant, path: str, action: Action) -> None:
    decision = decide_access(grant, path, action)
    if decision.by != "rule":
        return
    rule = decision.rule
    assert rule is not None and decision.rule_index is not None and grant.path_rules[decision.rule_index] == rule
    assert rule_matches(rule.path, path) and rule.names(action)
    assert decision.allowed == (action not in rule.deny)
    if action in rule.deny and action in rule.allow:
        assert not decision.allowed


@given(GRANTS, PATHS, ACTION)
def test_no_rule_that_could_decide_is_more_specific_or_earlier_on_a_tie(grant: Grant, path: str, action: Action) -> None:
    assume(grant.is_active)
    decision = decide_access(grant, path, action)
    rivals = [(i, r) for i, r in enumerate(grant.path_rules) if r.names(action) and rule_matches(r.path, path)]
    if decision.by == "base":
        assert rivals == [] and decision.allowed == (action in grant.permissions)
        return
    assert decision.rule is not None and decision.rule_index is not None
    mine = (specificity(decision.rule.path), -decision.rule_index)
    assert all((specificity(r.path), -i) <= mine for i, r in rivals)


@given(GRANTS, PATHS, ACTION, st.booleans())
def test_a_rule_naming_the_path_itself_placed_first_overrides_every_other(grant: Grant, path: str, action: Action,
                                                                           allow: bool) -> None:
    """No matching rule has a longer literal prefix than the path itself, so this one is the most specific."""
    assume(grant.is_active)
    exact = PathRule(normalise_path(path), allow=(action,) if allow else (), deny=() if allow else (action,))
    decision = decide_access(replace(grant, path_rules=(exact, *grant.path_rules)), path, action)
    assert decision.by == "rule" and decision.rule_index == 0 and decision.allowed is allow


@given(GRANTS, PATHS, st.sampled_from(["x", "x/y", "x/*"]), ACTION, st.booleans())
def test_a_rule_for_a_subfolder_overrides_its_parent_inside_the_subfolder(grant: Grant, path: str, child: str,
                                                                         action: Action, allow: bool) -> None:
    assume(grant.is_active)
    parent = normalise_path(path)
    below = f"{parent.rstrip('/')}/{child}"
    rules = (PathRule(parent, deny=(action,)) if allow else PathRule(parent, allow=(action,)),
             PathRule(below, allow=(action,)) if allow else PathRule(below, deny=(action,)))
    decision = decide_access(replace(grant, path_rules=rules), below.replace("*", "z") + "/f", action)
    assert decision.rule == rules[1] and decision.allowed is allow
