"""RCMD schedule rules against real PostgreSQL and Redis: the next five runs in the profile's time zone (month
ends, a daylight-saving change, an invalid expression said in its row, the rule still listed), switching rules on
and off, and "run now" (a job from the template in both stores, the run recorded, audited)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis

from rcmd_tui.config import Profile
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.lists.engine import open_source
from rcmd_tui.data.rcmd import bull
from rcmd_tui.data.rcmd.schedule_actions import Rule, run_now, set_rules_active
from rcmd_tui.data.rcmd.schedules import RCMD_SCHEDULES, RunTimes, cron_runs, interval_runs, local, next_runs
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.screens.schedules import SchedulesScreen
from tests.helpers import login_as, open_console, opened_services, rcmd_sql, until_confirm
from tests.listdata import fill_rcmd, user_id
from tests.terminal import console_in_terminal

BERLIN = ZoneInfo("Europe/Berlin")
TEMPLATE = {"type": "backup", "src": "gdrive:/photos", "dst": "s3:/cold", "priority": 8}


def rid(n: int) -> str:
    return f"00000000-0000-4000-c000-{n:012d}"


def insert_rule(profile: Profile, n: int, name: str, kind: str, cron: str | None = None, every: int | None = None, *,
                active: bool = True, next_run: datetime | None = None, last_run: datetime | None = None,
                template: object = TEMPLATE) -> None:
    with rcmd_sql(profile) as conn:
        conn.execute("INSERT INTO schedule_rules (id, user_id, name, rule_type, cron_expression, interval_seconds, job_template, "
                     "is_active, next_run_at, last_run_at, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                     [rid(n), user_id(0), name, kind, cron, every, json.dumps(template), active, next_run, last_run,
                      datetime(2026, 1, 1, tzinfo=UTC)])


def plant(profile: Profile) -> None:
    """Rules 0-3: a valid cron, an invalid one, an hourly interval (inactive), a one-off."""
    fill_rcmd(profile, rows=1)
    insert_rule(profile, 0, "a nightly backup", "cron", "30 2 * * *")
    insert_rule(profile, 1, "b broken", "cron", "0 25 * * *")
    insert_rule(profile, 2, "c hourly", "interval", every=3600, active=False)
    insert_rule(profile, 3, "d once", "once", next_run=datetime.now(UTC) + timedelta(days=2))


def test_cron_runs_at_month_ends() -> None:
    start = datetime(2026, 1, 15, tzinfo=UTC)
    utc = ZoneInfo("UTC")
    on_31st = [t.date().isoformat() for t in cron_runs("0 0 31 * *", start, utc).runs]
    assert on_31st == ["2026-01-31", "2026-03-31", "2026-05-31", "2026-07-31", "2026-08-31"]  # only months that have one
    last_day = [t.date().isoformat() for t in cron_runs("0 0 L * *", start, utc).runs]
    assert last_day == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]
    leap = [t.date().isoformat() for t in cron_runs("0 12 29 2 *", start, utc, 2).runs]
    assert leap == ["2028-02-29", "2032-02-29"]


def test_cron_runs_across_daylight_saving_in_the_profiles_zone() -> None:
    spring = cron_runs("30 2 * * *", datetime(2026, 3, 27, 12, tzinfo=UTC), BERLIN).runs
    assert [local(t) for t in spring[:3]] == ["2026-03-28 02:30 CET", "2026-03-29 03:00 CEST", "2026-03-30 02:30 CEST"]
    autumn = cron_runs("30 2 * * *", datetime(2026, 10, 23, 12, tzinfo=UTC), BERLIN).runs
    assert [local(t) for t in autumn[:4]] == ["2026-10-24 02:30 CEST", "2026-10-25 02:30 CEST", "2026-10-26 02:30 CET",
                                              "2026-10-27 02:30 CET"]  # the repeated 02:30 runs once
    hourly = cron_runs("0 * * * *", datetime(2026, 10, 24, 23, 30, tzinfo=UTC), BERLIN).runs  # from 01:30 CEST
    assert [local(t) for t in hourly] == ["2026-10-25 02:00 CEST", "2026-10-25 02:00 CET", "2026-10-25 03:00 CET",
                                          "2026-10-25 04:00 CET", "2026-10-25 05:00 CET"]  # every real hour
    utc = [t.astimezone(UTC) for t in hourly]
    assert {b - a for a, b in pairwise(utc)} == {timedelta(hours=1)}
    assert cron_runs("0 9 * * *", datetime(2026, 7, 1, tzinfo=UTC), BERLIN).runs[0].utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(("expression", "said"), [("0 25 * * *", "invalid cron: [0 25 * * *] is not acceptable, out of range"),
                                                  ("every day", "invalid cron: Exactly 5, 6 or 7 columns"),
                                                  ("0 0 30 2 *", "invalid cron: it matches no date")])
def test_an_invalid_expression_is_said_plainly(expression: str, said: str) -> None:
    found = cron_runs(expression, datetime(2026, 1, 1, tzinfo=UTC), BERLIN)
    assert found.runs == () and found.problem is not None and found.problem.startswith(said)


def test_interval_and_once() -> None:
    now = datetime(2026, 1, 1, 10, 20, tzinfo=UTC)
    hourly = interval_runs(3600, datetime(2026, 1, 1, 8, 0, tzinfo=UTC), now, ZoneInfo("UTC")).runs
    assert [t.strftime("%H:%M") for t in hourly] == ["11:00", "12:00", "13:00", "14:00", "15:00"]
    assert next_runs("once", None, None, now - timedelta(hours=1), now, now, BERLIN).problem == "none: it runs once"
    assert len(next_runs("once", None, None, now + timedelta(hours=1), None, now, BERLIN).runs) == 1


async def test_the_list_shows_next_runs_in_the_profiles_zone_and_keeps_a_broken_rule(profile: Profile) -> None:
    plant(profile)
    async with open_console(replace(profile, time_zone="Europe/Berlin"), "schedules") as c:
        assert isinstance(c.screen, SchedulesScreen)
        rows = {r.get("name"): r for r in c.table.window}
        assert set(rows) == {"a nightly backup", "b broken", "c hourly", "d once"}
        nightly = rows["a nightly backup"]
        assert nightly.get("when") == "30 2 * * *" and str(nightly.get("next_run")).endswith(("02:30 CET", "02:30 CEST", "03:00 CEST"))
        assert len(nightly.get("next_runs")) == 5
        assert rows["b broken"].get("next_run") == "invalid cron: [0 25 * * *] is not acceptable, out of range"
        assert rows["c hourly"].get("when") == "every 1h" and rows["d once"].get("when") == "once"
        assert c.error() == ""


def plant_calendar(profile: Profile) -> None:
    """Rules whose next runs cross month ends and the nights Berlin's clocks change, read through the list."""
    fill_rcmd(profile, rows=1)
    insert_rule(profile, 10, "m31", "cron", "0 0 31 * *")
    insert_rule(profile, 11, "m30", "cron", "0 0 30 * *")
    insert_rule(profile, 12, "mlast", "cron", "0 0 L * *")
    insert_rule(profile, 13, "nightly", "cron", "30 2 * * *")
    insert_rule(profile, 14, "broken", "cron", "0 25 * * *")
    # a day from its last run: 24 real hours, so the wall time moves back an hour when the clocks do
    insert_rule(profile, 15, "daily interval", "interval", every=86400, last_run=datetime(2026, 10, 24, 0, 30, tzinfo=UTC))
    insert_rule(profile, 16, "once", "once", next_run=datetime(2027, 3, 28, 1, 30, tzinfo=UTC))


async def _next_runs_at(profile: Profile, now: datetime) -> dict[str, object]:
    """Each rule's next runs as the list computes them, in Berlin, with the clock at ``now``."""
    spec = replace(RCMD_SCHEDULES, enrichers=(*RCMD_SCHEDULES.enrichers[:-1], RunTimes(clock=lambda: now)))
    async with opened_services(replace(profile, time_zone="Europe/Berlin")) as services:
        page = await open_source(spec, services).first()
    rows = {str(r.get("name")): r for r in page.records}
    for row in rows.values():
        runs = row.get("next_runs")
        assert row.get("next_run") == (runs[0] if isinstance(runs, list) else runs)  # the list shows the first
    return {name: r.get("next_runs") for name, r in rows.items()}


async def test_the_list_reads_month_ends_and_both_changes_as_berlin_wall_times(profile: Profile) -> None:
    plant_calendar(profile)
    autumn = await _next_runs_at(profile, datetime(2026, 10, 24, 12, tzinfo=UTC))  # the day before clocks go back
    assert autumn["m31"] == ["2026-10-31 00:00 CET", "2026-12-31 00:00 CET", "2027-01-31 00:00 CET",
                             "2027-03-31 00:00 CEST", "2027-05-31 00:00 CEST"]  # only months with a 31st
    assert autumn["m30"] == ["2026-10-30 00:00 CET", "2026-11-30 00:00 CET", "2026-12-30 00:00 CET",
                             "2027-01-30 00:00 CET", "2027-03-30 00:00 CEST"]  # February has none
    assert autumn["mlast"] == ["2026-10-31 00:00 CET", "2026-11-30 00:00 CET", "2026-12-31 00:00 CET",
                               "2027-01-31 00:00 CET", "2027-02-28 00:00 CET"]
    assert autumn["nightly"] == ["2026-10-25 02:30 CEST", "2026-10-26 02:30 CET", "2026-10-27 02:30 CET",
                                 "2026-10-28 02:30 CET", "2026-10-29 02:30 CET"]  # the repeated 02:30 runs once
    assert autumn["daily interval"] == ["2026-10-25 02:30 CEST", "2026-10-26 01:30 CET", "2026-10-27 01:30 CET",
                                        "2026-10-28 01:30 CET", "2026-10-29 01:30 CET"]
    assert autumn["broken"] == "invalid cron: [0 25 * * *] is not acceptable, out of range"  # said, and still listed
    assert autumn["once"] == ["2027-03-28 03:30 CEST"]
    spring = await _next_runs_at(profile, datetime(2027, 3, 27, 12, tzinfo=UTC))  # the day before clocks go forward
    assert spring["nightly"] == ["2027-03-28 03:00 CEST", "2027-03-29 02:30 CEST", "2027-03-30 02:30 CEST",
                                 "2027-03-31 02:30 CEST", "2027-04-01 02:30 CEST"]  # 02:30 does not exist that night
    assert spring["m31"] == ["2027-03-31 00:00 CEST", "2027-05-31 00:00 CEST", "2027-07-31 00:00 CEST",
                             "2027-08-31 00:00 CEST", "2027-10-31 00:00 CEST"]  # clocks go back at 03:00 that day
    assert spring["once"] == ["2027-03-28 03:30 CEST"]


async def test_switching_rules_on_and_off_is_re_checked_and_audited(profile: Profile) -> None:
    plant(profile)
    async with opened_services(profile) as services:
        on, off = Rule(rid(0), "a", user_id(0), True, TEMPLATE), Rule(rid(2), "c", user_id(0), False, TEMPLATE)
        await actions.run(services, set_rules_active([on], False, services.profile))
        with pytest.raises(actions.TargetChanged, match="already inactive: a nightly backup"):  # shown active, it is not now
            await actions.run(services, set_rules_active([on], False, services.profile))
        await actions.run(services, set_rules_active([off], True, services.profile))
    with rcmd_sql(profile) as conn:
        assert conn.execute("SELECT id::text, is_active FROM schedule_rules WHERE id IN (%s, %s) ORDER BY id",
                            [rid(0), rid(2)]).fetchall() == [(rid(0), False), (rid(2), True)]
        actions_done = conn.execute("SELECT action, resource_id FROM audit_logs WHERE action LIKE 'console.schedule.%%' "
                                    "ORDER BY id").fetchall()
    assert actions_done == [("console.schedule.deactivate", rid(0)), ("console.schedule.activate", rid(2))]


async def test_run_now_queues_a_job_from_the_template_in_both_stores(profile: Profile, redis_client: redis.Redis) -> None:
    plant(profile)
    job = "00000000-0000-4000-d000-000000000001"
    async with opened_services(profile) as services:
        await actions.run(services, run_now(Rule(rid(2), "c hourly", user_id(0), False, TEMPLATE), job, services.profile))
        with rcmd_sql(profile) as conn:  # someone edits the template: a run from the one shown is refused
            conn.execute("UPDATE schedule_rules SET job_template = '{\"type\": \"copy\"}' WHERE id = %s", [rid(0)])
        with pytest.raises(actions.TargetChanged, match="template changed"):
            await actions.run(services, run_now(Rule(rid(0), "a", user_id(0), True, TEMPLATE), job.replace("1", "2"),
                                                services.profile))
    with rcmd_sql(profile) as conn:
        assert conn.execute("SELECT user_id::text, type, status, priority, payload, max_retries FROM jobs WHERE id = %s",
                            [job]).fetchone() == (user_id(0), "backup", "queued", 8, {"src": "gdrive:/photos", "dst": "s3:/cold"}, 3)
        assert conn.execute("SELECT last_run_at > now() - interval '1 minute' FROM schedule_rules WHERE id = %s",
                            [rid(2)]).fetchone() == (True,)
        assert conn.execute("SELECT count(*) FROM jobs").fetchone() == (1,)
        [(details,)] = conn.execute("SELECT details FROM audit_logs WHERE action = 'console.schedule.run_now'").fetchall()
    assert details["job_id"] == job and details["rule_active"] is False
    assert redis_client.lrange(bull.WAIT, 0, -1) == [job.encode()]
    written = {k.decode(): v.decode() for k, v in redis_client.hgetall(bull.job_key(job)).items()}
    assert written["name"] == "backup" and json.loads(written["data"]) == {"src": "gdrive:/photos", "dst": "s3:/cold"}
    assert json.loads(written["opts"]) == {"attempts": 4, "priority": 8, "jobId": job}
    assert written["progress"] == "0" and written["attemptsMade"] == "0" and int(written["timestamp"]) > 0


async def test_run_now_through_the_screen(profile: Profile, redis_client: redis.Redis) -> None:
    plant(profile)
    async with open_console(profile, "schedules") as c:
        await c.press("N")
        confirm = await until_confirm(c.pilot, c.app)
        shown = "\n".join(confirm.statements)
        assert "The change:" in shown and "a backup job, priority 8" in shown and "LPUSH bull:jobs:wait" in shown
        await c.press("enter")
        for _ in range(100):
            if redis_client.llen(bull.WAIT):
                break
            await c.pilot.pause(0.05)
    assert redis_client.llen(bull.WAIT) == 1


async def _offers_nothing(profile: Profile, why: str, *, read_only: bool = False) -> None:
    """On ``:schedules``, A and N ask nothing, the footer shows neither, and the refusal says ``why``."""
    async with open_console(profile, "schedules", read_only=read_only) as c:
        for key in ("A", "N"):
            await c.press(key)
            await c.settle()
            assert not isinstance(c.screen, ConfirmScreen), key
        assert isinstance(c.screen, SchedulesScreen) and not any(c.screen.is_offered(a) for a in c.screen.GUARDED_ACTIONS)
        assert why in c.screen.why_not_offered()


async def test_read_only_a_lesser_console_role_and_a_lesser_database_role_offer_neither(profile: Profile) -> None:
    plant(profile)
    await _offers_nothing(profile, "read-only", read_only=True)
    await _offers_nothing(replace(profile, role="oncall"), "the oncall console role may not")
    rule = Rule(rid(0), "a", user_id(0), True, TEMPLATE)
    with login_as(profile, "rcmd", "oncall_sched", "rcmd_tui_oncall") as oncall:  # the admin console on an oncall login
        await _offers_nothing(oncall, "the database role lacks a privilege")
        async with opened_services(oncall) as services:
            for plan in (set_rules_active([rule], False, profile), run_now(rule, rid(9), profile)):
                assert not await actions.role_holds(services.primary("rcmd"), plan.privileges)
    with rcmd_sql(profile) as conn:
        assert conn.execute("SELECT count(*) FROM jobs").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM audit_logs WHERE action LIKE 'console.schedule.%%'").fetchone() == (0,)


async def test_switch_through_the_screen_and_a_template_that_cannot_make_a_job(profile: Profile,
                                                                                redis_client: redis.Redis) -> None:
    plant(profile)
    insert_rule(profile, 4, "0 bad template", "cron", "0 3 * * *", template={"type": "rsync", "src": "a:/"})
    async with open_console(profile, "schedules") as c:
        assert c.table.current() is not None and c.table.current().get("name") == "0 bad template"  # first by name
        await c.press("N")  # refused before asking: the jobs table would reject type 'rsync'
        await c.settle()
        assert isinstance(c.screen, SchedulesScreen)
        await c.press("A")
        await until_confirm(c.pilot, c.app)
        await c.press("enter")
        for _ in range(100):
            await c.pilot.pause(0.05)
            with rcmd_sql(profile) as conn:
                if conn.execute("SELECT NOT is_active FROM schedule_rules WHERE id = %s", [rid(4)]).fetchone() == (True,):
                    break
    with rcmd_sql(profile) as conn:
        assert conn.execute("SELECT is_active, updated_at > now() - interval '1 minute' FROM schedule_rules WHERE id = %s",
                            [rid(4)]).fetchone() == (False, True)
        assert conn.execute("SELECT action, resource_id, details->'after' FROM audit_logs WHERE action LIKE 'console.schedule.%%'"
                            ).fetchall() == [("console.schedule.deactivate", rid(4), {"is_active": False})]
        assert conn.execute("SELECT count(*) FROM jobs").fetchone() == (0,)
    assert redis_client.llen(bull.WAIT) == 0


def test_schedules_in_a_terminal_at_80x24(profile: Profile, tmp_path: Path) -> None:
    plant(profile)
    with console_in_terminal(replace(profile, time_zone="Europe/Berlin"), tmp_path, columns=80, lines=24) as term:
        term.wait_for("rcmd-tui │")
        term.press(":")
        term.send(b"schedules\r")
        term.wait_for("RCMD schedules")
        term.wait_for("invalid cron")
        screen = term.text()
        assert "a nightly backup" in screen and "every 1h" in screen and ("CET" in screen or "CEST" in screen)
        term.press("enter")
        term.wait_for("Next five runs")
        assert "Next five runs" in term.text()
