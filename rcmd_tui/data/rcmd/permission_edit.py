"""Editing one RCMD permissions row: validation before anything is written, a diff to confirm, and the plans.

Validation mirrors what the schema enforces (``check_permissions``, ``remote_id VARCHAR(100) NOT NULL``,
``unique_user_remote``, jsonb refusing NUL) and the ``path_rules`` shape the seed documents (an array of
``{"path", "allow", "deny"}``), so a person reads a message naming the field instead of a constraint
violation. Rules are written back in that full shape, so the service always finds all three keys.

Both plans delete ``cache:permissions:{user_id}:{remote_id}`` after the commit: the service caches a
user's permissions per remote for up to 10 minutes (seed, "권한 캐시") and would otherwise go on
answering from the old ones. How the rules are evaluated is :mod:`rcmd_tui.data.rcmd.access`.
"""

from __future__ import annotations

import difflib
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg_pool
from psycopg import sql
from psycopg.types.json import Jsonb

from rcmd_tui.config import Profile
from rcmd_tui.data.actions.plan import ActionRefused, Plan, RedisStep, Statement, columns_privileges, update
from rcmd_tui.data.rcmd.access import ACTIONS, Action, Grant, PathRule, normalise_path
from rcmd_tui.data.rcmd.actions import audit

UPDATE_ACTION = "console.permission.update"
CREATE_ACTION = "console.permission.create"
REMOTE_ID_MAX = 100  # remote_id VARCHAR(100)
RULE_KEYS = ("path", "allow", "deny")
ACTIONS_TEXT = "read, write, delete or admin"
RULE_EXAMPLE = '{"path": "/public/*", "allow": ["read"], "deny": []}'


@dataclass(frozen=True, slots=True)
class Problem:
    field: str  # as in the row's JSON: "permissions", "path_rules[1].allow", "remote_id"
    message: str  # what is wrong and what to do

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidPermissions(ActionRefused):
    title = "Permissions not valid"

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)), "correct the fields named; nothing was written")
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class PermissionEdit:
    """New values for a row, made by :func:`validate_edit` (the plans validate them again)."""

    permissions: tuple[Action, ...]
    path_rules: tuple[PathRule, ...]
    is_active: bool

    def rules_json(self) -> list[dict[str, Any]]:
        return [{"path": r.path, "allow": list(r.allow), "deny": list(r.deny)} for r in self.path_rules]

    def as_json(self) -> dict[str, Any]:
        return {"permissions": list(self.permissions), "path_rules": self.rules_json(), "is_active": self.is_active}

    @property
    def grant(self) -> Grant:
        return Grant(self.permissions, self.path_rules, self.is_active)


@dataclass(frozen=True, slots=True)
class Validation:
    problems: tuple[Problem, ...]
    edit: PermissionEdit | None = None  # set exactly when there are no problems

    def require(self) -> PermissionEdit:
        if self.edit is None:
            raise InvalidPermissions(self.problems)
        return self.edit


@dataclass(frozen=True, slots=True)
class PermissionRow:
    """A permissions row as shown: the values an edit re-checks before it writes."""

    id: str
    user_id: str
    username: str | None
    remote_id: str
    permissions: tuple[str, ...]
    path_rules: Any  # the jsonb as stored, decoded; whatever the service wrote, valid or not
    is_active: bool | None
    updated_at: datetime | None

    @property
    def who(self) -> str:
        return f"{self.username or self.user_id} on {self.remote_id}"


READ = sql.SQL(
    "SELECT p.id::text, p.user_id::text, u.username, p.remote_id, p.permissions, p.path_rules, p.is_active, p.updated_at "
    "FROM permissions p LEFT JOIN users u ON u.id = p.user_id WHERE p.id = %s::uuid")


async def read_permission(pool: psycopg_pool.AsyncConnectionPool[Any], permission_id: str) -> PermissionRow | None:
    async with pool.connection() as conn:
        row = await (await conn.execute(READ, (permission_id,))).fetchone()
    if row is None:
        return None
    return PermissionRow(row[0], row[1], row[2], row[3], tuple(row[4]), row[5], row[6], row[7])


def cache_key(user_id: str, remote_id: str) -> str:
    return f"cache:permissions:{user_id}:{remote_id}"


# Validation ------------------------------------------------------------------------------------------


def _kind(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "text", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else type(value).__name__)


def _action(item: object) -> Action | None:
    return next((a for a in ACTIONS if a == item), None)


def _actions(field: str, value: object) -> tuple[tuple[Action, ...], list[Problem]]:
    """A list of actions, each kept once in the order given."""
    if not isinstance(value, list | tuple):
        return (), [Problem(field, f"must be an array of actions such as [\"read\"], not {_kind(value)}")]
    found: list[Action] = []
    problems = []
    for item in value:
        action = _action(item)
        if action is None:
            lower = " (write it in lower case)" if isinstance(item, str) and _action(item.lower()) else ""
            problems.append(Problem(field, f"{json.dumps(item, ensure_ascii=False)} is not an action; use {ACTIONS_TEXT}{lower}"))
        elif action not in found:
            found.append(action)
    return tuple(found), problems


def _path_problem(field: str, path: object) -> Problem | None:
    if not isinstance(path, str):
        return Problem(field, f"must be text starting with /, such as /public/*, not {_kind(path)}")
    if not path.startswith("/"):
        return Problem(field, f"{path!r} must start with / (rules are rooted at the remote), such as {normalise_path(path)}")
    if "\x00" in path:
        return Problem(field, "contains a NUL character, which PostgreSQL cannot store; remove it")
    if any(part in (".", "..") for part in path.split("/")):
        # Evaluation would resolve them, and the rule would then name a folder other than the one it shows.
        return Problem(field, f"{path!r} has a . or .. segment; write the folder it means: {normalise_path(path)}")
    return None


def _rule(field: str, raw: object) -> tuple[PathRule | None, list[Problem]]:
    if not isinstance(raw, dict):
        return None, [Problem(field, f"must be an object such as {RULE_EXAMPLE}, not {_kind(raw)}")]
    problems = []
    unknown = [k for k in raw if k not in RULE_KEYS]
    if unknown:
        problems.append(Problem(field, f"unknown key {', '.join(map(repr, unknown))}; a rule has only path, allow and deny"))
    if "path" not in raw:
        problems.append(Problem(f"{field}.path", "is missing; every rule needs a path starting with /, such as /public/*"))
    elif (bad := _path_problem(f"{field}.path", raw["path"])) is not None:
        problems.append(bad)
    allow, allow_problems = _actions(f"{field}.allow", raw.get("allow", []))
    deny, deny_problems = _actions(f"{field}.deny", raw.get("deny", []))
    problems += allow_problems + deny_problems
    return (None if problems else PathRule(raw["path"], allow, deny)), problems


def _rules(value: object) -> tuple[tuple[PathRule, ...], list[Problem]]:
    if value is None:  # the column is nullable; NULL holds no rules
        return (), []
    if not isinstance(value, list | tuple):
        return (), [Problem("path_rules", f"must be an array of rules such as [{RULE_EXAMPLE}], not {_kind(value)}")]
    rules: list[PathRule] = []
    problems: list[Problem] = []
    for i, raw in enumerate(value):
        rule, found = _rule(f"path_rules[{i}]", raw)
        problems += found
        if rule is not None:
            rules.append(rule)
    return tuple(rules), problems


def validate_edit(permissions: object, path_rules: object, is_active: object) -> Validation:
    """New values as decoded JSON (lists, objects); every problem at once, each naming its field."""
    actions, problems = _actions("permissions", permissions)
    rules, rule_problems = _rules(path_rules)
    problems += rule_problems
    if not isinstance(is_active, bool):
        problems.append(Problem("is_active", f"must be true or false, not {_kind(is_active)}"))
    if problems:
        return Validation(tuple(problems))
    assert isinstance(is_active, bool)
    return Validation((), PermissionEdit(actions, rules, is_active))


def validate_form(permissions_text: str, path_rules_text: str, is_active: bool) -> Validation:
    """What a person typed: permissions as words ("read, write"), path rules as JSON text (empty: none).

    >>> validate_form("read write", "", True).edit.permissions
    ('read', 'write')
    >>> print(*validate_form("read, execute", '[{"allow": ["read"]}]', True).problems, sep="\\n")
    permissions: "execute" is not an action; use read, write, delete or admin
    path_rules[0].path: is missing; every rule needs a path starting with /, such as /public/*
    """
    words = [w for w in re.split(r"[\s,]+", permissions_text) if w]
    try:
        rules = json.loads(path_rules_text) if path_rules_text.strip() else []
    except json.JSONDecodeError as exc:
        found = validate_edit(words, [], is_active).problems
        where = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
        return Validation((*found, Problem("path_rules", f"is not valid JSON ({where}); write an array such as [{RULE_EXAMPLE}]")))
    return validate_edit(words, rules, is_active)


def rules_text(path_rules: Any) -> str:
    """A row's rules as JSON text to edit, one rule per line."""
    if not isinstance(path_rules, list) or not path_rules:
        return json.dumps(path_rules if path_rules is not None else [], ensure_ascii=False)
    return "[\n" + ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in path_rules) + "\n]"


def check_remote_id(value: object) -> tuple[Problem, ...]:
    if not isinstance(value, str) or not value.strip():
        return (Problem("remote_id", "is empty; name the rclone remote, such as gdrive"),)
    if len(value) > REMOTE_ID_MAX:
        return (Problem("remote_id", f"is {len(value)} characters; the column holds at most {REMOTE_ID_MAX}"),)
    if value != value.strip():
        return (Problem("remote_id", f"{value!r} has spaces around it; remove them"),)
    if "\x00" in value:
        return (Problem("remote_id", "contains a NUL character, which PostgreSQL cannot store; remove it"),)
    return ()


def check_user_id(value: object) -> tuple[Problem, ...]:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return (Problem("user_id", f"{value!r} is not a user id (a UUID); choose the user from the list"),)
    return ()


# The diff --------------------------------------------------------------------------------------------


def _words(items: Sequence[str]) -> str:
    return ", ".join(items) or "none"


def _set_line(label: str, old: Sequence[str] | None, new: Sequence[str]) -> str:
    if old is None:
        return f"{label}: {_words(new)}"
    if list(old) == list(new):
        return f"{label}: {_words(new)} (unchanged)"
    marks = [f"+{a}" for a in new if a not in old] + [f"-{a}" for a in old if a not in new]
    return f"{label}: {_words(old)} → {_words(new)} ({', '.join(marks) or 'reordered'})"


def _active_word(value: bool | None) -> str:
    return "unset" if value is None else "yes" if value else "no"


def _rule_text(rule: object) -> str:
    """One rule on one line; a stored rule that is not in the documented shape is shown as its JSON."""
    if isinstance(rule, PathRule):
        return f"{rule.path}  allow {_words(rule.allow)}  deny {_words(rule.deny)}"
    shaped = isinstance(rule, dict) and set(rule) <= set(RULE_KEYS) and isinstance(rule.get("path"), str) \
        and all(isinstance(rule.get(k, []), list) and all(isinstance(a, str) for a in rule.get(k, [])) for k in ("allow", "deny"))
    if shaped:
        assert isinstance(rule, dict)
        return f"{rule['path']}  allow {_words(rule.get('allow', []))}  deny {_words(rule.get('deny', []))}"
    return json.dumps(rule, ensure_ascii=False)


def _stored_rules(path_rules: Any) -> list[str]:
    if path_rules is None:
        return []
    return [_rule_text(r) for r in path_rules] if isinstance(path_rules, list) else [json.dumps(path_rules, ensure_ascii=False)]


def diff_lines(before: PermissionRow | None, after: PermissionEdit) -> list[str]:
    """Before and after, as plain lines for the confirmation dialog; ``before`` None for a new row. Rules
    keep their order (it breaks ties), so a rule that changed shows as removed and added in place."""
    lines = [_set_line("permissions", before.permissions if before else None, after.permissions)]
    old_active = _active_word(before.is_active) if before else None
    new_active = _active_word(after.is_active)
    lines.append(f"active: {new_active}" if old_active is None else
                 f"active: {new_active} (unchanged)" if old_active == new_active else f"active: {old_active} → {new_active}")
    old, new = (_stored_rules(before.path_rules) if before else []), [_rule_text(r) for r in after.path_rules]
    if not old and not new:
        return [*lines, "path rules: none" + (" (unchanged)" if before else "")]
    lines.append("path rules (unchanged):" if before and old == new else "path rules:")
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            lines += [f"    {line}" for line in old[i1:i2]]
            continue
        lines += [f"  - {line}" for line in old[i1:i2]] + [f"  + {line}" for line in new[j1:j2]]
    return lines


# The plans -------------------------------------------------------------------------------------------

READ_COLUMNS = ("id", "permissions", "path_rules", "is_active")

# The row locked, compared with what was shown. updated_at is not compared: no trigger maintains it on this
# table, so the service may change a row without touching it; the values themselves are what must not be
# overwritten unseen. SQL NULL and JSON null path_rules both read as None, so they compare alike.
STILL_AS_SHOWN = sql.SQL(
    "WITH shown AS (SELECT %s::text[] AS permissions, %s::jsonb AS path_rules, %s::boolean AS is_active), "
    "cur AS (SELECT permissions, path_rules, is_active FROM permissions WHERE id = %s::uuid FOR UPDATE) "
    "SELECT cur.permissions IS NOT NULL AND cur.permissions = s.permissions "
    "AND coalesce(cur.path_rules, 'null') = coalesce(s.path_rules, 'null') AND cur.is_active IS NOT DISTINCT FROM s.is_active, "
    "CASE WHEN cur.permissions IS NULL THEN 'the row is gone (deleted)' ELSE concat_ws('; ', "
    "CASE WHEN cur.permissions <> s.permissions THEN 'permissions are now ' || array_to_string(cur.permissions, ', ') END, "
    "CASE WHEN coalesce(cur.path_rules, 'null') <> coalesce(s.path_rules, 'null') THEN 'path rules changed' END, "
    "CASE WHEN cur.is_active IS DISTINCT FROM s.is_active THEN 'now ' || "
    "CASE WHEN cur.is_active THEN 'active' ELSE 'inactive' END END) END "
    "FROM shown s LEFT JOIN cur ON true")

NEW_ROW_FREE = sql.SQL(
    "SELECT u.id IS NOT NULL AND p.id IS NULL, CASE WHEN u.id IS NULL THEN 'the user is gone (deleted)' "
    "ELSE u.username || ' already has a permissions row for ' || a.remote_id || '; edit that row instead' END "
    "FROM (SELECT %s::uuid AS user_id, %s::text AS remote_id) a LEFT JOIN users u ON u.id = a.user_id "
    "LEFT JOIN permissions p ON p.user_id = a.user_id AND p.remote_id = a.remote_id")

INSERT_COLUMNS = ("id", "user_id", "remote_id", "permissions", "path_rules", "is_active")
INSERT = sql.SQL("INSERT INTO permissions ({}) VALUES (%s::uuid, %s::uuid, %s, %s::text[], %s::jsonb, %s)").format(
    sql.SQL(", ").join(map(sql.Identifier, INSERT_COLUMNS)))


def _revalidated(edit: PermissionEdit) -> PermissionEdit:
    """Whoever built the edit, nothing unvalidated reaches a statement."""
    return validate_edit(list(edit.permissions), edit.rules_json(), edit.is_active).require()


def _clear_cache(key: str) -> RedisStep:
    # No WATCH: whatever the cache holds is stale once the row changed, so it goes either way.
    return RedisStep(commands=(("DEL", key),))


def update_permission(shown: PermissionRow, edit: PermissionEdit, profile: Profile) -> Plan:
    """Write new values to a row if it still holds what was shown; then clear the service's cache of it."""
    edit = _revalidated(edit)
    key = cache_key(shown.user_id, shown.remote_id)
    before = {"permissions": list(shown.permissions), "path_rules": shown.path_rules, "is_active": shown.is_active}
    details = {"user_id": shown.user_id, "remote_id": shown.remote_id, "before": before, "after": edit.as_json()}
    check = Statement(STILL_AS_SHOWN, (list(shown.permissions), None if shown.path_rules is None else Jsonb(shown.path_rules),
                                       shown.is_active, shown.id), columns_privileges("permissions", "SELECT", READ_COLUMNS))
    change = update("permissions", {"permissions": sql.SQL("%s::text[]"), "path_rules": sql.SQL("%s::jsonb"),
                                    "is_active": sql.Placeholder(), "updated_at": sql.SQL("now()")},
                    sql.SQL("id = %s::uuid"), (list(edit.permissions), Jsonb(edit.rules_json()), edit.is_active, shown.id))
    return Plan(
        system="rcmd", title=f"Edit permissions of {shown.who}", targets=(shown.who,), check=check,
        audit=audit(UPDATE_ACTION, "permissions", [shown.id], profile, details),
        statements=(change,), redis=_clear_cache(key),
        # Written if Redis fails after the commit: the row changed, but the service may answer from its cache.
        failed_audit=audit(UPDATE_ACTION, "permissions", [shown.id], profile, {**details, "cache_not_cleared": key}, result="error"),
        preview=tuple(diff_lines(shown, edit)),
    )


def create_permission(user_id: str, username: str, remote_id: str, edit: PermissionEdit, profile: Profile) -> Plan:
    """A new row for a user on a remote; refused if the user already has one there (unique_user_remote).
    The cache is cleared too: the service may have cached that the user had no permissions there."""
    problems = (*check_user_id(user_id), *check_remote_id(remote_id))
    if problems:
        raise InvalidPermissions(problems)
    edit = _revalidated(edit)
    new_id = str(uuid.uuid4())  # chosen here so the audit row can name the row it creates
    key = cache_key(user_id, remote_id)
    who = f"{username} on {remote_id}"
    details = {"user_id": user_id, "remote_id": remote_id, "before": None, "after": edit.as_json()}
    check = Statement(NEW_ROW_FREE, (user_id, remote_id), columns_privileges("users", "SELECT", ("id", "username"))
                      + columns_privileges("permissions", "SELECT", ("id", "user_id", "remote_id")))
    insert = Statement(INSERT, (new_id, user_id, remote_id, list(edit.permissions), Jsonb(edit.rules_json()), edit.is_active),
                       columns_privileges("permissions", "INSERT", INSERT_COLUMNS))
    return Plan(
        system="rcmd", title=f"Create permissions for {who}", targets=(who,), check=check,
        audit=audit(CREATE_ACTION, "permissions", [new_id], profile, details),
        statements=(insert,), redis=_clear_cache(key),
        failed_audit=audit(CREATE_ACTION, "permissions", [new_id], profile, {**details, "cache_not_cleared": key}, result="error"),
        changes="row created",
        preview=tuple(diff_lines(None, edit)),
    )
