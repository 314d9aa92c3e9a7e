-- Enum, composite (stand-alone, not a table's row type), domain and range types.
SELECT t.oid::int8 AS oid,
       n.nspname AS schema,
       t.typname AS name,
       quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS key,
       t.typtype::text AS kind,
       (SELECT coalesce(array_agg(e.enumlabel::text ORDER BY e.enumsortorder), '{}')
          FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels,
       (SELECT coalesce(array_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
                                  || CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation
                                          THEN ' COLLATE ' || quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
                                          ELSE '' END
                                  ORDER BY a.attnum), '{}')
          FROM pg_attribute a
          JOIN pg_type at ON at.oid = a.atttypid
          LEFT JOIN pg_collation co ON co.oid = a.attcollation
          LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
         WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) AS attributes,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_type,
       t.typnotnull AS not_null,
       t.typdefault AS default_expr,
       (SELECT coalesce(array_agg('CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid)
                                  ORDER BY c.conname), '{}')
          FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c') AS constraints,
       CASE WHEN t.typtype = 'r' THEN
         (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid) END AS range_subtype,
       (SELECT d.description FROM pg_description d WHERE d.objoid = t.oid AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0) AS comment
  FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = ANY($1) AND n.nspname <> ALL($2)
   AND (t.typtype IN ('e', 'd', 'r')
        OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
 ORDER BY 4
