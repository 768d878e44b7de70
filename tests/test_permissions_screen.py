"""RCMD permissions (`:permissions`) against real PostgreSQL and Redis: the list and its filters, the editor
(a problem is named in the form and nothing is written; a valid edit is shown as a diff, confirmed, written,
audited and the service's cache key deleted), a new row, the access check, the detail's rules table, the real
console at 80x24, and a picture of the list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from psycopg.types.json import Jsonb
from textual.pilot import Pilot
from textual.widgets import Input, Static

from rcmd_tui.app import make_app
from rcmd_tui.config import Profile
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.actions.plan import TargetChanged
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.filters import FilterError, compile_filter
from rcmd_tui.data.lists.keyset import page_query
from rcmd_tui.data.rcmd.permission_edit import cache_key
from rcmd_tui.data.rcmd.permissions_view import RCMD_PERMISSIONS
from rcmd_tui.data.rcmd.views import VIEWS
from rcmd_tui.screens.access_check import AccessCheck
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.screens.detail import JsonTree
from rcmd_tui.screens.permission_detail import PermissionDetail
from rcmd_tui.screens.permission_form import PermissionForm
from rcmd_tui.screens.permissions import PermissionsScreen
from tests.helpers import Console, open_console, opened_services, rcmd_sql, until_confirm, until_screen
from tests.listdata import T0, fill_rcmd, user_id
from tests.terminal import console_in_terminal

SEED_RULES = [{"path": "/public/*", "allow": ["read"], "deny": []},
              {"path": "/private/*", "allow": ["read", "write"], "deny": ["delete"]}]


def pid(n: int) -> str:
    return f"00000000-0000-4000-9000-{n:012d}"


# alice, bob and carol (tests/listdata.py) on their remotes: (id, user, remote, base set, rules, active, updated)
ROWS = (
    (pid(1), user_id(0), "gdrive", ["read"], SEED_RULES, True, T0 - timedelta(days=3)),
    (pid(2), user_id(0), "onedrive", ["read", "write"], [{"path": "/team/*", "allow": ["delete"], "deny": []}], True,
     T0 - timedelta(days=1)),
    (pid(3), user_id(1), "s3-backup", ["write", "read", "delete"], [], True, T0 - timedelta(days=2)),
    (pid(4), user_id(2), "dropbox", ["read", "admin"], [{"path": "/docs", "allow": [], "deny": ["write"]}], False, T0),
)
ALICE_GDRIVE = cache_key(user_id(0), "gdrive")


def plant(profile: Profile) -> redis.Redis:
    """The rows above, ANALYZEd (a fixed total), and the service's cache of alice on gdrive; the Redis client."""
    with rcmd_sql(profile) as conn:
        if conn.execute("SELECT 1 FROM users WHERE id = %s", [user_id(0)]).fetchone() is None:  # else the services fixture's
            fill_rcmd(profile, rows=0)
        for row in ROWS:
            conn.execute("INSERT INTO permissions (id, user_id, remote_id, permissions, path_rules, is_active, created_at, "
                         "updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                         [*row[:4], Jsonb(row[4]), row[5], T0 - timedelta(days=30), row[6]])
        conn.execute("ANALYZE permissions")
    assert profile.rcmd_redis_url is not None
    client = redis.Redis.from_url(profile.rcmd_redis_url)
    client.set(ALICE_GDRIVE, json.dumps(["read"]), ex=600)
    return client


@pytest.fixture
def planted(profile: Profile) -> Iterator[redis.Redis]:
    client = plant(profile)
    yield client
    client.close()


def _row(profile: Profile, permission_id: str) -> tuple[Any, ...] | None:
    with rcmd_sql(profile) as conn:
        return conn.execute("SELECT permissions, path_rules, is_active FROM permissions WHERE id = %s",
                            [permission_id]).fetchone()


def _audit(profile: Profile) -> list[tuple[str, str, dict[str, Any]]]:
    with rcmd_sql(profile) as conn:
        return [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT action, resource_id, details FROM audit_logs WHERE resource_type = 'permissions' ORDER BY id")]


def _said(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def _type(c: Console, box: Input, text: str) -> None:
    """Into one box of a form, as a person would: go there, clear it, type."""
    box.focus()
    await c.pilot.pause()
    await c.press("ctrl+u", *text)


# The view --------------------------------------------------------------------------------------------


async def _shown(services: Services, text: str = "", ordering: str | None = None) -> list[dict[str, Any]]:
    flt = compile_filter(RCMD_PERMISSIONS, text)
    page = await open_source(RCMD_PERMISSIONS, services, RCMD_PERMISSIONS.ordering(ordering), flt).first()
    return [r.as_dict() for r in page.records]


async def test_each_row_shows_its_user_remote_set_and_rules_in_words(services: Services, profile: Profile,
                                                                     planted: redis.Redis) -> None:
    assert RCMD_PERMISSIONS in VIEWS  # so also a report view
    rows = await _shown(services)
    assert [(r["username"], r["remote_id"]) for r in rows] == [("alice", "gdrive"), ("alice", "onedrive"),
                                                               ("bob", "s3-backup"), ("carol", "dropbox")]
    gdrive, _, s3, dropbox = rows
    assert gdrive["actions"] == "read" and gdrive["rules"] == "2 rules: /public/*, /private/*"
    assert s3["actions"] == "read write delete" and s3["rules"] == "none"  # the documented order, not as stored
    assert dropbox["actions"] == "read admin" and dropbox["is_active"] is False
    assert [(r["username"], r["remote_id"]) for r in await _shown(services, ordering="updated")][:2] == [
        ("carol", "dropbox"), ("alice", "onedrive")]


@pytest.mark.parametrize(("text", "expected"), [
    ("user=bob", {"s3-backup"}),
    (f"user={user_id(2)}", {"dropbox"}),
    ("remote=gdrive", {"gdrive"}),
    ("remote~drive", {"gdrive", "onedrive"}),
    ("active=false", {"dropbox"}),
    ("status:active", {"gdrive", "onedrive", "s3-backup"}),
    ("permission=delete", {"s3-backup"}),
    ("permission=Write", {"onedrive", "s3-backup"}),
    ("permission!=read", set()),
    ("user=alice permission=write", {"onedrive"}),
    ("since:36h", {"dropbox", "onedrive"}),
])
async def test_filters_by_user_remote_active_and_a_permission(services: Services, profile: Profile, planted: redis.Redis,
                                                              text: str, expected: set[str]) -> None:
    since = text.startswith("since:")
    with rcmd_sql(profile) as conn:  # since: counts back from now; the rows are planted back from T0
        if since:
            conn.execute("UPDATE permissions SET updated_at = updated_at - %s::timestamptz + now()", [T0])
    assert {r["remote_id"] for r in await _shown(services, text)} == expected


def test_a_permission_that_is_no_action_is_refused_before_anything_runs() -> None:
    with pytest.raises(FilterError) as refused:
        compile_filter(RCMD_PERMISSIONS, "permission=execute")
    assert "'execute' is not an action" in refused.value.message and "read, write, delete or admin" in refused.value.hint


async def test_the_updated_ordering_is_served_by_its_index(services: Services, profile: Profile) -> None:
    ordering = RCMD_PERMISSIONS.ordering("updated")
    query, params = page_query(RCMD_PERMISSIONS, ordering, compile_filter(RCMD_PERMISSIONS, ""), (T0, pid(1)), 101)
    with rcmd_sql(profile) as conn:
        conn.execute("SET enable_seqscan = off")  # an empty table: only the planner's choice without them is of interest
        conn.execute("SET enable_bitmapscan = off")
        plan = "\n".join(r[0] for r in conn.execute(b"EXPLAIN " + query.as_bytes(conn), params))
    assert "idx_permissions_updated_id" in plan and "Sort" not in plan, plan


# The screen --------------------------------------------------------------------------------------------


async def _form(c: Console, key: str) -> PermissionForm:
    await c.press(key)
    form: PermissionForm = await until_screen(c.pilot, c.app, PermissionForm)
    await c.pilot.pause()
    return form


async def _another_form(c: Console, old: PermissionForm) -> PermissionForm:
    for _ in range(100):
        await c.pilot.pause(0.05)
        if isinstance(c.app.screen, PermissionForm) and c.app.screen is not old:
            await c.pilot.pause()
            return c.app.screen
    raise AssertionError(f"no second form (on {type(c.app.screen).__name__})")


async def test_an_edit_with_problems_names_each_under_its_box_and_writes_nothing(profile: Profile,
                                                                                 planted: redis.Redis) -> None:
    before = _row(profile, pid(1))
    async with open_console(profile, "permissions") as c:
        assert isinstance(c.screen, PermissionsScreen) and c.table.current().get("id") is not None
        form = await _form(c, "E")
        assert form.query_one("#box-permissions", Input).value == "read"
        assert [b.value for b in form.query(".rule-box").results(Input)] == [
            '{"path": "/public/*", "allow": ["read"], "deny": []}',
            '{"path": "/private/*", "allow": ["read", "write"], "deny": ["delete"]}', ""]
        await _type(c, form.query_one("#box-permissions", Input), "read, execute")
        await _type(c, form.query_one("#rule-1", Input), '{"path": "private", "allow": ["read"]}')
        await c.press("enter")
        await c.pilot.pause()
        assert c.app.screen is form  # still open: nothing leaves the form with a problem
        assert '"execute" is not an action' in _said(form, "#error-permissions")
        assert "path_rules[1].path: 'private' must start with /" in _said(form, "#error-rule-1")
        assert _said(form, "#error-rule-0") == ""
        assert form.query_one("#box-permissions", Input).has_class("-problem")
        await c.press("escape")
        await c.settle()
        assert not isinstance(c.app.screen, ConfirmScreen | PermissionForm)
    assert _row(profile, pid(1)) == before and _audit(profile) == [] and planted.exists(ALICE_GDRIVE) == 1


async def test_a_valid_edit_shows_the_diff_then_writes_audits_and_deletes_the_cache_key(profile: Profile,
                                                                                       planted: redis.Redis) -> None:
    async with open_console(profile, "permissions") as c:
        form = await _form(c, "E")
        await _type(c, form.query_one("#box-permissions", Input), "read write")
        await _type(c, form.query_one("#rule-1", Input), "")  # the /private/* rule goes
        await _type(c, form.query_one("#rule-2", Input), '{"path": "/shared/*", "allow": ["write"]}')
        await c.press("enter")
        confirm = await until_confirm(c.pilot, c.app)
        shown = "\n".join(confirm.statements)
        assert confirm.title_text == "Edit permissions of alice on gdrive"
        assert "permissions: read → read, write (+write)" in shown
        assert "    /public/*  allow read  deny none" in shown  # kept, in place
        assert "  - /private/*  allow read, write  deny delete" in shown
        assert "  + /shared/*  allow write  deny none" in shown
        assert "UPDATE" in shown and f"DEL {ALICE_GDRIVE}" in shown
        await c.press("enter")
        await c.settle()
        assert c.table.current().get("actions") == "read write"  # re-read in place
    assert _row(profile, pid(1)) == (["read", "write"], [SEED_RULES[0], {"path": "/shared/*", "allow": ["write"], "deny": []}],
                                     True)
    assert planted.exists(ALICE_GDRIVE) == 0
    [(action, resource, details)] = _audit(profile)
    assert (action, resource) == ("console.permission.update", pid(1))
    assert details["before"]["path_rules"] == SEED_RULES and details["after"]["permissions"] == ["read", "write"]


async def test_a_new_row_names_an_unknown_user_then_is_created_for_the_one_named(profile: Profile,
                                                                                 planted: redis.Redis) -> None:
    async with open_console(profile, "permissions") as c:
        form = await _form(c, "N")
        assert form.query_one("#box-user", Input).value == "alice"  # the cursor's user
        await _type(c, form.query_one("#box-user", Input), "nobody.here")
        await _type(c, form.query_one("#box-remote", Input), "b2-archive")
        await _type(c, form.query_one("#rule-0", Input), '{"path": "/in/*", "allow": ["write"]}')
        await c.press("enter")
        form = await _another_form(c, form)  # again, with what was typed
        assert "user: no user 'nobody.here'" in _said(form, "#error-user")
        assert form.query_one("#box-remote", Input).value == "b2-archive"
        await _type(c, form.query_one("#box-user", Input), "bob")
        await c.press("enter")
        confirm = await until_confirm(c.pilot, c.app)
        shown = "\n".join(confirm.statements)
        assert "permissions: read" in shown and "  + /in/*  allow write  deny none" in shown and "INSERT" in shown
        await c.press("enter")
        await c.settle()
    with rcmd_sql(profile) as conn:
        created = conn.execute("SELECT id::text, permissions, path_rules FROM permissions WHERE user_id = %s "
                               "AND remote_id = 'b2-archive'", [user_id(1)]).fetchone()
    assert created is not None and created[1:] == (["read"], [{"path": "/in/*", "allow": ["write"], "deny": []}])
    assert [(a, r) for a, r, _ in _audit(profile)] == [("console.permission.create", created[0])]


async def test_a_new_row_where_the_user_already_has_one_is_told_in_the_form_and_writes_nothing(
        profile: Profile, planted: redis.Redis) -> None:
    async with open_console(profile, "permissions") as c:
        form = await _form(c, "N")
        await _type(c, form.query_one("#box-remote", Input), "gdrive")  # alice, the cursor's user, has it
        await c.press("enter")
        form = await _another_form(c, form)  # again, with what was typed and the reason under the remote box
        assert "alice already has a permissions row for gdrive" in _said(form, "#error-remote")
        assert form.query_one("#box-remote", Input).value == "gdrive"
    assert _audit(profile) == [] and planted.exists(ALICE_GDRIVE) == 1


async def test_a_new_row_taken_meanwhile_is_refused_when_it_runs_and_writes_nothing(profile: Profile,
                                                                                  planted: redis.Redis) -> None:
    from rcmd_tui.data.rcmd.permission_edit import create_permission, validate_edit

    async with opened_services(profile) as services:
        plan = create_permission(user_id(0), "alice", "gdrive", validate_edit(["read"], [], True).require(), profile)
        with pytest.raises(TargetChanged, match="alice already has a permissions row for gdrive; edit that row instead"):
            await actions.run(services, plan)
    assert _audit(profile) == [] and planted.exists(ALICE_GDRIVE) == 1


async def _check(c: Console, path: str, action: str) -> str:
    screen = c.app.screen
    assert isinstance(screen, AccessCheck)
    await _type(c, screen.query_one("#check-path", Input), path)
    await _type(c, screen.query_one("#check-action", Input), action)
    await c.press("enter")
    await c.pilot.pause()
    return _said(screen, "#check-answer")


async def test_check_access_answers_with_the_rule_that_decided_and_writes_nothing(profile: Profile,
                                                                                  planted: redis.Redis) -> None:
    async with open_console(profile, "permissions") as c:
        await c.press("A")
        check = await until_screen(c.pilot, c.app, AccessCheck)
        assert check.who == "alice on gdrive"
        assert await _check(c, "/private/hr/salaries.xlsx", "delete") == "denied: path_rules[1] (/private/*) denies delete"
        assert await _check(c, "/public/../private/x", "write") == (
            "allowed: path_rules[1] (/private/*) allows write\n(matched as /private/x)")
        assert await _check(c, "/docs/a.txt", "read") == (
            "allowed: no path rule names read for /docs/a.txt; the base permissions include it")
        assert "is not an action" in await _check(c, "/docs", "execute")
        await c.press("escape")
        await c.settle()
    assert _audit(profile) == [] and planted.exists(ALICE_GDRIVE) == 1


async def test_read_only_refuses_the_editor_but_still_checks_access(profile: Profile, planted: redis.Redis) -> None:
    async with open_console(profile, "permissions", read_only=True) as c:
        await c.press("E")
        await c.settle()
        assert isinstance(c.app.screen, PermissionsScreen)  # no form
        await c.press("A")
        await until_screen(c.pilot, c.app, AccessCheck)
        assert (await _check(c, "/docs/x", "write")).startswith("denied: no path rule names write")


async def test_the_detail_shows_the_rules_as_a_table_and_a_malformed_rule_as_stored(profile: Profile,
                                                                                    planted: redis.Redis) -> None:
    with rcmd_sql(profile) as conn:
        conn.execute("UPDATE permissions SET path_rules = %s WHERE id = %s",
                     [Jsonb([*SEED_RULES, {"path": "docs", "depth": 2}]), pid(1)])
    async with open_console(profile, "permissions") as c:
        await c.press("enter")
        await c.settle()
        assert isinstance(c.app.screen, PermissionDetail)
        section = c.app.screen.query_one(JsonTree).root.children[-1]
        lines = [str(n.label) for n in section.children]
        assert lines[0].split() == ["#", "glob", "allow", "deny"]
        assert lines[1].split() == ["0", "/public/*", "read", "none"]
        assert lines[2].split() == ["1", "/private/*", "read", "write", "delete"]
        assert lines[3].startswith("2    {\"path\": \"docs\"")
        assert "unknown key 'depth'" in str(section.children[3].children[0].label)


# The real console at 80x24 -------------------------------------------------------------------------


def test_at_80x24_the_list_the_form_and_the_check_show_what_is_typed(profile: Profile, tmp_path: Path) -> None:
    plant(profile).close()
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"permissions", "enter")
        term.wait_for("Path rules")
        assert term.line(0).startswith(" RCMD permissions │")
        header = next(line for line in term.screen.display if "Permissions" in line and "Remote" in line)
        assert header.split()[:5] == ["User", "Remote", "Permissions", "Active", "Path"]
        assert any(line.split()[:5] == ["alice", "gdrive", "read", "yes", "2"] for line in term.screen.display), term.text()
        assert "row 1 of 4" in term.text() and "sort user id, remote" in term.text()
        term.press("E")
        term.wait_for("Edit permissions of alice on gdrive")
        term.press("ctrl+u", *"read, write")
        assert "read, write" in term.text()  # visible while typed
        term.press("down", "down", "down", "down")  # the blank box after the two rules
        term.press(*'{"path": "/new/*"}')
        assert '{"path": "/new/*"}' in term.text()
        term.press("up", "up", "ctrl+u", *'{"path": "oops"}', "enter")
        term.wait_for("path_rules[0].path: 'oops' must start with /")
        term.press("escape")
        term.wait_for("Cancelled")
        term.press("A")
        term.wait_for("Check access: alice on gdrive")
        term.press(*"/private/hr/pay.xlsx")
        assert "/private/hr/pay.xlsx" in term.text()
        term.press("enter", *"delete")
        assert "delete" in term.text().split("Action", 1)[1]
        term.press("enter")
        term.wait_for("denied: path_rules[1] (/private/*) denies delete")


# The picture -------------------------------------------------------------------------------------------


def test_the_permissions_list_at_80x24(snap_compare: Any, profile: Profile) -> None:
    plant(profile).close()

    async def open_list(pilot: Pilot[Any]) -> None:
        pilot.app.services.where = lambda _target: "127.0.0.1:5432/demo"  # type: ignore[attr-defined]  # not the test db's name
        for _ in range(3):
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"permissions", "enter")
        for _ in range(3):
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
        await pilot.press("down")
        await pilot.pause()

    app = make_app(replace(profile, name="snapshot", banner="darkred"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_list)
