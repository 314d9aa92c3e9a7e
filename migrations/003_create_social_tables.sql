-- 003_create_social_tables.sql
-- Social features: tribes, tribe_members, tribe_stats, predictions,
-- prediction_votes, prediction_comments, mentorships, mentor_profiles,
-- mentor_messages.
-- Functions: create_tribe_stats() (auto-create trigger), tribe_member_role(),
-- is_tribe_member() (policy helpers), calculate_prediction_accuracy().

-- ---------------------------------------------------------------------------
-- tribes
-- ---------------------------------------------------------------------------
CREATE TABLE tribes (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    slug VARCHAR(50) NOT NULL UNIQUE
        CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name VARCHAR(100) NOT NULL,
    description TEXT,
    focus VARCHAR(100),
    icon VARCHAR(10),
    is_public BOOLEAN NOT NULL DEFAULT TRUE,
    max_members INTEGER NOT NULL DEFAULT 100 CHECK (max_members BETWEEN 2 AND 10000),
    created_by UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_tribes_created_by ON tribes (created_by);
CREATE INDEX idx_tribes_public ON tribes (name) WHERE is_public;

CREATE TRIGGER tr_tribes_updated_at
    BEFORE UPDATE ON tribes
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- tribe_members
-- ---------------------------------------------------------------------------
CREATE TABLE tribe_members (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    tribe_id UUID NOT NULL REFERENCES tribes(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role VARCHAR(20) NOT NULL DEFAULT 'member'
        CHECK (role IN ('member', 'elder', 'moderator', 'leader')),
    rank_position INTEGER CHECK (rank_position > 0),
    prediction_accuracy DECIMAL(5,2) NOT NULL DEFAULT 0
        CHECK (prediction_accuracy BETWEEN 0 AND 100),
    predictions_count INTEGER NOT NULL DEFAULT 0 CHECK (predictions_count >= 0),
    joined_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (tribe_id, user_id)
);

CREATE INDEX idx_tribe_members_user_id ON tribe_members (user_id);
CREATE INDEX idx_tribe_members_rank ON tribe_members (tribe_id, rank_position);

CREATE TRIGGER tr_tribe_members_updated_at
    BEFORE UPDATE ON tribe_members
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- tribe_stats (1:1 with tribes, auto-created)
-- ---------------------------------------------------------------------------
CREATE TABLE tribe_stats (
    tribe_id UUID PRIMARY KEY REFERENCES tribes(id) ON DELETE CASCADE,
    member_count INTEGER NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    avg_accuracy DECIMAL(5,2) NOT NULL DEFAULT 0 CHECK (avg_accuracy BETWEEN 0 AND 100),
    total_predictions INTEGER NOT NULL DEFAULT 0 CHECK (total_predictions >= 0),
    weekly_active_members INTEGER NOT NULL DEFAULT 0 CHECK (weekly_active_members >= 0),
    global_rank INTEGER CHECK (global_rank > 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TRIGGER tr_tribe_stats_updated_at
    BEFORE UPDATE ON tribe_stats
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- predictions
-- ---------------------------------------------------------------------------
CREATE TABLE predictions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tribe_id UUID REFERENCES tribes(id) ON DELETE SET NULL,
    symbol VARCHAR(20) NOT NULL,
    asset_type VARCHAR(20) NOT NULL DEFAULT 'stock'
        CHECK (asset_type IN ('stock', 'crypto', 'etf', 'forex', 'commodity', 'index')),
    direction VARCHAR(10) NOT NULL
        CHECK (direction IN ('bullish', 'bearish', 'neutral')),
    confidence INTEGER NOT NULL DEFAULT 5 CHECK (confidence BETWEEN 1 AND 10),
    timeframe VARCHAR(10) NOT NULL DEFAULT '1w'
        CHECK (timeframe IN ('1d', '1w', '1m', '3m')),
    price_at_prediction DECIMAL(20,8) NOT NULL CHECK (price_at_prediction > 0),
    target_price DECIMAL(20,8) CHECK (target_price > 0),
    price_at_resolution DECIMAL(20,8) CHECK (price_at_resolution > 0),
    reasoning TEXT,
    outcome VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (outcome IN ('pending', 'correct', 'incorrect', 'expired', 'cancelled')),
    is_public BOOLEAN NOT NULL DEFAULT TRUE,
    agree_count INTEGER NOT NULL DEFAULT 0 CHECK (agree_count >= 0),
    disagree_count INTEGER NOT NULL DEFAULT 0 CHECK (disagree_count >= 0),
    comment_count INTEGER NOT NULL DEFAULT 0 CHECK (comment_count >= 0),
    expires_at TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT predictions_resolved_has_time
        CHECK (outcome IN ('pending', 'cancelled') OR resolved_at IS NOT NULL)
);

CREATE INDEX idx_predictions_user_id ON predictions (user_id, created_at DESC);
CREATE INDEX idx_predictions_tribe_id ON predictions (tribe_id) WHERE tribe_id IS NOT NULL;
CREATE INDEX idx_predictions_symbol ON predictions (symbol, created_at DESC);
-- "recent public predictions"
CREATE INDEX idx_predictions_public_recent ON predictions (created_at DESC) WHERE is_public;
-- resolver job: pending predictions by expiry
CREATE INDEX idx_predictions_pending_expiry ON predictions (expires_at) WHERE outcome = 'pending';

CREATE TRIGGER tr_predictions_updated_at
    BEFORE UPDATE ON predictions
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- prediction_votes
-- ---------------------------------------------------------------------------
CREATE TABLE prediction_votes (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    prediction_id UUID NOT NULL REFERENCES predictions(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    vote VARCHAR(10) NOT NULL CHECK (vote IN ('agree', 'disagree')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (prediction_id, user_id)
);

CREATE INDEX idx_prediction_votes_user_id ON prediction_votes (user_id);

-- ---------------------------------------------------------------------------
-- prediction_comments
-- ---------------------------------------------------------------------------
CREATE TABLE prediction_comments (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    prediction_id UUID NOT NULL REFERENCES predictions(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    parent_id UUID REFERENCES prediction_comments(id) ON DELETE CASCADE,
    content TEXT NOT NULL CHECK (char_length(btrim(content)) BETWEEN 1 AND 2000),
    is_edited BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_prediction_comments_prediction ON prediction_comments (prediction_id, created_at);
CREATE INDEX idx_prediction_comments_user_id ON prediction_comments (user_id);
CREATE INDEX idx_prediction_comments_parent_id ON prediction_comments (parent_id) WHERE parent_id IS NOT NULL;

CREATE TRIGGER tr_prediction_comments_updated_at
    BEFORE UPDATE ON prediction_comments
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- mentor_profiles (1:1 with users, created when a user becomes a mentor)
-- ---------------------------------------------------------------------------
CREATE TABLE mentor_profiles (
    user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    headline VARCHAR(200),
    specialties TEXT[] NOT NULL DEFAULT '{}',
    experience_years INTEGER CHECK (experience_years >= 0),
    max_mentees INTEGER NOT NULL DEFAULT 3 CHECK (max_mentees > 0),
    current_mentees INTEGER NOT NULL DEFAULT 0 CHECK (current_mentees >= 0),
    rating_avg DECIMAL(3,2) CHECK (rating_avg BETWEEN 1 AND 5),
    rating_count INTEGER NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
    is_accepting BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_mentor_profiles_specialties ON mentor_profiles USING GIN (specialties);

CREATE TRIGGER tr_mentor_profiles_updated_at
    BEFORE UPDATE ON mentor_profiles
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- mentorships
-- ---------------------------------------------------------------------------
CREATE TABLE mentorships (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    mentor_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    mentee_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'active', 'paused', 'completed', 'rejected')),
    goals TEXT,
    rating INTEGER CHECK (rating BETWEEN 1 AND 5),
    feedback TEXT,
    started_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT mentorships_not_self CHECK (mentor_id <> mentee_id)
);

-- at most one open mentorship per pair
CREATE UNIQUE INDEX uq_mentorships_open_pair ON mentorships (mentor_id, mentee_id)
    WHERE status IN ('pending', 'active', 'paused');
CREATE INDEX idx_mentorships_mentee_id ON mentorships (mentee_id);

CREATE TRIGGER tr_mentorships_updated_at
    BEFORE UPDATE ON mentorships
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- mentor_messages
-- ---------------------------------------------------------------------------
CREATE TABLE mentor_messages (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    mentorship_id UUID NOT NULL REFERENCES mentorships(id) ON DELETE CASCADE,
    sender_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content TEXT NOT NULL CHECK (char_length(btrim(content)) BETWEEN 1 AND 5000),
    is_read BOOLEAN NOT NULL DEFAULT FALSE,
    read_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_mentor_messages_mentorship ON mentor_messages (mentorship_id, created_at);
CREATE INDEX idx_mentor_messages_sender_id ON mentor_messages (sender_id);

-- ---------------------------------------------------------------------------
-- Auto-create: tribes -> tribe_stats
-- ---------------------------------------------------------------------------
CREATE FUNCTION create_tribe_stats()
RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO public.tribe_stats (tribe_id)
    VALUES (NEW.id)
    ON CONFLICT (tribe_id) DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';

CREATE TRIGGER tr_create_tribe_stats
    AFTER INSERT ON tribes
    FOR EACH ROW EXECUTE FUNCTION create_tribe_stats();

-- ---------------------------------------------------------------------------
-- Policy helpers. A policy on tribe_members that queries tribe_members
-- recurses ("infinite recursion detected in policy"); these SECURITY DEFINER
-- functions read memberships without going through RLS.
-- ---------------------------------------------------------------------------
CREATE FUNCTION tribe_member_role(p_tribe_id UUID)
RETURNS VARCHAR AS $$
    SELECT tm.role FROM public.tribe_members tm
    WHERE tm.tribe_id = p_tribe_id
      AND tm.user_id = (SELECT auth.uid());
$$ LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '';

CREATE FUNCTION is_tribe_member(p_tribe_id UUID)
RETURNS BOOLEAN AS $$
    SELECT EXISTS (
        SELECT 1 FROM public.tribe_members tm
        WHERE tm.tribe_id = p_tribe_id
          AND tm.user_id = (SELECT auth.uid())
    );
$$ LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '';

-- ---------------------------------------------------------------------------
-- Calculation: prediction accuracy (0-100, two decimals)
-- ---------------------------------------------------------------------------
CREATE FUNCTION calculate_prediction_accuracy(p_user_id UUID)
RETURNS DECIMAL(5,2) AS $$
DECLARE
    v_total INTEGER;
    v_correct INTEGER;
BEGIN
    SELECT COUNT(*), COUNT(*) FILTER (WHERE outcome = 'correct')
    INTO v_total, v_correct
    FROM predictions
    WHERE user_id = p_user_id AND outcome IN ('correct', 'incorrect');

    IF v_total = 0 THEN RETURN 0; END IF;
    RETURN ROUND((v_correct::DECIMAL / v_total) * 100, 2);
END;
$$ LANGUAGE plpgsql STABLE;

-- ---------------------------------------------------------------------------
-- Row level security (policies: policies/)
-- ---------------------------------------------------------------------------
ALTER TABLE tribes ENABLE ROW LEVEL SECURITY;
ALTER TABLE tribe_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE tribe_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE predictions ENABLE ROW LEVEL SECURITY;
ALTER TABLE prediction_votes ENABLE ROW LEVEL SECURITY;
ALTER TABLE prediction_comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE mentor_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE mentorships ENABLE ROW LEVEL SECURITY;
ALTER TABLE mentor_messages ENABLE ROW LEVEL SECURITY;
