-- Schemas in scope. $1: schemas to include, $2: schemas to exclude.
SELECT n.oid::int8 AS oid,
       n.nspname AS name,
       quote_ident(n.nspname) AS key,
       quote_ident(pg_get_userbyid(n.nspowner)) AS owner,
       obj_description(n.oid, 'pg_namespace') AS comment,
       (SELECT coalesce(json_agg(g ORDER BY g.grantee, g.privilege), '[]'::json)
          FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                            WHEN a.grantee = n.nspowner THEN '(owner)'
                            ELSE coalesce(quote_ident(r.rolname), a.grantee::text) END AS grantee,
                       a.privilege_type AS privilege, a.is_grantable AS grantable
                  FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
                  LEFT JOIN pg_roles r ON r.oid = a.grantee) g) AS acl
  FROM pg_namespace n
 WHERE n.nspname = ANY($1) AND n.nspname <> ALL($2)
 ORDER BY 2
