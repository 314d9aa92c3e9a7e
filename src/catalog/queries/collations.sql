-- Collations in scope (their version is not compared: it is the server's library).
SELECT c.oid::int8 AS oid,
       quote_ident(n.nspname) || '.' || quote_ident(c.collname) AS key,
       n.nspname AS schema,
       c.collname AS name,
       c.collprovider::text AS provider,
       c.collisdeterministic AS deterministic,
       c.collcollate::text AS lc_collate,
       c.collctype::text AS lc_ctype,
       {{collation_locale}} AS locale,
       {{collation_rules}} AS rules,
       quote_ident(pg_get_userbyid(c.collowner)) AS owner,
       (SELECT d.description FROM pg_description d WHERE d.objoid = c.oid AND d.classoid = 'pg_collation'::regclass AND d.objsubid = 0) AS comment
  FROM pg_collation c
  JOIN pg_namespace n ON n.oid = c.collnamespace
 WHERE n.nspname = ANY($1) AND n.nspname <> ALL($2)
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_collation'::regclass AND d.objid = c.oid AND d.deptype = 'e')
 ORDER BY 2
