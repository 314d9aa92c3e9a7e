-- Extensions installed in a schema in scope (the version is not compared: it is the server's).
SELECT e.oid::int8 AS oid,
       e.extname AS name,
       quote_ident(e.extname) AS key,
       n.nspname AS schema,
       e.extversion AS version,
       obj_description(e.oid, 'pg_extension') AS comment
  FROM pg_extension e
  JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE n.nspname = ANY($1) AND n.nspname <> ALL($2)
 ORDER BY 2
