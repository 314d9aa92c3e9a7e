-- The top-level objects (catalog, oid) with a row written at or after the transaction id $1 (see
-- `fingerprints.sql`, which this completes; the two run at once, on two connections, in the same
-- state), besides their own row and the rows `fingerprints.sql` counts:
--   - rows that never go away without a write to a row of the same object, or the object itself
--     going: columns (DROP COLUMN marks the row), defaults (dropping or replacing one writes its
--     column's `atthasdef`), sequence and partitioning rows, an identity column's sequence (DROP
--     IDENTITY writes the column), enum labels, ranges, an index's own row;
--   - any row of what its parts depend on by name (`pg_depend`: a referenced table, column,
--     type, function, collation or schema, which the deparsers print by name: a view reads
--     differently when a table it selects from is renamed, without a write to the view's own
--     rows), and its parts' dependency rows written since.
-- Only the rows written since $1 are followed, so the cost is one scan of each catalog's user
-- part (pg_attribute and pg_depend once each) and a lookup per written row. Objects outside the
-- schemas in scope may be named: the caller keeps those of `fingerprints.sql`'s rows.
WITH b AS (SELECT coalesce(age($1::text::xid), -2147483648) AS age),
-- The name dependencies written since $1 (pg_depend has no index on objid alone: one scan).
dep AS MATERIALIZED (
  SELECT d.classid, d.objid
    FROM pg_depend d, b
   WHERE d.objid >= 16384
     AND d.deptype IN ('n', 'a') AND age(d.xmin) <= b.age
),
-- Relations (and indexes, sequences, composite types) written since $1, scanned once.
class_new AS MATERIALIZED (
  SELECT c.oid, c.relkind FROM pg_class c, b WHERE c.oid >= 16384 AND age(c.xmin) <= b.age
),
-- Columns written since $1 (pg_attribute, the largest catalog, scanned once).
attr_new AS MATERIALIZED (
  SELECT DISTINCT a.attrelid FROM pg_attribute a, b
   WHERE a.attnum > 0 AND a.attrelid >= 16384 AND age(a.xmin) <= b.age
),
-- Rows written since $1 that belong to a top-level object (catalog, oid): a table's columns,
-- defaults and sequences, an index's own row (its table's), a composite type's columns (the
-- type's), enum labels and ranges.
more AS (
  SELECT 'pg_class'::regclass AS cls, an.attrelid AS top FROM attr_new an
  UNION ALL
  -- (lookups by oid here and below: few rows are written between two readings, and a generic
  -- plan cannot know that, so the subqueries are kept from being flattened into joins)
  SELECT 'pg_type'::regclass, c.reltype
    FROM attr_new an,
         LATERAL (SELECT c.reltype FROM pg_class c
                   WHERE c.oid = an.attrelid AND c.relkind = 'c' OFFSET 0) c
  UNION ALL
  SELECT 'pg_class'::regclass, pt.partrelid FROM pg_partitioned_table pt, b
   WHERE age(pt.xmin) <= b.age
  UNION ALL
  SELECT 'pg_class'::regclass, s.seqrelid FROM pg_sequence s, b
   WHERE s.seqrelid >= 16384 AND age(s.xmin) <= b.age
  UNION ALL
  -- an identity column's sequence (its options are the column's)
  SELECT 'pg_class'::regclass, d.refobjid
    FROM pg_sequence s, b,
         LATERAL (SELECT d.refobjid FROM pg_depend d
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
                     AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i' OFFSET 0) d
   WHERE s.seqrelid >= 16384 AND age(s.xmin) <= b.age
  UNION ALL
  SELECT 'pg_class'::regclass, d.refobjid
    FROM class_new sc,
         LATERAL (SELECT d.refobjid FROM pg_depend d
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = sc.oid
                     AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i' OFFSET 0) d
   WHERE sc.relkind = 'S'
  UNION ALL
  SELECT 'pg_type'::regclass, e.enumtypid FROM pg_enum e, b
   WHERE e.enumtypid >= 16384 AND age(e.xmin) <= b.age
  UNION ALL
  SELECT 'pg_type'::regclass, r.rngtypid FROM pg_range r, b
   WHERE r.rngtypid >= 16384 AND age(r.xmin) <= b.age
  UNION ALL
  -- an index's own row (it goes with its pg_index row, which is counted)
  SELECT 'pg_class'::regclass, i.indrelid
    FROM class_new ic,
         LATERAL (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = ic.oid OFFSET 0) i
   WHERE ic.relkind IN ('i', 'I')
  UNION ALL
  -- a default (its column's row is written with it; followed for what the default names)
  SELECT 'pg_class'::regclass, ad.adrelid FROM pg_attrdef ad, b
   WHERE ad.adrelid >= 16384 AND age(ad.xmin) <= b.age
),
-- Rows written since $1 that parts may depend on by name, and dependency rows written since.
written AS (
  SELECT 'pg_class'::regclass AS cls, c.oid FROM class_new c
  UNION
  SELECT 'pg_class'::regclass, an.attrelid FROM attr_new an
  UNION
  SELECT 'pg_type'::regclass, t.oid FROM pg_type t, b WHERE t.oid >= 16384 AND age(t.xmin) <= b.age
  UNION
  SELECT 'pg_proc'::regclass, p.oid FROM pg_proc p, b WHERE p.oid >= 16384 AND age(p.xmin) <= b.age
  UNION
  SELECT 'pg_collation'::regclass, l.oid FROM pg_collation l, b
   WHERE l.oid >= 16384 AND age(l.xmin) <= b.age
  UNION
  SELECT 'pg_namespace'::regclass, n.oid FROM pg_namespace n, b WHERE age(n.xmin) <= b.age
),
-- Objects whose dependencies were written: what depends on a written row (or on an object in
-- a written schema), and the owners of dependency rows written since $1.
touched AS (
  -- (a lookup per written row: few rows are written between two readings, and a generic plan
  -- cannot know that, so the subquery is kept from being flattened into a sorted join)
  SELECT d.classid, d.objid
    FROM written w
   CROSS JOIN LATERAL (SELECT d.classid, d.objid FROM pg_depend d
                        WHERE d.refclassid = w.cls AND d.refobjid = w.oid
                          AND d.deptype IN ('n', 'a') OFFSET 0) d
  UNION
  SELECT d.classid, d.objid
    FROM written w
    JOIN pg_class rc ON w.cls = 'pg_namespace'::regclass AND rc.relnamespace = w.oid
    JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = rc.oid
                    AND d.deptype IN ('n', 'a')
  UNION
  SELECT d.classid, d.objid
    FROM written w
    JOIN pg_type rt ON w.cls = 'pg_namespace'::regclass AND rt.typnamespace = w.oid
    JOIN pg_depend d ON d.refclassid = 'pg_type'::regclass AND d.refobjid = rt.oid
                    AND d.deptype IN ('n', 'a')
  UNION
  SELECT d.classid, d.objid
    FROM written w
    JOIN pg_proc rp ON w.cls = 'pg_namespace'::regclass AND rp.pronamespace = w.oid
    JOIN pg_depend d ON d.refclassid = 'pg_proc'::regclass AND d.refobjid = rp.oid
                    AND d.deptype IN ('n', 'a')
  UNION
  SELECT d.classid, d.objid
    FROM written w
    JOIN pg_collation rl ON w.cls = 'pg_namespace'::regclass AND rl.collnamespace = w.oid
    JOIN pg_depend d ON d.refclassid = 'pg_collation'::regclass AND d.refobjid = rl.oid
                    AND d.deptype IN ('n', 'a')
  UNION
  SELECT d.classid, d.objid FROM dep d
),
-- The top-level objects those parts belong to.
touched_tops AS (
  SELECT t.classid::regclass AS cls, t.objid AS top FROM touched t
  UNION
  SELECT 'pg_class'::regclass, x.indrelid FROM touched t,
         LATERAL (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = t.objid OFFSET 0) x
   WHERE t.classid = 'pg_class'::regclass
  UNION
  SELECT 'pg_type'::regclass, x.reltype FROM touched t,
         LATERAL (SELECT c.reltype FROM pg_class c
                   WHERE c.oid = t.objid AND c.relkind = 'c' OFFSET 0) x
   WHERE t.classid = 'pg_class'::regclass
  UNION
  SELECT 'pg_class'::regclass, x.adrelid FROM touched t,
         LATERAL (SELECT ad.adrelid FROM pg_attrdef ad WHERE ad.oid = t.objid OFFSET 0) x
   WHERE t.classid = 'pg_attrdef'::regclass
  UNION
  SELECT x.cls, x.top FROM touched t,
         LATERAL (SELECT CASE WHEN k.conrelid <> 0 THEN 'pg_class'::regclass
                              ELSE 'pg_type'::regclass END AS cls,
                         CASE WHEN k.conrelid <> 0 THEN k.conrelid ELSE k.contypid END AS top
                    FROM pg_constraint k WHERE k.oid = t.objid OFFSET 0) x
   WHERE t.classid = 'pg_constraint'::regclass
  UNION
  SELECT 'pg_class'::regclass, x.tgrelid FROM touched t,
         LATERAL (SELECT g.tgrelid FROM pg_trigger g WHERE g.oid = t.objid OFFSET 0) x
   WHERE t.classid = 'pg_trigger'::regclass
  UNION
  SELECT 'pg_class'::regclass, x.polrelid FROM touched t,
         LATERAL (SELECT pl.polrelid FROM pg_policy pl WHERE pl.oid = t.objid OFFSET 0) x
   WHERE t.classid = 'pg_policy'::regclass
  UNION
  SELECT 'pg_class'::regclass, x.ev_class FROM touched t,
         LATERAL (SELECT rw.ev_class FROM pg_rewrite rw WHERE rw.oid = t.objid OFFSET 0) x
   WHERE t.classid = 'pg_rewrite'::regclass
  UNION
  SELECT 'pg_publication'::regclass, x.refobjid FROM touched t,
         LATERAL (SELECT d.refobjid FROM pg_depend d
                   WHERE d.classid = t.classid AND d.objid = t.objid
                     AND d.refclassid = 'pg_publication'::regclass OFFSET 0) x
)
SELECT cls::oid::int8 AS cls, top::int8 AS top FROM more
UNION
SELECT cls::oid::int8, top::int8 FROM touched_tops
