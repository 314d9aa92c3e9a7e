-- Every publication, with its tables (column lists and row filters on PostgreSQL 15+) and
-- schemas. `in_scope`: it publishes all tables, a table in scope or a schema in scope (the
-- others are only named, as not compared).
WITH rels AS (
  SELECT pr.prpubid,
         json_agg(json_build_object(
           'table', quote_ident(tn.nspname) || '.' || quote_ident(tc.relname),
           'columns', {{publication_columns}},
           'row_filter', {{publication_row_filter}})
           ORDER BY tn.nspname, tc.relname) AS tables,
         bool_or(tn.nspname = ANY($1) AND tn.nspname <> ALL($2)) AS in_scope
    FROM pg_publication_rel pr
    JOIN pg_class tc ON tc.oid = pr.prrelid
    JOIN pg_namespace tn ON tn.oid = tc.relnamespace
   GROUP BY pr.prpubid),
schemas AS ({{publication_schemas}})
SELECT p.oid::int8 AS oid,
       quote_ident(p.pubname) AS key,
       p.pubname AS name,
       p.puballtables AS all_tables,
       array_remove(ARRAY[CASE WHEN p.pubinsert THEN 'insert' END,
                          CASE WHEN p.pubupdate THEN 'update' END,
                          CASE WHEN p.pubdelete THEN 'delete' END,
                          CASE WHEN p.pubtruncate THEN 'truncate' END], NULL) AS publish,
       p.pubviaroot AS via_root,
       coalesce(rels.tables, '[]'::json) AS tables,
       coalesce(schemas.schemas, '{}') AS schemas,
       quote_ident(pg_get_userbyid(p.pubowner)) AS owner,
       (SELECT d.description FROM pg_description d WHERE d.objoid = p.oid AND d.classoid = 'pg_publication'::regclass AND d.objsubid = 0) AS comment,
       p.puballtables OR coalesce(rels.in_scope, false) OR coalesce(schemas.in_scope, false) AS in_scope
  FROM pg_publication p
  LEFT JOIN rels ON rels.prpubid = p.oid
  LEFT JOIN schemas ON schemas.pnpubid = p.oid
 ORDER BY 2
