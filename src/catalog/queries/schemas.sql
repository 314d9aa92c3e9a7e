-- Schemas in scope. $1: schemas to include, $2: schemas to exclude.
SELECT n.oid::int8 AS oid,
       n.nspname AS name,
       quote_ident(n.nspname) AS key,
       quote_ident(pg_get_userbyid(n.nspowner)) AS owner,
       (SELECT d.description FROM pg_description d WHERE d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0) AS comment,
       -- the default privileges are the same for every owner (shown as `(owner)`): computed once
       CASE WHEN n.nspacl IS NULL THEN (SELECT coalesce(json_agg(g ORDER BY g.grantee, g.privilege), '[]'::json)
          FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                            WHEN a.grantee = 10::oid THEN '(owner)'
                            ELSE coalesce(quote_ident(r.rolname), a.grantee::text) END AS grantee,
                       a.privilege_type AS privilege, a.is_grantable AS grantable
                  FROM aclexplode(acldefault('n', 10::oid)) a
                  LEFT JOIN pg_roles r ON r.oid = a.grantee) g)
            ELSE (SELECT coalesce(json_agg(g ORDER BY g.grantee, g.privilege), '[]'::json)
          FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                            WHEN a.grantee = n.nspowner THEN '(owner)'
                            ELSE coalesce(quote_ident(r.rolname), a.grantee::text) END AS grantee,
                       a.privilege_type AS privilege, a.is_grantable AS grantable
                  FROM aclexplode(n.nspacl) a
                  LEFT JOIN pg_roles r ON r.oid = a.grantee) g) END AS acl
  FROM pg_namespace n
 WHERE n.nspname = ANY($1) AND n.nspname <> ALL($2)
 ORDER BY 2
