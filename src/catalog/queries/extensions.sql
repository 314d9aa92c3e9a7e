-- Extensions (every one: an extension belongs to the database). `in_scope`: installed in a
-- schema in scope (an extension is compared when either side has it in scope).
SELECT e.oid::int8 AS oid,
       e.extname AS name,
       quote_ident(e.extname) AS key,
       n.nspname AS schema,
       e.extversion AS version,
       (SELECT d.description FROM pg_description d WHERE d.objoid = e.oid AND d.classoid = 'pg_extension'::regclass AND d.objsubid = 0) AS comment,
       n.nspname = ANY($1) AND n.nspname <> ALL($2) AS in_scope
  FROM pg_extension e
  JOIN pg_namespace n ON n.oid = e.extnamespace
 ORDER BY 2
