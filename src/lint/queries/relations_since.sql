-- Relations in user schemas whose pg_class row was written since transaction id $1 (strata
-- lint): what a statement that ran outside any transaction block (CREATE INDEX CONCURRENTLY,
-- DROP INDEX CONCURRENTLY) created or changed. Only this session writes to the shadow.
SELECT coalesce(json_agg(json_build_object(
    'oid', c.oid::bigint, 'schema', n.nspname, 'name', c.relname, 'kind', c.relkind::text,
    'filenode', c.relfilenode::bigint, 'rls', c.relrowsecurity,
    'rls_forced', c.relforcerowsecurity,
    'acl', coalesce(c.relacl, acldefault('r', c.relowner))::text[],
    'options', coalesce(c.reloptions, '{}'), 'partition', c.relispartition,
    'index_of', i.indrelid::bigint)), '[]')::text
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_index i ON i.indexrelid = c.oid
WHERE age(c.xmin) <= age($1::xid8::xid)
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
  AND c.relkind IN ('r', 'p', 'v', 'm', 'i', 'I', 'S', 'f')
