-- Indexes on tables and materialized views, except those that implement a constraint and
-- those a partition gets from its parent's partitioned index.
SELECT i.indexrelid::int8 AS oid,
       i.indrelid::int8 AS rel_oid,
       n.nspname AS schema,
       ic.relname AS name,
       quote_ident(n.nspname) || '.' || quote_ident(ic.relname) AS key,
       quote_ident(tn.nspname) || '.' || quote_ident(tc.relname) AS table_key,
       pg_get_indexdef(i.indexrelid) AS definition,
       i.indisunique AS is_unique,
       i.indisvalid AS valid,
       i.indpred IS NOT NULL AS partial,
       i.indexprs IS NOT NULL AS expression,
       (SELECT d.description FROM pg_description d WHERE d.objoid = ic.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0) AS comment
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = ic.relnamespace
  JOIN pg_class tc ON tc.oid = i.indrelid
  JOIN pg_namespace tn ON tn.oid = tc.relnamespace
 WHERE tc.relkind IN ('r', 'p', 'm')
   AND tn.nspname = ANY($1) AND tn.nspname <> ALL($2)
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
   AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = tc.oid AND e.deptype = 'e')
 ORDER BY 5
