-- The oids of every relation in a user schema (strata lint), read before `CREATE INDEX
-- CONCURRENTLY` so that the relations it writes can be told apart: new or existing.
SELECT coalesce(array_agg(c.oid::bigint), '{}')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
  AND c.relkind IN ('r', 'p', 'v', 'm', 'i', 'I', 'S', 'f')
