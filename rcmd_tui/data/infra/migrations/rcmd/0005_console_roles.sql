-- Least-privilege roles for the console tiers (not in the seed; see docs/roles.md).
-- Roles are cluster-wide and shared with OrderSync's migrations, so creation is idempotent.
-- support: read. oncall: support + pg_monitor + pg_signal_backend. admin: oncall + the writes the
-- console performs on RCMD (revoke sessions, edit permissions, cancel/retry jobs, pause schedules,
-- (de)activate users), each written to audit_logs.
DO $$
DECLARE
    tier TEXT;
BEGIN
    FOREACH tier IN ARRAY ARRAY['rcmd_tui_support', 'rcmd_tui_oncall', 'rcmd_tui_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = tier) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', tier);
            EXCEPTION WHEN duplicate_object THEN
                NULL;  -- created concurrently by another database's migration
            END;
        END IF;
    END LOOP;
END;
$$;

GRANT rcmd_tui_support TO rcmd_tui_oncall;
GRANT rcmd_tui_oncall TO rcmd_tui_admin;
GRANT pg_monitor TO rcmd_tui_oncall;
GRANT pg_signal_backend TO rcmd_tui_oncall;

DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO rcmd_tui_support', current_schema());
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO rcmd_tui_support', current_schema());
END;
$$;

GRANT UPDATE (is_active, updated_at) ON users TO rcmd_tui_admin;
GRANT UPDATE (is_active, last_activity_at) ON sessions TO rcmd_tui_admin;
GRANT INSERT, UPDATE, DELETE ON permissions TO rcmd_tui_admin;
GRANT UPDATE (status, progress, error, retry_count, cancelled_at, completed_at, scheduled_for) ON jobs TO rcmd_tui_admin;
GRANT UPDATE (is_active, next_run_at, updated_at) ON schedule_rules TO rcmd_tui_admin;
GRANT INSERT ON audit_logs TO rcmd_tui_admin;
GRANT USAGE ON SEQUENCE audit_logs_id_seq TO rcmd_tui_admin;
