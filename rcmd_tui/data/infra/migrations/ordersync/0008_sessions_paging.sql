-- Not in the seed: keyset paging of all sessions by (created_at, id), the sessions list's default order.
CREATE INDEX idx_user_sessions_created_id ON user_sessions(created_at DESC, id DESC);
-- Likewise for login attempts, newest first (the seed indexes created_at alone, which keyset paging cannot tie-break).
CREATE INDEX idx_login_attempts_created_id ON login_attempts(created_at DESC, id DESC);
