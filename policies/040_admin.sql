-- Admin full access: an active user whose users.role is 'admin' may read and
-- write every row of every table.
--
-- The documented check, current_setting('app.current_user_role', true) =
-- 'admin', trusted a setting that any client can SET for itself; is_admin()
-- (SECURITY DEFINER, migration 001 / policies/005) reads the role from users
-- for (SELECT auth.uid()) instead, once per statement.
--
-- engagement_metrics has no other policy: it is admin-only.

-- 001 core
CREATE POLICY admin_users_full_access ON users
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_user_profiles_full_access ON user_profiles
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_sessions_full_access ON sessions
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

-- 002 learning
CREATE POLICY admin_skill_nodes_full_access ON skill_nodes
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_user_skill_progress_full_access ON user_skill_progress
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_vocabulary_terms_full_access ON vocabulary_terms
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_user_vocabulary_progress_full_access ON user_vocabulary_progress
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_challenge_templates_full_access ON challenge_templates
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_user_challenges_full_access ON user_challenges
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_achievements_full_access ON achievements
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_user_achievements_full_access ON user_achievements
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

-- 003 social
CREATE POLICY admin_tribes_full_access ON tribes
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_tribe_members_full_access ON tribe_members
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_tribe_stats_full_access ON tribe_stats
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_predictions_full_access ON predictions
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_prediction_votes_full_access ON prediction_votes
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_prediction_comments_full_access ON prediction_comments
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_mentor_profiles_full_access ON mentor_profiles
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_mentorships_full_access ON mentorships
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_mentor_messages_full_access ON mentor_messages
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

-- 004 trading
CREATE POLICY admin_paper_portfolios_full_access ON paper_portfolios
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_paper_positions_full_access ON paper_positions
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_paper_position_history_full_access ON paper_position_history
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_watchlists_full_access ON watchlists
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_watchlist_items_full_access ON watchlist_items
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

-- 005 settings
CREATE POLICY admin_user_settings_full_access ON user_settings
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_feature_flags_full_access ON feature_flags
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_api_keys_full_access ON api_keys
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

-- 006 audit & analytics
CREATE POLICY admin_audit_logs_full_access ON audit_logs
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_user_activity_full_access ON user_activity
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_user_stats_full_access ON user_stats
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_engagement_metrics_full_access ON engagement_metrics
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));

CREATE POLICY admin_leaderboard_snapshots_full_access ON leaderboard_snapshots
    FOR ALL TO authenticated
    USING ((SELECT public.is_admin()))
    WITH CHECK ((SELECT public.is_admin()));
