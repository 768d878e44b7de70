-- OrderSync: restaurants, menus, orders, order_status_history (seed sections 3 and 4).

CREATE TABLE restaurants (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id UUID NOT NULL REFERENCES users(id),

    name_encrypted TEXT NOT NULL,
    name_key_id VARCHAR(100) NOT NULL,
    address_encrypted TEXT NOT NULL,
    address_key_id VARCHAR(100) NOT NULL,
    phone_encrypted TEXT NOT NULL,
    phone_key_id VARCHAR(100) NOT NULL,
    business_number_encrypted TEXT,
    business_number_key_id VARCHAR(100),

    name_search TEXT,
    category VARCHAR(50),

    status VARCHAR(15) NOT NULL DEFAULT 'ACTIVE',
    business_hours JSONB,
    settings JSONB DEFAULT '{}',

    latitude DECIMAL(10, 8),
    longitude DECIMAL(11, 8),

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    version BIGINT NOT NULL DEFAULT 1,

    CONSTRAINT ck_restaurants_status CHECK (status IN ('ACTIVE', 'SUSPENDED', 'CLOSED', 'DELETED'))
);

CREATE INDEX idx_restaurants_owner_id ON restaurants(owner_id);
CREATE INDEX idx_restaurants_status ON restaurants(status) WHERE status = 'ACTIVE';
CREATE INDEX idx_restaurants_category ON restaurants(category);
CREATE INDEX idx_restaurants_location ON restaurants USING GIST (point(longitude, latitude));
-- DEVIATION O2: stock PostgreSQL has no 'korean' text-search configuration; 'simple' (no stemming,
-- lower-casing only) indexes Korean words as whole tokens. Swap in a Korean parser where installed.
CREATE INDEX idx_restaurants_name_search ON restaurants USING GIN (to_tsvector('simple', name_search));

COMMENT ON COLUMN restaurants.name_search IS '검색용 평문 (선택적) - 암호화된 name과 동기화';

CREATE TABLE menus (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    restaurant_id UUID NOT NULL REFERENCES restaurants(id) ON DELETE CASCADE,

    name_encrypted TEXT NOT NULL,
    name_key_id VARCHAR(100) NOT NULL,
    description_encrypted TEXT,
    description_key_id VARCHAR(100),

    price BIGINT NOT NULL,
    discount_rate INTEGER DEFAULT 0,

    category VARCHAR(50) NOT NULL,
    tags TEXT[],
    options JSONB,

    is_available BOOLEAN DEFAULT TRUE,
    daily_limit INTEGER,
    sold_count INTEGER DEFAULT 0,

    image_url TEXT,
    sort_order INTEGER DEFAULT 0,

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    version BIGINT NOT NULL DEFAULT 1
);

CREATE INDEX idx_menus_restaurant_id ON menus(restaurant_id);
CREATE INDEX idx_menus_category ON menus(category);
CREATE INDEX idx_menus_available ON menus(is_available) WHERE is_available = true;
CREATE INDEX idx_menus_restaurant_category ON menus(restaurant_id, category, sort_order);

COMMENT ON COLUMN menus.daily_limit IS '일일 판매 한도 (NULL이면 무제한)';
COMMENT ON COLUMN menus.sold_count IS '매일 자정 초기화';

-- DEVIATION O3: the seed's statistics table marks orders and payments as partitioned monthly, but
-- their DDL is not partitioned and other tables hold foreign keys to orders(id) and payments(id),
-- which a partitioned table could only offer on (id, created_at). Both stay plain tables.
CREATE TABLE orders (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    restaurant_id UUID NOT NULL REFERENCES restaurants(id),
    customer_id UUID REFERENCES users(id),

    table_info_encrypted TEXT,
    table_key_id VARCHAR(100),
    items_encrypted TEXT NOT NULL,
    items_key_id VARCHAR(100) NOT NULL,
    special_requests_encrypted TEXT,
    special_requests_key_id VARCHAR(100),

    subtotal BIGINT NOT NULL,
    discount_amount BIGINT DEFAULT 0,
    tax_amount BIGINT DEFAULT 0,
    total_amount BIGINT NOT NULL,

    status VARCHAR(15) NOT NULL DEFAULT 'PENDING',
    estimated_time INTEGER,

    anonymous_token VARCHAR(128),
    anonymous_expires_at TIMESTAMPTZ,

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    accepted_at TIMESTAMPTZ,
    preparing_at TIMESTAMPTZ,
    ready_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    cancelled_at TIMESTAMPTZ,

    version BIGINT NOT NULL DEFAULT 1,

    CONSTRAINT ck_orders_status CHECK (
        status IN ('PENDING', 'ACCEPTED', 'PREPARING', 'READY', 'COMPLETED', 'CANCELLED')
    ),
    CONSTRAINT ck_orders_amounts CHECK (total_amount = subtotal - discount_amount + tax_amount)
);

CREATE INDEX idx_orders_restaurant_status ON orders(restaurant_id, status, created_at DESC);
CREATE INDEX idx_orders_customer_id ON orders(customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX idx_orders_anonymous_token ON orders(anonymous_token) WHERE anonymous_token IS NOT NULL;
CREATE INDEX idx_orders_created_at ON orders(created_at DESC);
CREATE INDEX idx_orders_status_pending ON orders(status, created_at) WHERE status = 'PENDING';
CREATE INDEX idx_orders_active
    ON orders(restaurant_id, created_at DESC)
    WHERE status IN ('PENDING', 'ACCEPTED', 'PREPARING');

COMMENT ON COLUMN orders.anonymous_token IS 'UUID + HMAC - 익명 주문 추적용';
COMMENT ON COLUMN orders.anonymous_expires_at IS '익명 주문 24시간 후 자동 만료';

CREATE TABLE order_status_history (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id UUID NOT NULL REFERENCES orders(id) ON DELETE CASCADE,

    old_status VARCHAR(15),
    new_status VARCHAR(15) NOT NULL,
    changed_by UUID REFERENCES users(id),
    reason TEXT,
    message TEXT,

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_order_history_order_id ON order_status_history(order_id);
CREATE INDEX idx_order_history_created_at ON order_status_history(created_at);

COMMENT ON TABLE order_status_history IS '주문 상태 변경 이력 - 감사 목적';

-- DEVIATION O4: the seed's sync_restaurant_search_fields() overwrites name_search with the literal
-- 'DECRYPTED_NAME' on every insert and name change, destroying the search column. The database
-- cannot decrypt, so the application supplies name_search; the trigger now only clears a
-- name_search that a name change left stale, so search never returns an old name.
CREATE OR REPLACE FUNCTION sync_restaurant_search_fields()
RETURNS TRIGGER
SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.name_encrypted IS DISTINCT FROM OLD.name_encrypted
       AND NEW.name_search IS NOT DISTINCT FROM OLD.name_search THEN
        NEW.name_search := NULL;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trigger_sync_restaurant_search
    BEFORE INSERT OR UPDATE ON restaurants
    FOR EACH ROW
    EXECUTE FUNCTION sync_restaurant_search_fields();
