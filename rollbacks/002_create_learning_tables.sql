-- Rollback of 002_create_learning_tables.sql
-- Drops exactly what 002 created, dependents first (the column grants on
-- challenge_templates go with the table).

DROP TABLE IF EXISTS user_achievements;
DROP TABLE IF EXISTS achievements;
DROP TABLE IF EXISTS user_challenges;
DROP TABLE IF EXISTS challenge_templates;
DROP TABLE IF EXISTS user_vocabulary_progress;
DROP TABLE IF EXISTS vocabulary_terms;
DROP TABLE IF EXISTS user_skill_progress;
DROP TABLE IF EXISTS skill_nodes;
