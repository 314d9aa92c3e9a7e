-- Columns of tables, views and materialized views in scope (one row per column).
SELECT c.oid::int8 AS rel_oid,
       a.attnum::int4 AS num,
       a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS data_type,
       a.attnotnull AS not_null,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS default_expr,
       CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END AS generated,
       a.attgenerated::text AS generated_kind,
       a.attidentity::text AS identity,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
            THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS collation,
       a.attislocal AS local,
       (SELECT d.description FROM pg_description d WHERE d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum) AS comment,
       CASE WHEN a.attacl IS NULL THEN '[]'::json ELSE
       (SELECT coalesce(json_agg(g ORDER BY g.grantee, g.privilege), '[]'::json)
          FROM (SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC'
                            WHEN x.grantee = c.relowner THEN '(owner)'
                            ELSE coalesce(quote_ident(r.rolname), x.grantee::text) END AS grantee,
                       x.privilege_type AS privilege, x.is_grantable AS grantable
                  FROM aclexplode(a.attacl) x
                  LEFT JOIN pg_roles r ON r.oid = x.grantee) g) END AS acl
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
  LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm')
   AND a.attnum > 0 AND NOT a.attisdropped
   AND n.nspname = ANY($1) AND n.nspname <> ALL($2)
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
 ORDER BY 1, 2
