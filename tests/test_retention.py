"""Audit retention against real servers: the partitions in month order with the oldest, the newest, the missing
months ahead and what is due for archive; OrderSync's archive in batches (no row lost or doubled, each batch
audited, a stop between batches or a failing batch leaving both tables whole); refused to a read-only session,
a role without the rights and RCMD; the screen's progress bar and stop key; the view at 80x24 and as a report."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from textual.widgets import ProgressBar

from rcmd_tui.config import Profile, profile_to_toml
from rcmd_tui.data.actions import run as actions
from rcmd_tui.data.actions.plan import ActionRefused, Privilege
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.monitor.archive import ACTION, ArchiveMismatch, Batch, archive, batch_plan, prepare_archive
from rcmd_tui.data.monitor.retention import VIEWS
from rcmd_tui.data.monitor.storage import partition_name
from rcmd_tui.screens.archive_progress import ArchiveScreen
from rcmd_tui.screens.confirm import ConfirmScreen
from rcmd_tui.screens.retention import RetentionScreen
from rcmd_tui.widgets.key_footer import shown_bindings
from tests.helpers import login_as, open_console, opened_services, run_cli, until, until_confirm, until_screen
from tests.monitor_sessions import view_rows
from tests.terminal import console_in_terminal

Row = dict[str, Any]
MONTHS_BACK = 10  # planted partitions reach this far back: well past the six months OrderSync keeps


@contextmanager
def _session(profile: Profile, system: str = "ordersync") -> Iterator[psycopg.Connection[Any]]:
    target = profile.rcmd if system == "rcmd" else profile.ordersync
    assert target is not None
    with psycopg.connect(target.dsn, autocommit=True, options=f"-c search_path={target.schema}") as conn:
        yield conn


def _plant(profile: Profile, old: int, new: int) -> None:
    """Partitions back to MONTHS_BACK; ``old`` rows from seven months ago backwards a minute apart, ``new`` rows
    of the last day; and a pair astride the cutoff (an hour either side of now minus six months)."""
    with _session(profile) as conn:
        conn.execute("SELECT ensure_audit_partitions((now() - make_interval(months => %s))::date, 3)", (MONTHS_BACK,))
        insert = ("INSERT INTO audit_logs (trace_id, action, resource_type, resource_id, success, created_at) "
                  "SELECT md5(%s || g), 'LOGIN', 'probe', %s || g, true, {} FROM generate_series(1, %s) g")
        conn.execute(insert.format("now() - interval '7 months' - g * interval '1 minute'"), ("o", "old-", old))
        conn.execute(insert.format("now() - interval '1 day' + g * interval '1 second'"), ("n", "new-", new))
        conn.execute(insert.format("now() - interval '6 months' - interval '1 hour'"), ("e", "old-edge-", 1))
        conn.execute(insert.format("now() - interval '6 months' + interval '1 hour'"), ("f", "new-edge-", 1))
        conn.execute("ANALYZE audit_logs")


def _probes(profile: Profile) -> dict[str, dict[str, str]]:
    """Every planted row, whole (as JSON text), by table: what must be in one table or the other, unchanged."""
    with _session(profile) as conn:
        return {table: {r[0]: r[1] for r in conn.execute(
                    f"SELECT resource_id, row_to_json(t)::text FROM {table} t WHERE resource_type = 'probe'")}
                for table in ("audit_logs", "audit_logs_archive")}


def _totals(profile: Profile) -> tuple[int, int, int]:
    """Rows in audit_logs, rows in the archive, and the archive's own audit rows (written into audit_logs)."""
    with _session(profile) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM audit_logs), (SELECT count(*) FROM audit_logs_archive), "
            "(SELECT count(*) FROM audit_logs WHERE action = 'CONSOLE_ACTION' AND new_value_encrypted::jsonb->>'action' = %s)",
            (ACTION,)).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def _audited(profile: Profile, run: str) -> list[dict[str, Any]]:
    with _session(profile) as conn:
        return [r[0] for r in conn.execute(
            "SELECT new_value_encrypted::jsonb FROM audit_logs WHERE action = 'CONSOLE_ACTION' "
            "AND new_value_encrypted::jsonb->>'run' = %s ORDER BY (new_value_encrypted::jsonb->>'batch')::int", (run,))]


def _archive_privileges(profile: Profile) -> tuple[Privilege, ...]:
    """What the retention screen asks of the database role before it offers the archive."""
    return batch_plan("ordersync", profile, datetime.now(UTC), 50, "").privileges


def _month_start(profile: Profile, ahead: int) -> datetime:
    with _session(profile) as conn:
        row = conn.execute("SELECT date_trunc('month', now()) + make_interval(months => %s)", (ahead,)).fetchone()
    assert row is not None
    moment: datetime = row[0]
    return moment


async def _rows(services: Services, system: str) -> list[Row]:
    return await view_rows(services, next(v for v in VIEWS if v.system == system))


# The view ---------------------------------------------------------------------------------------------------


async def test_the_view_lists_partitions_in_month_order_with_oldest_newest_missing_and_due(profile: Profile) -> None:
    _plant(profile, old=30, new=5)
    gone = _month_start(profile, 2)
    with _session(profile) as conn:
        conn.execute(f"DROP TABLE {partition_name('audit_logs', gone.date())}")
    async with opened_services(profile) as services:
        rows = await _rows(services, "ordersync")
    partitions = [r for r in rows if r["kind"] == "partition"]
    assert len(partitions) == MONTHS_BACK + 3  # back to MONTHS_BACK, through three ahead, less the one dropped
    assert [r["month"] for r in partitions] == sorted(r["month"] for r in partitions)
    assert [r["edge"] for r in partitions] == ["oldest", *[None] * (len(partitions) - 2), "newest"]
    assert all(r["name"] == f"audit_logs_{r['month'].replace('-', '_')}" for r in partitions)  # the month of its own range
    missing = [r for r in rows if r["kind"] == "missing"]
    assert [(r["name"], r["month"]) for r in missing] == [(partition_name("audit_logs", gone.date()), f"{gone:%Y-%m}")]
    at = [r["at"] for r in rows[:-1]]
    assert at == sorted(at) and rows[-1]["kind"] == "archive"  # the missing month among the others; the archive last
    cutoff = rows[0]["cutoff"]
    assert abs(cutoff - (datetime.now(UTC) - timedelta(days=183))) < timedelta(days=4)  # now minus six months
    for r in partitions:
        expected = "due" if r["ends"] <= cutoff else "partly" if r["starts"] < cutoff else None
        assert r["archive"] == expected, r
    assert [r["archive"] for r in partitions].count("partly") == 1 and "due" in [r["archive"] for r in partitions]
    planted = [r for r in partitions if r["starts"] <= datetime.now(UTC) - timedelta(days=213) < r["ends"]]
    assert planted and planted[0]["est_rows"] > 0 and planted[0]["total_bytes"] > 0  # the planner's figure, analysed
    kept = rows[-1]
    assert (kept["name"], kept["est_rows"] in (None, 0), kept["month"], kept["edge"]) == ("audit_logs_archive", True, None, None)
    assert isinstance(kept["total_bytes"], int)


async def test_rcmd_lists_its_partitions_with_no_retention_and_no_archive(profile: Profile) -> None:
    async with opened_services(profile) as services:
        rows = await _rows(services, "rcmd")
    assert {r["kind"] for r in rows} == {"partition"}  # the migrations made this month and three ahead
    assert len(rows) == 4 and rows[0]["edge"] == "oldest" and rows[-1]["edge"] == "newest"
    assert all(r["archive"] is None and r["cutoff"] is None for r in rows)  # RCMD's seed sets no retention


# The archive ------------------------------------------------------------------------------------------------


async def test_the_archive_moves_every_old_row_whole_in_audited_batches_and_no_newer_one(profile: Profile) -> None:
    _plant(profile, old=237, new=40)
    before, probes = _totals(profile), _probes(profile)
    olds = {k for k in probes["audit_logs"] if k.startswith("old-")}
    news = {k for k in probes["audit_logs"] if k.startswith("new-")}
    assert len(olds) == 238 and len(news) == 41 and not probes["audit_logs_archive"]
    seen: list[tuple[Batch, int]] = []
    async with opened_services(profile) as services:
        job = await prepare_archive(services, "ordersync", batch_size=50)
        assert 150 <= job.estimate <= 400  # the planner's estimate of 238 rows
        assert job.archive_rows in (None, 0) and abs(job.cutoff - (datetime.now(UTC) - timedelta(days=183))) < timedelta(days=4)
        outcome = await archive(services, job, lambda b, moved: seen.append((b, moved)), lambda: False)
    assert (outcome.batches, outcome.moved, outcome.stopped, outcome.remaining, outcome.error) == (5, 238, False, 0, None)
    assert [(b.number, b.moved, m) for b, m in seen] == [(1, 50, 50), (2, 50, 100), (3, 50, 150), (4, 50, 200), (5, 38, 238)]
    after = _probes(profile)
    assert after["audit_logs_archive"] == {k: probes["audit_logs"][k] for k in olds}  # every old row, whole, once
    assert after["audit_logs"] == {k: probes["audit_logs"][k] for k in news}  # every newer row stayed, untouched
    live, kept, audits = _totals(profile)
    assert live + kept - audits == before[0] + before[1] and kept == 238 and audits == 5  # nothing lost, nothing made
    audited = _audited(profile, job.run)
    assert [(a["batch"], a["moved"]) for a in audited] == [(1, 50), (2, 50), (3, 50), (4, 50), (5, 38)]
    for a in audited:
        assert a["action"] == ACTION and a["cutoff"] == job.cutoff.isoformat() and a["to_table"] == "audit_logs_archive"
        assert a["console_role"] == "admin" and a["db_user"] and a["os_user"] and a["profile"] == "test"
        assert a["first"] <= a["last"] < job.cutoff.isoformat()
    assert "done" in outcome.summary(job) and "238 rows" in outcome.summary(job) and "5 batches" in outcome.summary(job)


async def test_a_stop_after_the_first_batch_leaves_exactly_that_batch_archived(profile: Profile) -> None:
    _plant(profile, old=200, new=10)
    before, probes = _totals(profile), _probes(profile)
    with _session(profile) as conn:  # the batch's order: oldest first, id breaking ties
        first = [r[0] for r in conn.execute("SELECT resource_id FROM audit_logs WHERE resource_type = 'probe' "
                                            "AND resource_id LIKE 'old-%' ORDER BY created_at, id LIMIT 50")]
    done: list[Batch] = []
    async with opened_services(profile) as services:
        job = await prepare_archive(services, "ordersync", batch_size=50)
        outcome = await archive(services, job, lambda b, _moved: done.append(b), lambda: len(done) >= 1)
    assert (outcome.batches, outcome.moved, outcome.stopped, outcome.remaining) == (1, 50, True, 151)
    assert "stopped early" in outcome.summary(job) and "151 older rows left" in outcome.summary(job)
    after = _probes(profile)
    assert set(after["audit_logs_archive"]) == set(first)
    assert set(after["audit_logs"]) == set(probes["audit_logs"]) - set(first)
    assert {**after["audit_logs"], **after["audit_logs_archive"]} == probes["audit_logs"]
    live, kept, audits = _totals(profile)
    assert live + kept - audits == before[0] + before[1] and audits == 1


async def test_a_failing_batch_rolls_back_whole_and_the_batches_before_it_stay(profile: Profile) -> None:
    _plant(profile, old=120, new=0)
    with _session(profile) as conn:  # a copy of a row of the second batch already sits in the archive
        conn.execute("INSERT INTO audit_logs_archive SELECT * FROM audit_logs WHERE resource_id = 'old-60'")
    before, probes = _totals(profile), _probes(profile)
    async with opened_services(profile) as services:
        job = await prepare_archive(services, "ordersync", batch_size=50)
        outcome = await archive(services, job, lambda _b, _m: None, lambda: False)
    assert (outcome.batches, outcome.moved, outcome.stopped) == (1, 50, False)
    assert isinstance(outcome.error, ActionRefused) and "batch 2" in outcome.error.message
    assert "already holds" in outcome.error.message and "rolled back whole" in outcome.error.hint
    after = _probes(profile)
    assert len(after["audit_logs_archive"]) == 51 and len(after["audit_logs"]) == len(probes["audit_logs"]) - 50
    assert "old-60" in after["audit_logs"]  # its batch rolled back: still live, as before
    live, kept, audits = _totals(profile)
    assert live + kept - audits == before[0] + before[1] and audits == 1


async def test_a_batch_whose_rows_do_not_all_reach_the_archive_rolls_back(profile: Profile) -> None:
    """The counts are compared inside the transaction: a trigger that drops a row on its way into the archive
    makes the batch roll back, the dropped row still live."""
    _plant(profile, old=20, new=0)
    with _session(profile) as conn:
        conn.execute("CREATE FUNCTION drop_one() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$ BEGIN IF NEW.resource_id = 'old-7' THEN RETURN NULL; END IF; RETURN NEW; END $$")
        conn.execute("CREATE TRIGGER drop_one BEFORE INSERT ON audit_logs_archive FOR EACH ROW EXECUTE FUNCTION drop_one()")
    before, probes = _totals(profile), _probes(profile)
    async with opened_services(profile) as services:
        job = await prepare_archive(services, "ordersync", batch_size=50)
        outcome = await archive(services, job, lambda _b, _m: None, lambda: False)
    assert isinstance(outcome.error, ArchiveMismatch) and "21 rows deleted but 20 archived" in outcome.error.message
    assert (outcome.batches, outcome.moved) == (0, 0)
    assert _probes(profile) == probes and _totals(profile) == before


# Who may ------------------------------------------------------------------------------------------------------


async def test_read_only_a_role_without_the_rights_and_rcmd_get_no_archive(profile: Profile) -> None:
    _plant(profile, old=5, new=0)
    async with opened_services(profile) as services:
        with pytest.raises(ActionRefused, match="RCMD has no audit archive") as refused:
            await prepare_archive(services, "rcmd")
        assert "no archive table" in refused.value.hint
    read_only = Services(profile, read_only=True)
    await read_only.open()
    try:
        with pytest.raises(ActionRefused, match="not offered") as refused:
            await prepare_archive(read_only, "ordersync")
        assert "read-write" in refused.value.hint
    finally:
        await read_only.close()
    with login_as(profile, "ordersync", "rcmd_tui_test_archiver", "rcmd_tui_admin") as admin:
        async with opened_services(admin) as services:
            with pytest.raises(ActionRefused, match="lacks DELETE on audit_logs, INSERT on audit_logs_archive"):
                await prepare_archive(services, "ordersync")
            assert not await actions.action_is_offered(services, "ordersync", ("admin",), _archive_privileges(admin))
    grants = ["GRANT DELETE ON {schema}.audit_logs TO {role}", "GRANT INSERT ON {schema}.audit_logs_archive TO {role}"]
    with login_as(profile, "ordersync", "rcmd_tui_test_archiver", "rcmd_tui_admin", grants) as archiver:
        async with opened_services(archiver) as services:  # exactly these rights are enough
            assert await actions.action_is_offered(services, "ordersync", ("admin",), _archive_privileges(archiver))
            job = await prepare_archive(services, "ordersync")
            outcome = await archive(services, job, lambda _b, _m: None, lambda: False)
    assert (outcome.moved, outcome.error) == (6, None)
    assert _audited(profile, job.run)[0]["db_user"] == "rcmd_tui_test_archiver"
    assert len(_probes(profile)["audit_logs_archive"]) == 6


async def test_the_screen_offers_no_archive_read_only_nor_on_rcmd_and_says_why(profile: Profile) -> None:
    told: list[str] = []
    for screen, read_only, why in (("retention os", True, "read-only"), ("retention rcmd", False, "no archive table")):
        async with open_console(profile, screen, read_only=read_only) as c:
            assert isinstance(c.screen, RetentionScreen) and not c.screen.is_offered("archive")
            assert "archive" not in {b.action for b in shown_bindings(c.app.screen)}
            status = str(c.screen.status_text())
            if screen == "retention rcmd":  # why, before anyone presses a key that is not offered
                assert "no archive: RCMD keeps its whole log" in status, status
                assert "archive" not in {col.name for col in c.table.shown_columns()}  # a column of ∅ said nothing
            told.clear()
            c.screen.notify = lambda message, **_: told.append(message)  # type: ignore[method-assign]
            await c.press("A")
            await c.settle()
            assert any(why in m for m in told), told
            assert not isinstance(c.screen, ConfirmScreen)
    assert _totals(profile)[1:] == (0, 0)


# The screen ---------------------------------------------------------------------------------------------------


async def test_the_archive_runs_from_the_screen_with_a_progress_bar_and_c_stops_it(profile: Profile) -> None:
    """Another session holds a row of the second batch, so the run waits there while c is pressed; once that
    session lets go, the second batch finishes whole and the run stops before a third."""
    _plant(profile, old=300, new=10)
    before = _totals(profile)
    patient = dataclasses.replace(profile, timeouts=dataclasses.replace(profile.timeouts, lock_ms=20_000))
    assert profile.ordersync is not None
    holder = psycopg.connect(profile.ordersync.dsn, options=f"-c search_path={profile.ordersync.schema}")
    async with open_console(patient, "retention os") as c:
        screen = c.screen
        assert isinstance(screen, RetentionScreen) and screen.is_offered("archive")
        assert "archive" in {b.action for b in shown_bindings(c.app.screen)}
        screen.batch_size = 25
        await c.press("A")
        confirm = await until_confirm(c.pilot, c.app)
        shown = "\n".join(confirm.statements)
        assert confirm.typed == "archive" and "cutoff: " in shown and "25 per batch" in shown
        assert "DELETE FROM" in shown and "INSERT INTO" in shown and "CONSOLE_ACTION" in shown
        holder.execute("SELECT 1 FROM audit_logs WHERE resource_id = 'old-270' FOR UPDATE")  # the second batch's fifth row
        await c.press(*"archive", "enter")
        running: ArchiveScreen = await until_screen(c.pilot, c.app, ArchiveScreen)
        bar = running.query_one(ProgressBar)
        await until(lambda: running.batches == 1, c.pilot)
        assert bar.progress == 25 and bar.total is not None and bar.total >= 150  # the planner's estimate of 301
        await c.press("c")
        assert running.stopping and "stopping after the batch" in str(running.query_one("#archive-state").render())
        holder.rollback()
        await until(lambda: running.outcome is not None, c.pilot, seconds=20)
        outcome = running.outcome
        assert outcome is not None and outcome.stopped and outcome.error is None
        assert (outcome.batches, outcome.moved, bar.progress) == (2, 50, 50)
        assert "stopped early" in str(running.query_one("#archive-state").render())
        await c.press("escape")
        await c.settle()
        assert screen.last_archive == outcome
        assert c.screen is screen
    holder.close()
    live, kept, audits = _totals(profile)
    assert (kept, audits) == (50, 2) and live + kept - audits == before[0] + before[1]


# The real console and the report --------------------------------------------------------------------------------


def test_at_80x24_retention_reads_in_a_real_terminal_and_archives(profile: Profile, tmp_path: Path) -> None:
    _plant(profile, old=120, new=5)
    with console_in_terminal(profile, tmp_path) as term:
        term.wait_for("targets up")
        term.press(":", *"retention os", "enter")
        term.wait_for("OrderSync audit retention")
        term.wait_for("audit_logs_archive")
        assert term.line(0).startswith(" OrderSync audit retention │"), term.line(0)
        header = next(line for line in term.screen.display if "Rows~" in line)
        assert header.split() == ["Kind", "Name", "Month", "Rows~", "Size", "Edge", "Archive"], header
        text = term.text()
        for seen in ("oldest", "newest", "due", "partly", "archive "):
            assert seen in text, f"{seen!r} not on screen:\n{text}"
        term.press("enter")  # the oldest partition's detail: its range and the cutoff
        term.wait_for("Cutoff (UTC)")
        assert "From (UTC)" in term.text() and "audit_logs_" in term.text()
        term.press("escape")
        term.wait_for("Rows~")
        term.press("A")
        term.wait_for("cutoff:")
        term.press(*"archive", "enter")
        term.wait_for("Archive done")
        assert "121 rows older than" in term.text() and "0 older rows left" in term.text(), term.text()
        term.press("escape")
        term.wait_for("row 1 of")
        assert "Traceback" not in term.text() and term.proc.poll() is None
    assert len(_probes(profile)["audit_logs_archive"]) == 121


def test_the_retention_report_is_typed_json_and_a_table(profile: Profile, tmp_path: Path) -> None:
    _plant(profile, old=10, new=1)
    config = tmp_path / "config.toml"
    config.write_text(profile_to_toml(profile), encoding="utf-8")
    env = {"RCMD_TUI_CONFIG": str(config)}
    done = run_cli(["report", "retention", "ordersync", "--format", "json"], env)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    spec = next(v for v in VIEWS if v.system == "ordersync")
    assert all(list(r) == [c.name for c in spec.columns if c.shown] for r in rows)
    assert [r["kind"] for r in rows].count("partition") == MONTHS_BACK + 4 and rows[-1]["name"] == "audit_logs_archive"
    assert rows[0]["edge"] == "oldest" and rows[0]["archive"] == "due" and isinstance(rows[0]["total_bytes"], int)
    table = run_cli(["report", "retention", "os", "--filter", "archive=due"], env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["Kind", "Name", "Month", "Rows~", "Size", "Edge", "Archive"]
    assert len(lines) > 2 and all(line.split()[-1] == "due" for line in lines[1:])
    assert max(len(line) for line in lines) <= 80
    rcmd = run_cli(["report", "retention", "--format", "json"], env)
    assert rcmd.returncode == 0, rcmd.stderr
    assert {r["kind"] for r in json.loads(rcmd.stdout)} == {"partition"}
