-- ALTER DEFAULT PRIVILEGES entries: global ones, and those for a schema in scope. The role's
-- own privileges are written `(owner)`.
SELECT quote_ident(pg_get_userbyid(d.defaclrole)) AS role,
       n.nspname AS schema,
       d.defaclobjtype::text AS objects,
       (SELECT coalesce(json_agg(g ORDER BY g.grantee, g.privilege), '[]'::json)
          FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                            WHEN a.grantee = d.defaclrole THEN '(owner)'
                            ELSE coalesce(quote_ident(r.rolname), a.grantee::text) END AS grantee,
                       a.privilege_type AS privilege, a.is_grantable AS grantable
                  FROM aclexplode(d.defaclacl) a
                  LEFT JOIN pg_roles r ON r.oid = a.grantee) g) AS acl
  FROM pg_default_acl d
  LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
 WHERE d.defaclnamespace = 0 OR (n.nspname = ANY($1) AND n.nspname <> ALL($2))
 ORDER BY 1, 2 NULLS FIRST, 3
