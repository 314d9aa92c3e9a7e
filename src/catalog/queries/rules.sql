-- Rewrite rules on tables and views in scope, other than a view's own `_RETURN` rule.
SELECT r.oid::int8 AS oid,
       c.oid::int8 AS rel_oid,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS relation_key,
       c.relkind::text AS relkind,
       r.rulename AS name,
       pg_get_ruledef(r.oid) AS definition,
       r.ev_enabled::text AS enabled,
       (SELECT d.description FROM pg_description d WHERE d.objoid = r.oid AND d.classoid = 'pg_rewrite'::regclass AND d.objsubid = 0) AS comment
  FROM pg_rewrite r
  JOIN pg_class c ON c.oid = r.ev_class
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE r.rulename <> '_RETURN'
   AND n.nspname = ANY($1) AND n.nspname <> ALL($2)
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 3, 5
