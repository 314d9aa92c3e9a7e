-- strata's Supabase shim, part "extensions" (docs/supabase-shim.md).
--
-- Every Supabase database has pgcrypto and uuid-ossp installed in schema
-- "extensions", and "extensions" on the search_path of the roles that run
-- migrations, so migrations call gen_random_bytes(), crypt(), uuid_generate_v4()
-- unqualified (or as extensions.gen_random_bytes()). Both extensions are in
-- PostgreSQL's contrib. strata sets the search_path on the database (new sessions)
-- and, for the rest of its own run, on every migration it applies.
-- Idempotent; no BEGIN/COMMIT (strata runs it in its own transaction).

CREATE SCHEMA IF NOT EXISTS extensions;
COMMENT ON SCHEMA extensions IS 'strata auth shim: where Supabase installs extensions';
CREATE EXTENSION IF NOT EXISTS pgcrypto    WITH SCHEMA extensions;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions;

DO $$
DECLARE
    grantees text := 'anon, authenticated, service_role';
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'postgres') THEN
        grantees := 'postgres, ' || grantees;
    END IF;
    -- the API roles exist when part "auth" ran first (strata installs parts in order)
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        EXECUTE 'GRANT USAGE ON SCHEMA extensions TO ' || grantees;
    END IF;
    EXECUTE format('ALTER DATABASE %I SET search_path = "$user", public, extensions',
                   current_database());
END
$$;
