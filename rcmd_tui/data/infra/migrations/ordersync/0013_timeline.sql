-- Not in the seed: a person's timeline (:timeline) and the audit log's user= filter page one user's rows newest
-- first by keyset. The seed indexes user_id and email_hash alone, so each page would read and sort every row of a
-- busy user (in every audit partition); these serve the range and the order.
CREATE INDEX idx_audit_logs_user_created_id ON audit_logs(user_id, created_at DESC, id DESC);
CREATE INDEX idx_user_sessions_user_created_id ON user_sessions(user_id, created_at DESC, id DESC);
CREATE INDEX idx_login_attempts_email_created_id ON login_attempts(email_hash, created_at DESC, id DESC);
-- And the audit log's own newest-first order: with created_at indexed alone, a page whose rows share one moment
-- (a burst of trigger rows) re-reads the whole tie to sort it by id (bench/audit_bench.py found 4,343).
CREATE INDEX idx_audit_logs_created_id ON audit_logs(created_at DESC, id DESC);
