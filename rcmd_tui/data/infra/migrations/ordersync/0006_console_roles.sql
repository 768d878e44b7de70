-- Least-privilege roles for the console tiers (not in the seed; see docs/roles.md). Shared with
-- RCMD's migrations, so creation is idempotent. support reads and records its reveals in audit_logs;
-- oncall adds pg_monitor and pg_signal_backend; admin adds the writes the console performs on
-- OrderSync (suspend/unlock users, revoke sessions, cancel orders, manage key metadata).
DO $$
DECLARE
    tier TEXT;
BEGIN
    FOREACH tier IN ARRAY ARRAY['rcmd_tui_support', 'rcmd_tui_oncall', 'rcmd_tui_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = tier) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', tier);
            EXCEPTION WHEN duplicate_object THEN
                NULL;
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

GRANT INSERT ON audit_logs TO rcmd_tui_support;

CREATE POLICY console_read_user_sessions ON user_sessions FOR SELECT TO rcmd_tui_support USING (true);
CREATE POLICY console_read_restaurants ON restaurants FOR SELECT TO rcmd_tui_support USING (true);
CREATE POLICY console_read_orders ON orders FOR SELECT TO rcmd_tui_support USING (true);
CREATE POLICY console_revoke_user_sessions ON user_sessions FOR UPDATE TO rcmd_tui_admin USING (true);
CREATE POLICY console_update_orders ON orders FOR UPDATE TO rcmd_tui_admin USING (true);

GRANT UPDATE (status, locked_until, failed_login_count, updated_at, version) ON users TO rcmd_tui_admin;
GRANT UPDATE (is_revoked) ON user_sessions TO rcmd_tui_admin;
GRANT UPDATE (status, cancelled_at, version) ON orders TO rcmd_tui_admin;
GRANT INSERT ON order_status_history TO rcmd_tui_admin;
GRANT INSERT, UPDATE (status, retired_at) ON encryption_keys TO rcmd_tui_admin;
