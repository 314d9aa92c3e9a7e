-- The end state, inside the migration's transaction, of what the security rules judge
-- (strata lint): the policies it created or changed with their expressions, and the views it
-- defined with the tables they read (through other views too) and those tables' row-level
-- security.
--
-- $1 policies, $2 views.
WITH RECURSIVE reads (view, relation) AS (
    SELECT r.ev_class, d.refobjid
    FROM pg_rewrite r
    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                    AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
    WHERE r.ev_class = ANY ($2::oid[])
    UNION
    SELECT reads.view, d.refobjid
    FROM reads
    JOIN pg_rewrite r ON r.ev_class = reads.relation
    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                    AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
)
SELECT json_build_object(
    'policies', coalesce((
        SELECT json_agg(json_build_object(
            'oid', p.oid::bigint, 'relation', p.polrelid::bigint,
            'table', quote_ident(n.nspname) || '.' || quote_ident(c.relname),
            'name', p.polname,
            'command', CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
                       WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
            'permissive', p.polpermissive,
            'roles', ARRAY(SELECT CASE r WHEN 0 THEN 'public' ELSE pg_get_userbyid(r)::text END
                           FROM unnest(p.polroles) r ORDER BY 1),
            'using', pg_get_expr(p.polqual, p.polrelid),
            'check', pg_get_expr(p.polwithcheck, p.polrelid)))
        FROM pg_policy p
        JOIN pg_class c ON c.oid = p.polrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE p.oid = ANY ($1::oid[])), '[]'),
    'views', coalesce((
        SELECT json_agg(json_build_object(
            'relation', json_build_object(
                'oid', v.oid::bigint, 'schema', vn.nspname, 'name', v.relname, 'kind', v.relkind::text,
                'filenode', v.relfilenode::bigint, 'rls', v.relrowsecurity,
                'rls_forced', v.relforcerowsecurity,
                'acl', coalesce(v.relacl, acldefault('r', v.relowner))::text[],
                'options', coalesce(v.reloptions, '{}'), 'partition', v.relispartition,
                'index_of', NULL),
            'base_tables', coalesce((
                SELECT json_agg(DISTINCT jsonb_build_object(
                    'oid', t.oid::bigint,
                    'name', quote_ident(tn.nspname) || '.' || quote_ident(t.relname),
                    'rls', t.relrowsecurity))
                FROM reads
                JOIN pg_class t ON t.oid = reads.relation AND t.relkind IN ('r', 'p', 'f')
                JOIN pg_namespace tn ON tn.oid = t.relnamespace
                WHERE reads.view = v.oid), '[]')))
        FROM pg_class v
        JOIN pg_namespace vn ON vn.oid = v.relnamespace
        WHERE v.oid = ANY ($2::oid[]) AND v.relkind IN ('v', 'm')), '[]')
)::text
