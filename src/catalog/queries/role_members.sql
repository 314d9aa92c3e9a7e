-- Role memberships: who is a member of which role, and whether the member inherits that
-- role's privileges (PostgreSQL 16+: per grant, `inherit_option`; before: the member's
-- `rolinherit`). For the RLS audit: privileges and table ownership reached through membership,
-- and members of roles that skip row-level security. Roles are cluster-wide, so $1/$2
-- (schemas) do not filter them.
SELECT quote_ident(m.rolname) AS member,
       quote_ident(r.rolname) AS role,
       coalesce((to_jsonb(a) ->> 'inherit_option')::boolean, m.rolinherit) AS inherit
  FROM pg_auth_members a
  JOIN pg_roles m ON m.oid = a.member
  JOIN pg_roles r ON r.oid = a.roleid
 WHERE cardinality($1::text[]) >= 0 AND cardinality($2::text[]) >= 0
 ORDER BY 1, 2
