-- One row per top-level object in scope (schema, extension, collation, type, sequence, relation,
-- extended statistics, function, event trigger, publication), keyed as the catalog reader keys
-- it, with what tells whether it changed since an earlier reading, without deparsing anything:
--   cls   the oid of its own row's catalog (with `oid`, how `marked.sql` names it);
--   fp    the number of catalog rows of its parts that can be removed alone (constraints,
--         indexes, triggers, policies, rules, inheritance, comments, published members);
--   new   whether its own row, or one of those, was written at or after the transaction id $3
--         (the first id not yet assigned at the earlier reading). `marked.sql` marks the objects
--         whose other rows, or what they depend on by name, were written since; the two queries
--         run at once on two connections (see `snapshot::Reader`).
-- Default privileges and security labels are one row each, with an md5 of their content, and a
-- last row gives this reading's boundary.
--
-- Why this finds every change: a row's xmin is the transaction that wrote it, and every write
-- of a catalog row the catalog reader reads gives it a new xmin (PostgreSQL updates in place
-- only the statistics and flags that VACUUM, ANALYZE and CREATE INDEX maintain, none of which the
-- reader reads); a row removed without another write lowers `fp`. A row written back with the
-- same content is a false alarm, which costs one full read of the object, never a wrong verdict.
-- `age(x) <= age($3)` is "x was assigned at or after $3" (both ages are taken from the same
-- reference in one query; frozen and bootstrap ids have the largest age). With $3 = NULL,
-- nothing is new (the first reading).
--
-- Built-in objects (oids below 16384, FirstNormalObjectId) are never the project's, and cannot
-- be renamed from under it, so their rows are left out of the counts and the candidates (the
-- filters let most catalogs be read by an oid index range instead of whole); schemas keep every
-- oid (`public` is built in). Each catalog is scanned once and grouped by the object its rows
-- belong to. Runs with search_path = pg_catalog, like the catalog reader (regprocedure keys).
WITH ns AS (
  SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY($1) AND nspname <> ALL($2)
),
b AS (SELECT coalesce(age($3::text::xid), -2147483648) AS age),
-- Extension members are not the project's objects (found by the extension: an index range).
member AS (
  SELECT classid, objid FROM pg_depend
   WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
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
     AND NOT (c.relkind = 'S' AND EXISTS
              (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'i' OFFSET 0))
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
-- Rows that can go away alone (DROP POLICY writes no other row of the table): counted, and
-- marked when written since $3. (Defaults are not: dropping or replacing one writes its column's
-- row, `atthasdef`, which `marked.sql` follows.)
rows_ AS (
  SELECT CASE WHEN k.conrelid <> 0 THEN 'pg_class'::regclass ELSE 'pg_type'::regclass END AS cls,
         CASE WHEN k.conrelid <> 0 THEN k.conrelid ELSE k.contypid END AS top, k.xmin
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
)
SELECT t.kind, t.key, t.oid::int8 AS oid, t.cls::oid::int8 AS cls, coalesce(c.n, 0)::text AS fp,
       (age(t.xmin) <= b.age OR coalesce(c.new, false)) AS new
  FROM tops t CROSS JOIN b
  LEFT JOIN counted c ON c.cls = t.cls AND c.top = t.oid
UNION ALL
-- Default privileges and security labels: each one object, over its content (role and schema
-- names included).
SELECT 'default-privileges', '', 0, 0,
       md5(coalesce((SELECT string_agg(row(d.defaclrole::regrole, n.nspname, d.defaclobjtype,
                                           d.defaclacl::text)::text, ',' ORDER BY d.oid)
                       FROM pg_default_acl d
                       LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
                      WHERE d.defaclnamespace = 0 OR (n.nspname = ANY($1) AND n.nspname <> ALL($2))), '')),
       false
UNION ALL
SELECT 'security-labels', '', 0, 0,
       md5(coalesce((SELECT string_agg(row(l.provider, l.label, i.type, i.identity)::text, ','
                                       ORDER BY l.classoid, l.objoid, l.objsubid, l.provider)
                       FROM pg_seclabel l
                      CROSS JOIN LATERAL pg_identify_object(l.classoid, l.objoid, l.objsubid) i), '')),
       false
UNION ALL
-- This reading's boundary: the first transaction id not yet assigned when its snapshot was taken
-- (the next reading marks what was written at or after it).
SELECT 'boundary', '', 0, 0, pg_snapshot_xmax(pg_current_snapshot())::text, false
