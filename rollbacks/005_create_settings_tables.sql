-- Rollback of 005_create_settings_tables.sql
-- Drops exactly what 005 created, dependents first.

DROP TRIGGER IF EXISTS tr_create_user_settings ON users;
DROP FUNCTION IF EXISTS create_user_settings();
DROP FUNCTION IF EXISTS is_feature_enabled(VARCHAR, UUID, VARCHAR);

DROP TABLE IF EXISTS api_keys;
DROP TABLE IF EXISTS feature_flags;
DROP TABLE IF EXISTS user_settings;

-- 005 created pgcrypto (CREATE EXTENSION IF NOT EXISTS). Nothing in the schema
-- depends on it once api_keys is gone; without CASCADE this fails loudly if
-- something else (outside this project) has come to depend on it.
DROP EXTENSION IF EXISTS pgcrypto;
