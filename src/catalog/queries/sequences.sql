-- Sequences that are not identity sequences (those belong to their column).
SELECT c.oid::int8 AS oid,
       n.nspname AS schema,
       c.relname AS name,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS key,
       format_type(s.seqtypid, NULL) AS data_type,
       s.seqstart AS start, s.seqincrement AS increment, s.seqmin AS min_value, s.seqmax AS max_value,
       s.seqcache AS cache, s.seqcycle AS cycle,
       quote_ident(pg_get_userbyid(c.relowner)) AS owner,
       (SELECT quote_ident(tn.nspname) || '.' || quote_ident(tc.relname) || '.' || quote_ident(ta.attname)
          FROM pg_depend d
          JOIN pg_class tc ON tc.oid = d.refobjid
          JOIN pg_namespace tn ON tn.oid = tc.relnamespace
          JOIN pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid
         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
           AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' LIMIT 1) AS owned_by,
       (SELECT d.description FROM pg_description d WHERE d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0) AS comment,
       -- the default privileges are the same for every owner (shown as `(owner)`): computed once
       CASE WHEN c.relacl IS NULL THEN (SELECT coalesce(json_agg(g ORDER BY g.grantee, g.privilege), '[]'::json)
          FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                            WHEN a.grantee = 10::oid THEN '(owner)'
                            ELSE coalesce(quote_ident(r.rolname), a.grantee::text) END AS grantee,
                       a.privilege_type AS privilege, a.is_grantable AS grantable
                  FROM aclexplode(acldefault('s', 10::oid)) a
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
  JOIN pg_sequence s ON s.seqrelid = c.oid
 WHERE c.relkind = 'S'
   AND n.nspname = ANY($1) AND n.nspname <> ALL($2)
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'i'))
 ORDER BY 4
