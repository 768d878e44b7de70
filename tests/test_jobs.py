"""RCMD jobs against real PostgreSQL and Redis: the list (progress bar, names, tries, the lock beside each row),
live updates from ``pubsub:jobs`` applied in place (no reload, the cursor kept), a job's detail with its log
(level-coloured, following new lines while it runs), the actions through the screen, and what a person sees at
80x24."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from textual.pilot import Pilot
from textual.widgets import RichLog

from rcmd_tui.app import make_app
from rcmd_tui.config import Profile
from rcmd_tui.data.rcmd import bull
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.screens.job_detail import JobDetail
from rcmd_tui.screens.jobs import JobsScreen
from tests.helpers import open_console, rcmd_sql, until, until_confirm, until_screen
from tests.listdata import T0, fill_rcmd, user_id
from tests.terminal import console_in_terminal

STATUSES = ("running", "queued", "completed", "failed", "cancelled", "pending")


def job_id(n: int) -> str:
    return f"00000000-0000-4000-a000-{n:012d}"


def plant_jobs(profile: Profile, n: int = 12, *, running: bool = True) -> None:
    """``n`` jobs a minute apart back from T0, statuses in turn (no running one with ``running=False``: its
    duration grows with the clock); job 0 has three log lines."""
    fill_rcmd(profile, rows=5)
    statuses = STATUSES if running else STATUSES[1:]
    with rcmd_sql(profile) as conn:
        for i in range(n):
            status = statuses[i % len(statuses)]
            created = T0 - timedelta(minutes=i)
            started = created + timedelta(seconds=5) if status in ("running", "completed", "failed") else None
            done = created + timedelta(minutes=3, seconds=i) if status in ("completed", "failed") else None
            progress = {"completed": 100, "failed": 37, "running": 10 + i, "cancelled": 0}.get(status, 0)
            conn.execute(
                "INSERT INTO jobs (id, user_id, type, status, priority, progress, payload, result, error, retry_count, "
                "max_retries, created_at, started_at, completed_at, cancelled_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 3, %s, %s, %s, %s)",
                [job_id(i), user_id(i % 3), ("copy", "sync", "backup", "move", "delete")[i % 5], status, 1 + i % 10, progress,
                 json.dumps({"src": f"gdrive:/photos/{i}", "dst": "s3:/backup", "flags": ["--checksum"]}),
                 json.dumps({"files": 12, "bytes": 4096}) if status == "completed" else None,
                 "rclone: 403 Forbidden: quota exceeded on gdrive:/photos, after 3 attempts" if status == "failed" else None,
                 1 if status == "failed" else 0, created, started, done,
                 created + timedelta(minutes=1) if status == "cancelled" else None])
        for k, (level, message) in enumerate((("info", "started copy"), ("warning", "slow remote: 2 MB/s"),
                                              ("error", "retrying chunk 7\x1b[2J"))):
            conn.execute("INSERT INTO job_logs (job_id, level, message, details, created_at) VALUES (%s, %s, %s, %s, %s)",
                         [job_id(0), level, message, json.dumps({"chunk": k}), T0 + timedelta(seconds=10 * k)])


async def test_the_list_shows_progress_names_tries_and_the_lock(profile: Profile, redis_client: redis.Redis) -> None:
    plant_jobs(profile)
    redis_client.set(bull.lock_key(job_id(0)), "worker-7", ex=300)
    async with open_console(profile, "jobs") as c:
        assert isinstance(c.screen, JobsScreen)
        first = c.table.window[0]
        assert first.get("username") == "alice" and first.get("tries") == "0/3" and first.get("lock_holder") == "worker-7"
        assert first.get("lock_ttl") is not None and first.get("duration") is not None  # running: so far
        failed = next(r for r in c.table.window if r.get("status") == "failed")
        assert failed.get("tries") == "1/3" and failed.get("duration") == timedelta(minutes=2, seconds=55 + int(str(failed.get("id"))[-2:]))
        assert c.screen.feed == "live"
        await c.press("slash", *"status=failed", "enter")
        await c.settle()
        assert {r.get("status") for r in c.table.window} == {"failed"}


async def test_progress_messages_change_the_visible_rows_in_place(profile: Profile, redis_client: redis.Redis) -> None:
    plant_jobs(profile)
    async with open_console(profile, "jobs") as c:
        table = c.table
        await until(lambda: c.screen.feed == "live", c.pilot)
        await c.press("down", "down", "down")
        cursor_at, window, painted = table.cursor_coordinate.row, list(table.window), table.shown_count
        on_cursor = table.current()
        assert on_cursor is not None
        for progress in range(20, 61, 10):  # the last message wins
            redis_client.publish(bull.CHANNEL, json.dumps({"jobId": job_id(0), "progress": progress}))
        redis_client.publish(bull.CHANNEL, json.dumps({"jobId": job_id(6), "progress": 100, "status": "completed"}))
        redis_client.publish(bull.CHANNEL, b"\x1b[2J not json")  # untrusted: skipped
        redis_client.publish(bull.CHANNEL, json.dumps({"jobId": job_id(99), "progress": 5}))  # not on screen
        await until(lambda: table.window[0].get("progress") == 60 and table.window[6].get("status") == "completed", c.pilot)
        assert table.window[6].get("progress") == 100
        assert table.cursor_coordinate.row == cursor_at and table.current() is not None
        assert table.current().identity(table.spec) == on_cursor.identity(table.spec)  # type: ignore[union-attr]
        assert table.shown_count == painted  # no page was read or redrawn: the rows changed in place
        assert [r.identity(table.spec) for r in table.window] == [r.identity(table.spec) for r in window]
        assert "60%" in "".join(str(cell) for cell in table.get_row_at(0))
        assert c.screen.feed_messages == 8


async def test_a_jobs_detail_shows_its_log_coloured_and_follows_new_lines(profile: Profile) -> None:
    plant_jobs(profile)
    async with open_console(profile, "jobs") as c:
        await c.press("enter")
        detail = await until_screen(c.pilot, c.app, JobDetail)
        log = detail.query_one(RichLog)
        await until(lambda: len(log.lines) >= 3, c.pilot)
        text = "\n".join(line.text for line in log.lines)
        assert "started copy" in text and "slow remote" in text and "\\x1b[2J" in text and "\x1b" not in text
        assert detail._follow is not None  # running: it follows
        with rcmd_sql(profile) as conn:
            conn.execute("INSERT INTO job_logs (job_id, level, message) VALUES (%s, 'fatal', 'worker lost')", [job_id(0)])
            conn.execute("UPDATE jobs SET status = 'failed', error = 'worker lost', completed_at = now() WHERE id = %s", [job_id(0)])
        await until(lambda: any("worker lost" in line.text for line in log.lines), c.pilot, seconds=8)
        await until(lambda: detail._follow is None, c.pilot, seconds=5)  # finished: it stops following
        assert detail.record.get("status") == "failed" and detail.record.get("error") == "worker lost"  # the fields too
        title = str(detail.query_one("#pane-title").render())
        assert "4 lines" in title and "failed" in title


async def test_cancel_through_the_screen_changes_both_stores_and_is_audited(profile: Profile, redis_client: redis.Redis,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    plant_jobs(profile)
    redis_client.lpush(bull.WAIT, job_id(1))
    async with open_console(profile, "jobs") as c:
        await c.press("down")  # job 1: queued
        assert c.table.current().get("status") == "queued"  # type: ignore[union-attr]
        await c.press("C")
        confirm = await until_confirm(c.pilot, c.app)
        assert confirm.typed is None and "LREM bull:jobs:wait 0 " + job_id(1) in "\n".join(confirm.statements)
        await c.press("enter")
        await until(lambda: c.table.window[1].get("status") == "cancelled", c.pilot)
    with rcmd_sql(profile) as conn:
        cancelled = conn.execute("SELECT status, cancelled_at IS NOT NULL FROM jobs WHERE id = %s", [job_id(1)]).fetchone()
        assert cancelled == ("cancelled", True)
        assert conn.execute("SELECT count(*) FROM audit_logs WHERE action = 'console.job.cancel' AND resource_id = %s",
                            [job_id(1)]).fetchone() == (1,)
    assert redis_client.lrange(bull.WAIT, 0, -1) == []


async def test_read_only_offers_no_job_action(profile: Profile, redis_client: redis.Redis) -> None:
    plant_jobs(profile)
    redis_client.set(bull.lock_key(job_id(3)), "worker-7")
    async with open_console(profile, "jobs", read_only=True) as c:
        for key, row in (("C", 1), ("R", 3), ("P", 1), ("L", 3)):  # each where it would apply
            c.table.move_cursor(row=row)
            await c.press(key)
            await c.settle()
            assert not isinstance(c.screen, ConfirmScreen), key
        assert isinstance(c.screen, JobsScreen) and not any(c.screen.is_offered(a) for a in c.screen.GUARDED_ACTIONS)


def test_jobs_in_a_terminal_at_80x24(profile: Profile, tmp_path: Path) -> None:
    plant_jobs(profile)
    with console_in_terminal(profile, tmp_path, columns=80, lines=24) as term:
        term.wait_for("rcmd-tui │")
        term.press(":")
        term.send(b"jobs\r")
        term.wait_for("RCMD jobs")
        term.wait_for("live")
        screen = term.text()
        assert "Progress" in screen and "█" in screen and "alice" in screen and "0/3" in screen
        term.press("enter")
        term.wait_for("slow remote")
        screen = term.text()
    assert "\\x1b[2J" in screen and "Log: 3 lines" in screen and "Tries: 0/3" in screen and "following" in screen


async def _steady(pilot: Pilot[Any]) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _open(pilot: Pilot[Any], *keys: str) -> None:
    pilot.app.services.where = lambda _target: "127.0.0.1:5432/demo"  # type: ignore[attr-defined]
    await _steady(pilot)
    await pilot.press("colon")
    await pilot.pause()
    await pilot.press(*"jobs", "enter")
    await _steady(pilot)
    for _ in range(40):  # the feed's subscription: "live" in the status line
        if getattr(pilot.app.screen, "feed", None) == "live":
            break
        await pilot.pause(0.05)
    if keys:
        await pilot.press(*keys)
        await _steady(pilot)
        await pilot.pause(0.3)


def test_jobs_at_80x24(snap_compare: Any, profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "operator")
    plant_jobs(profile, running=False)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _open(pilot)

    assert snap_compare(make_app(replace(profile, name="snapshot")), terminal_size=(80, 24), run_before=run_before)


def test_a_jobs_detail_at_80x24(snap_compare: Any, profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGNAME", "operator")
    plant_jobs(profile, running=False)
    with rcmd_sql(profile) as conn:  # job 0 is queued here: its log, as the running one's would be
        conn.execute("UPDATE jobs SET status = 'failed', error = %s, retry_count = 3, started_at = %s, completed_at = %s, "
                     "progress = 37 WHERE id = %s",
                     ["rclone: 403 Forbidden: quota exceeded on gdrive:/photos after 3 attempts; the remote's daily "
                      "upload limit (750 GB) is reached, try again after 00:00 UTC", T0, T0 + timedelta(minutes=2), job_id(0)])

    async def run_before(pilot: Pilot[Any]) -> None:
        await _open(pilot, "enter")

    assert snap_compare(make_app(replace(profile, name="snapshot")), terminal_size=(80, 24), run_before=run_before)


async def test_a_jobs_detail_takes_the_lists_action_keys(profile: Profile, redis_client: redis.Redis) -> None:
    plant_jobs(profile)
    with rcmd_sql(profile) as conn:
        conn.execute("INSERT INTO job_logs (job_id, level, message) VALUES (%s, 'error', 'quota exceeded')", [job_id(3)])
    async with open_console(profile, "jobs") as c:
        await c.press("down", "space")  # job 1 marked
        c.table.move_cursor(row=3)  # job 3, failed once of 3
        await c.pilot.pause()
        assert c.table.current().get("status") == "failed"  # type: ignore[union-attr]
        await c.press("enter")
        detail = await until_screen(c.pilot, c.app, JobDetail)
        assert detail.is_offered("list_action('jobs.retry')") and not any(
            b.id == "jobs.priority" for found in detail._bindings.key_to_bindings.values() for b in found)  # it asks in the list
        await c.press("R")
        confirm = await until_confirm(c.pilot, c.app)
        assert len(confirm.targets) == 1 and job_id(3)[:8] in confirm.targets[0]  # this row, not the marked one
        await c.press("enter")
        await until_screen(c.pilot, c.app, JobsScreen)  # the detail showed the row as it was: back to the list
    with rcmd_sql(profile) as conn:
        assert conn.execute("SELECT status, retry_count FROM jobs WHERE id = %s", [job_id(3)]).fetchone() == ("queued", 2)
        assert conn.execute("SELECT status FROM jobs WHERE id = %s", [job_id(1)]).fetchone() == ("queued",)  # marked, untouched
    assert redis_client.lrange(bull.WAIT, 0, -1) == [job_id(3).encode()]


async def test_the_short_id_the_console_shows_finds_the_job(profile: Profile) -> None:
    plant_jobs(profile, n=3)
    short = "9b59c94f-1111-4111-8111-111111111111"
    with rcmd_sql(profile) as conn:
        conn.execute("INSERT INTO jobs (id, user_id, type, status, payload) VALUES (%s, %s, 'copy', 'queued', '{}')", [short, user_id(0)])
    async with open_console(profile, "jobs") as c:
        for text in ("id=9b59c94f", "id=9B59-C94F", "id!=9b59c94f"):
            await c.press("slash", "ctrl+u", *text, "enter")
            await c.settle()
            ids = {str(r.get("id")) for r in c.table.window}
            assert (ids == {short}) if "!" not in text else (short not in ids and len(ids) == 3), text
        await c.press("slash", "ctrl+u", *"id=9b5", "enter")
        await c.settle()
        assert "the start of one" in str(c.screen.query_one("#filter-message").render())
