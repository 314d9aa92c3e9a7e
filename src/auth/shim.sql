-- strata's Supabase-compatible auth shim for plain PostgreSQL (15+).
--
-- strata installs this when `[auth] model = "supabase"` and `shim = true` and the
-- database has no `auth` schema, so that migrations written for Supabase
-- (`auth.uid()`, `auth.users`, roles anon/authenticated/service_role, the default
-- grants on `public`) apply and can be tested on a stock server.
--
-- What it provides:
--   * roles anon, authenticated (NOLOGIN), service_role (NOLOGIN BYPASSRLS)
--   * schema auth with auth.users (GoTrue's main columns, so seed files that insert
--     full rows work), auth.uid(), auth.role(), auth.email(), auth.jwt()
--   * schema extensions (where Supabase keeps extensions; left empty here)
--   * Supabase's grants on schema public: the API roles may use every object,
--     row level security decides which rows they see
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
-- It does not provide Supabase-only roles (authenticator, supabase_admin, ...), the
-- storage/realtime/vault schemas or non-contrib extensions.

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

-- ---------------------------------------------------------------------------
-- Schemas
-- ---------------------------------------------------------------------------
CREATE SCHEMA IF NOT EXISTS auth;
CREATE SCHEMA IF NOT EXISTS extensions;

GRANT USAGE ON SCHEMA auth       TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA public     TO anon, authenticated, service_role;

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

-- As on Supabase: the API roles cannot read auth.users; service_role can do
-- anything with it. The owner (the role running strata) can reference it from
-- foreign keys in public, as Supabase's postgres role can.
GRANT ALL ON TABLE auth.users TO service_role;

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
-- Supabase's grants on public: privileges are wide open, RLS policies decide
-- which rows each role sees. Existing objects now, future ones by default
-- (default privileges apply to objects created by the role running this file,
-- which is the role strata uses for migrations).
-- ---------------------------------------------------------------------------
GRANT ALL ON ALL TABLES    IN SCHEMA public TO anon, authenticated, service_role;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO anon, authenticated, service_role;
GRANT ALL ON ALL FUNCTIONS IN SCHEMA public TO anon, authenticated, service_role;

ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES    TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
