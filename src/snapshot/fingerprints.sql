-- One row per top-level object in scope (schema, extension, type, sequence, relation, function),
-- keyed as the catalog reader keys it, with an md5 over the row versions (xmin) of the catalog
-- rows that make it up: the object's own row and those of its parts (columns, defaults,
-- constraints, indexes, triggers, policies, rules, inheritance, comments, enum labels). A row's
-- xmin changes whenever the row is written (created, or updated: PostgreSQL updates catalog rows
-- in place only for statistics and flags that VACUUM, ANALYZE and CREATE INDEX maintain, none of
-- which the catalog reader reads), and a deleted row drops out of its list, so an object whose
-- rows were not touched keeps its fingerprint. No deparser runs and no row is turned into text:
-- this is the cheap read that tells which objects to read in full. A row written back with the
-- same content fingerprints differently (a false alarm costs one full read of that object).
-- Runs with search_path = pg_catalog, like the catalog reader (regprocedure keys).
WITH ns AS (
  SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY($1) AND nspname <> ALL($2)
)
SELECT 'schema' AS kind, quote_ident(n.nspname) AS key, n.oid::int8 AS oid,
       md5(row(n.xmin, (SELECT array_agg(d.xmin::text) FROM pg_description d
                      WHERE d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass))::text) AS fp
  FROM pg_namespace n JOIN ns ON ns.oid = n.oid
UNION ALL
SELECT 'extension', quote_ident(e.extname), e.oid::int8,
       md5(row(e.xmin, (SELECT array_agg(d.xmin::text) FROM pg_description d
                      WHERE d.objoid = e.oid AND d.classoid = 'pg_extension'::regclass))::text)
  FROM pg_extension e JOIN ns ON ns.oid = e.extnamespace
UNION ALL
SELECT 'type', quote_ident(ns.nspname) || '.' || quote_ident(t.typname), t.oid::int8,
       md5(row(t.xmin,
               (SELECT array_agg(e.xmin::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
               (SELECT array_agg(k.xmin::text ORDER BY k.conname) FROM pg_constraint k WHERE k.contypid = t.oid),
               (SELECT array_agg(a.xmin::text ORDER BY a.attnum) FROM pg_attribute a
                 WHERE a.attrelid = t.typrelid AND t.typrelid <> 0 AND a.attnum > 0),
               (SELECT r.xmin::text FROM pg_range r WHERE r.rngtypid = t.oid),
               (SELECT array_agg(d.xmin::text ORDER BY d.objsubid) FROM pg_description d
                 WHERE d.objoid = t.oid AND d.classoid = 'pg_type'::regclass))::text)
  FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
 WHERE (t.typtype IN ('e', 'd', 'r')
        OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
   AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_type'::regclass AND x.objid = t.oid
                                                AND x.deptype = 'e')
UNION ALL
SELECT 'function', p.oid::regprocedure::text, p.oid::int8,
       md5(row(p.xmin, (SELECT array_agg(d.xmin::text) FROM pg_description d
                      WHERE d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass))::text)
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
 WHERE p.prokind IN ('f', 'p', 'w')
   AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_proc'::regclass AND x.objid = p.oid
                                                AND x.deptype = 'e')
UNION ALL
SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'relation' END,
       quote_ident(ns.nspname) || '.' || quote_ident(c.relname), c.oid::int8,
       md5(row(c.xmin,
               (SELECT s.xmin::text FROM pg_sequence s WHERE s.seqrelid = c.oid),
               (SELECT array_agg(o.xmin::text ORDER BY o.refobjid, o.refobjsubid)
                  FROM pg_depend o WHERE c.relkind = 'S' AND o.classid = 'pg_class'::regclass
                   AND o.objid = c.oid AND o.refclassid = 'pg_class'::regclass),
               (SELECT array_agg(a.xmin::text ORDER BY a.attnum) FROM pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0),
               (SELECT array_agg(ad.xmin::text ORDER BY ad.adnum) FROM pg_attrdef ad WHERE ad.adrelid = c.oid),
               (SELECT array_agg(k.xmin::text ORDER BY k.conname, k.oid) FROM pg_constraint k WHERE k.conrelid = c.oid),
               (SELECT array_agg(row(ic.xmin, i.xmin)::text
                                 ORDER BY ic.relname)
                  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid),
               (SELECT array_agg(g.xmin::text ORDER BY g.tgname) FROM pg_trigger g WHERE g.tgrelid = c.oid),
               (SELECT array_agg(pl.xmin::text ORDER BY pl.polname) FROM pg_policy pl WHERE pl.polrelid = c.oid),
               (SELECT array_agg(rw.xmin::text ORDER BY rw.rulename) FROM pg_rewrite rw WHERE rw.ev_class = c.oid),
               (SELECT array_agg(h.xmin::text ORDER BY h.inhseqno) FROM pg_inherits h WHERE h.inhrelid = c.oid),
               (SELECT pt.xmin::text FROM pg_partitioned_table pt WHERE pt.partrelid = c.oid),
               (SELECT array_agg(x.t ORDER BY x.t) FROM (
                  SELECT row(d.objsubid, d.xmin)::text AS t FROM pg_description d
                   WHERE d.objoid = c.oid AND d.classoid = 'pg_class'::regclass
                  UNION ALL
                  SELECT row(ic.relname, d.xmin)::text FROM pg_index i
                    JOIN pg_class ic ON ic.oid = i.indexrelid
                    JOIN pg_description d ON d.objoid = i.indexrelid AND d.classoid = 'pg_class'::regclass
                   WHERE i.indrelid = c.oid
                  UNION ALL
                  SELECT row(k.conname, d.xmin)::text FROM pg_constraint k
                    JOIN pg_description d ON d.objoid = k.oid AND d.classoid = 'pg_constraint'::regclass
                   WHERE k.conrelid = c.oid
                  UNION ALL
                  SELECT row(g.tgname, d.xmin)::text FROM pg_trigger g
                    JOIN pg_description d ON d.objoid = g.oid AND d.classoid = 'pg_trigger'::regclass
                   WHERE g.tgrelid = c.oid
                  UNION ALL
                  SELECT row(pl.polname, d.xmin)::text FROM pg_policy pl
                    JOIN pg_description d ON d.objoid = pl.oid AND d.classoid = 'pg_policy'::regclass
                   WHERE pl.polrelid = c.oid) x))::text)
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
   AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid
                                                AND x.deptype = 'e')
   -- identity sequences belong to their column
   AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                          AND d.objid = c.oid AND d.deptype = 'i'))
