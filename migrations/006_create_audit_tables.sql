-- 006_create_audit_tables.sql
-- Audit & analytics: audit_logs, user_activity, user_stats (1:1 with users,
-- auto-created), engagement_metrics, leaderboard_snapshots.
-- Function: create_user_stats() (auto-create trigger).

-- ---------------------------------------------------------------------------
-- audit_logs: append-only, high volume -> bigint identity key, BRIN on time
-- ---------------------------------------------------------------------------
CREATE TABLE audit_logs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id UUID REFERENCES users(id) ON DELETE SET NULL,
    action VARCHAR(100) NOT NULL,
    resource_type VARCHAR(100),
    resource_id VARCHAR(255),
    details JSONB NOT NULL DEFAULT '{}',
    ip_address INET,
    user_agent TEXT,
    duration_ms INTEGER CHECK (duration_ms >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_audit_logs_user_id ON audit_logs (user_id, created_at DESC);
CREATE INDEX idx_audit_logs_resource ON audit_logs (resource_type, resource_id);
CREATE INDEX idx_audit_logs_created_at ON audit_logs USING BRIN (created_at);
CREATE INDEX idx_audit_logs_details ON audit_logs USING GIN (details jsonb_path_ops);

-- ---------------------------------------------------------------------------
-- user_activity: one row per user and day
-- ---------------------------------------------------------------------------
CREATE TABLE user_activity (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    activity_date DATE NOT NULL DEFAULT CURRENT_DATE,
    sessions_count INTEGER NOT NULL DEFAULT 0 CHECK (sessions_count >= 0),
    total_time_seconds INTEGER NOT NULL DEFAULT 0 CHECK (total_time_seconds >= 0),
    challenges_completed INTEGER NOT NULL DEFAULT 0 CHECK (challenges_completed >= 0),
    predictions_made INTEGER NOT NULL DEFAULT 0 CHECK (predictions_made >= 0),
    trades_closed INTEGER NOT NULL DEFAULT 0 CHECK (trades_closed >= 0),
    pages_viewed INTEGER NOT NULL DEFAULT 0 CHECK (pages_viewed >= 0),
    actions_taken INTEGER NOT NULL DEFAULT 0 CHECK (actions_taken >= 0),
    xp_earned INTEGER NOT NULL DEFAULT 0 CHECK (xp_earned >= 0),
    comments_posted INTEGER NOT NULL DEFAULT 0 CHECK (comments_posted >= 0),
    tribe_messages INTEGER NOT NULL DEFAULT 0 CHECK (tribe_messages >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (user_id, activity_date)
);

CREATE INDEX idx_user_activity_date ON user_activity (activity_date);

CREATE TRIGGER tr_user_activity_updated_at
    BEFORE UPDATE ON user_activity
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- user_stats: lifetime statistics and rankings
-- ---------------------------------------------------------------------------
CREATE TABLE user_stats (
    user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    total_sessions INTEGER NOT NULL DEFAULT 0 CHECK (total_sessions >= 0),
    total_xp_earned INTEGER NOT NULL DEFAULT 0 CHECK (total_xp_earned >= 0),
    total_achievements INTEGER NOT NULL DEFAULT 0 CHECK (total_achievements >= 0),
    total_predictions INTEGER NOT NULL DEFAULT 0 CHECK (total_predictions >= 0),
    correct_predictions INTEGER NOT NULL DEFAULT 0 CHECK (correct_predictions >= 0),
    prediction_accuracy DECIMAL(5,2) NOT NULL DEFAULT 0
        CHECK (prediction_accuracy BETWEEN 0 AND 100),
    total_trades INTEGER NOT NULL DEFAULT 0 CHECK (total_trades >= 0),
    winning_trades INTEGER NOT NULL DEFAULT 0 CHECK (winning_trades >= 0),
    trade_win_rate DECIMAL(5,2) NOT NULL DEFAULT 0
        CHECK (trade_win_rate BETWEEN 0 AND 100),
    global_rank INTEGER CHECK (global_rank > 0),
    monthly_rank INTEGER CHECK (monthly_rank > 0),
    weekly_rank INTEGER CHECK (weekly_rank > 0),
    most_active_hour SMALLINT CHECK (most_active_hour BETWEEN 0 AND 23),
    most_active_day SMALLINT CHECK (most_active_day BETWEEN 0 AND 6),
    last_activity_date DATE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT user_stats_correct_le_total CHECK (correct_predictions <= total_predictions),
    CONSTRAINT user_stats_wins_le_trades CHECK (winning_trades <= total_trades)
);

CREATE INDEX idx_user_stats_global_rank ON user_stats (global_rank) WHERE global_rank IS NOT NULL;

CREATE TRIGGER tr_user_stats_updated_at
    BEFORE UPDATE ON user_stats
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- engagement_metrics: platform-wide, one row per day (admin dashboard)
-- ---------------------------------------------------------------------------
CREATE TABLE engagement_metrics (
    metric_date DATE PRIMARY KEY,
    daily_active_users INTEGER NOT NULL DEFAULT 0 CHECK (daily_active_users >= 0),
    new_users INTEGER NOT NULL DEFAULT 0 CHECK (new_users >= 0),
    churned_users INTEGER NOT NULL DEFAULT 0 CHECK (churned_users >= 0),
    total_sessions INTEGER NOT NULL DEFAULT 0 CHECK (total_sessions >= 0),
    avg_session_duration_seconds DECIMAL(10,2) NOT NULL DEFAULT 0
        CHECK (avg_session_duration_seconds >= 0),
    challenges_completed INTEGER NOT NULL DEFAULT 0 CHECK (challenges_completed >= 0),
    predictions_made INTEGER NOT NULL DEFAULT 0 CHECK (predictions_made >= 0),
    trades_opened INTEGER NOT NULL DEFAULT 0 CHECK (trades_opened >= 0),
    d1_retention DECIMAL(5,2) CHECK (d1_retention BETWEEN 0 AND 100),
    d7_retention DECIMAL(5,2) CHECK (d7_retention BETWEEN 0 AND 100),
    d30_retention DECIMAL(5,2) CHECK (d30_retention BETWEEN 0 AND 100),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TRIGGER tr_engagement_metrics_updated_at
    BEFORE UPDATE ON engagement_metrics
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- leaderboard_snapshots: periodic public rankings
-- ---------------------------------------------------------------------------
CREATE TABLE leaderboard_snapshots (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    period VARCHAR(10) NOT NULL CHECK (period IN ('daily', 'weekly', 'monthly', 'all_time')),
    snapshot_date DATE NOT NULL DEFAULT CURRENT_DATE,
    rank_position INTEGER NOT NULL CHECK (rank_position > 0),
    total_xp INTEGER NOT NULL DEFAULT 0 CHECK (total_xp >= 0),
    prediction_accuracy DECIMAL(5,2) CHECK (prediction_accuracy BETWEEN 0 AND 100),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (period, snapshot_date, user_id)
);

CREATE INDEX idx_leaderboard_snapshots_rank ON leaderboard_snapshots (period, snapshot_date DESC, rank_position);
CREATE INDEX idx_leaderboard_snapshots_user_id ON leaderboard_snapshots (user_id);

-- ---------------------------------------------------------------------------
-- Auto-create: users -> user_stats
-- ---------------------------------------------------------------------------
CREATE FUNCTION create_user_stats()
RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO public.user_stats (user_id)
    VALUES (NEW.id)
    ON CONFLICT (user_id) DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';

CREATE TRIGGER tr_create_user_stats
    AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION create_user_stats();

-- Users created before this migration get theirs now.
INSERT INTO user_stats (user_id)
SELECT u.id FROM users u
ON CONFLICT (user_id) DO NOTHING;

-- ---------------------------------------------------------------------------
-- Row level security (policies: policies/)
-- ---------------------------------------------------------------------------
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_activity ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE engagement_metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE leaderboard_snapshots ENABLE ROW LEVEL SECURITY;
