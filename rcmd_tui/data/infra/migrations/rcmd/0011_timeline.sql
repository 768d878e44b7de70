-- Not in the seed: a person's timeline (:timeline) pages their sessions newest first by keyset; the seed's
-- idx_sessions_user_id has no time to range over, so each page would sort all of a user's sessions.
CREATE INDEX idx_sessions_user_created_id ON sessions(user_id, created_at DESC, id DESC);
