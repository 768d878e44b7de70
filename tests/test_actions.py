"""Actions through the console: shown in full, confirmed or cancelled, re-checked, audited with the change."""

from __future__ import annotations

import psycopg

from rcmd_tui.app import make_app
from rcmd_tui.config import ROLES, Profile
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.actions.plan import ActionRefused, TargetChanged
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.rcmd.actions import set_users_active
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.screens.list_screen import ListScreen
from tests.helpers import goto, login_as, open_console, settle, table_of, until_confirm
from tests.listdata import fill_rcmd, user_id


def _state(profile: Profile) -> tuple[dict[str, bool], list[tuple[str, str, dict[str, object]]]]:
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}") as conn:
        active = {r[0]: r[1] for r in conn.execute("SELECT username, is_active FROM users")}
        audit = [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT action, resource_id, details FROM audit_logs WHERE action LIKE 'console.%' ORDER BY id")]
    return active, audit


async def test_bulk_deactivate_shows_the_sql_needs_typed_words_and_is_audited(profile: Profile) -> None:
    fill_rcmd(profile)
    app = make_app(profile)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await goto(pilot, app, "users")
        assert isinstance(app.screen, ListScreen)
        await pilot.press("space", "space")  # alice and bob
        assert len(table_of(app).marked) == 2
        await pilot.press("D")
        confirm = await until_confirm(pilot, app)
        shown = "\n".join(confirm.statements)
        assert confirm.typed == "deactivate 2"
        assert 'UPDATE "users" SET "is_active" = false' in shown and user_id(0) in shown and user_id(1) in shown
        assert "INSERT INTO audit_logs" in shown and "FOR UPDATE" in shown
        await pilot.press("enter")  # nothing typed: refused
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "type exactly: deactivate 2" in str(app.screen.query_one("#confirm-wrong").render())
        await pilot.press("escape")
        await settle(pilot, app)
        assert isinstance(app.screen, ListScreen)
        assert table_of(app).marked  # the marks stay for another try
        active, audit = _state(profile)
        assert active == {"alice": True, "bob": True, "carol": True} and audit == []  # cancel changed nothing
        await pilot.press("D")
        await until_confirm(pilot, app)
        await pilot.press(*"deactivate 2", "enter")
        await settle(pilot, app)
        active, audit = _state(profile)
        assert active == {"alice": False, "bob": False, "carol": True}
        assert sorted(a[1] for a in audit) == sorted([user_id(0), user_id(1)])
        assert all(a[0] == "console.user.deactivate" and a[2]["console_role"] == "admin" and a[2]["db_user"] for a in audit)
        assert not table_of(app).marked
        rows = {r.get("username"): r.get("is_active") for r in table_of(app).shown_records}
        assert rows == {"alice": False, "bob": False, "carol": True}  # the list was read again


async def test_targets_are_rechecked_when_the_action_runs(profile: Profile) -> None:
    fill_rcmd(profile)
    plan = set_users_active([(user_id(2), "carol")], False, profile)
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}") as conn:
        conn.execute("UPDATE users SET is_active = false WHERE username = 'carol'")  # someone else got there first
    services = Services(profile)
    await services.open()
    try:
        try:
            await actions.run(services, plan)
            raise AssertionError("ran on a changed target")
        except TargetChanged as exc:
            assert "carol inactive" in exc.message and "refresh" in exc.hint
    finally:
        await services.close()
    _, audit = _state(profile)
    assert audit == []  # no audit row for what did not happen


async def test_without_the_audit_insert_the_action_does_not_happen(profile: Profile) -> None:
    fill_rcmd(profile)
    with login_as(profile, "rcmd", "rcmd_tui_test_noaudit", "rcmd_tui_oncall",
                     ["GRANT UPDATE (is_active, updated_at) ON {schema}.users TO {role}"]) as weak:
        services = Services(weak)
        await services.open()
        try:
            assert not await actions.role_holds(services.primary("rcmd"), set_users_active([], False, weak).privileges)
            try:
                await actions.run(services, set_users_active([(user_id(2), "carol")], False, weak))
                raise AssertionError("ran without an audit row")
            except ActionRefused as exc:
                assert "refused" in exc.message and "rcmd_tui_admin" in exc.hint
        finally:
            await services.close()
    active, audit = _state(profile)
    assert active["carol"] is True and audit == []


async def test_the_privileges_checked_are_the_columns_the_statement_writes(profile: Profile) -> None:
    """A grant on is_active alone does not cover the statement's updated_at = now(), nor INSERT on the audit log
    the USAGE its serial id needs: not offered. With all of them it is offered, and the database runs it."""
    fill_rcmd(profile)
    plan = set_users_active([(user_id(2), "carol")], False, profile)
    updated = {p.column for p in plan.privileges if p.table == "users" and p.privilege == "UPDATE"}
    assert updated == {"is_active", "updated_at"}
    audit_grants = ["GRANT INSERT ON {schema}.audit_logs TO {role}",
                    "GRANT USAGE ON SEQUENCE {schema}.audit_logs_id_seq TO {role}"]
    for columns, audit_grant, offered in (("is_active", audit_grants, False),
                                          ("is_active, updated_at", audit_grants[:1], False),  # the id's sequence
                                          ("is_active, updated_at", audit_grants, True)):
        grants = [f"GRANT UPDATE ({columns}) ON {{schema}}.users TO {{role}}", *audit_grant]
        with login_as(profile, "rcmd", "rcmd_tui_test_columns", "rcmd_tui_oncall", grants) as narrow:
            services = Services(narrow)
            await services.open()
            try:
                assert await actions.action_is_offered(services, "rcmd", ROLES, plan.privileges) is offered
                if offered:
                    assert (await actions.run(services, plan)).changed == 1
            finally:
                await services.close()
    active, _audit = _state(profile)
    assert active["carol"] is False


def _redis_audit(profile: Profile) -> list[tuple[str, str]]:
    assert profile.rcmd is not None
    with psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}") as conn:
        return [(r[0], r[1]) for r in conn.execute(
            "SELECT resource_id, result FROM audit_logs WHERE action = 'console.redis.delete' ORDER BY id")]


async def test_deleting_a_redis_key_is_confirmed_rechecked_and_audited_first(profile: Profile) -> None:
    import redis as redis_sync

    from rcmd_tui.screens.redis_keys import RedisKeysScreen, RedisValueScreen
    from rcmd_tui.widgets.row_grid import RowGrid

    assert profile.rcmd_redis_url is not None
    client = redis_sync.Redis.from_url(profile.rcmd_redis_url)
    client.set("lock:job:1", "token-a")
    app = make_app(profile)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot, app)
        await goto(pilot, app, "redis")
        assert isinstance(app.screen, RedisKeysScreen)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, RedisValueScreen)
        assert app.screen.query_one(RowGrid).rows[0][1].plain == "token-a"
        await pilot.press("D")
        confirm = await until_confirm(pilot, app)
        assert "UNLINK lock:job:1" in confirm.statements and any("must be token-a" in s for s in confirm.statements)
        await pilot.press("escape")
        await settle(pilot, app)
        assert client.get("lock:job:1") == b"token-a" and _redis_audit(profile) == []
        client.set("lock:job:1", "token-b")  # another holder took the lock meanwhile
        await pilot.press("D")
        await until_confirm(pilot, app)
        await pilot.press(*"delete", "enter")
        await settle(pilot, app)
        assert client.get("lock:job:1") == b"token-b"  # re-checked: not the lock that was shown
        assert "value changed since it was shown" in app.screen.query_one("ErrorPanel").text  # type: ignore[attr-defined]
        assert _redis_audit(profile) == []
        await pilot.press("escape")
        await settle(pilot, app)
        await pilot.press("r")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.press("D")
        await until_confirm(pilot, app)
        await pilot.press(*"delete", "enter")
        await settle(pilot, app)
    assert client.get("lock:job:1") is None
    assert _redis_audit(profile) == [("lock:job:1", "success")]
    client.close()


async def test_after_an_action_the_rows_are_read_again_in_place_and_the_cursor_stays(profile: Profile) -> None:
    fill_rcmd(profile)
    async with open_console(profile, "users", size=(140, 40)) as c:
        await c.press("down")  # bob
        await c.press("D")
        await until_confirm(c.pilot, c.app)
        await c.press(*"deactivate 1", "enter")
        await c.settle()
        current = c.table.current()
        assert current is not None and current.get("username") == "bob" and current.get("is_active") is False
        assert [r.get("username") for r in c.table.shown_records] == ["alice", "bob", "carol"]
