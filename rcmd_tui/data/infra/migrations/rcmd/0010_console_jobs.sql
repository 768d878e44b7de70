-- Not in the seed: what the jobs, queue and schedules screens need (issue 14).

-- Keyset paging of jobs under the list's filters (status, type, user), newest first, as fast deep as at the top:
-- each filter column leads an index that ends in the list's order (created_at, id).
CREATE INDEX idx_jobs_status_created_id ON jobs(status, created_at DESC, id DESC);
CREATE INDEX idx_jobs_type_created_id ON jobs(type, created_at DESC, id DESC);
CREATE INDEX idx_jobs_user_created_id ON jobs(user_id, created_at DESC, id DESC);
-- A job's log, in order, for its detail (and the lines after the last one shown, while it runs).
CREATE INDEX idx_job_logs_job_id_id ON job_logs(job_id, id);

-- The admin tier's job actions: change priority, retry (which clears the last run's start), and a schedule's
-- "run now", which inserts a job from the template and records the run on the rule.
GRANT UPDATE (priority, started_at) ON jobs TO rcmd_tui_admin;
GRANT INSERT ON jobs TO rcmd_tui_admin;
GRANT UPDATE (last_run_at) ON schedule_rules TO rcmd_tui_admin;

-- The schedules list's orderings (by name, newest first), keyset-paged like every list.
CREATE INDEX idx_schedule_rules_name_id ON schedule_rules(name, id);
CREATE INDEX idx_schedule_rules_created_id ON schedule_rules(created_at DESC, id DESC);
