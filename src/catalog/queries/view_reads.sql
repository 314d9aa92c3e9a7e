-- The relations each view and materialized view in scope reads directly, in any schema (the
-- dependency edges of `dependencies.sql` keep only objects in scope, and the audit must see a
-- view over `auth.users`). For the RLS audit only.
SELECT x.view, array_agg(x.rel ORDER BY x.rel) AS reads
  FROM (SELECT DISTINCT
               quote_ident(vn.nspname) || '.' || quote_ident(v.relname) AS view,
               quote_ident(tn.nspname) || '.' || quote_ident(t.relname) AS rel
          FROM pg_class v
          JOIN pg_namespace vn ON vn.oid = v.relnamespace
          JOIN pg_rewrite r ON r.ev_class = v.oid
          JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                          AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> v.oid
          JOIN pg_class t ON t.oid = d.refobjid
          JOIN pg_namespace tn ON tn.oid = t.relnamespace
         WHERE v.relkind IN ('v', 'm')
           AND t.relkind IN ('r', 'p', 'v', 'm', 'f')
           AND vn.nspname = ANY($1) AND vn.nspname <> ALL($2)) x
 GROUP BY x.view
 ORDER BY 1
