-- OrderSync: the immutable, monthly-partitioned audit log and its partition and trigger functions.

-- DEVIATION O6: the seed creates audit_logs as a plain table and then audit_logs_y2025m01 as a
-- PARTITION OF it; the table is declared PARTITION BY RANGE (created_at), and its primary key
-- becomes (id, created_at) because a partitioned table's keys must include the partition key.
-- DEVIATION O7: the CHECK on action lists nine actions, but the seed's own auto_audit_log() trigger
-- writes 'INSERT_users' and friends, its security query looks for 'UPDATE_PERMISSIONS', and the
-- console writes reveals and actions; all of them are allowed.
-- DEVIATION O8: ip_address_encrypted and ip_key_id are NOT NULL in the seed, but the trigger runs in
-- the database, which has neither the client's address nor a key; both are nullable, and a NULL
-- means "written by a database trigger".
CREATE TABLE audit_logs (
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    trace_id VARCHAR(32) NOT NULL,

    action VARCHAR(50) NOT NULL,
    resource_type VARCHAR(50) NOT NULL,
    resource_id VARCHAR(100),

    user_id UUID REFERENCES users(id),
    ip_address_encrypted TEXT,
    ip_key_id VARCHAR(100),
    user_agent_encrypted TEXT,
    ua_key_id VARCHAR(100),

    old_value_encrypted TEXT,
    old_value_key_id VARCHAR(100),
    new_value_encrypted TEXT,
    new_value_key_id VARCHAR(100),

    success BOOLEAN NOT NULL,
    error_message TEXT,
    duration_ms BIGINT,

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),

    CONSTRAINT audit_logs_pkey PRIMARY KEY (id, created_at),
    CONSTRAINT ck_audit_logs_action CHECK (
        action IN ('LOGIN', 'LOGOUT', 'CREATE_ORDER', 'ACCEPT_ORDER',
                   'CANCEL_ORDER', 'CREATE_PAYMENT', 'REFUND_PAYMENT',
                   'UPDATE_USER', 'DELETE_USER',
                   'UPDATE_PERMISSIONS',
                   'INSERT_users', 'UPDATE_users', 'DELETE_users',
                   'INSERT_payments', 'UPDATE_payments', 'DELETE_payments',
                   'REVEAL_FIELD', 'CONSOLE_ACTION', 'KEY_GENERATED', 'KEY_IMPORTED', 'KEY_EXPORTED')
    ),
    CONSTRAINT ck_audit_logs_ip_pair CHECK ((ip_address_encrypted IS NULL) = (ip_key_id IS NULL))
) PARTITION BY RANGE (created_at);

CREATE INDEX idx_audit_logs_trace_id ON audit_logs(trace_id);
CREATE INDEX idx_audit_logs_action ON audit_logs(action);
CREATE INDEX idx_audit_logs_resource ON audit_logs(resource_type, resource_id);
CREATE INDEX idx_audit_logs_user_id ON audit_logs(user_id);
CREATE INDEX idx_audit_logs_created_at ON audit_logs(created_at);
CREATE INDEX idx_audit_logs_success ON audit_logs(success) WHERE success = false;
CREATE INDEX idx_audit_logs_created_brin ON audit_logs USING BRIN (created_at);

COMMENT ON TABLE audit_logs IS '완전한 감사 추적 - 모든 중요 액션 기록 (불변)';

-- DEVIATION O9: the seed names partitions audit_logs_y2025m01 in one place and audit_logs_YYYY_MM in
-- create_audit_log_partition(); the function's naming is used everywhere. The function is
-- generalised to create every month from p_from through p_months_ahead (pg_cron is not assumed, see
-- O12) and keeps the seed's per-partition trace_id index.
CREATE OR REPLACE FUNCTION ensure_audit_partitions(
    p_from DATE DEFAULT CURRENT_DATE,
    p_months_ahead INTEGER DEFAULT 3
)
RETURNS INTEGER
SET search_path FROM CURRENT
AS $$
DECLARE
    month_start DATE := date_trunc('month', p_from)::date;
    last_start DATE := (date_trunc('month', CURRENT_DATE) + make_interval(months => p_months_ahead))::date;
    partition_name TEXT;
    created INTEGER := 0;
BEGIN
    WHILE month_start <= last_start LOOP
        partition_name := 'audit_logs_' || to_char(month_start, 'YYYY_MM');
        IF to_regclass(quote_ident(partition_name)) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF audit_logs FOR VALUES FROM (%L) TO (%L)',
                partition_name, month_start, (month_start + INTERVAL '1 month')::date
            );
            EXECUTE format(
                'CREATE INDEX IF NOT EXISTS %I ON %I(trace_id)',
                partition_name || '_trace_id_idx', partition_name
            );
            created := created + 1;
        END IF;
        month_start := (month_start + INTERVAL '1 month')::date;
    END LOOP;
    RETURN created;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION create_audit_log_partition()
RETURNS void
SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM ensure_audit_partitions((date_trunc('month', NOW()) + INTERVAL '1 month')::date, 1);
END;
$$ LANGUAGE plpgsql;

SELECT ensure_audit_partitions(CURRENT_DATE, 3);

-- DEVIATION O10: the seed's archive_old_audit_logs() exists twice; the first copy does not parse
-- (unterminated body, RETURNING * INTO a table). The second is used, with an audit_logs_archive table
-- (the seed names it but never creates it) and its variable renamed so it no longer clashes with the
-- output column of the same name.
CREATE TABLE audit_logs_archive (LIKE audit_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE audit_logs_archive ADD CONSTRAINT audit_logs_archive_pkey PRIMARY KEY (id, created_at);

CREATE OR REPLACE FUNCTION archive_old_audit_logs()
RETURNS TABLE(archived_count BIGINT)
SET search_path FROM CURRENT
AS $$
DECLARE
    moved BIGINT;
BEGIN
    WITH archived AS (
        DELETE FROM audit_logs
        WHERE created_at < NOW() - INTERVAL '6 months'
        RETURNING *
    )
    INSERT INTO audit_logs_archive
    SELECT * FROM archived;

    GET DIAGNOSTICS moved = ROW_COUNT;

    RETURN QUERY SELECT moved;
END;
$$ LANGUAGE plpgsql;

-- DEVIATION O11: the seed's auto_audit_log() writes gen_random_uuid()::text (36 characters) into the
-- 32-character trace_id, casts an empty app.current_user_id to uuid (an error), and puts row_to_json
-- plaintext into *_encrypted columns with no key id. It now writes the UUID's 32 hex digits, treats
-- an empty setting as unknown, and stores the row JSON with key id 'plain:trigger' so readers know the
-- value is not ciphertext (the row's sensitive columns are themselves still ciphertext).
CREATE OR REPLACE FUNCTION auto_audit_log()
RETURNS TRIGGER
SET search_path FROM CURRENT
AS $$
BEGIN
    INSERT INTO audit_logs (
        trace_id,
        action,
        resource_type,
        resource_id,
        user_id,
        old_value_encrypted,
        old_value_key_id,
        new_value_encrypted,
        new_value_key_id,
        success
    ) VALUES (
        replace(gen_random_uuid()::text, '-', ''),
        TG_OP || '_' || TG_TABLE_NAME,
        TG_TABLE_NAME,
        COALESCE(NEW.id::text, OLD.id::text),
        NULLIF(current_setting('app.current_user_id', true), '')::uuid,
        CASE WHEN TG_OP = 'DELETE' THEN row_to_json(OLD)::text ELSE NULL END,
        CASE WHEN TG_OP = 'DELETE' THEN 'plain:trigger' ELSE NULL END,
        CASE WHEN TG_OP != 'DELETE' THEN row_to_json(NEW)::text ELSE NULL END,
        CASE WHEN TG_OP != 'DELETE' THEN 'plain:trigger' ELSE NULL END,
        true
    );

    RETURN COALESCE(NEW, OLD);
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trigger_audit_users
    AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW
    EXECUTE FUNCTION auto_audit_log();

CREATE TRIGGER trigger_audit_payments
    AFTER INSERT OR UPDATE OR DELETE ON payments
    FOR EACH ROW
    EXECUTE FUNCTION auto_audit_log();
