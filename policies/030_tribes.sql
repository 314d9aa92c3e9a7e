-- Tribe access: members see their tribe's members, stats and predictions;
-- public tribes are listed for everyone.
--
-- The documented tribe_members policy queried tribe_members from inside a
-- policy on tribe_members, which PostgreSQL rejects at query time with
-- "infinite recursion detected in policy for relation tribe_members"; the
-- membership checks go through the SECURITY DEFINER helpers
-- is_tribe_member() / tribe_member_role() (migration 003, policies/005).

-- ---------------------------------------------------------------------------
-- tribes
-- ---------------------------------------------------------------------------
CREATE POLICY tribes_select_visible ON tribes
    FOR SELECT TO anon, authenticated
    USING (is_public OR public.is_tribe_member(id));

CREATE POLICY tribes_insert_own ON tribes
    FOR INSERT TO authenticated
    WITH CHECK (created_by = (SELECT auth.uid()));

CREATE POLICY tribes_update_leaders ON tribes
    FOR UPDATE TO authenticated
    USING (public.tribe_member_role(id) IN ('leader', 'moderator'))
    WITH CHECK (public.tribe_member_role(id) IN ('leader', 'moderator'));

CREATE POLICY tribes_delete_leader ON tribes
    FOR DELETE TO authenticated
    USING (public.tribe_member_role(id) = 'leader');

-- ---------------------------------------------------------------------------
-- tribe_members
-- ---------------------------------------------------------------------------
CREATE POLICY tribe_members_select_same_tribe ON tribe_members
    FOR SELECT TO authenticated
    USING (public.is_tribe_member(tribe_id));

-- join a public tribe as a member; the creator of a tribe joins it as leader
CREATE POLICY tribe_members_insert_self ON tribe_members
    FOR INSERT TO authenticated
    WITH CHECK (
        user_id = (SELECT auth.uid())
        AND EXISTS (
            SELECT 1 FROM tribes t
            WHERE t.id = tribe_members.tribe_id
              AND ((t.is_public AND tribe_members.role = 'member')
                   OR t.created_by = (SELECT auth.uid()))
        )
    );

-- leaders and moderators manage roles and ranks
CREATE POLICY tribe_members_update_leaders ON tribe_members
    FOR UPDATE TO authenticated
    USING (public.tribe_member_role(tribe_id) IN ('leader', 'moderator'))
    WITH CHECK (public.tribe_member_role(tribe_id) IN ('leader', 'moderator'));

-- leave a tribe, or be removed by its leader
CREATE POLICY tribe_members_delete_self_or_leader ON tribe_members
    FOR DELETE TO authenticated
    USING (user_id = (SELECT auth.uid()) OR public.tribe_member_role(tribe_id) = 'leader');

-- ---------------------------------------------------------------------------
-- tribe_stats: visible with the tribe (the EXISTS runs under tribes' policy)
-- ---------------------------------------------------------------------------
CREATE POLICY tribe_stats_select_visible ON tribe_stats
    FOR SELECT TO anon, authenticated
    USING (EXISTS (SELECT 1 FROM tribes t WHERE t.id = tribe_stats.tribe_id));

-- ---------------------------------------------------------------------------
-- predictions posted into a tribe: visible to its members even when not public
-- ---------------------------------------------------------------------------
CREATE POLICY predictions_select_tribe ON predictions
    FOR SELECT TO authenticated
    USING (tribe_id IS NOT NULL AND public.is_tribe_member(tribe_id));
