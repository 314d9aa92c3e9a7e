-- Extensions installed in a schema in scope (the version is not compared: it is the server's).
SELECT e.oid::int8 AS oid,
       e.extname AS name,
       quote_ident(e.extname) AS key,
       n.nspname AS schema,
       e.extversion AS version,
       (SELECT d.description FROM pg_description d WHERE d.objoid = e.oid AND d.classoid = 'pg_extension'::regclass AND d.objsubid = 0) AS comment
  FROM pg_extension e
  JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE n.nspname = ANY($1) AND n.nspname <> ALL($2)
 ORDER BY 2
