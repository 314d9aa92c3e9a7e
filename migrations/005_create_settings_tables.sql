-- 005_create_settings_tables.sql
-- Settings & preferences: user_settings (1:1 with users, auto-created),
-- feature_flags, api_keys.
-- Functions: create_user_settings() (auto-create trigger), is_feature_enabled().

-- api_keys.key_encrypted holds pgp_sym_encrypt() output; pgcrypto is the only
-- extension the schema needs (gen_random_uuid() is built into PostgreSQL 13+,
-- so uuid-ossp is not used). On Supabase it is already installed and this is
-- a no-op.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- ---------------------------------------------------------------------------
-- user_settings
-- ---------------------------------------------------------------------------
CREATE TABLE user_settings (
    user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,

    -- polling intervals, seconds
    polling_stock_quote INTEGER NOT NULL DEFAULT 30 CHECK (polling_stock_quote >= 5),
    polling_crypto_price INTEGER NOT NULL DEFAULT 15 CHECK (polling_crypto_price >= 5),
    polling_news INTEGER NOT NULL DEFAULT 300 CHECK (polling_news >= 30),
    polling_fear_greed INTEGER NOT NULL DEFAULT 3600 CHECK (polling_fear_greed >= 60),

    -- client cache, seconds
    cache_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    cache_stock_quote_ttl INTEGER NOT NULL DEFAULT 60 CHECK (cache_stock_quote_ttl >= 0),
    cache_news_ttl INTEGER NOT NULL DEFAULT 600 CHECK (cache_news_ttl >= 0),

    -- display
    theme VARCHAR(10) NOT NULL DEFAULT 'dark' CHECK (theme IN ('light', 'dark', 'system')),
    language VARCHAR(10) NOT NULL DEFAULT 'en',
    decimal_places INTEGER NOT NULL DEFAULT 2 CHECK (decimal_places BETWEEN 0 AND 8),
    compact_numbers BOOLEAN NOT NULL DEFAULT TRUE,

    -- features
    ai_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    ai_analysis BOOLEAN NOT NULL DEFAULT TRUE,
    demo_mode BOOLEAN NOT NULL DEFAULT FALSE,

    -- tabs
    tab_overview BOOLEAN NOT NULL DEFAULT TRUE,
    tab_heartbeat BOOLEAN NOT NULL DEFAULT TRUE,
    tab_weather BOOLEAN NOT NULL DEFAULT TRUE,
    tab_learning BOOLEAN NOT NULL DEFAULT TRUE,
    tab_social BOOLEAN NOT NULL DEFAULT TRUE,
    tab_trading BOOLEAN NOT NULL DEFAULT TRUE,

    -- notifications
    email_notifications BOOLEAN NOT NULL DEFAULT TRUE,
    push_notifications BOOLEAN NOT NULL DEFAULT FALSE,
    price_alert_notifications BOOLEAN NOT NULL DEFAULT TRUE,
    prediction_result_notifications BOOLEAN NOT NULL DEFAULT TRUE,
    weekly_digest BOOLEAN NOT NULL DEFAULT TRUE,

    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TRIGGER tr_user_settings_updated_at
    BEFORE UPDATE ON user_settings
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- feature_flags
-- ---------------------------------------------------------------------------
CREATE TABLE feature_flags (
    id VARCHAR(100) PRIMARY KEY
        CHECK (id ~ '^[a-z0-9]+([_-][a-z0-9]+)*$'),
    name VARCHAR(200) NOT NULL,
    description TEXT,
    is_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    enabled_for_roles TEXT[] NOT NULL DEFAULT '{}'
        CHECK (enabled_for_roles <@ ARRAY['admin', 'user', 'moderator']::TEXT[]),
    enabled_for_users UUID[] NOT NULL DEFAULT '{}',
    percentage_rollout INTEGER NOT NULL DEFAULT 0
        CHECK (percentage_rollout BETWEEN 0 AND 100),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TRIGGER tr_feature_flags_updated_at
    BEFORE UPDATE ON feature_flags
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- api_keys: the user's own third-party API keys, PGP-encrypted
-- ---------------------------------------------------------------------------
CREATE TABLE api_keys (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    service_name VARCHAR(50) NOT NULL,
    key_encrypted BYTEA NOT NULL,
    key_hint VARCHAR(10),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    last_used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (user_id, service_name)
);

CREATE TRIGGER tr_api_keys_updated_at
    BEFORE UPDATE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- Auto-create: users -> user_settings
-- ---------------------------------------------------------------------------
CREATE FUNCTION create_user_settings()
RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO public.user_settings (user_id)
    VALUES (NEW.id)
    ON CONFLICT (user_id) DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';

CREATE TRIGGER tr_create_user_settings
    AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION create_user_settings();

-- Users created before this migration get theirs now.
INSERT INTO user_settings (user_id)
SELECT u.id FROM users u
ON CONFLICT (user_id) DO NOTHING;

-- ---------------------------------------------------------------------------
-- Feature flag check
-- Fixes to the documented version: hashtext() is signed, so "hash % 100" was
-- negative for about half the users and the rollout enabled far more than
-- percentage_rollout percent of them; a NULL user id returned NULL.
-- ---------------------------------------------------------------------------
CREATE FUNCTION is_feature_enabled(
    p_feature_id VARCHAR(100),
    p_user_id UUID,
    p_user_role VARCHAR(20)
)
RETURNS BOOLEAN AS $$
DECLARE v_flag feature_flags%ROWTYPE;
BEGIN
    SELECT * INTO v_flag FROM feature_flags WHERE id = p_feature_id;
    IF NOT FOUND THEN RETURN FALSE; END IF;
    IF v_flag.is_enabled THEN RETURN TRUE; END IF;
    IF p_user_role = ANY(v_flag.enabled_for_roles) THEN RETURN TRUE; END IF;
    IF p_user_id = ANY(v_flag.enabled_for_users) THEN RETURN TRUE; END IF;
    IF p_user_id IS NOT NULL AND v_flag.percentage_rollout > 0 THEN
        RETURN (abs(hashtext(p_user_id::text)::BIGINT) % 100) < v_flag.percentage_rollout;
    END IF;
    RETURN FALSE;
END;
$$ LANGUAGE plpgsql STABLE;

-- ---------------------------------------------------------------------------
-- Row level security (policies: policies/)
-- ---------------------------------------------------------------------------
ALTER TABLE user_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE feature_flags ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
