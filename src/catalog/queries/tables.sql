-- Tables, partitioned tables and partitions, with row-level-security flags and privileges.
SELECT c.oid::int8 AS oid,
       c.reltype::int8 AS type_oid,
       n.nspname AS schema,
       c.relname AS name,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS key,
       c.relkind::text AS relkind,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       CASE WHEN c.relispartition THEN
         (SELECT quote_ident(pn.nspname) || '.' || quote_ident(pc.relname)
            FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
            JOIN pg_namespace pn ON pn.oid = pc.relnamespace
           WHERE i.inhrelid = c.oid LIMIT 1) END AS partition_of,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
       (SELECT coalesce(array_agg(quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) ORDER BY i.inhseqno), '{}')
          FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
          JOIN pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE i.inhrelid = c.oid AND NOT c.relispartition) AS inherits,
       c.relpersistence = 'u' AS unlogged,
       quote_ident(pg_get_userbyid(c.relowner)) AS owner,
       coalesce((SELECT array_agg(o ORDER BY o) FROM unnest(c.reloptions) o), '{}') AS options,
       c.relrowsecurity AS rls_enabled,
       c.relforcerowsecurity AS rls_forced,
       (SELECT d.description FROM pg_description d WHERE d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0) AS comment,
       -- the default privileges are the same for every owner (shown as `(owner)`): computed once
       CASE WHEN c.relacl IS NULL THEN (SELECT coalesce(json_agg(g ORDER BY g.grantee, g.privilege), '[]'::json)
          FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                            WHEN a.grantee = 10::oid THEN '(owner)'
                            ELSE coalesce(quote_ident(r.rolname), a.grantee::text) END AS grantee,
                       a.privilege_type AS privilege, a.is_grantable AS grantable
                  FROM aclexplode(acldefault('r', 10::oid)) a
                  LEFT JOIN pg_roles r ON r.oid = a.grantee) g)
            ELSE (SELECT coalesce(json_agg(g ORDER BY g.grantee, g.privilege), '[]'::json)
          FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                            WHEN a.grantee = c.relowner THEN '(owner)'
                            ELSE coalesce(quote_ident(r.rolname), a.grantee::text) END AS grantee,
                       a.privilege_type AS privilege, a.is_grantable AS grantable
                  FROM aclexplode(c.relacl) a
                  LEFT JOIN pg_roles r ON r.oid = a.grantee) g) END AS acl
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND n.nspname = ANY($1) AND n.nspname <> ALL($2)
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 4
