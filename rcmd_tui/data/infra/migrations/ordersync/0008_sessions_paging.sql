-- Not in the seed: keyset paging of all sessions by (created_at, id), the sessions list's default order.
CREATE INDEX idx_user_sessions_created_id ON user_sessions(created_at DESC, id DESC);
