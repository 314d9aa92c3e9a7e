-- Objects that are not compared, so that they are reported instead of being skipped in
-- silence: objects of kinds strata does not model in the schemas in scope (`unmodelled`: they
-- may differ, so `diff --exit-code` fails on them unless accepted), and schemas outside the
-- configured ones (`out-of-scope`: a note). Extension members are left out (the extension is
-- compared), and so are objects internal to another (a range type's multirange cast). Event triggers and publications outside the scope come with their own queries.
WITH ext AS (SELECT classid, objid FROM pg_depend WHERE deptype IN ('e', 'i')),
     ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY($1) AND nspname <> ALL($2))
SELECT kind, name, reason FROM (
  SELECT 'aggregate' AS kind, p.oid::regprocedure::text AS name, 'unmodelled' AS reason
    FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
   WHERE p.prokind = 'a' AND (p.tableoid, p.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'operator', p.oid::regoperator::text, 'unmodelled'
    FROM pg_operator p JOIN ns ON ns.oid = p.oprnamespace
   WHERE (p.tableoid, p.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'operator-class', quote_ident(ns.nspname) || '.' || quote_ident(o.opcname), 'unmodelled'
    FROM pg_opclass o JOIN ns ON ns.oid = o.opcnamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'operator-family', quote_ident(ns.nspname) || '.' || quote_ident(o.opfname), 'unmodelled'
    FROM pg_opfamily o JOIN ns ON ns.oid = o.opfnamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'conversion', quote_ident(ns.nspname) || '.' || quote_ident(o.conname), 'unmodelled'
    FROM pg_conversion o JOIN ns ON ns.oid = o.connamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'text-search-configuration', quote_ident(ns.nspname) || '.' || quote_ident(o.cfgname), 'unmodelled'
    FROM pg_ts_config o JOIN ns ON ns.oid = o.cfgnamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'text-search-dictionary', quote_ident(ns.nspname) || '.' || quote_ident(o.dictname), 'unmodelled'
    FROM pg_ts_dict o JOIN ns ON ns.oid = o.dictnamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'text-search-parser', quote_ident(ns.nspname) || '.' || quote_ident(o.prsname), 'unmodelled'
    FROM pg_ts_parser o JOIN ns ON ns.oid = o.prsnamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'text-search-template', quote_ident(ns.nspname) || '.' || quote_ident(o.tmplname), 'unmodelled'
    FROM pg_ts_template o JOIN ns ON ns.oid = o.tmplnamespace
   WHERE (o.tableoid, o.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'base-type', quote_ident(ns.nspname) || '.' || quote_ident(t.typname), 'unmodelled'
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
   WHERE t.typtype = 'b' AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
     AND (t.tableoid, t.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'foreign-table', quote_ident(ns.nspname) || '.' || quote_ident(c.relname), 'unmodelled'
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
   WHERE c.relkind = 'f' AND (c.tableoid, c.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'foreign-data-wrapper', quote_ident(w.fdwname), 'unmodelled' FROM pg_foreign_data_wrapper w
   WHERE (w.tableoid, w.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'foreign-server', quote_ident(s.srvname), 'unmodelled' FROM pg_foreign_server s
   WHERE (s.tableoid, s.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'language', quote_ident(l.lanname), 'unmodelled' FROM pg_language l
   WHERE l.lanname NOT IN ('internal', 'c', 'sql', 'plpgsql') AND (l.tableoid, l.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'cast', format('(%s AS %s)', format_type(c.castsource, NULL), format_type(c.casttarget, NULL)), 'unmodelled'
    FROM pg_cast c
   WHERE c.oid >= 16384 AND (c.tableoid, c.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'access-method', quote_ident(a.amname), 'unmodelled' FROM pg_am a
   WHERE a.oid >= 16384 AND (a.tableoid, a.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'transform', format('FOR %s LANGUAGE %s', format_type(t.trftype, NULL), quote_ident(l.lanname)), 'unmodelled'
    FROM pg_transform t JOIN pg_language l ON l.oid = t.trflang
   WHERE (t.tableoid, t.oid) NOT IN (SELECT classid, objid FROM ext)
  UNION ALL
  SELECT 'schema', quote_ident(n.nspname), 'out-of-scope' FROM pg_namespace n
   WHERE n.nspname <> ALL($1) AND n.nspname <> ALL($2)
     AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
) s
ORDER BY 1, 2
