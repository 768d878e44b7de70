-- Not in the seed: keyset paging of all permissions rows by (updated_at, id), the permissions list's "updated"
-- order and its since:/until: filters (the seed's indexes serve one user's rows and the active rows of a remote;
-- the list's default order, user then remote, is served by unique_user_remote).
CREATE INDEX idx_permissions_updated_id ON permissions(updated_at DESC, id DESC);
