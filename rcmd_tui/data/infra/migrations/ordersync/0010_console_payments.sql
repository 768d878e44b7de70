-- Not in the seed: what the payments list and the "refresh the payment state view" action need (issue 15).

-- Keyset paging of payments, newest first (idx_payments_created_at has no id to break ties with), and under the
-- list's method and status filters (the seed's idx_payments_status and idx_payments_method_status end without the
-- list's order, so a filtered page would sort every matching payment).
CREATE INDEX idx_payments_created_id ON payments(created_at DESC, id DESC);
CREATE INDEX idx_payments_status_created_id ON payments(status, created_at DESC, id DESC);
CREATE INDEX idx_payments_method_created_id ON payments(payment_method, created_at DESC, id DESC);

-- REFRESH MATERIALIZED VIEW is its owner's alone: no GRANT lets another role run it. The admin tier refreshes
-- payment_current_state through this function, which runs as the view's owner (SECURITY DEFINER) and does that
-- one thing. CONCURRENTLY: readers of the view are not blocked while it is rebuilt (idx_payment_state_payment_id
-- is the unique index it needs). Its search_path is the schema, then pg_temp last (not FROM CURRENT, which adds
-- public and leaves pg_temp first): a function running with its owner's rights must not find another role's
-- objects first (the PostgreSQL manual, "Writing SECURITY DEFINER Functions Safely").
DO $$
BEGIN
    EXECUTE format($create$
        CREATE FUNCTION console_refresh_payment_state()
        RETURNS void
        LANGUAGE plpgsql
        SECURITY DEFINER
        SET search_path = %I, pg_temp
        AS $body$
        BEGIN
            REFRESH MATERIALIZED VIEW CONCURRENTLY payment_current_state;
        END;
        $body$
    $create$, current_schema());
END;
$$;

REVOKE ALL ON FUNCTION console_refresh_payment_state() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION console_refresh_payment_state() TO rcmd_tui_admin;
