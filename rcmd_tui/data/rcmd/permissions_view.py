"""RCMD permissions as a list (`:permissions`, ``rcmd-tui report permissions``): one row per user and remote,
the base set and the path rules summarised, and what the screen's editor and access check need beyond
:mod:`rcmd_tui.data.rcmd.permission_edit`: the rules as a table, the rules typed one per box, a user found by
name or id.

Rows are paged by keyset over ``(user_id, remote_id)`` (the seed's ``unique_user_remote`` index) or, most
recently changed first, over ``(updated_at, id)`` (migration 0009). The stored JSON is whatever the service
wrote: everything here reads it defensively and never assumes the documented shape.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg_pool
from psycopg import sql

from rcmd_tui.data.lists.enrich import Lookup, Row
from rcmd_tui.data.lists.export import json_inert
from rcmd_tui.data.lists.filters import FilterError
from rcmd_tui.data.lists.spec import Column, FilterField, Kind, ListSpec, Ordering, Shorthand, Table
from rcmd_tui.data.rcmd.access import ACTIONS
from rcmd_tui.data.rcmd.permission_edit import (
    ACTIONS_TEXT,
    RULE_EXAMPLE,
    RULE_KEYS,
    PermissionRow,
    Problem,
    Validation,
    check_remote_id,
    validate_edit,
    validate_form,
)

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

K = Kind
USER_BY_NAME = "SELECT id FROM users WHERE username = %s"
# The base set has no index of its own; the filter names the rows by id, so the ordering's index still serves.
HOLDING_ACTION = "SELECT id FROM permissions WHERE %s = ANY(permissions)"


def _words(items: Sequence[object]) -> str:
    return " ".join(map(str, items)) or "none"


def actions_text(permissions: object) -> str:
    """The base set as words, in the documented order (anything else the column holds follows as stored).

    >>> actions_text(["write", "read"]), actions_text([]), actions_text(None)
    ('read write', 'none', '∅')
    """
    if permissions is None:
        return "∅"
    if not isinstance(permissions, list | tuple):
        return str(permissions)
    known = [a for a in ACTIONS if a in permissions]
    return _words(known + [p for p in permissions if p not in ACTIONS])


def _kind(value: object) -> str:
    names = {dict: "an object", str: "text", bool: "true/false"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else type(value).__name__)


def rules_summary(path_rules: object) -> str:
    """The rules in a list's cell: how many, then their globs in order (the cell cuts what does not fit).

    >>> rules_summary([{"path": "/public/*", "allow": ["read"]}, {"path": "/private/*"}])
    '2 rules: /public/*, /private/*'
    >>> rules_summary([{"allow": ["read"]}]), rules_summary([]), rules_summary(None)
    ('1 rule: (no path)', 'none', 'none')
    >>> rules_summary({"paths": ["/a"]})
    'not an array (an object)'
    """
    if path_rules is None or path_rules == []:
        return "none"
    if not isinstance(path_rules, list):
        return f"not an array ({_kind(path_rules)})"
    paths = [r["path"] if isinstance(r, dict) and isinstance(r.get("path"), str) else "(no path)" for r in path_rules]
    return f"{len(paths)} rule{'s' if len(paths) != 1 else ''}: {', '.join(paths)}"


@dataclass(frozen=True, slots=True)
class GrantText:
    """The base set and the rules as a person reads them in the list: computed from the row, no I/O."""

    @property
    def needs(self) -> tuple[str, ...]:
        return ("permissions", "path_rules")

    @property
    def provides(self) -> tuple[str, ...]:
        return ("actions", "rules")

    async def enrich(self, services: Services, spec: ListSpec, rows: list[Row]) -> None:
        for row in rows:
            row["actions"] = actions_text(row.get("permissions"))
            row["rules"] = rules_summary(row.get("path_rules"))


def action_word(raw: str) -> str:
    """``permission=Write`` filters on write; a word that is no action is refused before anything runs.

    >>> action_word("Write")
    'write'
    """
    word = raw.strip().lower()
    if word not in ACTIONS:
        raise FilterError(f"permission={raw}: {raw!r} is not an action", f"use {ACTIONS_TEXT}")
    return word


RCMD_PERMISSIONS = ListSpec(
    key="permissions", system="rcmd", source=Table("permissions"), title="RCMD permissions",
    columns=(
        Column("username", "User", width=12, enriched=True),
        Column("remote_id", "Remote", width=12),
        Column("actions", "Permissions", width=17, enriched=True),
        Column("is_active", "Active", K.BOOL, width=6),
        Column("rules", "Path rules", width=24, enriched=True),
        Column("updated_at", "Updated (UTC)", K.TIME, width=19),
        Column("created_at", "Created (UTC)", K.TIME, width=19, shown=False),
        Column("user_id", "User id", K.UUID, shown=False),
        Column("id", "Id", K.UUID, shown=False),
        # As stored, for the detail's table and the editor; the columns above say the same in words.
        Column("permissions", "Permission set", K.JSON, shown=False, internal=True),
        Column("path_rules", "Path rules (JSON)", K.JSON, shown=False, internal=True),
    ),
    orderings=(Ordering("user id, remote", ("user_id", "remote_id"), descending=False),
               Ordering("updated", ("updated_at", "id"))),
    filters=(
        FilterField("user", "user_id", K.UUID, resolve=USER_BY_NAME, help="a user id or a username"),
        FilterField("remote", "remote_id", help="an rclone remote such as gdrive (remote~drive: part of its name)"),
        FilterField("active", "is_active", K.BOOL),
        FilterField("permission", "id", K.UUID, resolve=HOLDING_ACTION, prepare=action_word,
                    help="read, write, delete or admin: the rows whose base set holds it"),
        FilterField("updated", "updated_at", K.TIME, help="a time, e.g. updated>2026-05-01"),
        FilterField("id", "id", K.UUID),
    ),
    shorthands=(Shorthand("status", "is_active", {"active": ("true",), "inactive": ("false",)}),),
    time_column="updated_at",
    enrichers=(Lookup("user_id", "username", "users", "username"), GrantText()),
)


# The detail's table ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleLine:
    """One stored rule as the detail shows it: glob, allow, deny; or, for one not in the documented shape,
    its JSON and what is wrong with it."""

    index: int
    glob: str
    allow: str
    deny: str
    problem: str | None = None


def rule_lines(path_rules: object) -> list[RuleLine]:
    """Every stored rule, in order (the order breaks ties).

    >>> [(r.glob, r.allow, r.deny) for r in rule_lines([{"path": "/private/*", "allow": ["read", "write"], "deny": ["delete"]}])]
    [('/private/*', 'read write', 'delete')]
    >>> rule_lines([{"path": "docs"}])[0].problem
    "path_rules[0].path: 'docs' must start with / (rules are rooted at the remote), such as /docs"
    """
    if path_rules is None:
        return []
    if not isinstance(path_rules, list):
        return [RuleLine(0, json.dumps(path_rules, ensure_ascii=False), "", "",
                         f"path_rules: not an array of rules but {_kind(path_rules)}")]
    lines = []
    for i, raw in enumerate(path_rules):
        problems = validate_edit([], [raw], True).problems
        if problems or not isinstance(raw, dict):
            found = "; ".join(str(p).replace("path_rules[0]", f"path_rules[{i}]", 1) for p in problems)
            lines.append(RuleLine(i, json.dumps(raw, ensure_ascii=False), "", "", found))
            continue
        lines.append(RuleLine(i, raw["path"], _words(raw.get("allow", [])), _words(raw.get("deny", []))))
    return lines


# The editor ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormValues:
    """What the editor's boxes hold: the base set as words, each rule's JSON in a box of its own, yes or no;
    for a new row also the user and the remote."""

    permissions: str
    rules: tuple[str, ...]
    active: str
    user: str = ""
    remote: str = ""


def rule_box(rule: object) -> str:
    """One stored rule as the JSON text of its box, path first (jsonb keeps keys shortest first): characters a
    terminal would act on are \\u escapes (the same value to the parser), every other letter as it is.

    >>> print(rule_box({"deny": [], "path": "/a\u202e", "allow": ["read"]}))
    {"path": "/a\\u202e", "allow": ["read"], "deny": []}
    """
    if isinstance(rule, dict):
        rule = {**{k: rule[k] for k in RULE_KEYS if k in rule}, **rule}
    return json_inert(json.dumps(rule, ensure_ascii=False))


def form_values(row: PermissionRow) -> FormValues:
    """A row's values to edit. Rules that are not an array (the service wrote something else) come as one box,
    which the person then rewrites; the check names what is wrong with it.

    >>> form_values(PermissionRow("p", "u", "alice", "gdrive", ("read",), [{"path": "/a"}], False, None))
    FormValues(permissions='read', rules=('{"path": "/a"}',), active='no', user='', remote='')
    """
    rules = row.path_rules
    boxes = tuple(rule_box(r) for r in rules) if isinstance(rules, list) else () if rules is None else (rule_box(rules),)
    return FormValues(", ".join(row.permissions), boxes, "no" if row.is_active is False else "yes")


def yes_no(text: str) -> bool | None:
    """
    >>> yes_no(" Yes"), yes_no("false"), yes_no("maybe")
    (True, False, None)
    """
    return {"yes": True, "y": True, "true": True, "t": True, "no": False, "n": False, "false": False,
            "f": False}.get(text.strip().lower())


def check_form(values: FormValues, *, new: bool) -> Validation:
    """The editor's check before anything is written: :func:`validate_form` on the boxes (blank rule boxes
    dropped), a rule box that is not JSON named by its rule's index, and for a new row the user and remote.
    Every problem at once, each naming its field.

    >>> for p in check_form(FormValues("read, execute", ('{"path": "/a"', ""), "maybe"), new=False).problems:
    ...     print(p.field, "·", p.message.split(";")[0])
    permissions · "execute" is not an action
    path_rules[0] · is not valid JSON (Expecting ',' delimiter at column 14)
    is_active · 'maybe' is neither yes nor no
    >>> check_form(FormValues("read", ('{"path": "/a", "allow": ["read"]}',), "yes"), new=False).edit.rules_json()
    [{'path': '/a', 'allow': ['read'], 'deny': []}]
    """
    kept = [t.strip() for t in values.rules if t.strip()]
    front: list[Problem] = []
    if new:
        if not values.user.strip():
            front.append(Problem("user", "is empty; type a username or a user id"))
        front += check_remote_id(values.remote)
    unreadable: list[Problem] = []
    for i, text in enumerate(kept):
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            unreadable.append(Problem(f"path_rules[{i}]", f"is not valid JSON ({exc.msg} at column {exc.colno}); "
                                                          f"write one rule such as {RULE_EXAMPLE}"))
    active = yes_no(values.active)
    checked = validate_form(values.permissions, "" if unreadable else "[" + ",".join(kept) + "]",
                            True if active is None else active)
    after = [] if active is not None else [Problem("is_active", f"{values.active.strip()!r} is neither yes nor no; type yes or no")]
    if not (front or unreadable or after):
        return checked
    return Validation((*front, *checked.problems, *unreadable, *after))


_RULE_FIELD = re.compile(r"^path_rules\[(\d+)\]")


def rule_index(field: str) -> int | None:
    """Which rule a problem is about (its index among the rules written), if any.

    >>> rule_index("path_rules[2].allow"), rule_index("path_rules"), rule_index("permissions")
    (2, None, None)
    """
    m = _RULE_FIELD.match(field)
    return int(m.group(1)) if m else None


# Look-ups --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserRef:
    id: str
    username: str


async def find_user(pool: psycopg_pool.AsyncConnectionPool[Any], text: str) -> UserRef | None:
    """The user a person named: by id when the text is a UUID, else by username (unique)."""
    text = text.strip()
    try:
        query, value = sql.SQL("SELECT id::text, username FROM users WHERE id = %s"), str(uuid.UUID(text))
    except ValueError:
        query, value = sql.SQL("SELECT id::text, username FROM users WHERE username = %s"), text
    async with pool.connection() as conn:
        row = await (await conn.execute(query, [value])).fetchone()
    return None if row is None else UserRef(row[0], row[1])
