-- Triggers and their functions, declared here as well as in the migrations
-- that created them, with identical definitions (CREATE OR REPLACE FUNCTION,
-- CREATE OR REPLACE TRIGGER - PostgreSQL 14+): re-applying this folder
-- changes nothing, and `strata diff` shows any trigger that drifted.
--
--   tr_<table>_updated_at        BEFORE UPDATE, every table with updated_at
--   tr_create_user_profile       users  -> user_profiles     (auto-create)
--   tr_create_default_portfolio  users  -> paper_portfolios  (auto-create)
--   tr_create_default_watchlist  users  -> watchlists        (auto-create)
--   tr_create_user_settings      users  -> user_settings     (auto-create)
--   tr_create_user_stats         users  -> user_stats        (auto-create)
--   tr_create_tribe_stats        tribes -> tribe_stats       (auto-create)
--   tr_calculate_position_pnl    paper_positions P&L on insert/update
--
-- The auto-create functions are SECURITY DEFINER with an empty search_path:
-- they insert rows the signed-in user has no policy to insert.

-- ---------------------------------------------------------------------------
-- from 001_create_core_tables.sql
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION update_updated_at()
RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = NOW();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION create_user_profile()
RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO public.user_profiles (user_id)
    VALUES (NEW.id)
    ON CONFLICT (user_id) DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';

CREATE OR REPLACE TRIGGER tr_users_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_user_profiles_updated_at
    BEFORE UPDATE ON user_profiles
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_create_user_profile
    AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION create_user_profile();

-- ---------------------------------------------------------------------------
-- from 002_create_learning_tables.sql
-- ---------------------------------------------------------------------------
CREATE OR REPLACE TRIGGER tr_skill_nodes_updated_at
    BEFORE UPDATE ON skill_nodes
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_user_skill_progress_updated_at
    BEFORE UPDATE ON user_skill_progress
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_vocabulary_terms_updated_at
    BEFORE UPDATE ON vocabulary_terms
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_user_vocabulary_progress_updated_at
    BEFORE UPDATE ON user_vocabulary_progress
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_challenge_templates_updated_at
    BEFORE UPDATE ON challenge_templates
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_user_challenges_updated_at
    BEFORE UPDATE ON user_challenges
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_achievements_updated_at
    BEFORE UPDATE ON achievements
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- ---------------------------------------------------------------------------
-- from 003_create_social_tables.sql
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION create_tribe_stats()
RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO public.tribe_stats (tribe_id)
    VALUES (NEW.id)
    ON CONFLICT (tribe_id) DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';

CREATE OR REPLACE TRIGGER tr_tribes_updated_at
    BEFORE UPDATE ON tribes
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_tribe_members_updated_at
    BEFORE UPDATE ON tribe_members
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_tribe_stats_updated_at
    BEFORE UPDATE ON tribe_stats
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_predictions_updated_at
    BEFORE UPDATE ON predictions
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_prediction_comments_updated_at
    BEFORE UPDATE ON prediction_comments
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_mentor_profiles_updated_at
    BEFORE UPDATE ON mentor_profiles
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_mentorships_updated_at
    BEFORE UPDATE ON mentorships
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_create_tribe_stats
    AFTER INSERT ON tribes
    FOR EACH ROW EXECUTE FUNCTION create_tribe_stats();

-- ---------------------------------------------------------------------------
-- from 004_create_trading_tables.sql
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION calculate_position_pnl()
RETURNS TRIGGER AS $$
DECLARE
    v_price DECIMAL(20,8);
BEGIN
    v_price := COALESCE(NEW.current_price, NEW.entry_price);
    IF NEW.entry_price IS NULL OR NEW.entry_price <= 0 THEN
        NEW.pnl = 0;
        NEW.pnl_pct = 0;
        RETURN NEW;
    END IF;
    IF NEW.side = 'long' THEN
        NEW.pnl = (v_price - NEW.entry_price) * NEW.quantity;
    ELSE
        NEW.pnl = (NEW.entry_price - v_price) * NEW.quantity;
    END IF;
    NEW.pnl_pct = ((v_price - NEW.entry_price) / NEW.entry_price) * 100;
    IF NEW.side = 'short' THEN NEW.pnl_pct = -NEW.pnl_pct; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION create_default_portfolio()
RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO public.paper_portfolios (user_id, name, is_primary)
    VALUES (NEW.id, 'Main Portfolio', TRUE)
    ON CONFLICT (user_id) WHERE is_primary DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';

CREATE OR REPLACE FUNCTION create_default_watchlist()
RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO public.watchlists (user_id, name, is_primary)
    VALUES (NEW.id, 'My Watchlist', TRUE)
    ON CONFLICT DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';

CREATE OR REPLACE TRIGGER tr_paper_portfolios_updated_at
    BEFORE UPDATE ON paper_portfolios
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_paper_positions_updated_at
    BEFORE UPDATE ON paper_positions
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_calculate_position_pnl
    BEFORE INSERT OR UPDATE ON paper_positions
    FOR EACH ROW EXECUTE FUNCTION calculate_position_pnl();

CREATE OR REPLACE TRIGGER tr_watchlists_updated_at
    BEFORE UPDATE ON watchlists
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_watchlist_items_updated_at
    BEFORE UPDATE ON watchlist_items
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_create_default_portfolio
    AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION create_default_portfolio();

CREATE OR REPLACE TRIGGER tr_create_default_watchlist
    AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION create_default_watchlist();

-- ---------------------------------------------------------------------------
-- from 005_create_settings_tables.sql
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION create_user_settings()
RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO public.user_settings (user_id)
    VALUES (NEW.id)
    ON CONFLICT (user_id) DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';

CREATE OR REPLACE TRIGGER tr_user_settings_updated_at
    BEFORE UPDATE ON user_settings
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_feature_flags_updated_at
    BEFORE UPDATE ON feature_flags
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_api_keys_updated_at
    BEFORE UPDATE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_create_user_settings
    AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION create_user_settings();

-- ---------------------------------------------------------------------------
-- from 006_create_audit_tables.sql
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION create_user_stats()
RETURNS TRIGGER AS $$
BEGIN
    INSERT INTO public.user_stats (user_id)
    VALUES (NEW.id)
    ON CONFLICT (user_id) DO NOTHING;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = '';

CREATE OR REPLACE TRIGGER tr_user_activity_updated_at
    BEFORE UPDATE ON user_activity
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_user_stats_updated_at
    BEFORE UPDATE ON user_stats
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_engagement_metrics_updated_at
    BEFORE UPDATE ON engagement_metrics
    FOR EACH ROW EXECUTE FUNCTION update_updated_at();

CREATE OR REPLACE TRIGGER tr_create_user_stats
    AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION create_user_stats();
