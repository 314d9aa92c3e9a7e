-- Public read: anyone (anon included) can read, only the owner writes
-- (the owner's write policies are in 010_own_data.sql; reference data is
-- written by admins, 040_admin.sql, or the server with service_role).

-- ---------------------------------------------------------------------------
-- Reference data: the learning content catalogue
-- (challenge_templates.correct_answer is additionally column-protected by
-- the grants in migration 002)
-- ---------------------------------------------------------------------------
CREATE POLICY skill_nodes_select_public ON skill_nodes
    FOR SELECT TO anon, authenticated
    USING (is_active);

CREATE POLICY vocabulary_terms_select_public ON vocabulary_terms
    FOR SELECT TO anon, authenticated
    USING (true);

CREATE POLICY challenge_templates_select_public ON challenge_templates
    FOR SELECT TO anon, authenticated
    USING (is_active);

CREATE POLICY achievements_select_public ON achievements
    FOR SELECT TO anon, authenticated
    USING (is_active);

-- flags are evaluated by signed-in clients (is_feature_enabled runs with the
-- caller's rights)
CREATE POLICY feature_flags_select_authenticated ON feature_flags
    FOR SELECT TO authenticated
    USING (true);

-- ---------------------------------------------------------------------------
-- Social: public predictions and what hangs off them
-- ---------------------------------------------------------------------------
CREATE POLICY predictions_select_public ON predictions
    FOR SELECT TO anon, authenticated
    USING (is_public = TRUE OR user_id = (SELECT auth.uid()));

-- votes and comments are visible wherever their prediction is (the EXISTS
-- runs under predictions' policies: public, own, or own tribe)
CREATE POLICY prediction_votes_select_visible ON prediction_votes
    FOR SELECT TO anon, authenticated
    USING (EXISTS (SELECT 1 FROM predictions p WHERE p.id = prediction_votes.prediction_id));

CREATE POLICY prediction_comments_select_visible ON prediction_comments
    FOR SELECT TO anon, authenticated
    USING (EXISTS (SELECT 1 FROM predictions p WHERE p.id = prediction_comments.prediction_id));

-- the mentor directory
CREATE POLICY mentor_profiles_select_public ON mentor_profiles
    FOR SELECT TO anon, authenticated
    USING (true);

-- published rankings
CREATE POLICY leaderboard_snapshots_select_public ON leaderboard_snapshots
    FOR SELECT TO anon, authenticated
    USING (true);
