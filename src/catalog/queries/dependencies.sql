-- Dependency edges between objects (normal, auto, internal), with a view's own rewrite rule
-- (`_RETURN`) and a column default folded into the view and the column they belong to. The caller keeps only
-- edges whose both ends are objects it read. Joins, not per-row subqueries: pg_depend is the
-- biggest catalog a diff reads.
SELECT
       CASE WHEN r.oid IS NOT NULL OR ad.oid IS NOT NULL THEN 'pg_class'
            ELSE d.classid::regclass::text END AS class,
       coalesce(r.ev_class, ad.adrelid, d.objid)::int8 AS oid,
       CASE WHEN r.oid IS NOT NULL THEN 0
            WHEN ad.oid IS NOT NULL THEN ad.adnum::int4
            ELSE d.objsubid END AS sub,
       d.refclassid::regclass::text AS ref_class,
       d.refobjid::int8 AS ref_oid,
       d.refobjsubid::int4 AS ref_sub
  FROM pg_depend d
  LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
                        AND r.rulename = '_RETURN'
  LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
 WHERE d.deptype IN ('n', 'a', 'i')
   AND d.classid IN ('pg_class'::regclass, 'pg_rewrite'::regclass, 'pg_attrdef'::regclass,
                     'pg_constraint'::regclass, 'pg_trigger'::regclass, 'pg_policy'::regclass,
                     'pg_proc'::regclass, 'pg_type'::regclass, 'pg_statistic_ext'::regclass,
                     'pg_event_trigger'::regclass)
   AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass,
                        'pg_constraint'::regclass, 'pg_collation'::regclass)
   AND NOT (d.classid = 'pg_rewrite'::regclass AND r.ev_class = d.refobjid)
