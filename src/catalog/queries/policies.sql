-- Row-level-security policies; roles sorted, expressions deparsed by PostgreSQL.
SELECT p.oid::int8 AS oid,
       p.polrelid::int8 AS rel_oid,
       p.polname AS name,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS table_key,
       p.polcmd::text AS command,
       p.polpermissive AS permissive,
       (SELECT coalesce(array_agg(CASE WHEN r.oid = 0 THEN 'public' ELSE quote_ident(ro.rolname) END
                                  ORDER BY CASE WHEN r.oid = 0 THEN 'public' ELSE quote_ident(ro.rolname) END), '{}')
          FROM unnest(p.polroles) r(oid) LEFT JOIN pg_roles ro ON ro.oid = r.oid) AS roles,
       pg_get_expr(p.polqual, p.polrelid) AS using_expr,
       pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr,
       (SELECT d.description FROM pg_description d WHERE d.objoid = p.oid AND d.classoid = 'pg_policy'::regclass AND d.objsubid = 0) AS comment
  FROM pg_policy p
  JOIN pg_class c ON c.oid = p.polrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY($1) AND n.nspname <> ALL($2)
 ORDER BY 4, 3
