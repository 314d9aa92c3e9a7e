-- Rollback of 003_create_social_tables.sql
-- Drops exactly what 003 created, dependents first. The tables go before the
-- policy helpers: policies on these tables call is_tribe_member() and
-- tribe_member_role(), and dropping a table drops its policies.

DROP TABLE IF EXISTS mentor_messages;
DROP TABLE IF EXISTS mentorships;
DROP TABLE IF EXISTS mentor_profiles;
DROP TABLE IF EXISTS prediction_comments;
DROP TABLE IF EXISTS prediction_votes;
DROP TABLE IF EXISTS predictions;
DROP TABLE IF EXISTS tribe_stats;
DROP TABLE IF EXISTS tribe_members;
DROP TABLE IF EXISTS tribes;

DROP FUNCTION IF EXISTS calculate_prediction_accuracy(UUID);
DROP FUNCTION IF EXISTS is_tribe_member(UUID);
DROP FUNCTION IF EXISTS tribe_member_role(UUID);
DROP FUNCTION IF EXISTS create_tribe_stats();
