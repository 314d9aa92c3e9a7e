-- User triggers (not the internal ones behind foreign keys, not clones on partitions).
SELECT g.oid::int8 AS oid,
       g.tgrelid::int8 AS rel_oid,
       g.tgname AS name,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS table_key,
       pg_get_triggerdef(g.oid) AS definition,
       g.tgenabled::text AS enabled,
       (SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.oid = g.tgfoid) AS function,
       g.tgconstraint <> 0 AS constraint_trigger,
       (SELECT d.description FROM pg_description d WHERE d.objoid = g.oid AND d.classoid = 'pg_trigger'::regclass AND d.objsubid = 0) AS comment
  FROM pg_trigger g
  JOIN pg_class c ON c.oid = g.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE NOT g.tgisinternal AND g.tgparentid = 0
   AND n.nspname = ANY($1) AND n.nspname <> ALL($2)
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
 ORDER BY 4, 3
