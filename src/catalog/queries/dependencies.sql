-- Dependency edges between objects (normal, auto, internal), with a view's rewrite rule and a
-- column default folded into the view and the column they belong to. The caller keeps only
-- edges whose both ends are objects it read.
WITH d AS (
  SELECT CASE d.classid WHEN 'pg_rewrite'::regclass THEN 'pg_class'::regclass
                        WHEN 'pg_attrdef'::regclass THEN 'pg_class'::regclass
                        ELSE d.classid END AS classid,
         CASE d.classid WHEN 'pg_rewrite'::regclass THEN (SELECT r.ev_class FROM pg_rewrite r WHERE r.oid = d.objid)
                        WHEN 'pg_attrdef'::regclass THEN (SELECT a.adrelid FROM pg_attrdef a WHERE a.oid = d.objid)
                        ELSE d.objid END AS objid,
         CASE d.classid WHEN 'pg_rewrite'::regclass THEN 0
                        WHEN 'pg_attrdef'::regclass THEN (SELECT a.adnum::int4 FROM pg_attrdef a WHERE a.oid = d.objid)
                        ELSE d.objsubid END AS objsubid,
         d.refclassid, d.refobjid, d.refobjsubid
    FROM pg_depend d
   WHERE d.deptype IN ('n', 'a', 'i')
     AND d.classid IN ('pg_class'::regclass, 'pg_rewrite'::regclass, 'pg_attrdef'::regclass,
                       'pg_constraint'::regclass, 'pg_trigger'::regclass, 'pg_policy'::regclass,
                       'pg_proc'::regclass, 'pg_type'::regclass)
     AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass,
                          'pg_constraint'::regclass)
)
SELECT DISTINCT d.classid::regclass::text AS class, d.objid::int8 AS oid, d.objsubid::int4 AS sub,
       d.refclassid::regclass::text AS ref_class, d.refobjid::int8 AS ref_oid, d.refobjsubid::int4 AS ref_sub
  FROM d
 WHERE NOT (d.classid = d.refclassid AND d.objid = d.refobjid)
