-- 001_create_core_tables.sql
-- Core user system: users, user_profiles, sessions.
--
-- Also creates the helpers every later migration relies on:
--   update_updated_at()   BEFORE UPDATE trigger function that bumps updated_at
--   calculate_level(xp)   level from XP
--   app_user_role()       role of the signed-in user (auth.uid()), for policies
--   is_admin()            true when the signed-in user is an active admin
-- and the auto-create trigger users -> user_profiles.
--
-- The other auto-create triggers on users live in the migration that creates
-- their target table (004: portfolio + watchlist, 005: settings, 006: stats),
-- so a user inserted between two migrations never hits a missing table.
-- RLS is enabled here; the policies live in policies/.

-- ---------------------------------------------------------------------------
-- Shared functions
-- ---------------------------------------------------------------------------
CREATE FUNCTION update_updated_at()
RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = NOW();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

-- Level from XP: 0-99 XP = level 1, 100-399 = 2, 400-899 = 3, ...
-- (the documented version raised "cannot take square root of a negative
-- number" for negative XP and returned NULL for NULL XP)
CREATE FUNCTION calculate_level(xp INTEGER)
RETURNS INTEGER AS $$
BEGIN
    RETURN GREATEST(1, FLOOR(SQRT(GREATEST(COALESCE(xp, 0), 0) / 100.0))::INTEGER + 1);
END;
$$ LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE;

-- ---------------------------------------------------------------------------
-- users
-- ---------------------------------------------------------------------------
-- id is the Supabase auth user id (auth.uid()); the application inserts the
-- row at sign-up with the id GoTrue issued.
CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(255) NOT NULL UNIQUE,
    role VARCHAR(20) NOT NULL DEFAULT 'user'
        CHECK (role IN ('admin', 'user', 'moderator')),
    display_name VARCHAR(100),
    avatar_url TEXT,
    avatar_emoji VARCHAR(10) DEFAULT '👤',
    bio TEXT,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    is_verified BOOLEAN NOT NULL DEFAULT FALSE,
    last_login_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- email is already indexed by its UNIQUE constraint (users_email_key)
CREATE INDEX idx_users_role ON users (role);
CREATE INDEX idx_users_created_at ON users (created_at);
CREATE INDEX idx_users_is_active ON users (is_active) WHERE is_active = FALSE;

CREATE TRIGGER tr_users_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- Policy helpers. SECURITY DEFINER so that a policy on users (or any table)
-- can look the caller up in users without recursing into users' own policies.
-- ---------------------------------------------------------------------------
CREATE FUNCTION app_user_role()
RETURNS VARCHAR AS $$
    SELECT u.role FROM public.users u WHERE u.id = (SELECT auth.uid());
$$ LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '';

CREATE FUNCTION is_admin()
RETURNS BOOLEAN AS $$
    SELECT EXISTS (
        SELECT 1 FROM public.users u
        WHERE u.id = (SELECT auth.uid())
          AND u.role = 'admin'
          AND u.is_active
    );
$$ LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '';

-- ---------------------------------------------------------------------------
-- user_profiles
-- ---------------------------------------------------------------------------
CREATE TABLE user_profiles (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    level INTEGER NOT NULL DEFAULT 1 CHECK (level >= 1),
    total_xp INTEGER NOT NULL DEFAULT 0 CHECK (total_xp >= 0),
    current_streak INTEGER NOT NULL DEFAULT 0 CHECK (current_streak >= 0),
    longest_streak INTEGER NOT NULL DEFAULT 0 CHECK (longest_streak >= 0),
    streak_last_date DATE,
    title VARCHAR(100) DEFAULT 'Newcomer',
    timezone VARCHAR(50) DEFAULT 'UTC',
    country_code VARCHAR(3),
    trading_experience VARCHAR(50) DEFAULT 'beginner'
        CHECK (trading_experience IN ('beginner', 'intermediate', 'advanced', 'expert')),
    risk_tolerance VARCHAR(20) DEFAULT 'moderate'
        CHECK (risk_tolerance IN ('conservative', 'moderate', 'aggressive')),
    preferred_assets TEXT[],
    onboarding_completed BOOLEAN NOT NULL DEFAULT FALSE,
    onboarding_step INTEGER NOT NULL DEFAULT 0 CHECK (onboarding_step >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE(user_id)
);

CREATE INDEX idx_user_profiles_total_xp ON user_profiles (total_xp DESC);

CREATE TRIGGER tr_user_profiles_updated_at
    BEFORE UPDATE ON user_profiles
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- sessions
-- ---------------------------------------------------------------------------
CREATE TABLE sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash VARCHAR(255) NOT NULL,
    user_agent TEXT,
    ip_address INET,
    device_type VARCHAR(50),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    expires_at TIMESTAMPTZ NOT NULL,
    last_activity_at TIMESTAMPTZ DEFAULT NOW(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash),
    CONSTRAINT sessions_expires_after_created CHECK (expires_at > created_at)
);

CREATE INDEX idx_sessions_user_id ON sessions (user_id);
CREATE INDEX idx_sessions_active_expires ON sessions (user_id, expires_at) WHERE is_active;

-- ---------------------------------------------------------------------------
-- Auto-create: users -> user_profiles
-- SECURITY DEFINER: a user signing up through the API (RLS applies to them)
-- must still get a profile, which they are not allowed to insert themselves.
-- ---------------------------------------------------------------------------
CREATE FUNCTION create_user_profile()
RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO public.user_profiles (user_id)
    VALUES (NEW.id)
    ON CONFLICT (user_id) DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';

CREATE TRIGGER tr_create_user_profile
    AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION create_user_profile();

-- ---------------------------------------------------------------------------
-- Row level security (policies: policies/)
-- ---------------------------------------------------------------------------
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
