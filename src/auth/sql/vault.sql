-- strata's Supabase shim, part "vault" (docs/supabase-shim.md): stand-ins for
-- supabase_vault's objects, so that migrations that store or read secrets apply.
--
-- NOTHING IS ENCRYPTED: vault.secrets keeps the secret in plain text and
-- vault.decrypted_secrets shows it. This is for local and CI databases with test
-- secrets only; on Supabase the real extension (pgsodium / libsodium) is used.
-- As on Supabase, the API roles get no access; service_role may read the view.
-- Idempotent; no BEGIN/COMMIT.

CREATE SCHEMA IF NOT EXISTS vault;
COMMENT ON SCHEMA vault IS 'strata auth shim: stand-in for supabase_vault (secrets NOT encrypted)';

CREATE TABLE IF NOT EXISTS vault.secrets (
    id          uuid        NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    name        text,
    description text        NOT NULL DEFAULT '',
    secret      text        NOT NULL,
    key_id      uuid,
    nonce       bytea,
    created_at  timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX IF NOT EXISTS secrets_name_idx ON vault.secrets (name) WHERE name IS NOT NULL;

CREATE OR REPLACE VIEW vault.decrypted_secrets AS
    SELECT s.id, s.name, s.description, s.secret, s.secret AS decrypted_secret,
           s.key_id, s.nonce, s.created_at, s.updated_at
      FROM vault.secrets s;

CREATE OR REPLACE FUNCTION vault.create_secret(
    new_secret text, new_name text DEFAULT NULL, new_description text DEFAULT '',
    new_key_id uuid DEFAULT NULL
) RETURNS uuid
    LANGUAGE sql
    SET search_path = ''
AS $$
    INSERT INTO vault.secrets (secret, name, description, key_id)
    VALUES (new_secret, new_name, coalesce(new_description, ''), new_key_id)
    RETURNING id
$$;

CREATE OR REPLACE FUNCTION vault.update_secret(
    secret_id uuid, new_secret text DEFAULT NULL, new_name text DEFAULT NULL,
    new_description text DEFAULT NULL, new_key_id uuid DEFAULT NULL
) RETURNS void
    LANGUAGE sql
    SET search_path = ''
AS $$
    UPDATE vault.secrets
       SET secret      = coalesce(new_secret, secret),
           name        = coalesce(new_name, name),
           description = coalesce(new_description, description),
           key_id      = coalesce(new_key_id, key_id),
           updated_at  = CURRENT_TIMESTAMP
     WHERE id = secret_id
$$;

REVOKE ALL ON vault.secrets, vault.decrypted_secrets FROM PUBLIC;
REVOKE ALL ON FUNCTION vault.create_secret(text, text, text, uuid),
                       vault.update_secret(uuid, text, text, text, uuid) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
        GRANT USAGE ON SCHEMA vault TO service_role;
        GRANT SELECT ON vault.decrypted_secrets TO service_role;
    END IF;
END
$$;
