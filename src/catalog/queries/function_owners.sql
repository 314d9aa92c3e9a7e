-- Owners of the functions and procedures in scope (a SECURITY DEFINER function runs with its
-- owner's rights, so whether it sees every row depends on its owner). For the RLS audit only.
SELECT p.oid::regprocedure::text AS key,
       quote_ident(pg_get_userbyid(p.proowner)) AS owner
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prokind IN ('f', 'p', 'w')
   AND n.nspname = ANY($1) AND n.nspname <> ALL($2)
 ORDER BY 1
