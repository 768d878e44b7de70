"""Editing a permissions row against the real servers: validated first, re-checked, audited, the cache cleared."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import psycopg
import pytest
import redis
from psycopg.types.json import Jsonb

from rcmd_tui.config import ROLES, Profile
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.actions.plan import TargetChanged
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.rcmd.access import PathRule
from rcmd_tui.data.rcmd.permission_edit import (
    InvalidPermissions,
    PermissionEdit,
    PermissionRow,
    cache_key,
    create_permission,
    diff_lines,
    read_permission,
    rules_text,
    update_permission,
    validate_edit,
    validate_form,
)
from tests.helpers import login_as, opened_services
from tests.listdata import fill_rcmd, user_id

PERMISSION_ID = "00000000-0000-4000-9000-000000000001"
SEED_RULES = [{"path": "/public/*", "allow": ["read"], "deny": []},
              {"path": "/private/*", "allow": ["read", "write"], "deny": ["delete"]}]
ALICE_GDRIVE = cache_key(user_id(0), "gdrive")


def _connect(profile: Profile) -> psycopg.Connection[Any]:
    assert profile.rcmd is not None
    return psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}")


def _with_alice_on_gdrive(profile: Profile, path_rules: object = SEED_RULES, is_active: bool | None = True) -> redis.Redis:
    """alice's row on gdrive (read, the seed's rules), its cache entry and an unrelated one; the Redis client."""
    fill_rcmd(profile, rows=0)
    with _connect(profile) as conn:
        conn.execute("INSERT INTO permissions (id, user_id, remote_id, permissions, path_rules, is_active, updated_at) "
                     "VALUES (%s, %s, 'gdrive', '{read}', %s, %s, '2000-01-01T00:00:00Z')",
                     [PERMISSION_ID, user_id(0), None if path_rules is None else Jsonb(path_rules), is_active])
    assert profile.rcmd_redis_url is not None
    client = redis.Redis.from_url(profile.rcmd_redis_url)
    client.set(ALICE_GDRIVE, json.dumps(["read"]), ex=600)
    client.set(cache_key(user_id(1), "gdrive"), json.dumps(["read"]), ex=600)
    return client


def _row(profile: Profile, permission_id: str = PERMISSION_ID) -> tuple[Any, ...] | None:
    with _connect(profile) as conn:
        return conn.execute("SELECT permissions, path_rules, is_active, updated_at FROM permissions WHERE id = %s",
                            [permission_id]).fetchone()


def _audit(profile: Profile) -> list[tuple[str, str, str, dict[str, Any]]]:
    with _connect(profile) as conn:
        return [(r[0], r[1], r[2], r[3]) for r in conn.execute(
            "SELECT action, resource_type, resource_id, details FROM audit_logs WHERE action LIKE 'console.permission.%' ORDER BY id")]


async def _shown(services: Services) -> PermissionRow:
    row = await read_permission(services.primary("rcmd"), PERMISSION_ID)
    assert row is not None
    return row


NEW_RULES = [{"path": "/public/*", "allow": ["read", "write"]},
             {"path": "/private/*", "allow": ["read"], "deny": ["write", "delete"]}]


async def test_an_edit_changes_the_row_writes_one_audit_row_with_before_and_after_and_clears_the_cache(profile: Profile) -> None:
    client = _with_alice_on_gdrive(profile)
    async with opened_services(profile) as services:
        shown = await _shown(services)
        assert (shown.username, shown.permissions, shown.path_rules, shown.is_active) == ("alice", ("read",), SEED_RULES, True)
        plan = update_permission(shown, validate_edit(["read", "write"], NEW_RULES, True).require(), profile)
        rendered = "\n".join(await actions.render(services, plan))
        assert "FOR UPDATE" in rendered and 'UPDATE "permissions" SET' in rendered and "INSERT INTO audit_logs" in rendered
        assert f"DEL {ALICE_GDRIVE}" in rendered
        assert (await actions.run(services, plan)).changed == 1
    row = _row(profile)
    assert row is not None
    permissions, path_rules, is_active, updated_at = row
    assert permissions == ["read", "write"] and is_active is True and updated_at.year > 2000
    assert path_rules == [{"path": "/public/*", "allow": ["read", "write"], "deny": []},  # written in full
                          {"path": "/private/*", "allow": ["read"], "deny": ["write", "delete"]}]
    [(action, resource_type, resource_id, details)] = _audit(profile)
    assert (action, resource_type, resource_id) == ("console.permission.update", "permissions", PERMISSION_ID)
    assert details["before"] == {"permissions": ["read"], "path_rules": SEED_RULES, "is_active": True}
    assert details["after"] == {"permissions": ["read", "write"], "path_rules": path_rules, "is_active": True}
    assert details["remote_id"] == "gdrive" and details["console_role"] == "admin" and details["db_user"]
    assert client.exists(ALICE_GDRIVE) == 0  # the service reads the new row next time
    assert client.exists(cache_key(user_id(1), "gdrive")) == 1  # and only this user's entry went


async def test_a_constraint_violation_is_a_message_naming_the_field_and_nothing_is_written(profile: Profile) -> None:
    client = _with_alice_on_gdrive(profile)
    before = _row(profile)
    checked = validate_form("read, execute", '[{"allow": ["read"]}, {"path": "public", "deny": "delete"}]', True)
    assert checked.edit is None
    assert [(p.field, p.message.split(";")[0]) for p in checked.problems] == [
        ("permissions", '"execute" is not an action'),
        ("path_rules[0].path", "is missing"),
        ("path_rules[1].path", "'public' must start with / (rules are rooted at the remote), such as /public"),
        ("path_rules[1].deny", 'must be an array of actions such as ["read"], not text'),
    ]
    with pytest.raises(InvalidPermissions) as refused:
        checked.require()
    assert "execute" in refused.value.message and "nothing was written" in refused.value.hint
    async with opened_services(profile) as services:
        shown = await _shown(services)
        smuggled = PermissionEdit(("read", "execute"), (), True)  # type: ignore[arg-type]  # built without validate_edit
        with pytest.raises(InvalidPermissions, match="execute"):
            update_permission(shown, smuggled, profile)
        pathless = PermissionEdit(("read",), (PathRule("", ("read",)),), True)
        with pytest.raises(InvalidPermissions, match=r"path_rules\[0\]\.path"):
            update_permission(shown, pathless, profile)
    assert _row(profile) == before and _audit(profile) == []
    assert client.exists(ALICE_GDRIVE) == 1


@pytest.mark.parametrize(("rules", "field", "words"), [
    ({"path": "/a"}, "path_rules", "must be an array of rules"),
    (["/a"], "path_rules[0]", "must be an object"),
    ([{"path": "/a", "allow": ["read"], "recursive": True}], "path_rules[0]", "unknown key 'recursive'"),
    ([{"path": 7}], "path_rules[0].path", "must be text starting with /"),
    ([{"path": "/a/../b"}], "path_rules[0].path", "write the folder it means: /b"),
    ([{"path": "/a\x00"}], "path_rules[0].path", "NUL"),
    ([{"path": "/a", "allow": ["Read"]}], "path_rules[0].allow", "write it in lower case"),
    ([{"path": "/a", "deny": None}], "path_rules[0].deny", "not null"),
])
def test_each_path_rules_problem_names_its_field_and_what_to_do(rules: object, field: str, words: str) -> None:
    [problem] = validate_edit(["read"], rules, True).problems
    assert problem.field == field and words in problem.message


def test_the_form_reports_json_it_cannot_read_and_accepts_what_it_can() -> None:
    [problem] = validate_form("read", '[{"path": "/a",}]', True).problems
    assert problem.field == "path_rules" and "not valid JSON" in problem.message and "line 1 column" in problem.message
    edit = validate_form("write, read,, write", rules_text(SEED_RULES), False).require()
    assert edit.permissions == ("write", "read") and edit.rules_json() == SEED_RULES and edit.is_active is False
    assert validate_edit(["read"], None, True).require().path_rules == ()  # a NULL column holds no rules
    [active] = validate_edit([], [], "yes").problems
    assert active.field == "is_active"


async def test_a_row_changed_by_someone_else_after_it_was_shown_is_refused_and_their_change_kept(profile: Profile) -> None:
    client = _with_alice_on_gdrive(profile)
    async with opened_services(profile) as services:
        shown = await _shown(services)
        plan = update_permission(shown, validate_edit(["read", "write", "delete"], [], True).require(), profile)
        theirs = [{"path": "/private/*", "allow": ["read"], "deny": ["write", "delete"]}]
        with _connect(profile) as conn:  # the service tightened the rules meanwhile, without touching updated_at
            conn.execute("UPDATE permissions SET path_rules = %s, permissions = '{read,write}' WHERE id = %s",
                         [Jsonb(theirs), PERMISSION_ID])
        with pytest.raises(TargetChanged) as changed:
            await actions.run(services, plan)
        assert "permissions are now read, write; path rules changed" in changed.value.message
        assert "refresh" in changed.value.hint
        with _connect(profile) as conn:
            conn.execute("DELETE FROM permissions WHERE id = %s", [PERMISSION_ID])
        with pytest.raises(TargetChanged, match="the row is gone"):
            await actions.run(services, plan)
    assert _audit(profile) == [] and _row(profile) is None
    assert client.exists(ALICE_GDRIVE) == 1  # Redis is touched only after a commit


async def test_a_row_with_null_rules_and_null_active_can_be_shown_and_edited(profile: Profile) -> None:
    _with_alice_on_gdrive(profile, path_rules=None, is_active=None)
    async with opened_services(profile) as services:
        shown = await _shown(services)
        assert shown.path_rules is None and shown.is_active is None
        assert diff_lines(shown, validate_edit(["read"], [], True).require())[1] == "active: unset → yes"
        await actions.run(services, update_permission(shown, validate_edit(["read"], [], True).require(), profile))
    row = _row(profile)
    assert row is not None and row[1:3] == ([], True)


async def test_creating_a_row_inserts_it_audits_it_and_clears_a_cached_absence(profile: Profile) -> None:
    client = _with_alice_on_gdrive(profile)
    bob_dropbox = cache_key(user_id(1), "dropbox")
    client.set(bob_dropbox, "[]", ex=600)  # the service remembered that bob had nothing there
    edit = validate_edit(["read"], [{"path": "/shared", "allow": ["write"]}], True).require()
    plan = create_permission(user_id(1), "bob", "dropbox", edit, profile)
    async with opened_services(profile) as services:
        result = await actions.run(services, plan)
    assert result.changed == 1 and plan.outcome(result.changed) == "1 row created"
    [(action, _type, resource_id, details)] = _audit(profile)
    assert action == "console.permission.create" and details["before"] is None and details["after"] == edit.as_json()
    with _connect(profile) as conn:
        row = conn.execute("SELECT id::text, permissions, path_rules, is_active FROM permissions "
                           "WHERE user_id = %s AND remote_id = 'dropbox'", [user_id(1)]).fetchone()
    assert row == (resource_id, ["read"], [{"path": "/shared", "allow": ["write"], "deny": []}], True)
    assert client.exists(bob_dropbox) == 0


async def test_a_second_row_for_the_same_user_and_remote_is_refused_clearly(profile: Profile) -> None:
    client = _with_alice_on_gdrive(profile)
    edit = validate_edit(["read", "write"], [], True).require()
    async with opened_services(profile) as services:
        with pytest.raises(TargetChanged) as refused:
            await actions.run(services, create_permission(user_id(0), "alice", "gdrive", edit, profile))
        assert "alice already has a permissions row for gdrive; edit that row instead" in refused.value.message
        with pytest.raises(TargetChanged, match="the user is gone"):
            await actions.run(services, create_permission("00000000-0000-4000-8000-000000000099", "ghost", "gdrive", edit, profile))
    with _connect(profile) as conn:
        assert conn.execute("SELECT count(*) FROM permissions").fetchone() == (1,)
    assert _audit(profile) == [] and client.exists(ALICE_GDRIVE) == 1


@pytest.mark.parametrize(("user", "remote", "field", "words"), [
    (user_id(1), "", "remote_id", "is empty"),
    (user_id(1), "r" * 101, "remote_id", "at most 100"),
    (user_id(1), " gdrive", "remote_id", "spaces around it"),
    ("bob", "gdrive", "user_id", "not a user id"),
])
def test_a_new_rows_user_and_remote_are_checked_before_a_plan_exists(profile: Profile, user: str, remote: str, field: str,
                                                                     words: str) -> None:
    with pytest.raises(InvalidPermissions) as refused:
        create_permission(user, "bob", remote, validate_edit(["read"], [], True).require(), profile)
    [problem] = refused.value.problems
    assert problem.field == field and words in problem.message


def test_the_diff_shows_each_change_in_place_and_what_stayed() -> None:
    shown = PermissionRow(PERMISSION_ID, user_id(0), "alice", "gdrive", ("read",), SEED_RULES, True, None)
    edit = validate_edit(["read", "write"], NEW_RULES, False).require()
    assert diff_lines(shown, edit) == [
        "permissions: read → read, write (+write)",
        "active: yes → no",
        "path rules:",
        "  - /public/*  allow read  deny none",
        "  - /private/*  allow read, write  deny delete",
        "  + /public/*  allow read, write  deny none",
        "  + /private/*  allow read  deny write, delete",
    ]
    same = validate_edit(["read"], [SEED_RULES[0], {"path": "/x", "deny": ["admin"]}, SEED_RULES[1]], True).require()
    assert diff_lines(shown, same) == [
        "permissions: read (unchanged)", "active: yes (unchanged)", "path rules:",
        "    /public/*  allow read  deny none", "  + /x  allow none  deny admin", "    /private/*  allow read, write  deny delete"]
    odd = replace(shown, path_rules=[{"path": "/a", "weird": 1}])  # what the service stored, shown as it is
    assert diff_lines(odd, validate_edit(["read"], [], True).require())[2:] == ["path rules:", '  - {"path": "/a", "weird": 1}']
    assert diff_lines(None, same)[:2] == ["permissions: read", "active: yes"]


async def test_the_admin_tier_may_edit_and_create_and_the_oncall_tier_is_not_offered_either(profile: Profile) -> None:
    _with_alice_on_gdrive(profile)
    edit = validate_edit(["read"], [], True).require()
    with login_as(profile, "rcmd", "rcmd_tui_test_rcmd_tui_oncall", "rcmd_tui_oncall") as oncall:
        async with opened_services(oncall) as services:
            plans = (update_permission(await _shown(services), edit, oncall), create_permission(user_id(2), "carol", "s3", edit, oncall))
            assert [await actions.action_is_offered(services, "rcmd", ROLES, p.privileges) for p in plans] == [False, False]
    with login_as(profile, "rcmd", "rcmd_tui_test_rcmd_tui_admin", "rcmd_tui_admin") as admin:
        async with opened_services(admin) as services:
            plans = (update_permission(await _shown(services), edit, admin), create_permission(user_id(2), "carol", "s3", edit, admin))
            for plan in plans:
                assert await actions.action_is_offered(services, "rcmd", ROLES, plan.privileges)
                assert (await actions.run(services, plan)).changed == 1
    assert [a[0] for a in _audit(profile)] == ["console.permission.update", "console.permission.create"]
