-- Not in the seed: keyset paging of all sessions by (created_at, id), the sessions list's default order
-- (the seed's indexes serve a user's sessions and the active ones by expiry, not the whole table newest first).
CREATE INDEX idx_sessions_created_id ON sessions(created_at DESC, id DESC);
