-- Functions and procedures (not aggregates, not the constructors PostgreSQL makes for a range
-- type: those are internal to it), with PostgreSQL's own CREATE statement.
SELECT p.oid::int8 AS oid,
       n.nspname AS schema,
       p.proname AS name,
       p.oid::regprocedure::text AS key,
       p.prokind::text AS prokind,
       quote_ident(pg_get_userbyid(p.proowner)) AS owner,
       pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_identity_arguments(p.oid) AS identity_arguments,
       pg_get_function_result(p.oid) AS result,
       l.lanname AS language,
       p.provolatile::text AS volatility,
       p.prosecdef AS security_definer,
       p.proleakproof AS leakproof,
       p.proisstrict AS strict,
       p.proparallel::text AS parallel,
       coalesce(p.proconfig, '{}') AS config,
       pg_get_functiondef(p.oid) AS definition,
       p.prosqlbody IS NOT NULL AS sql_body,
       (SELECT d.description FROM pg_description d WHERE d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0) AS comment,
       -- the default privileges are the same for every owner (shown as `(owner)`): computed once
       CASE WHEN p.proacl IS NULL THEN (SELECT coalesce(json_agg(g ORDER BY g.grantee, g.privilege), '[]'::json)
          FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                            WHEN a.grantee = 10::oid THEN '(owner)'
                            ELSE coalesce(quote_ident(r.rolname), a.grantee::text) END AS grantee,
                       a.privilege_type AS privilege, a.is_grantable AS grantable
                  FROM aclexplode(acldefault('f', 10::oid)) a
                  LEFT JOIN pg_roles r ON r.oid = a.grantee) g)
            ELSE (SELECT coalesce(json_agg(g ORDER BY g.grantee, g.privilege), '[]'::json)
          FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                            WHEN a.grantee = p.proowner THEN '(owner)'
                            ELSE coalesce(quote_ident(r.rolname), a.grantee::text) END AS grantee,
                       a.privilege_type AS privilege, a.is_grantable AS grantable
                  FROM aclexplode(p.proacl) a
                  LEFT JOIN pg_roles r ON r.oid = a.grantee) g) END AS acl
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
 WHERE p.prokind IN ('f', 'p', 'w')
   AND n.nspname = ANY($1) AND n.nspname <> ALL($2)
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype IN ('e', 'i'))
 ORDER BY 4
