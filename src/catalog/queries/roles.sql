-- Roles and the attributes that decide whether row-level security applies to them (for the
-- audit's access matrix). Roles are cluster-wide, so $1/$2 (schemas) do not filter them.
SELECT quote_ident(r.rolname) AS key,
       r.rolname AS name,
       r.rolsuper AS superuser,
       r.rolbypassrls AS bypass_rls
  FROM pg_roles r
 WHERE cardinality($1::text[]) >= 0 AND cardinality($2::text[]) >= 0
 ORDER BY 1
