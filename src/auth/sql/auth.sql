-- strata's Supabase shim, part "auth", for plain PostgreSQL (14+).
--
-- strata installs this when `[auth] model = "supabase"`, the part is enabled in
-- `[auth] shim`, the database has no `auth` schema, and the project really uses
-- Supabase's objects (`auth.<name>` or the API roles as identifiers; see
-- docs/supabase-shim.md), so that migrations written for Supabase apply and can be
-- tested on a stock server.
--
-- What it provides:
--   * roles anon, authenticated (NOLOGIN NOINHERIT), service_role (NOLOGIN NOINHERIT
--     BYPASSRLS) and authenticator (NOLOGIN NOINHERIT, member of the three), as
--     Supabase creates them
--   * schema auth with auth.users and auth.identities (GoTrue's columns, so that seed
--     files that insert full rows work), auth.uid(), auth.role(), auth.email(),
--     auth.jwt()
--   * Supabase's privileges on schema public: USAGE and default privileges ALL on
--     tables, sequences and functions for postgres, anon, authenticated, service_role;
--     row level security decides which rows each role sees
--
-- The claim functions read current_setting('request.jwt.claims', true), the JSON
-- PostgREST sets for each request (and what `-- as:` in validation suites sets),
-- and fall back to the older per-claim settings request.jwt.claim.sub / .role /
-- .email that PostgREST < 9 used.
--
-- Safety rules, because strata runs this file inside its own transaction and may run
-- it in several databases of one cluster at the same time (shadow databases):
--   * roles are cluster-wide: each CREATE ROLE is in its own DO block that swallows
--     duplicate_object (the role exists) and unique_violation (another transaction
--     created it concurrently and committed while we waited on the catalog index);
--   * everything else is per database and uses IF NOT EXISTS / CREATE OR REPLACE,
--     so running the file twice changes nothing;
--   * no BEGIN/COMMIT, no VACUUM, nothing that refuses to run in a transaction.
--
-- It does not provide Supabase's other roles (supabase_admin, supabase_auth_admin,
-- dashboard_user, ...), realtime or graphql, nor extensions outside PostgreSQL's
-- contrib (pg_cron, pg_net, http, vector, pgsodium, pg_graphql, pg_tle).

-- ---------------------------------------------------------------------------
-- Roles (cluster-wide)
-- ---------------------------------------------------------------------------
DO $$
BEGIN
    CREATE ROLE anon NOLOGIN NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

DO $$
BEGIN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

DO $$
BEGIN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- PostgREST's login role switches to the three API roles (NOLOGIN here: nothing logs in).
DO $$
BEGIN
    CREATE ROLE authenticator NOLOGIN NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

DO $$
BEGIN
    GRANT anon, authenticated, service_role TO authenticator;
EXCEPTION WHEN unique_violation THEN NULL;
END
$$;

-- ---------------------------------------------------------------------------
-- Schemas
-- ---------------------------------------------------------------------------
CREATE SCHEMA IF NOT EXISTS auth;
COMMENT ON SCHEMA auth IS 'strata auth shim: stand-in for Supabase''s auth schema';

GRANT USAGE ON SCHEMA auth   TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- auth.users: the columns GoTrue's table has
-- ---------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS auth.users (
    instance_id                 uuid,
    id                          uuid        NOT NULL PRIMARY KEY,
    aud                         varchar(255),
    role                        varchar(255),
    email                       varchar(255),
    encrypted_password          varchar(255),
    email_confirmed_at          timestamptz,
    invited_at                  timestamptz,
    confirmation_token          varchar(255),
    confirmation_sent_at        timestamptz,
    recovery_token              varchar(255),
    recovery_sent_at            timestamptz,
    email_change_token_new      varchar(255),
    email_change                varchar(255),
    email_change_sent_at        timestamptz,
    last_sign_in_at             timestamptz,
    raw_app_meta_data           jsonb,
    raw_user_meta_data          jsonb,
    is_super_admin              boolean,
    created_at                  timestamptz DEFAULT now(),
    updated_at                  timestamptz DEFAULT now(),
    phone                       text        UNIQUE DEFAULT NULL,
    phone_confirmed_at          timestamptz,
    phone_change                text        DEFAULT '',
    phone_change_token          varchar(255) DEFAULT '',
    phone_change_sent_at        timestamptz,
    confirmed_at                timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
    email_change_token_current  varchar(255) DEFAULT '',
    email_change_confirm_status smallint    DEFAULT 0
        CHECK (email_change_confirm_status >= 0 AND email_change_confirm_status <= 2),
    banned_until                timestamptz,
    reauthentication_token      varchar(255) DEFAULT '',
    reauthentication_sent_at    timestamptz,
    is_sso_user                 boolean     NOT NULL DEFAULT false,
    deleted_at                  timestamptz,
    is_anonymous                boolean     NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS users_instance_id_idx ON auth.users (instance_id);
CREATE INDEX IF NOT EXISTS users_email_idx       ON auth.users (email);

COMMENT ON TABLE auth.users IS
    'strata auth shim: stand-in for Supabase GoTrue''s auth.users';

-- auth.identities: one row per sign-in method of a user (GoTrue's columns).
CREATE TABLE IF NOT EXISTS auth.identities (
    provider_id     text        NOT NULL,
    user_id         uuid        NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    identity_data   jsonb       NOT NULL,
    provider        text        NOT NULL,
    last_sign_in_at timestamptz,
    created_at      timestamptz,
    updated_at      timestamptz,
    email           text        GENERATED ALWAYS AS (lower(identity_data ->> 'email')) STORED,
    id              uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    CONSTRAINT identities_provider_id_provider_unique UNIQUE (provider_id, provider)
);
CREATE INDEX IF NOT EXISTS identities_user_id_idx ON auth.identities (user_id);
CREATE INDEX IF NOT EXISTS identities_email_idx   ON auth.identities (email text_pattern_ops);

-- As on Supabase: the API roles cannot read auth.users; service_role can do
-- anything with it. The owner (the role running strata) can reference it from
-- foreign keys in public, as Supabase's postgres role can.
GRANT ALL ON TABLE auth.users, auth.identities TO service_role;

-- ---------------------------------------------------------------------------
-- Claim functions
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb
    LANGUAGE sql STABLE
AS $$
    SELECT coalesce(
        nullif(current_setting('request.jwt.claims', true), '')::jsonb,
        nullif(
            jsonb_strip_nulls(jsonb_build_object(
                'sub',   nullif(current_setting('request.jwt.claim.sub', true), ''),
                'role',  nullif(current_setting('request.jwt.claim.role', true), ''),
                'email', nullif(current_setting('request.jwt.claim.email', true), '')
            )),
            '{}'::jsonb
        )
    )
$$;

CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid
    LANGUAGE sql STABLE
AS $$
    SELECT nullif(
        coalesce(
            nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub',
            current_setting('request.jwt.claim.sub', true)
        ),
        ''
    )::uuid
$$;

CREATE OR REPLACE FUNCTION auth.role() RETURNS text
    LANGUAGE sql STABLE
AS $$
    SELECT nullif(
        coalesce(
            nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role',
            current_setting('request.jwt.claim.role', true)
        ),
        ''
    )
$$;

CREATE OR REPLACE FUNCTION auth.email() RETURNS text
    LANGUAGE sql STABLE
AS $$
    SELECT nullif(
        coalesce(
            nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email',
            current_setting('request.jwt.claim.email', true)
        ),
        ''
    )
$$;

GRANT EXECUTE ON FUNCTION auth.jwt(), auth.uid(), auth.role(), auth.email()
    TO anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Supabase's privileges on public (supabase/postgres, initial schema): API roles may
-- use every object, row level security decides which rows. Default privileges are
-- those of the role running this file (the role strata applies migrations as, like
-- Supabase's postgres); the grantee postgres is included when that role exists.
-- Objects that already exist get the same grants, as if the database had been a
-- Supabase database from the start.
-- ---------------------------------------------------------------------------
DO $$
DECLARE
    grantees text := 'anon, authenticated, service_role';
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'postgres') THEN
        grantees := 'postgres, ' || grantees;
    END IF;
    EXECUTE 'GRANT ALL ON ALL TABLES    IN SCHEMA public TO ' || grantees;
    EXECUTE 'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ' || grantees;
    EXECUTE 'GRANT ALL ON ALL FUNCTIONS IN SCHEMA public TO ' || grantees;
    EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES    TO ' || grantees;
    EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO ' || grantees;
    EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO ' || grantees;
END
$$;
