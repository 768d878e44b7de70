-- RCMD: the seed's "인덱스 및 최적화" and "데이터 무결성 및 제약사항" sections.

CREATE INDEX idx_jobs_user_status_created
    ON jobs(user_id, status, created_at DESC)
    WHERE status IN ('pending', 'running');

CREATE INDEX idx_permissions_user_remote_active
    ON permissions(user_id, remote_id)
    WHERE is_active = true;

CREATE INDEX idx_users_active
    ON users(username)
    WHERE is_active = true;

-- DEVIATION R10: idx_jobs_recent's predicate (created_at > CURRENT_DATE - 7 days) is not immutable
-- and PostgreSQL rejects it; a moving window cannot be an index predicate. idx_jobs_created_at serves
-- the same "recent jobs" scans.

CREATE INDEX idx_users_username_lower
    ON users(LOWER(username));

CREATE INDEX idx_permissions_path_rules_paths
    ON permissions USING GIN((path_rules->'paths'));

CREATE INDEX idx_permissions_paths
    ON permissions USING GIN(path_rules jsonb_path_ops);

-- Not in the seed: keyset paging of all jobs by (created_at, id), the console's default order.
CREATE INDEX idx_jobs_created_id ON jobs(created_at DESC, id DESC);

ALTER TABLE users
    ADD CONSTRAINT check_email_format
    CHECK (email ~* '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$');

ALTER TABLE jobs
    ADD CONSTRAINT check_job_dates
    CHECK (
        (started_at IS NULL OR started_at >= created_at) AND
        (completed_at IS NULL OR completed_at >= started_at)
    );

ALTER TABLE permissions
    ADD CONSTRAINT unique_user_remote_permission
    UNIQUE (user_id, remote_id);
