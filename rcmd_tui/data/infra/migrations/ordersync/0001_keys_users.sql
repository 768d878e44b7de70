-- OrderSync: encryption_keys, users, user_sessions, login_attempts (seed sections 1 and 2).
-- Runs with search_path set to the OrderSync schema; functions pin it with SET search_path FROM CURRENT.

CREATE TABLE encryption_keys (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    key_type VARCHAR(20) NOT NULL,        -- 'pii', 'payment', 'business'
    key_id VARCHAR(100) NOT NULL,         -- KMS key identifier
    algorithm VARCHAR(20) NOT NULL DEFAULT 'AES-256-GCM',
    status VARCHAR(10) NOT NULL DEFAULT 'ACTIVE',

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    retired_at TIMESTAMPTZ,
    version INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT uk_encryption_keys_type_version UNIQUE(key_type, version),
    CONSTRAINT ck_encryption_keys_status CHECK (status IN ('ACTIVE', 'ROTATING', 'RETIRED'))
);

CREATE INDEX idx_encryption_keys_type_status ON encryption_keys(key_type, status);
CREATE INDEX idx_encryption_keys_created_at ON encryption_keys(created_at);
-- Not in the seed: the console resolves a column's key_id to its metadata row.
CREATE UNIQUE INDEX uk_encryption_keys_key_id ON encryption_keys(key_id);

COMMENT ON TABLE encryption_keys IS '암호화 키 메타데이터 (실제 키는 KMS에 저장)';
COMMENT ON COLUMN encryption_keys.key_type IS 'pii: 개인정보, payment: 결제정보, business: 사업자정보';

-- DEVIATION O1: the seed creates audit_logs (which references users) before users; users comes first.
CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),

    email_encrypted TEXT NOT NULL,
    email_key_id VARCHAR(100) NOT NULL,
    phone_encrypted TEXT,
    phone_key_id VARCHAR(100),
    name_encrypted TEXT,
    name_key_id VARCHAR(100),

    email_hash VARCHAR(64) NOT NULL,      -- SHA-256(email) - 로그인 검색용

    password_hash_encrypted TEXT NOT NULL,
    password_key_id VARCHAR(100) NOT NULL,
    salt VARCHAR(64) NOT NULL,

    role VARCHAR(20) NOT NULL DEFAULT 'CUSTOMER',
    permissions JSONB DEFAULT '[]',
    status VARCHAR(10) NOT NULL DEFAULT 'ACTIVE',

    last_login_at TIMESTAMPTZ,
    password_changed_at TIMESTAMPTZ DEFAULT NOW(),
    failed_login_count INTEGER DEFAULT 0,
    locked_until TIMESTAMPTZ,

    two_factor_enabled BOOLEAN DEFAULT FALSE,
    two_factor_secret_encrypted TEXT,
    two_factor_secret_key_id VARCHAR(100),

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    version BIGINT NOT NULL DEFAULT 1,

    CONSTRAINT uk_users_email_hash UNIQUE(email_hash),
    CONSTRAINT ck_users_role CHECK (role IN ('CUSTOMER', 'RESTAURANT_OWNER', 'STAFF', 'ADMIN')),
    CONSTRAINT ck_users_status CHECK (status IN ('ACTIVE', 'SUSPENDED', 'DELETED'))
);

CREATE INDEX idx_users_email_hash ON users(email_hash);
CREATE INDEX idx_users_status_role ON users(status, role);
CREATE INDEX idx_users_created_at ON users(created_at);

COMMENT ON COLUMN users.email_hash IS 'SHA-256 해시 - 로그인 시 빠른 검색용';
COMMENT ON COLUMN users.failed_login_count IS '5회 초과 시 계정 잠금';

CREATE TABLE user_sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,

    access_token_hash VARCHAR(128) NOT NULL,
    refresh_token_hash VARCHAR(128),

    ip_address_encrypted TEXT NOT NULL,
    ip_key_id VARCHAR(100) NOT NULL,
    user_agent_encrypted TEXT,
    ua_key_id VARCHAR(100),
    device_info_encrypted TEXT,
    device_key_id VARCHAR(100),

    expires_at TIMESTAMPTZ NOT NULL,
    refresh_expires_at TIMESTAMPTZ,
    last_activity_at TIMESTAMPTZ DEFAULT NOW(),
    is_revoked BOOLEAN DEFAULT FALSE,

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE UNIQUE INDEX idx_sessions_access_token ON user_sessions(access_token_hash);
CREATE UNIQUE INDEX idx_sessions_refresh_token ON user_sessions(refresh_token_hash);
CREATE INDEX idx_sessions_user_id ON user_sessions(user_id);
CREATE INDEX idx_sessions_expires_at ON user_sessions(expires_at);
CREATE INDEX idx_sessions_is_revoked ON user_sessions(is_revoked) WHERE is_revoked = false;

COMMENT ON TABLE user_sessions IS 'JWT 토큰 세션 관리 (Stateless + DB 검증)';

CREATE TABLE login_attempts (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email_hash VARCHAR(64) NOT NULL,

    ip_address_encrypted TEXT NOT NULL,
    ip_key_id VARCHAR(100) NOT NULL,
    user_agent_encrypted TEXT,
    ua_key_id VARCHAR(100),

    success BOOLEAN NOT NULL,
    failure_reason VARCHAR(50),           -- 'INVALID_PASSWORD', 'ACCOUNT_LOCKED'

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_login_attempts_email_hash ON login_attempts(email_hash);
CREATE INDEX idx_login_attempts_created_at ON login_attempts(created_at);
CREATE INDEX idx_login_attempts_success ON login_attempts(success) WHERE success = false;

COMMENT ON TABLE login_attempts IS '로그인 시도 추적 - 브루트포스 공격 탐지';
