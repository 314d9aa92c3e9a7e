-- Policy helper functions, declared here as well as in the migrations that
-- created them (001, 003), with identical definitions: re-applying this
-- folder changes nothing.
--
-- All of them are SECURITY DEFINER with an empty search_path (every name is
-- schema-qualified): policies call them to look the caller up in users and
-- tribe_members without going through those tables' own policies, which
-- would recurse. Policies call them wrapped in a scalar subquery,
-- (SELECT public.is_admin()), so they run once per statement, not per row.

-- role of the signed-in user ('admin' | 'user' | 'moderator'), NULL if none
CREATE OR REPLACE FUNCTION app_user_role()
RETURNS VARCHAR AS $$
    SELECT u.role FROM public.users u WHERE u.id = (SELECT auth.uid());
$$ LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '';

-- the signed-in user is an active admin (replaces the documented
-- current_setting('app.current_user_role') check, which any client could SET)
CREATE OR REPLACE FUNCTION is_admin()
RETURNS BOOLEAN AS $$
    SELECT EXISTS (
        SELECT 1 FROM public.users u
        WHERE u.id = (SELECT auth.uid())
          AND u.role = 'admin'
          AND u.is_active
    );
$$ LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '';

-- the signed-in user's role in a tribe, NULL when not a member
CREATE OR REPLACE FUNCTION tribe_member_role(p_tribe_id UUID)
RETURNS VARCHAR AS $$
    SELECT tm.role FROM public.tribe_members tm
    WHERE tm.tribe_id = p_tribe_id
      AND tm.user_id = (SELECT auth.uid());
$$ LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '';

-- the signed-in user belongs to the tribe
CREATE OR REPLACE FUNCTION is_tribe_member(p_tribe_id UUID)
RETURNS BOOLEAN AS $$
    SELECT EXISTS (
        SELECT 1 FROM public.tribe_members tm
        WHERE tm.tribe_id = p_tribe_id
          AND tm.user_id = (SELECT auth.uid())
    );
$$ LANGUAGE sql STABLE SECURITY DEFINER SET search_path = '';
