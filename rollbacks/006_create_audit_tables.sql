-- Rollback of 006_create_audit_tables.sql
-- Drops exactly what 006 created, dependents first. Dropping a table also
-- drops its indexes, triggers, policies and identity sequence.

DROP TRIGGER IF EXISTS tr_create_user_stats ON users;
DROP FUNCTION IF EXISTS create_user_stats();

DROP TABLE IF EXISTS leaderboard_snapshots;
DROP TABLE IF EXISTS engagement_metrics;
DROP TABLE IF EXISTS user_stats;
DROP TABLE IF EXISTS user_activity;
DROP TABLE IF EXISTS audit_logs;
