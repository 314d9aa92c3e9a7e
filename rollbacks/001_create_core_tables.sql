-- Rollback of 001_create_core_tables.sql
-- Drops exactly what 001 created, dependents first. Run after the rollbacks of
-- 002-006: their tables' triggers use update_updated_at() and their admin
-- policies call is_admin().

DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS user_profiles;
DROP TABLE IF EXISTS users;

DROP FUNCTION IF EXISTS create_user_profile();
DROP FUNCTION IF EXISTS is_admin();
DROP FUNCTION IF EXISTS app_user_role();
DROP FUNCTION IF EXISTS calculate_level(INTEGER);
DROP FUNCTION IF EXISTS update_updated_at();
