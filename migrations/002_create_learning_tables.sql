-- 002_create_learning_tables.sql
-- Learning & gamification: skill_nodes, user_skill_progress, vocabulary_terms,
-- user_vocabulary_progress, challenge_templates, user_challenges, achievements,
-- user_achievements.

-- ---------------------------------------------------------------------------
-- skill_nodes: Knowledge Tree skill definitions (reference data)
-- ---------------------------------------------------------------------------
CREATE TABLE skill_nodes (
    id VARCHAR(50) PRIMARY KEY
        CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name VARCHAR(100) NOT NULL,
    description TEXT,
    category VARCHAR(50) NOT NULL,
    layer INTEGER NOT NULL DEFAULT 1 CHECK (layer BETWEEN 1 AND 10),
    xp_required INTEGER NOT NULL DEFAULT 100 CHECK (xp_required >= 0),
    prerequisites TEXT[] NOT NULL DEFAULT '{}',
    unlocks TEXT[] NOT NULL DEFAULT '{}',
    icon VARCHAR(10),
    sort_order INTEGER NOT NULL DEFAULT 0,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_skill_nodes_layer ON skill_nodes (layer, sort_order);
CREATE INDEX idx_skill_nodes_category ON skill_nodes (category);
-- "which skills need X": WHERE prerequisites @> ARRAY['x']
CREATE INDEX idx_skill_nodes_prerequisites ON skill_nodes USING GIN (prerequisites);

CREATE TRIGGER tr_skill_nodes_updated_at
    BEFORE UPDATE ON skill_nodes
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- user_skill_progress
-- ---------------------------------------------------------------------------
CREATE TABLE user_skill_progress (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    skill_id VARCHAR(50) NOT NULL REFERENCES skill_nodes(id) ON DELETE CASCADE,
    status VARCHAR(20) NOT NULL DEFAULT 'locked'
        CHECK (status IN ('locked', 'available', 'in_progress', 'completed')),
    progress_pct INTEGER NOT NULL DEFAULT 0 CHECK (progress_pct BETWEEN 0 AND 100),
    xp_earned INTEGER NOT NULL DEFAULT 0 CHECK (xp_earned >= 0),
    quiz_score INTEGER CHECK (quiz_score BETWEEN 0 AND 100),
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (user_id, skill_id),
    CONSTRAINT user_skill_progress_completed_at
        CHECK (status <> 'completed' OR completed_at IS NOT NULL)
);

CREATE INDEX idx_user_skill_progress_skill_id ON user_skill_progress (skill_id);

CREATE TRIGGER tr_user_skill_progress_updated_at
    BEFORE UPDATE ON user_skill_progress
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- vocabulary_terms (reference data)
-- ---------------------------------------------------------------------------
CREATE TABLE vocabulary_terms (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    term VARCHAR(100) NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    example TEXT,
    category VARCHAR(50),
    difficulty VARCHAR(20) NOT NULL DEFAULT 'beginner'
        CHECK (difficulty IN ('beginner', 'intermediate', 'advanced', 'expert')),
    related_terms TEXT[] NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- case-insensitive lookup: WHERE lower(term) = lower($1)
CREATE INDEX idx_vocabulary_terms_term_lower ON vocabulary_terms (lower(term));
CREATE INDEX idx_vocabulary_terms_difficulty ON vocabulary_terms (difficulty);

CREATE TRIGGER tr_vocabulary_terms_updated_at
    BEFORE UPDATE ON vocabulary_terms
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- user_vocabulary_progress: SM-2 spaced repetition
-- ---------------------------------------------------------------------------
CREATE TABLE user_vocabulary_progress (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    term_id UUID NOT NULL REFERENCES vocabulary_terms(id) ON DELETE CASCADE,
    status VARCHAR(20) NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'learning', 'known', 'mastered')),
    ease_factor DECIMAL(3,2) NOT NULL DEFAULT 2.50
        CHECK (ease_factor BETWEEN 1.30 AND 3.00),
    interval_days INTEGER NOT NULL DEFAULT 0 CHECK (interval_days >= 0),
    repetitions INTEGER NOT NULL DEFAULT 0 CHECK (repetitions >= 0),
    correct_count INTEGER NOT NULL DEFAULT 0 CHECK (correct_count >= 0),
    incorrect_count INTEGER NOT NULL DEFAULT 0 CHECK (incorrect_count >= 0),
    last_reviewed_at TIMESTAMPTZ,
    next_review_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (user_id, term_id)
);

-- "vocabulary due for review"
CREATE INDEX idx_user_vocabulary_progress_due ON user_vocabulary_progress (user_id, next_review_at);
CREATE INDEX idx_user_vocabulary_progress_term_id ON user_vocabulary_progress (term_id);

CREATE TRIGGER tr_user_vocabulary_progress_updated_at
    BEFORE UPDATE ON user_vocabulary_progress
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- challenge_templates: daily/weekly challenge definitions (reference data)
-- ---------------------------------------------------------------------------
CREATE TABLE challenge_templates (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    title VARCHAR(200) NOT NULL,
    description TEXT,
    type VARCHAR(50) NOT NULL
        CHECK (type IN ('detective', 'prediction', 'speed', 'analysis', 'pattern', 'quiz')),
    difficulty VARCHAR(20) NOT NULL DEFAULT 'medium'
        CHECK (difficulty IN ('easy', 'medium', 'hard', 'extreme')),
    xp_reward INTEGER NOT NULL DEFAULT 50 CHECK (xp_reward >= 0),
    time_limit_seconds INTEGER CHECK (time_limit_seconds > 0),
    content JSONB NOT NULL DEFAULT '{}',
    correct_answer JSONB,
    is_daily BOOLEAN NOT NULL DEFAULT FALSE,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- "today's challenges"
CREATE INDEX idx_challenge_templates_daily ON challenge_templates (type)
    WHERE is_active AND is_daily;

CREATE TRIGGER tr_challenge_templates_updated_at
    BEFORE UPDATE ON challenge_templates
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- Templates are publicly readable, but correct_answer must not be: RLS
-- filters rows, not columns, so the API roles get SELECT on every column
-- except correct_answer (answers are checked server-side with service_role).
REVOKE SELECT ON challenge_templates FROM anon, authenticated;
GRANT SELECT (id, title, description, type, difficulty, xp_reward, time_limit_seconds,
              content, is_daily, is_active, created_at, updated_at)
    ON challenge_templates TO anon, authenticated;

-- ---------------------------------------------------------------------------
-- user_challenges: one attempt per user, challenge and day
-- ---------------------------------------------------------------------------
CREATE TABLE user_challenges (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    challenge_id UUID NOT NULL REFERENCES challenge_templates(id) ON DELETE CASCADE,
    challenge_date DATE NOT NULL DEFAULT CURRENT_DATE,
    status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'expired')),
    answer JSONB,
    score INTEGER CHECK (score BETWEEN 0 AND 100),
    xp_earned INTEGER NOT NULL DEFAULT 0 CHECK (xp_earned >= 0),
    time_taken_seconds INTEGER CHECK (time_taken_seconds >= 0),
    started_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (user_id, challenge_id, challenge_date)
);

CREATE INDEX idx_user_challenges_challenge_id ON user_challenges (challenge_id);
CREATE INDEX idx_user_challenges_user_date ON user_challenges (user_id, challenge_date DESC);

CREATE TRIGGER tr_user_challenges_updated_at
    BEFORE UPDATE ON user_challenges
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- achievements (reference data)
-- ---------------------------------------------------------------------------
CREATE TABLE achievements (
    id VARCHAR(50) PRIMARY KEY
        CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    title VARCHAR(100) NOT NULL,
    description TEXT,
    icon VARCHAR(10),
    category VARCHAR(50),
    rarity VARCHAR(20) NOT NULL DEFAULT 'common'
        CHECK (rarity IN ('common', 'rare', 'epic', 'legendary')),
    xp_reward INTEGER NOT NULL DEFAULT 0 CHECK (xp_reward >= 0),
    criteria JSONB NOT NULL DEFAULT '{}',
    story_title VARCHAR(200),
    story_narrative TEXT,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_achievements_rarity ON achievements (rarity);

CREATE TRIGGER tr_achievements_updated_at
    BEFORE UPDATE ON achievements
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- user_achievements
-- ---------------------------------------------------------------------------
CREATE TABLE user_achievements (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    achievement_id VARCHAR(50) NOT NULL REFERENCES achievements(id) ON DELETE CASCADE,
    unlocked_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    is_featured BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (user_id, achievement_id)
);

CREATE INDEX idx_user_achievements_achievement_id ON user_achievements (achievement_id);

-- ---------------------------------------------------------------------------
-- Row level security (policies: policies/)
-- ---------------------------------------------------------------------------
ALTER TABLE skill_nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_skill_progress ENABLE ROW LEVEL SECURITY;
ALTER TABLE vocabulary_terms ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_vocabulary_progress ENABLE ROW LEVEL SECURITY;
ALTER TABLE challenge_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_challenges ENABLE ROW LEVEL SECURITY;
ALTER TABLE achievements ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_achievements ENABLE ROW LEVEL SECURITY;
