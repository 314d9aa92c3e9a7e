-- Objects that are not compared, so that they are reported instead of being skipped in
-- silence: objects of kinds strata does not model in the schemas in scope (`unmodelled`: they
-- may differ, so `diff --exit-code` fails on them unless accepted), and schemas outside the
-- configured ones (`out-of-scope`: a note). Extension members are left out (the extension is
-- compared), and so are objects internal to another (a range type's multirange cast): an index
-- lookup in pg_depend per candidate, after the schema filter, so that the cost does not grow with
-- the rest of the catalog (one hashed scan of all of pg_depend per kind did, issue 14). Event triggers and publications outside the scope come with their own queries.
WITH ns AS NOT MATERIALIZED (SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY($1) AND nspname <> ALL($2))
SELECT kind, name, reason FROM (
  SELECT 'aggregate' AS kind, p.oid::regprocedure::text AS name, 'unmodelled' AS reason
    FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
   WHERE p.prokind = 'a' AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = p.tableoid AND e.objid = p.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'operator', p.oid::regoperator::text, 'unmodelled'
    FROM pg_operator p JOIN ns ON ns.oid = p.oprnamespace
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = p.tableoid AND e.objid = p.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'operator-class', quote_ident(ns.nspname) || '.' || quote_ident(o.opcname), 'unmodelled'
    FROM pg_opclass o JOIN ns ON ns.oid = o.opcnamespace
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = o.tableoid AND e.objid = o.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'operator-family', quote_ident(ns.nspname) || '.' || quote_ident(o.opfname), 'unmodelled'
    FROM pg_opfamily o JOIN ns ON ns.oid = o.opfnamespace
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = o.tableoid AND e.objid = o.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'conversion', quote_ident(ns.nspname) || '.' || quote_ident(o.conname), 'unmodelled'
    FROM pg_conversion o JOIN ns ON ns.oid = o.connamespace
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = o.tableoid AND e.objid = o.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'text-search-configuration', quote_ident(ns.nspname) || '.' || quote_ident(o.cfgname), 'unmodelled'
    FROM pg_ts_config o JOIN ns ON ns.oid = o.cfgnamespace
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = o.tableoid AND e.objid = o.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'text-search-dictionary', quote_ident(ns.nspname) || '.' || quote_ident(o.dictname), 'unmodelled'
    FROM pg_ts_dict o JOIN ns ON ns.oid = o.dictnamespace
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = o.tableoid AND e.objid = o.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'text-search-parser', quote_ident(ns.nspname) || '.' || quote_ident(o.prsname), 'unmodelled'
    FROM pg_ts_parser o JOIN ns ON ns.oid = o.prsnamespace
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = o.tableoid AND e.objid = o.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'text-search-template', quote_ident(ns.nspname) || '.' || quote_ident(o.tmplname), 'unmodelled'
    FROM pg_ts_template o JOIN ns ON ns.oid = o.tmplnamespace
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = o.tableoid AND e.objid = o.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'base-type', quote_ident(ns.nspname) || '.' || quote_ident(t.typname), 'unmodelled'
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
   WHERE t.typtype = 'b' AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
     AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = t.tableoid AND e.objid = t.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'foreign-table', quote_ident(ns.nspname) || '.' || quote_ident(c.relname), 'unmodelled'
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
   WHERE c.relkind = 'f' AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = c.tableoid AND e.objid = c.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'foreign-data-wrapper', quote_ident(w.fdwname), 'unmodelled' FROM pg_foreign_data_wrapper w
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = w.tableoid AND e.objid = w.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'foreign-server', quote_ident(s.srvname), 'unmodelled' FROM pg_foreign_server s
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = s.tableoid AND e.objid = s.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'language', quote_ident(l.lanname), 'unmodelled' FROM pg_language l
   WHERE l.lanname NOT IN ('internal', 'c', 'sql', 'plpgsql') AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = l.tableoid AND e.objid = l.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'cast', format('(%s AS %s)', format_type(c.castsource, NULL), format_type(c.casttarget, NULL)), 'unmodelled'
    FROM pg_cast c
   WHERE c.oid >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = c.tableoid AND e.objid = c.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'access-method', quote_ident(a.amname), 'unmodelled' FROM pg_am a
   WHERE a.oid >= 16384 AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = a.tableoid AND e.objid = a.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'transform', format('FOR %s LANGUAGE %s', format_type(t.trftype, NULL), quote_ident(l.lanname)), 'unmodelled'
    FROM pg_transform t JOIN pg_language l ON l.oid = t.trflang
   WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = t.tableoid AND e.objid = t.oid AND e.deptype IN ('e', 'i'))
  UNION ALL
  SELECT 'schema', quote_ident(n.nspname), 'out-of-scope' FROM pg_namespace n
   WHERE n.nspname <> ALL($1) AND n.nspname <> ALL($2)
     AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
) s
ORDER BY 1, 2
