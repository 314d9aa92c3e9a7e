-- One row per top-level object in scope (schema, extension, collation, type, sequence, relation,
-- extended statistics, function, event trigger, publication), keyed as the catalog reader keys
-- it, with an md5 over the row versions (xmin) of the catalog rows that make it up: the
-- object's own row and those of its parts (columns, defaults, constraints, indexes, triggers,
-- policies, rules, inheritance, comments, enum labels, published tables), and over the row
-- versions of what its parts depend on (`pg_depend`: the referenced table, column, type,
-- function, collation and their schemas), because the deparsers print those by name: a view
-- reads differently when a table it selects from is renamed, without a write to the view's own
-- rows. Default privileges and security labels are one row each, over their content.
--
-- A row's xmin changes whenever the row is written (created, or updated: PostgreSQL updates
-- catalog rows in place only for statistics and flags that VACUUM, ANALYZE and CREATE INDEX
-- maintain, none of which the catalog reader reads), and a deleted row drops out of its list,
-- so an object whose rows were not touched keeps its fingerprint. No deparser runs: this is the
-- cheap read that tells which objects to read in full. A row written back with the same content
-- fingerprints differently (a false alarm costs one full read of that object). Every object the
-- catalog reader reads has a row here (a superset: an object read here but not by the reader is
-- read as absent on both sides).
-- Runs with search_path = pg_catalog, like the catalog reader (regprocedure keys).
WITH ns AS (
  SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY($1) AND nspname <> ALL($2)
),
-- Top-level objects: kind, key, oid, the catalog of their own row, and their own rows' xmins.
tops AS (
  SELECT 'schema' AS kind, quote_ident(n.nspname) AS key, n.oid, 'pg_namespace'::regclass AS cls,
         row(n.xmin, (SELECT array_agg(d.xmin::text) FROM pg_description d
                       WHERE d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass))::text AS own
    FROM pg_namespace n JOIN ns ON ns.oid = n.oid
  UNION ALL
  SELECT 'extension', quote_ident(e.extname), e.oid, 'pg_extension'::regclass,
         row(e.xmin, (SELECT array_agg(d.xmin::text) FROM pg_description d
                       WHERE d.objoid = e.oid AND d.classoid = 'pg_extension'::regclass))::text
    FROM pg_extension e
  UNION ALL
  SELECT 'collation', quote_ident(ns.nspname) || '.' || quote_ident(c.collname), c.oid,
         'pg_collation'::regclass,
         row(c.xmin, (SELECT array_agg(d.xmin::text) FROM pg_description d
                       WHERE d.objoid = c.oid AND d.classoid = 'pg_collation'::regclass))::text
    FROM pg_collation c JOIN ns ON ns.oid = c.collnamespace
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_collation'::regclass
                                                  AND x.objid = c.oid AND x.deptype = 'e')
  UNION ALL
  SELECT 'type', quote_ident(ns.nspname) || '.' || quote_ident(t.typname), t.oid, 'pg_type'::regclass,
         row(t.xmin,
             (SELECT array_agg(e.xmin::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
             (SELECT array_agg(k.xmin::text ORDER BY k.conname) FROM pg_constraint k WHERE k.contypid = t.oid),
             (SELECT array_agg(a.xmin::text ORDER BY a.attnum) FROM pg_attribute a
               WHERE a.attrelid = t.typrelid AND t.typrelid <> 0 AND a.attnum > 0),
             (SELECT r.xmin::text FROM pg_range r WHERE r.rngtypid = t.oid),
             (SELECT array_agg(x.t ORDER BY x.t) FROM (
                SELECT row('t', d.objsubid, d.xmin)::text AS t FROM pg_description d
                 WHERE d.objoid = t.oid AND d.classoid = 'pg_type'::regclass
                UNION ALL
                SELECT row('a', d.objsubid, d.xmin)::text FROM pg_description d
                 WHERE t.typrelid <> 0 AND d.objoid = t.typrelid AND d.classoid = 'pg_class'::regclass
                UNION ALL
                SELECT row(k.conname, d.xmin)::text FROM pg_constraint k
                  JOIN pg_description d ON d.objoid = k.oid AND d.classoid = 'pg_constraint'::regclass
                 WHERE k.contypid = t.oid) x))::text
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
   WHERE (t.typtype IN ('e', 'd', 'r')
          OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
     AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_type'::regclass AND x.objid = t.oid
                                                  AND x.deptype = 'e')
  UNION ALL
  SELECT 'function', p.oid::regprocedure::text, p.oid, 'pg_proc'::regclass,
         row(p.xmin, (SELECT array_agg(d.xmin::text) FROM pg_description d
                       WHERE d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass))::text
    FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
   WHERE p.prokind IN ('f', 'p', 'w')
     AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_proc'::regclass AND x.objid = p.oid
                                                  AND x.deptype = 'e')
  UNION ALL
  SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'relation' END,
         quote_ident(ns.nspname) || '.' || quote_ident(c.relname), c.oid, 'pg_class'::regclass,
         row(c.xmin,
             (SELECT s.xmin::text FROM pg_sequence s WHERE s.seqrelid = c.oid),
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
                 WHERE pl.polrelid = c.oid
                UNION ALL
                SELECT row(rw.rulename, d.xmin)::text FROM pg_rewrite rw
                  JOIN pg_description d ON d.objoid = rw.oid AND d.classoid = 'pg_rewrite'::regclass
                 WHERE rw.ev_class = c.oid) x))::text
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
     AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid
                                                  AND x.deptype = 'e')
     -- identity sequences belong to their column
     AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                            AND d.objid = c.oid AND d.deptype = 'i'))
  UNION ALL
  SELECT 'statistics', quote_ident(ns.nspname) || '.' || quote_ident(s.stxname), s.oid,
         'pg_statistic_ext'::regclass,
         row(s.xmin, (SELECT array_agg(d.xmin::text) FROM pg_description d
                       WHERE d.objoid = s.oid AND d.classoid = 'pg_statistic_ext'::regclass))::text
    FROM pg_statistic_ext s JOIN ns ON ns.oid = s.stxnamespace
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_statistic_ext'::regclass
                                                  AND x.objid = s.oid AND x.deptype = 'e')
  UNION ALL
  SELECT 'event-trigger', quote_ident(e.evtname), e.oid, 'pg_event_trigger'::regclass,
         row(e.xmin, (SELECT array_agg(d.xmin::text) FROM pg_description d
                       WHERE d.objoid = e.oid AND d.classoid = 'pg_event_trigger'::regclass))::text
    FROM pg_event_trigger e
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_event_trigger'::regclass
                                                  AND x.objid = e.oid AND x.deptype = 'e')
  UNION ALL
  -- Its published tables and schemas are the objects that depend on it (their pg_depend rows
  -- come and go with them, on every version).
  SELECT 'publication', quote_ident(p.pubname), p.oid, 'pg_publication'::regclass,
         row(p.xmin,
             (SELECT array_agg(row(x.classid, x.objid, x.xmin)::text ORDER BY x.classid, x.objid)
                FROM pg_depend x WHERE x.refclassid = 'pg_publication'::regclass AND x.refobjid = p.oid),
             (SELECT array_agg(d.xmin::text) FROM pg_description d
               WHERE d.objoid = p.oid AND d.classoid = 'pg_publication'::regclass))::text
    FROM pg_publication p
),
-- The catalog rows of each object's parts whose dependencies are printed by name.
parts AS (
  SELECT t.cls AS top_cls, t.oid AS top, t.cls AS cls, t.oid AS oid FROM tops t
  UNION ALL
  SELECT 'pg_class'::regclass, c.oid, 'pg_attrdef'::regclass, ad.oid
    FROM tops c JOIN pg_attrdef ad ON ad.adrelid = c.oid WHERE c.cls = 'pg_class'::regclass
  UNION ALL
  SELECT 'pg_class'::regclass, c.oid, 'pg_constraint'::regclass, k.oid
    FROM tops c JOIN pg_constraint k ON k.conrelid = c.oid WHERE c.cls = 'pg_class'::regclass
  UNION ALL
  SELECT 'pg_class'::regclass, c.oid, 'pg_class'::regclass, i.indexrelid
    FROM tops c JOIN pg_index i ON i.indrelid = c.oid WHERE c.cls = 'pg_class'::regclass
  UNION ALL
  SELECT 'pg_class'::regclass, c.oid, 'pg_trigger'::regclass, g.oid
    FROM tops c JOIN pg_trigger g ON g.tgrelid = c.oid WHERE c.cls = 'pg_class'::regclass
  UNION ALL
  SELECT 'pg_class'::regclass, c.oid, 'pg_policy'::regclass, pl.oid
    FROM tops c JOIN pg_policy pl ON pl.polrelid = c.oid WHERE c.cls = 'pg_class'::regclass
  UNION ALL
  SELECT 'pg_class'::regclass, c.oid, 'pg_rewrite'::regclass, rw.oid
    FROM tops c JOIN pg_rewrite rw ON rw.ev_class = c.oid WHERE c.cls = 'pg_class'::regclass
  UNION ALL
  SELECT 'pg_type'::regclass, t.oid, 'pg_class'::regclass, ty.typrelid
    FROM tops t JOIN pg_type ty ON ty.oid = t.oid AND ty.typrelid <> 0 WHERE t.cls = 'pg_type'::regclass
  UNION ALL
  SELECT 'pg_type'::regclass, t.oid, 'pg_constraint'::regclass, k.oid
    FROM tops t JOIN pg_constraint k ON k.contypid = t.oid WHERE t.cls = 'pg_type'::regclass
  UNION ALL
  SELECT 'pg_publication'::regclass, p.oid, x.classid, x.objid
    FROM tops p JOIN pg_depend x ON x.refclassid = 'pg_publication'::regclass AND x.refobjid = p.oid
   WHERE p.cls = 'pg_publication'::regclass
),
-- The row versions of what the parts depend on: the object's row, its schema's row and, for a
-- column, the column's row.
refs AS (
  SELECT p.top_cls, p.top,
         array_agg(row(d.refclassid, d.refobjid, d.refobjsubid, rc.xmin, ra.xmin, rt.xmin, rp.xmin,
                       rl.xmin, rn.xmin)::text ORDER BY d.refclassid, d.refobjid, d.refobjsubid) AS versions
    FROM parts p
    JOIN pg_depend d ON d.classid = p.cls AND d.objid = p.oid AND d.deptype IN ('n', 'a')
    LEFT JOIN pg_class rc ON d.refclassid = 'pg_class'::regclass AND rc.oid = d.refobjid
    LEFT JOIN pg_attribute ra ON d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
                             AND ra.attrelid = d.refobjid AND ra.attnum = d.refobjsubid
    LEFT JOIN pg_type rt ON d.refclassid = 'pg_type'::regclass AND rt.oid = d.refobjid
    LEFT JOIN pg_proc rp ON d.refclassid = 'pg_proc'::regclass AND rp.oid = d.refobjid
    LEFT JOIN pg_collation rl ON d.refclassid = 'pg_collation'::regclass AND rl.oid = d.refobjid
    LEFT JOIN pg_namespace rn
           ON rn.oid = CASE WHEN d.refclassid = 'pg_namespace'::regclass THEN d.refobjid
                            ELSE coalesce(rc.relnamespace, rt.typnamespace, rp.pronamespace,
                                          rl.collnamespace) END
   WHERE d.refclassid IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass,
                          'pg_collation'::regclass, 'pg_namespace'::regclass)
   GROUP BY p.top_cls, p.top
)
SELECT t.kind, t.key, t.oid::int8 AS oid, md5(row(t.own, f.versions)::text) AS fp
  FROM tops t
  LEFT JOIN refs f ON f.top_cls = t.cls AND f.top = t.oid
UNION ALL
-- Default privileges and security labels: each one object, over its content (role and schema
-- names included).
SELECT 'default-privileges', '', 0,
       md5(coalesce((SELECT string_agg(row(d.defaclrole::regrole, n.nspname, d.defaclobjtype,
                                           d.defaclacl::text)::text, ',' ORDER BY d.oid)
                       FROM pg_default_acl d
                       LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
                      WHERE d.defaclnamespace = 0 OR (n.nspname = ANY($1) AND n.nspname <> ALL($2))), ''))
UNION ALL
SELECT 'security-labels', '', 0,
       md5(coalesce((SELECT string_agg(row(l.provider, l.label, i.type, i.identity)::text, ','
                                       ORDER BY l.classoid, l.objoid, l.objsubid, l.provider)
                       FROM pg_seclabel l
                      CROSS JOIN LATERAL pg_identify_object(l.classoid, l.objoid, l.objsubid) i), ''))
