-- OrderSync: payments, payment_events, payment_refunds, notifications, security metrics, rate
-- limits (seed sections 5, 6, 7).

CREATE TABLE payments (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id UUID NOT NULL REFERENCES orders(id),

    amount BIGINT NOT NULL,
    fee BIGINT DEFAULT 0,
    net_amount BIGINT NOT NULL,

    payment_method VARCHAR(20) NOT NULL,
    external_id_encrypted TEXT NOT NULL,
    external_key_id VARCHAR(100) NOT NULL,
    card_info_encrypted TEXT,
    card_info_key_id VARCHAR(100),

    status VARCHAR(15) NOT NULL DEFAULT 'PENDING',

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    authorized_at TIMESTAMPTZ,
    captured_at TIMESTAMPTZ,
    failed_at TIMESTAMPTZ,

    version BIGINT NOT NULL DEFAULT 1,

    CONSTRAINT uk_payments_order_id UNIQUE(order_id),
    CONSTRAINT ck_payments_method CHECK (
        payment_method IN ('CARD', 'KAKAOPAY', 'TOSSPAY', 'BANK', 'CASH')
    ),
    CONSTRAINT ck_payments_status CHECK (
        status IN ('PENDING', 'AUTHORIZED', 'CAPTURED', 'FAILED', 'CANCELLED')
    ),
    CONSTRAINT ck_payments_amounts CHECK (net_amount = amount - fee)
);

CREATE INDEX idx_payments_status ON payments(status);
CREATE INDEX idx_payments_created_at ON payments(created_at);
CREATE INDEX idx_payments_method_status ON payments(payment_method, status);

CREATE TABLE payment_events (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    payment_id UUID NOT NULL REFERENCES payments(id),

    event_type VARCHAR(20) NOT NULL,
    amount BIGINT NOT NULL,

    event_data_encrypted TEXT,
    event_data_key_id VARCHAR(100),

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),

    CONSTRAINT ck_payment_events_type CHECK (
        event_type IN ('AUTHORIZED', 'CAPTURED', 'REFUNDED', 'CANCELLED')
    )
);

CREATE INDEX idx_payment_events_payment_id ON payment_events(payment_id, created_at);

-- DEVIATION O5: the seed's view computes (captured_amount - refunded_amount) in the same SELECT
-- that defines those aliases, which PostgreSQL rejects; the sums move into a subquery.
CREATE MATERIALIZED VIEW payment_current_state AS
SELECT
    payment_id,
    captured_amount,
    refunded_amount,
    (captured_amount - refunded_amount) AS net_amount
FROM (
    SELECT
        payment_id,
        SUM(CASE WHEN event_type = 'CAPTURED' THEN amount ELSE 0 END) AS captured_amount,
        SUM(CASE WHEN event_type = 'REFUNDED' THEN amount ELSE 0 END) AS refunded_amount
    FROM payment_events
    GROUP BY payment_id
) AS sums;

CREATE UNIQUE INDEX idx_payment_state_payment_id ON payment_current_state(payment_id);

COMMENT ON TABLE payment_events IS 'Event Sourcing - 부분 환불 지원';

CREATE TABLE payment_refunds (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    payment_id UUID NOT NULL REFERENCES payments(id),

    amount BIGINT NOT NULL,
    reason_encrypted TEXT,
    reason_key_id VARCHAR(100),

    external_refund_id_encrypted TEXT,
    external_refund_key_id VARCHAR(100),

    status VARCHAR(15) NOT NULL DEFAULT 'PENDING',

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    processed_at TIMESTAMPTZ,

    CONSTRAINT ck_refunds_status CHECK (status IN ('PENDING', 'PROCESSED', 'FAILED'))
);

CREATE INDEX idx_refunds_payment_id ON payment_refunds(payment_id);
CREATE INDEX idx_refunds_status ON payment_refunds(status);

CREATE TABLE notification_templates (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(100) NOT NULL UNIQUE,
    type VARCHAR(20) NOT NULL,

    title_template_encrypted TEXT NOT NULL,
    title_key_id VARCHAR(100) NOT NULL,
    content_template_encrypted TEXT NOT NULL,
    content_key_id VARCHAR(100) NOT NULL,

    variables JSONB DEFAULT '[]',
    is_active BOOLEAN DEFAULT TRUE,

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),

    CONSTRAINT ck_notification_templates_type CHECK (
        type IN ('EMAIL', 'SMS', 'PUSH', 'WEBSOCKET')
    )
);

CREATE INDEX idx_notification_templates_type ON notification_templates(type, is_active);

-- DEVIATION O3b: notification_logs is marked partitioned in the seed's statistics table but its
-- DDL is not; it stays a plain table (nothing needs its partitions yet).
CREATE TABLE notification_logs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    template_id UUID REFERENCES notification_templates(id),
    recipient_id UUID REFERENCES users(id),

    recipient_info_encrypted TEXT NOT NULL,
    recipient_key_id VARCHAR(100) NOT NULL,

    type VARCHAR(20) NOT NULL,
    status VARCHAR(15) NOT NULL DEFAULT 'PENDING',

    content_encrypted TEXT NOT NULL,
    content_key_id VARCHAR(100) NOT NULL,

    sent_at TIMESTAMPTZ,
    delivered_at TIMESTAMPTZ,
    error_message TEXT,

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),

    CONSTRAINT ck_notification_logs_type CHECK (
        type IN ('EMAIL', 'SMS', 'PUSH', 'WEBSOCKET')
    ),
    CONSTRAINT ck_notification_logs_status CHECK (
        status IN ('PENDING', 'SENT', 'DELIVERED', 'FAILED')
    )
);

CREATE INDEX idx_notification_logs_recipient ON notification_logs(recipient_id);
CREATE INDEX idx_notification_logs_status ON notification_logs(status);
CREATE INDEX idx_notification_logs_created_at ON notification_logs(created_at);

CREATE TABLE security_metrics (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    metric_type VARCHAR(50) NOT NULL,
    value DECIMAL(15, 4) NOT NULL,
    labels JSONB DEFAULT '{}',
    threat_level VARCHAR(10) NOT NULL DEFAULT 'LOW',
    is_anomaly BOOLEAN DEFAULT FALSE,
    description TEXT,

    timestamp TIMESTAMPTZ NOT NULL DEFAULT NOW(),

    CONSTRAINT ck_security_metrics_threat CHECK (
        threat_level IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')
    )
);

CREATE INDEX idx_security_metrics_type ON security_metrics(metric_type);
CREATE INDEX idx_security_metrics_timestamp ON security_metrics(timestamp);
CREATE INDEX idx_security_metrics_threat ON security_metrics(threat_level)
    WHERE threat_level IN ('HIGH', 'CRITICAL');
CREATE INDEX idx_security_metrics_anomaly ON security_metrics(is_anomaly) WHERE is_anomaly = true;

CREATE TABLE api_rate_limits (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    identifier VARCHAR(100) NOT NULL,
    identifier_type VARCHAR(20) NOT NULL,
    endpoint VARCHAR(200),

    request_count INTEGER NOT NULL DEFAULT 0,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),

    CONSTRAINT ck_rate_limits_type CHECK (
        identifier_type IN ('IP', 'USER', 'GLOBAL')
    )
);

CREATE UNIQUE INDEX idx_rate_limits_identifier ON api_rate_limits(
    identifier, identifier_type, endpoint, window_start
);
CREATE INDEX idx_rate_limits_window_end ON api_rate_limits(window_end);

COMMENT ON TABLE api_rate_limits IS 'Redis 장애 시 PostgreSQL Fallback';
