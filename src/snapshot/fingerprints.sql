-- One row per top-level object in scope (schema, extension, collation, type, sequence, relation,
-- extended statistics, function, event trigger, publication), keyed as the catalog reader keys
-- it, with what tells whether it changed since an earlier reading, without deparsing anything:
--   rows  the number of catalog rows of its parts that can be removed alone (defaults,
--         constraints, indexes, triggers, policies, rules, inheritance, comments, published
--         members);
--   new   whether any of its rows (those, its own, its columns, sequence and partitioning rows,
--         enum labels, range) was written at or after the transaction id $3 (the first
--         id not yet assigned at the earlier reading), or any row of what its parts depend on
--         (`pg_depend`: a referenced table, column, type, function, collation or schema, which
--         the deparsers print by name: a view reads differently when a table it selects from is
--         renamed, without a write to the view's own rows), or a dependency row of its parts.
-- Default privileges and security labels are one row each, with an md5 of their content.
--
-- Why this finds every change: a row's xmin is the transaction that wrote it, and every write
-- of a catalog row the catalog reader reads gives it a new xmin (PostgreSQL updates in place
-- only the statistics and flags that VACUUM, ANALYZE and CREATE INDEX maintain, none of which the
-- reader reads); a row removed without another write lowers `rows`. A row written back with the
-- same content is a false alarm, which costs one full read of the object, never a wrong verdict.
-- `age(x) <= age($3)` is "x was assigned at or after $3" (both ages are taken from the same
-- reference in one query; frozen and bootstrap ids have the largest age). With $3 = NULL,
-- nothing is new (the first reading).
--
-- Built-in objects (oids below 16384, FirstNormalObjectId) are never the project's, and cannot
-- be renamed from under it, so their rows are left out of the counts, the written rows and the
-- candidates (the filters let most catalogs be read by an oid index range instead of whole);
-- schemas keep every oid (`public` is built in). The query filters before it builds anything: each catalog is scanned once and grouped by the
-- object its rows belong to (counts and a bool), and only the few rows written since $3 are
-- followed through `pg_depend`; its cost is a scan of the catalogs, not per-object subqueries.
-- Runs with search_path = pg_catalog, like the catalog reader (regprocedure keys).
WITH ns AS (
  SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY($1) AND nspname <> ALL($2)
),
b AS (SELECT coalesce(age($3::text::xid), -2147483648) AS age),
-- Extension members are not the project's objects.
member AS (
  SELECT classid, objid FROM pg_depend WHERE deptype = 'e' AND objid >= 16384
),
tops AS (
  SELECT 'schema' AS kind, quote_ident(n.nspname) AS key, n.oid, 'pg_namespace'::regclass AS cls,
         n.xmin
    FROM pg_namespace n JOIN ns ON ns.oid = n.oid
  UNION ALL
  SELECT 'extension', quote_ident(e.extname), e.oid, 'pg_extension'::regclass, e.xmin
    FROM pg_extension e
  UNION ALL
  SELECT 'collation', quote_ident(ns.nspname) || '.' || quote_ident(c.collname), c.oid,
         'pg_collation'::regclass, c.xmin
    FROM pg_collation c JOIN ns ON ns.oid = c.collnamespace
   WHERE c.oid >= 16384 AND (c.oid, 'pg_collation'::regclass) NOT IN (SELECT objid, classid FROM member)
  UNION ALL
  SELECT 'type', quote_ident(ns.nspname) || '.' || quote_ident(t.typname), t.oid, 'pg_type'::regclass,
         t.xmin
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
    LEFT JOIN pg_class tc ON tc.oid = t.typrelid
   WHERE t.oid >= 16384 AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND tc.relkind = 'c'))
     AND (t.oid, 'pg_type'::regclass) NOT IN (SELECT objid, classid FROM member)
  UNION ALL
  SELECT 'function', p.oid::regprocedure::text, p.oid, 'pg_proc'::regclass, p.xmin
    FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
   WHERE p.oid >= 16384 AND p.prokind IN ('f', 'p', 'w')
     AND (p.oid, 'pg_proc'::regclass) NOT IN (SELECT objid, classid FROM member)
  UNION ALL
  SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'relation' END,
         quote_ident(ns.nspname) || '.' || quote_ident(c.relname), c.oid, 'pg_class'::regclass,
         c.xmin
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
     AND (c.oid, 'pg_class'::regclass) NOT IN (SELECT objid, classid FROM member)
     -- identity sequences belong to their column
     AND NOT (c.relkind = 'S' AND (c.oid, 'pg_class'::regclass) IN
              (SELECT objid, classid FROM pg_depend WHERE deptype = 'i'))
  UNION ALL
  SELECT 'statistics', quote_ident(ns.nspname) || '.' || quote_ident(s.stxname), s.oid,
         'pg_statistic_ext'::regclass, s.xmin
    FROM pg_statistic_ext s JOIN ns ON ns.oid = s.stxnamespace
   WHERE (s.oid, 'pg_statistic_ext'::regclass) NOT IN (SELECT objid, classid FROM member)
  UNION ALL
  SELECT 'event-trigger', quote_ident(e.evtname), e.oid, 'pg_event_trigger'::regclass, e.xmin
    FROM pg_event_trigger e
   WHERE (e.oid, 'pg_event_trigger'::regclass) NOT IN (SELECT objid, classid FROM member)
  UNION ALL
  SELECT 'publication', quote_ident(p.pubname), p.oid, 'pg_publication'::regclass, p.xmin
    FROM pg_publication p
),
-- Where a part's catalog row belongs: (the catalog of the top-level object, its oid). Parts of
-- relations: the table's own columns and rows that name it; an index belongs to its table;
-- a composite type's columns to the type; a comment to what it describes.
--
-- Rows that never go away without a write to a row of the same object (or the object itself
-- going): columns (DROP COLUMN marks the row), sequence and partitioning rows, an identity
-- column's sequence (DROP IDENTITY writes the column), enum labels, ranges. Only the ones
-- written since $3 matter.
more AS (
  SELECT 'pg_class'::regclass AS cls, a.attrelid AS top FROM pg_attribute a, b
   WHERE a.attnum > 0 AND a.attrelid >= 16384 AND age(a.xmin) <= b.age
  UNION ALL
  SELECT 'pg_type'::regclass, t.oid
    FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0, b
   WHERE t.typtype = 'c' AND age(a.xmin) <= b.age
  UNION ALL
  SELECT 'pg_class'::regclass, pt.partrelid FROM pg_partitioned_table pt, b
   WHERE age(pt.xmin) <= b.age
  UNION ALL
  SELECT 'pg_class'::regclass, s.seqrelid FROM pg_sequence s, b
   WHERE s.seqrelid >= 16384 AND age(s.xmin) <= b.age
  UNION ALL
  -- an identity column's sequence (its options are the column's)
  SELECT 'pg_class'::regclass, d.refobjid
    FROM pg_depend d JOIN pg_sequence s ON s.seqrelid = d.objid, b
   WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i'
     AND age(s.xmin) <= b.age
  UNION ALL
  SELECT 'pg_class'::regclass, d.refobjid
    FROM pg_depend d JOIN pg_class sc ON sc.oid = d.objid AND sc.relkind = 'S', b
   WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'i'
     AND age(sc.xmin) <= b.age
  UNION ALL
  SELECT 'pg_type'::regclass, e.enumtypid FROM pg_enum e, b
   WHERE e.enumtypid >= 16384 AND age(e.xmin) <= b.age
  UNION ALL
  SELECT 'pg_type'::regclass, r.rngtypid FROM pg_range r, b
   WHERE r.rngtypid >= 16384 AND age(r.xmin) <= b.age
  UNION ALL
  -- an index's own row (it goes with its pg_index row, which is counted)
  SELECT 'pg_class'::regclass, i.indrelid
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid, b
   WHERE i.indrelid >= 16384 AND age(ic.xmin) <= b.age
  UNION ALL
  SELECT t.cls, t.oid FROM tops t, b WHERE age(t.xmin) <= b.age
),
-- Rows that can go away alone (DROP POLICY writes no other row of the table): counted, and
-- marked when written since $3.
rows_ AS (
  SELECT 'pg_class'::regclass AS cls, ad.adrelid AS top, ad.xmin FROM pg_attrdef ad
   WHERE ad.adrelid >= 16384
  UNION ALL
  SELECT CASE WHEN k.conrelid <> 0 THEN 'pg_class'::regclass ELSE 'pg_type'::regclass END,
         CASE WHEN k.conrelid <> 0 THEN k.conrelid ELSE k.contypid END, k.xmin
    FROM pg_constraint k WHERE k.oid >= 16384
  UNION ALL
  SELECT 'pg_class'::regclass, i.indrelid, i.xmin FROM pg_index i WHERE i.indrelid >= 16384
  UNION ALL
  SELECT 'pg_class'::regclass, g.tgrelid, g.xmin FROM pg_trigger g WHERE g.tgrelid >= 16384
  UNION ALL
  SELECT 'pg_class'::regclass, pl.polrelid, pl.xmin FROM pg_policy pl
  UNION ALL
  SELECT 'pg_class'::regclass, rw.ev_class, rw.xmin FROM pg_rewrite rw WHERE rw.ev_class >= 16384
  UNION ALL
  SELECT 'pg_class'::regclass, h.inhrelid, h.xmin FROM pg_inherits h
  UNION ALL
  -- a publication's members (tables, schemas) are the objects that depend on it
  SELECT 'pg_publication'::regclass, x.refobjid, x.xmin
    FROM pg_depend x WHERE x.refclassid = 'pg_publication'::regclass
  UNION ALL
  -- comments: on a relation or its columns, an index (its table's), a composite type's
  -- relation (the type's), a constraint, trigger, policy or rule (their table's or domain's),
  -- or a top-level object itself
  SELECT d.classoid::regclass, d.objoid, d.xmin FROM pg_description d WHERE d.objoid >= 16384
  UNION ALL
  SELECT 'pg_class'::regclass, i.indrelid, d.xmin
    FROM pg_description d JOIN pg_index i ON i.indexrelid = d.objoid
   WHERE d.objoid >= 16384 AND d.classoid = 'pg_class'::regclass
  UNION ALL
  SELECT 'pg_type'::regclass, t.oid, d.xmin
    FROM pg_description d JOIN pg_type t ON t.typrelid = d.objoid AND t.typtype = 'c'
   WHERE d.objoid >= 16384 AND d.classoid = 'pg_class'::regclass
  UNION ALL
  SELECT CASE WHEN k.conrelid <> 0 THEN 'pg_class'::regclass ELSE 'pg_type'::regclass END,
         CASE WHEN k.conrelid <> 0 THEN k.conrelid ELSE k.contypid END, d.xmin
    FROM pg_description d JOIN pg_constraint k ON k.oid = d.objoid
   WHERE d.objoid >= 16384 AND d.classoid = 'pg_constraint'::regclass
  UNION ALL
  SELECT 'pg_class'::regclass, g.tgrelid, d.xmin
    FROM pg_description d JOIN pg_trigger g ON g.oid = d.objoid
   WHERE d.objoid >= 16384 AND d.classoid = 'pg_trigger'::regclass
  UNION ALL
  SELECT 'pg_class'::regclass, pl.polrelid, d.xmin
    FROM pg_description d JOIN pg_policy pl ON pl.oid = d.objoid
   WHERE d.objoid >= 16384 AND d.classoid = 'pg_policy'::regclass
  UNION ALL
  SELECT 'pg_class'::regclass, rw.ev_class, d.xmin
    FROM pg_description d JOIN pg_rewrite rw ON rw.oid = d.objoid
   WHERE d.objoid >= 16384 AND d.classoid = 'pg_rewrite'::regclass
),
counted AS (
  SELECT r.cls, r.top, count(*) AS n, bool_or(age(r.xmin) <= b.age) AS new
    FROM rows_ r CROSS JOIN b
   GROUP BY r.cls, r.top
),
-- Rows written since $3 that parts may depend on by name, and dependency rows written since.
written AS (
  SELECT 'pg_class'::regclass AS cls, c.oid FROM pg_class c, b WHERE c.oid >= 16384 AND age(c.xmin) <= b.age
  UNION
  SELECT 'pg_class'::regclass, a.attrelid FROM pg_attribute a, b
   WHERE a.attrelid >= 16384 AND age(a.xmin) <= b.age
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
-- a written schema), and the owners of dependency rows written since $3.
touched AS (
  SELECT d.classid, d.objid
    FROM written w
    JOIN pg_depend d ON d.refclassid = w.cls AND d.refobjid = w.oid AND d.deptype IN ('n', 'a')
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
  SELECT d.classid, d.objid FROM pg_depend d, b
   WHERE d.objid >= 16384 AND age(d.xmin) <= b.age AND d.deptype IN ('n', 'a')
),
-- The top-level objects those parts belong to.
touched_tops AS (
  SELECT t.classid::regclass AS cls, t.objid AS top FROM touched t
  UNION
  SELECT 'pg_class'::regclass, i.indrelid FROM touched t
    JOIN pg_index i ON t.classid = 'pg_class'::regclass AND i.indexrelid = t.objid
  UNION
  SELECT 'pg_type'::regclass, ty.oid FROM touched t
    JOIN pg_type ty ON t.classid = 'pg_class'::regclass AND ty.typrelid = t.objid
  UNION
  SELECT 'pg_class'::regclass, ad.adrelid FROM touched t
    JOIN pg_attrdef ad ON t.classid = 'pg_attrdef'::regclass AND ad.oid = t.objid
  UNION
  SELECT CASE WHEN k.conrelid <> 0 THEN 'pg_class'::regclass ELSE 'pg_type'::regclass END,
         CASE WHEN k.conrelid <> 0 THEN k.conrelid ELSE k.contypid END
    FROM touched t JOIN pg_constraint k ON t.classid = 'pg_constraint'::regclass AND k.oid = t.objid
  UNION
  SELECT 'pg_class'::regclass, g.tgrelid FROM touched t
    JOIN pg_trigger g ON t.classid = 'pg_trigger'::regclass AND g.oid = t.objid
  UNION
  SELECT 'pg_class'::regclass, pl.polrelid FROM touched t
    JOIN pg_policy pl ON t.classid = 'pg_policy'::regclass AND pl.oid = t.objid
  UNION
  SELECT 'pg_class'::regclass, rw.ev_class FROM touched t
    JOIN pg_rewrite rw ON t.classid = 'pg_rewrite'::regclass AND rw.oid = t.objid
  UNION
  SELECT 'pg_publication'::regclass, x.refobjid FROM touched t
    JOIN pg_depend x ON x.classid = t.classid AND x.objid = t.objid
                    AND x.refclassid = 'pg_publication'::regclass
),
-- Everything marked, once (joined, not probed per object).
marked AS (
  SELECT cls, top FROM more
  UNION
  SELECT cls, top FROM touched_tops
  UNION
  SELECT cls, top FROM counted WHERE new
)
SELECT t.kind, t.key, t.oid::int8 AS oid, coalesce(c.n, 0)::text AS fp, m.top IS NOT NULL AS new
  FROM tops t
  LEFT JOIN counted c ON c.cls = t.cls AND c.top = t.oid
  LEFT JOIN marked m ON m.cls = t.cls AND m.top = t.oid
UNION ALL
-- Default privileges and security labels: each one object, over its content (role and schema
-- names included).
SELECT 'default-privileges', '', 0,
       md5(coalesce((SELECT string_agg(row(d.defaclrole::regrole, n.nspname, d.defaclobjtype,
                                           d.defaclacl::text)::text, ',' ORDER BY d.oid)
                       FROM pg_default_acl d
                       LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
                      WHERE d.defaclnamespace = 0 OR (n.nspname = ANY($1) AND n.nspname <> ALL($2))), '')),
       false
UNION ALL
SELECT 'security-labels', '', 0,
       md5(coalesce((SELECT string_agg(row(l.provider, l.label, i.type, i.identity)::text, ','
                                       ORDER BY l.classoid, l.objoid, l.objsubid, l.provider)
                       FROM pg_seclabel l
                      CROSS JOIN LATERAL pg_identify_object(l.classoid, l.objoid, l.objsubid) i), '')),
       false
