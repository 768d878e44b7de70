"""Archive OrderSync's audit rows older than its retention into ``audit_logs_archive``: what the seed's
``archive_old_audit_logs()`` does in one statement, done in batches that can be watched, stopped, and never lose
a row.

Each batch is one transaction on the primary through :func:`write_transaction` (the runner's ``lock_timeout``;
the session's ``statement_timeout``): the re-check (the archive exists and has audit_logs' columns, in order and
of the same types, so ``SELECT *`` puts every value in its own column); one statement that deletes the batch's
oldest rows and inserts exactly those into the archive, returning both counts; the counts compared (unequal:
the batch rolls back); then the audit row for the batch, naming its rows and their time span. A batch commits
whole or not at all, so stopping between batches, a failure, or the console closing mid-batch leave every row
in exactly one of the two tables.

The cutoff is read once, when the confirmation is prepared (the server's ``now()`` minus the retention), shown
there, and used by every batch: a run that takes an hour does not creep on.

A batch is picked without ``FOR UPDATE SKIP LOCKED``: row locks need UPDATE on the immutable log, a right the
archive should not need. The DELETE locks the rows it takes; a row another session holds makes the batch wait at
most ``lock_timeout`` and then roll back whole.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
import psycopg_pool
from psycopg import sql

from rcmd_tui.config import ConsoleRole, Profile
from rcmd_tui.data.actions.plan import ActionRefused, Plan, Privilege, Statement, TargetChanged
from rcmd_tui.data.actions.run import action_is_allowed, lacking
from rcmd_tui.data.infra.connections import write_transaction
from rcmd_tui.data.infra.failures import first_line
from rcmd_tui.data.monitor.console_audit import system_audit
from rcmd_tui.data.monitor.retention import ARCHIVE_TABLES, RETENTION_MONTHS
from rcmd_tui.data.monitor.storage import AUDIT_TABLE, schema_of
from rcmd_tui.errors import RcmdError
from rcmd_tui.text import human_bytes

if TYPE_CHECKING:
    from rcmd_tui.data.infra.services import Services

ACTION = "console.audit.archive"
ROLES: tuple[ConsoleRole, ...] = ("admin",)
BATCH_SIZE = 5_000
REMAINING_CAP = 10_000  # rows left behind are counted up to this many (an index range; never the whole log)
TYPED = "archive"
NO_ARCHIVE_HINT = ("RCMD's seed keeps its audit log whole: it has no archive table and no retention function; "
                   "the list shows its partitions only")


class ArchiveMismatch(RcmdError):
    title = "Archive refused"


@dataclass(frozen=True, slots=True)
class ArchiveJob:
    """One archive run as confirmed: its cutoff, batch size, what it will find, and what each batch runs."""

    system: str
    cutoff: datetime
    batch_size: int
    run: str  # shared by the audit rows of its batches
    estimate: int  # rows older than the cutoff: the planner's estimate
    archive_rows: int | None  # the archive's reltuples (None: never analysed)
    archive_bytes: int
    plan: Plan  # the first batch's statements, for the confirmation and the privileges

    @property
    def archive(self) -> str:
        return ARCHIVE_TABLES[self.system]

    def describe(self) -> tuple[str, ...]:
        """What the confirmation says above the statements."""
        months = RETENTION_MONTHS[self.system]
        batches = -(-self.estimate // self.batch_size)
        held = "never analysed" if self.archive_rows is None else f"about {self.archive_rows:,} rows"
        return (f"cutoff: {when(self.cutoff)} (the server's now() minus {months} months, fixed now for every batch)",
                f"to move: about {self.estimate:,} rows of {AUDIT_TABLE} (planner estimate), "
                f"{self.batch_size:,} per batch: about {batches:,} batch{'es' if batches != 1 else ''}",
                f"{self.archive} now: {held}, {human_bytes(self.archive_bytes)}",
                "each batch is one transaction, moved whole or not at all, and audited; Esc or c stops between batches",
                "each batch's audit row carries its number, count and time span (below: the first batch's, before its rows "
                "are known)")


@dataclass(frozen=True, slots=True)
class Batch:
    number: int
    moved: int
    first: datetime | None  # the oldest and newest created_at it moved
    last: datetime | None


@dataclass(frozen=True, slots=True)
class ArchiveOutcome:
    batches: int  # committed, each audited
    moved: int
    stopped: bool  # stopped between batches, as asked
    remaining: int | None  # rows older than the cutoff still in audit_logs, up to REMAINING_CAP + 1; None: not counted
    error: RcmdError | None = None  # the batch that failed rolled back whole; the ones before it stay

    def summary(self, job: ArchiveJob) -> str:
        done = f"{self.moved:,} rows older than {when(job.cutoff)} moved to {job.archive} in {self.batches:,} " \
               f"batch{'es' if self.batches != 1 else ''}"
        left = ("" if self.remaining is None else
                f"; more than {REMAINING_CAP:,} older rows left in {AUDIT_TABLE}" if self.remaining > REMAINING_CAP else
                f"; {self.remaining:,} older rows left in {AUDIT_TABLE}")
        if self.error is not None:
            return f"Archive failed: {done}; batch {self.batches + 1} rolled back whole{left}"
        if self.stopped:
            return f"Archive stopped early, as asked: {done}{left}"
        return f"Archive done: {done}{left}"


def no_archive(system: str) -> ActionRefused:
    return ActionRefused(f"{'RCMD' if system == 'rcmd' else system} has no audit archive", NO_ARCHIVE_HINT)


def when(moment: datetime) -> str:
    """
    >>> when(datetime(2026, 5, 1, 12, 30, tzinfo=UTC))
    '2026-05-01 12:30:00 UTC'
    """
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _names(system: str, profile: Profile) -> tuple[str, str]:
    """audit_logs and its archive, schema-qualified and quoted, as to_regclass() reads them."""
    schema = schema_of(profile, system)
    return (sql.Identifier(schema, AUDIT_TABLE).as_string(None), sql.Identifier(schema, ARCHIVE_TABLES[system]).as_string(None))


# One row: whether the archive exists with audit_logs' columns, in their order and of their types, and if not, why.
_CHECK = sql.SQL("""
WITH names AS (SELECT to_regclass(%s) AS live, to_regclass(%s) AS kept, %s::text AS kept_name),
cols AS (
    SELECT a.attrelid = names.kept AS kept, row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS n,
           a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type
    FROM names, pg_attribute a
    WHERE a.attrelid IN (names.live, names.kept) AND a.attnum > 0 AND NOT a.attisdropped
), differ AS (
    SELECT coalesce(l.name, k.name) AS name
    FROM (SELECT * FROM cols WHERE NOT kept) l FULL JOIN (SELECT * FROM cols WHERE kept) k USING (n)
    WHERE l.name IS DISTINCT FROM k.name OR l.type IS DISTINCT FROM k.type
)
SELECT n.kept IS NOT NULL AND NOT EXISTS (SELECT 1 FROM differ),
       CASE WHEN n.kept IS NULL THEN n.kept_name || ' does not exist here'
            WHEN EXISTS (SELECT 1 FROM differ) THEN 'the columns of ' || n.kept_name || ' no longer match audit_logs ('
                 || (SELECT string_agg(name, ', ') FROM differ) || '): a row would not land whole'
       END
FROM names n
""")

# The batch: the oldest rows before the cutoff, deleted and inserted into the archive in one statement. The batch is
# picked in (created_at, id) order and deleted as the range up to its last row, not as "(id, created_at) IN (the
# batch)": the planner joins that by hashing the batch and reading every old row of every old partition, once per
# batch; the range is one index scan over the batch's own rows. In the statement's one snapshot the range up to the
# batch's last row is the batch: every older row went in an earlier one.
_MOVE = """
WITH edge AS (
    SELECT created_at, id FROM (
        SELECT created_at, id FROM {live} WHERE created_at < %s ORDER BY created_at, id LIMIT %s) AS batch
    ORDER BY created_at DESC, id DESC LIMIT 1
), moved AS (
    DELETE FROM {live} AS a USING edge e
    WHERE a.created_at < %s AND a.created_at <= e.created_at AND (a.created_at, a.id) <= (e.created_at, e.id)
    RETURNING a.*
), archived AS (
    INSERT INTO {kept} SELECT * FROM moved RETURNING created_at
)
SELECT (SELECT count(*) FROM moved) AS deleted, count(*) AS inserted, min(created_at) AS first, max(created_at) AS last
FROM archived
"""


def batch_plan(system: str, profile: Profile, cutoff: datetime, batch_size: int, run: str) -> Plan:
    """What every batch runs, with the first batch's audit row (a batch's row also gets its count and time span,
    known once its rows are moved). Its privileges are the archive's: DELETE and SELECT on audit_logs (the WHERE
    and RETURNING * read it), INSERT and SELECT on the archive (its RETURNING), and the audit row's INSERT."""
    archive = ARCHIVE_TABLES.get(system)
    if archive is None:
        raise no_archive(system)
    schema = schema_of(profile, system)
    live, kept = sql.Identifier(schema, AUDIT_TABLE), sql.Identifier(schema, archive)
    live_name, kept_name = _names(system, profile)
    check = Statement(_CHECK, (live_name, kept_name, archive), counts="none")
    needs = (Privilege(AUDIT_TABLE, "DELETE"), Privilege(AUDIT_TABLE, "SELECT"), Privilege(archive, "INSERT"),
             Privilege(archive, "SELECT"))
    move = Statement(sql.SQL(_MOVE).format(live=live, kept=kept), (cutoff, batch_size, cutoff), needs, counts="value")
    return Plan(
        system=system, title=f"Archive {AUDIT_TABLE} rows older than {when(cutoff)}", targets=(AUDIT_TABLE, archive),
        check=check, statements=(move,), audit=batch_audit(system, profile, cutoff, batch_size, run, Batch(1, 0, None, None)),
        roles=ROLES, typed=TYPED, audit_after=True, changes="row archived",
    )


def batch_audit(system: str, profile: Profile, cutoff: datetime, batch_size: int, run: str, batch: Batch) -> Statement:
    details: dict[str, Any] = {"run": run, "batch": batch.number, "moved": batch.moved, "cutoff": cutoff.isoformat(),
                               "batch_size": batch_size, "from_table": AUDIT_TABLE, "to_table": ARCHIVE_TABLES[system],
                               "first": batch.first.isoformat() if batch.first else None,
                               "last": batch.last.isoformat() if batch.last else None}
    return system_audit(system, ACTION, "audit_logs", [ARCHIVE_TABLES[system]], profile, details)


# The cutoff, and what the archive holds now (reltuples NULL: there is no archive table).
_BEFORE = sql.SQL("""
SELECT now() - make_interval(months => %s), c.reltuples, coalesce(pg_total_relation_size(c.oid), 0)
FROM (SELECT 1) AS one LEFT JOIN pg_class c ON c.oid = to_regclass(%s)
""")


async def prepare_archive(services: Services, system: str, batch_size: int = BATCH_SIZE) -> ArchiveJob:
    """The run to confirm: refused, saying why, where the system has no archive, the session may not write or the
    database role lacks a right the batches need; else its cutoff (fixed here), the rows to move (the planner's
    estimate: counting them could read millions of rows) and the archive's size."""
    profile = services.profile
    if system not in ARCHIVE_TABLES:
        raise no_archive(system)
    if not action_is_allowed(profile, services.read_only, ROLES):
        raise ActionRefused("Archive is not offered", "it needs a read-write session and the admin console role")
    pool = services.primary(system)
    async with pool.connection() as conn:
        row = await (await conn.execute(_BEFORE, (RETENTION_MONTHS[system], _names(system, profile)[1]))).fetchone()
    assert row is not None
    cutoff, reltuples, archive_bytes = row
    if reltuples is None:
        raise ActionRefused(f"{ARCHIVE_TABLES[system]} does not exist here",
                            f"rcmd-tui db migrate --system {system} creates it (migration 0004)")
    run = uuid.uuid4().hex[:12]
    plan = batch_plan(system, profile, cutoff, batch_size, run)
    missing = await lacking(pool, plan.privileges)
    if missing:
        raise ActionRefused(f"Archive: the database role lacks {', '.join(missing)}",
                            "it needs DELETE and SELECT on audit_logs, INSERT and SELECT on audit_logs_archive, and INSERT on "
                            "audit_logs for the audit rows (docs/roles.md); nothing was moved")
    estimate = await _explain_rows(pool, sql.Identifier(schema_of(profile, system), AUDIT_TABLE), cutoff)
    return ArchiveJob(system, cutoff, batch_size, run, estimate, int(reltuples) if reltuples >= 0 else None,
                      int(archive_bytes), plan)


async def _explain_rows(pool: psycopg_pool.AsyncConnectionPool[Any], live: sql.Identifier, cutoff: datetime) -> int:
    query = sql.SQL("EXPLAIN (FORMAT JSON) SELECT 1 FROM {} WHERE created_at < %s").format(live)
    async with pool.connection() as conn:
        cur = psycopg.AsyncClientCursor(conn)  # EXPLAIN takes no server-side parameters; psycopg quotes them
        await cur.execute(query, (cutoff,))
        row = await cur.fetchone()
    plan = row[0] if row else None
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"]) if plan else 0


# -- running it -------------------------------------------------------------------------------------------


async def move_batch(services: Services, job: ArchiveJob, number: int) -> Batch:
    """One batch, one transaction: re-check, move, compare the counts, audit. Raises (the batch rolled back
    whole) TargetChanged, ArchiveMismatch or ActionRefused."""
    plan, profile = job.plan, services.profile
    check, move = plan.check, plan.statements[0]
    assert check is not None
    lock_ms = profile.timeouts.lock_ms
    try:
        async with write_transaction(services.primary(job.system), lock_ms) as conn:
            row = await (await conn.execute(check.query, check.params)).fetchone()
            if row is None or not row[0]:
                raise TargetChanged(f"Archive, batch {number}: {row[1] if row else 'the archive is not as it was'}",
                                    "nothing of this batch moved; the batches before it stay archived")
            counted = await (await conn.execute(move.query, move.params)).fetchone()
            assert counted is not None
            deleted, inserted, first, last = counted
            if deleted != inserted:  # raised inside the transaction: it rolls back, the rows stay where they were
                raise ArchiveMismatch(f"Archive, batch {number}: {deleted:,} rows deleted but {inserted:,} archived",
                                      "the batch rolled back whole; look for a rule or trigger on the archive table")
            batch = Batch(number, int(deleted), first, last)
            if batch.moved:
                audit = batch_audit(job.system, profile, job.cutoff, job.batch_size, job.run, batch)
                await conn.execute(audit.query, audit.params)
            return batch
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ActionRefused(f"Archive, batch {number}: the database refused it ({first_line(exc)})",
                            "the role needs rcmd_tui_admin plus DELETE on audit_logs and INSERT on audit_logs_archive "
                            "(docs/roles.md); this batch moved nothing") from None
    except psycopg.errors.LockNotAvailable:
        raise ActionRefused(f"Archive, batch {number}: rows are locked by another session",
                            f"the batch rolled back whole (lock_timeout {lock_ms} ms); the batches before it stay "
                            "archived; try again") from None
    except psycopg.errors.QueryCanceled:
        raise ActionRefused(f"Archive, batch {number}: it ran past statement_timeout",
                            "the batch rolled back whole; the batches before it stay archived") from None
    except psycopg.errors.UniqueViolation:
        raise ActionRefused(f"Archive, batch {number}: the archive already holds one of its rows (same id and created_at)",
                            "the batch rolled back whole; compare the two tables before archiving again") from None
    except psycopg.Error as exc:
        raise ActionRefused(f"Archive, batch {number}: {first_line(exc)}", "the batch rolled back whole") from None


async def archive(services: Services, job: ArchiveJob, progress: Callable[[Batch, int], None],
                  stop: Callable[[], bool]) -> ArchiveOutcome:
    """Batches until no row older than the cutoff is left, ``stop()`` says so (asked before each batch, never
    during one) or a batch fails. ``progress(batch, moved so far)`` after each committed batch."""
    moved = batches = 0
    stopped = False
    error: RcmdError | None = None
    while True:
        if stop():
            stopped = True
            break
        try:
            batch = await move_batch(services, job, batches + 1)
        except RcmdError as exc:
            error = exc
            break
        if batch.moved:
            batches += 1
            moved += batch.moved
            progress(batch, moved)
        if batch.moved < job.batch_size:  # the oldest rows left came short of a batch: none are left
            break
    return ArchiveOutcome(batches, moved, stopped, await remaining(services, job), error)


async def remaining(services: Services, job: ArchiveJob) -> int | None:
    """Rows older than the cutoff still in audit_logs, counted up to REMAINING_CAP + 1 over the created_at index;
    None when the count itself fails (the run's own outcome matters more)."""
    live = sql.Identifier(schema_of(services.profile, job.system), AUDIT_TABLE)
    query = sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} WHERE created_at < %s LIMIT %s) AS older").format(live)
    try:
        async with services.primary(job.system).connection() as conn:
            row = await (await conn.execute(query, (job.cutoff, REMAINING_CAP + 1))).fetchone()
    except (psycopg.Error, OSError):  # a pool timeout is a psycopg.Error too
        return None
    return int(row[0]) if row else None

