-- Not in the seed: what the orders screen needs (issue 15).

-- Keyset paging of orders under the list's filters (customer, restaurant, status), newest first, as fast deep as
-- at the top: each filter column leads an index that ends in the list's order (created_at, id).
CREATE INDEX idx_orders_customer_created_id ON orders(customer_id, created_at DESC, id DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX idx_orders_restaurant_created_id ON orders(restaurant_id, created_at DESC, id DESC);
CREATE INDEX idx_orders_status_created_id ON orders(status, created_at DESC, id DESC);
-- An order's status history in order, for its timeline (idx_order_history_order_id has no time to sort by).
CREATE INDEX idx_order_history_order_created ON order_status_history(order_id, created_at);

-- DEVIATION O19: the seed's expire_anonymous_orders() sets status alone: no cancelled_at, no version bump and no
-- status-history row, so an expired order looks cancelled by nobody, at no time, and an application holding the
-- old version overwrites the expiry. It now does all three (history reason 'anonymous order expired') and returns
-- how many orders it expired, which the console's "expire now" reports and audits.
DROP FUNCTION IF EXISTS expire_anonymous_orders();
CREATE FUNCTION expire_anonymous_orders()
RETURNS INTEGER
SET search_path FROM CURRENT
AS $$
DECLARE
    expired INTEGER;
BEGIN
    WITH due AS (
        SELECT id, status FROM orders
        WHERE customer_id IS NULL
          AND anonymous_expires_at < NOW()
          AND status NOT IN ('COMPLETED', 'CANCELLED')
        FOR UPDATE
    ), gone AS (
        UPDATE orders o
        SET status = 'CANCELLED', cancelled_at = NOW(), version = o.version + 1
        FROM due
        WHERE o.id = due.id
        RETURNING o.id, due.status AS old_status
    ), history AS (
        INSERT INTO order_status_history (order_id, old_status, new_status, reason)
        SELECT id, old_status, 'CANCELLED', 'anonymous order expired' FROM gone
    )
    SELECT count(*) INTO expired FROM gone;
    RETURN expired;
END;
$$ LANGUAGE plpgsql;

-- The anonymous orders the expiry will touch, found without reading every order.
CREATE INDEX idx_orders_anonymous_expiry ON orders(anonymous_expires_at)
    WHERE customer_id IS NULL AND status NOT IN ('COMPLETED', 'CANCELLED');
