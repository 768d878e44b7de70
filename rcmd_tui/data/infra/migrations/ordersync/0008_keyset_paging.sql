-- Not in the seed: keyset paging, newest first, of the lists that order by (created_at, id): sessions first.
CREATE INDEX idx_user_sessions_created_id ON user_sessions(created_at DESC, id DESC);
-- Likewise for login attempts, newest first (the seed indexes created_at alone, which keyset paging cannot tie-break).
CREATE INDEX idx_login_attempts_created_id ON login_attempts(created_at DESC, id DESC);
-- And orders, newest first (idx_orders_created_at has no id to break ties with).
CREATE INDEX idx_orders_created_id ON orders(created_at DESC, id DESC);
