-- Extended statistics (CREATE STATISTICS) in scope.
SELECT s.oid::int8 AS oid,
       quote_ident(n.nspname) || '.' || quote_ident(s.stxname) AS key,
       n.nspname AS schema,
       s.stxname AS name,
       quote_ident(tn.nspname) || '.' || quote_ident(tc.relname) AS table_key,
       pg_get_statisticsobjdef(s.oid) AS definition,
       coalesce(s.stxstattarget::int4, -1) AS target,
       quote_ident(pg_get_userbyid(s.stxowner)) AS owner,
       (SELECT d.description FROM pg_description d WHERE d.objoid = s.oid AND d.classoid = 'pg_statistic_ext'::regclass AND d.objsubid = 0) AS comment
  FROM pg_statistic_ext s
  JOIN pg_namespace n ON n.oid = s.stxnamespace
  JOIN pg_class tc ON tc.oid = s.stxrelid
  JOIN pg_namespace tn ON tn.oid = tc.relnamespace
 WHERE n.nspname = ANY($1) AND n.nspname <> ALL($2)
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_statistic_ext'::regclass AND d.objid = s.oid AND d.deptype = 'e')
 ORDER BY 2
