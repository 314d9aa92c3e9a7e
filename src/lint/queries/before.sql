-- The committed state (before the migration, or before the statement in a file that runs
-- without a transaction) of catalog rows the statement changed, read on a second connection
-- that does not see the migration's uncommitted work (strata lint). Reads catalogs only, so it
-- never waits for the locks the migration holds.
--
-- $1 relations, $2/$3 columns (relation, attnum), $4 constraints, $5 policies, $6 functions,
-- $7 schemas.
SELECT json_build_object(
    'classes', coalesce((
        SELECT json_agg(json_build_object(
            'oid', c.oid::bigint, 'schema', n.nspname, 'name', c.relname, 'kind', c.relkind::text,
            'filenode', c.relfilenode::bigint, 'rls', c.relrowsecurity,
            'rls_forced', c.relforcerowsecurity,
            'acl', coalesce(c.relacl, acldefault('r', c.relowner))::text[],
            'options', coalesce(c.reloptions, '{}'), 'partition', c.relispartition,
            'index_of', i.indrelid::bigint))
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_index i ON i.indexrelid = c.oid
        WHERE c.oid = ANY ($1::oid[])), '[]'),
    'columns', coalesce((
        SELECT json_agg(json_build_object(
            'relation', a.attrelid::bigint, 'num', a.attnum, 'name', a.attname,
            'type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull,
            'has_default', a.atthasdef, 'dropped', a.attisdropped,
            'identity', a.attidentity <> '', 'generated', a.attgenerated <> ''))
        FROM pg_attribute a
        JOIN unnest($2::oid[], $3::int2[]) AS k (relation, num)
          ON a.attrelid = k.relation AND a.attnum = k.num), '[]'),
    'constraints', coalesce((
        SELECT json_agg(json_build_object(
            'oid', co.oid::bigint, 'name', co.conname, 'kind', co.contype::text,
            'validated', co.convalidated, 'relation', co.conrelid::bigint,
            'references', nullif(co.confrelid, 0)::bigint))
        FROM pg_constraint co WHERE co.oid = ANY ($4::oid[])), '[]'),
    'policies', coalesce((
        SELECT json_agg(json_build_object('oid', p.oid::bigint, 'relation', p.polrelid::bigint, 'name', p.polname))
        FROM pg_policy p WHERE p.oid = ANY ($5::oid[])), '[]'),
    'functions', coalesce((
        SELECT json_agg(json_build_object(
            'oid', p.oid::bigint, 'schema', n.nspname, 'signature', p.oid::regprocedure::text,
            'security_definer', p.prosecdef, 'config', coalesce(p.proconfig, '{}'),
            'acl', coalesce(p.proacl, acldefault('f', p.proowner))::text[]))
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.oid = ANY ($6::oid[])), '[]'),
    'schemas', coalesce((
        SELECT json_agg(json_build_object(
            'oid', n.oid::bigint, 'name', n.nspname,
            'acl', coalesce(n.nspacl, acldefault('n', n.nspowner))::text[]))
        FROM pg_namespace n WHERE n.oid = ANY ($7::oid[])), '[]')
)::text
