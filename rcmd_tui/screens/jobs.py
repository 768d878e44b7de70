"""Jobs (`:jobs`): RCMD's jobs, newest first, following ``pubsub:jobs`` live; Enter opens a job with its log.
Actions (admin): cancel the marked jobs (or this one), retry a failed one, change priority, release a stale
lock. Each asks first, re-checks the rows (and the Redis keys) as shown, and is audited."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType

from rcmd_tui.data.actions.plan import Privilege
from rcmd_tui.data.lists.spec import Record
from rcmd_tui.data.rcmd import bull
from rcmd_tui.data.rcmd.job_actions import Job, cancel_jobs, change_priority, release_lock, retry_job
from rcmd_tui.errors import RcmdError
from rcmd_tui.screens.detail import DetailScreen
from rcmd_tui.screens.job_detail import JobDetail
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.widgets.prompt_bar import PromptBar

CANCELLABLE = ("pending", "queued", "running")
PRIORITISED = ("pending", "queued", "failed")  # still to run (a failed one when retried): its priority orders it
_ANY = "00000000-0000-0000-0000-000000000000"


class BadPriority(RcmdError):
    title = "Priority"


def job_of(record: Record) -> Job:
    return Job(id=str(record.get("id")), user_id=str(record.get("user_id")), username=record.get("username"),
               type=str(record.get("type")), status=str(record.get("status")), priority=record.get("priority"),
               retry_count=record.get("retry_count"), max_retries=record.get("max_retries"),
               lock_token=record.get("lock_holder"))


class JobsScreen(ListScreen):
    DETAIL: ClassVar[type[DetailScreen]] = JobDetail
    GUARDED_ACTIONS: ClassVar[frozenset[str]] = frozenset({"cancel", "retry", "priority", "release"})
    PROMPTING: ClassVar[frozenset[str]] = frozenset({"priority"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("C", "cancel", "Cancel", id="jobs.cancel",
                tooltip="Cancel the marked jobs (or this one): status, cancelled_at, off the queue, lock gone; asks first, audited"),
        Binding("R", "retry", "Retry", id="jobs.retry",
                tooltip="Retry this failed job (only below its max retries): back on the wait list; asks first, audited"),
        Binding("P", "priority", "Priority", id="jobs.priority",
                tooltip="Change the priority (1-10) of the marked jobs (or this one); asks first, audited"),
        Binding("L", "release", "Release lock", id="jobs.release",
                tooltip="Release this job's stale lock:job key (only if it still holds the worker shown); asks first, audited"),
    ]

    def privileges_needed(self) -> tuple[Privilege, ...]:
        any_job = Job(_ANY, _ANY, None, "copy", "failed", 5, 0, 3, "w")
        plans = (cancel_jobs([any_job], self.services.profile), retry_job(any_job, self.services.profile),
                 change_priority([any_job], 5, self.services.profile), release_lock(_ANY, "w", self.services.profile))
        return tuple(dict.fromkeys(p for plan in plans for p in plan.privileges))

    def _chosen(self, what: str) -> list[Job]:
        chosen = [job_of(r) for r in self.targets() if r.get("id") is not None]
        if not chosen:
            self.notify(f"No job here to {what}", timeout=3)
        return chosen

    def action_cancel(self) -> None:
        if self.refuse("Cancel"):
            return
        chosen = self._chosen("cancel")
        if not chosen:
            return
        left = [j for j in chosen if j.status in CANCELLABLE]
        if not left:
            self.notify("Only a pending, queued or running job can be cancelled: "
                        + ", ".join(sorted({j.status for j in chosen})) + " cannot", timeout=4, markup=False)
            return
        if len(left) < len(chosen):
            self.notify(f"{len(chosen) - len(left)} finished job(s) left out", timeout=3)
        self.propose(cancel_jobs(left, self.services.profile))

    def action_retry(self) -> None:
        if self.refuse("Retry"):
            return
        current = self.current()
        if current is None:
            self.notify("No job here to retry", timeout=3)
            return
        job = job_of(current)
        if job.status != "failed":
            self.notify(f"Only a failed job can be retried; this one is {job.status}", timeout=4, markup=False)
            return
        if job.retry_count is not None and job.max_retries is not None and job.retry_count >= job.max_retries:
            self.notify(f"Retried {job.retry_count} of {job.max_retries} times already: no retry left", timeout=4)
            return
        self._propose_retry(job)

    @work(exclusive=True, group="action-read", exit_on_error=False, description="look for the job's Bull hash")
    async def _propose_retry(self, job: Job) -> None:
        """Bull may have dropped a failed job's hash (removeOnFail): then the retry writes it whole, from the row."""
        client = self.services.redis
        fields = None
        if client is not None and not await client.exists(bull.job_key(job.id)):
            async with self.services.reader("rcmd").connection() as conn:
                row = await (await conn.execute(bull.HASH_SQL, ([job.id],))).fetchone()
            fields = bull.hash_from_row(row) if row is not None else None
        self.propose(retry_job(job, self.services.profile, fields))

    def action_priority(self) -> None:
        if self.refuse("Priority"):
            return
        chosen = self._chosen("change")
        if not chosen:
            return
        waiting = [j for j in chosen if j.status in PRIORITISED]
        if not waiting:
            self.notify("Priority orders the jobs still to run: only a pending, queued or failed (to retry) job's matters; "
                        + ", ".join(sorted({j.status for j in chosen})) + " cannot", timeout=5, markup=False)
            return
        if len(waiting) < len(chosen):
            self.notify(f"{len(chosen) - len(waiting)} running or finished job(s) left out", timeout=3)
        chosen = waiting
        bar = self.query_one(PromptBar)

        def go(text: str) -> None:
            try:
                priority = int(text.strip())
                plan = change_priority(chosen, priority, self.services.profile)
            except ValueError:
                bar.say(BadPriority(f"{text.strip()!r} is not a priority", "type a whole number from 1 (lowest) to 10"))
                return
            bar.action_close()
            self.propose(plan)

        now = sorted({str(j.priority) for j in chosen})
        bar.ask(f"New priority for {len(chosen)} job{'s' if len(chosen) > 1 else ''} (now {', '.join(now)})", "1-10", go)

    def action_release(self) -> None:
        if self.refuse("Release lock"):
            return
        current = self.current()
        if current is None:
            self.notify("No job here", timeout=3)
            return
        job = job_of(current)
        if not job.lock_token:
            self.notify("This job holds no lock:job key (shown in the Lock held by column: c chooses columns)", timeout=4)
            return
        self.propose(release_lock(job.id, job.lock_token, self.services.profile))
