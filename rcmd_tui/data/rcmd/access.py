"""Whether one RCMD permissions row lets its user do an action at a path, and what decided it.

The seed (docs/seeds/rcmd-schema.md, section 3) gives ``path_rules`` a shape but no meaning; this module is
the meaning the console uses, and docs/permissions.md explains it with examples that a test runs:

1. An inactive row denies everything.
2. The path is normalised first (rooted, ``.`` and ``..`` resolved, never above the root, no empty
   segments), and rules are matched against that, so ``/public/../private/x`` is ``/private/x``.
3. A rule matches what its pattern names and everything beneath it. ``*`` is any run of characters within one
   segment (never ``/``), ``?`` one such character; everything else is literal, case included.
4. Among the rules that match the path **and name the action** (in ``allow`` or ``deny``), the most specific
   decides: the longest literal text before the pattern's first wildcard; on a tie the earlier rule.
5. Within that rule, ``deny`` beats ``allow``.
6. If no matching rule names the action, the row's base ``permissions`` decide.
7. ``admin`` is an action of its own: it implies none of the others, and none imply it.

Pure: no I/O, no parsing of the database's JSON (``permission_edit`` validates that into these types).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Action = Literal["read", "write", "delete", "admin"]
ACTIONS: tuple[Action, ...] = ("read", "write", "delete", "admin")
WILDCARDS = "*?"


@dataclass(frozen=True, slots=True)
class PathRule:
    """One element of ``path_rules``: its pattern as stored, and the actions it allows and denies."""

    path: str
    allow: tuple[Action, ...] = ()
    deny: tuple[Action, ...] = ()

    def names(self, action: Action) -> bool:
        return action in self.allow or action in self.deny


@dataclass(frozen=True, slots=True)
class Grant:
    """What one permissions row grants on its remote."""

    permissions: tuple[Action, ...]
    path_rules: tuple[PathRule, ...] = ()
    is_active: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    action: Action
    path: str  # normalised: what the rules were matched against
    by: Literal["inactive", "rule", "base"]
    rule_index: int | None = None  # into path_rules, from 0, when a rule decided
    rule: PathRule | None = None

    def explain(self) -> str:
        """One line for a person: the answer, then what gave it."""
        verdict = "allowed" if self.allowed else "denied"
        if self.by == "inactive":
            return f"{verdict}: the permissions row is inactive"
        if self.rule is not None:
            verb = "denies" if not self.allowed else "allows"
            both = " (deny beats allow)" if not self.allowed and self.action in self.rule.allow else ""
            return f"{verdict}: path_rules[{self.rule_index}] ({self.rule.path}) {verb} {self.action}{both}"
        include = "include" if self.allowed else "do not include"
        return f"{verdict}: no path rule names {self.action} for {self.path}; the base permissions {include} it"


def normalise_path(path: str) -> str:
    """The path rules are matched against: rooted, no empty, ``.`` or ``..`` segments, no trailing slash.
    ``..`` at the root stays at the root, as it does for a remote.

    >>> normalise_path("/public/../private//x/")
    '/private/x'
    >>> normalise_path("docs/./a")
    '/docs/a'
    >>> normalise_path("/../..")
    '/'
    """
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/" + "/".join(parts)


def specificity(pattern: str) -> int:
    """How specific a rule's pattern is: the length of its normalised literal text before the first wildcard.

    >>> specificity("/public/*"), specificity("/public"), specificity("/public/reports")
    (8, 7, 15)
    """
    normal = normalise_path(pattern)
    return min((i for i, c in enumerate(normal) if c in WILDCARDS), default=len(normal))


@lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern[str]:
    segments = [s for s in normalise_path(pattern).split("/") if s]
    body = "".join("/(?=[^/])" + "".join(_wildcard(c) for c in s) for s in segments)
    # A rule covers what it names and everything beneath it: any further segments may follow.
    return re.compile(body + "(?:/.*)?", re.DOTALL)


def _wildcard(char: str) -> str:
    return {"*": "[^/]*", "?": "[^/]"}.get(char) or re.escape(char)


def rule_matches(pattern: str, path: str) -> bool:
    """Whether a rule's pattern covers the path (both normalised first).

    >>> rule_matches("/public/*", "/public/a/b"), rule_matches("/public/*", "/public")
    (True, False)
    >>> rule_matches("/public", "/public"), rule_matches("/public", "/publicity")
    (True, False)
    """
    normal = normalise_path(path)
    return _pattern(pattern).fullmatch("" if normal == "/" else normal) is not None


def deciding_rule(rules: tuple[PathRule, ...], path: str, action: Action) -> tuple[int, PathRule] | None:
    """The rule that decides the action at the path: the most specific of those that match it and name the
    action, the earliest on a tie; None if there is none."""
    candidates = [(i, r) for i, r in enumerate(rules) if r.names(action) and rule_matches(r.path, path)]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (-specificity(c[1].path), c[0]))


def decide_access(grant: Grant, path: str, action: Action) -> Decision:
    """Whether the grant allows the action at the path, and what decided it (module docstring)."""
    if action not in ACTIONS:
        raise ValueError(f"not an action: {action!r}; use one of {', '.join(ACTIONS)}")
    where = normalise_path(path)
    if not grant.is_active:
        return Decision(False, action, where, "inactive")
    found = deciding_rule(grant.path_rules, where, action)
    if found is None:
        return Decision(action in grant.permissions, action, where, "base")
    index, rule = found
    return Decision(action not in rule.deny, action, where, "rule", index, rule)
