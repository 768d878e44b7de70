"""Every kind of failure reaches the screen's one error route and shows with its fix, from real servers:
a statement timeout, a lock timeout, a revoked privilege, a lost connection, a stopped, paused, restricted
or trimmed Redis. Mapped by exception type, never by message text."""

from __future__ import annotations

import uuid
from dataclasses import replace

import keyring
import keyring.errors
import psycopg
import psycopg.errors
import redis
import redis.exceptions
from keyrings.alt.file import PlaintextKeyring
from textual.widgets import Static

from rcmd_tui.config import KeyringSettings, PgTarget, Profile
from rcmd_tui.data.infra import launcher
from rcmd_tui.data.infra.failures import KeyringFailed, LockWait, NotPermitted, QueryFailed, Unreachable, describe
from rcmd_tui.errors import RcmdError
from rcmd_tui.screens.list_screen import ListScreen
from tests.helpers import open_console, private_redis, table_locked
from tests.listdata import fill_rcmd


def _timeouts(profile: Profile, **changes: float) -> Profile:
    return replace(profile, timeouts=replace(profile.timeouts, **changes))  # type: ignore[arg-type]


async def test_a_statement_timeout_names_the_setting_and_how_to_narrow(profile: Profile) -> None:
    fill_rcmd(profile, rows=20)
    assert profile.rcmd is not None
    async with open_console(_timeouts(profile, statement_ms=300, lock_ms=5000), "audit") as c:
        rows = list(c.table.shown_records)
        with table_locked(profile.rcmd.dsn, profile.rcmd.schema, "audit_logs"):
            await c.press("r")
            await c.settle()
            error = c.error()
        assert error.startswith("Query: rcmd (") and "ran past statement_timeout" in error
        assert "narrow the filter" in error and "timeouts.statement_ms" in error
        assert c.table.shown_records == rows  # the rows shown stay
        assert "loading" not in str(c.screen.query_one("#status").render())
        await c.press("r")  # the lock is gone: the next try works and the panel goes
        await c.settle()
        assert c.error() == ""


async def test_a_lock_timeout_says_who_to_look_for_from_a_page_and_from_a_count(profile: Profile) -> None:
    fill_rcmd(profile, rows=20)
    assert profile.rcmd is not None
    async with open_console(_timeouts(profile, statement_ms=5000, lock_ms=300), "audit") as c:
        with table_locked(profile.rcmd.dsn, profile.rcmd.schema, "audit_logs"):
            await c.press("r")  # the table's own worker
            await c.settle()
            assert "Lock wait: rcmd (" in c.error() and "gave up waiting for a lock" in c.error()
            for _ in range(50):  # then who holds it, looked up once the wait is told
                if "locked by pid" in c.error():
                    break
                await c.pilot.pause(0.05)
            assert "audit_logs is locked by pid" in c.error() and "the-locker" in c.error()
            assert "pg_cancel_backend(" in c.error()
            c.screen.query_one("ErrorPanel").clear()  # type: ignore[attr-defined]
            await c.press("number_sign")  # the screen's own worker (exact count)
            await c.settle()
            assert "gave up waiting for a lock" in c.error()
            status = str(c.screen.query_one("#status").render())
            assert " of ?" in status and "…" not in status  # a failed count is not one still running


async def test_a_new_filter_that_fails_leaves_no_rows_of_the_old_one_under_it(profile: Profile) -> None:
    fill_rcmd(profile, rows=20)
    assert profile.rcmd is not None
    async with open_console(_timeouts(profile, statement_ms=5000, lock_ms=300), "audit") as c:
        assert len(c.table.shown_records) == 20
        with table_locked(profile.rcmd.dsn, profile.rcmd.schema, "audit_logs"):
            await c.press("slash", *"result=failure", "enter")
            await c.settle()
            assert "gave up waiting for a lock" in c.error()
            assert c.table.shown_records == [] and c.table.placeholder.startswith("not read")
            status = str(c.screen.query_one("#status").render())
            assert status.startswith("0 of ") and "filter result=failure" in status
        await c.press("r")  # the lock is gone: the new filter's rows come
        await c.settle()
        assert c.error() == "" and c.table.shown_records
        assert all(r.get("result") == "failure" for r in c.table.shown_records)


async def test_a_revoked_privilege_is_named_with_the_grant_to_ask_for(profile: Profile) -> None:
    fill_rcmd(profile, rows=20)
    assert profile.rcmd is not None
    role = f"rcmd_tui_noread_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(profile.rcmd.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'")
        conn.execute(f"GRANT USAGE ON SCHEMA {profile.rcmd.schema} TO {role}")
        conn.execute(f"GRANT SELECT ON {profile.rcmd.schema}.users TO {role}")
    info = psycopg.conninfo.conninfo_to_dict(profile.rcmd.dsn)
    info.update(user=role, password="pw")  # type: ignore[arg-type]
    weak = replace(profile, rcmd=replace(profile.rcmd, dsn=psycopg.conninfo.make_conninfo(**info)))  # type: ignore[arg-type]
    try:
        async with open_console(weak, "audit") as c:
            assert isinstance(c.screen, ListScreen)
            error = c.error()
            assert error.startswith("Not permitted: rcmd (") and "permission denied for table audit_logs" in error
            assert "docs/roles.md" in error
            await c.goto("users")  # what the role may read still works
            assert c.error() == "" and len(c.table.shown_records) == 3
    finally:
        with psycopg.connect(profile.rcmd.dsn, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


async def test_a_lost_connection_is_told_and_the_next_key_press_recovers(profile: Profile) -> None:
    fill_rcmd(profile, rows=20)
    assert profile.rcmd is not None
    async with open_console(profile, "audit") as c:
        dbname = psycopg.conninfo.conninfo_to_dict(profile.rcmd.dsn)["dbname"]
        with psycopg.connect(profile.rcmd.dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                          "AND application_name = 'rcmd-tui' AND pid <> pg_backend_pid()", [dbname])
        await c.press("r")
        await c.settle()
        assert c.error().startswith("Connection: rcmd (") and "cannot reach the server" in c.error()
        assert "press r to retry" in c.error()
        await c.press("r")
        await c.settle()
        assert c.error() == "" and len(c.table.shown_records) == 20


async def test_a_stopped_redis_is_told_on_the_redis_screen(profile: Profile) -> None:
    with private_redis() as (url, proc):
        redis.Redis.from_url(url).set("lock:job:1", "x")
        async with open_console(replace(profile, rcmd_redis_url=url), "redis") as c:
            assert len(c.table.shown_records) == 1
            proc.kill()
            proc.wait()
            await c.press("r")
            await c.settle()
            assert c.error().startswith("Connection: rcmd-redis (127.0.0.1:") and "cannot reach Redis" in c.error()


async def test_a_paused_redis_times_out_with_the_setting_to_raise(profile: Profile) -> None:
    with private_redis() as (url, _proc):
        client = redis.Redis.from_url(url)
        client.set("lock:job:1", "x")
        async with open_console(_timeouts(replace(profile, rcmd_redis_url=url), redis_s=0.3), "redis") as c:
            client.execute_command("CLIENT", "PAUSE", "1500", "ALL")
            await c.press("r")
            await c.settle()
            assert c.error().startswith("Connection: rcmd-redis (") and "did not answer in time" in c.error()
            assert "timeouts.redis_ms" in c.error()
        client.close()


async def test_a_redis_acl_user_without_scan_is_told_what_to_grant(profile: Profile) -> None:
    with private_redis() as (url, _proc):
        admin = redis.Redis.from_url(url)
        admin.execute_command("ACL", "SETUSER", "console", "on", ">pw", "~*", "+@all", "-scan")
        admin.close()
        restricted = url.replace("redis://", "redis://console:pw@")
        async with open_console(replace(profile, rcmd_redis_url=restricted), "redis") as c:
            assert c.error().startswith("Not permitted: rcmd-redis (") and "'scan'" in c.error()
            assert "ACL SETUSER" in c.error()


async def test_a_renamed_redis_command_is_a_refusal_not_a_crash(profile: Profile) -> None:
    with private_redis("--rename-command", "SCAN", "") as (url, _proc):
        async with open_console(replace(profile, rcmd_redis_url=url), "redis") as c:
            assert c.error().startswith("Query: rcmd-redis (") and "Redis refused the command" in c.error()
            assert c.app.is_running


async def test_a_bad_jump_is_told_in_its_bar_which_stays_open(profile: Profile) -> None:
    fill_rcmd(profile, rows=5)
    async with open_console(profile, "audit") as c:
        await c.press("t", *"banana", "enter")
        await c.settle()
        said = str(c.screen.query_one("#prompt-error").render())
        assert said.startswith("Jump: 'banana' is not a time") and "2026-05-01" in said and c.error() == ""
        await c.press("ctrl+u", *"100000y", "enter")  # too far back: a message, never a crash
        await c.settle()
        assert "too far back" in str(c.screen.query_one("#prompt-error").render()) and c.app.is_running
        await c.press("ctrl+u", *"3d", "enter")
        await c.settle()
        assert not c.screen.query_one("PromptBar").has_class("-open") and c.error() == ""


def test_each_exception_type_maps_to_a_title_and_a_fix() -> None:
    diag = "x"
    cases: list[tuple[BaseException, type[RcmdError], str]] = [
        (psycopg.errors.QueryCanceled(diag), QueryFailed, "timeouts.statement_ms"),
        (psycopg.errors.LockNotAvailable(diag), LockWait, "pg_locks"),
        (psycopg.errors.InsufficientPrivilege(diag), NotPermitted, "docs/roles.md"),
        (psycopg.OperationalError(diag), Unreachable, "press r"),
        (redis.exceptions.ConnectionError(diag), Unreachable, "press r"),
        (redis.exceptions.TimeoutError(diag), Unreachable, "timeouts.redis_ms"),
        (redis.exceptions.NoPermissionError(diag), NotPermitted, "ACL"),
        (redis.exceptions.ResponseError(diag), QueryFailed, "renamed or disabled"),
        (keyring.errors.KeyringLocked(diag), KeyringFailed, "unlock"),
        (keyring.errors.InitError(diag), KeyringFailed, "keyring row"),
    ]
    for exc, kind, fix in cases:
        described = describe(exc, "rcmd", "127.0.0.1:5432/rcmd")
        assert type(described) is kind and fix in described.hint, (exc, described)
    own = RcmdError("as it is", "already told")
    assert describe(own, "rcmd") is own
    surprise = describe(ZeroDivisionError("oops"), "rcmd")
    assert surprise.title == "Unexpected error" and "ZeroDivisionError" in surprise.message


async def test_the_home_screen_names_a_failing_target_and_says_a_keyring_problem_once(profile: Profile) -> None:
    down = replace(_timeouts(profile, connect_s=1), rcmd=PgTarget(dsn=f"postgresql://x:y@127.0.0.1:{launcher.free_port()}/r"),
                   keyring=KeyringSettings(service=profile.keyring.service))  # no backend named: keyring's own choice
    chosen = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())  # keyring's choice is a plaintext file, which the key store refuses
    try:
        async with open_console(down) as c:
            problems = str(c.screen.query_one("#problems", Static).render()).splitlines()
    finally:
        keyring.set_keyring(chosen)
    rcmd = next(line for line in problems if line.startswith("rcmd: "))
    assert "rcmd (" not in rcmd  # not "rcmd: rcmd (127.0.0.1:…/r): …"
    told = next(line for line in problems if line.startswith("keyring: "))
    assert told.startswith("keyring: no usable OS keyring: encrypted fields stay locked — start a Secret Service")
    assert told.count("stay locked") == 1


async def test_an_error_panel_goes_once_rows_are_read_again_without_a_reload(profile: Profile) -> None:
    fill_rcmd(profile, rows=20)
    assert profile.rcmd is not None
    async with open_console(_timeouts(profile, statement_ms=5000, lock_ms=300), "audit") as c:
        with table_locked(profile.rcmd.dsn, profile.rcmd.schema, "audit_logs"):
            await c.press("r")
            await c.settle()
            assert "gave up waiting for a lock" in c.error()
        c.table.reread()  # what auto refresh and the end of an action do: no reload, no clear of its own
        await c.settle()
        assert c.error() == "" and len(c.table.shown_records) == 20
