-- Table constraints (primary key, foreign key, unique, check, exclusion) as PostgreSQL prints
-- them, without those a table inherits from a parent (a partition's, or a child's merged with
-- its parent's: they follow the parent).
SELECT k.oid::int8 AS oid,
       k.conrelid::int8 AS rel_oid,
       k.conindid::int8 AS index_oid,
       k.conname AS name,
       k.contype::text AS kind,
       pg_get_constraintdef(k.oid) AS definition,
       k.convalidated AS validated,
       k.condeferrable AS deferrable,
       k.condeferred AS deferred,
       CASE WHEN k.contype = 'f' THEN
         (SELECT quote_ident(fn.nspname) || '.' || quote_ident(fc.relname)
            FROM pg_class fc JOIN pg_namespace fn ON fn.oid = fc.relnamespace WHERE fc.oid = k.confrelid) END AS references_table,
       (SELECT coalesce(array_agg(a.attname::text ORDER BY u.ord), '{}')
          FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) AS columns,
       (SELECT d.description FROM pg_description d WHERE d.objoid = k.oid AND d.classoid = 'pg_constraint'::regclass AND d.objsubid = 0) AS comment
  FROM pg_constraint k
  JOIN pg_class c ON c.oid = k.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE k.contype IN ('p', 'f', 'u', 'c', 'x')
   AND c.relkind IN ('r', 'p')
   AND k.coninhcount = 0 AND k.conparentid = 0
   AND n.nspname = ANY($1) AND n.nspname <> ALL($2)
   AND NOT EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
 ORDER BY 2, 4
