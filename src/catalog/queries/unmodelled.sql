-- Objects strata does not model, so that they are reported as not compared instead of being
-- skipped in silence. Extension members are left out (the extension is compared).
WITH ext AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e'),
     ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY($1) AND nspname <> ALL($2))
SELECT kind, name FROM (
  SELECT 'aggregate' AS kind, p.oid::regprocedure::text AS name
    FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
   WHERE p.prokind = 'a' AND (p.tableoid, p.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'operator', p.oid::regoperator::text
    FROM pg_operator p JOIN ns ON ns.oid = p.oprnamespace
   WHERE (p.tableoid, p.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'operator-class', quote_ident(ns.nspname) || '.' || quote_ident(o.opcname)
    FROM pg_opclass o JOIN ns ON ns.oid = o.opcnamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'operator-family', quote_ident(ns.nspname) || '.' || quote_ident(o.opfname)
    FROM pg_opfamily o JOIN ns ON ns.oid = o.opfnamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'collation', quote_ident(ns.nspname) || '.' || quote_ident(o.collname)
    FROM pg_collation o JOIN ns ON ns.oid = o.collnamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'conversion', quote_ident(ns.nspname) || '.' || quote_ident(o.conname)
    FROM pg_conversion o JOIN ns ON ns.oid = o.connamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'text-search-configuration', quote_ident(ns.nspname) || '.' || quote_ident(o.cfgname)
    FROM pg_ts_config o JOIN ns ON ns.oid = o.cfgnamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'text-search-dictionary', quote_ident(ns.nspname) || '.' || quote_ident(o.dictname)
    FROM pg_ts_dict o JOIN ns ON ns.oid = o.dictnamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'text-search-parser', quote_ident(ns.nspname) || '.' || quote_ident(o.prsname)
    FROM pg_ts_parser o JOIN ns ON ns.oid = o.prsnamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'text-search-template', quote_ident(ns.nspname) || '.' || quote_ident(o.tmplname)
    FROM pg_ts_template o JOIN ns ON ns.oid = o.tmplnamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'statistics', quote_ident(ns.nspname) || '.' || quote_ident(o.stxname)
    FROM pg_statistic_ext o JOIN ns ON ns.oid = o.stxnamespace
  UNION ALL
  SELECT CASE c.relkind WHEN 'f' THEN 'foreign-table' ELSE 'relation-' || c.relkind::text END,
         quote_ident(ns.nspname) || '.' || quote_ident(c.relname)
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
   WHERE c.relkind IN ('f') AND (c.tableoid, c.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'rule', quote_ident(r.rulename) || ' ON ' || quote_ident(ns.nspname) || '.' || quote_ident(c.relname)
    FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN ns ON ns.oid = c.relnamespace
   WHERE r.rulename <> '_RETURN'
  UNION ALL
  SELECT 'default-privileges',
         'FOR ROLE ' || quote_ident(pg_get_userbyid(d.defaclrole)) ||
         coalesce(' IN SCHEMA ' || quote_ident(n.nspname), '') || ' ON ' ||
         CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS'
                              WHEN 'T' THEN 'TYPES' WHEN 'n' THEN 'SCHEMAS' ELSE d.defaclobjtype::text END
    FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
   WHERE d.defaclnamespace = 0 OR d.defaclnamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'event-trigger', quote_ident(e.evtname) FROM pg_event_trigger e
   WHERE (e.tableoid, e.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'publication', quote_ident(p.pubname) FROM pg_publication p
  UNION ALL
  SELECT 'foreign-server', quote_ident(s.srvname) FROM pg_foreign_server s
   WHERE (s.tableoid, s.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'language', quote_ident(l.lanname) FROM pg_language l
   WHERE l.lanname NOT IN ('internal', 'c', 'sql', 'plpgsql') AND (l.tableoid, l.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'cast', format('(%s AS %s)', format_type(c.castsource, NULL), format_type(c.casttarget, NULL))
    FROM pg_cast c
   WHERE c.oid >= 16384 AND (c.tableoid, c.oid) NOT IN (SELECT classid, objid FROM ext)
) s
ORDER BY 1, 2
