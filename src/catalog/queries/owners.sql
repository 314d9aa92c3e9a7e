-- Owners of the tables and views in scope (an owner is exempt from its table's row-level
-- security unless it is forced; a view without security_invoker reads as its owner).
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS key,
       quote_ident(pg_get_userbyid(c.relowner)) AS owner
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm')
   AND n.nspname = ANY($1) AND n.nspname <> ALL($2)
 ORDER BY 1
