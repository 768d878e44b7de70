"""RCMD schedule rules (`:schedules`): each rule with its next five runs, computed here in the profile's time
zone (``time_zone``, default UTC) with croniter, a maintained cron library.

How a rule's runs are read (docs/console.md, "Schedules"):

- ``cron``: the expression in the profile's zone, from now. Across daylight saving it runs as cron does: a time
  that does not exist (02:30 the night clocks go forward) runs at the first time after it (03:00); a time that
  happens twice (the night they go back) runs once, the first time; a job whose minute or hour is ``*``
  (``*/15`` too, and ``@hourly``) runs in each real hour, both of the twice-lived one included (cronie's rule).
- ``interval``: every ``interval_seconds`` from the stored next run (else the last run, else now), the ones
  already past skipped.
- ``once``: the stored next run if it is ahead; else none.

An expression cron cannot read, or one that matches no date (``0 0 30 2 *``), is said in the row (``invalid
cron: …``); the rule is listed like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from croniter import CroniterError, croniter

from rcmd_tui.data.lists.enrich import Lookup, Row
from rcmd_tui.data.lists.spec import Column, FilterField, Kind, Lead, ListSpec, Ordering, Shorthand, Table

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

K = Kind
RUNS = 5
RULE_TYPES = ("cron", "interval", "once")  # schedule_rules.check_rule_type


@dataclass(frozen=True, slots=True)
class NextRuns:
    runs: tuple[datetime, ...]  # aware, in the zone asked for
    problem: str | None = None  # why there are none: the expression is invalid, or the rule has run once


def cron_runs(expression: str, after: datetime, zone: ZoneInfo, count: int = RUNS) -> NextRuns:
    """The next ``count`` runs of ``expression`` read in ``zone``, after ``after``.

    >>> berlin = ZoneInfo("Europe/Berlin")
    >>> [t.strftime("%m-%d %H:%M %Z") for t in cron_runs("30 2 * * *", datetime(2026, 3, 28, 12, tzinfo=UTC), berlin, 3).runs]
    ['03-29 03:00 CEST', '03-30 02:30 CEST', '03-31 02:30 CEST']
    >>> [t.strftime("%m-%d %H:%M %Z") for t in cron_runs("30 2 * * *", datetime(2026, 10, 24, 12, tzinfo=UTC), berlin, 3).runs]
    ['10-25 02:30 CEST', '10-26 02:30 CET', '10-27 02:30 CET']
    >>> [t.strftime("%H:%M %Z") for t in cron_runs("0,30 2 * * *", datetime(2026, 10, 24, 23, tzinfo=UTC), berlin, 3).runs]
    ['02:00 CEST', '02:30 CEST', '02:00 CET']
    >>> [t.strftime("%H:%M %Z") for t in cron_runs("@hourly", datetime(2026, 10, 24, 23, 30, tzinfo=UTC), berlin, 3).runs]
    ['02:00 CEST', '02:00 CET', '03:00 CET']
    >>> cron_runs("61 * * * *", datetime(2026, 1, 1, tzinfo=UTC), berlin).problem
    'invalid cron: [61 * * * *] is not acceptable, out of range'
    >>> cron_runs("0 0 30 2 *", datetime(2026, 1, 1, tzinfo=UTC), berlin).problem
    'invalid cron: it matches no date'
    """
    fields = expression.split()
    wildcard = fields == ["@hourly"] or any(f.startswith("*") for f in fields[:2])  # cronie's MIN_STAR | HR_STAR
    try:
        found = croniter(expression, after.astimezone(zone))
        runs: list[datetime] = []
        while len(runs) < count:
            at = found.get_next(datetime)
            if not wildcard and at.replace(fold=0).utcoffset() != at.utcoffset():
                continue  # the second pass through the repeated hour: cron runs a fixed time in it once
            if runs and at.timestamp() == runs[-1].timestamp():
                continue  # several skipped times (02:00, 02:30) all land on the end of the gap: one run
            runs.append(at)
    except CroniterError as exc:
        if "find next date" in str(exc) or "find prev date" in str(exc):
            return NextRuns((), "invalid cron: it matches no date")
        return NextRuns((), f"invalid cron: {str(exc).strip() or type(exc).__name__}")
    return NextRuns(tuple(runs))


def interval_runs(every_s: int | None, start: datetime, now: datetime, zone: ZoneInfo, count: int = RUNS) -> NextRuns:
    """
    >>> utc = ZoneInfo("UTC")
    >>> start, now = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 2, 30, tzinfo=UTC)
    >>> [t.strftime("%H:%M") for t in interval_runs(3600, start, now, utc, 3).runs]
    ['03:00', '04:00', '05:00']
    >>> interval_runs(0, start, now, utc).problem
    'invalid interval: 0 seconds'
    """
    if every_s is None or every_s <= 0:
        return NextRuns((), f"invalid interval: {every_s} seconds")
    step = timedelta(seconds=every_s)
    skipped = max(0, -(-(now - start) // step)) if start < now else 0
    first = start + skipped * step
    return NextRuns(tuple((first + k * step).astimezone(zone) for k in range(count)))


def next_runs(rule_type: str | None, cron: str | None, every_s: int | None, next_run: datetime | None,
              last_run: datetime | None, now: datetime, zone: ZoneInfo) -> NextRuns:
    """
    >>> far = datetime(9999, 12, 31, 23, tzinfo=UTC)
    >>> next_runs("once", None, None, far, None, datetime(2026, 1, 1, tzinfo=UTC), ZoneInfo("Europe/Berlin")).problem
    'out of range: a run falls past the year 9999'
    """
    try:
        return _next_runs(rule_type, cron, every_s, next_run, last_run, now, zone)
    except OverflowError:  # stored times and intervals are the service's: one absurd row must not fail the page
        return NextRuns((), "out of range: a run falls past the year 9999")


def _next_runs(rule_type: str | None, cron: str | None, every_s: int | None, next_run: datetime | None,
               last_run: datetime | None, now: datetime, zone: ZoneInfo) -> NextRuns:
    if rule_type == "cron":
        return cron_runs(cron or "", now, zone) if cron else NextRuns((), "invalid cron: none given")
    if rule_type == "interval":
        return interval_runs(every_s, next_run or (last_run + timedelta(seconds=every_s or 0) if last_run else now), now, zone)
    if rule_type == "once":
        return NextRuns((next_run.astimezone(zone),)) if next_run and next_run > now else NextRuns((), "none: it runs once")
    return NextRuns((), f"unknown rule type {rule_type!r}")


def local(moment: datetime, seconds: bool = False) -> str:
    """A wall time with its zone's abbreviation; seconds only for an expression with a seconds field, as an
    interval's runs inherit the seconds of whenever it last ran and would not fit the column.

    >>> local(datetime(2026, 3, 29, 1, tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin")))
    '2026-03-29 03:00 CEST'
    >>> local(datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)), local(datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC), seconds=True)
    ('2026-01-01 00:00 UTC', '2026-01-01 00:00:30 UTC')
    """
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RunTimes:
    """The enricher: the rule's timing in words, its first next run (or what is wrong) for the list, the five for
    the detail and reports."""

    clock: Callable[[], datetime] = _utc_now  # a test fixes it to a night the clocks change

    @property
    def needs(self) -> tuple[str, ...]:
        return ("rule_type", "cron_expression", "interval_seconds", "next_run_at", "last_run_at", "is_active")

    @property
    def provides(self) -> tuple[str, ...]:
        return ("when", "next_run", "next_runs")

    async def enrich(self, services: Services, spec: ListSpec, rows: list[Row]) -> None:
        zone = ZoneInfo(services.profile.time_zone)
        now = self.clock()
        for row in rows:
            kind = row.get("rule_type")
            row["when"] = (row.get("cron_expression") if kind == "cron" else every(row.get("interval_seconds"))
                           if kind == "interval" else kind)
            found = next_runs(row.get("rule_type"), row.get("cron_expression"), row.get("interval_seconds"),
                              row.get("next_run_at"), row.get("last_run_at"), now, zone)
            if found.problem is not None:
                row["next_run"] = row["next_runs"] = found.problem
            else:
                seconds = kind == "cron" and any(t.second for t in found.runs)
                runs = [local(t, seconds) for t in found.runs]  # JSON: a detail shows one a line
                if row.get("is_active") is False:  # switched off: it will not run; the detail says when it would
                    row["next_run"], row["next_runs"] = "off", ["off; switched on, it would run at:", *runs]
                else:
                    row["next_run"], row["next_runs"] = runs[0], runs


def every(seconds: int | None) -> str:
    """
    >>> every(900), every(3600), every(86400), every(90)
    ('every 15m', 'every 1h', 'every 1d', 'every 90s')
    """
    if seconds is None:
        return "∅"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"every {seconds // size}{unit}"
    return f"every {seconds}s"


RCMD_SCHEDULES = ListSpec(
    key="schedules", system="rcmd", source=Table("schedule_rules"), title="RCMD schedules",
    columns=(
        Column("name", "Name", width=20),
        Column("username", "User", width=10, enriched=True),
        Column("is_active", "On", K.BOOL, width=3),
        Column("when", "When", width=14, enriched=True),
        Column("next_run", "Next run", width=21, enriched=True),  # "2026-03-29 03:00 CEST": the zone must show
        Column("last_run_at", "Last run (UTC)", K.TIME, width=19),
        Column("next_runs", "Next five runs", K.JSON, width=60, enriched=True, shown=False),
        Column("rule_type", "Type", K.ENUM, width=8, shown=False),
        Column("cron_expression", "Cron", width=14, shown=False),
        Column("interval_seconds", "Interval (s)", K.INT, width=8, shown=False),
        Column("next_run_at", "Stored next run (UTC)", K.TIME, width=19, shown=False),
        Column("description", "Description", width=24, shown=False),
        Column("job_template", "Job template", K.JSON, shown=False),
        Column("created_at", "Created (UTC)", K.TIME, width=19, shown=False),
        Column("updated_at", "Updated (UTC)", K.TIME, width=19, shown=False),
        Column("user_id", "User id", K.UUID, shown=False),
        Column("id", "Id", K.UUID, shown=False),
    ),
    orderings=(Ordering("name", ("name", "id"), descending=False), Ordering("newest", ("created_at", "id"))),
    filters=(
        FilterField("name", "name", help="=exact or ~part of the name"),
        FilterField("user", "user_id", K.UUID, resolve="SELECT id FROM users WHERE username = %s",
                    help="a user id or a username"),
        FilterField("type", "rule_type", K.ENUM, values=RULE_TYPES),
        FilterField("active", "is_active", K.BOOL),
        FilterField("cron", "cron_expression"),
        FilterField("id", "id", K.UUID),
    ),
    shorthands=(Shorthand("status", "is_active", {"active": ("true",), "inactive": ("false",)}),),
    time_column="created_at",
    enrichers=(Lookup("user_id", "username", "users", "username"), RunTimes()),
    leads=(Lead("user", "users", "id={user_id}"), Lead("jobs", "jobs", "user={user_id}"),
           Lead("changes", "audit", "resource_id={id}")),
)
