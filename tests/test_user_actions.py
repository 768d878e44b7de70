"""User actions run as the console runs them: OrderSync unlock, suspend, reactivate and reset two-factor under the
row's version; RCMD role changes re-checked against the role shown. Each changes its row and writes one audit
row with the values before and after; a row changed since it was shown is refused and nothing is lost."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from rcmd_tui.config import ROLES, Profile, Timeouts
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.actions.plan import ActionRefused, Plan, TargetChanged
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.ordersync.user_actions import ShownUser, reactivate, reset_two_factor, shown_user, suspend, unlock
from rcmd_tui.data.rcmd.actions import change_role
from tests.helpers import login_as, opened_services
from tests.listdata import T0, user_id

USER = user_id(7)
Shown = Callable[[], Awaitable[ShownUser]]  # the `shown` fixture
SECRET = "v1:k-2fa:c2VjcmV0LWNpcGhlcnRleHQ="  # what the secret column holds; it must never reach the log


def _ordersync(profile: Profile) -> psycopg.Connection[dict[str, Any]]:
    assert profile.ordersync is not None
    return psycopg.connect(profile.ordersync.dsn, options=f"-c search_path={profile.ordersync.schema}",
                           autocommit=True, row_factory=dict_row)


def _rcmd(profile: Profile) -> psycopg.Connection[dict[str, Any]]:
    assert profile.rcmd is not None
    return psycopg.connect(profile.rcmd.dsn, options=f"-c search_path={profile.rcmd.schema}", autocommit=True, row_factory=dict_row)


def _add_user(profile: Profile, *, status: str = "ACTIVE", failed: int = 0, locked_until: datetime | None = None,
              two_factor: bool = False, version: int = 1) -> None:
    with _ordersync(profile) as conn:
        conn.execute(
            "INSERT INTO users (id, email_encrypted, email_key_id, email_hash, password_hash_encrypted, password_key_id, salt, "
            "status, failed_login_count, locked_until, two_factor_enabled, two_factor_secret_encrypted, two_factor_secret_key_id, "
            "version, created_at) VALUES (%s, 'ann@example.com', 'plain:test', 'hash-ann', 'x', 'plain:test', 's', "
            "%s, %s, %s, %s, %s, %s, %s, %s)",
            [USER, status, failed, locked_until, two_factor, SECRET if two_factor else None, "k-2fa" if two_factor else None,
             version, T0])


def _row(profile: Profile) -> dict[str, Any]:
    with _ordersync(profile) as conn:
        row = conn.execute("SELECT status, failed_login_count, locked_until, two_factor_enabled, two_factor_secret_encrypted, "
                           "two_factor_secret_key_id, version FROM users WHERE id = %s", [USER]).fetchone()
    assert row is not None
    return row


def _console_audit(profile: Profile) -> list[dict[str, Any]]:
    """OrderSync's console rows, payloads parsed (they are plain JSON under plain:console)."""
    with _ordersync(profile) as conn:
        rows = conn.execute("SELECT resource_type, resource_id, old_value_encrypted, old_value_key_id, new_value_encrypted, "
                            "new_value_key_id, success FROM audit_logs WHERE action = 'CONSOLE_ACTION' ORDER BY created_at").fetchall()
    return [{**r, "old": json.loads(r["old_value_encrypted"]), "new": json.loads(r["new_value_encrypted"])} for r in rows]


def _role_audit(profile: Profile) -> list[dict[str, Any]]:
    with _rcmd(profile) as conn:
        return conn.execute("SELECT resource_id, details, result FROM audit_logs WHERE action = 'console.user.role' ORDER BY id").fetchall()


def _roles(profile: Profile) -> dict[str, str]:
    with _rcmd(profile) as conn:
        return {r["username"]: r["role"] for r in conn.execute("SELECT username, role FROM users")}


@pytest.fixture
async def shown(services: Services) -> Shown:
    """Reads the OrderSync user as a screen would show it, just before the action is chosen."""
    async def read() -> ShownUser:
        user = await shown_user(services.primary("ordersync"), USER, label="a***@example.com")
        assert user is not None
        return user
    return read


async def _run(services: Services, plan: Plan) -> int:
    """As the console does: render every statement for the dialog, then run it with the one runner."""
    rendered = "\n".join(await actions.render(services, plan))
    assert "FOR UPDATE" in rendered and "INSERT INTO audit_logs" in rendered
    return (await actions.run(services, plan)).changed


def _assert_one_audit_row(profile: Profile, action: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    [row] = _console_audit(profile)
    assert (row["resource_type"], row["resource_id"], row["success"]) == ("users", USER, True)
    assert row["old_value_key_id"] == row["new_value_key_id"] == "plain:console"
    assert row["old"] == before
    payload = row["new"]
    assert payload["after"] == after and payload["action"] == action and payload["result"] == "success"
    assert payload["console_role"] == "admin" and payload["profile"] == "test" and payload["db_user"] and payload["db_role"]


async def test_unlock_resets_the_failed_logins_and_the_lock_under_the_version_and_is_audited_once(
        services: Services, profile: Profile, shown: Shown) -> None:
    locked = datetime.now().astimezone() + timedelta(minutes=30)
    _add_user(profile, failed=6, locked_until=locked, version=4)
    plan = unlock(await shown(), profile)
    assert plan.roles == ("admin",) and plan.typed is None and "a***@example.com" in plan.title
    rendered = "\n".join(await actions.render(services, plan))
    assert '"version" = version + 1' in rendered and "AND version = 4" in rendered
    assert await _run(services, plan) == 1
    row = _row(profile)
    assert (row["failed_login_count"], row["locked_until"], row["version"], row["status"]) == (0, None, 5, "ACTIVE")
    [row] = _console_audit(profile)
    assert datetime.fromisoformat(row["old"]["locked_until"]) == locked  # as the server spells it, in its time zone
    _assert_one_audit_row(profile, "console.user.unlock",
                          before={"failed_login_count": 6, "locked_until": row["old"]["locked_until"], "version": 4},
                          after={"failed_login_count": 0, "locked_until": None, "version": 5})


async def test_suspend_and_reactivate_change_the_status_each_with_its_own_audit_row(
        services: Services, profile: Profile, shown: Shown) -> None:
    _add_user(profile)
    plan = suspend(await shown(), profile)
    assert plan.typed == "suspend"
    assert await _run(services, plan) == 1
    assert (_row(profile)["status"], _row(profile)["version"]) == ("SUSPENDED", 2)
    _assert_one_audit_row(profile, "console.user.suspend", {"status": "ACTIVE", "version": 1}, {"status": "SUSPENDED", "version": 2})
    assert await _run(services, reactivate(await shown(), profile)) == 1  # shown again, at version 2
    assert (_row(profile)["status"], _row(profile)["version"]) == ("ACTIVE", 3)
    rows = _console_audit(profile)
    assert [(r["new"]["action"], r["old"], r["new"]["after"]) for r in rows] == [
        ("console.user.suspend", {"status": "ACTIVE", "version": 1}, {"status": "SUSPENDED", "version": 2}),
        ("console.user.reactivate", {"status": "SUSPENDED", "version": 2}, {"status": "ACTIVE", "version": 3})]


async def test_reset_two_factor_clears_the_flag_the_secret_and_its_key_and_never_logs_the_secret(
        services: Services, profile: Profile, shown: Shown) -> None:
    _add_user(profile, two_factor=True)
    user = await shown()
    assert user.two_factor_enabled and user.two_factor_secret
    plan = reset_two_factor(user, profile)
    assert plan.typed == "reset 2fa"
    assert await _run(services, plan) == 1
    row = _row(profile)
    assert (row["two_factor_enabled"], row["two_factor_secret_encrypted"], row["two_factor_secret_key_id"], row["version"]) == (
        False, None, None, 2)
    _assert_one_audit_row(profile, "console.user.reset_2fa",
                          before={"two_factor_enabled": True, "two_factor_secret_set": True, "two_factor_secret_key_id": "k-2fa",
                                  "version": 1},
                          after={"two_factor_enabled": False, "two_factor_secret_set": False, "two_factor_secret_key_id": None,
                                 "version": 2})
    assert SECRET not in json.dumps(_console_audit(profile))


async def test_actions_with_nothing_to_do_are_refused_before_anything_runs(profile: Profile) -> None:
    calm = ShownUser(USER, 1, "ACTIVE", 0, None, False, False)
    for make in (unlock, reactivate, reset_two_factor):
        with pytest.raises(ActionRefused):
            make(calm, profile)
    with pytest.raises(ActionRefused, match="DELETED, not ACTIVE"):
        suspend(replace(calm, status="DELETED"), profile)
    with pytest.raises(ActionRefused, match="DELETED, not SUSPENDED"):
        reactivate(replace(calm, status="DELETED"), profile)


async def test_a_row_changed_since_it_was_shown_is_refused_naming_the_change_and_nothing_is_lost(
        services: Services, profile: Profile, shown: Shown) -> None:
    _add_user(profile, failed=5)
    user = await shown()
    with _ordersync(profile) as other:  # OrderSync itself, meanwhile, as its writers do: version + 1
        other.execute("UPDATE users SET status = 'SUSPENDED', failed_login_count = 6, version = version + 1 WHERE id = %s", [USER])
    theirs = _row(profile)
    for plan in (suspend(user, profile), unlock(user, profile)):
        with pytest.raises(TargetChanged) as refused:
            await actions.run(services, plan)
        assert "status ACTIVE → SUSPENDED" in refused.value.message and "failed logins 5 → 6" in refused.value.message
        assert "version 1 → 2" in refused.value.message and "refresh" in refused.value.hint
    assert _row(profile) == theirs and _console_audit(profile) == []  # their change stands; no audit of what did not happen


async def test_a_version_bumped_by_someone_else_is_refused_even_when_the_shown_columns_match(
        services: Services, profile: Profile, shown: Shown) -> None:
    _add_user(profile, two_factor=True, version=3)
    user = await shown()
    with _ordersync(profile) as other:
        other.execute("UPDATE users SET last_login_at = now(), version = version + 1 WHERE id = %s", [USER])
    theirs = _row(profile)
    with pytest.raises(TargetChanged) as refused:
        await actions.run(services, reset_two_factor(user, profile))
    assert refused.value.message.endswith(": changed since it was shown: version 3 → 4")
    assert _row(profile) == theirs and _console_audit(profile) == []


async def test_a_user_deleted_since_it_was_shown_is_refused(
        services: Services, profile: Profile, shown: Shown) -> None:
    _add_user(profile)
    user = await shown()
    with _ordersync(profile) as other:
        other.execute("DELETE FROM users WHERE id = %s", [USER])
    with pytest.raises(TargetChanged, match="the user no longer exists"):
        await actions.run(services, suspend(user, profile))
    assert _console_audit(profile) == []


async def test_a_change_racing_the_action_holds_it_off_and_is_never_overwritten(
        profile: Profile, shown: Shown) -> None:
    """Another writer holds the row while the action runs: the re-check waits for its lock and gives up at
    lock_timeout; once their change commits, the re-check sees the new version and refuses."""
    _add_user(profile)
    user = await shown()
    async with opened_services(replace(profile, timeouts=Timeouts(lock_ms=200))) as impatient:
        with _ordersync(profile) as other, other.transaction():
            other.execute("UPDATE users SET status = 'DELETED', version = version + 1 WHERE id = %s", [USER])
            with pytest.raises(ActionRefused, match="locked by another session"):
                await actions.run(impatient, suspend(user, profile))
        with pytest.raises(TargetChanged, match="status ACTIVE → DELETED"):
            await actions.run(impatient, suspend(user, profile))
    assert (_row(profile)["status"], _row(profile)["version"]) == ("DELETED", 2) and _console_audit(profile) == []


async def test_changing_a_role_rechecks_it_and_audits_before_and_after(services: Services, profile: Profile) -> None:
    plan = change_role(user_id(1), "bob", "user", "power_user", profile)
    assert plan.roles == ("admin",) and plan.typed is None
    rendered = "\n".join(await actions.render(services, plan))
    assert """UPDATE "users" SET "role" = 'power_user'""" in rendered and "AND role = 'user'" in rendered
    assert (await actions.run(services, plan)).changed == 1
    assert _roles(profile) == {"alice": "admin", "bob": "power_user", "carol": "user"}
    [row] = _role_audit(profile)
    details = row["details"]
    assert (row["resource_id"], row["result"]) == (user_id(1), "success")
    assert details["before"] == {"role": "user"} and details["after"] == {"role": "power_user"} and details["username"] == "bob"
    assert details["console_role"] == "admin" and details["profile"] == "test" and details["db_user"]


async def test_granting_admin_takes_typed_words(profile: Profile) -> None:
    assert change_role(user_id(2), "carol", "user", "admin", profile).typed == "grant admin"
    assert change_role(user_id(0), "alice", "admin", "user", profile).typed is None


async def test_a_role_changed_since_it_was_shown_is_refused_and_nothing_is_lost(services: Services, profile: Profile) -> None:
    plan = change_role(user_id(2), "carol", "user", "admin", profile)
    with _rcmd(profile) as other:
        other.execute("UPDATE users SET role = 'power_user' WHERE username = 'carol'")
    with pytest.raises(TargetChanged, match=r"carol is now power_user \(shown user\)"):
        await actions.run(services, plan)
    assert _roles(profile)["carol"] == "power_user" and _role_audit(profile) == []


async def test_a_role_outside_the_check_is_refused_before_anything_is_written(services: Services, profile: Profile) -> None:
    before = _roles(profile)
    for role in ("superuser", "ADMIN", ""):
        with pytest.raises(ActionRefused, match="is not an RCMD role") as refused:
            change_role(user_id(1), "bob", "user", role, profile)
        assert "admin, power_user, user" in refused.value.hint
    with pytest.raises(ActionRefused, match="already user"):
        change_role(user_id(1), "bob", "user", "user", profile)
    assert _roles(profile) == before and _role_audit(profile) == []


def test_the_privileges_are_read_off_the_statements(profile: Profile) -> None:
    user = ShownUser(USER, 1, "ACTIVE", 3, None, True, True)
    updated = {p.column for p in unlock(user, profile).privileges if p.table == "users" and p.privilege == "UPDATE"}
    assert updated == {"failed_login_count", "locked_until", "version", "updated_at"}
    reset = reset_two_factor(user, profile).privileges
    assert {p.column for p in reset if p.table == "users" and p.privilege == "UPDATE"} == {
        "two_factor_enabled", "two_factor_secret_encrypted", "two_factor_secret_key_id", "version", "updated_at"}
    # The users trigger writes its own audit row as whoever runs the UPDATE: that insert is needed too.
    assert {p.column for p in reset if p.table == "audit_logs" and p.privilege == "INSERT"} >= {"user_id", "old_value_encrypted"}
    role = change_role(user_id(1), "bob", "user", "admin", profile).privileges
    assert {p.column for p in role if p.table == "users" and p.privilege == "UPDATE"} == {"role", "updated_at"}


async def test_the_console_admin_role_is_offered_unlock_suspend_and_reactivate_and_the_database_runs_them(
        services: Services, profile: Profile, shown: Shown) -> None:
    _add_user(profile, failed=7)
    user = await shown()
    with login_as(profile, "ordersync", f"rcmd_tui_test_admin_{uuid.uuid4().hex[:6]}", "rcmd_tui_admin") as admin:
        async with opened_services(admin) as as_admin:
            for plan in (unlock(user, admin), suspend(user, admin), reactivate(replace(user, status="SUSPENDED"), admin)):
                assert await actions.action_is_offered(as_admin, "ordersync", ROLES, plan.privileges), plan.title
            assert not await actions.action_is_offered(as_admin, "ordersync", ("support", "oncall"), unlock(user, admin).privileges)
            assert await actions.run(as_admin, unlock(user, admin)) == actions.Result(1)
    assert (_row(profile)["failed_login_count"], _row(profile)["version"]) == (0, 2)
    [row] = _console_audit(profile)
    assert row["new"]["db_user"].startswith("rcmd_tui_test_admin_")
