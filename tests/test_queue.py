"""RCMD's Bull queue (`:queue`) against real PostgreSQL and Redis: each entry beside its row and lock, the lists'
lengths, each kind of disagreement (planted here, shown by the view, fixed by its plan through the real runner,
audited, and then gone from the view), a clean queue flagging nothing, a long list read in part without a job
past the cut looking lost, a fix through the screen, the real console at 80x24 and a picture of it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from textual.pilot import Pilot
from textual.widgets import Input, Static

from rcmd_tui.app import make_app
from rcmd_tui.config import PgTarget, Profile, profile_to_toml
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.actions.plan import TargetChanged
from rcmd_tui.data.infra.failures import Unreachable
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.lists.filters import compile_filter
from rcmd_tui.data.lists.snapshot import SnapshotSource
from rcmd_tui.data.lists.spec import Record
from rcmd_tui.data.rcmd import bull
from rcmd_tui.data.rcmd.queue import KINDS, MAX_PER_STATE, RCMD_QUEUE, lengths_line
from rcmd_tui.data.rcmd.queue_actions import fix_queue, with_missing_hashes
from rcmd_tui.screens.queue import QueueScreen, entry_of
from rcmd_tui.widgets.prompt_bar import PromptBar
from tests.helpers import open_console, opened_services, rcmd_sql, run_cli, until_confirm
from tests.listdata import fill_rcmd, user_id
from tests.terminal import console_in_terminal


def jid(n: int) -> str:
    """Ids whose first seven digits (the Job column) tell them apart."""
    return f"{n:02d}{n:02d}{n:02d}{n:02d}-0000-4000-8000-{n:012d}"


@pytest.fixture(autouse=True)
def _fixed_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    """Audit rows name the OS user (getpass reads LOGNAME first): the same in every picture, whoever runs it."""
    monkeypatch.setenv("LOGNAME", "operator")


def job(profile: Profile, n: int, status: str, user: int = 0, kind: str = "copy") -> str:
    now = datetime.now(UTC)
    started = now - timedelta(minutes=2) if status in ("running", "completed", "failed") else None
    done = now - timedelta(minutes=1) if status in ("completed", "failed") else None
    with rcmd_sql(profile) as conn:
        conn.execute("INSERT INTO jobs (id, user_id, type, status, payload, created_at, started_at, completed_at, "
                     "cancelled_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                     [jid(n), user_id(user), kind, status, json.dumps({"src": f"gdrive:/{n}", "dst": "s3:/b"}),
                      now - timedelta(minutes=10 - n % 10), started, done, now if status == "cancelled" else None])
    return jid(n)


def ms(delta: timedelta) -> int:
    return int((datetime.now(UTC) + delta).timestamp() * 1000)


def plant_clean(profile: Profile, client: redis.Redis) -> None:
    """A queue that agrees with its rows: two waiting, one running with its lock, one delayed, one done each way."""
    for n in (1, 2):
        client.lpush(bull.WAIT, job(profile, n, "queued"))
    client.lpush(bull.ACTIVE, job(profile, 3, "running", user=1))
    client.set(bull.lock_key(jid(3)), "worker-3")  # no expiry: the pictures stay the same
    client.zadd(bull.DELAYED, {job(profile, 4, "pending", user=2, kind="sync"): ms(timedelta(hours=2, minutes=30))})
    client.zadd(bull.COMPLETED, {job(profile, 5, "completed", kind="backup"): ms(-timedelta(minutes=5, seconds=30))})
    client.zadd(bull.FAILED, {job(profile, 6, "failed", user=1, kind="move"): ms(-timedelta(hours=1, minutes=5))})


def plant_problem(profile: Profile, client: redis.Redis, kind: str) -> list[str]:
    """Entries showing ``kind``; the ids they are about."""
    if kind == "waiting-done":
        client.lpush(bull.WAIT, job(profile, 11, "completed"))
        client.zadd(bull.DELAYED, {job(profile, 12, "cancelled"): ms(timedelta(minutes=90))})
        return [jid(11), jid(12)]
    if kind == "no-lock":
        client.lpush(bull.ACTIVE, job(profile, 13, "running", user=2))
        return [jid(13)]
    if kind == "orphan-lock":
        job(profile, 14, "completed", user=1)
        client.set(bull.lock_key(jid(14)), "worker-14")
        client.set(b"lock:job:not-a-job", b"\xffworker")  # neither an id nor text: released by its bytes
        return [jid(14), "not-a-job"]
    if kind == "queued-lost":
        job(profile, 15, "queued", kind="delete")
        return [jid(15)]
    client.lpush(bull.WAIT, jid(16))  # no-row: a job id nobody has a row for, its hash, and a member that is no id
    client.hset(bull.job_key(jid(16)), mapping={"name": "copy"})
    client.zadd(bull.DELAYED, {b"\x1b[31mnot-a-job\xff": ms(timedelta(minutes=5, seconds=30))})
    return [jid(16), "b'\\x1b[31mnot-a-job\\xff'"]


async def _records(services: Services) -> list[Record]:
    source = open_source(RCMD_QUEUE, services)
    await source.first()
    assert isinstance(source, SnapshotSource)
    return list(source.rows)


def _problems(records: list[Record]) -> dict[tuple[str, str], str]:
    return {(r.get("state"), r.get("job")): r.get("problem") for r in records if r.get("problem")}


def _audit(profile: Profile) -> list[tuple[str, str, str]]:
    with rcmd_sql(profile) as conn:
        return [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT resource_id, result, details->>'kind' FROM audit_logs WHERE action = 'console.queue.fix' ORDER BY id")]


def _wait(client: redis.Redis) -> list[str]:
    return [m.decode() if isinstance(m, bytes) else m for m in client.lrange(bull.WAIT, 0, -1)]


def _status(profile: Profile, n: int) -> tuple[Any, ...]:
    with rcmd_sql(profile) as conn:
        row = conn.execute("SELECT status, started_at FROM jobs WHERE id = %s", [jid(n)]).fetchone()
    assert row is not None
    return tuple(row)


# The view ------------------------------------------------------------------------------------------------


async def test_a_clean_queue_flags_nothing_and_says_each_lists_length(services: Services, profile: Profile,
                                                                       redis_client: redis.Redis) -> None:
    plant_clean(profile, redis_client)
    records = await _records(services)
    assert _problems(records) == {}
    shown = [(r.get("state"), r.get("job"), r.get("at")) for r in records]
    # wait from its head (Bull takes from the right: 1 was pushed first, so it runs next)
    assert shown[:3] == [("wait", jid(1), "#1"), ("wait", jid(2), "#2"), ("active", jid(3), "#1")]
    assert [s[:2] for s in shown[3:]] == [("delayed", jid(4)), ("completed", jid(5)), ("failed", jid(6))]
    assert [s[2] for s in shown[3:]] == ["in 2h", "5m ago", "1h ago"]
    active = records[2]
    assert (active.get("username"), active.get("status"), active.get("lock"), active.get("short")) == \
        ("bob", "running", "worker-3", jid(3)[:7])
    assert all(r.get("in_hash") is False for r in records)  # nothing planted a hash here
    assert lengths_line(records) == "wait 2 · active 1 · delayed 1 · completed 1 · failed 1 │ no problems"


async def test_failed_kept_as_a_set_as_the_seed_document_says_reads_too(services: Services, profile: Profile,
                                                                         redis_client: redis.Redis) -> None:
    redis_client.sadd(bull.FAILED, job(profile, 6, "failed"), jid(7))
    records = await _records(services)
    assert [(r.get("state"), r.get("job"), r.get("at"), r.get("problem")) for r in records] == [
        ("failed", jid(7), "", "no-row"), ("failed", jid(6), "", "")]
    assert lengths_line(records).startswith("wait 0 · active 0 · delayed 0 · completed 0 · failed 2 │ 1 problem")
    await actions.run(services, fix_queue("no-row", [entry_of(records[0])], profile))
    assert redis_client.smembers(bull.FAILED) == {jid(6).encode()}


async def test_each_kind_is_shown_on_its_row(services: Services, profile: Profile, redis_client: redis.Redis) -> None:
    plant_clean(profile, redis_client)
    for kind in ("waiting-done", "no-lock", "orphan-lock", "queued-lost", "no-row"):
        plant_problem(profile, redis_client, kind)
    records = await _records(services)
    assert _problems(records) == {
        ("wait", jid(11)): "waiting-done", ("delayed", jid(12)): "waiting-done", ("active", jid(13)): "no-lock",
        ("lock", jid(14)): "orphan-lock", ("lock", "not-a-job"): "orphan-lock", ("none", jid(15)): "queued-lost",
        ("wait", jid(16)): "no-row",
        ("delayed", "b'\\x1b[31mnot-a-job\\xff'"): "no-row"}
    assert [bool(r.get("problem")) for r in records] == [True] * 8 + [False] * 6  # problems first
    assert [r.get("lock") for r in records if r.get("state") == "lock"] == ["worker-14", "b'\\xffworker'"]
    assert lengths_line(records) == "wait 4 · active 2 · delayed 3 · completed 1 · failed 1 │ 8 problems"
    # filters: the problem field, a free word, the state, an id's first digits
    for text, expected in (("problem=no-lock", {jid(13)}), ("orphan-lock", {jid(14), "not-a-job"}), ("state=none", {jid(15)}),
                           (f"id~{jid(16)[:6]}", {jid(16)})):
        source = open_source(RCMD_QUEUE, services, flt=compile_filter(RCMD_QUEUE, text))
        assert {r.get("job") for r in (await source.first()).records} == expected, text


@pytest.mark.parametrize("kind", ["waiting-done", "no-lock", "orphan-lock", "queued-lost", "no-row"])
async def test_each_kind_is_fixed_audited_and_then_gone(services: Services, profile: Profile, redis_client: redis.Redis,
                                                        kind: str) -> None:
    plant_clean(profile, redis_client)
    jobs = plant_problem(profile, redis_client, kind)
    records = await _records(services)
    chosen = [entry_of(r) for r in records if r.get("problem") == kind]
    assert sorted(e.job for e in chosen) == sorted(jobs)
    if kind == "queued-lost":
        chosen = await with_missing_hashes(services, chosen)
        assert chosen[0].hash_fields is not None and chosen[0].hash_fields["name"] == "delete"
    await actions.run(services, fix_queue(kind, chosen, profile))
    after = await _records(services)
    assert _problems(after) == {}
    assert sorted(_audit(profile)) == sorted((j, "success", kind) for j in jobs)
    wait = _wait(redis_client)
    if kind == "waiting-done":
        assert jid(11) not in wait and redis_client.zscore(bull.DELAYED, jid(12)) is None
    elif kind == "no-lock":
        assert _status(profile, 13) == ("queued", None) and wait.count(jid(13)) == 1
        assert redis_client.lrange(bull.ACTIVE, 0, -1) == [jid(3).encode()]
    elif kind == "orphan-lock":
        assert redis_client.exists(bull.lock_key(jid(14)), b"lock:job:not-a-job") == 0
        assert redis_client.get(bull.lock_key(jid(3))) == b"worker-3"
    elif kind == "queued-lost":
        assert wait.count(jid(15)) == 1 and redis_client.hget(bull.job_key(jid(15)), "name") == b"delete"
        assert json.loads(redis_client.hget(bull.job_key(jid(15)), "data") or "") == {"src": "gdrive:/15", "dst": "s3:/b"}
        with pytest.raises(TargetChanged):  # the same plan again: its hash is no longer missing, so it is not written
            await actions.run(services, fix_queue(kind, chosen, profile))
        again = await with_missing_hashes(services, [replace(e, hash_fields=None) for e in chosen])
        await actions.run(services, fix_queue(kind, again, profile))  # read anew, it runs again harmlessly
        assert _wait(redis_client).count(jid(15)) == 1
    else:
        assert jid(16) not in wait and redis_client.exists(bull.job_key(jid(16))) == 0
        assert redis_client.zcard(bull.DELAYED) == 1  # only the clean one is left
    assert lengths_line(after).endswith("no problems")


async def test_a_fix_refuses_what_changed_since_it_was_shown(services: Services, profile: Profile,
                                                            redis_client: redis.Redis) -> None:
    plant_problem(profile, redis_client, "orphan-lock")
    plant_problem(profile, redis_client, "no-lock")
    records = await _records(services)
    orphan = [entry_of(r) for r in records if r.get("problem") == "orphan-lock"]
    stalled = [entry_of(r) for r in records if r.get("problem") == "no-lock"]
    redis_client.set(bull.lock_key(jid(14)), "worker-other")  # another holder took it meanwhile
    with pytest.raises(TargetChanged):
        await actions.run(services, fix_queue("orphan-lock", orphan, profile))
    assert redis_client.get(bull.lock_key(jid(14))) == b"worker-other"
    redis_client.set(bull.lock_key(jid(13)), "worker-13")  # a worker took the stalled job after all
    with pytest.raises(TargetChanged):
        await actions.run(services, fix_queue("no-lock", stalled, profile))
    assert _status(profile, 13)[0] == "running" and _audit(profile) == []


async def test_a_long_list_is_read_in_part_and_a_job_past_the_cut_is_not_lost(services: Services, profile: Profile,
                                                                               redis_client: redis.Redis) -> None:
    fill = MAX_PER_STATE + 2
    ids = [f"{n:08x}-0000-4000-8000-{n:012d}" for n in range(1, fill + 1)]
    with rcmd_sql(profile) as conn, conn.cursor() as cur:
        cur.executemany("INSERT INTO jobs (id, user_id, type, status, payload) VALUES (%s, %s, 'copy', 'queued', '{}')",
                        [(i, user_id(0)) for i in ids])
    redis_client.lpush(bull.WAIT, *ids)  # ids[0] runs first; the last two sit past the 1,000 read
    records = await _records(services)
    assert len(records) == MAX_PER_STATE and _problems(records) == {}
    assert records[0].get("job") == ids[0] and records[-1].get("at") == "#1,000"
    assert lengths_line(records).startswith(f"wait 1,000 of {fill:,} · active 0")


async def test_redis_down_is_named_as_redis(profile: Profile) -> None:
    fill_rcmd(profile)
    dead = replace(profile, rcmd_redis_url="redis://127.0.0.1:1/0")
    async with open_console(dead, "queue") as c:
        assert "rcmd-redis" in c.error() and "cannot reach Redis" in c.error()


# The screen ----------------------------------------------------------------------------------------------


async def test_fix_from_the_screen_asks_the_kind_confirms_and_fixes(services: Services, profile: Profile,
                                                                   redis_client: redis.Redis) -> None:
    plant_clean(profile, redis_client)
    plant_problem(profile, redis_client, "waiting-done")
    async with open_console(profile, "queue") as c:
        assert isinstance(c.screen, QueueScreen) and c.screen.actions_offered
        lengths = str(c.screen.query_one("#queue-lengths", Static).render())
        assert lengths == "wait 3 · active 1 · delayed 2 · completed 1 · failed 1 │ 2 problems"
        current = c.table.current()
        assert current is not None and current.get("problem") == "waiting-done"
        await c.press("space", "space")  # both waiting-done rows (a mark moves down)
        await c.press("F")
        await c.pilot.pause()
        await c.press(*"no-such", "enter")  # refused in the bar, which stays open
        await c.pilot.pause()
        await c.press("ctrl+u", *"waiting-done", "enter")
        confirm = await until_confirm(c.pilot, c.app)
        shown = "\n".join(confirm.statements)
        assert f"LREM bull:jobs:wait 0 {jid(11)}" in shown and f"ZREM bull:jobs:delayed {jid(12)}" in shown
        assert confirm.typed == "fix 2"
        await c.press(*"fix 2", "enter")
        await c.settle()
        assert str(c.screen.query_one("#queue-lengths", Static).render()).endswith("no problems")
    assert sorted(_audit(profile)) == [(jid(11), "success", "waiting-done"), (jid(12), "success", "waiting-done")]


async def test_fix_offers_the_kind_under_the_cursor_says_what_it_does_and_takes_a_start(
        services: Services, profile: Profile, redis_client: redis.Redis) -> None:
    plant_clean(profile, redis_client)
    plant_problem(profile, redis_client, "waiting-done")
    async with open_console(profile, "queue") as c:
        current = c.table.current()
        assert current is not None and current.get("meaning") == KINDS["waiting-done"]
        assert current.get("fix") == "removed from the list or set it waited in"
        await c.press("F")
        await c.pilot.pause()
        bar = c.screen.query_one(PromptBar)
        assert bar.query_one(Input).value == "waiting-done"
        assert "F does: removed from the list" in str(bar.query_one("#prompt-question", Static).render())
        await c.press("ctrl+u", *"waiting", "enter")  # its start will do
        confirm = await until_confirm(c.pilot, c.app)
        assert f"LREM bull:jobs:wait 0 {jid(11)}" in "\n".join(confirm.statements)


async def test_read_only_offers_no_fix(services: Services, profile: Profile, redis_client: redis.Redis) -> None:
    plant_problem(profile, redis_client, "no-lock")
    async with open_console(profile, "queue", read_only=True) as c:
        assert isinstance(c.screen, QueueScreen) and not c.screen.is_offered("fix")
        await c.press("F")
        await c.settle()
    assert _status(profile, 13)[0] == "running"


def test_at_80x24_the_queue_reads_in_a_real_terminal(profile: Profile, redis_client: redis.Redis, tmp_path: Path) -> None:
    fill_rcmd(profile)
    plant_clean(profile, redis_client)
    plant_problem(profile, redis_client, "no-lock")
    plant_problem(profile, redis_client, "orphan-lock")
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"queue", "enter")
        term.wait_for("no-lock")
        assert term.line(0).startswith(" RCMD queue │")
        assert "wait 2 · active 2 · delayed 1 · completed 1 · failed 1 │ 3 problems" in term.text()
        header = next(line for line in term.screen.display if "Problem" in line)
        assert header.split() == ["State", "Job", "Problem", "PG", "User", "At", "Lock", "TTL"], header  # all: no ›
        assert any(line.split()[:5] == ["active", jid(13)[:7], "no-lock", "running", "carol"] for line in term.screen.display)
        assert any(line.split()[:4] == ["lock", jid(14)[:7], "orphan-lock", "completed"] for line in term.screen.display)
        assert "row 1 of 9" in term.text()


def test_the_queue_at_80x24(snap_compare: Any, profile: Profile, redis_client: redis.Redis) -> None:
    fill_rcmd(profile)
    plant_clean(profile, redis_client)
    for kind in ("waiting-done", "no-lock", "orphan-lock", "queued-lost", "no-row"):
        plant_problem(profile, redis_client, kind)

    async def open_queue(pilot: Pilot[Any]) -> None:
        pilot.app.services.where = lambda _target: "127.0.0.1:5432/demo"  # type: ignore[attr-defined]
        for _ in range(3):
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"queue", "enter")
        for _ in range(3):
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()

    app = make_app(replace(profile, name="snapshot", banner="darkred"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_queue)


async def test_the_demo_seed_plants_a_stalled_job_and_an_orphan_lock(seeded: Profile) -> None:
    assert seeded.rcmd is not None
    with psycopg.connect(seeded.rcmd.dsn) as conn:
        stalled = conn.execute("SELECT min(id::text) FROM rcmd.jobs WHERE status = 'running'").fetchone()
        newest = conn.execute("SELECT id::text FROM rcmd.jobs WHERE status = 'completed' "
                              "ORDER BY completed_at DESC, id DESC LIMIT 1").fetchone()
    assert stalled and newest
    async with opened_services(seeded) as services:
        records = await _records(services)
    problems = _problems(records)
    assert problems[("active", stalled[0])] == "no-lock" and problems[("lock", newest[0])] == "orphan-lock"
    # Nothing else but running jobs whose seeded 5-minute locks have since run out (a long test session).
    assert {k for k, v in problems.items() if v != "no-lock"} == {("lock", newest[0])}


def test_report_queue_prints_the_same_rows(profile: Profile, redis_client: redis.Redis, tmp_path: Path) -> None:
    fill_rcmd(profile)
    plant_clean(profile, redis_client)
    plant_problem(profile, redis_client, "orphan-lock")
    path = tmp_path / "config.toml"
    path.write_text(profile_to_toml(profile), encoding="utf-8")
    done = run_cli(["report", "queue", "--format", "json", "--filter", f"problem=orphan-lock id={jid(14)}"], {"RCMD_TUI_CONFIG": str(path)})
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows == [{"state": "lock", "short": jid(14)[:7], "problem": "orphan-lock", "status": "completed",
                     "username": "bob", "at": "", "lock": "worker-14", "lock_ttl": "∞"}]  # the columns shown


def test_hostile_members_and_lock_values_reach_the_terminal_inert(profile: Profile, redis_client: redis.Redis,
                                                                   tmp_path: Path) -> None:
    """Bull's members and lock values are whatever a client pushed: in the list, the detail and the confirmation
    they show escaped, and no payload's active part reaches the terminal."""
    from tests.hostile.test_screens import FORBIDDEN, PAYLOADS, VISIBLE

    fill_rcmd(profile)
    for n, payload in enumerate(PAYLOADS.values()):
        redis_client.lpush(bull.WAIT, payload)  # no row has such an id: no-row, first in the list
        redis_client.set(bull.lock_key(f"hostile-{n}"), payload)  # no row either: orphan-lock
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        start = len(term.received)
        term.press(":", *"queue", "enter")
        term.wait_for("no-row")
        assert any(seen in term.text() for seen in VISIBLE), term.text()
        term.press("enter")  # the detail: the whole member, escaped
        term.settle(0.5)
        assert any(seen in term.text() for seen in VISIBLE), term.text()
        term.press("escape", "F", *"no-row", "enter")
        term.wait_for("Fix 1 no-row problem")  # the confirmation names it and shows the commands, escaped
        term.press("escape")
        term.press("/", *"orphan-lock", "enter", "F", *"orphan-lock", "enter")
        term.wait_for("Fix 1 orphan-lock problem")
        term.press("escape")
        seen = term.received[start:]
        for bad in FORBIDDEN:
            assert bad not in seen, f"{bad!r} reached the terminal"
        assert "Traceback" not in term.text()


async def test_postgresql_down_is_named_as_postgresql(profile: Profile, redis_client: redis.Redis) -> None:
    """The view's target is Redis; a failure of its PostgreSQL half names rcmd, not rcmd-redis."""
    assert profile.rcmd is not None
    redis_client.lpush(bull.WAIT, jid(1))
    dead = replace(profile, rcmd=PgTarget("host=127.0.0.1 port=1 dbname=nothing user=nobody connect_timeout=1",
                                          schema="rcmd"))
    async with opened_services(dead) as services:
        with pytest.raises(Unreachable) as failed:
            await open_source(RCMD_QUEUE, services).first()
    assert failed.value.message.startswith("rcmd (") and "rcmd-redis" not in failed.value.message
