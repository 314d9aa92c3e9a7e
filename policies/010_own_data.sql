-- Own data: a signed-in user reads and writes only their own rows.
-- The user is (SELECT auth.uid()) everywhere (Supabase model; the documented
-- current_setting('app.current_user_id') variant is not used), wrapped in a
-- subquery so it is evaluated once per statement.
-- Reads of other people's public rows: 020_public_read.sql; tribes:
-- 030_tribes.sql; admins: 040_admin.sql.

-- ---------------------------------------------------------------------------
-- users: read and update yourself; sign up as yourself, as a plain user.
-- Nobody promotes themselves: role must stay what it is (app_user_role()
-- reads the row as it was before the update).
-- ---------------------------------------------------------------------------
CREATE POLICY users_select_own ON users
    FOR SELECT TO authenticated
    USING (id = (SELECT auth.uid()));

CREATE POLICY users_insert_own ON users
    FOR INSERT TO authenticated
    WITH CHECK (id = (SELECT auth.uid()) AND role = 'user');

CREATE POLICY users_update_own ON users
    FOR UPDATE TO authenticated
    USING (id = (SELECT auth.uid()))
    WITH CHECK (id = (SELECT auth.uid()) AND role = (SELECT public.app_user_role()));

-- ---------------------------------------------------------------------------
-- user_profiles, user_settings, user_stats: created by triggers, never by
-- the user; profile and settings are editable, stats are computed.
-- ---------------------------------------------------------------------------
CREATE POLICY user_profiles_select_own ON user_profiles
    FOR SELECT TO authenticated
    USING (user_id = (SELECT auth.uid()));

CREATE POLICY user_profiles_update_own ON user_profiles
    FOR UPDATE TO authenticated
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));

CREATE POLICY user_settings_select_own ON user_settings
    FOR SELECT TO authenticated
    USING (user_id = (SELECT auth.uid()));

CREATE POLICY user_settings_update_own ON user_settings
    FOR UPDATE TO authenticated
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));

CREATE POLICY user_stats_select_own ON user_stats
    FOR SELECT TO authenticated
    USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------------------
-- sessions: see and end (delete) your own sessions; the auth server creates them
-- ---------------------------------------------------------------------------
CREATE POLICY sessions_select_own ON sessions
    FOR SELECT TO authenticated
    USING (user_id = (SELECT auth.uid()));

CREATE POLICY sessions_delete_own ON sessions
    FOR DELETE TO authenticated
    USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------------------
-- Learning progress: fully owned by the user
-- ---------------------------------------------------------------------------
CREATE POLICY user_skill_progress_all_own ON user_skill_progress
    FOR ALL TO authenticated
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));

CREATE POLICY user_vocabulary_progress_all_own ON user_vocabulary_progress
    FOR ALL TO authenticated
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));

CREATE POLICY user_challenges_all_own ON user_challenges
    FOR ALL TO authenticated
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));

-- achievements are granted by the server (service_role); users only read them
CREATE POLICY user_achievements_select_own ON user_achievements
    FOR SELECT TO authenticated
    USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------------------
-- predictions: write your own. A user cannot resolve their own prediction
-- (outcome is set by the resolver job) - only keep it pending or cancel it -
-- and can post into a tribe only as a member of it. Reads: 020 and 030.
-- ---------------------------------------------------------------------------
CREATE POLICY predictions_insert_own ON predictions
    FOR INSERT TO authenticated
    WITH CHECK (
        user_id = (SELECT auth.uid())
        AND outcome = 'pending'
        AND (tribe_id IS NULL OR public.is_tribe_member(tribe_id))
    );

CREATE POLICY predictions_update_own ON predictions
    FOR UPDATE TO authenticated
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (
        user_id = (SELECT auth.uid())
        AND outcome IN ('pending', 'cancelled')
        AND (tribe_id IS NULL OR public.is_tribe_member(tribe_id))
    );

CREATE POLICY predictions_delete_own ON predictions
    FOR DELETE TO authenticated
    USING (user_id = (SELECT auth.uid()));

-- votes and comments: your own, on predictions you can see (the EXISTS runs
-- under predictions' policies)
CREATE POLICY prediction_votes_insert_own ON prediction_votes
    FOR INSERT TO authenticated
    WITH CHECK (
        user_id = (SELECT auth.uid())
        AND EXISTS (SELECT 1 FROM predictions p WHERE p.id = prediction_votes.prediction_id)
    );

CREATE POLICY prediction_votes_update_own ON prediction_votes
    FOR UPDATE TO authenticated
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));

CREATE POLICY prediction_votes_delete_own ON prediction_votes
    FOR DELETE TO authenticated
    USING (user_id = (SELECT auth.uid()));

CREATE POLICY prediction_comments_insert_own ON prediction_comments
    FOR INSERT TO authenticated
    WITH CHECK (
        user_id = (SELECT auth.uid())
        AND EXISTS (SELECT 1 FROM predictions p WHERE p.id = prediction_comments.prediction_id)
    );

CREATE POLICY prediction_comments_update_own ON prediction_comments
    FOR UPDATE TO authenticated
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));

CREATE POLICY prediction_comments_delete_own ON prediction_comments
    FOR DELETE TO authenticated
    USING (user_id = (SELECT auth.uid()));

-- ---------------------------------------------------------------------------
-- Mentoring
-- ---------------------------------------------------------------------------
CREATE POLICY mentor_profiles_insert_own ON mentor_profiles
    FOR INSERT TO authenticated
    WITH CHECK (user_id = (SELECT auth.uid()));

CREATE POLICY mentor_profiles_update_own ON mentor_profiles
    FOR UPDATE TO authenticated
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));

-- both parties see the mentorship; the mentee requests it, both manage it
CREATE POLICY mentorships_select_participant ON mentorships
    FOR SELECT TO authenticated
    USING ((SELECT auth.uid()) IN (mentor_id, mentee_id));

CREATE POLICY mentorships_insert_mentee ON mentorships
    FOR INSERT TO authenticated
    WITH CHECK (mentee_id = (SELECT auth.uid()) AND status = 'pending');

CREATE POLICY mentorships_update_participant ON mentorships
    FOR UPDATE TO authenticated
    USING ((SELECT auth.uid()) IN (mentor_id, mentee_id))
    WITH CHECK ((SELECT auth.uid()) IN (mentor_id, mentee_id));

-- messages: participants read; a participant sends as themselves
CREATE POLICY mentor_messages_select_participant ON mentor_messages
    FOR SELECT TO authenticated
    USING (EXISTS (SELECT 1 FROM mentorships m WHERE m.id = mentor_messages.mentorship_id));

CREATE POLICY mentor_messages_insert_participant ON mentor_messages
    FOR INSERT TO authenticated
    WITH CHECK (
        sender_id = (SELECT auth.uid())
        AND EXISTS (SELECT 1 FROM mentorships m
                    WHERE m.id = mentor_messages.mentorship_id
                      AND m.status IN ('pending', 'active'))
    );

-- ---------------------------------------------------------------------------
-- Paper trading: portfolios and watchlists are owned; their positions and
-- items belong to whoever owns the parent (the EXISTS runs under the
-- parent's own-data policy).
-- ---------------------------------------------------------------------------
CREATE POLICY paper_portfolios_all_own ON paper_portfolios
    FOR ALL TO authenticated
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));

CREATE POLICY paper_positions_all_own ON paper_positions
    FOR ALL TO authenticated
    USING (EXISTS (SELECT 1 FROM paper_portfolios pp
                   WHERE pp.id = paper_positions.portfolio_id
                     AND pp.user_id = (SELECT auth.uid())))
    WITH CHECK (EXISTS (SELECT 1 FROM paper_portfolios pp
                        WHERE pp.id = paper_positions.portfolio_id
                          AND pp.user_id = (SELECT auth.uid())));

-- closed positions are history: read and record, never rewrite
CREATE POLICY paper_position_history_select_own ON paper_position_history
    FOR SELECT TO authenticated
    USING (user_id = (SELECT auth.uid()));

CREATE POLICY paper_position_history_insert_own ON paper_position_history
    FOR INSERT TO authenticated
    WITH CHECK (user_id = (SELECT auth.uid()));

CREATE POLICY watchlists_all_own ON watchlists
    FOR ALL TO authenticated
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));

CREATE POLICY watchlist_items_all_own ON watchlist_items
    FOR ALL TO authenticated
    USING (EXISTS (SELECT 1 FROM watchlists w
                   WHERE w.id = watchlist_items.watchlist_id
                     AND w.user_id = (SELECT auth.uid())))
    WITH CHECK (EXISTS (SELECT 1 FROM watchlists w
                        WHERE w.id = watchlist_items.watchlist_id
                          AND w.user_id = (SELECT auth.uid())));

-- ---------------------------------------------------------------------------
-- Settings, keys, analytics
-- ---------------------------------------------------------------------------
CREATE POLICY api_keys_all_own ON api_keys
    FOR ALL TO authenticated
    USING (user_id = (SELECT auth.uid()))
    WITH CHECK (user_id = (SELECT auth.uid()));

-- written by the server; the user may read their own trail and activity
CREATE POLICY audit_logs_select_own ON audit_logs
    FOR SELECT TO authenticated
    USING (user_id = (SELECT auth.uid()));

CREATE POLICY user_activity_select_own ON user_activity
    FOR SELECT TO authenticated
    USING (user_id = (SELECT auth.uid()));
