-- Enum, composite (stand-alone, not a table's row type), domain and range types, with their
-- labels, attributes (with comments) or domain constraints, owner and privileges.
SELECT t.oid::int8 AS oid,
       n.nspname AS schema,
       t.typname AS name,
       quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS key,
       t.typtype::text AS kind,
       quote_ident(pg_get_userbyid(t.typowner)) AS owner,
       coalesce(en.labels, '{}') AS labels,
       coalesce(att.attributes, '[]'::json) AS attributes,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_type,
       CASE WHEN t.typtype = 'd' AND t.typcollation <> 0 AND t.typcollation <> bt.typcollation
            THEN quote_ident(dcn.nspname) || '.' || quote_ident(dco.collname) END AS collation,
       t.typnotnull AS not_null,
       t.typdefault AS default_expr,
       coalesce(con.constraints, '[]'::json) AS constraints,
       CASE WHEN t.typtype = 'r' THEN format_type(rg.rngsubtype, NULL) END AS range_subtype,
       (SELECT d.description FROM pg_description d WHERE d.objoid = t.oid AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0) AS comment,
       -- the default privileges are the same for every owner (shown as `(owner)`): computed once
       CASE WHEN t.typacl IS NULL THEN (SELECT coalesce(json_agg(g ORDER BY g.grantee, g.privilege), '[]'::json)
          FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                            WHEN a.grantee = 10::oid THEN '(owner)'
                            ELSE coalesce(quote_ident(r.rolname), a.grantee::text) END AS grantee,
                       a.privilege_type AS privilege, a.is_grantable AS grantable
                  FROM aclexplode(acldefault('T', 10::oid)) a
                  LEFT JOIN pg_roles r ON r.oid = a.grantee) g)
            ELSE (SELECT coalesce(json_agg(g ORDER BY g.grantee, g.privilege), '[]'::json)
          FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'
                            WHEN a.grantee = t.typowner THEN '(owner)'
                            ELSE coalesce(quote_ident(r.rolname), a.grantee::text) END AS grantee,
                       a.privilege_type AS privilege, a.is_grantable AS grantable
                  FROM aclexplode(t.typacl) a
                  LEFT JOIN pg_roles r ON r.oid = a.grantee) g) END AS acl
  FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_class rc ON rc.oid = t.typrelid
  LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
  LEFT JOIN pg_collation dco ON dco.oid = t.typcollation
  LEFT JOIN pg_namespace dcn ON dcn.oid = dco.collnamespace
  LEFT JOIN pg_range rg ON rg.rngtypid = t.oid
  LEFT JOIN LATERAL (
       SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
         FROM pg_enum e WHERE e.enumtypid = t.oid) en ON t.typtype = 'e'
  LEFT JOIN LATERAL (
       SELECT json_agg(json_build_object(
                'name', a.attname,
                'data_type', format_type(a.atttypid, a.atttypmod),
                'collation', CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation
                                  THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END,
                'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum)) ORDER BY a.attnum) AS attributes
         FROM pg_attribute a
         JOIN pg_type at ON at.oid = a.atttypid
         LEFT JOIN pg_collation co ON co.oid = a.attcollation
         LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
        WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) att ON t.typtype = 'c'
  LEFT JOIN LATERAL (
       SELECT json_agg(json_build_object(
                'name', c.conname,
                'definition', pg_get_constraintdef(c.oid),
                'validated', c.convalidated,
                'comment', (SELECT d.description FROM pg_description d WHERE d.objoid = c.oid AND d.classoid = 'pg_constraint'::regclass AND d.objsubid = 0)) ORDER BY c.conname) AS constraints
         FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c') con ON t.typtype = 'd'
 WHERE n.nspname = ANY($1) AND n.nspname <> ALL($2)
   AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND rc.relkind = 'c'))
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
 ORDER BY 4
